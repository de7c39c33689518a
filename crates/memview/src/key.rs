//! [`Key`]: what goes between the brackets of `m[...]`.

use strided::{Index, Slice};

/// A subscript key: a single entry (`m[1]`, `m[1:3]`, `m[...]`) or a tuple (`m[1, ::2]`,
/// `m[()]`). Entries are [`Index`]es: integers, slices, `...` and new axes.
///
/// ```
/// use memview::{Key, Index, Slice};
/// let k: Key = 3.into();
/// assert_eq!(k, Key::One(Index::At(3)));
/// let t = Key::tuple([Index::At(0), Index::Slice(Slice::new(None, None, Some(2)))]);
/// assert!(matches!(t, Key::Tuple(ref v) if v.len() == 2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A key that is not a tuple.
    One(Index),
    /// A tuple key (the empty tuple selects the item of a 0-dimensional view).
    Tuple(Vec<Index>),
}

impl Key {
    /// A tuple key from its entries.
    ///
    /// ```
    /// use memview::{Index, Key};
    /// assert_eq!(Key::tuple([Index::At(1)]), Key::from([1isize]));
    /// ```
    pub fn tuple(items: impl IntoIterator<Item = Index>) -> Key {
        Key::Tuple(items.into_iter().collect())
    }

    /// The key `...`.
    ///
    /// ```
    /// assert_eq!(memview::Key::ellipsis(), memview::Key::One(memview::Index::Ellipsis));
    /// ```
    pub fn ellipsis() -> Key {
        Key::One(Index::Ellipsis)
    }

    /// The entries of the key, as a tuple would have them.
    pub(crate) fn entries(&self) -> &[Index] {
        match self {
            Key::One(i) => std::slice::from_ref(i),
            Key::Tuple(v) => v,
        }
    }
}

impl From<isize> for Key {
    fn from(i: isize) -> Key {
        Key::One(Index::At(i))
    }
}

impl From<i32> for Key {
    fn from(i: i32) -> Key {
        Key::One(Index::At(i as isize))
    }
}

impl From<Slice> for Key {
    fn from(s: Slice) -> Key {
        Key::One(Index::Slice(s))
    }
}

impl From<std::ops::Range<isize>> for Key {
    fn from(r: std::ops::Range<isize>) -> Key {
        Key::One(Index::Slice(Slice::new(Some(r.start), Some(r.end), None)))
    }
}

impl From<std::ops::RangeFull> for Key {
    fn from(_: std::ops::RangeFull) -> Key {
        Key::One(Index::Slice(Slice::full()))
    }
}

impl<const N: usize> From<[isize; N]> for Key {
    fn from(ix: [isize; N]) -> Key {
        Key::Tuple(ix.iter().map(|&i| Index::At(i)).collect())
    }
}

impl<const N: usize> From<[Index; N]> for Key {
    fn from(ix: [Index; N]) -> Key {
        Key::Tuple(ix.to_vec())
    }
}

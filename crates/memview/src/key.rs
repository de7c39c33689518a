//! [`Key`]: what goes between the brackets of `m[...]`, and the [`s!`](crate::s) macro that
//! writes one as Python would.

use smallvec::SmallVec;
use strided::{Ellipsis, Index, NewAxis, Slice};

/// A subscript key: a single entry (`m[1]`, `m[1:3]`, `m[...]`) or a tuple (`m[1, ::2]`,
/// `m[()]`). Entries are [`Index`]es: integers, slices, `...` and new axes.
///
/// Every method that takes a key ([`get`](crate::MemoryView::get),
/// [`set`](crate::MemoryView::set), [`view`](crate::MemoryView::view),
/// [`subscript`](crate::MemoryView::subscript), [`assign`](crate::MemoryView::assign)) takes
/// `impl Into<Key>`, so any of these work:
///
/// | Rust | Python |
/// | --- | --- |
/// | `3`, `-1` (any integer type) | `m[3]`, `m[-1]` |
/// | `1..4`, `2..`, `..3`, `..`, `1..=3` | `m[1:4]`, `m[2:]`, `m[:3]`, `m[:]`, `m[1:4]` |
/// | `(1, 2)`, `[1, 2]`, `&[1, 2][..]` | `m[1, 2]` |
/// | `(.., 1)`, `(1..3, NewAxis)` | `m[:, 1]`, `m[1:3, None]` |
/// | `s![.., ..;-1]`, `s![..., 0]` | `m[:, ::-1]`, `m[..., 0]` |
/// | `()` | `m[()]` |
///
/// ```
/// use memview::{Index, Key, NewAxis, Slice};
/// assert_eq!(Key::from(3), Key::one(Index::At(3)));
/// assert_eq!(Key::from((.., 1)), Key::tuple([Index::Slice(Slice::full()), Index::At(1)]));
/// assert_eq!(Key::from(1..), Key::one(Slice::new(Some(1), None, None)));
/// assert_eq!(Key::from([0, -1]).entries(), &[Index::At(0), Index::At(-1)]);
/// assert!(Key::from(()).is_tuple() && Key::from(()).entries().is_empty());
/// assert_eq!(Key::from((NewAxis, ..)).entries()[0], Index::NewAxis);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    entries: SmallVec<[Index; 4]>,
    tuple: bool,
}

impl Key {
    /// A key that is not a tuple (`m[i]`, `m[a:b]`, `m[...]`).
    ///
    /// ```
    /// use memview::{Index, Key};
    /// assert!(!Key::one(2).is_tuple());
    /// assert_eq!(Key::one(2).entries(), &[Index::At(2)]);
    /// ```
    pub fn one(index: impl Into<Index>) -> Key {
        let mut entries = SmallVec::new();
        entries.push(index.into());
        Key { entries, tuple: false }
    }

    /// A tuple key from its entries (`m[i, j]`; the empty tuple selects the item of a
    /// 0-dimensional view).
    ///
    /// ```
    /// use memview::{Index, Key, Slice};
    /// assert_eq!(Key::tuple([Index::At(1)]), Key::from([1]));
    /// let k = Key::tuple([Slice::new(None, None, Some(2))]);
    /// assert!(k.is_tuple());
    /// ```
    pub fn tuple<I: Into<Index>>(items: impl IntoIterator<Item = I>) -> Key {
        Key { entries: items.into_iter().map(Into::into).collect(), tuple: true }
    }

    /// The key `...`.
    ///
    /// ```
    /// assert_eq!(memview::Key::ellipsis(), memview::Key::one(memview::Index::Ellipsis));
    /// ```
    pub fn ellipsis() -> Key {
        Key::one(Index::Ellipsis)
    }

    /// The entries of the key, as a tuple would have them (one for a key that is not a tuple).
    ///
    /// ```
    /// assert_eq!(memview::Key::from((1, 2)).entries().len(), 2);
    /// ```
    pub fn entries(&self) -> &[Index] {
        &self.entries
    }

    /// Whether the key is a tuple (Python distinguishes `m[1]` from `m[1,]`).
    ///
    /// ```
    /// assert!(memview::Key::from((1,)).is_tuple());
    /// assert!(!memview::Key::from(1).is_tuple());
    /// ```
    pub fn is_tuple(&self) -> bool {
        self.tuple
    }

    /// The one entry of a key that is not a tuple.
    pub(crate) fn single(&self) -> Option<&Index> {
        if self.tuple {
            None
        } else {
            self.entries.first()
        }
    }
}

impl std::fmt::Display for Key {
    /// The key as Python spells it between brackets: `1:3, ::-1, ..., None`.
    ///
    /// ```
    /// use memview::{s, Key};
    /// assert_eq!(s![1..3, ..;-1, ..., memview::NewAxis, -1].to_string(), "1:3, ::-1, ..., None, -1");
    /// assert_eq!(Key::from(()).to_string(), "()");
    /// assert_eq!(Key::from((5,)).to_string(), "5,");
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.tuple && self.entries.is_empty() {
            return f.write_str("()");
        }
        let part = |v: Option<isize>| v.map(|x| x.to_string()).unwrap_or_default();
        for (k, e) in self.entries.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            match e {
                Index::At(i) => write!(f, "{i}")?,
                Index::Ellipsis => f.write_str("...")?,
                Index::NewAxis => f.write_str("None")?,
                Index::Slice(s) => {
                    write!(f, "{}:{}", part(s.start), part(s.stop))?;
                    if let Some(step) = s.step {
                        write!(f, ":{step}")?;
                    }
                }
            }
        }
        if self.tuple && self.entries.len() == 1 {
            f.write_str(",")?;
        }
        Ok(())
    }
}

impl From<&Key> for Key {
    fn from(k: &Key) -> Key {
        k.clone()
    }
}

impl From<()> for Key {
    /// `m[()]`: the empty tuple.
    fn from(_: ()) -> Key {
        Key { entries: SmallVec::new(), tuple: true }
    }
}

macro_rules! one_entry_keys {
    ($($t:ty),*) => {$(
        impl From<$t> for Key {
            fn from(i: $t) -> Key {
                Key::one(i)
            }
        }
    )*};
}

macro_rules! integer_keys {
    ($($t:ty),*) => {$(
        one_entry_keys!($t, std::ops::Range<$t>, std::ops::RangeFrom<$t>, std::ops::RangeTo<$t>,
            std::ops::RangeInclusive<$t>, std::ops::RangeToInclusive<$t>);
    )*};
}

one_entry_keys!(Index, Slice, NewAxis, Ellipsis, std::ops::RangeFull);
integer_keys!(isize, usize, i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! tuple_keys {
    ($(($($t:ident $v:ident),+))*) => {$(
        impl<$($t: Into<Index>),+> From<($($t,)+)> for Key {
            /// A tuple key, entry by entry.
            fn from(($($v,)+): ($($t,)+)) -> Key {
                let mut entries = SmallVec::new();
                $(entries.push($v.into());)+
                Key { entries, tuple: true }
            }
        }
    )*};
}

tuple_keys! {
    (A a)
    (A a, B b)
    (A a, B b, C c)
    (A a, B b, C c, D d)
    (A a, B b, C c, D d, E e)
    (A a, B b, C c, D d, E e, F f)
    (A a, B b, C c, D d, E e, F f, G g)
    (A a, B b, C c, D d, E e, F f, G g, H h)
}

impl<T: Into<Index>, const N: usize> From<[T; N]> for Key {
    /// A tuple key: `[1, 2]` is `m[1, 2]`.
    fn from(ix: [T; N]) -> Key {
        Key::tuple(ix)
    }
}

impl<T: Into<Index> + Copy, const N: usize> From<&[T; N]> for Key {
    fn from(ix: &[T; N]) -> Key {
        Key::tuple(ix.iter().copied())
    }
}

impl<T: Into<Index> + Copy> From<&[T]> for Key {
    /// A tuple key from a slice of entries (`&[1, 2][..]` is `m[1, 2]`).
    fn from(ix: &[T]) -> Key {
        Key::tuple(ix.iter().copied())
    }
}

impl<T: Into<Index>> From<Vec<T>> for Key {
    fn from(ix: Vec<T>) -> Key {
        Key::tuple(ix)
    }
}

/// A [`Key`] written as Python writes one, in the spirit of ndarray's `s![]`: entries are
/// separated by commas, and each is
///
/// | `s![...]` entry | Python | meaning |
/// | --- | --- | --- |
/// | `i` (any integer expression) | `i` | one position; negative counts from the end |
/// | `a..b`, `a..`, `..b`, `..` | `a:b`, `a:`, `:b`, `:` | a slice |
/// | `a..=b` | `a:b+1` | an inclusive slice (`..=-1` runs to the end) |
/// | `range;step` | `a:b:step` | a slice with a step: `..;-1` is `::-1` |
/// | `...` | `...` | as many `:` as the other entries leave dimensions |
/// | `NewAxis` | `None` / `np.newaxis` | a new dimension of extent 1 |
///
/// The result is always a tuple key, as `m[a, b]` is in Python.
///
/// ```
/// use memview::{s, MemoryView, NewAxis};
/// let data: Vec<u8> = (0..24).collect();
/// let m = MemoryView::new(&data).unwrap().cast_shape("B", &[2, 3, 4]).unwrap();
/// assert_eq!(m.view(s![.., 1, ..;-2]).unwrap().to_bytes().unwrap(), [7, 5, 19, 17]);   // m[:, 1, ::-2]
/// assert_eq!(m.view(s![-1, 1..]).unwrap().shape(), &[2, 4]);                          // m[-1, 1:]
/// assert_eq!(m.view(s![..., 0]).unwrap().to_bytes().unwrap(), [0, 4, 8, 12, 16, 20]); // m[..., 0]
/// assert_eq!(m.view(s![NewAxis, ..]).unwrap().shape(), &[1, 2, 3, 4]);                // m[None, :]
/// assert_eq!(m.get(s![1, 2, 3]).unwrap(), 23.into());                                  // m[1, 2, 3]
/// ```
#[macro_export]
macro_rules! s {
    ($($t:tt)*) => { $crate::__s_entries!([] $($t)*) };
}

/// The entries of [`s!`], one at a time (not public API).
#[doc(hidden)]
#[macro_export]
macro_rules! __s_entries {
    ([$($done:expr,)*]) => { $crate::Key::tuple::<$crate::Index>([$($done,)*]) };
    ([$($done:expr,)*] ... $(, $($rest:tt)*)?) => {
        $crate::__s_entries!([$($done,)* $crate::Index::Ellipsis,] $($($rest)*)?)
    };
    ([$($done:expr,)*] $r:expr ; $step:expr $(, $($rest:tt)*)?) => {
        $crate::__s_entries!([$($done,)* $crate::Index::Slice($crate::Slice::stepped($r, $step)),] $($($rest)*)?)
    };
    ([$($done:expr,)*] $e:expr $(, $($rest:tt)*)?) => {
        $crate::__s_entries!([$($done,)* $crate::Index::from($e),] $($($rest)*)?)
    };
}

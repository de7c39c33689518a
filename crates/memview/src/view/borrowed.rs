//! Borrowed views ([`ViewRef`]): views derived from a view for the length of a borrow of it,
//! as ndarray's `ArrayView` beside `Array`. They hold the memory through the view they
//! borrow, so making and dropping one counts nothing.
//!
//! The one `unsafe` call of this module makes a proof that does not count its holder
//! ([`Proven::borrowed`](crate::raw::Proven)); its promise is kept by the type: the view
//! holding that proof is a private field of a [`ViewRef`], which borrows the view the proof
//! was made from for as long as it lives, and hands out only `&MemoryView`. Every owned view
//! made through that reference (a clone, a slice, a cast) clones the holder, which counts the
//! owner, so no owned view ever holds the borrow.

use super::MemoryView;
use crate::raw::Select;
use crate::{Key, Slice, ViewError};
use std::marker::PhantomData;

/// A view of part of another view's memory that borrows that view: what
/// [`MemoryView::view_ref`] and [`MemoryView::slice_ref`] give, for derived views that live
/// within one call (a record of a parser, a row of a loop), as ndarray's `ArrayView` is to
/// `Array`.
///
/// It dereferences to a [`MemoryView`], so it answers everything a view does (items, lists,
/// bytes, typed access, further views). Making and dropping it counts no reference to the
/// exporter, where an owned view counts one each way; [`into_view`](Self::into_view) (or
/// `clone()` through the dereference) gives an owned [`MemoryView`] of the same layout that
/// outlives the borrow.
///
/// ```
/// use memview::{s, MemoryView};
/// let data: Vec<u8> = (0..12).collect();
/// let m = MemoryView::from_bytes(&data).cast_shape("B", &[3, 4]).unwrap();
/// let mut total = 0u64;
/// for i in 0..3 {
///     let row = m.view_ref(s![i, 1..;2]).unwrap();
///     total += row.typed::<u8>().unwrap().iter().map(u64::from).sum::<u64>();
/// }
/// assert_eq!(total, (1 + 3) + (5 + 7) + (9 + 11));
/// // An owned view of a borrowed one outlives the borrow.
/// let last = m.view_ref(s![-1]).unwrap().into_view();
/// assert_eq!(last.to_bytes().unwrap(), [8, 9, 10, 11]);
/// ```
///
/// A borrowed view cannot outlive the view it borrows:
///
/// ```compile_fail
/// let data = [1u8, 2, 3];
/// let tail = {
///     let m = memview::MemoryView::from_bytes(&data);
///     m.slice_ref(1..).unwrap()
/// }; // `m` is dropped here while still borrowed
/// assert_eq!(tail.len(), 2);
/// ```
pub struct ViewRef<'v, 'a> {
    /// Holds a borrowed proof: never moved out, only lent as `&MemoryView`.
    view: MemoryView<'a>,
    /// The view whose holder `view`'s proof points to (or that view's own owner).
    _parent: PhantomData<&'v MemoryView<'a>>,
}

impl<'a> std::ops::Deref for ViewRef<'_, 'a> {
    type Target = MemoryView<'a>;

    #[inline]
    fn deref(&self) -> &MemoryView<'a> {
        &self.view
    }
}

impl std::fmt::Debug for ViewRef<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.view.fmt(f)
    }
}

impl std::fmt::Display for ViewRef<'_, '_> {
    /// As the view's (`<memory format=...>` and the items; see [`MemoryView`]'s `Display`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.view, f)
    }
}

/// `==` as for views: the same shape and equal items, whatever the formats' spellings.
///
/// ```
/// use memview::MemoryView;
/// let a = MemoryView::from_bytes(b"abab");
/// let b = MemoryView::from_bytes(b"ab");
/// assert_eq!(a.slice_ref(2..).unwrap(), b);
/// assert_eq!(b, a.slice_ref(..2).unwrap());
/// assert_eq!(a.slice_ref(..2).unwrap(), a.slice_ref(2..).unwrap());
/// ```
impl PartialEq for ViewRef<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.view == other.view
    }
}

impl PartialEq<MemoryView<'_>> for ViewRef<'_, '_> {
    fn eq(&self, other: &MemoryView<'_>) -> bool {
        self.view == *other
    }
}

impl PartialEq<ViewRef<'_, '_>> for MemoryView<'_> {
    fn eq(&self, other: &ViewRef<'_, '_>) -> bool {
        *self == other.view
    }
}

impl std::hash::Hash for ViewRef<'_, '_> {
    /// As the view's hash (equal views hash equally; see [`MemoryView`]'s).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.view.hash(state);
    }
}

impl<'a> ViewRef<'_, 'a> {
    /// An owned view of the same layout, format and flags, which outlives the borrow (it
    /// counts a reference to the exporter, as every owned view does).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcd");
    /// let tail = v.slice_ref(2..).unwrap().into_view();
    /// assert_eq!(tail.to_bytes().unwrap(), b"cd");
    /// ```
    pub fn into_view(self) -> MemoryView<'a> {
        self.view.clone()
    }
}

impl<'a> MemoryView<'a> {
    /// [`view`](Self::view) as a borrowed view: the same selection (NumPy's basic indexing
    /// with `s![]` keys, CPython's errors), held through this view rather than counted.
    ///
    /// ```
    /// use memview::{s, MemoryView};
    /// let v = MemoryView::from_bytes(b"abcdef");
    /// assert_eq!(v.view_ref(s![1..;2]).unwrap().to_bytes().unwrap(), b"bdf");
    /// assert!(v.view_ref(s![0]).is_err()); // an item, not a view
    /// ```
    pub fn view_ref(&self, key: impl Into<Key>) -> Result<ViewRef<'_, 'a>, ViewError> {
        // Made where the caller is and read by reference, as `view` does.
        self.view_ref_of(&key.into())
    }

    /// [`view_ref`](Self::view_ref) of a key made already.
    fn view_ref_of(&self, key: &Key) -> Result<ViewRef<'_, 'a>, ViewError> {
        self.selected_ref(self.selection(key)?)
    }

    /// A borrowed view of a selection of this view's items: what [`view_ref`](Self::view_ref)
    /// and [`slice_ref`](Self::slice_ref) make, and the crate's own views that live within
    /// one call (the target of a write, a key checked for its errors).
    #[inline]
    pub(crate) fn selected_ref(&self, sel: Select<'_>) -> Result<ViewRef<'_, 'a>, ViewError> {
        // SAFETY: the proof goes into the private field of a `ViewRef` that borrows `self`
        // (and so the view that holds the proof's owner) for as long as it lives; the view
        // holding it is lent out only by reference (see the module documentation).
        let proof = unsafe { self.live.view.borrowed() };
        Ok(ViewRef { view: self.selected_from(proof, sel)?, _parent: PhantomData })
    }

    /// [`slice`](Self::slice) as a borrowed view.
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abcdef");
    /// assert_eq!(v.slice_ref(..2).unwrap().to_bytes().unwrap(), b"ab");
    /// ```
    pub fn slice_ref(&self, slice: impl Into<Slice>) -> Result<ViewRef<'_, 'a>, ViewError> {
        self.selected_ref(self.slice_selection(slice.into())?)
    }
}

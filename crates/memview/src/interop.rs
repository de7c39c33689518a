//! Doors to other crates' types, each behind the Cargo feature of the same name: `ndarray`
//! (typed views as arrays, and back), with the one `unsafe` step of a zero-copy array view.

#[cfg(feature = "ndarray")]
mod arrays {
    use crate::{TypedView, ViewError};
    use buffer_protocol::Element;
    use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, ShapeBuilder};

    impl<'v, T: Element> TypedView<'v, '_, T> {
        /// The items as an owned `ndarray` array of the same shape (a copy, in C order): works
        /// for any layout.
        ///
        /// ```
        /// use memview::{s, MemoryView};
        /// let data: Vec<u16> = (0..6).collect();
        /// let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("H", &[2, 3]).unwrap();
        /// let cols = m.view(s![.., ..;-2]).unwrap();
        /// let a = cols.typed::<u16>().unwrap().to_ndarray().unwrap();
        /// assert_eq!(a, ndarray::arr2(&[[2u16, 0], [5, 3]]).into_dyn());
        /// ```
        pub fn to_ndarray(&self) -> Result<ArrayD<T>, ViewError> {
            let items = self.to_vec()?;
            // The shape's product is the item count, so this only fails if ndarray refuses the
            // shape's size.
            ArrayD::from_shape_vec(IxDyn(self.shape()), items)
                .map_err(|_| strided::LayoutError::Overflow("ndarray shape").into())
        }

        /// The items as an `ndarray` view, without a copy: for memory that is frozen (the
        /// exporter promises nobody writes it while it is lent: slices, `Vec`s, `Bytes`,
        /// ndarray arrays), direct, with items aligned for `T` and strides that are whole
        /// items (ndarray counts strides in items). Otherwise an error says why; use
        /// [`to_ndarray`](Self::to_ndarray) for the copy.
        ///
        /// An `ndarray` view hands out shared references (`&T`), which must not see writes:
        /// memory that other (writable) views or exporters may change is refused, whatever
        /// this view's own read-only flag.
        ///
        /// ```
        /// use memview::{s, MemoryView};
        /// let data: Vec<f64> = (0..12).map(f64::from).collect();
        /// let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("d", &[3, 4]).unwrap();
        /// let flipped = m.view(s![..;-1, 1..;2]).unwrap();
        /// let t = flipped.typed::<f64>().unwrap();
        /// let a = t.as_array_view().unwrap();
        /// assert_eq!(a, ndarray::arr2(&[[9.0, 11.0], [5.0, 7.0], [1.0, 3.0]]).into_dyn());
        /// let mut owned = [0u8; 4];
        /// let w = MemoryView::from_mut(&mut owned);
        /// assert!(w.typed::<u8>().unwrap().as_array_view().is_err()); // writable memory
        /// ```
        pub fn as_array_view(&self) -> Result<ArrayViewD<'v, T>, ViewError> {
            if !self.view.exporter().frozen() {
                return Err(ViewError::NotImplemented(
                    "an ndarray view needs frozen memory (others may write this memory); use to_ndarray",
                ));
            }
            let size = std::mem::size_of::<T>() as isize;
            let l = &self.layout;
            let mut strides = Vec::with_capacity(l.ndim());
            for &s in l.strides() {
                if s % size != 0 {
                    return Err(ViewError::NotImplemented("strides that are not whole items; use to_ndarray"));
                }
                strides.push(s / size);
            }
            let empty = l.shape().contains(&0);
            // The lowest item: ndarray is given positive strides from there, then the axes
            // with negative strides are inverted.
            let low: isize = if empty {
                0
            } else {
                l.shape().iter().zip(&strides).map(|(&n, &s)| if s < 0 { (n as isize - 1) * s } else { 0 }).sum()
            };
            let base = self.region.addr(l.offset()).wrapping_offset(low * size);
            if !base.cast::<T>().is_aligned() {
                return Err(ViewError::NotImplemented("items not aligned for the type; use to_ndarray"));
            }
            let positive: Vec<usize> = strides.iter().map(|s| s.unsigned_abs()).collect();
            let shape = IxDyn(l.shape()).strides(IxDyn(&positive));
            // SAFETY: the layout was proven against the live acquisition, so every item it
            // reaches (with these strides, from the lowest item `base`) lies in the region,
            // initialised and valid for `T` (`Element`: any bits); `base` is aligned and every
            // stride is a whole number of items, so every item is aligned; the exporter says
            // the memory is frozen for as long as it is lent, and the acquisition outlives
            // `'v` (held by the view borrowed for `'v`), so no write happens while the array
            // view lives; strides are non-negative here (negative ones are inverted below).
            let mut a = unsafe { ArrayViewD::from_shape_ptr(shape, base.cast::<T>().cast_const()) };
            for (d, &s) in strides.iter().enumerate() {
                if s < 0 {
                    a.invert_axis(Axis(d));
                }
            }
            Ok(a)
        }
    }
}

//! Doors to other crates' types, each behind the Cargo feature of the same name: `ndarray`
//! (typed views as arrays, and back), with the one `unsafe` step of a zero-copy array view;
//! `arrow` (typed views as Arrow buffers).

#[cfg(feature = "arrow")]
mod arrow {
    use crate::{TypedView, ViewError};
    use arrow_buffer::{ArrowNativeType, ScalarBuffer};
    use buffer_protocol::Element;

    impl<T: Element + ArrowNativeType> TypedView<'_, '_, T> {
        /// The items, in C order, as an Arrow buffer: one copy of the bytes for a contiguous
        /// view, a gather for a strided one (Arrow has no strides). Always a copy: an Arrow
        /// buffer may be shared with other threads, and a view's memory is lent to one. The
        /// other way, an Arrow `Buffer` or `ScalarBuffer` is an exporter, viewed without a copy.
        ///
        /// ```
        /// use memview::{s, MemoryView};
        /// let arrow = arrow_buffer::ScalarBuffer::<i32>::from(vec![1, 2, 3, 4]);
        /// let m = MemoryView::new(arrow.clone()).unwrap();          // Arrow -> view: no copy
        /// let odd = m.view(s![1..;2]).unwrap();
        /// let back = odd.typed::<i32>().unwrap().to_arrow().unwrap(); // view -> Arrow: a gather
        /// assert_eq!(&back[..], &[2, 4]);
        /// ```
        pub fn to_arrow(&self) -> Result<ScalarBuffer<T>, ViewError> {
            Ok(ScalarBuffer::from(self.to_vec()?))
        }
    }
}

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

#[cfg(feature = "dlpack")]
mod dlpack {
    use crate::{TypedView, ViewError};
    use buffer_protocol::dlpack::{
        dtype_of, DLDevice, DLManagedTensorVersioned, DLPackVersion, DLTensor, DLPACK_FLAG_READ_ONLY, DL_CPU,
    };
    use buffer_protocol::Element;
    use std::marker::PhantomData;
    use std::ptr::NonNull;

    /// A typed view exported as a DLPack tensor (`DLManagedTensorVersioned`), without a copy:
    /// strides in items, the read-only flag set for read-only views. The tensor points into
    /// the view's memory and into this value (shape and strides, held behind raw pointers so
    /// that moving this value moves no pointee): hand [`as_mut_ptr`](Self::as_mut_ptr) to a
    /// consumer that is done with it before this value drops (its deleter does nothing;
    /// dropping this value ends the export).
    #[derive(Debug)]
    pub struct DlpackExport<'v> {
        managed: NonNull<DLManagedTensorVersioned>,
        dims: NonNull<[i64]>,
        _view: PhantomData<&'v ()>,
    }

    impl DlpackExport<'_> {
        /// The managed tensor, for a DLPack consumer.
        ///
        /// ```
        /// let data = [1u8, 2, 3];
        /// let m = memview::MemoryView::new(&data[..]).unwrap();
        /// let t = m.typed::<u8>().unwrap();
        /// let mut export = t.to_dlpack().unwrap();
        /// let ptr = export.as_mut_ptr();
        /// assert!(!ptr.is_null());
        /// ```
        pub fn as_mut_ptr(&mut self) -> *mut DLManagedTensorVersioned {
            self.managed.as_ptr()
        }

        /// The tensor's description.
        ///
        /// ```
        /// let data = [1.0f64; 6];
        /// let m = memview::MemoryView::new(&data[..]).unwrap().cast("B").unwrap().cast_shape("d", &[2, 3]).unwrap();
        /// let t = m.typed::<f64>().unwrap();
        /// let export = t.to_dlpack().unwrap();
        /// assert_eq!((export.tensor().ndim, export.tensor().dtype.bits), (2, 64));
        /// ```
        pub fn tensor(&self) -> &DLTensor {
            // SAFETY: `managed` came from `Box::into_raw` and is freed only in `drop`; a
            // consumer writing it breaks the export's contract.
            unsafe { &(*self.managed.as_ptr()).dl_tensor }
        }
    }

    impl Drop for DlpackExport<'_> {
        fn drop(&mut self) {
            // SAFETY: both came from `Box::into_raw` in `to_dlpack` and are freed once, here.
            drop(unsafe { Box::from_raw(self.managed.as_ptr()) });
            // SAFETY: as above.
            drop(unsafe { Box::from_raw(self.dims.as_ptr()) });
        }
    }

    impl<'v, T: Element> TypedView<'v, '_, T> {
        /// The view as a DLPack tensor (native item types, direct layouts, strides that are
        /// whole items), pointing at this view's memory: no copy.
        ///
        /// ```
        /// use memview::{s, MemoryView};
        /// let data: Vec<f32> = (0..6).map(|i| i as f32).collect();
        /// let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("f", &[2, 3]).unwrap();
        /// let cols = m.view(s![.., ..;-2]).unwrap();
        /// let t = cols.typed::<f32>().unwrap();
        /// let export = t.to_dlpack().unwrap();
        /// let d = export.tensor();
        /// assert_eq!((d.ndim, d.dtype.code, d.dtype.bits), (2, 2, 32));
        /// ```
        pub fn to_dlpack(&self) -> Result<DlpackExport<'v>, ViewError> {
            let dtype = dtype_of(self.view.format())
                .ok_or_else(|| ViewError::UnsupportedFormat(self.view.format().to_owned()))?;
            let l = &self.layout;
            let size = std::mem::size_of::<T>() as isize;
            let mut dims: Vec<i64> = l.shape().iter().map(|&n| n as i64).collect();
            for &s in l.strides() {
                if s % size != 0 {
                    return Err(ViewError::NotImplemented("DLPack strides count whole items: copy first"));
                }
                dims.push((s / size) as i64);
            }
            let dims = NonNull::from(Box::leak(dims.into_boxed_slice()));
            let ndim = l.ndim();
            let shape = dims.as_ptr().cast::<i64>();
            let strides = shape.wrapping_add(ndim);
            let data = self.region.addr(l.offset()).cast::<std::ffi::c_void>();
            let managed = NonNull::from(Box::leak(Box::new(DLManagedTensorVersioned {
                version: DLPackVersion { major: 1, minor: 1 },
                manager_ctx: std::ptr::null_mut(),
                deleter: None,
                flags: if self.view.readonly() { DLPACK_FLAG_READ_ONLY } else { 0 },
                dl_tensor: DLTensor {
                    data,
                    device: DLDevice { device_type: DL_CPU, device_id: 0 },
                    ndim: ndim as i32,
                    dtype,
                    shape,
                    strides,
                    byte_offset: 0,
                },
            })));
            Ok(DlpackExport { managed, dims, _view: PhantomData })
        }
    }
}

#[cfg(feature = "dlpack")]
pub use self::dlpack::DlpackExport;

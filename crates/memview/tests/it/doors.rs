//! The optional doors (features `ndarray`, `bytes`, `half`, `serde`, `memmap2`): what crosses
//! without a copy, and that it is the same data.

#[cfg(feature = "ndarray")]
mod arrays {
    use memview::MemoryView;
    use ndarray::{s, Array3};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 300 }))]

        /// Any ndarray array (sliced, negative steps, Fortran order, permuted) exports its
        /// layout as is, and the typed view comes back as the same array without a copy.
        #[test]
        fn arrays_cross_both_ways(
            dims in prop::collection::vec(1usize..5, 3),
            steps in prop::collection::vec(prop::sample::select(vec![1isize, 2, -1, -2]), 3),
            fortran in any::<bool>(),
            swap in 0usize..3,
        ) {
            let n: usize = dims.iter().product();
            let base = Array3::from_shape_vec((dims[0], dims[1], dims[2]), (0..n as i32).collect()).unwrap();
            let base = if fortran { base.reversed_axes().as_standard_layout().reversed_axes().to_owned() } else { base };
            let mut v = base.slice(s![..;steps[0], ..;steps[1], ..;steps[2]]);
            v.swap_axes(swap, (swap + 1) % 3);
            let m = MemoryView::new(v.view()).unwrap();
            prop_assert_eq!(m.format(), "i");
            prop_assert_eq!(m.shape(), v.shape());
            let expect: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
            prop_assert_eq!(m.to_bytes().unwrap(), expect);
            let t = m.typed::<i32>().unwrap();
            let back = t.as_array_view().unwrap();
            prop_assert_eq!(&back, &v.into_dyn());
            prop_assert_eq!(back.as_ptr(), v.as_ptr(), "no copy");
            prop_assert_eq!(t.to_ndarray().unwrap(), back.to_owned());
        }
    }

    #[test]
    fn unaligned_or_partial_strides_are_refused_with_a_copy_offered() {
        // Items one byte past a 4-aligned block: never aligned for `i32`.
        let words = [0x0403_0201u32; 5];
        let bytes = MemoryView::new(&words[..]).unwrap().cast("B").unwrap();
        let m = bytes.slice(1..17).unwrap().cast("i").unwrap();
        let t = m.typed::<i32>().unwrap();
        assert!(t.as_array_view().is_err());
        assert_eq!(t.to_ndarray().unwrap().len(), 4);
        // Strides that are not whole items are refused too.
        let pairs = MemoryView::new(&words[..]).unwrap().cast("B").unwrap().cast_shape("B", &[4, 5]).unwrap();
        let column = pairs.view(memview::s![.., 1]).unwrap();
        assert!(column.typed::<u8>().unwrap().as_array_view().is_ok(), "u8 strides are whole items");
        let h = MemoryView::new(&words[..]).unwrap().cast("B").unwrap().slice(..18).unwrap().cast("h").unwrap();
        let odd = h.view(memview::s![..;3]).unwrap();
        assert!(odd.typed::<i16>().unwrap().as_array_view().is_ok(), "6-byte strides are 3 items");
    }
}

#[cfg(feature = "bytes")]
#[test]
fn bytes_are_exporters() {
    let b = bytes::Bytes::from_static(b"network");
    let m = memview::MemoryView::new(b.clone()).unwrap();
    assert_eq!((m.format(), m.readonly()), ("B", true));
    assert_eq!(m.slice(3..).unwrap().to_bytes().unwrap(), b"work");
    let mut bm = bytes::BytesMut::from(&b"abc"[..]);
    {
        let w = memview::MemoryView::from_mut(&mut bm[..]);
        w.set(0, b'x').unwrap();
    }
    assert_eq!(&bm[..], b"xbc");
}

#[cfg(feature = "half")]
#[test]
fn half_items_are_typed() {
    use half::f16;
    let data = [f16::from_f32(1.5), f16::from_f32(-2.0)];
    let m = memview::MemoryView::new(&data[..]).unwrap();
    assert_eq!(m.format(), "e");
    assert_eq!(m.to_list().unwrap().to_string(), "[1.5, -2.0]");
    assert_eq!(m.typed::<f16>().unwrap().get([1]).unwrap(), f16::from_f32(-2.0));
}

#[cfg(feature = "serde")]
#[test]
fn layouts_values_and_descriptors_serialize() {
    use memview::{Flags, StridedLayout, Value};
    let l = StridedLayout::new(4, &[2, 3], &[12, -4], 8).unwrap();
    let json = serde_json::to_string(&l).unwrap();
    assert_eq!(json, r#"{"itemsize":4,"shape":[2,3],"strides":[12,-4],"offset":8}"#);
    assert_eq!(serde_json::from_str::<StridedLayout>(&json).unwrap(), l);
    // Reading checks as building does.
    assert!(serde_json::from_str::<StridedLayout>(r#"{"itemsize":0,"shape":[1],"strides":[1],"offset":0}"#).is_err());
    let v = Value::List(vec![1.into(), Value::Float(0.5)].into());
    assert_eq!(serde_json::from_str::<Value>(&serde_json::to_string(&v).unwrap()).unwrap(), v);
    assert_eq!(serde_json::to_string(&Flags::FULL_RO).unwrap(), Flags::FULL_RO.bits().to_string());
    let m = memview::MemoryView::from_bytes(b"ab");
    let info = serde_json::to_value(m.buffer_info().unwrap()).unwrap();
    assert_eq!(info["format"], "B");
}

#[cfg(feature = "dlpack")]
mod dlpack {
    use memview::dlpack::{DLDataType, DLDevice, DLManagedTensorVersioned, DLPackVersion, DLTensor, DlpackTensor};
    use memview::{s, MemoryView};
    use std::ptr::NonNull;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn views_cross_as_dlpack_tensors_and_back() {
        let data: Vec<i16> = (0..24).collect();
        let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("h", &[2, 3, 4]).unwrap();
        let v = m.view(s![..;-1, 1.., ..;2]).unwrap();
        let t = v.typed::<i16>().unwrap();
        let mut export = t.to_dlpack().unwrap();
        assert_eq!(export.tensor().ndim, 3);
        // SAFETY: the export (and the data it points into) outlives the imported tensor, whose
        // deleter is null: dropping it frees nothing.
        let tensor = unsafe { DlpackTensor::from_raw(NonNull::new(export.as_mut_ptr()).unwrap()) }.unwrap();
        let back = MemoryView::new(&tensor).unwrap();
        assert_eq!((back.format(), back.shape(), back.readonly()), ("h", v.shape(), true));
        assert_eq!(back.to_bytes().unwrap(), v.to_bytes().unwrap());
        drop(back);
        drop(tensor);
        drop(export);
    }

    static DELETED: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn count(_: *mut DLManagedTensorVersioned) {
        DELETED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_producers_tensor_is_deleted_once_accepted_or_not() {
        let mut values = [1.5f64, 2.5, 3.5];
        let mut shape = [3i64];
        let make = |device_type: i32, values: &mut [f64; 3], shape: &mut [i64; 1]| DLManagedTensorVersioned {
            version: DLPackVersion { major: 1, minor: 0 },
            manager_ctx: std::ptr::null_mut(),
            deleter: Some(count),
            flags: 0,
            dl_tensor: DLTensor {
                data: values.as_mut_ptr().cast(),
                device: DLDevice { device_type, device_id: 0 },
                ndim: 1,
                dtype: DLDataType { code: 2, bits: 64, lanes: 1 },
                shape: shape.as_mut_ptr(),
                strides: std::ptr::null_mut(),
                byte_offset: 0,
            },
        };
        let before = DELETED.load(Ordering::SeqCst);
        let mut cpu = make(1, &mut values, &mut shape);
        {
            // SAFETY: `cpu` and what it points to outlive the import, used by nothing else.
            let t = unsafe { DlpackTensor::from_raw(NonNull::from(&mut cpu)) }.unwrap();
            let m = MemoryView::new(&t).unwrap();
            assert_eq!(m.to_list().unwrap().to_string(), "[1.5, 2.5, 3.5]");
            assert!(!m.readonly());
            m.set(0, 9.0).unwrap();
        }
        assert_eq!(values[0], 9.0);
        assert_eq!(DELETED.load(Ordering::SeqCst), before + 1);
        let mut gpu = make(2, &mut values, &mut shape);
        // SAFETY: as above.
        assert!(unsafe { DlpackTensor::from_raw(NonNull::from(&mut gpu)) }.is_err());
        assert_eq!(DELETED.load(Ordering::SeqCst), before + 2, "refused tensors are deleted too");
    }
}

//! The exporters of Rust memory, and export counting.

use buffer_protocol::{get_buffer, Access, BufferError, ByteArray, Element, Exporter, Flags, MutSlice, RawMemory};

#[test]
fn typed_slices_export_their_format() {
    fn check<T: Element + Default>(fmt: &str) {
        let data = vec![T::default(); 3];
        let info = data.get_buffer(Flags::RECORDS_RO).unwrap();
        assert_eq!(info.format(), Some(fmt));
        assert_eq!(info.itemsize(), format_codec::calcsize(fmt).unwrap());
        assert_eq!(info.itemsize(), std::mem::size_of::<T>());
        assert!(info.readonly());
    }
    check::<u8>("B");
    check::<i8>("b");
    check::<u16>("H");
    check::<i16>("h");
    check::<u32>("I");
    check::<i32>("i");
    check::<u64>("Q");
    check::<i64>("q");
    check::<usize>("N");
    check::<isize>("n");
    check::<f32>("f");
    check::<f64>("d");
}

#[test]
fn arrays_and_boxes_export_read_only() {
    let a = [1u8, 2, 3];
    assert!(a.get_buffer(Flags::WRITABLE).is_err());
    let b: Box<[u16]> = vec![1, 2].into_boxed_slice();
    assert_eq!(b.get_buffer(Flags::ND).unwrap().shape(), Some(&[2][..]));
}

#[test]
fn mutable_slices_export_writable() {
    let mut data = [0u8; 4];
    let e = MutSlice::new(&mut data);
    let info = e.get_buffer(Flags::CONTIG).unwrap();
    assert!(!info.readonly());
    assert_eq!(info.len(), 4);
}

#[test]
fn raw_memory_honours_access() {
    let mut data = [0u8; 4];
    // SAFETY: `data` outlives both exporters and is not used meanwhile.
    let ro = unsafe { RawMemory::new(data.as_mut_ptr(), 4, Access::Read) };
    assert_eq!(ro.get_buffer(Flags::WRITABLE).unwrap_err(), BufferError::NotWritable);
    // SAFETY: as above.
    let rw = unsafe { RawMemory::new(data.as_mut_ptr(), 4, Access::Write) };
    assert!(rw.get_buffer(Flags::WRITABLE).is_ok());
    // SAFETY: a null pointer with length 0 is allowed.
    let empty = unsafe { RawMemory::new(std::ptr::null_mut(), 0, Access::Read) };
    assert_eq!(empty.get_buffer(Flags::SIMPLE).unwrap().len(), 0);
}

#[test]
fn byte_array_counts_exports_and_refuses_to_resize() {
    let ba = ByteArray::from(vec![1, 2, 3]);
    let a = get_buffer(&ba, Flags::WRITABLE).unwrap();
    let b = get_buffer(&ba, Flags::SIMPLE).unwrap();
    assert_eq!(ba.exports(), 2);
    assert_eq!(ba.resize(0, 0), Err(BufferError::Exported));
    drop(a);
    assert_eq!(ba.resize(0, 0), Err(BufferError::Exported));
    drop(b);
    assert_eq!(ba.exports(), 0);
    ba.resize(5, 9).unwrap();
    assert_eq!(ba.to_vec(), [1, 2, 3, 9, 9]);
    // A failed request counts nothing.
    let ro = ByteArray::new();
    assert!(get_buffer(&ro, Flags::F_CONTIGUOUS).is_ok());
    assert_eq!(ro.exports(), 0);
}

#[test]
fn descriptors_hide_what_was_not_requested() {
    let data = [1u32, 2];
    let info = data.get_buffer(Flags::SIMPLE).unwrap();
    assert_eq!((info.format(), info.shape(), info.strides(), info.ndim()), (None, None, None, 1));
    assert_eq!(info.exporter_format(), "I");
    let info = data.get_buffer(Flags::ND).unwrap();
    assert_eq!((info.shape(), info.strides()), (Some(&[2][..]), None));
}

#[test]
fn shared_owners_export_read_only() {
    let arc: std::sync::Arc<[f64]> = vec![1.0, 2.0].into();
    let info = arc.get_buffer(Flags::RECORDS_RO).unwrap();
    assert_eq!((info.format(), info.len()), (Some("d"), 16));
    assert!(arc.get_buffer(Flags::WRITABLE).is_err());
    let rc: std::rc::Rc<[u8]> = vec![1].into();
    assert_eq!(rc.get_buffer(Flags::SIMPLE).unwrap().len(), 1);
}

//! Every exporter, by value and by reference, through a view and its derived views: run
//! under Miri by `cargo xtask miri`, which checks that no descriptor outlives or outruns its
//! memory.

use memview::{Access, ByteArray, Exporter, Flags, MemoryView, MutSlice, NdArray, RawMemory, Slice};

fn exercise(v: MemoryView<'_>) -> Vec<u8> {
    let tail = v.slice(Slice::new(Some(1), None, None)).unwrap();
    let copy = tail.clone();
    drop(v);
    let _ = copy.to_list().unwrap();
    tail.to_bytes().unwrap()
}

#[test]
fn owned_exporters() {
    assert_eq!(exercise(MemoryView::new(vec![1u8, 2, 3]).unwrap()), [2, 3]);
    assert_eq!(exercise(MemoryView::new(vec![1u8, 2, 3].into_boxed_slice()).unwrap()), [2, 3]);
    let arc: std::sync::Arc<[u8]> = vec![1, 2, 3].into();
    assert_eq!(exercise(MemoryView::new(arc).unwrap()), [2, 3]);
    let rc: std::rc::Rc<[u8]> = vec![1, 2, 3].into();
    assert_eq!(exercise(MemoryView::new(rc).unwrap()), [2, 3]);
    assert_eq!(exercise(MemoryView::new([1u8, 2, 3]).unwrap()), [2, 3]);
    assert_eq!(exercise(MemoryView::new(ByteArray::from(vec![1, 2, 3])).unwrap()), [2, 3]);
    let nd = NdArray::new(vec![3, 2, 1], "B", 1, &[3], &[-1], 2, false).unwrap();
    assert_eq!(exercise(MemoryView::new(nd).unwrap()), [2, 3]);
    let pil = NdArray::new(vec![1, 2, 3, 4], "B", 1, &[2, 2], &[2, 1], 0, false).unwrap().into_pil().unwrap();
    let v = MemoryView::new(pil).unwrap();
    let row = v.slice(Slice::new(Some(1), None, None)).unwrap();
    drop(v);
    assert_eq!(row.to_bytes().unwrap(), [3, 4]);
}

#[test]
fn borrowed_exporters() {
    let data = [1u8, 2, 3];
    assert_eq!(exercise(MemoryView::new(&data[..]).unwrap()), [2, 3]);
    let mut buf = [1u8, 2, 3];
    {
        let v = MemoryView::new(MutSlice::new(&mut buf)).unwrap();
        v.set(0, 9).unwrap();
        assert_eq!(exercise(v), [2, 3]);
    }
    assert_eq!(buf, [9, 2, 3]);
    let mut raw = [1u8, 2, 3];
    // SAFETY: `raw` outlives the view and is not used while it lives.
    let r = unsafe { RawMemory::new(raw.as_mut_ptr(), 3, Access::Write) };
    assert_eq!(exercise(MemoryView::new(r).unwrap()), [2, 3]);
}

#[test]
fn views_export_views() {
    let base = MemoryView::from_vec(vec![1, 2, 3, 4]);
    {
        let inner = MemoryView::new(&base).unwrap();
        inner.set(0, 7).unwrap();
        assert_eq!(exercise(inner), [2, 3, 4]);
    }
    let info = base.get_buffer(Flags::FULL_RO).unwrap();
    // SAFETY: `base` keeps the memory alive for as long as this view is used below.
    let again = unsafe { MemoryView::from_buffer(info.clone()) }.unwrap();
    assert_eq!(again.to_bytes().unwrap(), [7, 2, 3, 4]);
    drop(again);
    // SAFETY: `info` came from `base.get_buffer`; the view made of it is gone.
    unsafe { base.release_buffer(&info) };
}

//! Hard question 1: overlapping writable views. Run under Miri by `cargo xtask miri`.

use memview::{ByteArray, Key, MemoryView, Slice};

#[test]
fn two_overlapping_writable_views_both_write() {
    let mut data = [0u8; 8];
    {
        let m = MemoryView::from_mut(&mut data);
        let evens = m.slice(Slice::new(None, None, Some(2))).unwrap();
        let tail = m.slice(Slice::new(Some(4), None, None)).unwrap();
        evens.set(2, 1).unwrap(); // byte 4
        tail.set(0, 2).unwrap(); // byte 4 again
        tail.set(1, 3).unwrap(); // byte 5
        assert_eq!(evens.get([2]).unwrap(), 2.into());
        m.set(7, 9).unwrap();
        assert_eq!(tail.to_bytes().unwrap(), [2, 3, 0, 9]);
    }
    assert_eq!(data, [0, 0, 0, 0, 2, 3, 0, 9]);
}

#[test]
fn overlapping_slice_assignment_is_atomic() {
    let ba = ByteArray::from(b"abcdef".to_vec());
    {
        let m = MemoryView::new(&ba).unwrap();
        let head = m.slice(Slice::new(None, Some(-1), None)).unwrap();
        m.assign(1.., &head).unwrap(); // m[1:] = m[:-1]
        let rev = m.slice(Slice::new(None, None, Some(-1))).unwrap();
        m.assign(Key::one(Slice::full()), &rev).unwrap(); // m[:] = m[::-1]
    }
    assert_eq!(ba.to_vec(), b"edcbaa");
}

#[test]
fn typed_and_untyped_views_share_memory() {
    let mut data = [0u32; 4];
    {
        let m = MemoryView::from_mut_slice(&mut data);
        let bytes = m.cast("B").unwrap();
        let t = m.typed::<u32>().unwrap();
        // Item 1's bytes, in this machine's byte order (the test also runs big-endian).
        for (k, b) in 0xffu32.to_ne_bytes().into_iter().enumerate() {
            bytes.set(4 + k as isize, b).unwrap();
        }
        t.set([2], 7).unwrap();
        assert_eq!(t.get([1]).unwrap(), 0xff);
        let low = if cfg!(target_endian = "little") { 8 } else { 11 };
        assert_eq!(bytes.get([low]).unwrap(), 7.into());
    }
    assert_eq!(data, [0, 0xff, 7, 0]);
}

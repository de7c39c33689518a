//! Hard question 3: one acquisition shared by derived views, released exactly once; release,
//! exports and resizing.

use memview::{BufferInfo, ByteArray, Exporter, Flags, MemoryView, Slice};
use std::cell::Cell;

/// An exporter that counts its acquisitions and releases.
struct Counting<'a> {
    data: Vec<u8>,
    gets: &'a Cell<usize>,
    releases: &'a Cell<usize>,
}

// SAFETY: forwards to the read-only `Vec` export; `data` is never changed.
unsafe impl Exporter for Counting<'_> {
    fn get_buffer(&self, flags: Flags) -> Result<BufferInfo, memview::buffer_error::BufferError> {
        self.gets.set(self.gets.get() + 1);
        self.data.get_buffer(flags)
    }
    unsafe fn release_buffer(&self, _info: &BufferInfo) {
        self.releases.set(self.releases.get() + 1);
    }
}

#[test]
fn one_acquisition_released_once_by_the_last_view() {
    let (gets, releases) = (Cell::new(0), Cell::new(0));
    let m = MemoryView::new(Counting { data: (0..8).collect(), gets: &gets, releases: &releases }).unwrap();
    let a = m.slice(Slice::new(Some(2), None, None)).unwrap();
    let b = a.cast("B").unwrap().to_readonly();
    let c = b.clone();
    drop(m);
    drop(a);
    b.release().unwrap();
    assert_eq!((gets.get(), releases.get()), (1, 0), "c still holds the acquisition");
    assert_eq!(c.to_bytes().unwrap(), [2, 3, 4, 5, 6, 7]);
    drop(c);
    assert_eq!((gets.get(), releases.get()), (1, 1));
}

#[test]
fn release_refuses_while_exported_and_hands_the_view_back() {
    let m = MemoryView::from_bytes(b"abc");
    let info = m.get_buffer(Flags::SIMPLE).unwrap();
    let probe = m.clone();
    probe.release().unwrap(); // another view: not exported
    let err = m.release().unwrap_err();
    assert_eq!((err.exports(), err.to_string().as_str()), (1, "memoryview has 1 exported buffer"));
    let m = err.into_view();
    assert_eq!(m.to_bytes().unwrap(), b"abc", "a refused release leaves the view alive");
    // SAFETY: `info` came from `m.get_buffer` and is not used again.
    unsafe { m.release_buffer(&info) };
    m.release().unwrap();
}

#[test]
fn byte_array_cannot_resize_under_a_view() {
    let ba = ByteArray::from(vec![0; 4]);
    let m = MemoryView::new(&ba).unwrap();
    let s = m.slice(Slice::new(Some(1), None, None)).unwrap();
    drop(m);
    assert!(ba.resize(100, 0).is_err(), "a derived view keeps the export alive");
    drop(s);
    ba.resize(100, 0).unwrap();
}

#[test]
fn owned_exporters_do_not_move_after_exporting() {
    // An array moved into the view must be put in place before its buffer is taken.
    let v = MemoryView::new([1u8, 2, 3]).unwrap();
    let w = v.slice(Slice::new(Some(1), None, None)).unwrap();
    drop(v);
    assert_eq!(w.to_bytes().unwrap(), [2, 3]);
    let b: Box<[u16]> = vec![7, 8].into_boxed_slice();
    let v = MemoryView::new(b).unwrap();
    assert_eq!(v.to_list().unwrap().to_string(), "[7, 8]");
}

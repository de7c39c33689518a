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

#[test]
fn lent_views_answer_as_acquired_views_do() {
    // `from_bytes`, `from_slice`, `from_mut_slice` and `from_raw_parts` hold no acquisition:
    // each view must still answer every question as `MemoryView::new` of the same exporter.
    let floats = [1.5f64, -2.0, 4.0];
    let lent = MemoryView::from_slice(&floats);
    let acquired = MemoryView::new(&floats[..]).unwrap();
    for v in [&lent, &acquired] {
        assert_eq!((v.format(), v.itemsize(), v.shape(), v.strides()), ("d", 8, &[3][..], &[8][..]));
        assert!(v.readonly());
        assert_eq!(v.to_list().unwrap(), acquired.to_list().unwrap());
    }
    // The exporter (`obj`) of a lent view re-exports the whole run, whatever the view shows.
    let tail = lent.view(memview::s![1..]).unwrap().cast("B").unwrap();
    let again = tail.exporter().get_buffer(Flags::FULL_RO).unwrap();
    assert_eq!((again.len(), again.format(), again.readonly()), (24, Some("d"), true));
    assert!(tail.exporter().get_buffer(Flags::WRITABLE).is_err());
    assert!(tail.exporter().frozen(), "a shared borrow is frozen");
    // A view of a lent view is a consumer like any other: its exports are counted.
    let info = tail.get_buffer(Flags::SIMPLE).unwrap();
    let tail = tail.release().unwrap_err().into_view();
    // SAFETY: `info` came from `tail.get_buffer`, released once.
    unsafe { tail.release_buffer(&info) };
    assert!(tail.release().is_ok());

    let mut words = [1u16, 2, 3, 4];
    {
        let w = MemoryView::from_mut_slice(&mut words);
        assert!(!w.readonly() && !w.exporter().frozen());
        let odd = w.view(memview::s![1..;2]).unwrap();
        odd.set(1, 40u16).unwrap();
        let mut bytes = w.cast("B").unwrap();
        bytes = bytes.view(memview::s![..2]).unwrap();
        bytes.set(0, 9u8).unwrap();
        assert!(w.exporter().get_buffer(Flags::WRITABLE).is_ok());
    }
    // Byte 0 of the first word became 9; its other byte is the 1's, in native order.
    let mut first = 1u16.to_ne_bytes();
    first[0] = 9;
    assert_eq!(words, [u16::from_ne_bytes(first), 2, 3, 40]);

    let mut raw = *b"abcd";
    // SAFETY: `raw` outlives the view and is used only through it meanwhile.
    let r = unsafe { MemoryView::from_raw_parts(raw.as_mut_ptr(), 2, 2, "<H", memview::Access::Read) }.unwrap();
    assert_eq!((r.format(), r.shape(), r.readonly()), ("<H", &[2][..], true));
    assert!(!r.exporter().frozen(), "raw memory promises no freezing");
    assert_eq!(r.get(1).unwrap(), memview::Value::from(u16::from_le_bytes(*b"cd")));
    assert!(r.set(0, 1u16).is_err());
    // SAFETY: as above; the items' size is checked, not their count.
    let zero = unsafe { MemoryView::from_raw_parts(raw.as_mut_ptr(), 1, 0, "B", memview::Access::Read) };
    assert!(zero.is_err(), "an item size of 0");
    // SAFETY: more than `isize::MAX` bytes are refused before anything is read.
    let huge = unsafe { MemoryView::from_raw_parts(raw.as_mut_ptr(), usize::MAX / 2, 4, "i", memview::Access::Read) };
    assert!(huge.is_err(), "a run beyond isize::MAX bytes");
    // SAFETY: a null pointer with no items.
    let empty = unsafe { MemoryView::from_raw_parts(std::ptr::null_mut(), 0, 8, "d", memview::Access::Write) }.unwrap();
    assert_eq!((empty.len(), empty.to_bytes().unwrap()), (0, vec![]));
}

/// An owner for `from_owner_raw_parts` that counts its drops.
struct Dropped<'c> {
    words: Vec<u32>,
    drops: &'c Cell<usize>,
}

impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

#[test]
fn kept_runs_drop_their_owner_with_the_last_view() {
    let drops = Cell::new(0);
    let mut owner = Dropped { words: vec![1, 2, 3, 4], drops: &drops };
    let ptr = owner.words.as_mut_ptr().cast::<u8>();
    // SAFETY: the words live in the `Vec`'s heap block, which moving the owner does not
    // move; nothing else touches them while the views live.
    let v = unsafe { MemoryView::from_owner_raw_parts(owner, ptr, 4, 4, "I", memview::Access::Write) }.unwrap();
    assert_eq!((v.format(), v.shape(), v.strides(), v.readonly()), ("I", &[4][..], &[4][..], false));
    let odd = v.view(memview::s![1..;2]).unwrap();
    let bytes = v.cast("B").unwrap();
    let copy = odd.clone();
    drop(v);
    odd.set(0, 20u32).unwrap();
    assert_eq!(copy.to_list().unwrap().to_string(), "[20, 4]");
    // The exporter re-exports the whole run, writable, and is not frozen.
    let again = bytes.exporter().get_buffer(Flags::FULL).unwrap();
    assert_eq!((again.len(), again.format(), again.readonly()), (16, Some("I"), false));
    assert!(!bytes.exporter().frozen());
    for (n, view) in [odd, copy, bytes].into_iter().enumerate() {
        assert_eq!(drops.get(), 0, "dropped while {} views live", 3 - n);
        drop(view);
    }
    assert_eq!(drops.get(), 1, "dropped once, with the last view");

    // A refused run drops its owner before the error comes back.
    let owner = Dropped { words: vec![], drops: &drops };
    // SAFETY: no items are read; the item size of 0 is refused.
    let refused =
        unsafe { MemoryView::from_owner_raw_parts(owner, std::ptr::null_mut(), 0, 0, "B", memview::Access::Read) };
    assert!(refused.is_err());
    assert_eq!(drops.get(), 2);
}

/// A block for `from_counted_raw_parts`: the head first, then the owner; freed from a `Box`.
#[repr(C)]
struct CountedBlock<'c> {
    head: memview::CountedHead,
    owner: Dropped<'c>,
}

/// The block's `free`: gives the `Box` back.
unsafe fn free_counted(head: std::ptr::NonNull<memview::CountedHead>) {
    // SAFETY: the views' promise: `head` is the pointer `Box::leak` gave for a
    // `CountedBlock` (whose first field is the head), called once, with no view left.
    drop(unsafe { Box::from_raw(head.cast::<CountedBlock<'_>>().as_ptr()) });
}

/// A counted block for `words`, and the pointer to their first byte.
fn counted_block(words: Vec<u32>, drops: &Cell<usize>) -> (std::ptr::NonNull<memview::CountedHead>, *mut u8) {
    let block =
        Box::new(CountedBlock { head: memview::CountedHead::new(free_counted), owner: Dropped { words, drops } });
    let block = std::ptr::NonNull::from(Box::leak(block));
    // SAFETY: the block is live (just leaked); the pointer is into the `Vec`'s own heap
    // block, which does not move while the block lives.
    let ptr = unsafe { (*block.as_ptr()).owner.words.as_mut_ptr().cast::<u8>() };
    (block.cast(), ptr)
}

#[test]
fn counted_runs_free_their_block_with_the_last_view() {
    let drops = Cell::new(0);
    let (head, ptr) = counted_block(vec![1, 2, 3, 4], &drops);
    // SAFETY: the block stays live until its `free`, which only the views call; nothing
    // else reads the head or touches the words meanwhile.
    let v = unsafe { MemoryView::from_counted_raw_parts(head, ptr, 4, 4, "I", memview::Access::Write) }.unwrap();
    assert_eq!((v.format(), v.shape(), v.strides(), v.readonly()), ("I", &[4][..], &[4][..], false));
    // SAFETY: the block is live (views of it are); the head is read, not changed.
    let count = || unsafe { head.as_ref() }.count();
    assert_eq!(count(), 1);
    let odd = v.view(memview::s![1..;2]).unwrap();
    let bytes = v.cast("B").unwrap();
    let copy = odd.clone();
    assert_eq!(count(), 4);
    drop(v);
    assert_eq!(count(), 3);
    odd.set(0, 20u32).unwrap();
    assert_eq!(copy.to_list().unwrap().to_string(), "[20, 4]");
    // The exporter re-exports the whole run, writable, and is not frozen.
    let again = bytes.exporter().get_buffer(Flags::FULL).unwrap();
    assert_eq!((again.len(), again.format(), again.readonly()), (16, Some("I"), false));
    assert!(!bytes.exporter().frozen());
    // A view of a view holds the block too.
    let outer = MemoryView::new(&bytes).unwrap();
    assert_eq!(outer.to_bytes().unwrap()[4..8], 20u32.to_ne_bytes());
    drop(outer);
    for (n, view) in [odd, copy, bytes].into_iter().enumerate() {
        assert_eq!(drops.get(), 0, "freed while {} views live", 3 - n);
        drop(view);
    }
    assert_eq!(drops.get(), 1, "freed once, with the last view");

    // A refused run gives its reference back (freeing the block) before the error comes.
    let (head, _) = counted_block(vec![], &drops);
    // SAFETY: no items are read; the item size of 0 is refused.
    let refused =
        unsafe { MemoryView::from_counted_raw_parts(head, std::ptr::null_mut(), 0, 0, "B", memview::Access::Read) };
    assert!(refused.is_err());
    assert_eq!(drops.get(), 2);

    // A read-only run stays read-only in every view.
    let (head, ptr) = counted_block(vec![7], &drops);
    // SAFETY: as above.
    let ro = unsafe { MemoryView::from_counted_raw_parts(head, ptr, 4, 1, "B", memview::Access::Read) }.unwrap();
    assert!(ro.readonly() && ro.slice(1..).unwrap().set(0, 1u8).is_err());
    drop(ro);
    assert_eq!(drops.get(), 3);
}

#[test]
fn borrowed_views_count_nothing_and_their_owned_views_count_the_owner() {
    let drops = Cell::new(0);
    let (head, ptr) = counted_block(vec![1, 2, 3, 4], &drops);
    // SAFETY: as in `counted_runs_free_their_block_with_the_last_view`.
    let m = unsafe { MemoryView::from_counted_raw_parts(head, ptr, 4, 4, "I", memview::Access::Write) }.unwrap();
    // SAFETY: the block is live (views of it are); the head is read, not changed.
    let count = || unsafe { head.as_ref() }.count();
    let odd = m.view_ref(memview::s![1..;2]).unwrap();
    let tail = odd.slice_ref(1..).unwrap();
    assert_eq!(count(), 1, "borrowed views, and a borrow of a borrow, count nothing");
    tail.set(0, 40u32).unwrap();
    assert_eq!((odd.to_list().unwrap().to_string(), tail.shape()), ("[2, 40]".to_string(), &[1][..]));
    // What they export and how they compare are the owned views'.
    assert_eq!(*odd, m.view(memview::s![1..;2]).unwrap());
    let again = tail.exporter().get_buffer(Flags::FULL).unwrap();
    assert_eq!((again.len(), again.format()), (16, Some("I")));
    let nested = MemoryView::new(&*tail).unwrap();
    assert_eq!(nested.to_list().unwrap().to_string(), "[40]");
    drop(nested);
    // Owned views made through a borrowed one count the block's owner, and outlive both the
    // borrowed views and the view they borrowed.
    let cloned = tail.clone();
    let cast = odd.to_readonly();
    let kept = odd.view_ref(..).unwrap().into_view();
    assert_eq!(count(), 4);
    drop(tail);
    drop(odd);
    drop(m);
    assert_eq!((count(), drops.get()), (3, 0));
    assert_eq!((cloned.to_list().unwrap().to_string(), cast.readonly()), ("[40]".to_string(), true));
    assert_eq!(kept.to_list().unwrap().to_string(), "[2, 40]");
    drop((cloned, cast));
    assert_eq!(drops.get(), 0);
    drop(kept);
    assert_eq!(drops.get(), 1, "freed with the last owned view");

    // A refused key makes no view and changes nothing.
    let (head, ptr) = counted_block(vec![5, 6], &drops);
    // SAFETY: as above.
    let m = unsafe { MemoryView::from_counted_raw_parts(head, ptr, 2, 4, "I", memview::Access::Read) }.unwrap();
    assert!(m.view_ref(memview::s![0]).is_err() && m.view_ref(memview::s![.., ..]).is_err());
    assert!(m.slice_ref(..).unwrap().set(0, 1u32).is_err(), "read-only through a borrow too");
    drop(m);
    assert_eq!(drops.get(), 2);
}

#[test]
fn borrowed_views_of_acquired_views_release_once() {
    // An exporter whose acquisition is counted (an `Rc`): a borrowed view neither acquires
    // nor releases, and an owned view made from it keeps the acquisition.
    let data = vec![1.5f64, 2.5, 3.5];
    let m = MemoryView::new(&data).unwrap();
    let r = m.slice_ref(Slice::stepped(.., -1)).unwrap();
    assert_eq!(r.to_list().unwrap().to_string(), "[3.5, 2.5, 1.5]");
    let owned = r.view_ref(1..).unwrap().into_view();
    drop(r);
    drop(m);
    assert_eq!(owned.to_list().unwrap().to_string(), "[2.5, 1.5]");
    assert!(owned.release().is_ok());
}

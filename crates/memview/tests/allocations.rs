//! Heap allocations per view: a counting global allocator (per thread, so parallel tests do
//! not disturb each other) around the operations that make views.

use memview::{s, MemoryView, NdArray};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; counting touches only a thread-local `Cell`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's promises are `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as for `System.realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = COUNT.with(Cell::get);
    let r = f();
    (COUNT.with(Cell::get) - before, r)
}

#[test]
fn deriving_views_allocates_nothing() {
    let data: Vec<u8> = (0..=255).cycle().take(4096).collect();
    check_derived(&MemoryView::from_bytes(&data));
}

fn check_derived<'a>(m: &MemoryView<'a>) {
    let grid = m.cast_shape("B", &[4, 8, 8, 16]).unwrap();
    let cases: [(&str, &dyn Fn() -> MemoryView<'a>); 8] = [
        ("m[1::2]", &|| m.view(s![1..;2]).unwrap()),
        ("m.slice(1..)", &|| m.slice(1..).unwrap()),
        ("cast_shape 4-D", &|| m.cast_shape("B", &[4, 8, 8, 16]).unwrap()),
        ("N-D key", &|| grid.view(s![1, .., ..;-2, 3..]).unwrap()),
        ("transpose", &|| grid.transpose().unwrap()),
        ("reshape", &|| grid.reshape(&[32, 128]).unwrap()),
        ("clone", &|| grid.clone()),
        ("to_readonly", &|| grid.to_readonly()),
    ];
    for (what, make) in cases {
        let (n, v) = allocations(make);
        assert_eq!(n, 0, "{what} allocated {n} times");
        let (n, _) = allocations(|| (v.shape().len(), v.strides().len(), v.format().len(), v.len()));
        assert_eq!(n, 0, "attributes of {what} allocated");
        drop(v);
    }
    let (n, _) = allocations(|| grid.get([1, 2, 3, 4]).unwrap());
    assert_eq!(n, 0, "get allocated");
    let (n, _) = allocations(|| {
        let row = grid.view_ref(s![1, .., 2]).unwrap();
        let col = row.slice_ref(memview::Slice::stepped(.., 2)).unwrap();
        (row.len(), col.shape().len(), col.get([1, 3]).unwrap())
    });
    assert_eq!(n, 0, "borrowed views allocated");
}

#[test]
fn one_allocation_per_acquisition() {
    let data = vec![0u8; 64];
    // A borrowed slice is lent, not acquired: nothing to count, nothing to allocate.
    let (n, v) = allocations(|| MemoryView::from_bytes(&data));
    assert_eq!(n, 0, "from_bytes");
    let (n, w) = allocations(|| v.view(s![1..;2]).unwrap());
    assert_eq!(n, 0, "a view derived from a lent view");
    drop((v, w));
    let mut raw = vec![0u16; 8];
    let (n, v) = allocations(|| MemoryView::from_mut_slice(&mut raw));
    assert_eq!(n, 0, "from_mut_slice");
    drop(v);
    let floats = vec![0.5f64; 8];
    let (n, v) = allocations(|| MemoryView::new(&floats).unwrap());
    assert_eq!(n, 1, "a view of a Vec<f64>");
    let (n, _) = allocations(|| v.cast("B").unwrap());
    assert_eq!(n, 0, "cast to a native format");
    let nd = NdArray::builder(vec![0; 8], "<i").build().unwrap();
    let (n, v) = allocations(|| MemoryView::new(&nd).unwrap());
    // The acquisition, the exporter's own format string, and the parsed codec of a format
    // that is not native (parsed once per acquisition, shared by every derived view).
    assert!(n <= 4, "a view of an NdArray with a format of its own: {n}");
    let (n, _) = allocations(|| v.view(s![1..]).unwrap());
    assert_eq!(n, 0, "a view derived from it");
    drop(v);
}

#[test]
fn views_stay_small_to_move() {
    // A view is moved whenever it is returned; keep it within a few cache lines.
    let size = std::mem::size_of::<MemoryView<'static>>();
    println!(
        "MemoryView: {size} bytes, StridedLayout: {} bytes, Key: {} bytes",
        std::mem::size_of::<memview::StridedLayout>(),
        std::mem::size_of::<memview::Key>()
    );
    assert!(size <= 224, "MemoryView is {size} bytes");
}

#[test]
fn typed_loops_over_one_dimension_allocate_nothing() {
    let data: Vec<i32> = (0..1000).collect();
    let m = MemoryView::new(&data).unwrap();
    let every_other = m.view(s![..;-2]).unwrap();
    for v in [&m, &every_other] {
        let t = v.typed::<i32>().unwrap();
        let (n, _) = allocations(|| t.sum());
        assert_eq!(n, 0, "sum allocated");
        let (n, _) = allocations(|| {
            let mut acc = 0i64;
            t.for_each(|x| acc += i64::from(x));
            acc
        });
        assert_eq!(n, 0, "for_each allocated");
        let (n, _) = allocations(|| t.iter().map(i64::from).sum::<i64>());
        assert_eq!(n, 0, "iter().sum() allocated");
        let (n, _) = allocations(|| {
            let mut acc = 0i64;
            for x in t.iter() {
                acc += i64::from(x);
            }
            acc
        });
        assert_eq!(n, 0, "a for loop over iter() allocated");
    }
}

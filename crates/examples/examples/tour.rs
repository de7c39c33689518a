//! A tour of memview for Python users: everything `memoryview` does, in Rust, and a little
//! more. Run with `cargo run --example tour`.

use memview::{s, Access, MemoryView, NdArray};

fn main() -> Result<(), memview::ViewError> {
    // memoryview(bytearray(b"Python")): a writable view of bytes someone else owns.
    let mut buffer = *b"Python";
    {
        let m = MemoryView::from_mut(&mut buffer);
        println!("m = memoryview(bytearray(b'Python'))  -> {m}");
        println!("m.format, m.itemsize, m.nbytes       -> {:?}, {}, {}", m.format(), m.itemsize(), m.nbytes());

        // m[0] = ord('J'): edit through the view.
        m.set(0, b'J')?;
        println!("m[0] = ord('J'); bytes(m)             -> {:?}", String::from_utf8_lossy(&m.to_bytes()?));

        // m[1:4]: slicing copies nothing, it is a view of the same memory.
        let middle = m.slice(1..4)?;
        middle.set(0, b'Y')?;
        println!("m[1:4][0] = ord('Y'); bytes(m)        -> {:?}", String::from_utf8_lossy(&m.to_bytes()?));
        middle.set(0, b'y')?;

        // m.cast('B', [2, 3]): a 2-D view of the same six bytes.
        let grid = m.cast_shape("B", &[2, 3])?;
        println!("m.cast('B', [2, 3]).tolist()          -> {}", grid.to_list()?);
        println!("m.hex(':', 2)                         -> {}", m.hex_with(Some(':'), 2)?);

        // What CPython refuses: grid[:, 1] (a column), grid[::-1, ::2] and grid[0] (a row).
        let column = grid.view(s![.., 1])?;
        println!("grid[:, 1] (TypeError in CPython)    -> {}", column.to_list()?);
        let corners = grid.view(s![..;-1, ..;2])?;
        println!("grid[::-1, ::2] (NotImplementedError in CPython) -> {}", corners.to_list()?);
        for (i, row) in grid.outer_iter()?.enumerate() {
            println!("grid[{i}] (NotImplementedError in CPython) -> {}", row.to_list()?);
        }
    }
    println!("after the views are gone, the buffer is {:?}", String::from_utf8_lossy(&buffer));

    // PyMemoryView_FromMemory: raw memory, read-only or writable.
    let mut raw = [1u8, 2, 3, 4];
    // SAFETY: `raw` outlives both views and is not touched while they live.
    let ro = unsafe { MemoryView::from_memory(raw.as_mut_ptr(), raw.len(), Access::Read) };
    match ro.set(0, 9) {
        Err(e) => println!("writing through a READ view -> {} ({})", e, e.python_exception()),
        Ok(()) => println!("unexpected: a READ view accepted a write"),
    }
    drop(ro);
    // SAFETY: as above.
    let rw = unsafe { MemoryView::from_memory(raw.as_mut_ptr(), raw.len(), Access::Write) };
    rw.set(-1, 40)?;
    drop(rw);
    println!("writing through a WRITE view -> {raw:?}");

    // Non-native formats CPython cannot unpack: big-endian integers from a foreign exporter.
    let big_endian = NdArray::builder(vec![0, 0, 1, 0, 0, 0, 2, 0], ">i").build()?;
    let network = MemoryView::new(&big_endian)?;
    println!("'>i' items (NotImplementedError in CPython) -> {}", network.to_list()?);

    // Typed access: checked once, then plain loads.
    let samples: Vec<f64> = (1..=6).map(f64::from).collect();
    let m = MemoryView::new(&samples)?;
    let every_other = m.view(s![..;2])?;
    println!("sum(m[::2]) via typed view          -> {}", every_other.typed::<f64>()?.sum());
    Ok(())
}

//! The small doors: `bytes::Bytes` as an exporter, `half::f16` items, serde for layouts, values
//! and descriptors, Arrow buffers both ways, and a DLPack export. Run with
//! `cargo run --example doors --features doors`.

use memview::{s, MemoryView, StridedLayout};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A network buffer, viewed without a copy ('static: the view owns its `Bytes` handle).
    let packet = bytes::Bytes::from_static(b"\x00\x02\x00\x07\x00\x09");
    let fields = MemoryView::new(packet)?.reinterpret(">H", StridedLayout::new(2, &[3], &[2], 0)?)?;
    println!("bytes::Bytes as '>H' items: {}", fields.to_list()?);

    // Half-precision floats, typed.
    let halves: Vec<half::f16> = [0.5f32, 1.25, -3.0].into_iter().map(half::f16::from_f32).collect();
    let h = MemoryView::new(&halves)?;
    println!("f16 items (format {:?}): {}", h.format(), h.to_list()?);
    let max = h.typed::<half::f16>()?.iter().fold(half::f16::NEG_INFINITY, half::f16::max);
    println!("max via the typed view: {max}");

    // serde: a layout, the items, and a descriptor.
    let grid = MemoryView::from_bytes(&[1, 2, 3, 4, 5, 6]).cast_shape("B", &[2, 3])?.view(s![.., ..;-1])?;
    println!("layout: {}", serde_json::to_string(grid.layout())?);
    println!("items:  {}", serde_json::to_string(&grid.to_list()?)?);
    println!("buffer: {}", serde_json::to_string(&grid.buffer_info()?)?);

    // Arrow: a buffer viewed without a copy; a strided view gathered into a new buffer.
    let column = arrow_buffer::ScalarBuffer::<i64>::from((0..10).collect::<Vec<i64>>());
    let m = MemoryView::new(column)?;
    let evens = m.view(s![..;2])?.typed::<i64>()?.to_arrow()?;
    println!("arrow: every other item gathered: {:?}", &evens[..]);

    // DLPack: the same view as a tensor for a C consumer (strides in items).
    let v = m.view(s![..;-3])?;
    let t = v.typed::<i64>()?;
    let export = t.to_dlpack()?;
    let d = export.tensor();
    println!(
        "dlpack: ndim {}, dtype code {} bits {}, read-only flag {}",
        d.ndim,
        d.dtype.code,
        d.dtype.bits,
        v.readonly()
    );
    Ok(())
}

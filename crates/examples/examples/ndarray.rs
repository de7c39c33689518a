//! ndarray and memview, both ways, without copying: an ndarray array (sliced, reversed) as an
//! exporter, and a typed view as an `ndarray` view. Run with
//! `cargo run --example ndarray --features ndarray`.

use memview::{s, MemoryView};

fn main() -> Result<(), memview::ViewError> {
    let image = ndarray::Array3::<u8>::from_shape_fn((4, 6, 3), |(y, x, c)| (y * 18 + x * 3 + c) as u8);
    // A flipped crop in ndarray, exported to memview with its strides as they are.
    let crop = image.slice(ndarray::s![1..3, ..;-2, ..]);
    let m = MemoryView::new(crop.view())?;
    println!("ndarray crop as a view: format {:?}, shape {:?}, strides {:?}", m.format(), m.shape(), m.strides());
    // The green channel, back as an ndarray view of the same memory.
    let green = m.view(s![.., .., 1])?;
    let typed = green.typed::<u8>()?;
    let a = typed.as_array_view()?;
    println!("green channel as ndarray (no copy): {a}");
    assert_eq!(a, crop.slice(ndarray::s![.., .., 1]).into_dyn());
    // Writable memory cannot be lent as an ndarray view (others may write it): copy instead.
    let mut owned = [0u16; 4];
    let w = MemoryView::from_mut_slice(&mut owned);
    let copy = w.typed::<u16>()?.to_ndarray()?;
    println!("a copy of writable memory: {copy}");
    Ok(())
}

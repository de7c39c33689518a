//! Crops, mirrors and takes the green channel of an RGB image, as NumPy would with
//! `img[1:5, 2:7][:, ::-1][..., 1]`. Run with `cargo run --example image`.

fn main() -> Result<(), memview::ViewError> {
    let pixels = examples::image::synthetic();
    let green = examples::image::crop_flip_green(&pixels)?;
    println!(
        "image shape {:?}; green of the mirrored crop: shape {:?}, strides {:?}",
        examples::image::SHAPE,
        green.shape,
        green.strides
    );
    for row in green.bytes.chunks(green.shape[1].max(1)) {
        println!("  {row:?}");
    }
    println!("sum = {}", green.sum);
    Ok(())
}

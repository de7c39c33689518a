//! An image crop, flip and channel pick on an RGB image: three views, no copy until the end.
//!
//! The same in NumPy:
//!
//! ```python
//! crop = img[1:5, 2:7]          # rows 1..5, columns 2..7
//! flipped = crop[:, ::-1]       # mirror left-right
//! green = flipped[..., 1]       # the G of RGB
//! green.tobytes(), int(green.sum())
//! ```

use memview::{s, MemoryView, ViewError};

/// Height, width and channels of [`synthetic`].
pub const SHAPE: [usize; 3] = [6, 8, 3];

/// An RGB image whose byte at `(y, x, c)` is `(y·8 + x)·3 + c`.
///
/// ```
/// assert_eq!(examples::image::synthetic()[3 * 9 + 1], 28);
/// ```
pub fn synthetic() -> Vec<u8> {
    (0..SHAPE.iter().product::<usize>()).map(|k| k as u8).collect()
}

/// A channel picked out of an image: its bytes in C order and the view's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// The bytes, row after row.
    pub bytes: Vec<u8>,
    /// Rows and columns.
    pub shape: Vec<usize>,
    /// Byte strides of the view (no copy was made to get them).
    pub strides: Vec<isize>,
    /// The sum of the bytes.
    pub sum: u64,
}

/// The green channel of the mirrored crop `[1:5, 2:7]`.
///
/// ```
/// let pixels = examples::image::synthetic();
/// let green = examples::image::crop_flip_green(&pixels).unwrap();
/// assert_eq!((green.shape, green.strides, green.sum), (vec![4, 5], vec![24, -3], 1460));
/// assert_eq!(&green.bytes[..5], [43, 40, 37, 34, 31]);
/// ```
pub fn crop_flip_green(pixels: &[u8]) -> Result<Channel, ViewError> {
    let img = MemoryView::from_bytes(pixels).cast_shape("B", &SHAPE)?;
    let crop = img.view(s![1..5, 2..7])?;
    let flipped = crop.view(s![.., ..;-1])?;
    let green = flipped.view(s![..., 1])?;
    let sum = green.typed::<u8>()?.sum();
    Ok(Channel { bytes: green.to_bytes()?, shape: green.shape().to_vec(), strides: green.strides().to_vec(), sum })
}

//! A WAV reader: the header through `struct`-style unpacking into a declared record, the left
//! channel as a strided view of the samples (no copy).
//!
//! The same in Python:
//!
//! ```python
//! import struct
//! header = struct.unpack('<4sI4s4sIHHIIHH4sI', data[:44])
//! samples = memoryview(data)[44:].cast('h')
//! left = samples[::2]
//! peak, total = max(abs(x) for x in left), sum(left)
//! ```

use memview::{record, s, MemoryView, Struct, ViewError};

/// The header format of a canonical PCM WAV file.
pub const HEADER_FORMAT: &str = "<4sI4s4sIHHIIHH4sI";

record! {
    /// The 44-byte header of a canonical PCM WAV file.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WavHeader {
        /// `b"RIFF"`.
        pub riff: [u8; 4],
        /// The file size minus 8.
        pub riff_size: u32,
        /// `b"WAVE"`.
        pub wave: [u8; 4],
        /// `b"fmt "`.
        pub fmt: [u8; 4],
        /// 16 for PCM.
        pub fmt_size: u32,
        /// 1 for PCM.
        pub audio_format: u16,
        /// Interleaved channels.
        pub channels: u16,
        /// Frames per second.
        pub sample_rate: u32,
        /// Bytes per second.
        pub byte_rate: u32,
        /// Bytes per frame.
        pub block_align: u16,
        /// Bits per sample.
        pub bits_per_sample: u16,
        /// `b"data"`.
        pub data: [u8; 4],
        /// Bytes of samples.
        pub data_size: u32,
    }
}

/// What the reader found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The header.
    pub header: WavHeader,
    /// The left channel's samples.
    pub left: Vec<i16>,
    /// The largest absolute left sample.
    pub peak: u16,
    /// The sum of the left samples.
    pub total: i64,
}

/// Errors of the reader: the header's, or the view's.
#[derive(Debug)]
pub enum WavError {
    /// The header did not decode (too short, or not a PCM 16-bit stereo file).
    Header(String),
    /// A view operation failed.
    View(ViewError),
}

impl From<ViewError> for WavError {
    fn from(e: ViewError) -> WavError {
        WavError::View(e)
    }
}

/// Reads a 16-bit stereo PCM WAV file held in memory.
///
/// ```
/// let file = examples::wav::synthetic();
/// let summary = examples::wav::read(&file).unwrap();
/// assert_eq!(summary.left, [-3000, -2000, -1000, 0, 1000, 2000, 3000, 4000]);
/// ```
pub fn read(file: &[u8]) -> Result<Summary, WavError> {
    let header_struct = Struct::new(HEADER_FORMAT).map_err(|e| WavError::Header(e.to_string()))?;
    let codec = header_struct.typed::<WavHeader>().map_err(|e| WavError::Header(e.to_string()))?;
    let head = file.get(..codec.size()).ok_or_else(|| WavError::Header("file shorter than its header".into()))?;
    let header = codec.decode(head).map_err(|e| WavError::Header(e.to_string()))?;
    if header.channels != 2 || header.bits_per_sample != 16 {
        return Err(WavError::Header("only 16-bit stereo files are read here".into()));
    }
    // samples = memoryview(data)[44:].cast('h'); left = samples[::2]
    let samples = MemoryView::from_bytes(file).slice(44..)?.cast("h")?;
    let left = samples.view(s![..;2])?;
    let left = left.typed::<i16>()?;
    let peak = left.iter().map(i16::unsigned_abs).max().unwrap_or(0);
    Ok(Summary { header, left: left.to_vec()?, peak, total: left.sum() })
}

/// A small stereo file: 8 frames, left `1000·i − 3000`, right `1234 − 700·i`.
///
/// ```
/// assert_eq!(examples::wav::synthetic().len(), 44 + 32);
/// ```
pub fn synthetic() -> Vec<u8> {
    let mut data = Vec::new();
    for i in 0..8i16 {
        data.extend((i * 1000 - 3000).to_le_bytes());
        data.extend((1234 - i * 700).to_le_bytes());
    }
    let mut file = Vec::new();
    file.extend(b"RIFF");
    file.extend((36 + data.len() as u32).to_le_bytes());
    file.extend(b"WAVEfmt ");
    file.extend(16u32.to_le_bytes());
    file.extend(1u16.to_le_bytes());
    file.extend(2u16.to_le_bytes());
    file.extend(44100u32.to_le_bytes());
    file.extend((44100u32 * 4).to_le_bytes());
    file.extend(4u16.to_le_bytes());
    file.extend(16u16.to_le_bytes());
    file.extend(b"data");
    file.extend((data.len() as u32).to_le_bytes());
    file.extend(data);
    file
}

//! The examples against the values Python computed (`expected.py`, CPython 3.11 and NumPy).

#[test]
fn wav_matches_struct_and_memoryview() {
    let s = examples::wav::read(&examples::wav::synthetic()).unwrap();
    let h = &s.header;
    // struct.unpack('<4sI4s4sIHHIIHH4sI', wav[:44])
    assert_eq!(
        (&h.riff, h.riff_size, &h.wave, &h.fmt, h.fmt_size, h.audio_format, h.channels),
        (b"RIFF", 68, b"WAVE", b"fmt ", 16, 1, 2)
    );
    assert_eq!(
        (h.sample_rate, h.byte_rate, h.block_align, h.bits_per_sample, &h.data, h.data_size),
        (44100, 176400, 4, 16, b"data", 32)
    );
    // memoryview(wav)[44:].cast('h')[::2]
    assert_eq!(s.left, [-3000, -2000, -1000, 0, 1000, 2000, 3000, 4000]);
    assert_eq!((s.peak, s.total), (4000, 4000));
}

#[test]
fn image_matches_numpy() {
    let green = examples::image::crop_flip_green(&examples::image::synthetic()).unwrap();
    // img[1:5, 2:7][:, ::-1][..., 1]
    assert_eq!((green.shape, green.strides, green.sum), (vec![4, 5], vec![24, -3], 1460));
    let hex: String = green.bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "2b2825221f43403d3a375b5855524f73706d6a67");
}

#[test]
fn wav_refuses_short_and_other_files() {
    let file = examples::wav::synthetic();
    assert!(examples::wav::read(&file[..20]).is_err());
    let mut mono = file.clone();
    mono[22] = 1;
    assert!(examples::wav::read(&mono).is_err());
}

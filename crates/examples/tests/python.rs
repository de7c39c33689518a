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

#[test]
fn npy_summaries_match_numpy_on_files_numpy_wrote() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../memview/tests/data/npy");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut checked = 0;
    for (name, want) in expected.as_object().unwrap() {
        let m = memview::npy::read(dir.join(format!("{name}.npy"))).unwrap();
        let s = examples::npy::summarize(&m).unwrap();
        let shape: Vec<usize> = serde_json::from_value(want["shape"].clone()).unwrap();
        assert_eq!(s.shape, shape, "{name}");
        if let Some(total) = want.get("sum").and_then(serde_json::Value::as_f64) {
            assert_eq!(s.sums, [(String::new(), Some(total))], "{name}");
            checked += 1;
        }
        if let Some(fields) = want.get("sums").and_then(serde_json::Value::as_object) {
            for (field, total) in fields {
                let got = s.sums.iter().find(|(n, _)| n == field).and_then(|(_, v)| *v);
                assert_eq!(got, total.as_f64(), "{name}.{field}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked} sums checked");
}

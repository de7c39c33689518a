//! `.npy` files NumPy wrote (committed in `tests/data/npy`, with what NumPy read from them in
//! `expected.json`), files written here read back by NumPy when it is installed, and a
//! 64 GiB sparse file mapped and read at far-apart items.
#![cfg(feature = "npy")]

use memview::{npy, MemoryView, Value};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/npy")
}

/// A `Value` as the JSON NumPy's `tolist()` gives (bytes as text).
fn json(v: &Value) -> Json {
    match v {
        Value::Int(i) => serde_json::json!(i),
        Value::UInt(u) => serde_json::json!(u),
        Value::Float(f) => serde_json::json!(f),
        Value::Bool(b) => serde_json::json!(b),
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).trim_end_matches('\0').to_owned()),
        Value::List(l) => Json::Array(l.iter().map(json).collect()),
        other => Json::String(other.to_string()),
    }
}

/// The sum of every number in a value, as a float.
fn sum(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::UInt(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::List(l) => l.iter().map(sum).sum(),
        _ => 0.0,
    }
}

/// Maps a test file (not under Miri, which has no file-backed mappings: it reads instead).
fn mapped(path: &Path) -> MemoryView<'static> {
    if cfg!(miri) {
        return npy::read(path).unwrap();
    }
    // SAFETY: the test files are not changed while the views live.
    unsafe { npy::map(path) }.unwrap()
}

fn check_against(dir: &Path, expected: &Json) {
    let cases = expected.as_object().unwrap();
    assert!(cases.len() >= 10);
    for (name, want) in cases {
        let path = dir.join(format!("{name}.npy"));
        let read = npy::read(&path).unwrap();
        let mapped = mapped(&path);
        for m in [&read, &mapped] {
            assert_eq!(
                json(&Value::List(m.shape().iter().map(|&d| Value::from(d as u64)).collect::<Vec<_>>().into())),
                want["shape"],
                "{name}"
            );
            if let Some(list) = want.get("tolist") {
                assert_eq!(&json(&m.to_list().unwrap()), list, "{name}");
            }
            if let Some(s) = want.get("sum").and_then(Json::as_f64) {
                assert_eq!(sum(&m.to_list().unwrap()), s, "{name}");
            }
            if let Some(sums) = want.get("sums").and_then(Json::as_object) {
                for (field, s) in sums {
                    if let Some(s) = s.as_f64() {
                        assert_eq!(sum(&m.field(field).unwrap().to_list().unwrap()), s, "{name}.{field}");
                    }
                }
            }
        }
        assert_eq!(read.to_bytes().unwrap(), mapped.to_bytes().unwrap(), "{name}");
    }
}

#[test]
fn files_numpy_wrote_read_as_numpy_reads_them() {
    let dir = data_dir();
    let expected: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    check_against(&dir, &expected);
    let rec = npy::read(dir.join("records.npy")).unwrap();
    assert_eq!(rec.format(), "T{<i:id:<d:price:3s:tag:}");
    let f = mapped(&dir.join("f4_fortran_3x2.npy"));
    assert_eq!((f.strides(), f.f_contiguous()), (&[4, 12][..], true));
}

fn numpy() -> bool {
    std::process::Command::new("python3").args(["-c", "import numpy"]).output().is_ok_and(|o| o.status.success())
}

#[test]
#[cfg_attr(miri, ignore = "runs NumPy")]
fn numpy_reads_what_we_write_and_fresh_numpy_files_agree() {
    if !numpy() {
        // CI installs NumPy (`.ci/run`): there a missing NumPy is a failure, not a skip.
        assert!(std::env::var_os("CI").is_none(), "NumPy is required in CI (`pip install numpy`)");
        eprintln!("NumPy is not installed: `pip install numpy` to run this test in full");
        return;
    }
    let dir = std::env::temp_dir().join(format!("memview-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Ours, read by NumPy.
    let data: Vec<i32> = (0..12).map(|i| i * 3 - 7).collect();
    let m = MemoryView::new(&data).unwrap().cast("B").unwrap().cast_shape("i", &[3, 4]).unwrap();
    let t = m.transpose().unwrap();
    let mut file = Vec::new();
    npy::write(&mut file, &t).unwrap();
    std::fs::write(dir.join("ours.npy"), &file).unwrap();
    let script = format!(
        "import numpy as np; a = np.load('{}'); print(a.dtype.str, a.shape, int(a.sum()), a.tolist())",
        dir.join("ours.npy").display()
    );
    let out = std::process::Command::new("python3").args(["-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), format!("<i4 (4, 3) {} {}", data.iter().sum::<i32>(), t.to_list().unwrap()));
    // Fresh files from NumPy, as the committed ones were made.
    let gen = data_dir().join("generate.py");
    let status = std::process::Command::new("python3").arg(&gen).arg(&dir).status().unwrap();
    assert!(status.success());
    let expected: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    check_against(&dir, &expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(miri, ignore = "maps a file")]
fn a_64_gib_sparse_file_maps_and_reads_far_apart_items() {
    use std::io::{Seek, SeekFrom, Write};
    let path = std::env::temp_dir().join(format!("memview-sparse-{}.npy", std::process::id()));
    let n: usize = 8 << 30; // 2^33 doubles: 64 GiB
    let mut header = Vec::new();
    // A header for shape (n,) of '<f8', written by our own writer over an empty view, patched.
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}");
    let len = (10 + dict.len() + 1).div_ceil(64) * 64 - 10;
    header.extend(b"\x93NUMPY\x01\x00");
    header.extend((len as u16).to_le_bytes());
    header.extend(dict.as_bytes());
    header.resize(10 + len - 1, b' ');
    header.push(b'\n');
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&header).unwrap();
    let data_start = header.len() as u64;
    f.set_len(data_start + 8 * n as u64).unwrap(); // sparse: no blocks written
    for (i, v) in [(0usize, 1.5f64), (n / 2, -2.25), (n - 1, 1e300)] {
        f.seek(SeekFrom::Start(data_start + 8 * i as u64)).unwrap();
        f.write_all(&v.to_le_bytes()).unwrap();
    }
    drop(f);
    let t = std::time::Instant::now();
    // SAFETY: the file is this test's own, unchanged while the view lives.
    let m = unsafe { npy::map(&path) }.unwrap();
    assert_eq!((m.shape(), m.nbytes()), (&[n][..], 64 << 30));
    assert_eq!(m.get(0).unwrap(), Value::Float(1.5));
    assert_eq!(m.get(n as isize / 2).unwrap(), Value::Float(-2.25));
    assert_eq!(m.get(-1).unwrap(), Value::Float(1e300));
    assert_eq!(m.get(12345).unwrap(), Value::Float(0.0));
    let tail = m.view(memview::s![-3..]).unwrap();
    assert_eq!(tail.to_list().unwrap().to_string(), "[0.0, 0.0, 1e+300]");
    assert!(t.elapsed().as_secs() < 5, "mapping and reading a few items took {:?}", t.elapsed());
    drop((m, tail));
    std::fs::remove_file(&path).unwrap();
}

mod hostile {
    use memview::npy::Header;
    use proptest::prelude::*;

    fn header(dict: &str) -> Vec<u8> {
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        h.extend((dict.len() as u16).to_le_bytes());
        h.extend(dict.as_bytes());
        h
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 2000 }))]

        /// Any header text is parsed or refused, never a panic; accepted headers give layouts
        /// that are built or refused with an error.
        #[test]
        fn any_header_is_parsed_or_refused(dict in "\\\\PC{0,80}", descr in "[<>|=]?[a-zA-Zé]{0,2}[0-9]{0,20}") {
            let _ = Header::parse(&header(&dict));
            let text = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (3, 18446744073709551615), }}");
            if let Ok(h) = Header::parse(&header(&text)) {
                let _ = h.layout();
            }
            let nested = format!("{{'descr': [('a', [('b', '{descr}', (4000000000, 4000000000))])], 'fortran_order': True, 'shape': (), }}");
            if let Ok(h) = Header::parse(&header(&nested)) {
                let _ = h.layout();
            }
        }
    }

    #[test]
    fn deep_or_truncated_headers_are_refused() {
        let deep = format!(
            "{{'descr': {}'<f8'{}, 'fortran_order': False, 'shape': (1,), }}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(Header::parse(&header(&deep)).is_err());
        assert!(Header::parse(b"\x93NUMPY\x01\x00\xff\xff{").is_err());
        assert!(Header::parse(&header("{'descr': 'é8', 'fortran_order': False, 'shape': (1,), }")).is_err());
        assert!(Header::parse(b"\x93NUMPY\x02\x00\xff\xff\xff\xff").is_err());
    }
}

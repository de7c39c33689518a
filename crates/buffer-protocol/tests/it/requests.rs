//! Every request flag against every kind of layout, as CPython's exporters answer.

use buffer_protocol::{BufferError, Exporter, Flags, NdArray};

fn c_array() -> NdArray {
    NdArray::new((0..24).collect(), "i", 4, &[2, 3], &[12, 4], 0, false).unwrap()
}

fn f_array() -> NdArray {
    NdArray::new((0..24).collect(), "i", 4, &[2, 3], &[4, 8], 0, false).unwrap()
}

fn strided_array() -> NdArray {
    NdArray::new((0..48).collect(), "i", 4, &[2, 3], &[24, 8], 0, true).unwrap()
}

fn pil_array() -> NdArray {
    c_array().into_pil().unwrap()
}

const REQUESTS: &[(&str, Flags)] = &[
    ("SIMPLE", Flags::SIMPLE),
    ("WRITABLE", Flags::WRITABLE),
    ("FORMAT", Flags::FORMAT),
    ("ND", Flags::ND),
    ("STRIDES", Flags::STRIDES),
    ("C_CONTIGUOUS", Flags::C_CONTIGUOUS),
    ("F_CONTIGUOUS", Flags::F_CONTIGUOUS),
    ("ANY_CONTIGUOUS", Flags::ANY_CONTIGUOUS),
    ("INDIRECT", Flags::INDIRECT),
    ("CONTIG", Flags::CONTIG),
    ("STRIDED_RO", Flags::STRIDED_RO),
    ("RECORDS", Flags::RECORDS),
    ("FULL_RO", Flags::FULL_RO),
];

fn answer(nd: &NdArray, flags: Flags) -> String {
    match nd.get_buffer(flags) {
        Ok(info) => {
            let s = format!(
                "ok ndim={} format={:?} shape={:?} strides={:?} suboffsets={:?} readonly={}",
                info.ndim(),
                info.format(),
                info.shape(),
                info.strides(),
                info.suboffsets(),
                info.readonly()
            );
            // SAFETY: `info` came from `nd.get_buffer` and is not used again.
            unsafe { nd.release_buffer(&info) };
            s
        }
        Err(e) => format!("{} {e}", e.python_exception()),
    }
}

#[test]
// insta's terminal detection uses sockets Miri does not model; this test has no unsafe of its own.
#[cfg_attr(miri, ignore)]
fn request_matrix() {
    let mut out = String::new();
    for (name, nd) in [("C", c_array()), ("F", f_array()), ("strided ro", strided_array()), ("PIL", pil_array())] {
        out.push_str(&format!("== {name}\n"));
        for (req, flags) in REQUESTS {
            out.push_str(&format!("{req:15} {}\n", answer(&nd, *flags)));
        }
        assert_eq!(nd.exports(), 0, "every successful export was released");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn refusals_are_buffer_errors() {
    assert_eq!(strided_array().get_buffer(Flags::WRITABLE).unwrap_err(), BufferError::NotWritable);
    assert_eq!(f_array().get_buffer(Flags::C_CONTIGUOUS).unwrap_err(), BufferError::NotCContiguous);
    assert_eq!(c_array().get_buffer(Flags::F_CONTIGUOUS).unwrap_err(), BufferError::NotFContiguous);
    assert_eq!(strided_array().get_buffer(Flags::ANY_CONTIGUOUS).unwrap_err(), BufferError::NotContiguous);
    assert_eq!(pil_array().get_buffer(Flags::STRIDES).unwrap_err(), BufferError::NeedsSuboffsets);
    assert_eq!(c_array().get_buffer(Flags::FORMAT).unwrap_err(), BufferError::FormatWithoutNd);
    for e in [BufferError::NotWritable, BufferError::NeedsSuboffsets, BufferError::Exported] {
        assert_eq!(e.python_exception(), format_codec::PyExc::BufferError);
    }
}

#[test]
fn layouts_outside_their_memory_are_refused() {
    assert!(NdArray::new(vec![0; 8], "i", 4, &[3], &[4], 0, false).is_err());
    assert!(NdArray::new(vec![0; 8], "i", 4, &[2], &[-4], 0, false).is_err());
    assert!(NdArray::new(vec![0; 8], "i", 4, &[2], &[-4], 4, false).is_ok());
    assert!(NdArray::new(vec![0; 8], "B", 1, &[1 << 62, 4], &[4, 1], 0, false).is_err());
    assert!(NdArray::new(vec![], "B", 1, &[0], &[1], 100, false).is_ok(), "empty layouts touch nothing");
}

#[test]
fn flags_have_cpython_values() {
    let values = [
        (Flags::SIMPLE, 0),
        (Flags::WRITABLE, 0x1),
        (Flags::FORMAT, 0x4),
        (Flags::ND, 0x8),
        (Flags::STRIDES, 0x18),
        (Flags::C_CONTIGUOUS, 0x38),
        (Flags::F_CONTIGUOUS, 0x58),
        (Flags::ANY_CONTIGUOUS, 0x98),
        (Flags::INDIRECT, 0x118),
        (Flags::CONTIG, 0x9),
        (Flags::CONTIG_RO, 0x8),
        (Flags::STRIDED, 0x19),
        (Flags::STRIDED_RO, 0x18),
        (Flags::RECORDS, 0x1d),
        (Flags::RECORDS_RO, 0x1c),
        (Flags::FULL, 0x11d),
        (Flags::FULL_RO, 0x11c),
    ];
    for (f, v) in values {
        assert_eq!(f.bits(), v, "{f:?}");
    }
    assert_eq!(format!("{:?}", Flags::FULL_RO), "Flags(INDIRECT | FORMAT)");
}

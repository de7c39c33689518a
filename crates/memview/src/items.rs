//! Item conversion: CPython memoryview's rules for native single-character formats, and the
//! format codec for everything else (non-native byte orders, multi-item and PEP 3118 formats).

use crate::ViewError;
use buffer_protocol::BufferError;
use format_codec::{Format, Value};
use std::rc::Rc;

/// The native single-character codes CPython 3.11's memoryview unpacks and packs: one table
/// that decides each code's size, decoder and encoder (exhaustive matches, no fallbacks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NativeCode {
    /// `c`: a byte string of length 1.
    Char,
    /// `?`: a C `_Bool`.
    Bool,
    /// `b`.
    I8,
    /// `B`.
    U8,
    /// `h`.
    I16,
    /// `H`.
    U16,
    /// `i`.
    I32,
    /// `I`.
    U32,
    /// `l`, `q`, `n` (64-bit on the platforms memview supports).
    I64(u8),
    /// `L`, `Q`, `N`.
    U64(u8),
    /// `P`: a pointer, read as an unsigned integer.
    Pointer,
    /// `f`.
    F32,
    /// `d`.
    F64,
}

/// The codes of [`NativeCode`].
#[cfg(test)]
const NATIVE_ITEM_CODES: &[u8] = b"cbB?hHiIlLqQnNfdP";

impl NativeCode {
    /// The code of a format character, if memoryview reads it natively.
    #[inline]
    pub(crate) const fn from_char(c: u8) -> Option<NativeCode> {
        Some(match c {
            b'c' => NativeCode::Char,
            b'?' => NativeCode::Bool,
            b'b' => NativeCode::I8,
            b'B' => NativeCode::U8,
            b'h' => NativeCode::I16,
            b'H' => NativeCode::U16,
            b'i' => NativeCode::I32,
            b'I' => NativeCode::U32,
            b'l' | b'q' | b'n' => NativeCode::I64(c),
            b'L' | b'Q' | b'N' => NativeCode::U64(c),
            b'P' => NativeCode::Pointer,
            b'f' => NativeCode::F32,
            b'd' => NativeCode::F64,
            _ => return None,
        })
    }

    /// The code of a format (`"i"`, `"@d"`), if it is one native single code.
    #[inline]
    pub(crate) fn of_format(format: &str) -> Option<NativeCode> {
        // One code alone, the format of nearly every buffer, without the prefix test.
        if let [c] = *format.as_bytes() {
            return NativeCode::from_char(c);
        }
        Format::native_single_code(format).and_then(NativeCode::from_char)
    }

    /// The format character.
    pub(crate) fn char(self) -> u8 {
        match self {
            NativeCode::Char => b'c',
            NativeCode::Bool => b'?',
            NativeCode::I8 => b'b',
            NativeCode::U8 => b'B',
            NativeCode::I16 => b'h',
            NativeCode::U16 => b'H',
            NativeCode::I32 => b'i',
            NativeCode::U32 => b'I',
            NativeCode::I64(c) | NativeCode::U64(c) => c,
            NativeCode::Pointer => b'P',
            NativeCode::F32 => b'f',
            NativeCode::F64 => b'd',
        }
    }

    /// The code of a one-character format whose items are `itemsize` bytes, if memoryview
    /// reads it natively: decided at compile time for a constant format (`Element::FORMAT`).
    pub(crate) const fn of_element(format: &str, itemsize: usize) -> Option<NativeCode> {
        let [c] = *format.as_bytes() else { return None };
        match NativeCode::from_char(c) {
            Some(code) if code.size() == itemsize => Some(code),
            _ => None,
        }
    }

    /// The size of an item.
    pub(crate) const fn size(self) -> usize {
        match self {
            NativeCode::Char | NativeCode::Bool | NativeCode::I8 | NativeCode::U8 => 1,
            NativeCode::I16 | NativeCode::U16 => 2,
            NativeCode::I32 | NativeCode::U32 | NativeCode::F32 => 4,
            NativeCode::I64(_) | NativeCode::U64(_) | NativeCode::Pointer | NativeCode::F64 => 8,
        }
    }

    /// Whether this is one of the byte formats `cast` needs on one side.
    pub(crate) fn is_byte(self) -> bool {
        matches!(self, NativeCode::Char | NativeCode::I8 | NativeCode::U8)
    }

    /// Decodes every item of `bytes`, a whole number of items of `size()` bytes, onto
    /// `items`: one dispatch for the run and one loop per code, each item read at a constant
    /// width and written without a capacity test (the `extend` of an exact-length iterator).
    pub(crate) fn unpack_all(self, bytes: &[u8], items: &mut Vec<Value>) {
        /// The loop for `N`-byte items.
        #[inline(always)]
        fn run<const N: usize>(bytes: &[u8], items: &mut Vec<Value>, f: impl Fn([u8; N]) -> Value) {
            // Every chunk is `N` bytes long (`chunks_exact`), so the conversion never fails.
            items.extend(bytes.chunks_exact(N).map(|c| f(c.try_into().unwrap_or([0; N]))));
        }
        match self {
            NativeCode::Char => run(bytes, items, |b: [u8; 1]| Value::from(b)),
            NativeCode::Bool => run(bytes, items, |[b]: [u8; 1]| Value::Bool(b != 0)),
            NativeCode::I8 => run(bytes, items, |[b]: [u8; 1]| Value::Int(i64::from(b as i8))),
            NativeCode::U8 => run(bytes, items, |[b]: [u8; 1]| Value::Int(i64::from(b))),
            NativeCode::I16 => run(bytes, items, |b| Value::Int(i64::from(i16::from_ne_bytes(b)))),
            NativeCode::U16 => run(bytes, items, |b| Value::Int(i64::from(u16::from_ne_bytes(b)))),
            NativeCode::I32 => run(bytes, items, |b| Value::Int(i64::from(i32::from_ne_bytes(b)))),
            NativeCode::U32 => run(bytes, items, |b| Value::Int(i64::from(u32::from_ne_bytes(b)))),
            NativeCode::I64(_) => run(bytes, items, |b| Value::Int(i64::from_ne_bytes(b))),
            NativeCode::U64(_) | NativeCode::Pointer => run(bytes, items, |b| Value::from(u64::from_ne_bytes(b))),
            NativeCode::F32 => run(bytes, items, |b| Value::Float(f64::from(f32::from_ne_bytes(b)))),
            NativeCode::F64 => run(bytes, items, |b| Value::Float(f64::from_ne_bytes(b))),
        }
    }

    /// Decodes an item from exactly `size()` bytes (`None` for any other length).
    #[inline]
    pub(crate) fn unpack(self, b: &[u8]) -> Option<Value> {
        Some(match self {
            NativeCode::Char => Value::from([*one(b)?]),
            NativeCode::Bool => Value::Bool(*one(b)? != 0),
            NativeCode::I8 => Value::Int(i64::from(*one(b)? as i8)),
            NativeCode::U8 => Value::Int(i64::from(*one(b)?)),
            NativeCode::I16 => Value::Int(i64::from(i16::from_ne_bytes(ne(b)?))),
            NativeCode::U16 => Value::Int(i64::from(u16::from_ne_bytes(ne(b)?))),
            NativeCode::I32 => Value::Int(i64::from(i32::from_ne_bytes(ne(b)?))),
            NativeCode::U32 => Value::Int(i64::from(u32::from_ne_bytes(ne(b)?))),
            NativeCode::I64(_) => Value::Int(i64::from_ne_bytes(ne(b)?)),
            NativeCode::U64(_) | NativeCode::Pointer => Value::from(u64::from_ne_bytes(ne(b)?)),
            NativeCode::F32 => Value::Float(f64::from(f32::from_ne_bytes(ne(b)?))),
            NativeCode::F64 => Value::Float(f64::from_ne_bytes(ne(b)?)),
        })
    }
}

/// The one byte of a one-byte item.
#[inline(always)]
fn one(b: &[u8]) -> Option<&u8> {
    match b {
        [x] => Some(x),
        _ => None,
    }
}

/// The bytes of an `N`-byte item.
#[inline(always)]
fn ne<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

/// How the items of one format are read and written.
#[derive(Debug, Clone)]
pub(crate) enum ItemCodec {
    /// A native single code (`"i"`, `"@d"`): memoryview's own conversions and errors.
    Native(NativeCode),
    /// Any other format the codec reads: struct-module semantics per item.
    Codec(Rc<Format>),
    /// A format nothing can read; item access fails with `NotImplementedError`.
    Unsupported,
}

impl ItemCodec {
    pub(crate) fn new(format: &str) -> ItemCodec {
        match NativeCode::of_format(format) {
            Some(c) => ItemCodec::Native(c),
            None => match Format::parse(format) {
                Ok(f) if f.itemsize() > 0 => ItemCodec::Codec(Rc::new(f)),
                _ => ItemCodec::Unsupported,
            },
        }
    }

    /// The codec of the items of a slice of `T`: its native code found at compile time, or
    /// [`for_exporter`](Self::for_exporter)'s answer for another format.
    #[inline]
    pub(crate) fn of_element<T: buffer_protocol::Element>() -> ItemCodec {
        match const { NativeCode::of_element(T::FORMAT, std::mem::size_of::<T>()) } {
            Some(code) => ItemCodec::Native(code),
            None => ItemCodec::for_exporter(T::FORMAT, std::mem::size_of::<T>()),
        }
    }

    /// The codec of an exporter's items: `format` read at the exporter's `itemsize`. A
    /// format whose size is not the item size (a packed NumPy record described with aligned
    /// codes, a lying exporter) cannot be read safely at that size, so its items are
    /// [`Unsupported`](ItemCodec::Unsupported): the view exists, its bytes are there, and
    /// item access fails with `NotImplementedError`, as the builtin's does for a format its
    /// struct module cannot unpack.
    #[inline]
    pub(crate) fn for_exporter(format: &str, itemsize: usize) -> ItemCodec {
        // Native single codes, the formats of nearly every buffer, without the general path.
        if let Some(c) = NativeCode::of_format(format) {
            return if c.size() == itemsize { ItemCodec::Native(c) } else { ItemCodec::Unsupported };
        }
        let codec = ItemCodec::new(format);
        match codec.check_itemsize(format, itemsize) {
            Ok(()) => codec,
            Err(_) => ItemCodec::Unsupported,
        }
    }

    /// Refuses an item size that differs from the format's size (a lying exporter): every
    /// reader can then rely on items of the format's size. Unreadable formats have no size
    /// to check; their items are only ever handled as bytes.
    pub(crate) fn check_itemsize(&self, format: &str, itemsize: usize) -> Result<(), BufferError> {
        let size = match self {
            ItemCodec::Native(c) => c.size(),
            ItemCodec::Codec(f) => f.itemsize(),
            ItemCodec::Unsupported => return Ok(()),
        };
        if size != itemsize {
            return Err(BufferError::ItemsizeMismatch { format: format.to_owned(), size, itemsize });
        }
        Ok(())
    }

    /// Whether CPython's memoryview itself can unpack this format.
    pub(crate) fn is_native(&self) -> bool {
        matches!(self, ItemCodec::Native(_))
    }

    /// Decodes one item from its bytes.
    pub(crate) fn unpack(&self, format: &str, bytes: &[u8]) -> Result<Value, ViewError> {
        match self {
            ItemCodec::Native(c) => c.unpack(bytes).ok_or_else(|| ViewError::UnsupportedFormat(format.to_owned())),
            ItemCodec::Codec(f) => Ok(f.unpack_item(bytes)?),
            ItemCodec::Unsupported => Err(ViewError::UnsupportedFormat(format.to_owned())),
        }
    }

    /// Encodes one item into `out` (exactly one item long).
    pub(crate) fn pack(&self, format: &str, value: &Value, out: &mut [u8]) -> Result<(), ViewError> {
        match self {
            ItemCodec::Native(c) => pack_native(*c, format, value, out),
            ItemCodec::Codec(f) => f.pack_item(value, out).map_err(|e| match e {
                // memoryview's `pack_single` turns `PyFloat_Pack2`'s OverflowError into
                // "invalid value" (`fix_error_int`) for its native `e`.
                format_codec::CodecError::FloatTooLarge { .. } if matches!(format, "e" | "@e") => {
                    ViewError::InvalidValue(format.trim_start_matches('@').to_owned())
                }
                e => e.into(),
            }),
            ItemCodec::Unsupported => Err(ViewError::UnsupportedFormat(format.to_owned())),
        }
    }
}

/// Writes a native item with memoryview's conversions: `TypeError` for a value of the wrong
/// type, `ValueError` for one out of range; `f` stores out-of-range floats as infinities.
fn pack_native(code: NativeCode, format: &str, value: &Value, out: &mut [u8]) -> Result<(), ViewError> {
    let bad_type = || ViewError::InvalidType(format.to_owned());
    let bad_value = || ViewError::InvalidValue(format.to_owned());
    let int = || -> Result<i128, ViewError> {
        match value {
            Value::Int(_) | Value::UInt(_) | Value::Bool(_) | Value::BigInt(_) => value.as_i128().ok_or_else(bad_value),
            Value::Float(_) | Value::Bytes(_) | Value::Complex(_) | Value::List(_) => Err(bad_type()),
        }
    };
    let in_range = |i: i128, lo: i128, hi: i128| {
        if (lo..=hi).contains(&i) {
            Ok(i)
        } else {
            Err(bad_value())
        }
    };
    let float = || -> Result<f64, ViewError> {
        match value {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::UInt(u) => Ok(*u as f64),
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            Value::BigInt(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(bad_value),
            _ => Err(bad_type()),
        }
    };
    let mut buf = [0u8; 8];
    let bytes: &[u8] = match code {
        NativeCode::Char => match value {
            Value::Bytes(b) if b.len() == 1 => b,
            Value::Bytes(_) => return Err(bad_value()),
            _ => return Err(bad_type()),
        },
        NativeCode::Bool => {
            buf[0] = u8::from(value.truthy());
            &buf[..1]
        }
        NativeCode::I8 => put(&mut buf, &(in_range(int()?, -128, 127)? as i8).to_ne_bytes()),
        NativeCode::U8 => put(&mut buf, &(in_range(int()?, 0, 255)? as u8).to_ne_bytes()),
        NativeCode::I16 => put(&mut buf, &(in_range(int()?, -32768, 32767)? as i16).to_ne_bytes()),
        NativeCode::U16 => put(&mut buf, &(in_range(int()?, 0, 65535)? as u16).to_ne_bytes()),
        NativeCode::I32 => put(&mut buf, &(in_range(int()?, i32::MIN.into(), i32::MAX.into())? as i32).to_ne_bytes()),
        NativeCode::U32 => put(&mut buf, &(in_range(int()?, 0, u32::MAX.into())? as u32).to_ne_bytes()),
        NativeCode::I64(_) => {
            put(&mut buf, &(in_range(int()?, i64::MIN.into(), i64::MAX.into())? as i64).to_ne_bytes())
        }
        NativeCode::U64(_) => put(&mut buf, &(in_range(int()?, 0, u64::MAX.into())? as u64).to_ne_bytes()),
        // `PyLong_AsVoidPtr`: negative values wrap.
        NativeCode::Pointer => {
            put(&mut buf, &(in_range(int()?, i64::MIN.into(), u64::MAX.into())? as u64).to_ne_bytes())
        }
        // memoryview stores out-of-range floats as infinities (a plain C cast).
        NativeCode::F32 => put(&mut buf, &(float()? as f32).to_ne_bytes()),
        NativeCode::F64 => put(&mut buf, &float()?.to_ne_bytes()),
    };
    if out.len() != bytes.len() {
        return Err(ViewError::UnsupportedFormat(format.to_owned()));
    }
    out.copy_from_slice(bytes);
    Ok(())
}

/// Copies `src` to the start of `buf` and returns that part.
fn put<'b>(buf: &'b mut [u8; 8], src: &[u8]) -> &'b [u8] {
    let n = src.len().min(8);
    buf[..n].copy_from_slice(&src[..n]);
    &buf[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_codes_round_trip_and_check_ranges() {
        for (c, value) in [
            (b'b', Value::Int(-5)),
            (b'Q', Value::from(1u64 << 63)),
            (b'?', Value::Bool(true)),
            (b'd', Value::Float(0.25)),
        ] {
            let code = NativeCode::from_char(c).unwrap();
            let mut buf = vec![0u8; code.size()];
            let fmt = char::from(c).to_string();
            pack_native(code, &fmt, &value, &mut buf).unwrap();
            assert_eq!(code.unpack(&buf), Some(value));
            assert_eq!(code.unpack(&[0; 9]), None, "a wrong length is refused, never a panic");
        }
        for &c in NATIVE_ITEM_CODES {
            assert_eq!(NativeCode::from_char(c).map(NativeCode::char), Some(c));
        }
        let mut b = [0u8; 1];
        assert!(matches!(pack_native(NativeCode::U8, "B", &Value::Int(256), &mut b), Err(ViewError::InvalidValue(_))));
        // A half float too large for `e` is memoryview's "invalid value" (a ValueError).
        let half = ItemCodec::new("e");
        let mut h = [0u8; 2];
        assert!(matches!(half.pack("e", &Value::Float(1e10), &mut h), Err(ViewError::InvalidValue(f)) if f == "e"));
        assert!(matches!(pack_native(NativeCode::U8, "B", &Value::Float(1.0), &mut b), Err(ViewError::InvalidType(_))));
        assert!(matches!(
            pack_native(NativeCode::Char, "c", &Value::Bytes(vec![].into()), &mut b),
            Err(ViewError::InvalidValue(_))
        ));
        let mut f = [0u8; 4];
        pack_native(NativeCode::F32, "f", &Value::Float(1e300), &mut f).unwrap();
        assert_eq!(f32::from_ne_bytes(f), f32::INFINITY, "memoryview stores out-of-range floats as inf");
    }

    #[test]
    fn codecs_are_chosen_by_format() {
        assert!(ItemCodec::new("@i").is_native());
        assert!(!ItemCodec::new("<i").is_native());
        assert!(matches!(ItemCodec::new("T{i:a:}"), ItemCodec::Codec(_)));
        assert!(matches!(ItemCodec::new("&i"), ItemCodec::Unsupported));
    }
}

/// A view's format text, kept without copying where it can be: the `'static` formats of
/// slices, typed exporters and casts, or the acquisition's own (read from its descriptor).
#[derive(Debug, Clone)]
pub(crate) enum FormatText {
    /// A `'static` string.
    Static(&'static str),
    /// The format of the acquisition's descriptor.
    Acquired,
    /// Any other string (field views), shared by the views derived from it.
    Shared(Rc<str>),
}

/// Every spelling of a native single-code format that `cast` accepts, as `'static` strings.
const NATIVE_SPELLINGS: [&str; 40] = [
    "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "f", "d", "e", "?", "c", "P", "x", "s", "@b", "@B",
    "@h", "@H", "@i", "@I", "@l", "@L", "@q", "@Q", "@n", "@N", "@f", "@d", "@e", "@?", "@c", "@P", "@x", "@s",
];

impl FormatText {
    /// The text of `format`, without copying if it is one of the native spellings.
    pub(crate) fn of(format: &str) -> FormatText {
        match NATIVE_SPELLINGS.iter().find(|&&s| s == format) {
            Some(s) => FormatText::Static(s),
            None => FormatText::Shared(Rc::from(format)),
        }
    }
}

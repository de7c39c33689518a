//! Item conversion: CPython memoryview's rules for native single-character formats, and the
//! format codec for everything else (non-native byte orders, multi-item and PEP 3118 formats).

use crate::ViewError;
use format_codec::{Format, Value};

/// The native single-character codes CPython 3.11's memoryview unpacks and packs.
pub(crate) const NATIVE_ITEM_CODES: &[u8] = b"cbB?hHiIlLqQnNfdP";

/// How the items of one format are read and written.
#[derive(Debug, Clone)]
pub(crate) enum ItemCodec {
    /// A native single code (`"i"`, `"@d"`): memoryview's own conversions and errors.
    Native(u8),
    /// Any other format the codec reads: struct-module semantics per item.
    Codec(Box<Format>),
    /// A format nothing can read; item access fails with `NotImplementedError`.
    Unsupported,
}

impl ItemCodec {
    pub(crate) fn new(format: &str) -> ItemCodec {
        match Format::native_single_code(format) {
            Some(c) if NATIVE_ITEM_CODES.contains(&c) => ItemCodec::Native(c),
            _ => match Format::parse(format) {
                Ok(f) if f.itemsize() > 0 => ItemCodec::Codec(Box::new(f)),
                _ => ItemCodec::Unsupported,
            },
        }
    }

    /// Whether CPython's memoryview itself can unpack this format.
    pub(crate) fn is_native(&self) -> bool {
        matches!(self, ItemCodec::Native(_))
    }

    /// Decodes one item from its bytes.
    pub(crate) fn unpack(&self, format: &str, bytes: &[u8]) -> Result<Value, ViewError> {
        match self {
            ItemCodec::Native(c) => Ok(unpack_native(*c, bytes)),
            ItemCodec::Codec(f) => Ok(f.unpack_item(bytes)?),
            ItemCodec::Unsupported => Err(ViewError::UnsupportedFormat(format.to_owned())),
        }
    }

    /// Encodes one item into `out` (exactly one item long).
    pub(crate) fn pack(&self, format: &str, value: &Value, out: &mut [u8]) -> Result<(), ViewError> {
        match self {
            ItemCodec::Native(c) => pack_native(*c, format, value, out),
            ItemCodec::Codec(f) => Ok(f.pack_item(value, out)?),
            ItemCodec::Unsupported => Err(ViewError::UnsupportedFormat(format.to_owned())),
        }
    }
}

fn ne<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// Reads a native item (`bytes` holds exactly its size).
pub(crate) fn unpack_native(code: u8, b: &[u8]) -> Value {
    match code {
        b'c' => Value::Bytes(vec![b[0]]),
        b'?' => Value::Bool(b[0] != 0),
        b'b' => Value::Int(i128::from(b[0] as i8)),
        b'B' => Value::Int(i128::from(b[0])),
        b'h' => Value::Int(i128::from(i16::from_ne_bytes(ne(b)))),
        b'H' => Value::Int(i128::from(u16::from_ne_bytes(ne(b)))),
        b'i' => Value::Int(i128::from(i32::from_ne_bytes(ne(b)))),
        b'I' => Value::Int(i128::from(u32::from_ne_bytes(ne(b)))),
        b'l' | b'q' | b'n' => Value::Int(i128::from(i64::from_ne_bytes(ne(b)))),
        b'L' | b'Q' | b'N' | b'P' => Value::Int(i128::from(u64::from_ne_bytes(ne(b)))),
        b'f' => Value::Float(f64::from(f32::from_ne_bytes(ne(b)))),
        _ => Value::Float(f64::from_ne_bytes(ne(b))),
    }
}

/// The size of a native item code.
pub(crate) fn native_size(code: u8) -> usize {
    match code {
        b'c' | b'b' | b'B' | b'?' => 1,
        b'h' | b'H' | b'e' => 2,
        b'i' | b'I' | b'f' => 4,
        _ => 8,
    }
}

/// Writes a native item with memoryview's conversions: `TypeError` for a value of the wrong
/// type, `ValueError` for one out of range; `f` stores out-of-range floats as infinities.
fn pack_native(code: u8, format: &str, value: &Value, out: &mut [u8]) -> Result<(), ViewError> {
    let bad_type = || ViewError::InvalidType(format.to_owned());
    let bad_value = || ViewError::InvalidValue(format.to_owned());
    let int = || -> Result<i128, ViewError> {
        match value {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i128::from(*b)),
            Value::BigInt(_) => Err(bad_value()),
            _ => Err(bad_type()),
        }
    };
    let in_range = |i: i128, lo: i128, hi: i128| {
        if (lo..=hi).contains(&i) {
            Ok(i)
        } else {
            Err(bad_value())
        }
    };
    match code {
        b'c' => match value {
            Value::Bytes(b) if b.len() == 1 => out[0] = b[0],
            Value::Bytes(_) => return Err(bad_value()),
            _ => return Err(bad_type()),
        },
        b'?' => out[0] = u8::from(value.truthy()),
        b'b' => out[0] = in_range(int()?, -128, 127)? as i8 as u8,
        b'B' => out[0] = in_range(int()?, 0, 255)? as u8,
        b'h' => out.copy_from_slice(&(in_range(int()?, -32768, 32767)? as i16).to_ne_bytes()),
        b'H' => out.copy_from_slice(&(in_range(int()?, 0, 65535)? as u16).to_ne_bytes()),
        b'i' => out.copy_from_slice(&(in_range(int()?, i32::MIN.into(), i32::MAX.into())? as i32).to_ne_bytes()),
        b'I' => out.copy_from_slice(&(in_range(int()?, 0, u32::MAX.into())? as u32).to_ne_bytes()),
        b'l' | b'q' | b'n' => {
            out.copy_from_slice(&(in_range(int()?, i64::MIN.into(), i64::MAX.into())? as i64).to_ne_bytes())
        }
        b'L' | b'Q' | b'N' => out.copy_from_slice(&(in_range(int()?, 0, u64::MAX.into())? as u64).to_ne_bytes()),
        b'P' => {
            // `PyLong_AsVoidPtr`: negative values wrap.
            let i = in_range(int()?, i64::MIN.into(), u64::MAX.into())?;
            out.copy_from_slice(&(i as u64).to_ne_bytes())
        }
        b'f' | b'd' => {
            let x = match value {
                Value::Float(f) => *f,
                Value::Int(i) => *i as f64,
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::BigInt(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(bad_value)?,
                _ => return Err(bad_type()),
            };
            if code == b'f' {
                out.copy_from_slice(&(x as f32).to_ne_bytes());
            } else {
                out.copy_from_slice(&x.to_ne_bytes());
            }
        }
        _ => return Err(ViewError::UnsupportedFormat(format.to_owned())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_codes_round_trip_and_check_ranges() {
        for (code, value) in
            [(b'b', Value::Int(-5)), (b'Q', Value::Int(1 << 63)), (b'?', Value::Bool(true)), (b'd', Value::Float(0.25))]
        {
            let mut buf = vec![0u8; native_size(code)];
            let fmt = char::from(code).to_string();
            pack_native(code, &fmt, &value, &mut buf).unwrap();
            assert_eq!(unpack_native(code, &buf), value);
        }
        let mut b = [0u8; 1];
        assert!(matches!(pack_native(b'B', "B", &Value::Int(256), &mut b), Err(ViewError::InvalidValue(_))));
        assert!(matches!(pack_native(b'B', "B", &Value::Float(1.0), &mut b), Err(ViewError::InvalidType(_))));
        assert!(matches!(pack_native(b'c', "c", &Value::Bytes(vec![]), &mut b), Err(ViewError::InvalidValue(_))));
        let mut f = [0u8; 4];
        pack_native(b'f', "f", &Value::Float(1e300), &mut f).unwrap();
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

//! [`Format`]: any buffer format, read by the struct grammar where it applies and by the
//! PEP 3118 reader where it does not.

use crate::scalar::read_scalar;
use crate::{CodecError, Layout, Struct, Value};

/// The format of one item of a buffer.
///
/// Struct-module formats (`"i"`, `"<d"`, `"2hQ"`) keep CPython's struct semantics, including
/// no trailing padding; anything the struct grammar rejects is read as PEP 3118 (`"T{...}"`,
/// `"(2,3)i"`, `"Zd"`).
///
/// ```
/// use format_codec::{Format, Value};
/// let f = Format::parse("<2h").unwrap();
/// assert_eq!(f.itemsize(), 4);
/// assert_eq!(f.unpack_item(&[1, 0, 2, 0]).unwrap(), Value::List(vec![Value::Int(1), Value::Int(2)].into()));
/// let g = Format::parse("T{<i:a:}").unwrap();
/// assert_eq!(g.unpack_item(&[5, 0, 0, 0]).unwrap(), Value::List(vec![Value::Int(5)].into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// A format of the struct module (boxed: a parsed `Struct` keeps its items inline).
    Struct(Box<Struct>),
    /// A PEP 3118 format beyond the struct module.
    Pep3118(Layout),
}

impl Format {
    /// Parses a buffer format; the error is the struct module's when both readers refuse it.
    ///
    /// ```
    /// use format_codec::Format;
    /// assert!(matches!(Format::parse("<i").unwrap(), Format::Struct(_)));
    /// assert!(matches!(Format::parse("T{i:a:}").unwrap(), Format::Pep3118(_)));
    /// assert!(Format::parse("T{").is_err());
    /// ```
    pub fn parse(format: &str) -> Result<Format, CodecError> {
        match Struct::new(format) {
            Ok(s) => Ok(Format::Struct(Box::new(s))),
            Err(e) => Layout::parse(format).map(Format::Pep3118).map_err(|_| e),
        }
    }

    /// The size in bytes of one item.
    ///
    /// ```
    /// assert_eq!(format_codec::Format::parse("(2)d").unwrap().itemsize(), 16);
    /// ```
    pub fn itemsize(&self) -> usize {
        match self {
            Format::Struct(s) => s.size(),
            Format::Pep3118(l) => l.itemsize(),
        }
    }

    /// The code if this is a single native code with an optional leading `@`, as CPython's
    /// memoryview requires for item access (e.g. `"i"`, `"@d"`; not `"<i"` or `"2h"`).
    ///
    /// ```
    /// use format_codec::Format;
    /// assert_eq!(Format::native_single_code("@B"), Some(b'B'));
    /// assert_eq!(Format::native_single_code("<B"), None);
    /// ```
    #[inline]
    pub fn native_single_code(format: &str) -> Option<u8> {
        let b = format.strip_prefix('@').unwrap_or(format).as_bytes();
        match b {
            [c] => Some(*c),
            _ => None,
        }
    }

    /// Unpacks one item: a scalar when the format holds one value, a list when it holds several
    /// (as `struct.unpack` would give a 1-tuple or a tuple).
    ///
    /// ```
    /// let f = format_codec::Format::parse(">h").unwrap();
    /// assert_eq!(f.unpack_item(&[1, 0]).unwrap(), format_codec::Value::Int(256));
    /// ```
    pub fn unpack_item(&self, bytes: &[u8]) -> Result<Value, CodecError> {
        match self {
            Format::Struct(s) => {
                let record = bytes.get(..s.size()).ok_or(CodecError::UnpackSize { size: s.size() })?;
                // One scalar (`"<d"`, `"@i"`): no vector for a one-value record.
                if let Some((scalar, offset)) = s.single_scalar() {
                    return read_scalar(scalar, record, offset, s.byte_order().is_little_endian());
                }
                let mut values = s.unpack(record)?;
                if values.len() == 1 {
                    Ok(values.remove(0))
                } else {
                    Ok(Value::from(values))
                }
            }
            Format::Pep3118(l) => l.unpack(bytes),
        }
    }

    /// Packs one item into `out` (exactly [`itemsize`](Self::itemsize) bytes), taking the same
    /// shape of value [`unpack_item`](Self::unpack_item) gives.
    ///
    /// ```
    /// let f = format_codec::Format::parse("<2h").unwrap();
    /// let mut out = [0u8; 4];
    /// f.pack_item(&format_codec::Value::List(vec![1.into(), 2.into()].into()), &mut out).unwrap();
    /// assert_eq!(out, [1, 0, 2, 0]);
    /// ```
    pub fn pack_item(&self, value: &Value, out: &mut [u8]) -> Result<(), CodecError> {
        match self {
            Format::Struct(s) => {
                let values = match value {
                    Value::List(items) if s.value_count() != 1 => items.as_slice(),
                    other if s.value_count() == 1 => std::slice::from_ref(other),
                    _ => return Err(CodecError::WrongValueCount { op: "pack", expected: s.value_count(), got: 1 }),
                };
                if values.len() != s.value_count() {
                    return Err(CodecError::WrongValueCount {
                        op: "pack",
                        expected: s.value_count(),
                        got: values.len(),
                    });
                }
                let mut rec = vec![0u8; s.size()];
                s.pack_record(values, &mut rec)?;
                let dst = out.get_mut(..s.size()).ok_or(CodecError::UnpackSize { size: s.size() })?;
                dst.copy_from_slice(&rec);
                Ok(())
            }
            Format::Pep3118(l) => {
                let packed = l.pack(value)?;
                let dst = out.get_mut(..packed.len()).ok_or(CodecError::UnpackSize { size: packed.len() })?;
                dst.copy_from_slice(&packed);
                Ok(())
            }
        }
    }
}

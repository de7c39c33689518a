//! PEP 3118 formats as NumPy 2 reads them: structs `T{...}`, `:name:` fields, sub-arrays
//! `(n,m)`, complex `Zf`/`Zd`, the unaligned `^` mode, and byte-order changes anywhere.
//!
//! The rules (from NumPy's reader, the de facto standard):
//! 1. One byte-order setting runs through the whole string: a prefix holds from where it
//!    stands to the next prefix, into nested structs and on after they close.
//! 2. A field is aligned to its own alignment only if the setting is `@` when it is placed
//!    (for a nested struct: the setting in force after its `}`).
//! 3. A struct's alignment is the least common multiple of the alignments of the fields placed
//!    in `@` mode; it is rounded up to that only if the setting is `@` at its closing `}`.
//! 4. Unnamed fields are named `fK`, the lowest K not already taken in the same struct.

use crate::code::{ByteOrder, Opaque, Scalar};
use crate::scalar::{read_scalar, write_scalar};
use crate::{CodecError, Value};

mod parse;

use self::parse::{name_fields, parse_struct, Stream};

/// How deeply `T{...}` structs may nest (NumPy's reader recurses once per level; Python's
/// recursion limit stops it near 1000). Deeper formats are refused with
/// [`CodecError::TooDeep`], so parsing, packing and unpacking never exhaust the stack.
///
/// ```
/// let deep = "T{".repeat(format_codec::MAX_NESTING + 1) + "b" + &"}".repeat(format_codec::MAX_NESTING + 1);
/// assert!(format_codec::Layout::parse(&deep).is_err());
/// ```
pub const MAX_NESTING: usize = 64;

/// The most dimensions a sub-array `(n,m,...)` may have (NumPy's `NPY_MAXDIMS`).
///
/// ```
/// let dims = vec!["1"; format_codec::MAX_SUBARRAY_DIMS + 1].join(",");
/// assert!(format_codec::Layout::parse(&format!("({dims})B")).is_err());
/// ```
pub const MAX_SUBARRAY_DIMS: usize = 64;

/// The element type of one layout node.
///
/// ```
/// use format_codec::{Element, Layout};
/// assert!(matches!(Layout::parse("4s").unwrap().element(), Element::Bytes(4)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// A scalar stored in the given byte order.
    Scalar {
        /// What is stored.
        scalar: Scalar,
        /// The code as written (`"i"`, `"Zd"`, ...).
        code: &'static str,
        /// Whether it is stored little-endian.
        little: bool,
    },
    /// A byte string of the given length (`Ns`, `c`, or a named padding field `Nx`).
    Bytes(usize),
    /// A struct: its fields in order.
    Struct(Vec<Field>),
}

/// A node of a parsed PEP 3118 layout: an element, repeated over a sub-array shape.
///
/// ```
/// let layout = format_codec::Layout::parse("(2,3)<h").unwrap();
/// assert_eq!(layout.shape(), &[2, 3]);
/// assert_eq!(layout.itemsize(), 12);
/// assert_eq!(layout.element_size(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    shape: Vec<usize>,
    element: Element,
    element_size: usize,
    itemsize: usize,
    order: ByteOrder,
    /// How many [`Value`]s one item unpacks to (lists, fields and leaves), saturating.
    values: usize,
    /// The byte-order setting at a struct's closing `}` (which decides its rounding); the
    /// node's own setting for other nodes.
    close: ByteOrder,
}

/// One named field of a struct layout.
///
/// ```
/// let l = format_codec::Layout::parse("T{b:a:i:b:}").unwrap();
/// let f = &l.fields().unwrap()[1];
/// assert_eq!((f.name.as_str(), f.offset), ("b", 4));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's name (`fK` if the format gave none).
    pub name: String,
    /// Byte offset from the start of the struct.
    pub offset: usize,
    /// The field's layout (its `itemsize` includes its sub-array shape).
    pub layout: Layout,
}

fn gcd(a: usize, b: usize) -> usize {
    match a.checked_rem(b) {
        None => a, // b == 0
        Some(r) => gcd(b, r),
    }
}

/// The scalar for a PEP 3118 code in the given mode, its alignment, and the code's text.
fn pep_scalar(s: &[u8], order: ByteOrder) -> Option<(Scalar, usize, &'static str, usize)> {
    let native = order.native_sizes();
    let int = |size: u8, signed: bool| Scalar::Int { size, signed };
    let (sc, code, len): (Scalar, &'static str, usize) = match (s.first()?, s.get(1)) {
        (b'?', _) => (Scalar::Bool, "?", 1),
        (b'b', _) => (int(1, true), "b", 1),
        (b'B', _) => (int(1, false), "B", 1),
        (b'h', _) => (int(2, true), "h", 1),
        (b'H', _) => (int(2, false), "H", 1),
        (b'i', _) => (int(4, true), "i", 1),
        (b'I', _) => (int(4, false), "I", 1),
        (b'l', _) => (int(if native { 8 } else { 4 }, true), "l", 1),
        (b'L', _) => (int(if native { 8 } else { 4 }, false), "L", 1),
        (b'q', _) => (int(8, true), "q", 1),
        (b'Q', _) => (int(8, false), "Q", 1),
        (b'e', _) => (Scalar::Half, "e", 1),
        (b'f', _) => (Scalar::Float, "f", 1),
        (b'd', _) => (Scalar::Double, "d", 1),
        (b'Z', Some(b'f')) => (Scalar::ComplexFloat, "Zf", 2),
        (b'Z', Some(b'd')) => (Scalar::ComplexDouble, "Zd", 2),
        (b'g', _) if native => (Scalar::Opaque(Opaque::LongDouble), "g", 1),
        (b'Z', Some(b'g')) if native => (Scalar::Opaque(Opaque::ComplexLongDouble), "Zg", 2),
        (b'O', _) => (Scalar::Opaque(Opaque::Object), "O", 1),
        _ => return None,
    };
    let align = match sc {
        Scalar::ComplexFloat => 4,
        Scalar::ComplexDouble => 8,
        Scalar::Opaque(o) => o.size().min(16),
        other => other.size(),
    };
    Some((sc, align, code, len))
}

fn product(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b))
}

/// How many values one item may unpack to beyond [`VALUES_PER_BYTE`] per byte of the item.
const VALUES_SLACK: usize = 1 << 16;
/// How many values one byte of an item may unpack to (nested lists and structs around it).
const VALUES_PER_BYTE: usize = 256;

impl Layout {
    fn new(shape: Vec<usize>, element: Element, element_size: usize, itemsize: usize, order: ByteOrder) -> Layout {
        Layout::closed(shape, element, element_size, itemsize, order, order)
    }

    fn closed(
        shape: Vec<usize>,
        element: Element,
        element_size: usize,
        itemsize: usize,
        order: ByteOrder,
        close: ByteOrder,
    ) -> Layout {
        let per_element = match &element {
            Element::Scalar { .. } | Element::Bytes(_) => 1,
            Element::Struct(fields) => fields.iter().fold(1usize, |n, f| n.saturating_add(f.layout.values)),
        };
        // A sub-array (d1, ..., dk) is 1 + d1 + d1*d2 + ... + d1*...*d(k-1) lists around
        // d1*...*dk elements.
        let mut values = 0usize;
        let mut run = 1usize;
        for &d in &shape {
            values = values.saturating_add(run);
            run = run.saturating_mul(d);
        }
        let values = values.saturating_add(run.saturating_mul(per_element));
        Layout { shape, element, element_size, itemsize, order, values, close }
    }

    /// Parses a PEP 3118 format string with NumPy's rules.
    ///
    /// ```
    /// use format_codec::Layout;
    /// assert_eq!(Layout::parse("T{l:a:i:b:}").unwrap().itemsize(), 16);
    /// assert_eq!(Layout::parse("T{<b@ib}").unwrap().itemsize(), 12);
    /// assert!(Layout::parse("T{i").is_err());
    /// ```
    pub fn parse(format: &str) -> Result<Layout, CodecError> {
        let mut st = Stream { s: format.as_bytes(), pos: 0, order: ByteOrder::Native, depth: 0 };
        let (mut fields, size, _align) = parse_struct(&mut st, false)?;
        // A single unnamed item at offset 0 that fills the whole size is that item itself.
        if let [only] = fields.as_slice() {
            if only.unnamed && only.field.offset == 0 && only.field.layout.itemsize == size {
                if let Some(p) = fields.pop() {
                    return Ok(p.field.layout);
                }
            }
        }
        Ok(struct_layout(name_fields(fields), size, st.order))
    }

    /// The total size in bytes, sub-array included.
    ///
    /// ```
    /// assert_eq!(format_codec::Layout::parse("^T{bq}").unwrap().itemsize(), 9);
    /// ```
    pub fn itemsize(&self) -> usize {
        self.itemsize
    }

    /// The sub-array shape (`[]` if the item is not a sub-array).
    ///
    /// ```
    /// assert_eq!(format_codec::Layout::parse("(3)Zf").unwrap().shape(), &[3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The size of one element of the sub-array (the stride between its elements).
    ///
    /// ```
    /// assert_eq!(format_codec::Layout::parse("(3)Zf").unwrap().element_size(), 8);
    /// ```
    pub fn element_size(&self) -> usize {
        self.element_size
    }

    /// The element type.
    ///
    /// ```
    /// use format_codec::{Element, Layout};
    /// assert!(matches!(Layout::parse("T{i}").unwrap().element(), Element::Struct(_)));
    /// ```
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// The fields, if the element is a struct.
    ///
    /// ```
    /// let l = format_codec::Layout::parse("T{i:a:b}").unwrap();
    /// let names: Vec<_> = l.fields().unwrap().iter().map(|f| f.name.as_str()).collect();
    /// assert_eq!(names, ["a", "f0"]);
    /// ```
    pub fn fields(&self) -> Option<&[Field]> {
        match &self.element {
            Element::Struct(f) => Some(f),
            _ => None,
        }
    }

    /// The field of a struct layout with this name: its offset and layout, for column views.
    ///
    /// ```
    /// let l = format_codec::Layout::parse("T{<i:x:<d:y:}").unwrap();
    /// let y = l.field("y").unwrap();
    /// assert_eq!((y.offset, y.layout.itemsize(), y.layout.to_format()), (4, 8, "<d".to_string()));
    /// ```
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields()?.iter().find(|f| f.name == name)
    }

    /// A format string for this layout alone, in canonical PEP 3118 spelling.
    ///
    /// ```
    /// let l = format_codec::Layout::parse("T{(2)<h:a:}").unwrap();
    /// assert_eq!(l.to_format(), "T{(2)<h:a:}");
    /// ```
    pub fn to_format(&self) -> String {
        let mut out = String::new();
        self.write_format(&mut out, &mut ByteOrder::Native);
        out
    }

    /// Writes the format of this layout; `cur` is the byte-order setting in force where it
    /// is written (PEP 3118's setting is sticky: it runs on until the next prefix, into and
    /// out of nested structs), so a prefix is written wherever the setting must change.
    fn write_format(&self, out: &mut String, cur: &mut ByteOrder) {
        let prefix = |o: ByteOrder| match o {
            ByteOrder::Native => '@',
            ByteOrder::NativeStandard => '=',
            ByteOrder::Little => '<',
            ByteOrder::Big | ByteOrder::Network => '>',
            ByteOrder::NativeUnaligned => '^',
        };
        if !self.shape.is_empty() {
            let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
            out.push('(');
            out.push_str(&dims.join(","));
            out.push(')');
        }
        if self.order != *cur {
            out.push(prefix(self.order));
            *cur = self.order;
        }
        match &self.element {
            Element::Scalar { code: "w", .. } => {
                // `Nw` is one field of N UCS-4 characters.
                let n = self.element_size / 4;
                if n != 1 {
                    out.push_str(&n.to_string());
                }
                out.push('w');
            }
            Element::Scalar { code, .. } => out.push_str(code),
            Element::Bytes(n) => {
                out.push_str(&n.to_string());
                out.push('s');
            }
            Element::Struct(fields) => {
                out.push_str("T{");
                let mut at = 0;
                for f in fields {
                    if f.offset > at {
                        out.push_str(&format!("{}x", f.offset.saturating_sub(at)));
                    }
                    f.layout.write_format(out, cur);
                    out.push(':');
                    out.push_str(&f.name);
                    out.push(':');
                    // Fields lie inside a struct whose size was computed with checked sums.
                    at = f.offset.saturating_add(f.layout.itemsize);
                }
                // The setting at `}` decides the rounding: written on the trailing padding
                // (`0x` if there is none), the one place a prefix can stand before `}`.
                if self.close != *cur {
                    out.push(prefix(self.close));
                    *cur = self.close;
                    out.push_str(&format!("{}x", self.element_size.saturating_sub(at)));
                } else if self.element_size > at {
                    out.push_str(&format!("{}x", self.element_size.saturating_sub(at)));
                }
                out.push('}');
            }
        }
    }

    /// Unpacks one item from `bytes` (at least [`itemsize`](Self::itemsize) long): a struct is
    /// a list of its field values, a sub-array a nested list, a complex number
    /// [`Value::Complex`]; padding is ignored.
    ///
    /// ```
    /// use format_codec::{Layout, Value};
    /// let l = Layout::parse("T{<h:a:(2)B:b:}").unwrap();
    /// let v = l.unpack(&[1, 0, 7, 8]).unwrap();
    /// assert_eq!(v, Value::List(vec![Value::Int(1), Value::List(vec![Value::Int(7), Value::Int(8)].into())].into()));
    /// ```
    ///
    /// The result's size is bounded by the item's: at most 256 values per byte plus 65,536.
    /// Formats whose empty sub-arrays or structs would unpack to more (`(100000,100000,0)B` is
    /// ten billion empty lists in NumPy, from zero bytes) are refused with
    /// [`CodecError::NoMemory`], a `MemoryError`:
    ///
    /// ```
    /// use format_codec::{CodecError, Layout};
    /// let l = Layout::parse("(100000,100000,0)B").unwrap();
    /// assert_eq!(l.itemsize(), 0);
    /// assert!(matches!(l.unpack(&[]), Err(CodecError::NoMemory)));
    /// assert_eq!(Layout::parse("(3,0)B").unwrap().unpack(&[]).unwrap().to_string(), "[[], [], []]");
    /// ```
    pub fn unpack(&self, bytes: &[u8]) -> Result<Value, CodecError> {
        if bytes.len() < self.itemsize {
            return Err(CodecError::UnpackSize { size: self.itemsize });
        }
        if self.values > self.itemsize.saturating_mul(VALUES_PER_BYTE).saturating_add(VALUES_SLACK) {
            return Err(CodecError::NoMemory);
        }
        self.unpack_dims(bytes, 0, 0)
    }

    fn unpack_dims(&self, bytes: &[u8], at: usize, dim: usize) -> Result<Value, CodecError> {
        let Some((&n, rest)) = self.shape.get(dim..).and_then(<[usize]>::split_first) else {
            return self.unpack_element(bytes, at);
        };
        let mut items = Vec::new();
        if n == 0 {
            return Ok(Value::from(items));
        }
        // With `n > 0` and no zero before, the inner block fits in the item (or is empty).
        let inner = product(rest).and_then(|p| p.checked_mul(self.element_size)).ok_or(CodecError::SizeTooLong)?;
        items.try_reserve_exact(n).map_err(|_| CodecError::NoMemory)?;
        for k in 0..n {
            let here = k.checked_mul(inner).and_then(|o| o.checked_add(at)).ok_or(CodecError::SizeTooLong)?;
            items.push(self.unpack_dims(bytes, here, dim.saturating_add(1))?);
        }
        Ok(Value::from(items))
    }

    fn unpack_element(&self, bytes: &[u8], at: usize) -> Result<Value, CodecError> {
        match &self.element {
            Element::Scalar { scalar, little, .. } => read_scalar(*scalar, bytes, at, *little),
            Element::Bytes(n) => {
                let end = at.checked_add(*n).ok_or(CodecError::SizeTooLong)?;
                let b = bytes.get(at..end).ok_or(CodecError::UnpackSize { size: self.itemsize })?;
                Ok(Value::from(b))
            }
            Element::Struct(fields) => fields
                .iter()
                .map(|f| f.layout.unpack_dims(bytes, at.checked_add(f.offset).ok_or(CodecError::SizeTooLong)?, 0))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::from),
        }
    }

    /// Packs one item; padding bytes are zero.
    ///
    /// ```
    /// use format_codec::{Layout, Value};
    /// let l = Layout::parse("T{b:a:i:b:}").unwrap();
    /// let bytes = l.pack(&Value::List(vec![Value::Int(1), Value::Int(2)].into())).unwrap();
    /// assert_eq!(bytes, [1, 0, 0, 0, 2, 0, 0, 0]);
    /// ```
    pub fn pack(&self, value: &Value) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::new();
        out.try_reserve_exact(self.itemsize).map_err(|_| CodecError::NoMemory)?;
        out.resize(self.itemsize, 0);
        self.pack_into(value, &mut out)?;
        Ok(out)
    }

    /// Packs one item into `out` (at least [`itemsize`](Self::itemsize) long); padding bytes
    /// inside the item are left as they are.
    ///
    /// ```
    /// let l = format_codec::Layout::parse("<h").unwrap();
    /// let mut out = [0u8; 3];
    /// l.pack_into(&format_codec::Value::Int(-1), &mut out).unwrap();
    /// assert_eq!(out, [0xff, 0xff, 0]);
    /// ```
    pub fn pack_into(&self, value: &Value, out: &mut [u8]) -> Result<(), CodecError> {
        if out.len() < self.itemsize {
            return Err(CodecError::UnpackSize { size: self.itemsize });
        }
        self.pack_dims(value, out, 0, 0)
    }

    fn pack_dims(&self, value: &Value, out: &mut [u8], at: usize, dim: usize) -> Result<(), CodecError> {
        let dims = self.shape.get(dim..).unwrap_or(&[]);
        let Some((&n, rest)) = dims.split_first() else {
            return self.pack_element(value, out, at);
        };
        let Value::List(items) = value else {
            return Err(CodecError::BadValue(format!("a sub-array of shape {dims:?} needs a list")));
        };
        if items.len() != n {
            return Err(CodecError::BadValue(format!(
                "a sub-array dimension of {n} needs {n} values, got {}",
                items.len()
            )));
        }
        if items.is_empty() {
            return Ok(());
        }
        let inner = product(rest).and_then(|p| p.checked_mul(self.element_size)).ok_or(CodecError::SizeTooLong)?;
        for (k, v) in items.iter().enumerate() {
            let here = k.checked_mul(inner).and_then(|o| o.checked_add(at)).ok_or(CodecError::SizeTooLong)?;
            self.pack_dims(v, out, here, dim.saturating_add(1))?;
        }
        Ok(())
    }

    fn pack_element(&self, value: &Value, out: &mut [u8], at: usize) -> Result<(), CodecError> {
        match &self.element {
            Element::Scalar { scalar, code, little } => {
                let c = code.as_bytes().first().copied().unwrap_or(b'B');
                write_scalar(*scalar, c, value, out, at, *little, false)
            }
            Element::Bytes(n) => {
                let Value::Bytes(b) = value else {
                    return Err(CodecError::NotBytes { code: 's' });
                };
                let end = at.checked_add(*n).ok_or(CodecError::SizeTooLong)?;
                let dst = out.get_mut(at..end).ok_or(CodecError::UnpackSize { size: self.itemsize })?;
                let k = b.len().min(*n);
                let (head, tail) = dst.split_at_mut(k);
                head.copy_from_slice(b.get(..k).unwrap_or(&[]));
                tail.fill(0);
                Ok(())
            }
            Element::Struct(fields) => {
                let Value::List(items) = value else {
                    return Err(CodecError::BadValue("a struct item needs a list of field values".into()));
                };
                if items.len() != fields.len() {
                    return Err(CodecError::BadValue(format!(
                        "a struct of {} fields got {} values",
                        fields.len(),
                        items.len()
                    )));
                }
                for (f, v) in fields.iter().zip(items.iter()) {
                    f.layout.pack_dims(v, out, at.checked_add(f.offset).ok_or(CodecError::SizeTooLong)?, 0)?;
                }
                Ok(())
            }
        }
    }
}

fn struct_layout(fields: Vec<Field>, size: usize, order: ByteOrder) -> Layout {
    Layout::new(Vec::new(), Element::Struct(fields), size, size, order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_rounded_past_isize_is_an_overflow_not_an_unparsable_format() {
        // 0H aligns the record to 2; isize::MAX bytes of padding would round to 2^63.
        assert!(Layout::parse("0H9223372036854775807x").is_err());
        let l = Layout::parse("0H9223372036854775806x").unwrap();
        assert_eq!(Layout::parse(&l.to_format()).unwrap(), l);
    }

    #[test]
    fn to_format_keeps_sticky_byte_orders_and_lengths() {
        for f in [
            "T{>i:a:@i:b:}",
            "T{3w:a:}",
            "T{<i:a:T{>h:b:}:c:i:d:}",
            "T{>i:a:}",
            "(2,3)<h",
            "^T{b:a:q:b:}",
            // A prefix on padding or just before `}` decides the struct's rounding.
            "T{i:a:<2x}",
            "T{i:a:b:c:<x}",
            "T{T{i:a:b:c:>0x}:s:i:d:}",
            "T{b:a:T{<h:x:}:s:i:z:}",
            "T{T{>h:b:}:c:}i",
        ] {
            let l = Layout::parse(f).unwrap();
            let again = Layout::parse(&l.to_format()).unwrap();
            assert_eq!(again, l, "{f} -> {}", l.to_format());
        }
    }
}

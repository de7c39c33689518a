//! Equality with CPython's value semantics, and hashing where CPython allows it.

use crate::items::{unpack_native, NATIVE_ITEM_CODES};
use crate::{MemoryView, ViewError};
use format_codec::{Struct, Value};
use std::hash::{Hash, Hasher};

/// CPython's `equiv_shape` test of two shapes: equal, ignoring what follows the first 0.
pub(crate) fn equiv_shape(a: &[usize], b: &[usize]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return false;
        }
        if *x == 0 {
            break;
        }
    }
    true
}

/// How the items of one side are unpacked for comparison.
enum Unpacker {
    Native(u8),
    Struct(Box<Struct>),
}

impl Unpacker {
    fn unpack(&self, b: &[u8]) -> Value {
        match self {
            Unpacker::Native(c) => unpack_native(*c, b),
            Unpacker::Struct(s) => match s.unpack(b.get(..s.size()).unwrap_or(b)) {
                Ok(mut v) if v.len() == 1 => v.remove(0),
                Ok(v) => Value::List(v),
                // An item the struct module cannot unpack compares unequal, like NaN.
                Err(_) => Value::Float(f64::NAN),
            },
        }
    }
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// A widening reader of a native integer code (`P` included).
fn int_reader(code: u8) -> Option<fn(&[u8]) -> i128> {
    Some(match code {
        b'b' => |b| i128::from(b[0] as i8),
        b'B' => |b| i128::from(b[0]),
        b'h' => |b| i128::from(i16::from_ne_bytes(arr(b))),
        b'H' => |b| i128::from(u16::from_ne_bytes(arr(b))),
        b'i' => |b| i128::from(i32::from_ne_bytes(arr(b))),
        b'I' => |b| i128::from(u32::from_ne_bytes(arr(b))),
        b'l' | b'q' | b'n' => |b| i128::from(i64::from_ne_bytes(arr(b))),
        b'L' | b'Q' | b'N' | b'P' => |b| i128::from(u64::from_ne_bytes(arr(b))),
        _ => return None,
    })
}

/// A widening reader of a native float code.
fn float_reader(code: u8) -> Option<fn(&[u8]) -> f64> {
    Some(match code {
        b'f' => |b| f64::from(f32::from_ne_bytes(arr(b))),
        b'd' => |b| f64::from_ne_bytes(arr(b)),
        _ => return None,
    })
}

fn native(format: &str) -> Option<u8> {
    format_codec::Format::native_single_code(format).filter(|c| NATIVE_ITEM_CODES.contains(c))
}

/// `memoryview.__eq__`: equal shapes (ignoring what follows a 0 extent) and equal items,
/// each side unpacked with its own format (`'i'` `[1]` equals `'q'` `[1]`; `'B'` never
/// equals `'c'`; NaN items are unequal, so a view holding NaN is not equal to itself). A
/// format the struct module rejects makes the views unequal. A released view equals only
/// itself.
///
/// ```
/// use memview::MemoryView;
/// let a = MemoryView::from_bytes(&[1, 0, 0, 0]).cast("i").unwrap();
/// let b = MemoryView::new(&[1u8][..]).unwrap();
/// assert_eq!(a, b);
/// assert_ne!(a, MemoryView::from_bytes(&[1, 0, 0, 0]).cast("c").unwrap().cast("B").unwrap());
/// ```
impl PartialEq for MemoryView<'_> {
    fn eq(&self, other: &MemoryView<'_>) -> bool {
        let (Ok(a), Ok(b)) = (self.live(), other.live()) else {
            return std::ptr::eq(self as *const _ as *const u8, other as *const _ as *const u8);
        };
        if !equiv_shape(a.layout.shape(), b.layout.shape()) {
            return false;
        }
        let (fa, fb) = (native(&a.format), native(&b.format));
        let unpackers = match (fa, fb) {
            (Some(x), Some(y)) if x == y => (Unpacker::Native(x), Unpacker::Native(y)),
            _ => {
                let side = |fmt: &str, n: Option<u8>| match n {
                    Some(c) => Some(Unpacker::Native(c)),
                    None => Struct::new(fmt).ok().map(|s| Unpacker::Struct(Box::new(s))),
                };
                match (side(&a.format, fa), side(&b.format, fb)) {
                    (Some(x), Some(y)) => (x, y),
                    _ => return false,
                }
            }
        };
        if a.layout.is_empty() || b.layout.is_empty() {
            return true;
        }
        // Fast path: identical byte formats compare their bytes.
        let bytes_equal_means_equal =
            matches!((fa, fb), (Some(x), Some(y)) if x == y && matches!(x, b'b' | b'B' | b'c'));
        let (Ok(xa), Ok(xb)) = (self.to_bytes(), other.to_bytes()) else {
            return false;
        };
        if bytes_equal_means_equal {
            return xa == xb;
        }
        let (sa, sb) = (a.layout.itemsize(), b.layout.itemsize());
        // Typed loops for native numbers of different widths: no `Value` per item.
        if let (Some(ra), Some(rb)) = (fa.and_then(int_reader), fb.and_then(int_reader)) {
            return xa.chunks_exact(sa).zip(xb.chunks_exact(sb)).all(|(p, q)| ra(p) == rb(q));
        }
        if let (Some(ra), Some(rb)) = (fa.and_then(float_reader), fb.and_then(float_reader)) {
            return xa.chunks_exact(sa).zip(xb.chunks_exact(sb)).all(|(p, q)| ra(p) == rb(q));
        }
        xa.chunks_exact(sa).zip(xb.chunks_exact(sb)).all(|(p, q)| unpackers.0.unpack(p) == unpackers.1.unpack(q))
    }
}

impl MemoryView<'_> {
    /// `hash(m)`: allowed for read-only views of formats `B`, `b`, `c`, and equal to the hash
    /// of their C-order bytes (so equal views hash equally).
    ///
    /// ```
    /// let v = memview::MemoryView::from_bytes(b"abc");
    /// assert!(v.try_hash().is_ok());
    /// let mut data = *b"abc";
    /// assert!(memview::MemoryView::from_mut(&mut data).try_hash().is_err());
    /// ```
    pub fn try_hash(&self) -> Result<u64, ViewError> {
        let live = self.live()?;
        if !live.readonly {
            return Err(ViewError::NotHashable("cannot hash writable memoryview object"));
        }
        if !matches!(format_codec::Format::native_single_code(&live.format), Some(b'B' | b'b' | b'c')) {
            return Err(ViewError::NotHashable("memoryview: hashing is restricted to formats 'B', 'b' or 'c'"));
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.to_bytes()?.hash(&mut h);
        Ok(h.finish())
    }
}

/// Hashes what equal views share: the shape up to its first 0 and the item values (integral
/// floats hash as the integer they equal, as `1.0 == 1`). Consistent with `PartialEq`: equal
/// views hash equally.
impl Hash for MemoryView<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let Ok(live) = self.live() else {
            (self as *const Self).hash(state);
            return;
        };
        let shape = live.layout.shape();
        shape.len().hash(state);
        for &d in shape {
            d.hash(state);
            if d == 0 {
                return;
            }
        }
        if let Ok(list) = self.to_list() {
            hash_value(&list, state);
        }
    }
}

fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Int(i) => i.hash(state),
        Value::Bool(b) => i128::from(*b).hash(state),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => (*f as i128).hash(state),
        Value::Float(f) => f.to_bits().hash(state),
        Value::Complex(r, i) if *i == 0.0 => hash_value(&Value::Float(*r), state),
        Value::Complex(r, i) => (r.to_bits(), i.to_bits()).hash(state),
        Value::Bytes(b) => b.hash(state),
        Value::BigInt(s) => s.hash(state),
        Value::List(items) => {
            items.len().hash(state);
            for x in items {
                hash_value(x, state);
            }
        }
    }
}

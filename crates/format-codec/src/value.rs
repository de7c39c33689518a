//! The dynamic value of one field, as Python would see it.

use std::fmt;

/// One unpacked value, or one value to pack.
///
/// A `Value` is 16 bytes: every variant holds one word. Integers that fit `i64` are
/// [`Value::Int`], the top half of the unsigned 64-bit codes is [`Value::UInt`], and an
/// integer beyond both (which can only ever be a range error) is [`Value::BigInt`], its
/// decimal digits. Byte strings, lists and complex numbers are boxed: a boxed `Vec` rather
/// than a thin vector, because its buffer is reserved fallibly (a list of a huge view is a
/// `MemoryError`, never an abort). Struct items and sub-arrays of
/// PEP 3118 formats are [`Value::List`]. Make integers with [`Value::from`] (or
/// [`Value::int`]), which picks the variant; [`as_i128`](Value::as_i128) reads any of them.
///
/// ```
/// use format_codec::{unpack, Value};
/// let values = unpack("<hc?", b"\xff\xffa\x01").unwrap();
/// assert_eq!(values, vec![Value::Int(-1), Value::from(b"a"), Value::Bool(true)]);
/// assert_eq!(values[0].to_string(), "-1");
/// assert_eq!(std::mem::size_of::<Value>(), 16);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
// A tag of one word and every payload at offset 8: with a byte tag, `Bool` kept its payload
// at offset 1, and a value was copied with loads at offset 1 across the narrow stores that
// made it (a store-forwarding stall: `get` of a 2-D view took 28 ns, 16.5 ns with this).
#[repr(u64)]
pub enum Value {
    /// An integer that fits `i64` (format codes `b B h H i I l L q Q n N P`).
    Int(i64),
    /// An integer above `i64::MAX` that fits `u64` (the top half of `L Q N P`).
    UInt(u64),
    /// An integer outside `i64` and `u64`, as its decimal digits with an optional leading `-`.
    BigInt(Box<String>),
    /// A float (`e f d`).
    Float(f64),
    /// A bool (`?`).
    Bool(bool),
    /// A byte string (`c s p`).
    Bytes(Box<Vec<u8>>),
    /// A complex number, real and imaginary part (`Zf Zd`).
    Complex(Box<(f64, f64)>),
    /// A sequence: the fields of a struct, the items of a sub-array, or a row of `tolist`.
    List(Box<Vec<Value>>),
}

impl Value {
    /// Python's truth value (`bool(v)`), which is what the `?` code packs.
    ///
    /// ```
    /// use format_codec::Value;
    /// assert!(!Value::from(b"").truthy());
    /// assert!(Value::Float(f64::NAN).truthy());
    /// ```
    pub fn truthy(&self) -> bool {
        match self {
            Value::Int(i) => *i != 0,
            Value::UInt(u) => *u != 0,
            Value::BigInt(_) => true,
            Value::Float(f) => *f != 0.0,
            Value::Bool(b) => *b,
            Value::Bytes(b) => !b.is_empty(),
            Value::Complex(c) => c.0 != 0.0 || c.1 != 0.0,
            Value::List(l) => !l.is_empty(),
        }
    }

    /// The value as Python's `float()` would convert it, for float codes.
    ///
    /// Returns `Ok(None)` for a value that is no number, and an error for an integer beyond
    /// the float range, as CPython does.
    pub(crate) fn float_of(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::BigInt(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        }
    }

    /// The integer, if this is an `Int` (or a `Bool`, which Python counts as an int) that
    /// fits in `i64`.
    ///
    /// ```
    /// use format_codec::Value;
    /// assert_eq!(Value::Int(-3).as_i64(), Some(-3));
    /// assert_eq!(Value::Bool(true).as_i64(), Some(1));
    /// assert_eq!(Value::from(1i128 << 70).as_i64(), None);
    /// assert_eq!(Value::Float(1.0).as_i64(), None);
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        self.as_i128().and_then(|i| i64::try_from(i).ok())
    }

    /// The integer, if this is an `Int` (or a `Bool`) that fits in `u64`.
    ///
    /// ```
    /// assert_eq!(format_codec::Value::from(u64::MAX).as_u64(), Some(u64::MAX));
    /// assert_eq!(format_codec::Value::Int(-1).as_u64(), None);
    /// ```
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|i| u64::try_from(i).ok())
    }

    /// The integer, if this is an integer (`Int`, `UInt`, or a `BigInt` within `i128`) or
    /// a `Bool`.
    ///
    /// ```
    /// use format_codec::Value;
    /// assert_eq!(Value::Int(7).as_i128(), Some(7));
    /// assert_eq!(Value::from(u64::MAX).as_i128(), Some(u64::MAX.into()));
    /// assert_eq!(Value::from(-1i128 << 100).as_i128(), Some(-1 << 100));
    /// assert_eq!(Value::Float(1.0).as_i128(), None);
    /// ```
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(i128::from(*i)),
            Value::UInt(u) => Some(i128::from(*u)),
            Value::Bool(b) => Some(i128::from(*b)),
            Value::BigInt(s) => s.parse().ok(),
            Value::Float(_) | Value::Bytes(_) | Value::Complex(_) | Value::List(_) => None,
        }
    }

    /// The integer `i` as a `Value`: [`Int`](Value::Int) where it fits `i64`,
    /// [`UInt`](Value::UInt) where it fits `u64`, [`BigInt`](Value::BigInt) beyond.
    ///
    /// ```
    /// use format_codec::Value;
    /// assert!(matches!(Value::int(-5), Value::Int(-5)));
    /// assert!(matches!(Value::int(1 << 63), Value::UInt(u) if u == 1 << 63));
    /// assert_eq!(Value::int(1 << 64).to_string(), "18446744073709551616");
    /// ```
    pub fn int(i: i128) -> Value {
        if let Ok(v) = i64::try_from(i) {
            Value::Int(v)
        } else if let Ok(u) = u64::try_from(i) {
            Value::UInt(u)
        } else {
            Value::BigInt(Box::new(i.to_string()))
        }
    }

    /// The float, if this is a `Float`.
    ///
    /// ```
    /// assert_eq!(format_codec::Value::Float(0.5).as_f64(), Some(0.5));
    /// assert_eq!(format_codec::Value::Int(1).as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The bool, if this is a `Bool`.
    ///
    /// ```
    /// assert_eq!(format_codec::Value::Bool(true).as_bool(), Some(true));
    /// assert_eq!(format_codec::Value::Int(1).as_bool(), None);
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The bytes, if this is a `Bytes`.
    ///
    /// ```
    /// assert_eq!(format_codec::Value::from(b"RIFF").as_bytes(), Some(&b"RIFF"[..]));
    /// ```
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b.as_slice()),
            _ => None,
        }
    }

    /// The items, if this is a `List`.
    ///
    /// ```
    /// use format_codec::Value;
    /// let v = Value::List(vec![1.into(), 2.into()].into());
    /// assert_eq!(v.as_list().map(<[Value]>::len), Some(2));
    /// ```
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l.as_slice()),
            _ => None,
        }
    }

    /// The real and imaginary parts, if this is a `Complex`.
    ///
    /// ```
    /// assert_eq!(format_codec::Value::complex(1.0, -2.0).as_complex(), Some((1.0, -2.0)));
    /// ```
    pub fn as_complex(&self) -> Option<(f64, f64)> {
        match self {
            Value::Complex(c) => Some(**c),
            _ => None,
        }
    }

    /// A complex number of real part `re` and imaginary part `im`; shown as Python's
    /// `repr` shows it.
    ///
    /// ```
    /// use format_codec::Value;
    /// assert_eq!(Value::complex(1.0, 0.5).to_string(), "(1+0.5j)");
    /// assert_eq!(Value::complex(0.0, -1.0).to_string(), "-1j");
    /// assert_eq!(Value::complex(-0.0, f64::NAN).to_string(), "(-0+nanj)");
    /// assert_eq!(Value::complex(1e16, 2.5).to_string(), "(1e+16+2.5j)");
    /// ```
    pub fn complex(re: f64, im: f64) -> Value {
        Value::Complex(Box::new((re, im)))
    }

    /// The name of the Python type this value is (`int`, `float`, `bool`, `bytes`,
    /// `complex`, `list`).
    ///
    /// ```
    /// assert_eq!(format_codec::Value::from(b"").type_name(), "bytes");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::UInt(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::Bytes(_) => "bytes",
            Value::Complex(_) => "complex",
            Value::List(_) => "list",
        }
    }

    /// Whether this value is a Python `int` (bools included).
    pub(crate) fn is_int(&self) -> bool {
        matches!(self, Value::Int(_) | Value::UInt(_) | Value::BigInt(_) | Value::Bool(_))
    }
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Value {
                Value::Int(i64::from(x))
            }
        }
    )*};
}
value_from_int!(i8, u8, i16, u16, i32, u32, i64);

impl From<u64> for Value {
    /// `Int` where it fits `i64`, `UInt` above.
    fn from(x: u64) -> Value {
        match i64::try_from(x) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::UInt(x),
        }
    }
}

impl From<i128> for Value {
    /// [`Value::int`].
    fn from(x: i128) -> Value {
        Value::int(x)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}

impl From<f32> for Value {
    fn from(x: f32) -> Value {
        Value::Float(f64::from(x))
    }
}

impl From<bool> for Value {
    fn from(x: bool) -> Value {
        Value::Bool(x)
    }
}

impl From<&Value> for Value {
    /// A copy (so that APIs taking `impl Into<Value>` accept `&Value` too).
    fn from(v: &Value) -> Value {
        v.clone()
    }
}

impl<const N: usize> From<[u8; N]> for Value {
    /// A byte string: `Value::from(*b"RIFF")`.
    fn from(b: [u8; N]) -> Value {
        Value::Bytes(Box::new(b.to_vec()))
    }
}

impl<const N: usize> From<&[u8; N]> for Value {
    /// A byte string: `Value::from(b"RIFF")`.
    fn from(b: &[u8; N]) -> Value {
        Value::Bytes(Box::new(b.to_vec()))
    }
}

/// A [`Value`] that is not of the Rust type asked for, or out of its range
/// (`u8::try_from(&Value::Int(300))`).
///
/// ```
/// use format_codec::{PyExc, Value};
/// let err = u8::try_from(&Value::Int(300)).unwrap_err();
/// assert_eq!(err.to_string(), "cannot convert int 300 to u8: out of range");
/// assert_eq!(err.python_exception(), PyExc::OverflowError);
/// assert_eq!(bool::try_from(Value::Int(1)).unwrap_err().python_exception(), PyExc::TypeError);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert {found} {value} to {target}: {reason}")]
pub struct FromValueError {
    target: &'static str,
    found: &'static str,
    value: String,
    reason: &'static str,
}

impl FromValueError {
    fn new(v: &Value, target: &'static str, out_of_range: bool) -> FromValueError {
        let mut value = v.to_string();
        if value.len() > 40 {
            value.truncate(37);
            value.push_str("...");
        }
        let reason = if out_of_range { "out of range" } else { "wrong type" };
        FromValueError { target, found: v.type_name(), value, reason }
    }

    /// `OverflowError` for a number out of the target's range, `TypeError` otherwise.
    pub fn python_exception(&self) -> crate::PyExc {
        if self.reason == "out of range" {
            crate::PyExc::OverflowError
        } else {
            crate::PyExc::TypeError
        }
    }
}

macro_rules! try_from_value_int {
    ($($t:ty),*) => {$(
        impl TryFrom<&Value> for $t {
            type Error = FromValueError;
            /// An `Int` (or `Bool`) in range.
            fn try_from(v: &Value) -> Result<$t, FromValueError> {
                let target = stringify!($t);
                if !v.is_int() {
                    return Err(FromValueError::new(v, target, false));
                }
                match v {
                    // `u64` values above `i128::MAX` do not exist; a `u128` above it is a
                    // `BigInt` that `as_i128` does not read.
                    Value::BigInt(s) if stringify!($t) == "u128" => s.parse::<u128>().ok().and_then(|u| <$t>::try_from(u).ok()),
                    _ => v.as_i128().and_then(|i| <$t>::try_from(i).ok()),
                }
                .ok_or_else(|| FromValueError::new(v, target, true))
            }
        }
        impl TryFrom<Value> for $t {
            type Error = FromValueError;
            fn try_from(v: Value) -> Result<$t, FromValueError> {
                <$t>::try_from(&v)
            }
        }
    )*};
}
try_from_value_int!(i8, u8, i16, u16, i32, u32, i64, u64, i128, u128, isize, usize);

impl TryFrom<&Value> for f64 {
    type Error = FromValueError;
    /// A `Float`.
    fn try_from(v: &Value) -> Result<f64, FromValueError> {
        v.as_f64().ok_or_else(|| FromValueError::new(v, "f64", false))
    }
}

impl TryFrom<&Value> for f32 {
    type Error = FromValueError;
    /// A `Float`, rounded to `f32` (exact for items of format `f` and `e`).
    fn try_from(v: &Value) -> Result<f32, FromValueError> {
        v.as_f64().map(|f| f as f32).ok_or_else(|| FromValueError::new(v, "f32", false))
    }
}

impl TryFrom<&Value> for bool {
    type Error = FromValueError;
    /// A `Bool`.
    fn try_from(v: &Value) -> Result<bool, FromValueError> {
        v.as_bool().ok_or_else(|| FromValueError::new(v, "bool", false))
    }
}

impl TryFrom<&Value> for Vec<u8> {
    type Error = FromValueError;
    /// A `Bytes`, copied.
    fn try_from(v: &Value) -> Result<Vec<u8>, FromValueError> {
        v.as_bytes().map(<[u8]>::to_vec).ok_or_else(|| FromValueError::new(v, "Vec<u8>", false))
    }
}

impl<const N: usize> TryFrom<&Value> for [u8; N] {
    type Error = FromValueError;
    /// A `Bytes` of exactly `N` bytes.
    ///
    /// ```
    /// use format_codec::Value;
    /// assert_eq!(<[u8; 4]>::try_from(&Value::from(b"RIFF")).unwrap(), *b"RIFF");
    /// assert!(<[u8; 3]>::try_from(&Value::from(b"RIFF")).is_err());
    /// ```
    fn try_from(v: &Value) -> Result<[u8; N], FromValueError> {
        match v.as_bytes() {
            Some(b) => b.try_into().map_err(|_| FromValueError::new(v, "[u8; N]", true)),
            None => Err(FromValueError::new(v, "[u8; N]", false)),
        }
    }
}

macro_rules! try_from_owned_value {
    ($($t:ty),*) => {$(
        impl TryFrom<Value> for $t {
            type Error = FromValueError;
            fn try_from(v: Value) -> Result<$t, FromValueError> {
                <$t>::try_from(&v)
            }
        }
    )*};
}
try_from_owned_value!(f64, f32, bool);

impl TryFrom<Value> for Vec<u8> {
    type Error = FromValueError;
    /// A `Bytes`, moved out.
    ///
    /// ```
    /// let v: Vec<u8> = format_codec::Value::from(b"ab").try_into().unwrap();
    /// assert_eq!(v, b"ab");
    /// ```
    fn try_from(v: Value) -> Result<Vec<u8>, FromValueError> {
        match v {
            Value::Bytes(b) => Ok(*b),
            other => Err(FromValueError::new(&other, "Vec<u8>", false)),
        }
    }
}

impl<const N: usize> TryFrom<Value> for [u8; N] {
    type Error = FromValueError;
    fn try_from(v: Value) -> Result<[u8; N], FromValueError> {
        <[u8; N]>::try_from(&v)
    }
}

impl TryFrom<Value> for Vec<Value> {
    type Error = FromValueError;
    /// A `List`, moved out.
    fn try_from(v: Value) -> Result<Vec<Value>, FromValueError> {
        match v {
            Value::List(l) => Ok(*l),
            other => Err(FromValueError::new(&other, "Vec<Value>", false)),
        }
    }
}

impl From<&[u8]> for Value {
    fn from(x: &[u8]) -> Value {
        Value::Bytes(Box::new(x.into()))
    }
}

impl From<Vec<u8>> for Value {
    fn from(x: Vec<u8>) -> Value {
        Value::Bytes(Box::new(x))
    }
}

impl From<Vec<Value>> for Value {
    fn from(x: Vec<Value>) -> Value {
        Value::List(Box::new(x))
    }
}

impl From<Box<Vec<Value>>> for Value {
    fn from(x: Box<Vec<Value>>) -> Value {
        Value::List(x)
    }
}

/// Python's `==`: ints, bools and floats compare by numeric value, NaN is unequal to itself,
/// byte strings by content, lists item by item.
///
/// ```
/// use format_codec::Value;
/// assert_eq!(Value::Int(1), Value::Float(1.0));
/// assert_eq!(Value::Bool(true), Value::Int(1));
/// assert_ne!(Value::Float(f64::NAN), Value::Float(f64::NAN));
/// assert_ne!(Value::from(b"a"), Value::Int(97));
/// assert_ne!(Value::complex(9007199254740992.0, 0.0), Value::Int(9007199254740993));
/// ```
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Int(_) | UInt(_) | Bool(_) | BigInt(_), Int(_) | UInt(_) | Bool(_) | BigInt(_)) => {
                match (self.as_i128(), other.as_i128()) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => match (self, other) {
                        (BigInt(a), BigInt(b)) => a == b,
                        _ => false,
                    },
                    _ => false,
                }
            }
            (Float(a), Float(b)) => a == b,
            (Float(f), x @ (Int(_) | UInt(_) | BigInt(_))) | (x @ (Int(_) | UInt(_) | BigInt(_)), Float(f)) => {
                x.as_i128().is_some_and(|i| float_eq_int(*f, i))
            }
            (Float(f), Bool(b)) | (Bool(b), Float(f)) => *f == f64::from(u8::from(*b)),
            (Bytes(a), Bytes(b)) => a == b,
            (Complex(a), Complex(b)) => a.0 == b.0 && a.1 == b.1,
            // A complex with no imaginary part compares as its real part, exactly (the
            // int is never rounded to a float): `complex(2**53) != 2**53 + 1`.
            (Complex(c), x) | (x, Complex(c)) if c.1 == 0.0 => match x {
                Complex(_) | BigInt(_) | Bytes(_) | List(_) => false,
                other => Float(c.0) == *other,
            },
            (List(a), List(b)) => a == b,
            _ => false,
        }
    }
}

/// Exact comparison of a float with an integer, as Python does it (no rounding of the int).
fn float_eq_int(f: f64, i: i128) -> bool {
    if !f.is_finite() || f.fract() != 0.0 {
        return false;
    }
    // Every integral float of magnitude below 2^127 converts to i128 exactly.
    if f.abs() >= 1.7e38 {
        return false;
    }
    f as i128 == i
}

impl fmt::Display for Value {
    /// Python's `repr` of the value (`b'..'` for bytes, `True`, `(1+2j)`, `[..]` for lists).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::BigInt(s) => f.write_str(s),
            Value::Float(x) => f.write_str(&py_float_repr(*x)),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Bytes(b) => {
                // CPython's `bytes_repr`: double quotes for a string with a single quote and
                // no double quote, and then only the chosen quote is escaped.
                let quote = if b.contains(&b'\'') && !b.contains(&b'"') { '"' } else { '\'' };
                write!(f, "b{quote}")?;
                for &c in b.iter() {
                    match c {
                        b'\\' => f.write_str("\\\\")?,
                        b'\n' => f.write_str("\\n")?,
                        b'\r' => f.write_str("\\r")?,
                        b'\t' => f.write_str("\\t")?,
                        _ if char::from(c) == quote => write!(f, "\\{quote}")?,
                        0x20..=0x7e => write!(f, "{}", char::from(c))?,
                        _ => write!(f, "\\x{c:02x}")?,
                    }
                }
                write!(f, "{quote}")
            }
            Value::Complex(c) => {
                // CPython's `complex_repr`: each part as `repr(float)` without a `.0` of
                // its own; a real part of +0 is left out, with the parentheses.
                let (r, i) = **c;
                let bare = |x: f64| {
                    let s = py_float_repr(x);
                    match s.strip_suffix(".0") {
                        Some(t) if !s.contains('e') => t.to_owned(),
                        _ => s,
                    }
                };
                if r == 0.0 && r.is_sign_positive() {
                    return write!(f, "{}j", bare(i));
                }
                let sign = if i.is_sign_negative() && !i.is_nan() { "-" } else { "+" };
                write!(f, "({}{}{}j)", bare(r), sign, bare(i.abs()))
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (n, v) in items.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, `nan`, `inf`, `1e+16` style exponents.
///
/// ```
/// use format_codec::py_float_repr;
/// assert_eq!(py_float_repr(1.5), "1.5");
/// assert_eq!(py_float_repr(1.0), "1.0");
/// assert_eq!(py_float_repr(1e16), "1e+16");
/// assert_eq!(py_float_repr(-0.0), "-0.0");
/// assert_eq!(py_float_repr(f64::NAN), "nan");
/// assert_eq!(py_float_repr(1.5e-7), "1.5e-07");
/// ```
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits; Python switches to exponent form
    // when the decimal exponent is below -4 or at least 16.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let plain = format!("{x}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

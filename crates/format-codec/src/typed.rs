//! Typed decoding: records straight into Rust values, with the format checked once.

use crate::code::Scalar;
use crate::structfmt::{FieldKind, Struct};
use crate::CodecError;

/// A Rust type that one scalar field of a format can decode into without a [`crate::Value`].
///
/// Implemented for `i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 bool`.
///
/// ```
/// use format_codec::{Primitive, Scalar};
/// assert!(u32::accepts(Scalar::Int { size: 4, signed: false }));
/// assert!(!u32::accepts(Scalar::Int { size: 4, signed: true }));
/// ```
pub trait Primitive: Copy {
    /// Whether a field of this scalar kind decodes into `Self` exactly.
    fn accepts(s: Scalar) -> bool;
    /// Reads the value at `at` of `bytes`; `swap` means the field's byte order is not native.
    ///
    /// # Panics
    ///
    /// If `bytes` is too short; the checked entry points are [`TypedStruct`]'s methods.
    fn read(bytes: &[u8], at: usize, swap: bool) -> Self;
}

#[inline(always)]
fn arr<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&bytes[at..at + N]);
    a
}

macro_rules! int_primitive {
    ($($t:ty => $size:literal, $signed:literal;)*) => {$(
        impl Primitive for $t {
            fn accepts(s: Scalar) -> bool {
                s == Scalar::Int { size: $size, signed: $signed }
                    || ($size == 8 && !$signed && s == Scalar::Pointer)
            }
            #[inline(always)]
            fn read(bytes: &[u8], at: usize, swap: bool) -> Self {
                let v = <$t>::from_ne_bytes(arr(bytes, at));
                if swap { v.swap_bytes() } else { v }
            }
        }
    )*};
}

int_primitive! {
    i8 => 1, true; u8 => 1, false; i16 => 2, true; u16 => 2, false;
    i32 => 4, true; u32 => 4, false; i64 => 8, true; u64 => 8, false;
}

impl Primitive for f32 {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Float
    }
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, swap: bool) -> Self {
        f32::from_bits(u32::read(bytes, at, swap))
    }
}

impl Primitive for f64 {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Double
    }
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, swap: bool) -> Self {
        f64::from_bits(u64::read(bytes, at, swap))
    }
}

impl Primitive for bool {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Bool
    }
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, _swap: bool) -> Self {
        bytes[at] != 0
    }
}

/// A Rust type one whole record decodes into: tuples of [`Primitive`]s, up to 8 fields.
///
/// ```
/// use format_codec::{Record, Struct};
/// let s = Struct::new("<Ih").unwrap();
/// let codec = s.typed::<(u32, i16)>().unwrap();
/// assert_eq!(codec.decode(b"\x01\x00\x00\x00\xff\xff").unwrap(), (1, -1));
/// ```
pub trait Record: Sized {
    /// The field offsets the decoder keeps.
    type Offsets: Copy + std::fmt::Debug;
    /// Checks the format's fields against the tuple's types and returns their offsets.
    fn offsets(s: &Struct) -> Result<Self::Offsets, CodecError>;
    /// Decodes one record from `bytes` with the offsets `offsets` returned.
    ///
    /// # Panics
    ///
    /// If `bytes` is shorter than the record; [`TypedStruct`]'s methods check the length
    /// first and return errors instead.
    fn read(bytes: &[u8], offsets: &Self::Offsets, swap: bool) -> Self;
}

macro_rules! tuple_record {
    ($n:literal; $($t:ident $i:tt),*) => {
        impl<$($t: Primitive),*> Record for ($($t,)*) {
            type Offsets = [usize; $n];
            fn offsets(s: &Struct) -> Result<Self::Offsets, CodecError> {
                if s.value_count() != $n {
                    return Err(CodecError::TypeMismatch(format!(
                        "format {:?} has {} fields, the tuple has {}", s.format(), s.value_count(), $n)));
                }
                let mut fields = [(0usize, FieldKind::Bytes(0)); $n];
                for (slot, f) in fields.iter_mut().zip(s.each_value()) {
                    *slot = f;
                }
                let mut out = [0usize; $n];
                $(
                    match fields[$i].1 {
                        FieldKind::Scalar(sc, _) if $t::accepts(sc) => out[$i] = fields[$i].0,
                        other => return Err(CodecError::TypeMismatch(format!(
                            "field {} is {:?}, not {}", $i, other, std::any::type_name::<$t>()))),
                    }
                )*
                Ok(out)
            }
            #[inline(always)]
            fn read(bytes: &[u8], offsets: &Self::Offsets, swap: bool) -> Self {
                ($($t::read(bytes, offsets[$i], swap),)*)
            }
        }
    };
}

tuple_record!(1; A 0);
tuple_record!(2; A 0, B 1);
tuple_record!(3; A 0, B 1, C 2);
tuple_record!(4; A 0, B 1, C 2, D 3);
tuple_record!(5; A 0, B 1, C 2, D 3, E 4);
tuple_record!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_record!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_record!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// A decoder of one format into one Rust record type, checked once by [`Struct::typed`].
///
/// ```
/// let s = format_codec::Struct::new("<hh").unwrap();
/// let t = s.typed::<(i16, i16)>().unwrap();
/// assert_eq!(t.decode(&[1, 0, 2, 0]).unwrap(), (1, 2));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TypedStruct<T: Record> {
    offsets: T::Offsets,
    swap: bool,
    size: usize,
}

impl Struct {
    /// A decoder of this format into the tuple type `T`, or an error if a field's code does not
    /// match its Rust type exactly.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<IhdQ").unwrap();
    /// assert!(s.typed::<(u32, i16, f64, u64)>().is_ok());
    /// assert!(s.typed::<(u32, i16, f32, u64)>().is_err());
    /// ```
    pub fn typed<T: Record>(&self) -> Result<TypedStruct<T>, CodecError> {
        Ok(TypedStruct {
            offsets: T::offsets(self)?,
            swap: self.byte_order().is_little_endian() != cfg!(target_endian = "little"),
            size: self.size(),
        })
    }
}

impl<T: Record> TypedStruct<T> {
    /// The record size in bytes.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<hh").unwrap();
    /// assert_eq!(s.typed::<(i16, i16)>().unwrap().size(), 4);
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// Decodes one record from a buffer of exactly [`size`](Self::size) bytes.
    ///
    /// ```
    /// let s = format_codec::Struct::new(">H").unwrap();
    /// assert_eq!(s.typed::<(u16,)>().unwrap().decode(b"\x01\x00").unwrap(), (256,));
    /// ```
    pub fn decode(&self, bytes: &[u8]) -> Result<T, CodecError> {
        if bytes.len() != self.size {
            return Err(CodecError::UnpackSize { size: self.size });
        }
        Ok(T::read(bytes, &self.offsets, self.swap))
    }

    /// Decodes consecutive records of `bytes`, which must be a whole number of records.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<bb").unwrap();
    /// let t = s.typed::<(i8, i8)>().unwrap();
    /// let all: Vec<_> = t.iter(&[1, 2, 3, 4]).unwrap().collect();
    /// assert_eq!(all, vec![(1, 2), (3, 4)]);
    /// ```
    pub fn iter<'a>(&'a self, bytes: &'a [u8]) -> Result<impl ExactSizeIterator<Item = T> + 'a, CodecError> {
        if self.size == 0 {
            return Err(CodecError::IterZeroSize);
        }
        if !bytes.len().is_multiple_of(self.size) {
            return Err(CodecError::IterNotMultiple { size: self.size });
        }
        let offsets = self.offsets;
        let swap = self.swap;
        Ok(bytes.chunks_exact(self.size).map(move |rec| T::read(rec, &offsets, swap)))
    }
}

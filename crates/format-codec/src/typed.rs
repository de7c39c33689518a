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
    /// Whether an `Ns` field of `len` bytes decodes into `Self` (only `[u8; len]` does).
    ///
    /// ```
    /// use format_codec::Primitive;
    /// assert!(<[u8; 4]>::accepts_bytes(4) && !<[u8; 4]>::accepts_bytes(3) && !u32::accepts_bytes(4));
    /// ```
    fn accepts_bytes(len: usize) -> bool {
        let _ = len;
        false
    }
    /// Reads the value at `at` of `bytes`; `swap` means the field's byte order is not native.
    /// `None` if `bytes` is too short (the decoders check the record length first).
    fn read(bytes: &[u8], at: usize, swap: bool) -> Option<Self>;
}

#[inline(always)]
fn arr<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    let (_, rest) = bytes.split_at_checked(at)?;
    rest.first_chunk::<N>().copied()
}

impl<const N: usize> Primitive for [u8; N] {
    fn accepts(_: Scalar) -> bool {
        false
    }
    fn accepts_bytes(len: usize) -> bool {
        len == N
    }
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, _swap: bool) -> Option<Self> {
        arr(bytes, at)
    }
}

macro_rules! int_primitive {
    ($($t:ty => $size:literal, $signed:literal;)*) => {$(
        impl Primitive for $t {
            fn accepts(s: Scalar) -> bool {
                s == Scalar::Int { size: $size, signed: $signed }
                    || ($size == 8 && !$signed && s == Scalar::Pointer)
            }
            #[inline(always)]
            fn read(bytes: &[u8], at: usize, swap: bool) -> Option<Self> {
                let v = <$t>::from_ne_bytes(arr(bytes, at)?);
                Some(if swap { v.swap_bytes() } else { v })
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
    fn read(bytes: &[u8], at: usize, swap: bool) -> Option<Self> {
        u32::read(bytes, at, swap).map(f32::from_bits)
    }
}

impl Primitive for f64 {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Double
    }
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, swap: bool) -> Option<Self> {
        u64::read(bytes, at, swap).map(f64::from_bits)
    }
}

impl Primitive for bool {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Bool
    }
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, _swap: bool) -> Option<Self> {
        bytes.get(at).map(|&b| b != 0)
    }
}

/// A Rust type one whole record decodes into: tuples of up to 16 [`Primitive`]s (numbers,
/// `bool`, and `[u8; N]` for `Ns` fields), and the structs [`record!`](crate::record)
/// declares.
///
/// ```
/// use format_codec::{Record, Struct};
/// let s = Struct::new("<Ih2s").unwrap();
/// let codec = s.typed::<(u32, i16, [u8; 2])>().unwrap();
/// assert_eq!(codec.decode(b"\x01\x00\x00\x00\xff\xffok").unwrap(), (1, -1, *b"ok"));
/// ```
pub trait Record: Sized {
    /// The field offsets the decoder keeps.
    type Offsets: Copy + std::fmt::Debug;
    /// Checks the format's fields against the record's types and returns their offsets.
    fn offsets(s: &Struct) -> Result<Self::Offsets, CodecError>;
    /// Decodes one record from `bytes` with the offsets `offsets` returned; `None` if `bytes`
    /// is shorter than the record ([`TypedStruct`]'s methods check the length first).
    fn read(bytes: &[u8], offsets: &Self::Offsets, swap: bool) -> Option<Self>;
}

macro_rules! tuple_record {
    ($n:literal; $($t:ident $i:tt),*) => {
        impl<$($t: Primitive),*> Record for ($($t,)*) {
            type Offsets = [usize; $n];
            fn offsets(s: &Struct) -> Result<Self::Offsets, CodecError> {
                if s.value_count() != $n {
                    return Err(CodecError::TypeMismatch(format!(
                        "format {:?} has {} fields, the record has {}", s.format(), s.value_count(), $n)));
                }
                let mut fields = [(0usize, FieldKind::Bytes(0)); $n];
                for (slot, f) in fields.iter_mut().zip(s.each_value()) {
                    *slot = f;
                }
                let mut out = [0usize; $n];
                $(
                    match fields[$i].1 {
                        FieldKind::Scalar(sc, _) if $t::accepts(sc) => out[$i] = fields[$i].0,
                        FieldKind::Bytes(n) if $t::accepts_bytes(n) => out[$i] = fields[$i].0,
                        other => return Err(CodecError::TypeMismatch(format!(
                            "field {} is {:?}, not {}", $i, other, std::any::type_name::<$t>()))),
                    }
                )*
                Ok(out)
            }
            #[inline(always)]
            fn read(bytes: &[u8], offsets: &Self::Offsets, swap: bool) -> Option<Self> {
                Some(($($t::read(bytes, offsets[$i], swap)?,)*))
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
tuple_record!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_record!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_record!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_record!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
tuple_record!(13; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
tuple_record!(14; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
tuple_record!(15; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
tuple_record!(16; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

/// Declares a struct whose fields, in order, are the fields of a format, so that
/// [`Struct::typed`] decodes records straight into it (a [`Record`] implementation through
/// the tuple of its field types; up to 16 fields of [`Primitive`] types).
///
/// ```
/// format_codec::record! {
///     /// The 44-byte header of a PCM WAV file.
///     #[derive(Debug, PartialEq)]
///     pub struct WavHeader {
///         pub riff: [u8; 4], pub size: u32, pub wave: [u8; 4], pub fmt: [u8; 4],
///         pub fmt_size: u32, pub audio_format: u16, pub channels: u16, pub sample_rate: u32,
///         pub byte_rate: u32, pub block_align: u16, pub bits_per_sample: u16,
///         pub data: [u8; 4], pub data_size: u32,
///     }
/// }
/// let s = format_codec::Struct::new("<4sI4s4sIHHIIHH4sI").unwrap();
/// let codec = s.typed::<WavHeader>().unwrap();
/// let mut bytes = Vec::new();
/// bytes.extend(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00");
/// bytes.extend(b"\x44\xac\x00\x00\x10\xb1\x02\x00\x04\x00\x10\x00data\x00\x00\x00\x00");
/// let h = codec.decode(&bytes).unwrap();
/// assert_eq!((&h.riff, h.channels, h.sample_rate, h.bits_per_sample), (b"RIFF", 2, 44100, 16));
/// assert!(s.typed::<(u32, u32)>().is_err());
/// ```
#[macro_export]
macro_rules! record {
    ($(#[$m:meta])* $vis:vis struct $name:ident { $($(#[$fm:meta])* $fvis:vis $field:ident : $ty:ty),+ $(,)? }) => {
        $(#[$m])*
        $vis struct $name { $($(#[$fm])* $fvis $field: $ty),+ }

        impl $crate::Record for $name {
            type Offsets = <($($ty,)+) as $crate::Record>::Offsets;
            fn offsets(s: &$crate::Struct) -> ::core::result::Result<Self::Offsets, $crate::CodecError> {
                <($($ty,)+) as $crate::Record>::offsets(s)
            }
            #[inline(always)]
            fn read(bytes: &[u8], offsets: &Self::Offsets, swap: bool) -> ::core::option::Option<Self> {
                let ($($field,)+) = <($($ty,)+) as $crate::Record>::read(bytes, offsets, swap)?;
                ::core::option::Option::Some($name { $($field),+ })
            }
        }
    };
}

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
        T::read(bytes, &self.offsets, self.swap).ok_or(CodecError::UnpackSize { size: self.size })
    }

    /// Decodes consecutive records of `bytes`, which must be a whole number of records.
    ///
    /// ```
    /// let s = format_codec::Struct::new("<bb").unwrap();
    /// let t = s.typed::<(i8, i8)>().unwrap();
    /// let all: Vec<_> = t.iter(&[1, 2, 3, 4]).unwrap().collect();
    /// assert_eq!(all, vec![(1, 2), (3, 4)]);
    /// ```
    pub fn iter<'a>(&'a self, bytes: &'a [u8]) -> Result<Records<'a, T>, CodecError> {
        if self.size == 0 {
            return Err(CodecError::IterZeroSize);
        }
        if !bytes.len().is_multiple_of(self.size) {
            return Err(CodecError::IterNotMultiple { size: self.size });
        }
        Ok(Records { chunks: bytes.chunks_exact(self.size), offsets: self.offsets, swap: self.swap })
    }
}

/// The records of a byte string, decoded one by one: see [`TypedStruct::iter`].
///
/// ```
/// let s = format_codec::Struct::new("<h").unwrap();
/// let t = s.typed::<(i16,)>().unwrap();
/// let mut it = t.iter(&[1, 0, 2, 0, 3, 0]).unwrap();
/// assert_eq!((it.len(), it.next(), it.next_back()), (3, Some((1,)), Some((3,))));
/// ```
#[derive(Debug, Clone)]
pub struct Records<'a, T: Record> {
    chunks: std::slice::ChunksExact<'a, u8>,
    offsets: T::Offsets,
    swap: bool,
}

impl<T: Record> Iterator for Records<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        // Every chunk is a whole record, so every read succeeds.
        T::read(self.chunks.next()?, &self.offsets, self.swap)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl<T: Record> DoubleEndedIterator for Records<'_, T> {
    fn next_back(&mut self) -> Option<T> {
        T::read(self.chunks.next_back()?, &self.offsets, self.swap)
    }
}

impl<T: Record> ExactSizeIterator for Records<'_, T> {}

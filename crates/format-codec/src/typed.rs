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
    /// How many bytes [`read`](Self::read) reads, if always the same: a record whose fields
    /// all have a width and lie back to back is read at offsets known when it is compiled
    /// (see [`Record::PACKED`]). `None` (the default) for a type that does not say.
    ///
    /// ```
    /// use format_codec::Primitive;
    /// assert_eq!((u16::WIDTH, f64::WIDTH, <[u8; 3]>::WIDTH), (Some(2), Some(8), Some(3)));
    /// ```
    const WIDTH: Option<usize> = None;
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
    const WIDTH: Option<usize> = Some(N);
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
            const WIDTH: Option<usize> = Some($size);
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
    const WIDTH: Option<usize> = Some(4);
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, swap: bool) -> Option<Self> {
        u32::read(bytes, at, swap).map(f32::from_bits)
    }
}

impl Primitive for f64 {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Double
    }
    const WIDTH: Option<usize> = Some(8);
    #[inline(always)]
    fn read(bytes: &[u8], at: usize, swap: bool) -> Option<Self> {
        u64::read(bytes, at, swap).map(f64::from_bits)
    }
}

impl Primitive for bool {
    fn accepts(s: Scalar) -> bool {
        s == Scalar::Bool
    }
    const WIDTH: Option<usize> = Some(1);
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
    type Offsets: Copy + std::fmt::Debug + PartialEq;
    /// The offsets of the fields, and the record's size, when they lie back to back in order
    /// from the record's first byte with nothing after the last (a packed record, as
    /// `"<IhdQ"` is): `None` unless every field has a [`Primitive::WIDTH`]. A decoder whose
    /// format has exactly this layout reads records at constant offsets and a constant
    /// stride, as a hand-written loop does, rather than with the figures it keeps.
    ///
    /// ```
    /// use format_codec::Record;
    /// assert_eq!(<(u32, i16, f64, u64)>::PACKED, Some(([0, 4, 6, 14], 22)));
    /// ```
    const PACKED: Option<(Self::Offsets, usize)> = None;
    /// Checks the format's fields against the record's types and returns their offsets.
    fn offsets(s: &Struct) -> Result<Self::Offsets, CodecError>;
    /// Decodes one record from `bytes` with the offsets `offsets` returned; `None` if `bytes`
    /// is shorter than the record ([`TypedStruct`]'s methods check the length first).
    fn read(bytes: &[u8], offsets: &Self::Offsets, swap: bool) -> Option<Self>;
}

/// The offsets of fields of these widths laid back to back, and their total; `None` if a
/// width is unknown or the total overflows.
// Only `Record::PACKED`'s initialisers call this, so it runs when the program is compiled;
// `i < N` bounds both indexings and the step (iterators and `get` are not available in a
// `const fn`).
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn packed_offsets<const N: usize>(widths: [Option<usize>; N]) -> Option<([usize; N], usize)> {
    let mut out = [0usize; N];
    let mut at = 0usize;
    let mut i = 0;
    while i < N {
        out[i] = at;
        at = match widths[i] {
            Some(w) => match at.checked_add(w) {
                Some(end) => end,
                None => return None,
            },
            None => return None,
        };
        i += 1;
    }
    Some((out, at))
}

macro_rules! tuple_record {
    ($n:literal; $($t:ident $i:tt),*) => {
        impl<$($t: Primitive),*> Record for ($($t,)*) {
            type Offsets = [usize; $n];
            const PACKED: Option<([usize; $n], usize)> = packed_offsets([$($t::WIDTH),*]);
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
            const PACKED: ::core::option::Option<(Self::Offsets, usize)> = <($($ty,)+) as $crate::Record>::PACKED;
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
    /// The format's offsets and size are `T::PACKED`'s: records are read with constants.
    packed: bool,
}

/// Reads one record at the offsets a decoder keeps, or at `T::PACKED`'s constants when the
/// decoder found them equal (`packed`): after inlining, a packed record's reads have constant
/// offsets, as a hand-written loop's do.
#[inline(always)]
fn read_record<T: Record>(bytes: &[u8], offsets: &T::Offsets, swap: bool, packed: bool) -> Option<T> {
    match T::PACKED {
        Some((constant, _)) if packed => T::read(bytes, &constant, swap),
        _ => T::read(bytes, offsets, swap),
    }
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
        let (offsets, size) = (T::offsets(self)?, self.size());
        Ok(TypedStruct {
            offsets,
            swap: self.byte_order().is_little_endian() != cfg!(target_endian = "little"),
            size,
            packed: T::PACKED == Some((offsets, size)),
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
        read_record(bytes, &self.offsets, self.swap, self.packed).ok_or(CodecError::UnpackSize { size: self.size })
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
        Ok(Records { rest: bytes, size: self.size, offsets: self.offsets, swap: self.swap, packed: self.packed })
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
    /// The records not yet read: a whole number of `size` bytes, `size > 0`.
    rest: &'a [u8],
    size: usize,
    offsets: T::Offsets,
    swap: bool,
    packed: bool,
}

impl<T: Record> Iterator for Records<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        let (record, rest) = self.rest.split_at_checked(self.size)?;
        self.rest = rest;
        // Every chunk is a whole record, so every read succeeds.
        read_record(record, &self.offsets, self.swap, self.packed)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len().checked_div(self.size).unwrap_or(0);
        (n, Some(n))
    }

    /// One loop per way of reading (packed or not, swapped or not), chosen once rather than
    /// per record, so that each loop reads with constants where it can.
    #[inline]
    fn fold<B, F: FnMut(B, T) -> B>(self, init: B, mut f: F) -> B {
        let Records { rest, size, offsets, swap, packed } = self;
        // Every chunk is a whole record, so every read succeeds and no record is skipped.
        let mut each = |offsets: &T::Offsets, size: usize, swap: bool, init: B| {
            rest.chunks_exact(size).fold(init, |acc, c| match T::read(c, offsets, swap) {
                Some(r) => f(acc, r),
                None => acc,
            })
        };
        match (T::PACKED, swap) {
            (Some((constant, n)), false) if packed => each(&constant, n, false, init),
            (Some((constant, n)), true) if packed => each(&constant, n, true, init),
            (_, false) => each(&offsets, size, false, init),
            (_, true) => each(&offsets, size, true, init),
        }
    }
}

impl<T: Record> DoubleEndedIterator for Records<'_, T> {
    fn next_back(&mut self) -> Option<T> {
        let at = self.rest.len().checked_sub(self.size)?;
        let (rest, record) = self.rest.split_at_checked(at)?;
        self.rest = rest;
        read_record(record, &self.offsets, self.swap, self.packed)
    }
}

impl<T: Record> ExactSizeIterator for Records<'_, T> {}

//! Format codes, byte-order prefixes, and their sizes and alignments on x86-64 Linux (LP64).

/// A byte-order, size and alignment setting: the prefix characters `@ = < > !` of the struct
/// module, and `^` of PEP 3118.
///
/// ```
/// use format_codec::ByteOrder;
/// assert_eq!(ByteOrder::from_prefix(b'!'), Some(ByteOrder::Network));
/// assert!(ByteOrder::Native.is_aligned());
/// assert!(!ByteOrder::Little.native_sizes());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ByteOrder {
    /// `@`: native order, native sizes, native alignment (the default).
    Native,
    /// `=`: native order, standard sizes, no alignment.
    NativeStandard,
    /// `<`: little-endian, standard sizes, no alignment.
    Little,
    /// `>`: big-endian, standard sizes, no alignment.
    Big,
    /// `!`: network order, the same as `>`.
    Network,
    /// `^` (PEP 3118 only): native order and sizes, no alignment.
    NativeUnaligned,
}

impl ByteOrder {
    /// The setting a prefix character selects, or `None` for any other byte.
    ///
    /// `^` is recognised here; the struct-module parser rejects it as CPython does.
    ///
    /// ```
    /// assert_eq!(format_codec::ByteOrder::from_prefix(b'<'), Some(format_codec::ByteOrder::Little));
    /// ```
    pub fn from_prefix(c: u8) -> Option<ByteOrder> {
        Some(match c {
            b'@' => ByteOrder::Native,
            b'=' => ByteOrder::NativeStandard,
            b'<' => ByteOrder::Little,
            b'>' => ByteOrder::Big,
            b'!' => ByteOrder::Network,
            b'^' => ByteOrder::NativeUnaligned,
            _ => return None,
        })
    }

    /// Whether items are stored little-endian (x86-64 is little-endian natively).
    ///
    /// ```
    /// assert!(format_codec::ByteOrder::NativeStandard.is_little_endian());
    /// assert!(!format_codec::ByteOrder::Network.is_little_endian());
    /// ```
    pub fn is_little_endian(self) -> bool {
        match self {
            ByteOrder::Big | ByteOrder::Network => false,
            ByteOrder::Little => true,
            _ => cfg!(target_endian = "little"),
        }
    }

    /// Whether codes have their native sizes (`l` is 8 bytes) rather than standard ones (4).
    ///
    /// ```
    /// assert!(format_codec::ByteOrder::NativeUnaligned.native_sizes());
    /// ```
    pub fn native_sizes(self) -> bool {
        matches!(self, ByteOrder::Native | ByteOrder::NativeUnaligned)
    }

    /// Whether items are padded to their native alignment.
    ///
    /// ```
    /// assert!(!format_codec::ByteOrder::NativeStandard.is_aligned());
    /// ```
    pub fn is_aligned(self) -> bool {
        self == ByteOrder::Native
    }
}

/// What one format code stores, once its size is known.
///
/// ```
/// use format_codec::Scalar;
/// assert_eq!(Scalar::Int { size: 4, signed: true }.size(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// An integer of 1, 2, 4 or 8 bytes.
    Int {
        /// Size in bytes.
        size: u8,
        /// Whether it is signed.
        signed: bool,
    },
    /// `?`: one byte, any non-zero value reads as true.
    Bool,
    /// `c`: one byte, read as a byte string of length 1.
    Char,
    /// `e`: IEEE 754 binary16.
    Half,
    /// `f`: IEEE 754 binary32.
    Float,
    /// `d`: IEEE 754 binary64.
    Double,
    /// `P`: a native pointer, read as an unsigned integer, packed from any integer in `i64 ∪ u64`.
    Pointer,
    /// `Zf`: a complex of two binary32.
    ComplexFloat,
    /// `Zd`: a complex of two binary64.
    ComplexDouble,
    /// A code the buffer protocol carries but Rust cannot unpack (`g`, `Zg`, `O`, `w`).
    Opaque(Opaque),
}

impl Scalar {
    /// Size in bytes.
    ///
    /// ```
    /// assert_eq!(format_codec::Scalar::ComplexDouble.size(), 16);
    /// ```
    pub fn size(self) -> usize {
        match self {
            Scalar::Int { size, .. } => usize::from(size),
            Scalar::Opaque(o) => o.size(),
            Scalar::Bool | Scalar::Char => 1,
            Scalar::Half => 2,
            Scalar::Float => 4,
            Scalar::Double | Scalar::Pointer | Scalar::ComplexFloat => 8,
            Scalar::ComplexDouble => 16,
        }
    }
}

/// A PEP 3118 code with a layout but no Rust value.
///
/// ```
/// use format_codec::Opaque;
/// assert_eq!((Opaque::LongDouble.code(), Opaque::LongDouble.size()), ("g", 16));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opaque {
    /// `g`: x87 extended precision, stored in 16 bytes on x86-64.
    LongDouble,
    /// `Zg`: a complex of two long doubles.
    ComplexLongDouble,
    /// `O`: a `PyObject*`.
    Object,
    /// `w`: one UCS-4 character.
    Ucs4,
}

impl Opaque {
    /// The code as written.
    ///
    /// ```
    /// assert_eq!(format_codec::Opaque::Ucs4.code(), "w");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Opaque::LongDouble => "g",
            Opaque::ComplexLongDouble => "Zg",
            Opaque::Object => "O",
            Opaque::Ucs4 => "w",
        }
    }

    /// Size in bytes.
    ///
    /// ```
    /// assert_eq!(format_codec::Opaque::Object.size(), 8);
    /// ```
    pub fn size(self) -> usize {
        match self {
            Opaque::LongDouble => 16,
            Opaque::ComplexLongDouble => 32,
            Opaque::Object => 8,
            Opaque::Ucs4 => 4,
        }
    }

    /// Why it cannot be unpacked.
    ///
    /// ```
    /// assert!(!format_codec::Opaque::LongDouble.why().is_empty());
    /// ```
    pub fn why(self) -> &'static str {
        match self {
            Opaque::LongDouble => "x87 long double has no Rust type; read its bytes",
            Opaque::ComplexLongDouble => "complex long double has no Rust type; read its bytes",
            Opaque::Object => "a Python object pointer means nothing outside Python",
            Opaque::Ucs4 => "UCS-4 text has no byte-level value here; read its bytes",
        }
    }
}

/// The native (`@`) alignment of a code: 1 for the byte codes, `x s p` and unknown bytes.
pub(crate) fn native_align(code: u8) -> usize {
    match code {
        b'h' | b'H' | b'e' => 2,
        b'i' | b'I' | b'f' => 4,
        b'l' | b'L' | b'q' | b'Q' | b'n' | b'N' | b'd' | b'P' => 8,
        _ => 1,
    }
}

/// The scalar a single-character struct code stands for in the given mode, or `None` if the
/// code is not a scalar code of the struct module (`x s p` and unknown bytes), or not allowed in
/// this mode (`n N P` need native sizes).
pub(crate) fn struct_scalar(code: u8, order: ByteOrder) -> Option<Scalar> {
    let native = order.native_sizes();
    let int = |size: u8, signed: bool| Some(Scalar::Int { size, signed });
    match code {
        b'c' => Some(Scalar::Char),
        b'b' => int(1, true),
        b'B' => int(1, false),
        b'?' => Some(Scalar::Bool),
        b'h' => int(2, true),
        b'H' => int(2, false),
        b'i' => int(4, true),
        b'I' => int(4, false),
        b'l' => int(if native { 8 } else { 4 }, true),
        b'L' => int(if native { 8 } else { 4 }, false),
        b'q' => int(8, true),
        b'Q' => int(8, false),
        b'n' if native => int(8, true),
        b'N' if native => int(8, false),
        b'P' if native => Some(Scalar::Pointer),
        b'e' => Some(Scalar::Half),
        b'f' => Some(Scalar::Float),
        b'd' => Some(Scalar::Double),
        _ => None,
    }
}

//! The consumer's request flags (`PyBUF_*`), with CPython's values.

use std::fmt;
use std::ops::BitOr;

/// What a consumer asks of an exporter: a set of `PyBUF_*` bits.
///
/// Compound requests include their parts (`C_CONTIGUOUS` includes `STRIDES`, which includes
/// `ND`), and a request is tested as CPython does, `(flags & X) == X`, by [`Flags::has`].
///
/// ```
/// use buffer_protocol::Flags;
/// assert_eq!(Flags::FULL_RO.bits(), 0x11c);
/// assert!(Flags::C_CONTIGUOUS.has(Flags::STRIDES) && Flags::C_CONTIGUOUS.has(Flags::ND));
/// assert!(!Flags::STRIDED_RO.has(Flags::WRITABLE));
/// assert_eq!((Flags::ND | Flags::WRITABLE), Flags::CONTIG);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
pub struct Flags(u32);

impl Flags {
    /// `PyBUF_SIMPLE`: a contiguous block of bytes, nothing else.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::SIMPLE.bits(), 0x0);
    /// ```
    pub const SIMPLE: Flags = Flags(0);
    /// `PyBUF_WRITABLE`: the memory must be writable.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::WRITABLE.bits(), 0x1);
    /// ```
    pub const WRITABLE: Flags = Flags(0x0001);
    /// `PyBUF_FORMAT`: fill in the format (else the consumer assumes `"B"`).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::FORMAT.bits(), 0x4);
    /// ```
    pub const FORMAT: Flags = Flags(0x0004);
    /// `PyBUF_ND`: fill in the shape.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::ND.bits(), 0x8);
    /// ```
    pub const ND: Flags = Flags(0x0008);
    /// `PyBUF_STRIDES`: fill in the strides (implies `ND`).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::STRIDES.bits(), 0x18);
    /// ```
    pub const STRIDES: Flags = Flags(0x0010 | 0x0008);
    /// `PyBUF_C_CONTIGUOUS`: the layout must be C-contiguous (implies `STRIDES`).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::C_CONTIGUOUS.bits(), 0x38);
    /// ```
    pub const C_CONTIGUOUS: Flags = Flags(0x0020 | 0x0018);
    /// `PyBUF_F_CONTIGUOUS`: the layout must be Fortran-contiguous (implies `STRIDES`).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::F_CONTIGUOUS.bits(), 0x58);
    /// ```
    pub const F_CONTIGUOUS: Flags = Flags(0x0040 | 0x0018);
    /// `PyBUF_ANY_CONTIGUOUS`: the layout must be contiguous in some order (implies `STRIDES`).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::ANY_CONTIGUOUS.bits(), 0x98);
    /// ```
    pub const ANY_CONTIGUOUS: Flags = Flags(0x0080 | 0x0018);
    /// `PyBUF_INDIRECT`: the consumer follows suboffsets (implies `STRIDES`).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::INDIRECT.bits(), 0x118);
    /// ```
    pub const INDIRECT: Flags = Flags(0x0100 | 0x0018);
    /// `PyBUF_CONTIG`: `ND | WRITABLE`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::CONTIG.bits(), 0x9);
    /// ```
    pub const CONTIG: Flags = Flags(0x0008 | 0x0001);
    /// `PyBUF_CONTIG_RO`: `ND`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::CONTIG_RO.bits(), 0x8);
    /// ```
    pub const CONTIG_RO: Flags = Flags(0x0008);
    /// `PyBUF_STRIDED`: `STRIDES | WRITABLE`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::STRIDED.bits(), 0x19);
    /// ```
    pub const STRIDED: Flags = Flags(0x0018 | 0x0001);
    /// `PyBUF_STRIDED_RO`: `STRIDES`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::STRIDED_RO.bits(), 0x18);
    /// ```
    pub const STRIDED_RO: Flags = Flags(0x0018);
    /// `PyBUF_RECORDS`: `STRIDES | WRITABLE | FORMAT`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::RECORDS.bits(), 0x1d);
    /// ```
    pub const RECORDS: Flags = Flags(0x0018 | 0x0001 | 0x0004);
    /// `PyBUF_RECORDS_RO`: `STRIDES | FORMAT`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::RECORDS_RO.bits(), 0x1c);
    /// ```
    pub const RECORDS_RO: Flags = Flags(0x0018 | 0x0004);
    /// `PyBUF_FULL`: `INDIRECT | WRITABLE | FORMAT`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::FULL.bits(), 0x11d);
    /// ```
    pub const FULL: Flags = Flags(0x0118 | 0x0001 | 0x0004);
    /// `PyBUF_FULL_RO`: `INDIRECT | FORMAT`.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::FULL_RO.bits(), 0x11c);
    /// ```
    pub const FULL_RO: Flags = Flags(0x0118 | 0x0004);

    /// The raw bits.
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::STRIDES.bits(), 0x18);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Flags from raw bits (unknown bits are kept and ignored, as CPython does).
    ///
    /// ```
    /// assert_eq!(buffer_protocol::Flags::from_bits(0x1c), buffer_protocol::Flags::RECORDS_RO);
    /// ```
    pub const fn from_bits(bits: u32) -> Flags {
        Flags(bits)
    }

    /// Whether every bit of `part` is requested: CPython's `(flags & X) == X`.
    ///
    /// ```
    /// use buffer_protocol::Flags;
    /// assert!(Flags::FULL.has(Flags::WRITABLE) && !Flags::FULL.has(Flags::C_CONTIGUOUS));
    /// ```
    pub const fn has(self, part: Flags) -> bool {
        self.0 & part.0 == part.0
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Flags::INDIRECT, "INDIRECT"),
            (Flags::C_CONTIGUOUS, "C_CONTIGUOUS"),
            (Flags::F_CONTIGUOUS, "F_CONTIGUOUS"),
            (Flags::ANY_CONTIGUOUS, "ANY_CONTIGUOUS"),
            (Flags::STRIDES, "STRIDES"),
            (Flags::ND, "ND"),
            (Flags::FORMAT, "FORMAT"),
            (Flags::WRITABLE, "WRITABLE"),
        ];
        let mut parts = Vec::new();
        let mut covered = 0u32;
        for (flag, name) in names {
            if self.has(flag) && flag.0 & !covered != 0 {
                parts.push(name);
                covered |= flag.0;
            }
        }
        if parts.is_empty() {
            parts.push("SIMPLE");
        }
        write!(f, "Flags({})", parts.join(" | "))
    }
}

/// Read or write access for memory wrapped from a pointer (`PyBUF_READ`, `PyBUF_WRITE`).
///
/// ```
/// assert!(buffer_protocol::Access::Write.is_writable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// `PyBUF_READ` (0x100): read-only.
    Read,
    /// `PyBUF_WRITE` (0x200): writable.
    Write,
}

impl Access {
    /// Whether this access allows writes.
    ///
    /// ```
    /// assert!(!buffer_protocol::Access::Read.is_writable());
    /// ```
    pub fn is_writable(self) -> bool {
        self == Access::Write
    }
}

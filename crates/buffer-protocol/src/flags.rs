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
pub struct Flags(u32);

impl Flags {
    /// `PyBUF_SIMPLE`: a contiguous block of bytes, nothing else.
    pub const SIMPLE: Flags = Flags(0);
    /// `PyBUF_WRITABLE`: the memory must be writable.
    pub const WRITABLE: Flags = Flags(0x0001);
    /// `PyBUF_FORMAT`: fill in the format (else the consumer assumes `"B"`).
    pub const FORMAT: Flags = Flags(0x0004);
    /// `PyBUF_ND`: fill in the shape.
    pub const ND: Flags = Flags(0x0008);
    /// `PyBUF_STRIDES`: fill in the strides (implies `ND`).
    pub const STRIDES: Flags = Flags(0x0010 | 0x0008);
    /// `PyBUF_C_CONTIGUOUS`: the layout must be C-contiguous (implies `STRIDES`).
    pub const C_CONTIGUOUS: Flags = Flags(0x0020 | 0x0018);
    /// `PyBUF_F_CONTIGUOUS`: the layout must be Fortran-contiguous (implies `STRIDES`).
    pub const F_CONTIGUOUS: Flags = Flags(0x0040 | 0x0018);
    /// `PyBUF_ANY_CONTIGUOUS`: the layout must be contiguous in some order (implies `STRIDES`).
    pub const ANY_CONTIGUOUS: Flags = Flags(0x0080 | 0x0018);
    /// `PyBUF_INDIRECT`: the consumer follows suboffsets (implies `STRIDES`).
    pub const INDIRECT: Flags = Flags(0x0100 | 0x0018);
    /// `PyBUF_CONTIG`: `ND | WRITABLE`.
    pub const CONTIG: Flags = Flags(0x0008 | 0x0001);
    /// `PyBUF_CONTIG_RO`: `ND`.
    pub const CONTIG_RO: Flags = Flags(0x0008);
    /// `PyBUF_STRIDED`: `STRIDES | WRITABLE`.
    pub const STRIDED: Flags = Flags(0x0018 | 0x0001);
    /// `PyBUF_STRIDED_RO`: `STRIDES`.
    pub const STRIDED_RO: Flags = Flags(0x0018);
    /// `PyBUF_RECORDS`: `STRIDES | WRITABLE | FORMAT`.
    pub const RECORDS: Flags = Flags(0x0018 | 0x0001 | 0x0004);
    /// `PyBUF_RECORDS_RO`: `STRIDES | FORMAT`.
    pub const RECORDS_RO: Flags = Flags(0x0018 | 0x0004);
    /// `PyBUF_FULL`: `INDIRECT | WRITABLE | FORMAT`.
    pub const FULL: Flags = Flags(0x0118 | 0x0001 | 0x0004);
    /// `PyBUF_FULL_RO`: `INDIRECT | FORMAT`.
    pub const FULL_RO: Flags = Flags(0x0118 | 0x0004);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Flags from raw bits (unknown bits are kept and ignored, as CPython does).
    pub const fn from_bits(bits: u32) -> Flags {
        Flags(bits)
    }

    /// Whether every bit of `part` is requested: CPython's `(flags & X) == X`.
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
    pub fn is_writable(self) -> bool {
        self == Access::Write
    }
}

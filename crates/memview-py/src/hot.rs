//! The hot layout: what a Python view keeps beside its family, outside the family's lock, so
//! that the calls Python loops make most (`len(m)`, `m[i]`, `m[i, j]`, `m[i] = v`) read and
//! write numbers with no lock, no `typed` view and no `Value`.
//!
//! A [`Hot`] holds the length of the view, and for a direct view of one or two dimensions of a
//! native number format, its number code, the address of its first item, its extents and
//! strides. It is filled once, from the core view or from the object's span (`crate::span`:
//! a view of an imported run whose core view is made later), before the Python object is
//! published; `release` clears the length before the core view goes. The hottest callers are
//! CPython slots of their own (`crate::slots`).
//!
//! # Why reading without the family's lock is sound
//!
//! Only with the GIL (every CPython but the free-threaded builds); on a free-threaded build
//! [`Hot::item`] and [`Hot::store`] always answer `None` and the callers take the locked path.
//!
//! 1. *The memory is alive.* The address was taken from the live core view of this Python
//!    object, or from its span, a run of the import the object holds; the acquisition keeps
//!    the exporter's memory valid (and the exporter unable to resize it) until the core view
//!    and the import are dropped. They are dropped only by `release`, which clears the length
//!    first (so every later call takes the slow path and sees the release), or with the
//!    object itself, which cannot happen while a call borrows it.
//! 2. *Nothing intervenes.* The length is loaded and the memory accessed by one thread that
//!    holds the GIL throughout, with no Python code, allocation or callback in between, so
//!    no `release` can run between the check and the access.
//! 3. *The bytes are the view's.* Each index is checked against its extent, so the address
//!    is that of an item of the view, which the core proved lies within the exporter's block
//!    (`raw`'s layout proof); the number types accept every bit pattern and are read and
//!    written unaligned.
//! 4. *Writes are allowed.* The store path runs only for a view the core says is writable
//!    (its exporter lent the memory writable).
//! 5. *No reference is made.* Memory is touched through raw pointers only, never a `&`/`&mut`,
//!    so the core's aliasing rule (no reference across calls) holds.

use memview::MemoryView;
use std::sync::atomic::{AtomicIsize, AtomicPtr, AtomicU8, Ordering};

/// A number read from memory, for the item fast paths.
pub(crate) enum Num {
    I(i64),
    U(u64),
    F(f64),
}

impl Num {
    /// The Python number.
    pub(crate) fn into_py(self, py: pyo3::Python<'_>) -> pyo3::PyResult<pyo3::Py<pyo3::PyAny>> {
        use pyo3::IntoPyObjectExt;
        match self {
            Num::I(x) => x.into_py_any(py),
            Num::U(x) => x.into_py_any(py),
            Num::F(x) => x.into_py_any(py),
        }
    }
}

/// Views of this size or more copy their bytes without the GIL (`pyview::detached`).
const SMALL: usize = 1 << 16;

/// The `flags` bit of a writable view.
const WRITABLE: u8 = 1;
/// The `flags` bit of a view of two dimensions.
const TWO_DIMS: u8 = 2;

/// The hot layout of one Python view (see the module documentation). Atomics, as the object
/// is shared by threads; each is written before the object is published or by `release`.
#[derive(Debug)]
pub(crate) struct Hot {
    /// `len(m)`: the first extent, -2 for a 0-dim view, -1 once released (or unknown).
    len: AtomicIsize,
    /// The native number code (`b'B'`, `b'i'`, ... `b'd'`) of a direct view of one or two
    /// dimensions, 0 for every other view.
    code: AtomicU8,
    /// [`WRITABLE`] and [`TWO_DIMS`].
    flags: AtomicU8,
    /// The address of item `[0]` (`[0, 0]`).
    first: AtomicPtr<u8>,
    /// The stride of the first dimension, in bytes.
    stride0: AtomicIsize,
    /// The extent and stride of the second dimension (2-D views only).
    len1: AtomicIsize,
    stride1: AtomicIsize,
    /// The size of a direct C-contiguous view below the size that copies without the GIL,
    /// whose bytes `tobytes()` copies in one go from `first`; -1 for every other view.
    c_bytes: AtomicIsize,
}

/// The native number code of a format, if `Hot` reads it (`@` prefix allowed); 0 otherwise.
pub(crate) fn number_code(format: &str) -> u8 {
    let f = format.strip_prefix('@').unwrap_or(format);
    match f.as_bytes() {
        [c @ (b'b' | b'B' | b'h' | b'H' | b'i' | b'I' | b'l' | b'L' | b'q' | b'Q' | b'f' | b'd')] => *c,
        _ => 0,
    }
}

/// The size of the items of a [`number_code`] as `Hot` reads and writes them (`None` for 0):
/// a view whose item size differs (a platform whose `long` is 4 bytes) is not read here.
pub(crate) fn code_size(code: u8) -> Option<usize> {
    match code {
        b'b' | b'B' => Some(1),
        b'h' | b'H' => Some(2),
        b'i' | b'I' | b'f' => Some(4),
        b'l' | b'L' | b'q' | b'Q' | b'd' => Some(8),
        _ => None,
    }
}

impl Hot {
    /// The hot layout of a live core view.
    #[inline]
    pub(crate) fn of(v: &MemoryView<'_>) -> Hot {
        let hot = Hot::released();
        hot.set(v);
        hot
    }

    /// The hot layout of a released view: it answers nothing.
    #[inline]
    pub(crate) fn released() -> Hot {
        Hot {
            len: AtomicIsize::new(-1),
            code: AtomicU8::new(0),
            flags: AtomicU8::new(0),
            first: AtomicPtr::new(std::ptr::null_mut()),
            stride0: AtomicIsize::new(0),
            len1: AtomicIsize::new(0),
            stride1: AtomicIsize::new(0),
            c_bytes: AtomicIsize::new(-1),
        }
    }

    /// The hot layout of a direct 1-D view of `len` native numbers (`code`, `itemsize` bytes
    /// each, [`code_size`] of it or the view is not read here), the first at `first`, each
    /// `stride` bytes after the last: what [`of`](Self::of) gives for such a core view,
    /// without making one (see `crate::span`).
    #[inline]
    pub(crate) fn of_run(len: usize, code: u8, itemsize: usize, first: *mut u8, stride: isize, writable: bool) -> Hot {
        let contiguous = len <= 1 || usize::try_from(stride).is_ok_and(|s| s == itemsize);
        let c_bytes = len
            .checked_mul(itemsize)
            .filter(|&n| contiguous && n < SMALL)
            .and_then(|n| isize::try_from(n).ok())
            .unwrap_or(-1);
        Hot {
            len: AtomicIsize::new(isize::try_from(len).unwrap_or(-1)),
            code: AtomicU8::new(if code_size(code) == Some(itemsize) { code } else { 0 }),
            flags: AtomicU8::new(if writable { WRITABLE } else { 0 }),
            first: AtomicPtr::new(first),
            stride0: AtomicIsize::new(stride),
            len1: AtomicIsize::new(0),
            stride1: AtomicIsize::new(0),
            c_bytes: AtomicIsize::new(c_bytes),
        }
    }

    /// Fills the layout from a live core view (before the object is published).
    pub(crate) fn set(&self, v: &MemoryView<'_>) {
        let (shape, strides) = (v.shape(), v.strides());
        let len = shape.first().map_or(-2, |&n| isize::try_from(n).unwrap_or(-1));
        let first = v.as_ptr();
        let mut flags = if v.readonly() { 0 } else { WRITABLE };
        let (mut code, mut c_bytes) = (0, -1);
        if let Some(first) = first {
            self.first.store(first.cast_mut(), Ordering::Relaxed);
            let itemsize = v.itemsize();
            // C-contiguous: 1-D with adjacent items (or at most one item) is the common case,
            // decided without walking the layout.
            let contiguous = match (shape, strides) {
                ([n], [s]) => *n <= 1 || usize::try_from(*s).is_ok_and(|s| s == itemsize),
                _ => v.c_contiguous(),
            };
            if contiguous {
                let nbytes = shape.iter().try_fold(itemsize, |acc, &n| acc.checked_mul(n));
                if let Some(n) = nbytes.filter(|&n| n < SMALL) {
                    c_bytes = isize::try_from(n).unwrap_or(-1);
                }
            }
            if matches!(shape.len(), 1 | 2) && len >= 0 {
                code = number_code(v.format());
                if code_size(code) != Some(itemsize) {
                    code = 0;
                }
            }
        }
        if let ([_, n1], [_, s1]) = (shape, strides) {
            flags |= TWO_DIMS;
            self.len1.store(isize::try_from(*n1).unwrap_or(0), Ordering::Relaxed);
            self.stride1.store(*s1, Ordering::Relaxed);
        }
        self.c_bytes.store(c_bytes, Ordering::Relaxed);
        self.stride0.store(strides.first().copied().unwrap_or(0), Ordering::Relaxed);
        self.flags.store(flags, Ordering::Relaxed);
        self.code.store(code, Ordering::Relaxed);
        self.len.store(len, Ordering::Relaxed);
    }

    /// `len(m)` of a live view of one or more dimensions (`None`: 0-dim, released: the slow
    /// path says what CPython says).
    pub(crate) fn len(&self) -> Option<usize> {
        usize::try_from(self.len.load(Ordering::Relaxed)).ok()
    }

    /// Whether the view is live (not released).
    pub(crate) fn live(&self) -> bool {
        self.len.load(Ordering::Relaxed) != -1
    }

    /// Marks the view released (before its core view goes); returns what [`restore`](Self::restore)
    /// needs if the release is refused.
    pub(crate) fn clear(&self) -> isize {
        self.len.swap(-1, Ordering::Relaxed)
    }

    /// Undoes [`clear`](Self::clear) (a release that was refused).
    pub(crate) fn restore(&self, len: isize) {
        self.len.store(len, Ordering::Relaxed);
    }

    /// The native number code of a live 1-D view whose items `m[i]` reads as Rust numbers
    /// (0 otherwise): the locked paths use it to skip the format checks.
    pub(crate) fn code_1d(&self) -> u8 {
        if self.flags.load(Ordering::Relaxed) & TWO_DIMS != 0 {
            return 0;
        }
        self.code.load(Ordering::Relaxed)
    }

    /// The code of a live hot view and the byte offset of the item at `index` (one index
    /// per dimension, negative from the end); `None` where the hot path does not apply, an
    /// index out of range included (the slow path raises CPython's error).
    fn locate(&self, index: &[isize]) -> Option<(u8, isize)> {
        let code = self.code.load(Ordering::Relaxed);
        let len = self.len.load(Ordering::Relaxed);
        if code == 0 || len < 0 {
            return None;
        }
        let two = self.flags.load(Ordering::Relaxed) & TWO_DIMS != 0;
        let (extents, strides): ([isize; 2], [isize; 2]) = (
            [len, self.len1.load(Ordering::Relaxed)],
            [self.stride0.load(Ordering::Relaxed), self.stride1.load(Ordering::Relaxed)],
        );
        if index.len() != if two { 2 } else { 1 } {
            return None;
        }
        let mut offset = 0isize;
        for (dim, &i) in index.iter().enumerate() {
            let n = extents[dim];
            let j = if i < 0 { i.wrapping_add(n) } else { i };
            if !(0..n).contains(&j) {
                return None;
            }
            // In range, so the product is an offset within the view's items (no overflow:
            // the core checked the layout's extremes fit `isize`).
            offset += j * strides[dim];
        }
        Some((code, offset))
    }

    /// The item at `index` of a live hot view: `None` where the hot path does not apply
    /// (an index out of range, a free-threaded build).
    pub(crate) fn item(&self, index: &[isize]) -> Option<Num> {
        if cfg!(Py_GIL_DISABLED) {
            return None;
        }
        let (code, offset) = self.locate(index)?;
        let at = self.first.load(Ordering::Relaxed).wrapping_offset(offset);
        macro_rules! read {
            ($t:ty) => {
                // SAFETY: the module's proof: the view is live (the length was not cleared,
                // and with the GIL held no release can run before this read), `at` is the
                // address of an in-range item of a direct view of `$t` items (`locate`
                // checked every index), memory the core proved readable; any bits are a
                // valid `$t`; unaligned read; no reference is made.
                unsafe { at.cast::<$t>().read_unaligned() }
            };
        }
        Some(match code {
            b'B' => Num::U(u64::from(read!(u8))),
            b'b' => Num::I(i64::from(read!(i8))),
            b'H' => Num::U(u64::from(read!(u16))),
            b'h' => Num::I(i64::from(read!(i16))),
            b'I' => Num::U(u64::from(read!(u32))),
            b'i' => Num::I(i64::from(read!(i32))),
            b'L' | b'Q' => Num::U(read!(u64)),
            b'l' | b'q' => Num::I(read!(i64)),
            b'f' => Num::F(f64::from(read!(f32))),
            b'd' => Num::F(read!(f64)),
            _ => return None,
        })
    }

    /// `tobytes()` of a live direct C-contiguous view below 64 KiB: one copy of its block
    /// into a new `bytes`; `None` where the hot path does not apply.
    pub(crate) fn c_bytes<'py>(
        &self,
        py: pyo3::Python<'py>,
    ) -> Option<pyo3::PyResult<pyo3::Bound<'py, pyo3::types::PyBytes>>> {
        let n = self.c_bytes.load(Ordering::Relaxed);
        if cfg!(Py_GIL_DISABLED) || n < 0 || self.len.load(Ordering::Relaxed) == -1 {
            return None;
        }
        let first = self.first.load(Ordering::Relaxed);
        // SAFETY: the module's proof: the view is live (its length was not cleared, and with
        // the GIL held no release runs before the copy: allocating a `bytes` runs no Python
        // code), and a C-contiguous direct view's `n` bytes start at its first item, all of
        // them bytes the core proved readable; CPython copies them into a new object (no
        // reference to them is made here).
        let raw = unsafe { pyo3::ffi::PyBytes_FromStringAndSize(first.cast_const().cast(), n) };
        // SAFETY: a new reference, or NULL with an exception set; the GIL is held.
        Some(unsafe { pyo3::Bound::from_owned_ptr_or_err(py, raw) }.map(|b| {
            // SAFETY: the object is a `bytes`, made by `PyBytes_FromStringAndSize`.
            unsafe { b.cast_into_unchecked::<pyo3::types::PyBytes>() }
        }))
    }

    /// Writes a number at `index` of a live, writable hot view: `None` where the hot path does
    /// not apply (a read-only view, an index out of range, an integer out of the code's
    /// range, a float for an integer code: the slow path raises the error).
    pub(crate) fn store(&self, index: &[isize], value: Num) -> Option<()> {
        if cfg!(Py_GIL_DISABLED) || self.flags.load(Ordering::Relaxed) & WRITABLE == 0 {
            return None;
        }
        let (code, offset) = self.locate(index)?;
        let at = self.first.load(Ordering::Relaxed).wrapping_offset(offset);
        macro_rules! write {
            ($t:ty, $x:expr) => {{
                let x: $t = $x;
                // SAFETY: as in `item`, and the view is writable (`WRITABLE`, set from the
                // core view's read-only flag), so its memory was lent writable.
                unsafe { at.cast::<$t>().write_unaligned(x) }
            }};
        }
        macro_rules! int {
            ($t:ty) => {
                match value {
                    Num::I(x) => write!($t, <$t>::try_from(x).ok()?),
                    Num::U(x) => write!($t, <$t>::try_from(x).ok()?),
                    Num::F(_) => return None,
                }
            };
        }
        match code {
            b'B' => int!(u8),
            b'b' => int!(i8),
            b'H' => int!(u16),
            b'h' => int!(i16),
            b'I' => int!(u32),
            b'i' => int!(i32),
            b'L' | b'Q' => int!(u64),
            b'l' | b'q' => int!(i64),
            b'd' => match value {
                Num::F(x) => write!(f64, x),
                _ => return None,
            },
            _ => return None,
        }
        Some(())
    }
}

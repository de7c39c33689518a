//! The only module of this crate that touches memory: reads, writes and pointer loads at
//! addresses a view computed, and short-lived byte slices over a view's memory block.
//!
//! # The aliasing rule (hard question 1)
//!
//! Views never hold Rust references to the memory they describe: two writable views of the
//! same bytes may coexist, as in Python. A reference (`&[u8]` or `&mut [u8]`) over a memory
//! block is made only inside one call of this module and dropped before it returns, and no
//! call runs user code or another view's code in between. Since views are neither `Send` nor
//! `Sync`, no other thread can touch the block meanwhile (hard question 2), so such a reference
//! is the only one in use while it lives. Exporters promise (the `Exporter` safety contract)
//! that nothing else writes the block while it is exported.

use buffer_protocol::BufferInfo;

/// The memory block a descriptor lies in: its start and length, and whether it is writable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Region {
    base: *mut u8,
    len: usize,
}

impl Region {
    /// The region of an exported descriptor.
    pub(crate) fn of(info: &BufferInfo) -> Region {
        Region { base: info.region_ptr().as_ptr(), len: info.region_len() }
    }

    /// The length of the block.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The address `offset` bytes into the block (not dereferenced here).
    pub(crate) fn addr(&self, offset: isize) -> *mut u8 {
        self.base.wrapping_offset(offset)
    }

    /// Runs `f` over the block as a shared byte slice.
    ///
    /// The caller (inside this crate) must hold a live acquisition of the exporter: the
    /// `Managed` that owns the descriptor this region came from.
    pub(crate) fn with_slice<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        // SAFETY: by the exporter's contract (`BufferInfo::new`, promise 1) the block is valid
        // for reads of `len` bytes while the acquisition the caller holds is alive, and nothing
        // writes it except views; per the module's aliasing rule no view writes during `f`,
        // which runs no view code. `len` ≤ isize::MAX because the block is one allocation.
        let bytes = unsafe { std::slice::from_raw_parts(self.base, self.len) };
        f(bytes)
    }

    /// Runs `f` over the block as a mutable byte slice.
    ///
    /// The caller must hold a live acquisition of a *writable* descriptor of the block.
    pub(crate) fn with_slice_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        // SAFETY: as in `with_slice`, and the descriptor is writable, so the block is valid for
        // writes (promise 1); no other reference to the block exists during `f` (the module's
        // aliasing rule), so this `&mut` is unique while it lives.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.base, self.len) };
        f(bytes)
    }
}

/// Copies `out.len()` bytes from `addr`.
///
/// # Safety
///
/// `addr` must be valid for reads of `out.len()` bytes: an item address a view computed from
/// a live acquisition (checked bounds for direct layouts, the exporter's promise 2 for
/// indirect ones).
pub(crate) unsafe fn read(addr: *const u8, out: &mut [u8]) {
    // SAFETY: the caller guarantees `addr` is readable for `out.len()` bytes; `out` is a
    // distinct Rust allocation, so the two do not overlap; byte copies need no alignment.
    unsafe { std::ptr::copy_nonoverlapping(addr, out.as_mut_ptr(), out.len()) }
}

/// Copies `src` to `addr`.
///
/// # Safety
///
/// `addr` must be valid for writes of `src.len()` bytes: an item address of a writable view
/// computed from a live acquisition.
pub(crate) unsafe fn write(addr: *mut u8, src: &[u8]) {
    // SAFETY: the caller guarantees `addr` is writable for `src.len()` bytes; `src` is a
    // distinct Rust allocation (a scratch buffer), so they do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), addr, src.len()) }
}

/// Loads the pointer stored at `addr` (a suboffset dimension) and adds `suboffset`.
///
/// # Safety
///
/// `addr` must be valid for reads of a pointer: a slot of an indirect layout reached from a
/// live acquisition (the exporter's promise 2).
pub(crate) unsafe fn follow(addr: *const u8, suboffset: isize) -> *mut u8 {
    // SAFETY: the caller guarantees a readable pointer-sized slot; it may be unaligned.
    let stored = unsafe { std::ptr::read_unaligned(addr.cast::<usize>()) };
    // Exporters store exposed addresses (see `NdArray::into_pil`), so the provenance is
    // recovered from the exposed set.
    std::ptr::with_exposed_provenance_mut::<u8>(stored).wrapping_offset(suboffset)
}

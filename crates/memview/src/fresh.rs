//! Fresh memory for large outputs (`to_bytes`, `hex`, `to_list`, `to_vec`, `records`, the
//! parallel copies), asked of Linux in 2 MiB pages.
//!
//! A large output is memory the system maps on its first write, one 4 KiB page fault at a
//! time, and the faults cost more than the writes: 32 MiB filled into a fresh buffer takes
//! 18 ms on the reference machine, into one advised for huge pages 3.3 ms. Every output of
//! [`HUGE_OUTPUT`] bytes or more is advised (`madvise(MADV_HUGEPAGE)` on the 2 MiB-aligned
//! pages inside it) before it is first written, as NumPy advises its arrays; where the
//! kernel's transparent huge pages are `never`, or the call fails, nothing changes. Setting
//! the environment variable `MEMVIEW_MADVISE_HUGEPAGE=0` turns the advice off (NumPy's
//! `NUMPY_MADVISE_HUGEPAGE=0`); it is read once.
//!
//! The advice changes neither the memory's contents nor who may access it, only the size of
//! the pages that back it, so it is safe on any range of pages the output owns whole.

/// Outputs of at least this many bytes are advised (NumPy's threshold).
const HUGE_OUTPUT: usize = 4 << 20;

/// Asks that the pages inside the vector's whole allocation (its capacity, written or not)
/// be huge pages, if the allocation is large enough and the advice is not turned off.
pub(crate) fn advise_vec<T>(v: &mut Vec<T>) {
    let bytes = v.capacity().saturating_mul(core::mem::size_of::<T>());
    if bytes >= HUGE_OUTPUT && enabled() {
        advise(v.as_mut_ptr().cast::<u8>(), bytes);
    }
}

/// Asks Linux to back the whole 2 MiB pages inside `buf` with huge pages before they are
/// first written, as memview does for its own large outputs (`to_bytes`, `hex`, `to_list`):
/// for a caller that fills a large buffer it has just allocated, such as an extension filling
/// a fresh `bytes` object or a `Vec<f64>` of results. Buffers under 4 MiB, other systems,
/// Miri and `MEMVIEW_MADVISE_HUGEPAGE=0` leave it alone; the contents never change.
///
/// ```
/// let mut out = vec![0.0f64; 1 << 20];
/// memview::advise_huge_pages(&mut out);
/// out.fill(7.5);
/// assert!(out.iter().all(|&x| x == 7.5));
/// ```
pub fn advise_huge_pages<T>(buf: &mut [T]) {
    let bytes = core::mem::size_of_val(buf);
    if bytes >= HUGE_OUTPUT && enabled() {
        advise(buf.as_mut_ptr().cast::<u8>(), bytes);
    }
}

/// `try_reserve_exact` of room for `additional` more items, then [`advise_vec`].
pub(crate) fn try_reserve_exact<T>(v: &mut Vec<T>, additional: usize) -> Result<(), std::collections::TryReserveError> {
    v.try_reserve_exact(additional)?;
    advise_vec(v);
    Ok(())
}

/// Whether the advice is on: unless `MEMVIEW_MADVISE_HUGEPAGE` is `0`.
fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MEMVIEW_MADVISE_HUGEPAGE").is_none_or(|v| v != "0"))
}

/// `madvise(MADV_HUGEPAGE)` on the 2 MiB pages that lie wholly inside `len` bytes at `start`,
/// which the caller's allocation owns.
#[cfg(all(target_os = "linux", not(miri)))]
fn advise(start: *mut u8, len: usize) {
    const HUGE_PAGE: usize = 2 << 20;
    let Some(first) = start.addr().checked_next_multiple_of(HUGE_PAGE) else { return };
    let end = start.addr().saturating_add(len) / HUGE_PAGE * HUGE_PAGE;
    if end <= first {
        return;
    }
    // Within the allocation: `first - start.addr()` is less than `len`.
    let page = start.wrapping_add(first - start.addr());
    // SAFETY: `madvise` with `MADV_HUGEPAGE` reads and writes no memory and changes no
    // contents or protection, only which pages back the range; the range is whole 2 MiB
    // pages between `start` and `start + len`, all inside the caller's allocation, so no other
    // allocation's pages are advised. Its result is ignored: a kernel without transparent
    // huge pages (or with them `never`) refuses, and the output is then made of small pages.
    let _ = unsafe { libc::madvise(page.cast::<libc::c_void>(), end - first, libc::MADV_HUGEPAGE) };
}

/// Other systems, and Miri (which runs no system calls): no advice.
#[cfg(not(all(target_os = "linux", not(miri))))]
fn advise(_start: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Under Miri the advice is no call at all, and 32 MiB of items take minutes to write.
    #[cfg_attr(miri, ignore)]
    fn advised_vectors_keep_their_contents_and_capacity() {
        // A vector large enough to be advised, with contents written before the advice (as a
        // reused `hex_into` buffer has): the advice changes neither.
        let mut v: Vec<u64> = (0..(HUGE_OUTPUT as u64)).collect();
        let (ptr, cap) = (v.as_ptr(), v.capacity());
        advise_vec(&mut v);
        assert_eq!((v.as_ptr(), v.capacity()), (ptr, cap));
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
        let mut w: Vec<u8> = Vec::new();
        try_reserve_exact(&mut w, HUGE_OUTPUT + 3).unwrap();
        assert!(w.capacity() >= HUGE_OUTPUT + 3);
        w.resize(HUGE_OUTPUT + 3, 7);
        assert!(w.iter().all(|&b| b == 7));
        // Small and empty vectors are left alone.
        let mut e: Vec<u8> = Vec::new();
        advise_vec(&mut e);
        advise_huge_pages(&mut e);
        assert!(e.is_empty());
    }
}

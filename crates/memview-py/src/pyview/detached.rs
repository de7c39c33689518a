//! Bulk work without the GIL: large views are copied and compared through a private import
//! of themselves, detached from the interpreter.

use super::*;

/// Bulk operations (`tobytes`, `hex`, `==`) on views of at least this many bytes run
/// without the GIL, so other Python threads run meanwhile; smaller ones are done before a
/// hand-over of the GIL would pay for itself.
pub(super) const DETACHED_MIN_BYTES: usize = 1 << 16;

/// Whether a view is large enough for its bulk operations to run without the GIL.
pub(super) fn detachable(v: &MemoryView<'_>) -> bool {
    v.nbytes() >= DETACHED_MIN_BYTES
}

/// A value that stays on this thread while it runs detached from the interpreter: what a
/// `!Send` private view needs to cross the `Send` bound of `Python::detach`.
pub(super) struct ThisThread<T>(T);

// SAFETY: `Python::detach` runs its closure on the calling thread and returns before the
// caller goes on; a `ThisThread` is made before such a call and unwrapped inside or after it,
// so its value is never touched by another thread. The views it carries are private imports
// (`import_view`: their own acquisition, in no family), whose `Rc`s and cells no other thread
// can reach.
unsafe impl<T> Send for ThisThread<T> {}

/// Runs `f` detached from the interpreter, on a private view of `obj`'s buffer (a counted
/// export of it: while `f` runs, the view refuses `release()` and its exporter refuses to
/// resize, as they do for any consumer holding a buffer). Other threads may run Python code
/// meanwhile, and may write the same memory through another view: `f` then reads the bytes
/// as they are, as CPython's own GIL-free readers of buffers (`hashlib`, file writes) do; no
/// length or pointer comes from those bytes.
pub(super) fn detached<R: Send>(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    f: impl FnOnce(&MemoryView<'static>) -> PyResult<R> + Send,
) -> PyResult<R> {
    let private = ThisThread(import_view(obj)?);
    let (r, private) = py.detach(move || {
        let private = private;
        let r = f(&private.0);
        (r, private)
    });
    // The private import is released here, attached (its drop attaches anyway).
    drop(private);
    r
}

/// `a == b` of two private imports, compared without the GIL (see [`detached`]).
pub(super) fn detached_eq(py: Python<'_>, a: MemoryView<'static>, b: MemoryView<'static>) -> bool {
    let pair = ThisThread((a, b));
    let (equal, pair) = py.detach(move || {
        let pair = pair;
        (pair.0 .0 == pair.0 .1, pair)
    });
    drop(pair);
    equal
}

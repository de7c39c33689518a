//! How the `!Send` core is shared by Python threads: a *family* of views and one lock.
//!
//! memview's `MemoryView` is `!Send`: views derived from one acquisition share it through an
//! `Rc`, their export counts are `Cell`s, and a format codec may be shared through an `Rc`.
//! Python hands objects to any thread, so the Python types must be `Send + Sync`.
//!
//! The rule that makes this sound: every core value that can share an `Rc` or a `Cell` with
//! another lives in the same [`Family`] as that other, and a family's values are touched
//! only while its lock is held. A family is born with one acquisition (an import of a Python
//! buffer, or an export of Rust memory); every view derived from one of its values is made
//! while the lock is held and is stored back into the same family ([`Member::sibling`]).
//! Nothing in a family is ever moved into another family or out of the crate. So no two
//! threads ever touch one `Rc` count or `Cell` at the same time.
//!
//! The lock is never held while Python code may run (no Python object is made, no
//! `__index__` is called, no buffer is released inside it): with the GIL a thread that ran
//! Python code inside the lock could hand the GIL to a thread that then waits on the lock.
//! A thread that asks again for a lock it holds gets an error, never a deadlock. With the
//! GIL, the GIL is the lock (see [`Family`]); a free-threaded CPython adds a `Mutex`.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
#[cfg(Py_GIL_DISABLED)]
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The lock of a family of views.
///
/// With the GIL (every CPython but the free-threaded builds) the GIL is the lock: a thread
/// touches a family only while attached to the interpreter, and never runs Python code (which
/// could hand the GIL over) while inside a family, so attached means alone. What is left to
/// refuse is re-entry on the same thread, which `owner` does. On a free-threaded CPython
/// (`Py_GIL_DISABLED`) a `Mutex` serialises the threads as well.
#[derive(Debug, Default)]
pub(crate) struct Family {
    #[cfg(Py_GIL_DISABLED)]
    lock: std::sync::Mutex<()>,
    /// The thread inside the family (its [`thread_tag`]), or 0.
    #[cfg(Py_GIL_DISABLED)]
    owner: AtomicUsize,
    /// Whether a thread is inside the family: with the GIL only one thread runs, so a
    /// second entry can only be the same thread's.
    #[cfg(not(Py_GIL_DISABLED))]
    busy: std::sync::atomic::AtomicBool,
}

/// A number that tells this thread from every other live thread: the address of a
/// thread-local.
#[cfg(Py_GIL_DISABLED)]
fn thread_tag() -> usize {
    thread_local! { static TAG: u8 = const { 0 }; }
    TAG.with(|t| t as *const u8 as usize)
}

/// The lock was asked for again by the thread that holds it (a Python callback re-entered
/// the same family).
#[derive(Debug)]
pub(crate) struct Busy;

/// Proof that a family's lock is held: what [`Member::sibling`] takes.
pub(crate) struct Held<'f> {
    family: &'f Arc<Family>,
    #[cfg(Py_GIL_DISABLED)]
    _guard: std::sync::MutexGuard<'f, ()>,
    /// Tied to the attachment to the interpreter the lock was taken under.
    _attached: PhantomData<pyo3::Python<'f>>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        #[cfg(Py_GIL_DISABLED)]
        self.family.owner.store(0, Ordering::Release);
        #[cfg(not(Py_GIL_DISABLED))]
        self.family.busy.store(false, Ordering::Relaxed);
    }
}

impl Family {
    /// A new family, of one acquisition.
    pub(crate) fn new() -> Arc<Family> {
        Arc::new(Family::default())
    }

    /// Holds the lock, for a thread attached to the interpreter (`_py`): waits for another
    /// thread that holds it, refuses this thread.
    pub(crate) fn lock<'f>(self: &'f Arc<Self>, _py: pyo3::Python<'f>) -> Result<Held<'f>, Busy> {
        #[cfg(Py_GIL_DISABLED)]
        let guard = {
            let me = thread_tag();
            if self.owner.load(Ordering::Acquire) == me {
                return Err(Busy);
            }
            // A panic inside the lock leaves no broken state behind (values are only read
            // or replaced whole), so a poisoned lock is taken as it is.
            let guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.owner.store(me, Ordering::Release);
            guard
        };
        // With the GIL no other thread runs meanwhile, so a plain load and store suffice (no
        // locked instruction on the hot path); the GIL's own hand-over orders them.
        #[cfg(not(Py_GIL_DISABLED))]
        {
            if self.busy.load(Ordering::Relaxed) {
                return Err(Busy);
            }
            self.busy.store(true, Ordering::Relaxed);
        }
        Ok(Held {
            family: self,
            #[cfg(Py_GIL_DISABLED)]
            _guard: guard,
            _attached: PhantomData,
        })
    }
}

/// A value of a family: touched only while the family's lock is held.
pub(crate) struct Member<T> {
    family: Arc<Family>,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the value is reached only through `with` and `with_pair`, which hold this member's
// family lock for as long as the reference they lend lives, and is dropped under that lock
// (`Drop`).
// Every `Rc` and `Cell` the value can share is shared only with values of the same family
// (the module's rule: members are made by `Member::new` for a new acquisition, or by
// `sibling` under the family's lock), so all accesses to shared counts are serialised by the
// one lock, and moving a `Member` to another thread moves no unsynchronised access with it.
unsafe impl<T> Send for Member<T> {}
// SAFETY: as for `Send`: `&Member` gives access to the value only under the family's lock.
unsafe impl<T> Sync for Member<T> {}

impl<T> Member<T> {
    /// The first value of a new family.
    pub(crate) fn new(value: T) -> Member<T> {
        Member { family: Family::new(), value: UnsafeCell::new(Some(value)) }
    }

    /// A new member of the same family, for a value derived (under `held`) from this family.
    #[inline]
    pub(crate) fn sibling<U>(held: &Held<'_>, value: U) -> Member<U> {
        Member { family: Arc::clone(held.family), value: UnsafeCell::new(Some(value)) }
    }

    /// Locks the family and runs `f` on the value (`None` once taken) and the proof of the
    /// lock (for [`sibling`](Self::sibling)).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Option<T>, &Held<'_>) -> R) -> Result<R, Busy> {
        pyo3::Python::attach(|py| self.with_attached(py, f))
    }

    /// [`with`](Self::with) for a caller that is attached already.
    pub(crate) fn with_attached<R>(
        &self,
        py: pyo3::Python<'_>,
        f: impl FnOnce(&mut Option<T>, &Held<'_>) -> R,
    ) -> Result<R, Busy> {
        let held = self.family.lock(py)?;
        // SAFETY: this thread holds the lock of this member's family for the whole call, and
        // `Family::lock` refuses a second `Held` on this thread, so no other `&` or `&mut` to
        // any value of the family exists while `f` runs (every access to a member's value is
        // through `with` or `with_pair`, both of which lock).
        let value = unsafe { &mut *self.value.get() };
        Ok(f(value, &held))
    }

    /// Locks the families of two members (once, if they share one; in address order
    /// otherwise, so two threads never wait on each other) and runs `f` on both values.
    pub(crate) fn with_pair<U, R>(
        &self,
        other: &Member<U>,
        f: impl FnOnce(&Option<T>, &Option<U>) -> R,
    ) -> Result<R, Busy> {
        pyo3::Python::attach(|py| {
            let (a, b) = (&self.family, &other.family);
            let _first;
            let _second;
            if Arc::ptr_eq(a, b) {
                _first = a.lock(py)?;
            } else if Arc::as_ptr(a) < Arc::as_ptr(b) {
                _first = a.lock(py)?;
                _second = b.lock(py)?;
            } else {
                _first = b.lock(py)?;
                _second = a.lock(py)?;
            }
            // SAFETY: both families' locks are held by this thread for the whole call and no
            // other `Held` of them can exist on this thread (see `with`); the values are only
            // read, so two shared references, even to one value, are sound.
            let x = unsafe { &*self.value.get() };
            // SAFETY: as for `x`.
            let y = unsafe { &*other.value.get() };
            Ok(f(x, y))
        })
    }
}

impl<T> Drop for Member<T> {
    fn drop(&mut self) {
        // `&mut self`: no other reference to this member; its value may still share counts
        // with live members of the family, so it is dropped under the lock.
        // Dropped in place (a core view is too large to move for nothing).
        let (family, value) = (&self.family, self.value.get_mut());
        pyo3::Python::attach(|py| match family.lock(py) {
            Ok(_held) => *value = None,
            // Dropped by the thread inside the lock (a callback run inside it): the value
            // is leaked rather than dropped without the lock.
            Err(Busy) => std::mem::forget(value.take()),
        });
    }
}

/// A Python-side value whose core view is reached only under its family's lock (memview's
/// `memoryview`): what the modules that read views (`fastlist`, `arrow`) need of it, without
/// depending on the Python type itself.
pub(crate) trait Locked {
    /// Runs `f` on the live core view under the family's lock (the caller is attached to
    /// the interpreter, `py`); `ValueError` once released.
    fn locked<R>(
        &self,
        py: pyo3::Python<'_>,
        f: impl FnOnce(&memview::MemoryView<'static>) -> pyo3::PyResult<R>,
    ) -> pyo3::PyResult<R>;
}

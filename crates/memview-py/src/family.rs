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
//!
//! With the GIL a family is made lazily: a view nothing is derived from is a family of one,
//! locked by its own flag, and the shared [`Family`] is made when its first sibling is (see
//! [`Member`]). A value that shares no count is dropped without the lock
//! ([`FamilyValue::shares`]). [`Guarded`] holds an object's small mutable parts that are not
//! family values (an import's anchor, a `Struct`'s format) under the same GIL argument.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
#[cfg(not(Py_GIL_DISABLED))]
use std::sync::atomic::AtomicBool;
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

/// Where a member keeps its family once it has one.
///
/// With the GIL the slot is touched only by a thread attached to the interpreter (every
/// access takes a `Python` token, a [`Held`] tied to one, or `&mut self`), so the GIL orders
/// all accesses and a `OnceCell` suffices: making a sibling sets its slot with plain stores
/// (a `OnceLock` would run its one-time initialisation, about 200 instructions, per view).
/// A free-threaded build has no such order, and uses a `OnceLock`.
#[cfg(not(Py_GIL_DISABLED))]
type Slot = std::cell::OnceCell<Arc<Family>>;
#[cfg(Py_GIL_DISABLED)]
type Slot = std::sync::OnceLock<Arc<Family>>;

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

/// Proof that a member's lock is held: what [`Member::sibling`] takes.
pub(crate) struct Held<'f> {
    /// The locked member's family; [`family`](Self::family) makes it if the member has none.
    slot: &'f Slot,
    /// The lock of a member with no family yet (see [`Member`]).
    #[cfg(not(Py_GIL_DISABLED))]
    alone: &'f AtomicBool,
    #[cfg(Py_GIL_DISABLED)]
    family: &'f Family,
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
        {
            // The family, whether the lock was taken through it or it was made meanwhile
            // (entered: see `family`), and the member's own flag.
            if let Some(family) = self.slot.get() {
                family.busy.store(false, Ordering::Relaxed);
            }
            self.alone.store(false, Ordering::Relaxed);
        }
    }
}

impl Held<'_> {
    /// The family of the locked member. A member with none gets one now, entered by this
    /// lock (it is left when the lock is): from here on the member and its siblings lock
    /// through it.
    fn family(&self) -> &Arc<Family> {
        self.slot.get_or_init(|| Arc::new(Family::entered()))
    }
}

impl Family {
    /// A new family, entered by the thread that makes it (with the GIL: see [`Held::family`]).
    fn entered() -> Family {
        #[cfg(not(Py_GIL_DISABLED))]
        {
            Family { busy: AtomicBool::new(true) }
        }
        // Never called: a member of a free-threaded build has its family from birth.
        #[cfg(Py_GIL_DISABLED)]
        Family::default()
    }

    /// Enters the family: waits for another thread inside it, refuses this thread.
    #[cfg(Py_GIL_DISABLED)]
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>, Busy> {
        let me = thread_tag();
        if self.owner.load(Ordering::Acquire) == me {
            return Err(Busy);
        }
        // A panic inside the lock leaves no broken state behind (values are only read or
        // replaced whole), so a poisoned lock is taken as it is.
        let guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.owner.store(me, Ordering::Release);
        Ok(guard)
    }
}

/// Locks a member given its parts (so that `Drop` can lock while it holds the value).
fn lock_parts<'f>(
    slot: &'f Slot,
    #[cfg(not(Py_GIL_DISABLED))] alone: &'f AtomicBool,
    _py: pyo3::Python<'f>,
) -> Result<Held<'f>, Busy> {
    #[cfg(Py_GIL_DISABLED)]
    {
        let family: &Family = slot.get_or_init(|| Arc::new(Family::default()));
        let guard = family.lock()?;
        Ok(Held { slot, family, _guard: guard, _attached: PhantomData })
    }
    // With the GIL no other thread runs meanwhile, so a plain load and store suffice (no
    // locked instruction on the hot path); the GIL's own hand-over orders them.
    #[cfg(not(Py_GIL_DISABLED))]
    {
        let flag = match slot.get() {
            Some(family) => &family.busy,
            None => alone,
        };
        if flag.load(Ordering::Relaxed) {
            return Err(Busy);
        }
        flag.store(true, Ordering::Relaxed);
        Ok(Held { slot, alone, _attached: PhantomData })
    }
}

/// What a member can hold: a value that says whether it shares counts with other members.
pub(crate) trait FamilyValue {
    /// Whether the value may hold an `Rc` or `Cell` shared with another member. A value
    /// that shares nothing is dropped without the lock (no other thread can reach it: the
    /// member is being dropped, so no reference to it is left).
    fn shares(&self) -> bool;
}

impl<T> FamilyValue for std::rc::Rc<T> {
    fn shares(&self) -> bool {
        true
    }
}

/// A value of a family: touched only while the family's lock is held.
///
/// With the GIL a member born alone ([`new`](Self::new)) has no family until a sibling is
/// made of it ([`sibling`](Self::sibling)): until then it is a family of one, locked by its
/// own flag, and the shared family (an allocation) is never made for a view that nothing is
/// derived from. The family is made under the member's lock and entered at once, so the
/// member is never reachable through two locks at the same time. A free-threaded build
/// gives every member its family at birth.
pub(crate) struct Member<T: FamilyValue> {
    family: Slot,
    /// The lock of a member with no family yet (a member with one locks its family's).
    #[cfg(not(Py_GIL_DISABLED))]
    alone: AtomicBool,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: the value is reached only through `with` and `with_pair`, which hold this member's
// lock (its family's, or its own while it has no family) for as long as the reference they
// lend lives, and is dropped under that lock (`Drop`). Every `Rc` and `Cell` the value can
// share is shared only with values of the same family (the module's rule: members are made
// by `Member::new` for a new acquisition, or by `sibling` under the family's lock, which
// gives a member with no family its family first), so all accesses to shared counts are
// serialised by the one lock, and moving a `Member` to another thread moves no
// unsynchronised access with it. The family slot (a `OnceCell` with the GIL) is read and set
// only by a thread attached to the interpreter (see [`Slot`]), which the GIL serialises.
unsafe impl<T: FamilyValue> Send for Member<T> {}
// SAFETY: as for `Send`: `&Member` gives access to the value only under the lock, and to the
// slot only while attached.
unsafe impl<T: FamilyValue> Sync for Member<T> {}

impl<T: FamilyValue> Member<T> {
    /// Whether the value shares counts with the family (and so is dropped under its lock):
    /// read with `&mut self`, no other reference to the member being live.
    pub(crate) fn shares(&mut self) -> bool {
        self.value.get_mut().as_ref().is_some_and(FamilyValue::shares)
    }

    /// The first value of a new family.
    pub(crate) fn new(value: T) -> Member<T> {
        Member {
            #[cfg(not(Py_GIL_DISABLED))]
            family: Slot::new(),
            #[cfg(Py_GIL_DISABLED)]
            family: Slot::from(Arc::new(Family::default())),
            #[cfg(not(Py_GIL_DISABLED))]
            alone: AtomicBool::new(false),
            value: UnsafeCell::new(Some(value)),
        }
    }

    /// A new member of the same family, for a value derived (under `held`) from this family.
    #[inline]
    pub(crate) fn sibling<U: FamilyValue>(held: &Held<'_>, value: U) -> Member<U> {
        Member {
            family: Slot::from(Arc::clone(held.family())),
            #[cfg(not(Py_GIL_DISABLED))]
            alone: AtomicBool::new(false),
            value: UnsafeCell::new(Some(value)),
        }
    }

    /// Holds this member's lock (see [`lock_parts`]).
    fn lock<'f>(&'f self, py: pyo3::Python<'f>) -> Result<Held<'f>, Busy> {
        lock_parts(
            &self.family,
            #[cfg(not(Py_GIL_DISABLED))]
            &self.alone,
            py,
        )
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
        let held = self.lock(py)?;
        // SAFETY: this thread holds this member's lock for the whole call (its family's, or
        // its own while it has none; a family made meanwhile is entered by this lock), and
        // the lock refuses a second `Held` on this thread, so no other `&` or `&mut` to the
        // value exists while `f` runs (every access to a member's value is through `with` or
        // `with_pair`, both of which lock).
        let value = unsafe { &mut *self.value.get() };
        Ok(f(value, &held))
    }

    /// Locks the families of two members (once, if they share one; in address order
    /// otherwise, so two threads never wait on each other) and runs `f` on both values.
    pub(crate) fn with_pair<U: FamilyValue, R>(
        &self,
        other: &Member<U>,
        f: impl FnOnce(&Option<T>, &Option<U>) -> R,
    ) -> Result<R, Busy> {
        pyo3::Python::attach(|py| {
            let _first;
            let _second;
            // The same member twice (with no family, it has only its own flag to take once).
            let same = std::ptr::eq(&self.family, &other.family);
            match (self.family.get(), other.family.get()) {
                _ if same => _first = self.lock(py)?,
                (Some(a), Some(b)) if Arc::ptr_eq(a, b) => _first = self.lock(py)?,
                (Some(a), Some(b)) if Arc::as_ptr(b) < Arc::as_ptr(a) => {
                    _first = other.lock(py)?;
                    _second = self.lock(py)?;
                }
                // Otherwise in this order: with the GIL a member with no family is locked by
                // its own flag, which only this thread can hold; a free-threaded build gives
                // every member its family, so its pairs are ordered above.
                _ => {
                    _first = self.lock(py)?;
                    _second = other.lock(py)?;
                }
            }
            // SAFETY: both members' locks are held by this thread for the whole call and no
            // other `Held` of them can exist on this thread (see `with`); the values are only
            // read, so two shared references, even to one value, are sound.
            let x = unsafe { &*self.value.get() };
            // SAFETY: as for `x`.
            let y = unsafe { &*other.value.get() };
            Ok(f(x, y))
        })
    }
}

impl<T: FamilyValue> Drop for Member<T> {
    fn drop(&mut self) {
        // `&mut self`: no other reference to this member; its value may still share counts
        // with live members of the family, so it is dropped under the lock.
        // Dropped in place (a core view is too large to move for nothing).
        // Nothing shared: the value is dropped with the member's fields, with no lock (and
        // no attachment to the interpreter).
        if !self.shares() {
            return;
        }
        let Member {
            family,
            #[cfg(not(Py_GIL_DISABLED))]
            alone,
            value,
        } = self;
        let value = value.get_mut();
        pyo3::Python::attach(|py| {
            match lock_parts(
                family,
                #[cfg(not(Py_GIL_DISABLED))]
                alone,
                py,
            ) {
                Ok(_held) => *value = None,
                // Dropped by the thread inside the lock (a callback run inside it): the
                // value is leaked rather than dropped without the lock.
                Err(Busy) => std::mem::forget(value.take()),
            }
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

/// A small mutable part of a Python object (not a family's value): guarded by the GIL where
/// there is one, and by a `RwLock` in a free-threaded build.
///
/// With the GIL this is a `RefCell` whose borrow flag is touched only by a thread attached
/// to the interpreter: every borrow begins and ends inside a call that takes a `Python`
/// token ([`with`](Self::with), [`read`](Self::read)), or inside the collector's traverse,
/// which holds the GIL ([`try_with`](Self::try_with)). So the GIL orders every change of the
/// flag, and no locked instruction is paid. A closure may run Python code (and the GIL may
/// pass to another thread meanwhile): another thread then finds the part borrowed (`None`
/// where it asks to write), never a torn value, since shared borrows only read.
pub(crate) struct Guarded<T> {
    #[cfg(not(Py_GIL_DISABLED))]
    cell: std::cell::RefCell<T>,
    #[cfg(Py_GIL_DISABLED)]
    cell: std::sync::RwLock<T>,
}

// SAFETY: with the GIL, the `RefCell`'s borrow flag is changed only by a thread attached to
// the interpreter (see the type's documentation), one thread at a time, ordered by the GIL's
// hand-over; the value is written only under an exclusive borrow and otherwise only read
// (`T: Sync` for readers on several threads, `T: Send` for the thread that writes or drops
// it). A free-threaded build uses a `RwLock`, `Sync` by itself.
#[cfg(not(Py_GIL_DISABLED))]
unsafe impl<T: Send + Sync> Sync for Guarded<T> {}

impl<T> Guarded<T> {
    /// A guarded value.
    pub(crate) fn new(value: T) -> Guarded<T> {
        #[cfg(not(Py_GIL_DISABLED))]
        let cell = std::cell::RefCell::new(value);
        #[cfg(Py_GIL_DISABLED)]
        let cell = std::sync::RwLock::new(value);
        Guarded { cell }
    }

    /// The value, through the exclusive borrow of its owner (no other reference is live).
    pub(crate) fn get_mut(&mut self) -> &mut T {
        #[cfg(not(Py_GIL_DISABLED))]
        let value = self.cell.get_mut();
        #[cfg(Py_GIL_DISABLED)]
        let value = self.cell.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        value
    }

    /// Runs `f` on the value, alone; `None` if this thread holds it already (re-entered). A
    /// free-threaded build waits for another thread that holds it. `f` must not run Python
    /// code (a free-threaded reader waiting for it could wait for ever).
    pub(crate) fn with<R>(&self, _py: pyo3::Python<'_>, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        #[cfg(not(Py_GIL_DISABLED))]
        let mut value = self.cell.try_borrow_mut().ok()?;
        // A panic inside leaves no broken state (parts are replaced whole), so a poisoned
        // lock is taken as it is.
        #[cfg(Py_GIL_DISABLED)]
        let mut value = self.cell.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(f(&mut value))
    }

    /// Runs `f` on the value, alone, if nobody reads or writes it meanwhile; `None`
    /// otherwise (never waits).
    pub(crate) fn try_write<R>(&self, _py: pyo3::Python<'_>, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        #[cfg(not(Py_GIL_DISABLED))]
        let mut value = self.cell.try_borrow_mut().ok()?;
        #[cfg(Py_GIL_DISABLED)]
        let mut value = match self.cell.try_write() {
            Ok(v) => v,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(f(&mut value))
    }

    /// Runs `f` on the value, shared with other readers (`f` may run Python code); `None`
    /// while this thread writes it.
    pub(crate) fn read<R>(&self, _py: pyo3::Python<'_>, f: impl FnOnce(&T) -> R) -> Option<R> {
        #[cfg(not(Py_GIL_DISABLED))]
        let value = self.cell.try_borrow().ok()?;
        #[cfg(Py_GIL_DISABLED)]
        let value = self.cell.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(f(&value))
    }

    /// [`read`](Self::read) for the collector's traverse (which holds the GIL, or stops every
    /// other thread): never waits; `None` while another holds the value.
    pub(crate) fn try_with<R>(&self, _visit: &pyo3::PyVisit<'_>, f: impl FnOnce(&T) -> R) -> Option<R> {
        #[cfg(not(Py_GIL_DISABLED))]
        let value = self.cell.try_borrow().ok()?;
        #[cfg(Py_GIL_DISABLED)]
        let value = self.cell.try_read().ok()?;
        Some(f(&value))
    }
}

//! Host-owned state: `#[hot] static` items, shared by the program and every reloaded version.
//!
//! Each binary has its own instance of every `#[hot] static` it contains, and a [`StateSlot`]
//! pointing at the instance in use. A slot starts at the binary's own instance; when a library
//! is loaded, the host points each of the library's slots at the instance the program already
//! uses (after checking that the type kept its layout), so every version reads and writes the same
//! value. A `#[hot] static` that first appears in a reloaded version keeps that version's
//! instance, and later versions share it.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::fingerprint::TypeLayout;

/// What the runtime knows about one `#[hot] static`.
#[derive(Debug)]
pub struct StateInfo {
    /// `module::path::NAME@version`: the same in every build of the same crate.
    pub key: &'static str,
    /// The layout of the static's type, as compiled into this binary.
    pub layout: fn() -> TypeLayout,
}

/// Where a `#[hot] static`'s accesses go: this binary's own instance, or the host's.
#[derive(Debug)]
pub struct StateSlot {
    instance: AtomicPtr<()>,
    info: &'static StateInfo,
}

impl StateSlot {
    /// A slot starting at this binary's own `instance`.
    pub const fn new(instance: *const (), info: &'static StateInfo) -> StateSlot {
        StateSlot {
            instance: AtomicPtr::new(instance.cast_mut()),
            info,
        }
    }

    pub(crate) fn info(&self) -> &'static StateInfo {
        self.info
    }

    pub(crate) fn instance(&self) -> *mut () {
        self.instance.load(Ordering::Acquire)
    }

    /// Points this slot at `instance`.
    ///
    /// # Safety
    ///
    /// `instance` must point at a `'static` value of this slot's type, with the same layout.
    pub(crate) unsafe fn bind(&self, instance: *mut ()) {
        self.instance.store(instance, Ordering::Release);
    }
}

/// A `#[hot] static` as user code sees it: dereferences to the instance in use, with one atomic
/// load.
pub struct Shared<T: 'static> {
    slot: &'static StateSlot,
    _type: PhantomData<T>,
}

impl<T: 'static> Shared<T> {
    /// The static behind `slot`, whose instances all have type `T`.
    pub const fn new(slot: &'static StateSlot) -> Shared<T> {
        Shared {
            slot,
            _type: PhantomData,
        }
    }
}

impl<T: 'static> std::ops::Deref for Shared<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the slot starts at this binary's own `static` of type `T`, and the runtime only
        // points it at another binary's instance of the same type with the same layout; both
        // live for the rest of the program (libraries are never unloaded).
        unsafe { &*self.slot.instance().cast::<T>() }
    }
}

impl<T: std::fmt::Debug + 'static> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// Every `#[hot] static` linked into this binary.
#[linkme::distributed_slice]
pub static STATES: [&'static StateSlot];

/// The instance each `#[hot] static` uses in this program, by key.
#[derive(Default)]
pub struct Instances {
    by_key: HashMap<&'static str, (*mut (), TypeLayout)>,
}

// SAFETY: the pointers are addresses of `'static` values (shared like the statics themselves);
// `Instances` only stores and hands them out.
unsafe impl Send for Instances {}

/// A `#[hot] static` whose type changed layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub key: &'static str,
    pub old: TypeLayout,
    pub new: TypeLayout,
}

impl Instances {
    /// The host's own instances.
    pub fn of_host(slots: &[&'static StateSlot]) -> Instances {
        let mut instances = Instances::default();
        for slot in slots {
            let info = slot.info();
            instances
                .by_key
                .entry(info.key)
                .or_insert((slot.instance(), (info.layout)()));
        }
        instances
    }

    /// Checks that every state of a new library kept its layout; refuses all if one did not.
    pub fn check(&self, slots: &[&'static StateSlot]) -> Result<(), Vec<Changed>> {
        let changed: Vec<Changed> = slots
            .iter()
            .filter_map(|slot| {
                let info = slot.info();
                let (_, old) = self.by_key.get(info.key)?;
                let new = (info.layout)();
                (*old != new).then_some(Changed {
                    key: info.key,
                    old: *old,
                    new,
                })
            })
            .collect();
        if changed.is_empty() {
            Ok(())
        } else {
            Err(changed)
        }
    }

    /// Points every state slot of a new library (checked) at the instance in use, and records the
    /// instances of states seen for the first time. Returns those new states' keys.
    pub fn bind(&mut self, slots: &[&'static StateSlot]) -> Vec<&'static str> {
        let mut new = Vec::new();
        for slot in slots {
            let info = slot.info();
            match self.by_key.get(info.key) {
                // SAFETY: `check` found the same layout (and the same type name) for this key.
                Some(&(instance, _)) => unsafe { slot.bind(instance) },
                None => {
                    self.by_key
                        .insert(info.key, (slot.instance(), (info.layout)()));
                    new.push(info.key);
                }
            }
        }
        new
    }
}

//! `#[hot] static` items: state whose type may change, carried over by a migration.
//!
//! Plain statics of a patched crate keep their values by themselves (a patch binds them to the
//! program's). A `#[hot] static` is for a value whose type may change: each version has its own
//! instance and a [`StateSlot`] pointing at the instance in use; when a version is applied, the
//! runtime points the new version's slot at the instance the program already uses (after
//! checking that the type kept its layout), or at a new instance made from the old one by a
//! migration. A `#[hot] static` that first appears in a patch keeps that patch's instance, and
//! later versions share it.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::abi::layout::TypeLayout;

/// What the runtime knows about one `#[hot] static`.
#[derive(Debug)]
pub struct StateInfo {
    /// `module::path::NAME@version`: the same in every build of the same crate.
    pub key: &'static str,
    /// The layout of the static's type, as compiled into this binary.
    pub layout: fn() -> TypeLayout,
    /// The crate's own types the static's type reaches, with a hash of each definition.
    pub types: &'static [(&'static str, u64)],
    /// What a new version does when the type's layout changed.
    pub on_change: OnChange,
}

/// What happens to a `#[hot] static` whose type's layout changed in a new version.
#[derive(Debug, Clone, Copy)]
pub enum OnChange {
    /// The reload is refused (the default).
    Refuse,
    /// The new version starts from its initial value (`#[hot(reset)]`).
    Reset,
    /// The value is carried over as JSON (`#[hot(serde)]`, `#[hot(migrate = f)]`).
    Migrate {
        /// Writes an instance of this binary's type as JSON.
        save: unsafe fn(*const ()) -> Result<String, String>,
        /// Makes a new instance of this binary's type from the JSON of the old one.
        load: fn(&str) -> Result<*mut (), String>,
    },
}

/// `save` of [`OnChange::Migrate`] for `T`.
///
/// # Safety
///
/// `value` must point at a live `T`.
#[cfg(feature = "serde")]
pub unsafe fn save_json<T: serde::Serialize>(value: *const ()) -> Result<String, String> {
    // SAFETY: the caller promises `value` points at a live `T`.
    let value = unsafe { &*value.cast::<T>() };
    serde_json::to_string(value).map_err(|error| error.to_string())
}

/// `load` of [`OnChange::Migrate`] for `T`, with serde's own conversion: fields the old value
/// lacks need `#[serde(default)]`, fields it has and `T` lacks are dropped.
#[cfg(feature = "serde")]
pub fn load_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<*mut (), String> {
    let value: T = serde_json::from_str(json).map_err(|error| error.to_string())?;
    Ok(Box::into_raw(Box::new(value)).cast())
}

/// `load` of [`OnChange::Migrate`] for `T`, through the user's `migrate(old) -> T`.
#[cfg(feature = "serde")]
pub fn load_with<T>(json: &str, migrate: fn(serde_json::Value) -> T) -> Result<*mut (), String> {
    let old = serde_json::from_str(json).map_err(|error| error.to_string())?;
    Ok(Box::into_raw(Box::new(migrate(old))).cast())
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

    /// The static's description.
    pub fn info(&self) -> &'static StateInfo {
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

/// Every `#[hot] static` linked into the program.
#[linkme::distributed_slice]
pub static STATES: [&'static StateSlot];

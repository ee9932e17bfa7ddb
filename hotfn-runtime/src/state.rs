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

/// The instance each `#[hot] static` uses in this program, by key, with the description of the
/// binary whose type it has.
#[derive(Default)]
pub struct Instances {
    by_key: HashMap<&'static str, (*mut (), TypeLayout, &'static StateInfo)>,
}

// SAFETY: the pointers are addresses of `'static` values (shared like the statics themselves);
// `Instances` only stores and hands them out.
unsafe impl Send for Instances {}

/// A `#[hot] static` whose type changed layout and cannot be carried over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub key: &'static str,
    pub why: String,
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
                .or_insert((slot.instance(), (info.layout)(), info));
        }
        instances
    }

    /// Checks that every state of a new library kept its layout or says how to carry it over;
    /// refuses all if one cannot be.
    pub fn check(&self, slots: &[&'static StateSlot]) -> Result<(), Vec<Changed>> {
        let changed: Vec<Changed> = slots
            .iter()
            .filter_map(|slot| {
                let info = slot.info();
                let (_, old, owner) = self.by_key.get(info.key)?;
                let new = (info.layout)();
                if *old == new {
                    return None;
                }
                let was = format!("its type was {old}, is now {new}");
                let why = match (info.on_change, owner.on_change) {
                    (OnChange::Reset, _) | (OnChange::Migrate { .. }, OnChange::Migrate { .. }) => {
                        return None;
                    }
                    (OnChange::Refuse, _) => format!(
                        "{was}. To carry the value over, add `#[hot(serde)]` (the type \
                         implements Serialize and Deserialize; hotfn-runtime's `serde` \
                         feature) or `#[hot(migrate = path::to::fn)]`; to start from the \
                         initial value, `#[hot(reset)]`"
                    ),
                    (OnChange::Migrate { .. }, _) => format!(
                        "{was}, and the running program cannot save the old value: it was \
                         built before `serde`/`migrate` was added. Restart to use the change"
                    ),
                };
                Some(Changed { key: info.key, why })
            })
            .collect();
        if changed.is_empty() {
            Ok(())
        } else {
            Err(changed)
        }
    }

    /// Points every state slot of a new library (checked) at the instance in use, carrying over
    /// or resetting those whose layout changed, and records the instances of states seen for the
    /// first time. Changes nothing and says why if a value cannot be carried over. Returns a note
    /// per state that is new, reset or migrated.
    pub fn bind(&mut self, slots: &[&'static StateSlot]) -> Result<Vec<String>, Vec<Changed>> {
        // First everything that can fail: the migrations.
        let mut replaced = HashMap::new();
        let mut failed = Vec::new();
        for slot in slots {
            let info = slot.info();
            let Some(&(instance, old, owner)) = self.by_key.get(info.key) else {
                continue;
            };
            if old == (info.layout)() {
                continue;
            }
            let carried = match (info.on_change, owner.on_change) {
                (OnChange::Migrate { load, .. }, OnChange::Migrate { save, .. }) => {
                    // SAFETY: `instance` is the live instance of the owner's type.
                    let json = unsafe { save(instance) };
                    json.and_then(|json| load(&json))
                        .map(|new| (new, "migrated"))
                }
                _ => Ok((slot.instance(), "reset")),
            };
            match carried {
                Ok(carried) => {
                    replaced.insert(info.key, carried);
                }
                Err(error) => failed.push(Changed {
                    key: info.key,
                    why: format!("#[hot] static: the old value could not be migrated: {error}"),
                }),
            }
        }
        if !failed.is_empty() {
            return Err(failed);
        }
        let mut notes = Vec::new();
        for slot in slots {
            let info = slot.info();
            if let Some((instance, what)) = replaced.remove(info.key) {
                // SAFETY: `instance` is this library's own instance, or one `load` made of
                // this library's type.
                unsafe { slot.bind(instance) };
                self.by_key
                    .insert(info.key, (instance, (info.layout)(), info));
                notes.push(format!("{} {what}", short(info.key)));
            } else if let Some(&(instance, _, _)) = self.by_key.get(info.key) {
                // SAFETY: the same layout (and type name) for this key.
                unsafe { slot.bind(instance) };
            } else {
                self.by_key
                    .insert(info.key, (slot.instance(), (info.layout)(), info));
                notes.push(format!("{} new", short(info.key)));
            }
        }
        Ok(notes)
    }
}

/// `NAME` of `crate::module::NAME@1.0.0`.
fn short(key: &str) -> &str {
    let path = key.split('@').next().unwrap_or(key);
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout_of<T>() -> TypeLayout {
        TypeLayout {
            name: std::any::type_name::<T>(),
            size: size_of::<T>(),
            align: align_of::<T>(),
        }
    }

    fn leak_slot<T: Default + 'static>(info: &'static StateInfo) -> &'static StateSlot {
        let value: &'static T = Box::leak(Box::new(T::default()));
        Box::leak(Box::new(StateSlot::new((value as *const T).cast(), info)))
    }

    fn info(layout: fn() -> TypeLayout, on_change: OnChange) -> &'static StateInfo {
        Box::leak(Box::new(StateInfo {
            key: "game::SCORE@0.1.0",
            layout,
            on_change,
        }))
    }

    #[test]
    fn an_unchanged_state_is_shared_and_a_changed_one_refused_unless_reset() {
        let host = leak_slot::<u64>(info(layout_of::<u64>, OnChange::Refuse));
        let mut instances = Instances::of_host(&[host]);

        let same = leak_slot::<u64>(info(layout_of::<u64>, OnChange::Refuse));
        assert_eq!(instances.check(&[same]), Ok(()));
        assert_eq!(instances.bind(&[same]), Ok(vec![]));
        assert_eq!(same.instance(), host.instance(), "shares the host's value");

        let changed = leak_slot::<u32>(info(layout_of::<u32>, OnChange::Refuse));
        let refused = instances.check(&[changed]).unwrap_err();
        assert!(refused[0].why.contains("#[hot(reset)]"), "{refused:?}");

        let reset = leak_slot::<u32>(info(layout_of::<u32>, OnChange::Reset));
        let own = reset.instance();
        assert_eq!(instances.check(&[reset]), Ok(()));
        assert_eq!(instances.bind(&[reset]), Ok(vec!["SCORE reset".to_owned()]));
        assert_eq!(reset.instance(), own, "starts from its own initial value");

        // The next version of the same layout shares the reset one's value.
        let next = leak_slot::<u32>(info(layout_of::<u32>, OnChange::Refuse));
        assert_eq!(instances.bind(&[next]), Ok(vec![]));
        assert_eq!(next.instance(), own);
    }

    #[test]
    fn a_migration_needs_the_old_side_to_save() {
        unsafe fn save(value: *const ()) -> Result<String, String> {
            // SAFETY: the test's instances are `u64`s.
            Ok(unsafe { *value.cast::<u64>() }.to_string())
        }
        fn load(json: &str) -> Result<*mut (), String> {
            let old: u64 = json.parse().map_err(|_| "not a number".to_owned())?;
            Ok(Box::into_raw(Box::new(old as u32 + 1)).cast())
        }
        let migrate = OnChange::Migrate { save, load };
        let host = leak_slot::<u64>(info(layout_of::<u64>, OnChange::Refuse));
        let instances = Instances::of_host(&[host]);
        let new = leak_slot::<u32>(info(layout_of::<u32>, migrate));
        let refused = instances.check(&[new]).unwrap_err();
        assert!(refused[0].why.contains("cannot save"), "{refused:?}");

        let host = leak_slot::<u64>(info(layout_of::<u64>, migrate));
        let mut instances = Instances::of_host(&[host]);
        assert_eq!(instances.check(&[new]), Ok(()));
        assert_eq!(
            instances.bind(&[new]),
            Ok(vec!["SCORE migrated".to_owned()])
        );
        // SAFETY: `load` made a `u32`.
        assert_eq!(unsafe { *new.instance().cast::<u32>() }, 1);
    }
}

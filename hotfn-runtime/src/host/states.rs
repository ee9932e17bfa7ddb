//! The instance each `#[hot] static` uses, across versions: checking that a new version's
//! states can share it, and binding them (carrying a value over when its type changed).

use std::collections::HashMap;

use crate::abi::layout::TypeLayout;
use crate::abi::state::{OnChange, StateInfo, StateSlot};

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
                if *old == new && owner.types == info.types {
                    return None;
                }
                let was = if *old == new {
                    format!(
                        "a type its value contains changed its definition ({})",
                        changed_names(owner.types, info.types)
                    )
                } else {
                    format!("its type was {old}, is now {new}")
                };
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
            if old == (info.layout)() && owner.types == info.types {
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

/// The names whose definition hashes differ between two lists.
fn changed_names(old: &[(&str, u64)], new: &[(&str, u64)]) -> String {
    let mut names: Vec<&str> = old
        .iter()
        .chain(new)
        .filter(|entry| !(old.contains(entry) && new.contains(entry)))
        .map(|(name, _)| *name)
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// `NAME` of `crate::module::NAME@1.0.0`.
fn short(key: &str) -> &str {
    let path = key.split('@').next().unwrap_or(key);
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::state::OnChange;

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
            types: &[],
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

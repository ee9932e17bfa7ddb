//! Binding: pointing targets at code. Each store is one atomic write: a call sees the old or the
//! new code, never anything in between, and a call already running finishes where it started.

use crate::abi::slot::{Code, Slot};

/// Calls of the function of `shared` — the slot whose target every caller reaches — go to
/// `code` from now on.
pub fn bind(shared: &Slot, code: Code) {
    shared.target().set(code);
}

/// A freshly loaded version's own calls of its unit's functions stay in it, so that a call that
/// started in one version finishes entirely in it, whatever reloads happen meanwhile. Done before
/// anything can call into the version.
pub fn keep_own(slots: &[&'static Slot]) {
    for slot in slots {
        slot.target().set(slot.code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::slot::{FnInfo, Target, Unit};

    fn code_a() {}
    fn code_b() {}

    static INFO: FnInfo = FnInfo {
        symbol: "a",
        path: "game::a",
        signature: "fn()",
        layouts: |_| {},
        self_layouts: None,
        types: &[],
        unit: Unit {
            package: "game",
            manifest_dir: "/g",
            crate_name: "game",
            bin: None,
            features: &[],
            test: false,
        },
    };
    static HOST: Target = Target::new();
    static HOST_SLOT: Slot = Slot::new(&INFO, || &HOST, code_a as *const ());
    static PATCH: Target = Target::new();
    static PATCH_SLOT: Slot = Slot::new(&INFO, || &PATCH, code_b as *const ());

    #[test]
    fn the_shared_target_follows_the_current_code_a_version_keeps_its_own() {
        assert!(HOST.get().is_null(), "not called yet");
        keep_own(&[&PATCH_SLOT]);
        assert_eq!(PATCH.get(), code_b as *const ());
        bind(&HOST_SLOT, PATCH_SLOT.code());
        assert_eq!(HOST.get(), code_b as *const ());
        bind(&HOST_SLOT, HOST_SLOT.code());
        assert_eq!(HOST.get(), code_a as *const ());
        assert_eq!(
            PATCH.get(),
            code_b as *const (),
            "calls in the patch stay there"
        );
    }
}

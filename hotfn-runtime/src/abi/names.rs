//! How the items `#[hot]` generates are named, so that a patch's linker can tell them apart: a
//! patch keeps its own copy of each (its own targets and slots), while every other static it
//! defines is bound to the program's copy. `hotfn-macros` writes these names; a test there keeps
//! the two in step.

/// The last path segment of every per-version static the expansion makes starts with this
/// (`__HOTFN_TARGET`, `__HOTFN_SLOT`, `__HOTFN_STATE`, …).
pub const PER_VERSION: &str = "__HOTFN_";

/// Symbols the expansion names itself, other than functions' own (`__hotfn_v1_…_self`).
pub const OWN_SYMBOL: &str = "__hotfn_";

/// The last path segment of a function's [`Target`](crate::abi::slot::Target).
pub const TARGET: &str = "__HOTFN_TARGET";

/// The last path segment of a function's [`Slot`](crate::abi::slot::Slot).
pub const SLOT: &str = "__HOTFN_SLOT";

/// The last path segment of a `#[hot] static`'s [`StateSlot`](crate::abi::state::StateSlot).
pub const STATE: &str = "__HOTFN_STATE";

/// The sections that hold a pointer to each [`Slot`](crate::abi::slot::Slot) and each
/// [`StateSlot`](crate::abi::state::StateSlot) of a file: `linkme`'s names for the runtime's
/// `SLOTS` and `STATES` on ELF, which `#[hot]` writes to.
pub const SLOTS_SECTION: &str = "linkme_SLOTS";
pub const STATES_SECTION: &str = "linkme_STATES";

/// Whether the mangled (legacy) symbol `symbol` ends with the path segment `segment`:
/// `_ZN4game5score12__HOTFN_SLOT17h0123456789abcdefE` for `__HOTFN_SLOT`.
pub fn ends_with_segment(symbol: &str, segment: &str) -> bool {
    let Some(body) = symbol.strip_prefix("_ZN").and_then(|s| s.strip_suffix('E')) else {
        return false;
    };
    // The last segment is the hash (`17h` and 16 hex digits); the one before it is the name.
    let Some(body) = body.strip_suffix(|c: char| c.is_ascii_hexdigit()) else {
        return false;
    };
    let body = body.trim_end_matches(|c: char| c.is_ascii_hexdigit());
    let Some(body) = body.strip_suffix("17h") else {
        return false;
    };
    body.strip_suffix(segment)
        .is_some_and(|rest| rest.ends_with(&segment.len().to_string()))
}

/// Whether `symbol` is one of the items only one version may own: a per-version static
/// (`…::__HOTFN_…`) or a symbol the expansion named itself.
pub fn is_per_version(symbol: &str) -> bool {
    // In a mangled name each segment is preceded by its length: `…12__HOTFN_SLOT…`.
    symbol.starts_with(OWN_SYMBOL)
        || symbol
            .match_indices(PER_VERSION)
            .any(|(at, _)| symbol[..at].ends_with(|c: char| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_per_version_statics_are_told_from_user_statics() {
        let slot = "_ZN4game5score12__HOTFN_SLOT17h0123456789abcdefE";
        assert!(ends_with_segment(slot, SLOT));
        assert!(!ends_with_segment(slot, STATE));
        assert!(is_per_version(slot));
        assert!(is_per_version(
            "_ZN4game5score14__HOTFN_TARGET17h0123456789abcdefE"
        ));
        assert!(is_per_version("__hotfn_v1_0123456789abcdef_self"));
        for user in [
            "_ZN4game5CALLS17h0123456789abcdefE",
            "_ZN4game8my__HOTFN_x17h0123456789abcdefE",
            "memcpy",
        ] {
            assert!(!is_per_version(user), "{user}");
            assert!(!ends_with_segment(user, SLOT), "{user}");
        }
    }
}

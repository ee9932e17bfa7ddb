//! Verification: may a new library's functions replace the running ones?
//!
//! A function may be rebound only if its fingerprint is the one every caller was compiled
//! against, the one it had when it was first seen (in the host, or in the library that added
//! it): the same signature, and the same size and alignment for every type in it.

use std::collections::HashMap;

use crate::fingerprint::{self, TypeLayout};
use crate::slot::FnInfo;

/// A function as first seen, with its layouts computed once.
#[derive(Debug)]
pub struct Known {
    pub info: &'static FnInfo,
    pub layouts: Vec<TypeLayout>,
}

impl Known {
    pub fn new(info: &'static FnInfo) -> Known {
        Known {
            info,
            layouts: fingerprint::layouts(info.layouts),
        }
    }
}

/// What a compatible library changes.
#[derive(Debug)]
pub struct Plan {
    /// The package's functions in the library, to bind.
    pub functions: Vec<Known>,
    /// Functions the library adds (only callable from reloaded code).
    pub added: Vec<&'static str>,
    /// Known functions the library no longer has: their callers keep the code they run now.
    pub missing: Vec<&'static str>,
}

/// A function that cannot be rebound, and why, in lines for the user.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub path: &'static str,
    pub why: Vec<String>,
}

/// Checks the functions `built` of the package at `manifest_dir` against the `known` ones.
pub fn check(
    known: &HashMap<&'static str, Known>,
    manifest_dir: &str,
    built: impl IntoIterator<Item = &'static FnInfo>,
) -> Result<Plan, Vec<Mismatch>> {
    let functions: Vec<Known> = built
        .into_iter()
        .filter(|f| f.manifest_dir == manifest_dir)
        .map(Known::new)
        .collect();
    let mismatches: Vec<_> = functions
        .iter()
        .filter_map(|new| Some((known.get(new.info.symbol)?, new)))
        .filter_map(|(old, new)| compare(old, new))
        .collect();
    if !mismatches.is_empty() {
        return Err(mismatches);
    }
    let added = functions
        .iter()
        .filter(|f| !known.contains_key(f.info.symbol))
        .map(|f| f.info.path)
        .collect();
    let mut missing: Vec<_> = known
        .values()
        .filter(|old| old.info.manifest_dir == manifest_dir)
        .filter(|old| !functions.iter().any(|f| f.info.symbol == old.info.symbol))
        .map(|old| old.info.path)
        .collect();
    missing.sort_unstable();
    Ok(Plan {
        functions,
        added,
        missing,
    })
}

fn compare(old: &Known, new: &Known) -> Option<Mismatch> {
    let (old_info, new_info) = (old.info, new.info);
    let why = if old_info.path != new_info.path {
        // Same symbol, another function: same-named functions in one file were reordered.
        vec![format!("is now {}", new_info.path)]
    } else if old_info.signature != new_info.signature {
        vec![
            format!("running: {}", old_info.signature),
            format!("built:   {}", new_info.signature),
        ]
    } else {
        let mut why = fingerprint::differences(&old.layouts, &new.layouts);
        why.extend(changed_types(old_info.types, new_info.types));
        why
    };
    (!why.is_empty()).then_some(Mismatch {
        path: old_info.path,
        why,
    })
}

/// The crate types reached from a signature whose definitions differ (or that one side lacks).
fn changed_types(old: &[(&str, u64)], new: &[(&str, u64)]) -> Vec<String> {
    let mut names: Vec<&str> = old.iter().chain(new).map(|(name, _)| *name).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|name| {
            let hash = |list: &[(&str, u64)]| list.iter().find(|(n, _)| n == name).map(|(_, h)| *h);
            hash(old) != hash(new)
        })
        .map(|name| {
            format!(
                "type `{name}`, reached from its arguments or result, changed its definition \
                 (a field added, removed, retyped or moved changes what the running callers pass)"
            )
        })
        .collect()
}

// The explicit borrows in these tests are the autoref specialisation under test.
#[cfg(test)]
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;
    use crate::fingerprint::{Probe, SizedProbe as _};
    use crate::slot::RawFn;

    #[allow(dead_code)]
    struct Small(u8);
    #[allow(dead_code)]
    struct Grown(u8, u64);

    fn info(
        symbol: &'static str,
        signature: &'static str,
        dir: &'static str,
        layouts: fn(&mut Vec<TypeLayout>),
    ) -> &'static FnInfo {
        Box::leak(Box::new(FnInfo {
            symbol,
            path: symbol,
            signature,
            layouts,
            types: &[],
            package: "game",
            manifest_dir: dir,
            features: &[],
            local: RawFn::new(std::ptr::null()),
            entry: RawFn::new(std::ptr::null()),
            guard: RawFn::new(std::ptr::null()),
            direct: RawFn::new(std::ptr::null()),
        }))
    }

    fn none(_: &mut Vec<TypeLayout>) {}

    fn known(infos: &[&'static FnInfo]) -> HashMap<&'static str, Known> {
        infos.iter().map(|i| (i.symbol, Known::new(i))).collect()
    }

    #[test]
    fn same_fingerprints_rebind_and_report_added_and_missing() {
        let known = known(&[
            info("a", "fn(u64)", "/g", none),
            info("b", "fn()", "/g", none),
            info("other", "fn()", "/o", none),
        ]);
        let built = [
            info("a", "fn(u64)", "/g", none),
            info("c", "fn(u8)", "/g", none),
            info("other", "fn(u8)", "/o", none),
        ];
        let plan = check(&known, "/g", built).unwrap();
        assert_eq!(plan.functions.len(), 2, "only this package's functions");
        assert_eq!(plan.added, ["c"]);
        assert_eq!(plan.missing, ["b"]);
    }

    #[test]
    fn a_changed_signature_refuses_the_whole_library() {
        let known = known(&[
            info("a", "fn(u64)", "/g", none),
            info("b", "fn() -> u8", "/g", none),
        ]);
        let built = [
            info("a", "fn(u64)", "/g", none),
            info("b", "fn() -> u16", "/g", none),
        ];
        let refused = check(&known, "/g", built).unwrap_err();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].path, "b");
        assert_eq!(
            refused[0].why,
            ["running: fn() -> u8", "built:   fn() -> u16"]
        );
    }

    #[test]
    fn a_type_that_grew_refuses_the_library() {
        let small = |out: &mut Vec<TypeLayout>| out.push((&Probe::<Small>::new()).layout());
        let grown = |out: &mut Vec<TypeLayout>| {
            let mut layout = (&Probe::<Grown>::new()).layout();
            layout.name = (&Probe::<Small>::new()).layout().name; // same name, new fields
            out.push(layout);
        };
        let known = known(&[info("a", "fn(&Small)", "/g", small)]);
        let refused = check(&known, "/g", [info("a", "fn(&Small)", "/g", grown)]).unwrap_err();
        assert_eq!(refused[0].why.len(), 1);
        assert!(refused[0].why[0].contains("1 bytes") && refused[0].why[0].contains("16 bytes"));
    }

    #[test]
    fn a_reordering_that_swaps_two_functions_is_refused() {
        let mut moved = info("a", "fn()", "/g", none);
        let known = known(&[moved]);
        moved = Box::leak(Box::new(FnInfo {
            path: "game::other::a",
            ..*moved
        }));
        let refused = check(&known, "/g", [moved]).unwrap_err();
        assert_eq!(refused[0].why, ["is now game::other::a"]);
    }
}

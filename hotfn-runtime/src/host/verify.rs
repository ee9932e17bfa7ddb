//! Verification: may a new version's functions replace the running ones?
//!
//! A function may be rebound only if its fingerprint is the one every caller was compiled
//! against, the one it had when it was first seen (in the program, or in the patch that added
//! it): the same signature, and the same size and alignment for every type in it.

use std::collections::{HashMap, HashSet};

use crate::abi::layout::{self, TypeLayout};
use crate::abi::slot::FnInfo;

/// A function's fingerprint, with its layouts and path computed once.
#[derive(Debug)]
pub struct Known {
    pub info: &'static FnInfo,
    pub path: String,
    pub layouts: Vec<TypeLayout>,
}

impl Known {
    pub fn new(info: &'static FnInfo) -> Known {
        Known {
            info,
            path: info.display_path(),
            layouts: info.all_layouts(),
        }
    }
}

/// What a compatible version changes.
#[derive(Debug)]
pub struct Plan {
    /// Its functions (of the crate that was rebuilt), to bind.
    pub functions: Vec<Known>,
    /// Functions it adds (only callable from reloaded code).
    pub added: Vec<String>,
    /// Known functions it no longer has: their callers keep the code they run now.
    pub missing: Vec<String>,
}

/// A function that cannot be rebound, and why, in lines for the user.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub path: String,
    pub why: Vec<String>,
}

impl Mismatch {
    /// The function's path, then a line per reason.
    pub fn describe(&self) -> String {
        let mut text = self.path.clone();
        for why in &self.why {
            text.push_str("\n  ");
            text.push_str(why);
        }
        text
    }
}

/// Checks the functions `built` of the crate `crate_of` against the `known` ones.
pub fn check(
    known: &HashMap<&'static str, &Known>,
    crate_of: impl Fn(&FnInfo) -> bool,
    built: impl IntoIterator<Item = &'static FnInfo>,
) -> Result<Plan, Vec<Mismatch>> {
    let functions: Vec<Known> = built
        .into_iter()
        .filter(|f| crate_of(f))
        .map(Known::new)
        .collect();
    let mismatches: Vec<_> = functions
        .iter()
        .filter_map(|new| Some((*known.get(new.info.symbol)?, new)))
        .filter_map(|(old, new)| compare(old, new))
        .collect();
    if !mismatches.is_empty() {
        return Err(mismatches);
    }
    let added = functions
        .iter()
        .filter(|f| !known.contains_key(f.info.symbol))
        .map(|f| f.path.clone())
        .collect();
    let built: HashSet<&str> = functions.iter().map(|f| f.info.symbol).collect();
    let mut missing: Vec<_> = known
        .values()
        .filter(|old| !built.contains(old.info.symbol) && crate_of(old.info))
        .map(|old| old.path.clone())
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
    let why = if old.path != new.path {
        // Same symbol, another function: same-named functions in one file were reordered.
        vec![format!("is now {}", new.path)]
    } else if old_info.signature != new_info.signature {
        vec![
            format!("running: {}", old_info.signature),
            format!("built:   {}", new_info.signature),
        ]
    } else {
        let mut why = layout::differences(&old.layouts, &new.layouts);
        why.extend(changed_types(old_info.types, new_info.types));
        why
    };
    (!why.is_empty()).then(|| Mismatch {
        path: old.path.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::layout::layout_of;
    use crate::abi::slot::Unit;

    /// A type as the running program has it, and the same type with a field added.
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
            self_layouts: None,
            types: &[],
            unit: Unit {
                package: "game",
                manifest_dir: dir,
                crate_name: "game",
                bin: None,
                features: &[],
                test: false,
            },
        }))
    }

    fn none(_: &mut Vec<TypeLayout>) {}

    fn in_g(info: &FnInfo) -> bool {
        info.unit.manifest_dir == "/g"
    }

    fn known(infos: &[&'static FnInfo]) -> HashMap<&'static str, &'static Known> {
        infos
            .iter()
            .map(|i| (i.symbol, &*Box::leak(Box::new(Known::new(i)))))
            .collect()
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
        let plan = check(&known, in_g, built).unwrap();
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
        let refused = check(&known, in_g, built).unwrap_err();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].path, "b");
        assert_eq!(
            refused[0].why,
            ["running: fn() -> u8", "built:   fn() -> u16"]
        );
    }

    #[test]
    fn a_type_that_grew_refuses_the_library() {
        let small = |out: &mut Vec<TypeLayout>| out.push(layout_of::<Small>());
        let grown = |out: &mut Vec<TypeLayout>| {
            let mut layout = layout_of::<Grown>();
            layout.name = layout_of::<Small>().name; // same name, new fields
            out.push(layout);
        };
        let known = known(&[info("a", "fn(&Small)", "/g", small)]);
        let refused = check(&known, in_g, [info("a", "fn(&Small)", "/g", grown)]).unwrap_err();
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
        let refused = check(&known, in_g, [moved]).unwrap_err();
        assert_eq!(refused[0].why, ["is now game::other::a"]);
    }
}

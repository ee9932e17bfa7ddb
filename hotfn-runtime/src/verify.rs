//! Verification: may a new library's functions replace the running ones?
//!
//! A function may be rebound only if its signature is the one every caller was compiled against,
//! the signature it had when it was first seen (in the host, or in the library that added it).

use std::collections::HashMap;

use crate::slot::FnInfo;

/// What a compatible library changes.
#[derive(Debug)]
pub struct Plan {
    /// The package's functions in the library, to bind.
    pub functions: Vec<&'static FnInfo>,
    /// Functions the library adds (only callable from reloaded code).
    pub added: Vec<&'static str>,
    /// Known functions the library no longer has: their callers keep the code they run now.
    pub missing: Vec<&'static str>,
}

/// A function whose signature changed, or whose symbol now names a function elsewhere.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    pub path: &'static str,
    /// What differs: the signature, or (for a function that moved) the path.
    pub running: &'static str,
    pub built: &'static str,
}

/// Checks the functions `built` of the package at `manifest_dir` against the `known` ones.
pub fn check(
    known: &HashMap<&'static str, &'static FnInfo>,
    manifest_dir: &str,
    built: impl IntoIterator<Item = &'static FnInfo>,
) -> Result<Plan, Vec<Mismatch>> {
    let functions: Vec<_> = built
        .into_iter()
        .filter(|f| f.manifest_dir == manifest_dir)
        .collect();
    let mismatches: Vec<_> = functions
        .iter()
        .filter_map(|new| {
            let old = known.get(new.symbol)?;
            if old.path != new.path {
                // Same symbol, another function: same-named functions in one file were reordered.
                return Some(Mismatch {
                    path: old.path,
                    running: old.path,
                    built: new.path,
                });
            }
            (old.signature != new.signature).then_some(Mismatch {
                path: new.path,
                running: old.signature,
                built: new.signature,
            })
        })
        .collect();
    if !mismatches.is_empty() {
        return Err(mismatches);
    }
    let added = functions
        .iter()
        .filter(|f| !known.contains_key(f.symbol))
        .map(|f| f.path)
        .collect();
    let mut missing: Vec<_> = known
        .values()
        .filter(|old| old.manifest_dir == manifest_dir)
        .filter(|old| !functions.iter().any(|f| f.symbol == old.symbol))
        .map(|old| old.path)
        .collect();
    missing.sort_unstable();
    Ok(Plan {
        functions,
        added,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::RawFn;

    fn info(symbol: &'static str, signature: &'static str, dir: &'static str) -> &'static FnInfo {
        Box::leak(Box::new(FnInfo {
            symbol,
            path: symbol,
            signature,
            package: "game",
            manifest_dir: dir,
            features: &[],
            local: RawFn::new(std::ptr::null()),
        }))
    }

    fn known(infos: &[&'static FnInfo]) -> HashMap<&'static str, &'static FnInfo> {
        infos.iter().map(|i| (i.symbol, *i)).collect()
    }

    #[test]
    fn same_signatures_rebind_and_report_added_and_missing() {
        let known = known(&[
            info("a", "fn(u64)", "/g"),
            info("b", "fn()", "/g"),
            info("other", "fn()", "/o"),
        ]);
        let plan = check(
            &known,
            "/g",
            [
                info("a", "fn(u64)", "/g"),
                info("c", "fn(u8)", "/g"),
                info("other", "fn(u8)", "/o"),
            ],
        )
        .unwrap();
        assert_eq!(plan.functions.len(), 2, "only this package's functions");
        assert_eq!(plan.added, ["c"]);
        assert_eq!(plan.missing, ["b"]);
    }

    #[test]
    fn a_changed_signature_refuses_the_whole_library() {
        let known = known(&[info("a", "fn(u64)", "/g"), info("b", "fn() -> u8", "/g")]);
        let result = check(
            &known,
            "/g",
            [info("a", "fn(u64)", "/g"), info("b", "fn() -> u16", "/g")],
        );
        assert_eq!(
            result.unwrap_err(),
            [Mismatch {
                path: "b",
                running: "fn() -> u8",
                built: "fn() -> u16",
            }]
        );
    }
}

//! Discovery: which packages define `#[hot]` functions, from the slots linked into the host.

use std::path::PathBuf;

use crate::slot::FnInfo;

/// A package with `#[hot]` functions: what is watched and rebuilt as one unit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Package {
    pub name: String,
    /// The library's crate name (`my_game` for package `my-game`), from the functions' paths.
    pub crate_name: String,
    pub manifest_dir: PathBuf,
    /// The features the host was built with, to rebuild the library exactly alike.
    pub features: Vec<String>,
    /// Whether the package declared its features (else only `hot` is known to be on).
    pub features_known: bool,
    pub functions: usize,
}

/// Groups functions by package, in order of first appearance.
pub fn packages<'a>(functions: impl IntoIterator<Item = &'a FnInfo>) -> Vec<Package> {
    let mut packages: Vec<Package> = Vec::new();
    for info in functions {
        let dir = PathBuf::from(info.manifest_dir);
        if let Some(known) = packages.iter_mut().find(|p| p.manifest_dir == dir) {
            known.functions += 1;
            continue;
        }
        let enabled = info.features.iter().filter(|(_, on)| *on);
        packages.push(Package {
            name: info.package.to_owned(),
            crate_name: info.path.split("::").next().unwrap_or_default().to_owned(),
            manifest_dir: dir,
            features: enabled.map(|(name, _)| (*name).to_owned()).collect(),
            features_known: !info.features.is_empty(),
            functions: 1,
        });
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::RawFn;

    const fn info(package: &'static str, dir: &'static str) -> FnInfo {
        FnInfo {
            symbol: "s",
            path: "p",
            signature: "fn()",
            package,
            manifest_dir: dir,
            features: &[("default", false), ("hot", true), ("fast", true)],
            layouts: |_| {},
            types: &[],
            local: RawFn::new(std::ptr::null()),
            entry: RawFn::new(std::ptr::null()),
            guard: RawFn::new(std::ptr::null()),
            direct: RawFn::new(std::ptr::null()),
        }
    }

    #[test]
    fn groups_by_manifest_dir_and_keeps_enabled_features() {
        static A1: FnInfo = info("a", "/w/a");
        static B: FnInfo = info("b", "/w/b");
        static A2: FnInfo = info("a", "/w/a");
        let found = packages([&A1, &B, &A2]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "a");
        assert_eq!(found[0].functions, 2);
        assert_eq!(found[0].features, ["hot", "fast"]);
        assert!(found[0].features_known);
        assert_eq!(found[1].manifest_dir, PathBuf::from("/w/b"));
    }
}

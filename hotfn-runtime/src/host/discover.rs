//! Discovery: which compilation units of which packages have `#[hot]` functions, from the slots
//! linked into the program.

use std::path::PathBuf;

use crate::abi::slot::FnInfo;

/// A crate with `#[hot]` functions (a package's library, or one of its binaries): what is
/// compiled and patched as one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unit {
    pub package: String,
    pub manifest_dir: PathBuf,
    /// `my_game` for package `my-game`; for a binary, the binary's crate name.
    pub crate_name: String,
    /// The binary's name, for a binary target; `None` for the library.
    pub bin: Option<String>,
    /// The features the program was built with, to compile the crate exactly alike.
    pub features: Vec<String>,
    /// Whether the package declared its features (else only `hot` is known to be on).
    pub features_known: bool,
    pub functions: usize,
    /// Whether cargo is asked for the crate's compiler command as part of the program's
    /// package, not alone (see [`HostBuild::command`](super::build::cargo::HostBuild::command)).
    pub with_program: bool,
}

impl Unit {
    /// `game`, or `game (bin tool)` for a binary of package `game`.
    pub fn label(&self) -> String {
        match &self.bin {
            Some(bin) => format!("{} (bin {bin})", self.package),
            None => self.package.clone(),
        }
    }
}

/// Groups functions by unit, in order of first appearance. Functions compiled into a test
/// harness (`cargo test`) are left out: nothing reloads there.
pub fn units<'a>(functions: impl IntoIterator<Item = &'a FnInfo>) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for info in functions {
        let unit = &info.unit;
        if unit.test {
            continue;
        }
        let dir = PathBuf::from(unit.manifest_dir);
        let bin = unit.bin.map(str::to_owned);
        if let Some(known) = units
            .iter_mut()
            .find(|u| u.manifest_dir == dir && u.bin == bin)
        {
            known.functions += 1;
            continue;
        }
        let enabled = unit.features.iter().filter(|(_, on)| *on);
        units.push(Unit {
            package: unit.package.to_owned(),
            manifest_dir: dir,
            crate_name: unit.crate_name.to_owned(),
            bin,
            features: enabled.map(|(name, _)| (*name).to_owned()).collect(),
            features_known: !unit.features.is_empty(),
            functions: 1,
            with_program: false,
        });
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::slot::Unit as Compiled;

    const fn info(package: &'static str, bin: Option<&'static str>, test: bool) -> FnInfo {
        FnInfo {
            symbol: "s",
            path: "p",
            signature: "fn()",
            layouts: |_| {},
            self_layouts: None,
            types: &[],
            unit: Compiled {
                package,
                manifest_dir: "/w/a",
                crate_name: "a",
                bin,
                features: &[("default", false), ("hot", true), ("fast", true)],
                test,
            },
        }
    }

    #[test]
    fn groups_by_package_and_target_and_keeps_enabled_features() {
        static A1: FnInfo = info("a", None, false);
        static TOOL: FnInfo = info("a", Some("tool"), false);
        static A2: FnInfo = info("a", None, false);
        static TEST: FnInfo = info("a", None, true);
        let found = units([&A1, &TOOL, &A2, &TEST]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].package, "a");
        assert_eq!(found[0].functions, 2);
        assert_eq!(found[0].features, ["hot", "fast"]);
        assert!(found[0].features_known);
        assert_eq!(found[1].bin.as_deref(), Some("tool"));
        assert_eq!(found[1].label(), "a (bin tool)");
    }
}

//! The features a package declares, so the expansion can record which ones are enabled and the
//! runtime can rebuild the library with exactly the host's feature set.

use std::collections::BTreeSet;
use std::path::Path;

/// Every feature name `cfg!(feature = "...")` can test in the package at `manifest_dir`: the
/// `[features]` table plus the implicit features of optional dependencies not hidden by `dep:`.
/// Returns an empty list when the manifest cannot be read; the runtime then falls back to `hot`.
pub fn declared(manifest_dir: &Path) -> Vec<String> {
    std::fs::read_to_string(manifest_dir.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .map(|manifest| from_manifest(&manifest))
        .unwrap_or_default()
}

fn from_manifest(manifest: &toml::Table) -> Vec<String> {
    let mut names = BTreeSet::new();
    let mut hidden = BTreeSet::new();
    if let Some(features) = manifest.get("features").and_then(|f| f.as_table()) {
        for (name, enables) in features {
            names.insert(name.clone());
            for item in enables.as_array().into_iter().flatten() {
                if let Some(dep) = item.as_str().and_then(|s| s.strip_prefix("dep:")) {
                    hidden.insert(dep.to_owned());
                }
            }
        }
    }
    let targets = manifest.get("target").and_then(|t| t.as_table());
    let dependency_tables = std::iter::once(manifest)
        .chain(
            targets
                .into_iter()
                .flat_map(|t| t.values().filter_map(|v| v.as_table())),
        )
        .filter_map(|table| table.get("dependencies").and_then(|d| d.as_table()));
    for deps in dependency_tables {
        for (name, spec) in deps {
            let optional = spec.get("optional").and_then(|o| o.as_bool()) == Some(true);
            if optional && !hidden.contains(name) {
                names.insert(name.clone());
            }
        }
    }
    names.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<String> {
        from_manifest(&text.parse().unwrap())
    }

    #[test]
    fn feature_table_and_implicit_optional_dependencies() {
        let manifest = r#"
            [package]
            name = "x"
            [features]
            default = ["fancy"]
            hot = ["hotfn-runtime/hot"]
            fancy = ["dep:colors"]
            [dependencies]
            colors = { version = "1", optional = true }
            serde = { version = "1", optional = true }
            plain = "1"
            [target.'cfg(unix)'.dependencies]
            unixy = { version = "1", optional = true }
        "#;
        assert_eq!(
            features(manifest),
            ["default", "fancy", "hot", "serde", "unixy"]
        );
    }

    #[test]
    fn no_features() {
        assert!(features("[package]\nname = \"x\"").is_empty());
    }
}

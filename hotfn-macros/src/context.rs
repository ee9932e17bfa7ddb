//! The compile-time context of an expansion, read in one place: the crate being compiled (from
//! the environment cargo gives the compiler), the file the attribute is in, and the features the
//! package declares (so the expansion can record which ones are enabled and the runtime can
//! compile the crate again with exactly the program's feature set).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// What an expansion knows about where it is.
pub struct Context {
    /// The package (`CARGO_PKG_NAME`) and the binary being compiled, if it is one.
    pub package: String,
    pub bin: Option<String>,
    pub crate_name: String,
    pub version: String,
    pub manifest_dir: PathBuf,
    /// The attribute's source file, relative to the manifest directory, with `/` separators.
    pub file: String,
    /// Every feature the package declares.
    pub features: Vec<String>,
    /// The package's edition (`2021`), which decides what `impl Trait` in a return captures.
    pub edition: u32,
}

impl Context {
    /// Reads the context from the environment and the attribute's file.
    pub fn from_env(file: Option<PathBuf>) -> Context {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR"));
        Context {
            package: var("CARGO_PKG_NAME"),
            bin: std::env::var("CARGO_BIN_NAME").ok(),
            crate_name: var("CARGO_CRATE_NAME"),
            version: var("CARGO_PKG_VERSION"),
            file: file
                .map(|f| relative_to(&f, &manifest_dir))
                .unwrap_or_default(),
            features: declared(&manifest_dir),
            edition: edition(&manifest_dir),
            manifest_dir,
        }
    }

    /// The crate's root file, where its type definitions are read from (see `types`): the
    /// binary's or the library's, whichever the attribute's file belongs to as far as the
    /// manifest tells.
    pub fn crate_root(&self) -> PathBuf {
        match &self.bin {
            Some(bin) => bin_root(&self.manifest_dir, bin),
            None => lib_root(&self.manifest_dir),
        }
    }
}

/// The manifest in `dir`, parsed once per compilation (and again if the file changes, for a
/// compiler that stays up, such as rust-analyzer's): every `#[hot]` item of a crate asks for
/// it, and parsing it each time was a measurable part of expanding a thousand of them.
fn manifest(dir: &Path) -> Option<Arc<toml::Table>> {
    type Cache = BTreeMap<PathBuf, (Option<SystemTime>, Option<Arc<toml::Table>>)>;
    static CACHE: Mutex<Cache> = Mutex::new(BTreeMap::new());
    let path = dir.join("Cargo.toml");
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((seen, parsed)) = cache.get(&path)
        && *seen == modified
    {
        return parsed.clone();
    }
    let parsed = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .map(Arc::new);
    cache.insert(path, (modified, parsed.clone()));
    parsed
}

/// The `edition` of the package at `manifest_dir`, or of its workspace for
/// `edition.workspace = true` (2015 when it says none, as cargo reads it).
fn edition(manifest_dir: &Path) -> u32 {
    let year = |value: &toml::Value| value.as_str().and_then(|y| y.parse().ok());
    let package = manifest(manifest_dir);
    let edition = package
        .as_ref()
        .and_then(|m| m.get("package"))
        .and_then(|p| p.get("edition"));
    match edition {
        Some(toml::Value::String(_)) => edition.and_then(year).unwrap_or(2015),
        Some(_) => manifest_dir
            .ancestors()
            .skip(1)
            .filter_map(manifest)
            .find_map(|root| {
                let edition = root.get("workspace")?.get("package")?.get("edition")?;
                year(edition)
            })
            .unwrap_or(2024),
        None => 2015,
    }
}

/// The library's root file: `[lib] path` in the manifest, or `src/lib.rs`.
fn lib_root(manifest_dir: &Path) -> PathBuf {
    let path = manifest(manifest_dir).and_then(|manifest| {
        let path = manifest.get("lib")?.get("path")?.as_str()?;
        Some(path.to_owned())
    });
    manifest_dir.join(path.unwrap_or_else(|| "src/lib.rs".to_owned()))
}

/// The root of the binary being compiled: the `[[bin]]`'s `path`, or `src/main.rs`.
fn bin_root(manifest_dir: &Path, name: &str) -> PathBuf {
    let path = manifest(manifest_dir).and_then(|manifest| {
        let bins = manifest.get("bin")?.as_array()?;
        let bin = bins
            .iter()
            .find(|b| b.get("name").and_then(|n| n.as_str()) == Some(name))?;
        Some(bin.get("path")?.as_str()?.to_owned())
    });
    manifest_dir.join(path.unwrap_or_else(|| "src/main.rs".to_owned()))
}

/// `file` relative to `base`; relative inputs are taken from the compiler's working directory.
fn relative_to(file: &Path, base: &Path) -> String {
    let absolute = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(file)
    };
    let relative = absolute.strip_prefix(base).unwrap_or(&absolute);
    relative.to_string_lossy().replace('\\', "/")
}

/// Every feature name `cfg!(feature = "...")` can test in the package at `manifest_dir`: the
/// `[features]` table plus the implicit features of optional dependencies not hidden by `dep:`.
/// Returns an empty list when the manifest cannot be read; the runtime then falls back to `hot`.
pub fn declared(manifest_dir: &Path) -> Vec<String> {
    manifest(manifest_dir)
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
    fn relative_paths_use_forward_slashes() {
        let base = Path::new("/work/game");
        assert_eq!(
            relative_to(Path::new("/work/game/src/x/y.rs"), base),
            "src/x/y.rs"
        );
        assert_eq!(
            relative_to(Path::new("/elsewhere/z.rs"), base),
            "/elsewhere/z.rs"
        );
    }

    #[test]
    fn no_features() {
        assert!(features("[package]\nname = \"x\"").is_empty());
    }
}

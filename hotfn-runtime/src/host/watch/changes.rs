//! Which watched files changed content since the last look, and which units must rebuild:
//! file events in, unit numbers out. Pure: tested with tables, without a file system watcher.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};

/// Which watched files changed content since the last look.
#[derive(Debug)]
pub struct Changes {
    /// Each unit's package root, indexed like the units given to [`Changes::new`] (the units
    /// of one package share it).
    roots: Vec<PathBuf>,
    /// Never relevant: cargo's target directory.
    ignored: PathBuf,
    /// Content hash of every file seen so far.
    seen: HashMap<PathBuf, u64>,
    /// More paths (files or directories) whose changes concern every package.
    extra: Vec<PathBuf>,
    /// Per unit, the files its last build read (the compiler's dep-info), once known: then
    /// only those, Rust sources and the manifest count, not a log or save file the program
    /// writes.
    deps: Vec<Option<HashSet<PathBuf>>>,
    /// Units with a change since their last build that only cargo can build (anything but one
    /// of their own Rust files: a manifest, a build script, an asset, a watched path).
    cargo_only: BTreeSet<usize>,
}

impl Changes {
    pub fn new(roots: Vec<PathBuf>, ignored: PathBuf) -> Changes {
        Changes {
            roots,
            ignored,
            seen: HashMap::new(),
            extra: Vec::new(),
            deps: Vec::new(),
            cargo_only: BTreeSet::new(),
        }
    }

    /// Records the files unit `index`'s build read (`None`: unknown, every file counts).
    pub fn set_deps(&mut self, index: usize, files: Option<Vec<PathBuf>>) {
        if self.deps.len() <= index {
            self.deps.resize(index + 1, None);
        }
        self.deps[index] = files.map(|files| {
            files
                .into_iter()
                .map(|f| f.canonicalize().unwrap_or(f))
                .collect()
        });
    }

    /// Whether a change to `path`, in the package of unit `index`, can change its build: a
    /// file it read, the manifest, or a Rust file that no unit of the package is known to read
    /// (a new module, maybe).
    fn builds_from(&self, index: usize, path: &Path) -> bool {
        let reads = |unit: usize| match self.deps.get(unit) {
            Some(Some(deps)) => Some(deps.contains(path)),
            _ => None,
        };
        let Some(own) = reads(index) else {
            return true;
        };
        let rust = path.extension().is_some_and(|e| e == "rs");
        let manifest = path.file_name().is_some_and(|n| n == "Cargo.toml");
        let siblings_read = (0..self.roots.len())
            .filter(|&unit| unit != index && self.roots[unit] == self.roots[index])
            .any(|unit| reads(unit) != Some(false));
        own || manifest || (rust && !siblings_read)
    }

    /// Also watches `paths`, whose changes rebuild every unit.
    pub fn also_watch(&mut self, paths: Vec<PathBuf>) {
        self.extra = paths;
    }

    /// The units a path concerns: those of its innermost package that build from it, or all
    /// for an extra watched path.
    fn units_of(&self, path: &Path) -> Vec<usize> {
        match self.root_of(path) {
            Some(root) => (0..self.roots.len())
                .filter(|&unit| self.roots[unit] == *root && self.builds_from(unit, path))
                .collect(),
            None if is_source(path) && self.extra.iter().any(|e| path.starts_with(e)) => {
                (0..self.roots.len()).collect()
            }
            None => Vec::new(),
        }
    }

    /// The package root a path belongs to (the innermost), if the path can affect a build.
    pub fn root_of(&self, path: &Path) -> Option<&PathBuf> {
        if path.starts_with(&self.ignored) || !is_source(path) {
            return None;
        }
        let root = self
            .roots
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.components().count())?;
        let inside = path.strip_prefix(root).ok()?;
        let hidden = inside.components().any(|c| match c {
            Component::Normal(name) => name.to_string_lossy().starts_with('.'),
            _ => false,
        });
        (!hidden).then_some(root)
    }

    /// Records a file's current content (`None`: it does not exist) and says which units must
    /// rebuild because of it. Saving identical content changes nothing.
    pub fn observe(&mut self, path: &Path, content: Option<&[u8]>) -> Vec<usize> {
        let units = self.units_of(path);
        if units.is_empty() {
            return units;
        }
        let new = content.map(hash);
        let old = match new {
            Some(hash) => self.seen.insert(path.to_path_buf(), hash),
            None => self.seen.remove(path),
        };
        if old == new {
            return Vec::new();
        }
        let own_rust = path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "build.rs");
        let own_root = self.root_of(path).cloned();
        for &unit in &units {
            if !(own_rust && own_root.as_ref() == Some(&self.roots[unit])) {
                self.cargo_only.insert(unit);
            }
        }
        units
    }

    /// Whether unit `index` changed, since this was last asked, in a way only cargo can build
    /// (see `build`).
    pub fn take_cargo_only(&mut self, index: usize) -> bool {
        self.cargo_only.remove(&index)
    }

    /// Reads every relevant file under the roots, so the first save of an unchanged file is no
    /// change.
    pub fn snapshot(&mut self) {
        let mut pending: Vec<PathBuf> = self.roots.clone();
        pending.extend(self.extra.iter().cloned());
        while let Some(dir) = pending.pop() {
            if dir.is_file() {
                let content = std::fs::read(&dir).ok();
                self.observe(&dir, content.as_deref());
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir && !path.starts_with(&self.ignored) && !is_hidden(&path) {
                    pending.push(path);
                } else if !is_dir && !self.units_of(&path).is_empty() {
                    let content = std::fs::read(&path).ok();
                    self.observe(&path, content.as_deref());
                }
            }
        }
        // What is there at the start is no change.
        self.cargo_only.clear();
    }

    /// The units whose files changed among `paths`, reading each file once.
    pub fn changed(&mut self, paths: impl IntoIterator<Item = PathBuf>) -> BTreeSet<usize> {
        let paths: BTreeSet<PathBuf> = paths.into_iter().collect();
        let mut changed = BTreeSet::new();
        for path in &paths {
            if !self.units_of(path).is_empty() {
                let content = std::fs::read(path).ok();
                changed.extend(self.observe(path, content.as_deref()));
            }
        }
        changed
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

pub(super) fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Files that can change what cargo builds: anything but editor droppings.
fn is_source(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    let backup = name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx");
    let vim_probe = name == "4913";
    !(name.starts_with('.') || backup || vim_probe || name == "Cargo.lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes() -> Changes {
        Changes::new(
            vec!["/w".into(), "/w/crates/physics".into()],
            "/w/target".into(),
        )
    }

    #[test]
    fn only_a_package_s_own_rust_files_can_be_built_without_cargo() {
        let mut c = changes();
        c.also_watch(vec!["/assets".into()]);
        let mut save = |path: &str, text: &str| c.observe(Path::new(path), Some(text.as_bytes()));
        save("/w/src/lib.rs", "v1");
        save("/w/crates/physics/src/lib.rs", "v1");
        save("/w/Cargo.toml", "[package]");
        c.cargo_only.clear();
        let mut save = |path: &str, text: &str| c.observe(Path::new(path), Some(text.as_bytes()));
        assert_eq!(save("/w/src/lib.rs", "v2"), [0]);
        assert_eq!(save("/w/crates/physics/src/lib.rs", "v2"), [1]);
        assert!(!c.take_cargo_only(0) && !c.take_cargo_only(1));
        for (path, packages) in [
            ("/w/Cargo.toml", vec![0]),
            ("/w/build.rs", vec![0]),
            ("/w/src/level.ron", vec![0]),
            ("/assets/ship.wgsl", vec![0, 1]),
        ] {
            assert_eq!(c.observe(Path::new(path), Some(b"new")), packages, "{path}");
            for package in [0, 1] {
                let expected = packages.contains(&package);
                assert_eq!(c.take_cargo_only(package), expected, "{path}: {package}");
            }
        }
        // Taken once: the build that follows goes through cargo, later ones need not.
        assert!(!c.take_cargo_only(0));
    }

    #[test]
    fn paths_belong_to_the_innermost_package() {
        let c = changes();
        let root = |path: &str| c.root_of(Path::new(path)).map(|r| r.display().to_string());
        assert_eq!(root("/w/src/lib.rs").as_deref(), Some("/w"));
        assert_eq!(root("/w/Cargo.toml").as_deref(), Some("/w"));
        assert_eq!(
            root("/w/crates/physics/src/lib.rs").as_deref(),
            Some("/w/crates/physics")
        );
        assert_eq!(root("/elsewhere/src/lib.rs"), None);
    }

    #[test]
    fn a_library_and_a_binary_of_one_package_rebuild_from_their_own_files() {
        let mut c = Changes::new(vec!["/w".into(), "/w".into()], "/w/target".into());
        c.set_deps(
            0,
            Some(vec!["/w/src/lib.rs".into(), "/w/src/world.rs".into()]),
        );
        c.set_deps(1, Some(vec!["/w/src/main.rs".into()]));
        let table: &[(&str, &[usize])] = &[
            ("/w/src/world.rs", &[0]),
            ("/w/src/main.rs", &[1]),
            ("/w/Cargo.toml", &[0, 1]),
            ("/w/src/new_module.rs", &[0, 1]), // read by neither yet
        ];
        for (path, expected) in table {
            assert_eq!(c.observe(Path::new(path), Some(b"x")), *expected, "{path}");
        }
    }

    #[test]
    fn build_output_and_editor_files_are_ignored() {
        let c = changes();
        for path in [
            "/w/target/debug/libgame.so",
            "/w/.git/index",
            "/w/src/.lib.rs.swp",
            "/w/src/lib.rs~",
            "/w/src/4913",
            "/w/Cargo.lock",
        ] {
            assert_eq!(c.root_of(Path::new(path)), None, "{path}");
        }
    }

    #[test]
    fn once_the_build_is_known_only_what_it_reads_counts() {
        let mut c = changes();
        let json = "/w/assets/level.json";
        assert_eq!(c.observe(Path::new(json), Some(b"1")), [0], "unknown: all");
        c.set_deps(0, Some(vec!["/w/src/lib.rs".into(), json.into()]));
        let table: &[(&str, &[usize])] = &[
            ("/w/save.txt", &[]),          // written by the program
            ("/w/src/lib.rs", &[0]),       // read by the build
            ("/w/src/enemies.rs", &[0]),   // a new module, maybe
            ("/w/Cargo.toml", &[0]),       // the manifest
            (json, &[0]),                  // include_str!'d
            ("/w/assets/other.json", &[]), // not read
        ];
        for (i, (path, expected)) in table.iter().enumerate() {
            let got = c.observe(Path::new(path), Some(b"2"));
            assert_eq!(got, *expected, "row {i}: {path}");
        }
    }

    #[test]
    fn only_content_changes_count() {
        // (path, content after the event) → package to rebuild
        let table: &[(&str, Option<&str>, &[usize])] = &[
            ("/w/src/lib.rs", Some("fn a() {}"), &[0]), // first sight, no snapshot
            ("/w/src/lib.rs", Some("fn a() {}"), &[]),  // saved again, same bytes
            ("/w/src/lib.rs", Some("fn a() { }"), &[0]),
            ("/w/src/lib.rs", None, &[0]),               // deleted
            ("/w/src/lib.rs", None, &[]),                // still deleted
            ("/w/src/lib.rs", Some("fn a() { }"), &[0]), // restored
            ("/w/target/x.rs", Some("x"), &[]),
            ("/w/crates/physics/src/lib.rs", Some("x"), &[1]),
            // An extra watched path concerns every package.
            ("/shaders/light.wgsl", Some("x"), &[0, 1]),
            ("/shaders/light.wgsl", Some("x"), &[]),
            ("/elsewhere/x.rs", Some("x"), &[]),
        ];
        let mut c = changes();
        c.also_watch(vec!["/shaders".into()]);
        for (i, (path, content, expected)) in table.iter().enumerate() {
            let got = c.observe(Path::new(path), content.map(str::as_bytes));
            assert_eq!(got, *expected, "row {i}: {path} {content:?}");
        }
    }

    #[test]
    fn a_batch_rebuilds_each_package_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join("src/lib.rs"), "fn a() {}").unwrap();
        std::fs::write(root.join("src/m.rs"), "fn b() {}").unwrap();
        let mut c = Changes::new(vec![root.clone()], root.join("target"));
        c.snapshot();
        // Ten events for the same unchanged files: nothing to do.
        let same = (0..10).map(|_| root.join("src/lib.rs"));
        assert!(c.changed(same).is_empty());
        std::fs::write(root.join("src/lib.rs"), "fn a() { 1; }").unwrap();
        std::fs::write(root.join("src/m.rs"), "fn b() { 2; }").unwrap();
        let both = [
            root.join("src/lib.rs"),
            root.join("src/m.rs"),
            root.join("src/lib.rs"),
        ];
        assert_eq!(c.changed(both), BTreeSet::from([0]));
    }
}

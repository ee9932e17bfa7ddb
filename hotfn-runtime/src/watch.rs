//! Watching: file events in, "package N changed" out.
//!
//! The OS watcher (notify, with its debouncer merging an editor's write-rename dance into one
//! event) sits at the edge; the decision whether an event is a real change is [`Changes`], pure
//! and tested without touching the file system.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

/// How long the file system must be quiet before a batch of events is handed on. An editor's
/// save (write to a temporary file, rename over the original) takes a few milliseconds. Slower
/// writers cost a build, never a wrong one: a build whose sources changed while cargo ran is
/// thrown away and built again, and a failed build waits for more changes before it is shown.
/// Every millisecond here is one more between a save and the new code (the reload benchmark).
pub const DEBOUNCE: Duration = Duration::from_millis(20);

/// Which watched files changed content since the last look.
#[derive(Debug)]
pub struct Changes {
    /// Package roots, indexed like the packages given to [`Changes::new`].
    roots: Vec<PathBuf>,
    /// Never relevant: cargo's target directory.
    ignored: PathBuf,
    /// Content hash of every file seen so far.
    seen: HashMap<PathBuf, u64>,
    /// More paths (files or directories) whose changes concern every package.
    extra: Vec<PathBuf>,
    /// Per package, the files its last build read (cargo's dep-info), once known: then only
    /// those, Rust sources and the manifest count, not a log or save file the program writes.
    deps: Vec<Option<HashSet<PathBuf>>>,
    /// Packages with a change since their last build that only cargo can build (anything but
    /// one of their own Rust files: a manifest, a build script, an asset, a watched path).
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

    /// Records the files package `index`'s build read (`None`: unknown, every file counts).
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

    /// Whether a change to `path`, in package `index`, can change its build.
    fn builds_from(&self, index: usize, path: &Path) -> bool {
        let Some(Some(deps)) = self.deps.get(index) else {
            return true;
        };
        let rust = path.extension().is_some_and(|e| e == "rs");
        let manifest = path.file_name().is_some_and(|n| n == "Cargo.toml");
        rust || manifest || deps.contains(path)
    }

    /// Also watches `paths`, whose changes rebuild every package.
    pub fn also_watch(&mut self, paths: Vec<PathBuf>) {
        self.extra = paths;
    }

    /// The packages a path concerns: its innermost package, or all for an extra watched path.
    fn packages_of(&self, path: &Path) -> Vec<usize> {
        match self.package_of(path) {
            Some(package) if self.builds_from(package, path) => vec![package],
            Some(_) => Vec::new(),
            None if is_source(path) && self.extra.iter().any(|e| path.starts_with(e)) => {
                (0..self.roots.len()).collect()
            }
            None => Vec::new(),
        }
    }

    /// The package a path belongs to (the innermost root), if the path can affect a build.
    pub fn package_of(&self, path: &Path) -> Option<usize> {
        if path.starts_with(&self.ignored) || !is_source(path) {
            return None;
        }
        let root = (0..self.roots.len())
            .filter(|&i| path.starts_with(&self.roots[i]))
            .max_by_key(|&i| self.roots[i].components().count())?;
        let inside = path.strip_prefix(&self.roots[root]).ok()?;
        let hidden = inside.components().any(|c| match c {
            Component::Normal(name) => name.to_string_lossy().starts_with('.'),
            _ => false,
        });
        (!hidden).then_some(root)
    }

    /// Records a file's current content (`None`: it does not exist) and says which package must
    /// rebuild because of it. Saving identical content changes nothing.
    pub fn observe(&mut self, path: &Path, content: Option<&[u8]>) -> Vec<usize> {
        let packages = self.packages_of(path);
        if packages.is_empty() {
            return packages;
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
        for &package in &packages {
            if !(own_rust && self.package_of(path) == Some(package)) {
                self.cargo_only.insert(package);
            }
        }
        packages
    }

    /// Whether package `index` changed, since this was last asked, in a way only cargo can
    /// build (see `Replay`).
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
                } else if !is_dir && !self.packages_of(&path).is_empty() {
                    let content = std::fs::read(&path).ok();
                    self.observe(&path, content.as_deref());
                }
            }
        }
        // What is there at the start is no change.
        self.cargo_only.clear();
    }

    /// The packages whose files changed among `paths`, reading each file once.
    pub fn changed(&mut self, paths: impl IntoIterator<Item = PathBuf>) -> BTreeSet<usize> {
        let paths: BTreeSet<PathBuf> = paths.into_iter().collect();
        let mut changed = BTreeSet::new();
        for path in &paths {
            if !self.packages_of(path).is_empty() {
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

fn is_hidden(path: &Path) -> bool {
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

/// The OS watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    events: mpsc::Receiver<DebounceEventResult>,
}

impl Watcher {
    /// Watches every root: its top-level files, and each subdirectory except hidden ones and the
    /// target directory (which would mean thousands of watches for build output).
    /// Also watches each of `extra` (recursively if a directory). Batches come after `debounce`
    /// of quiet.
    pub fn start(
        roots: &[PathBuf],
        extra: &[PathBuf],
        ignored: &Path,
        debounce: Duration,
    ) -> Result<Watcher, String> {
        let (sender, events) = mpsc::channel();
        let mut debouncer = new_debouncer(debounce, None, sender)
            .map_err(|error| format!("cannot start the file watcher: {error}"))?;
        for path in extra {
            watch(&mut debouncer, path, RecursiveMode::Recursive)?;
        }
        for root in roots {
            watch(&mut debouncer, root, RecursiveMode::NonRecursive)?;
            for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
                let path = entry.path();
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                let is_target = path.starts_with(ignored) || path.join("CACHEDIR.TAG").exists();
                if is_dir && !is_target && !is_hidden(&path) {
                    watch(&mut debouncer, &path, RecursiveMode::Recursive)?;
                }
            }
        }
        Ok(Watcher {
            _debouncer: debouncer,
            events,
        })
    }

    /// Waits for the next batch of changed paths, then also takes every batch already waiting.
    /// `None` when the watcher stopped.
    pub fn next_batch(&self) -> Option<Vec<PathBuf>> {
        let first = self.events.recv().ok()?;
        Some(self.paths(std::iter::once(first).chain(self.events.try_iter())))
    }

    /// The paths of every batch that arrives within `wait` (none: only those already waiting).
    pub fn batches_within(&self, wait: Duration) -> Vec<PathBuf> {
        let deadline = std::time::Instant::now() + wait;
        let mut batches: Vec<DebounceEventResult> = self.events.try_iter().collect();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(batch) => batches.push(batch),
                Err(_) => break,
            }
        }
        self.paths(batches)
    }

    fn paths(&self, batches: impl IntoIterator<Item = DebounceEventResult>) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        for batch in batches {
            match batch {
                Ok(events) => paths.extend(
                    events
                        .into_iter()
                        .filter(|e| can_change(&e.event.kind))
                        .flat_map(|e| e.event.paths),
                ),
                Err(errors) => {
                    for error in errors {
                        crate::report::warning(&format!("file watcher: {error}"));
                    }
                }
            }
        }
        paths
    }
}

/// Whether an event of this kind can mean new content. Reading a file is not a change, and must
/// not count as one: hashing the files of a batch reads them, so counting reads would make every
/// batch cause the next, one per debounce period for as long as the program runs, and a save
/// would be picked up by whichever of these batches came next instead of after its own quiet
/// period.
fn can_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

fn watch(
    debouncer: &mut Debouncer<RecommendedWatcher, RecommendedCache>,
    path: &Path,
    mode: RecursiveMode,
) -> Result<(), String> {
    debouncer
        .watch(path, mode)
        .map_err(|error| format!("cannot watch {}: {error}", path.display()))
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
    fn reading_a_file_is_not_a_change() {
        use notify_debouncer_full::notify::event::{CreateKind, DataChange, ModifyKind};
        assert!(!can_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!can_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(!can_change(&EventKind::Access(AccessKind::Read)));
        assert!(can_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(can_change(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
        assert!(can_change(&EventKind::Create(CreateKind::File)));
        assert!(can_change(&EventKind::Any));
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
        assert_eq!(c.package_of(Path::new("/w/src/lib.rs")), Some(0));
        assert_eq!(c.package_of(Path::new("/w/Cargo.toml")), Some(0));
        assert_eq!(
            c.package_of(Path::new("/w/crates/physics/src/lib.rs")),
            Some(1)
        );
        assert_eq!(c.package_of(Path::new("/elsewhere/src/lib.rs")), None);
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
            assert_eq!(c.package_of(Path::new(path)), None, "{path}");
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

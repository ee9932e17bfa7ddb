//! The runtime: brought up by the first call of any `#[hot]` function, it runs the pipeline
//! watch → build → load → verify → bind → report on a thread of its own, and rolls a crate back
//! when reloaded code panics.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::alloc::Allocator;
use crate::bind::{self, Binding, Table};
use crate::cargo::{self, HostBuild};
use crate::guard::{self, HostApi, Panicked};
use crate::load::{CopyDir, Library};
use crate::registry::{self, Package};
use crate::report;
use crate::slot::{RawFn, SLOTS, Slot};
use crate::verify::{self, Known};
use crate::watch::{Changes, Watcher};

struct Runtime {
    state: Mutex<State>,
    /// Created with the first reload.
    copies: Mutex<Option<CopyDir>>,
}

struct State {
    /// Every slot list, indexed by binary: the host's first, then each loaded library's.
    tables: Vec<Table>,
    /// Where each function's current code lives.
    current: HashMap<&'static str, Binding>,
    /// Each function as first seen: the fingerprint its callers were compiled against.
    known: HashMap<&'static str, Known>,
    /// Successful reloads; version `n` is `versions[n - 1]`, version 0 the original code.
    versions: Vec<Version>,
    /// Which version each loaded entry belongs to, to find the version that panicked.
    entries: HashMap<RawFn, usize>,
}

/// One successful reload of one package.
struct Version {
    package: String,
    manifest_dir: String,
    binary: usize,
    /// The entry of each function this version provides.
    functions: HashMap<&'static str, RawFn>,
    /// Panicked, and was rolled back.
    bad: bool,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// How long a failed build waits for more file events before it is reported: an editor still
/// writing the file makes it stale.
const SETTLE: Duration = Duration::from_millis(150);

/// What the guards of every binary call back into.
static HOST_API: HostApi = HostApi {
    recovered: host_recovered,
};

/// The runtime, started on first use.
fn runtime() -> &'static Runtime {
    let mut started = false;
    let runtime = RUNTIME.get_or_init(|| {
        started = true;
        Runtime::new(&SLOTS)
    });
    if started {
        guard::connect(&HOST_API);
        let spawned = std::thread::Builder::new()
            .name("hotfn".into())
            .spawn(move || runtime.run());
        if let Err(error) = spawned {
            report::disabled(&format!("cannot start the reload thread: {error}"));
        }
    }
    runtime
}

/// See [`Slot::first_call`].
pub fn first_call(slot: &'static Slot) -> RawFn {
    let state = runtime().lock();
    match state.current.get(slot.info().symbol) {
        Some(&binding) => bind::bind(slot, 0, binding),
        None => slot.bind_local(),
    }
}

#[allow(improper_ctypes_definitions)] // see `HostApi`
extern "C" fn host_recovered(
    entry: RawFn,
    path: &str,
    panicked: &Panicked,
    can_repeat: bool,
) -> bool {
    RUNTIME
        .get()
        .is_some_and(|runtime| runtime.recovered(entry, path, panicked, can_repeat))
}

impl Runtime {
    fn new(host: &'static [&'static Slot]) -> Runtime {
        let infos = || host.iter().map(|slot| slot.info());
        let current = infos().map(|info| {
            let binding = Binding {
                binary: 0,
                entry: info.entry,
            };
            (info.symbol, binding)
        });
        Runtime {
            state: Mutex::new(State {
                tables: vec![Table {
                    slots: host,
                    package: None,
                }],
                current: current.collect(),
                known: infos()
                    .map(|info| (info.symbol, Known::new(info)))
                    .collect(),
                versions: Vec::new(),
                entries: HashMap::new(),
            }),
            copies: Mutex::new(None),
        }
    }

    /// A panic while holding the lock leaves the state consistent (every step either completes
    /// or changes nothing), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pipeline, top to bottom. Never returns while reloading works.
    fn run(&self) {
        let host = match HostBuild::detect() {
            Ok(host) => host,
            Err(reason) => return report::disabled(&reason),
        };
        // Said now rather than after every build: no library could be loaded.
        if let Some(why) = crate::alloc::mismatch(crate::alloc::host(), Allocator::Malloc) {
            return report::disabled(&why);
        }
        let packages = self.packages();
        let roots: Vec<_> = packages
            .iter()
            .map(|p| {
                p.manifest_dir
                    .canonicalize()
                    .unwrap_or_else(|_| p.manifest_dir.clone())
            })
            .collect();
        let watcher = match Watcher::start(&roots, &host.target_dir) {
            Ok(watcher) => watcher,
            Err(reason) => return report::disabled(&reason),
        };
        let mut changes = Changes::new(roots, host.target_dir.clone());
        changes.snapshot();
        report::watching(&packages);
        let mut pending = BTreeSet::new();
        loop {
            let Some(index) = pending.pop_first() else {
                let Some(paths) = watcher.next_batch() else {
                    return;
                };
                pending = changes.changed(paths);
                continue;
            };
            let package = &packages[index];
            let built = cargo::build(&host, package, report::color());
            // A file that changed while cargo ran (an editor still writing, more saves) makes
            // this build stale: build again, without showing or loading the stale result. A
            // failed build waits a little longer, since a half-written file fails fast.
            let settle = if built.is_ok() {
                Duration::ZERO
            } else {
                SETTLE
            };
            let more = changes.changed(watcher.batches_within(settle));
            let stale = more.contains(&index);
            pending.extend(more);
            if !stale {
                self.finish(package, built);
            }
        }
    }

    fn packages(&self) -> Vec<Package> {
        registry::packages(self.lock().tables[0].slots.iter().map(|s| s.info()))
    }

    /// Loads, verifies and binds a build of one package, or reports why it failed. Any failure
    /// leaves the running code as it was.
    fn finish(&self, package: &Package, built: Result<cargo::Built, cargo::Failed>) {
        let built = match built {
            Ok(built) => built,
            Err(failed) => {
                if failed.why == cargo::Why::Error {
                    report::diagnostics(&failed.diagnostics);
                }
                return report::build_failed(package, &failed);
            }
        };
        report::diagnostics(&built.diagnostics);
        // Reported by `install`.
        let _ = self.install(package, &built.library, built.duration);
    }

    /// Copies, loads, verifies and binds a library built for `package`, reports the outcome, and
    /// returns the new version's number.
    fn install(&self, package: &Package, built: &Path, build: Duration) -> Result<usize, String> {
        let started = Instant::now();
        let library = self.copy(built).and_then(|copy| {
            // SAFETY: `copy` is a private copy of a library cargo built for this package of the
            // host's workspace.
            unsafe { Library::open(&copy, &HOST_API) }
        });
        let library = library.inspect_err(|error| report::load_failed(package, error))?;
        let manifest_dir = package.manifest_dir.to_string_lossy();
        let mut state = self.lock();
        let built_functions = library.slots.iter().map(|slot| slot.info());
        let plan =
            verify::check(&state.known, &manifest_dir, built_functions).map_err(|mismatches| {
                report::refused(package, &mismatches);
                format!("{} functions changed fingerprint", mismatches.len())
            })?;
        let interposed = plan
            .functions
            .iter()
            .find(|f| library.function(f.info.symbol) != Some(f.info.local));
        if let Some(interposed) = interposed {
            let error = format!(
                "{} resolves to code outside the new library",
                interposed.info.symbol
            );
            report::load_failed(package, &error);
            return Err(error);
        }
        let binary = state.tables.len();
        state.tables.push(Table {
            slots: library.slots,
            package: Some(manifest_dir.to_string()),
        });
        let index = state.versions.len();
        let mut functions = HashMap::new();
        for known in plan.functions.iter() {
            let info = known.info;
            state.current.insert(
                info.symbol,
                Binding {
                    binary,
                    entry: info.entry,
                },
            );
            state.entries.insert(info.entry, index);
            functions.insert(info.symbol, info.entry);
        }
        for known in plan.functions.iter() {
            state
                .known
                .entry(known.info.symbol)
                .or_insert_with(|| Known::new(known.info));
        }
        state.versions.push(Version {
            package: package.name.clone(),
            manifest_dir: manifest_dir.to_string(),
            binary,
            functions,
            bad: false,
        });
        bind::rebind(&state.tables, &state.current, &manifest_dir, Some(binary));
        let version = state.versions.len();
        drop(state);
        report::reloaded(package, version, &plan, build, started.elapsed());
        Ok(version)
    }

    /// A private copy of `built`, in the copy directory (made on first use).
    fn copy(&self, built: &Path) -> Result<PathBuf, String> {
        let mut copies = self.copies.lock().unwrap_or_else(PoisonError::into_inner);
        if copies.is_none() {
            let mut parents = vec![std::env::temp_dir()];
            if let Ok(host) = HostBuild::detect() {
                parents.push(host.target_dir.join("hotfn"));
            }
            let (created, note) = CopyDir::create(&parents)?;
            if let Some(note) = note {
                report::warning(&note);
            }
            *copies = Some(created);
        }
        copies
            .as_mut()
            .map_or_else(|| unreachable!(), |copies| copies.copy(built))
    }

    /// A guard caught a panic from `entry`: if that is a reloaded version, mark it bad, roll its
    /// package back to the newest good version (or the original code), and say that the call may
    /// be repeated. Original code is not rolled back: its panics behave as in a normal build.
    fn recovered(&self, entry: RawFn, path: &str, panicked: &Panicked, can_repeat: bool) -> bool {
        let mut state = self.lock();
        let Some(&index) = state.entries.get(&entry) else {
            return false;
        };
        if state.versions[index].bad {
            // Another call already rolled this version back: repeat on what is current now.
            return true;
        }
        state.versions[index].bad = true;
        let (package, manifest_dir) = {
            let version = &state.versions[index];
            (version.package.clone(), version.manifest_dir.clone())
        };
        let good = state.roll_back(&manifest_dir);
        bind::rebind(&state.tables, &state.current, &manifest_dir, None);
        drop(state);
        report::panicked(path, &package, index + 1, panicked, good, can_repeat);
        true
    }
}

impl State {
    /// Binds each function of the package at `manifest_dir` to its newest version that is not
    /// bad (or the original code), and returns that version's number (0: the original code).
    fn roll_back(&mut self, manifest_dir: &str) -> usize {
        let symbols: Vec<&'static str> = self
            .known
            .values()
            .filter(|k| k.info.manifest_dir == manifest_dir)
            .map(|k| k.info.symbol)
            .collect();
        for symbol in symbols {
            let original = self.tables[0]
                .slots
                .iter()
                .map(|s| s.info())
                .find(|i| i.symbol == symbol);
            let mut binding = original.map(|info| Binding {
                binary: 0,
                entry: info.entry,
            });
            let good = self
                .versions
                .iter()
                .filter(|v| v.manifest_dir == manifest_dir && !v.bad);
            for version in good {
                if let Some(&entry) = version.functions.get(symbol) {
                    binding = Some(Binding {
                        binary: version.binary,
                        entry,
                    });
                }
            }
            // A function only bad versions ever had keeps what it has: there is nothing else.
            if let Some(binding) = binding {
                self.current.insert(symbol, binding);
            }
        }
        let newest_good = self
            .versions
            .iter()
            .rposition(|v| v.manifest_dir == manifest_dir && !v.bad);
        newest_good.map_or(0, |index| index + 1)
    }
}

/// Loads an already built library of `package` as if cargo had just built it: the test entry
/// point of the reload path (copy, load, verify, bind), for tests that reload many times without
/// many builds. Returns the new version's number.
pub fn reload_library(package: &str, library: &Path) -> Result<usize, String> {
    let runtime = runtime();
    let packages = runtime.packages();
    let package = packages
        .iter()
        .find(|p| p.name == package)
        .ok_or_else(|| format!("no package {package:?} with #[hot] functions in this program"))?;
    runtime.install(package, library, Duration::ZERO)
}

//! The runtime: brought up by the first call of any `#[hot]` function, it runs the pipeline
//! watch → build → load → verify → bind → report on a thread of its own, and rolls a crate back
//! when reloaded code panics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::alloc::Allocator;
use crate::bind::{self, Binding, Table};
use crate::cargo::{self, HostBuild, Priority};
use crate::control::{Swap, Timings};
use crate::events;
use crate::guard::{self, HostApi, Panicked};
use crate::load::{CopyDir, Library};
use crate::registry::{self, Package};
use crate::replay::Replay;
use crate::report;
use crate::slot::{RawFn, SLOTS, Slot};
use crate::state::{Changed, Instances, STATES, StateSlot};
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
    /// Versions loaded and checked but waiting for a reload point, oldest first.
    pending: Vec<usize>,
    /// The instance of every `#[hot] static`, shared by all versions.
    instances: Instances,
}

/// One successful reload of one package.
struct Version {
    package: String,
    manifest_dir: String,
    binary: usize,
    /// The entry of each function this version provides.
    functions: HashMap<&'static str, Binding>,
    /// Panicked, and was rolled back.
    bad: bool,
    /// Calls have been bound to it (at once, or at a reload point).
    applied: bool,
    /// What to report when it is applied.
    report: Option<Box<Loaded>>,
    /// Its `#[hot] static` slots, bound when it is applied.
    states: &'static [&'static StateSlot],
}

/// What is reported about a version when it is applied.
struct Loaded {
    plan: verify::Plan,
    warnings: Vec<String>,
    timings: Timings,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// How long a failed build waits for more file events before it is reported: an editor still
/// writing the file makes it stale.
const SETTLE: Duration = Duration::from_millis(150);

/// What the guards of every binary call back into.
static HOST_API: HostApi = HostApi {
    recovered: host_recovered,
    version: host_version,
    reload_point: host_reload_point,
    wait_for_reload: host_wait_for_reload,
    subscribe: host_subscribe,
    apply: host_apply,
    logger: crate::forward::host::logger,
    log_level: crate::forward::host::log_level,
    dispatch: crate::forward::host::dispatch,
    raise: crate::guard::raise,
    replaying: crate::guard::replaying,
};

extern "C" fn host_version() -> u64 {
    events::version()
}

extern "C" fn host_reload_point() {
    events::reload_point();
}

#[allow(improper_ctypes_definitions)] // see `HostApi`
extern "C" fn host_wait_for_reload(timeout: Duration) -> Option<u64> {
    events::wait_for_reload(timeout)
}

#[allow(improper_ctypes_definitions)] // see `HostApi`
extern "C" fn host_subscribe(callback: Box<dyn Fn(&crate::Event) + Send + Sync>) {
    events::subscribe(callback);
}

#[allow(improper_ctypes_definitions)] // see `HostApi`
extern "C" fn host_apply(config: crate::Config) {
    events::apply(config);
}

/// Whether the runtime has started.
pub fn started() -> bool {
    RUNTIME.get().is_some()
}

/// Starts the runtime, if it has not started yet.
pub fn start() {
    runtime();
}

/// Applies the versions waiting for a reload point.
pub fn apply_pending() {
    if let Some(runtime) = RUNTIME.get() {
        let mut state = runtime.lock();
        let pending = std::mem::take(&mut state.pending);
        events::PENDING.store(false, std::sync::atomic::Ordering::Release);
        for index in pending {
            state.apply(index);
        }
    }
}

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
                direct: info.direct,
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
                pending: Vec::new(),
                instances: Instances::of_host(&STATES),
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
        let events::Startup {
            debounce,
            watch: extra,
            warm_up,
        } = events::startup();
        let extra: Vec<PathBuf> = extra
            .iter()
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
            .collect();
        let debounce = debounce.unwrap_or(crate::watch::DEBOUNCE);
        let watcher = match Watcher::start(&roots, &extra, &host.target_dir, debounce) {
            Ok(watcher) => watcher,
            Err(reason) => return report::disabled(&reason),
        };
        let mut changes = Changes::new(roots, host.target_dir.clone());
        changes.also_watch(extra);
        for (index, package) in packages.iter().enumerate() {
            let dep_info = host.out_dir().join(format!("lib{}.d", package.crate_name));
            changes.set_deps(index, cargo::dep_info(&dep_info, Path::new("/")));
        }
        changes.snapshot();
        report::watching(&packages);
        // Packages to build, with when their first unbuilt change was seen.
        let mut pending: BTreeMap<usize, SystemTime> = BTreeMap::new();
        // Per package, the compiler command cargo last ran for it, while it can run again.
        let mut replays: Vec<Option<Replay>> = vec![None; packages.len()];
        // A first build of each package before any edit, at a lower priority: it fills the
        // library's incremental cache and gives the compiler command to run again, so the first
        // edit builds as fast as later ones (the demo: 250 ms instead of 540). Silent: nothing
        // is loaded, and a failure is for the first edit's build to report. An edit made
        // meanwhile waits in the watcher's queue.
        for (index, package) in packages.iter().enumerate().filter(|_| warm_up) {
            if let Ok(built) = cargo::build(&host, package, report::color(), Priority::Low) {
                changes.set_deps(index, built.deps);
                replays[index] = built.replay;
            }
        }
        let note = |pending: &mut BTreeMap<usize, SystemTime>, changed: BTreeSet<usize>| {
            let now = SystemTime::now();
            for index in changed {
                pending.entry(index).or_insert(now);
            }
        };
        loop {
            let Some((index, detected)) = pending.pop_first() else {
                let Some(paths) = watcher.next_batch() else {
                    return;
                };
                note(&mut pending, changes.changed(paths));
                continue;
            };
            let package = &packages[index];
            if changes.take_cargo_only(index) {
                replays[index] = None;
            }
            let built = build(&host, package, &mut replays[index]);
            if let Ok(built) = &built {
                changes.set_deps(index, built.deps.clone());
            }
            // A file that changed during the build (an editor still writing, more saves) makes
            // this build stale: build again, without showing or loading the stale result. A
            // failed build waits a little longer, since a half-written file fails fast.
            let settle = if built.is_ok() {
                Duration::ZERO
            } else {
                SETTLE
            };
            let more = changes.changed(watcher.batches_within(settle));
            if more.contains(&index) {
                pending.insert(index, detected);
            }
            let stale = more.contains(&index);
            note(&mut pending, more);
            if !stale {
                self.finish(package, built, detected);
            }
        }
    }

    fn packages(&self) -> Vec<Package> {
        registry::packages(self.lock().tables[0].slots.iter().map(|s| s.info()))
    }

    /// Loads, verifies and binds a build of one package, or reports why it failed. Any failure
    /// leaves the running code as it was.
    fn finish(
        &self,
        package: &Package,
        built: Result<cargo::Built, cargo::Failed>,
        detected: SystemTime,
    ) {
        match built {
            // Reported by `install`.
            Ok(built) => {
                let timings = Timings {
                    detected: Some(detected),
                    build: built.duration,
                    direct_rustc: built.direct_rustc,
                    ..Timings::default()
                };
                let _ = self.install(package, &built.library, timings, built.diagnostics);
            }
            Err(failed) => report::build_failed(package, &failed),
        }
    }

    /// Copies, loads and verifies a library built for `package`, binds it (now, or at the next
    /// reload point), reports the outcome, and returns the new version's number.
    fn install(
        &self,
        package: &Package,
        built: &Path,
        mut timings: Timings,
        warnings: Vec<String>,
    ) -> Result<u64, String> {
        let started = Instant::now();
        let copy = self.copy(built);
        timings.copy = started.elapsed();
        let opened = Instant::now();
        let library = copy.and_then(|copy| {
            // SAFETY: `copy` is a private copy of a library cargo built for this package of the
            // host's workspace.
            unsafe { Library::open(&copy, &HOST_API) }
        });
        timings.open = opened.elapsed();
        let library = library.inspect_err(|error| report::load_failed(package, error))?;
        let verifying = Instant::now();
        let manifest_dir = package.manifest_dir.to_string_lossy();
        let mut state = self.lock();
        // A hard link to an artifact cargo did not rebuild is a file already loaded, and the
        // dynamic loader hands back the loaded library: there is nothing new to bind.
        let loaded_before = state
            .tables
            .iter()
            .any(|table| std::ptr::eq(table.slots.as_ptr(), library.slots.as_ptr()));
        if loaded_before {
            let note = format!(
                "{}: the build changed nothing; nothing to reload",
                package.name
            );
            report::warning(&note);
            return Err(note);
        }
        let built_functions = library.slots.iter().map(|slot| slot.info());
        let plan =
            verify::check(&state.known, &manifest_dir, built_functions).map_err(|mismatches| {
                report::refused(package, &mismatches);
                format!("{} functions changed fingerprint", mismatches.len())
            })?;
        if let Err(changed) = state.instances.check(library.states) {
            return Err(refuse_states(package, &changed));
        }
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
        // A panicking direct entry of the library repeats the call through the host's slot.
        let host_slots: HashMap<&str, &'static Slot> = state.tables[0]
            .slots
            .iter()
            .map(|slot| (slot.info().symbol, *slot))
            .collect();
        for slot in library.slots {
            if let Some(host) = host_slots.get(slot.info().symbol) {
                slot.set_caller(host);
            }
        }
        state.tables.push(Table {
            slots: library.slots,
            package: Some(manifest_dir.to_string()),
        });
        let index = state.versions.len();
        let mut functions = HashMap::new();
        for known in plan.functions.iter() {
            let info = known.info;
            state.entries.insert(info.entry, index);
            let binding = Binding {
                binary,
                entry: info.entry,
                direct: info.direct,
            };
            functions.insert(info.symbol, binding);
            state
                .known
                .entry(info.symbol)
                .or_insert_with(|| Known::new(info));
        }
        timings.verify = verifying.elapsed();
        let loaded = Loaded {
            plan,
            warnings,
            timings,
        };
        state.versions.push(Version {
            package: package.name.clone(),
            manifest_dir: manifest_dir.to_string(),
            binary,
            functions,
            bad: false,
            applied: false,
            report: Some(Box::new(loaded)),
            states: library.states,
        });
        let version = (index + 1) as u64;
        match events::swap() {
            Swap::Immediate => state.apply(index),
            Swap::AtReloadPoint => {
                state.pending.push(index);
                events::PENDING.store(true, std::sync::atomic::Ordering::Release);
                drop(state);
                report::pending(package, version);
            }
        }
        Ok(version)
    }

    /// A private copy of `built`, in the copy directory (made on first use).
    fn copy(&self, built: &Path) -> Result<PathBuf, String> {
        let mut copies = self.copies.lock().unwrap_or_else(PoisonError::into_inner);
        if copies.is_none() {
            // Beside the artifacts by default: on their file system a copy can be a hard link.
            let mut parents = Vec::new();
            match std::env::var_os("HOTFN_COPY_DIR") {
                Some(dir) => parents.push(PathBuf::from(dir)),
                None => parents.extend(HostBuild::detect().map(|h| h.target_dir.join("hotfn"))),
            }
            parents.push(std::env::temp_dir());
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
        let version = (index + 1) as u64;
        report::panicked(path, &package, version, panicked, good as u64, can_repeat);
        true
    }
}

impl State {
    /// Binds every function of version `index` (already loaded and checked), and reports it.
    fn apply(&mut self, index: usize) {
        let binding = Instant::now();
        let states = match self.instances.bind(self.versions[index].states) {
            Ok(notes) => notes,
            Err(changed) => {
                // Nothing was bound: the version is dropped, the program runs on as it was.
                let version = &mut self.versions[index];
                version.bad = true;
                version.report = None;
                let package = registry::Package {
                    name: version.package.clone(),
                    ..registry::Package::default()
                };
                refuse_states(&package, &changed);
                return;
            }
        };
        let version = &mut self.versions[index];
        version.applied = true;
        let binary = version.binary;
        let manifest_dir = version.manifest_dir.clone();
        let package = version.package.clone();
        let loaded = version.report.take();
        for (&symbol, &binding) in &self.versions[index].functions {
            self.current.insert(symbol, binding);
        }
        bind::rebind(&self.tables, &self.current, &manifest_dir, Some(binary));
        let applied = std::time::SystemTime::now();
        let number = (index + 1) as u64;
        events::applied(number);
        if let Some(loaded) = loaded {
            report::reloaded(&report::Applied {
                package: &package,
                version: number,
                plan: &loaded.plan,
                warnings: &loaded.warnings,
                states: &states,
                timings: Timings {
                    bind: binding.elapsed(),
                    applied: Some(applied),
                    ..loaded.timings
                },
            });
        }
    }

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
                direct: info.direct,
            });
            let good = self
                .versions
                .iter()
                .filter(|v| v.manifest_dir == manifest_dir && v.applied && !v.bad);
            for version in good {
                if let Some(&found) = version.functions.get(symbol) {
                    binding = Some(found);
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
            .rposition(|v| v.manifest_dir == manifest_dir && v.applied && !v.bad);
        newest_good.map_or(0, |index| index + 1)
    }
}

/// Reports states that cannot be carried over, and returns the error for the caller.
fn refuse_states(package: &Package, changed: &[Changed]) -> String {
    let mismatches: Vec<verify::Mismatch> = changed
        .iter()
        .map(|c| verify::Mismatch {
            path: c.key,
            why: vec![format!("#[hot] static: {}", c.why)],
        })
        .collect();
    report::refused(package, &mismatches);
    format!("{} states cannot be carried over", mismatches.len())
}

/// Loads an already built library of `package` as if cargo had just built it: the test entry
/// point of the reload path (copy, load, verify, bind), for tests that reload many times without
/// many builds. Returns the new version's number.
pub fn reload_library(package: &str, library: &Path) -> Result<u64, String> {
    let runtime = runtime();
    let packages = runtime.packages();
    let package = packages
        .iter()
        .find(|p| p.name == package)
        .ok_or_else(|| format!("no package {package:?} with #[hot] functions in this program"))?;
    runtime.install(package, library, Timings::default(), Vec::new())
}

/// Builds `package`: by running again the compiler command cargo last ran for it (`replay`),
/// if there is one and it still applies, else, or if that fails, with cargo, which gives the
/// next `replay`. A replay that was killed is reported as such, not repeated.
fn build(
    host: &HostBuild,
    package: &Package,
    replay: &mut Option<Replay>,
) -> Result<cargo::Built, cargo::Failed> {
    let color = report::color();
    let usable = replay
        .as_ref()
        .filter(|replay| events::direct_rustc() && replay.debug_info == events::debug_info())
        .filter(|replay| !replay.dependency_changed());
    // Time spent on a replay that failed, which the user waited for too.
    let mut tried = Duration::ZERO;
    if let Some(replay) = usable {
        match replay.run(&host.target_dir, color) {
            Ok(built) => return Ok(built),
            Err(failed) if matches!(failed.why, cargo::Why::Killed(_)) => return Err(failed),
            // Cargo's diagnostics are the ones to show, and cargo may know better (a file
            // the command does not name, a dependency rebuilt since).
            Err(failed) => tried = failed.duration,
        }
    }
    let mut built = cargo::build(host, package, color, Priority::Normal);
    *replay = built.as_mut().ok().and_then(|built| built.replay.take());
    match &mut built {
        Ok(built) => built.duration += tried,
        Err(failed) => failed.duration += tried,
    }
    built
}

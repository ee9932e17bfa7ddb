//! The runtime, in the program: brought up by the first call of any `#[hot]` function, it runs
//! the pipeline on a thread of its own — watch → build → patch → load → verify → bind → report —
//! and rolls a unit back when reloaded code panics.
//!
//! Each step is a module taking plain data in and giving plain data out; this one holds the
//! state they share and calls them in order (see [`Pipeline::run`]).

pub mod bind;
pub mod build;
pub mod bus;
pub mod discover;
pub mod load;
pub mod patch;
pub mod place;
pub mod report;
pub mod schedule;
pub mod settings;
pub mod states;
pub mod verify;
pub mod versions;
pub mod watch;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Instant, SystemTime};

use self::build::cargo::{HostBuild, Priority};
use self::build::rustc::{Dirs, Invocation, KEEP_OBJECTS};
use self::build::{Compiled, Options};
use self::discover::Unit;
use self::patch::{Failure, Patcher, Request};
use self::place::CopyDir;
use self::report::Reporter;
use self::schedule::{Fate, Schedule};
use self::settings::Settings;
use self::states::{Changed, Instances};
use self::verify::Known;
use self::versions::{History, Version};
use self::watch::{Changes, Watcher};
use crate::abi::slot::{Code, FnInfo, SLOTS, Slot};
use crate::abi::state::STATES;
use crate::config::{Config, Swap};
use crate::event::{Event, Timings};

/// What the program's threads share with the runtime's.
struct State {
    /// Every function, by symbol: its fingerprint as first seen and the slot whose target its
    /// callers reach.
    functions: HashMap<&'static str, Function>,
    history: History,
    /// Versions loaded and checked but waiting for a reload point, oldest first.
    pending: Vec<u64>,
    /// What to report about each version when it is applied.
    reports: HashMap<u64, Box<Loaded>>,
    /// Each version's `#[hot] static` slots, bound when it is applied.
    version_states: HashMap<u64, Vec<&'static crate::abi::state::StateSlot>>,
    /// The instance of every `#[hot] static`, shared by all versions.
    instances: Instances,
    /// The units, once discovered (by the pipeline's thread).
    units: Vec<Unit>,
}

struct Function {
    known: Known,
    /// The program's slot of the function, or, for one a patch added, that patch's.
    shared: &'static Slot,
}

/// What is reported about a version when it is applied.
struct Loaded {
    plan: verify::Plan,
    warnings: Vec<String>,
    timings: Timings,
}

static RUNTIME: OnceLock<Mutex<State>> = OnceLock::new();

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves the state consistent (every step either completes
    // or changes nothing), so a poisoned lock is still usable.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The runtime, started on first use.
fn runtime() -> &'static Mutex<State> {
    let mut started = false;
    let state = RUNTIME.get_or_init(|| {
        started = true;
        Mutex::new(State::new(&SLOTS))
    });
    if started {
        let spawned = std::thread::Builder::new()
            .name("hotfn".into())
            .spawn(Pipeline::run);
        if let Err(error) = spawned {
            reporter().disabled(&format!("cannot start the reload thread: {error}"));
        }
    }
    state
}

/// How events are shown now.
fn reporter() -> Reporter {
    let (settings, _) = settings::current();
    Reporter {
        quiet: settings.quiet,
    }
}

/// See [`Config::apply`].
pub fn apply(config: Config) {
    let started = RUNTIME.get().is_some();
    let late = started
        && (config.debounce.is_some() || !config.watch.is_empty() || config.warm_up.is_some());
    let warnings = settings::apply(config);
    let reporter = reporter();
    for warning in warnings {
        reporter.warning(&warning);
    }
    if late {
        reporter.warning(
            "Config: `debounce`, `watch` and `warm_up` apply only when set before the runtime \
             starts (before the first call of a #[hot] function)",
        );
    }
    runtime();
}

/// The first call of `slot`'s function: starts the runtime if needed, binds the function's
/// target, and returns the code to run.
pub fn first_call(slot: &'static Slot) -> *const () {
    let state = lock(runtime());
    let symbol = slot.info().symbol;
    let shared = state.functions.get(symbol).map(|f| f.shared);
    let code = match shared {
        // The slot callers reach: to the current version.
        Some(shared) if std::ptr::eq(shared, slot) => state.history.current(symbol),
        // A version's own slot (bound when it loads; this is a safety net): to its own code.
        _ => None,
    }
    .unwrap_or(slot.code());
    bind::bind(slot, code);
    code.0
}

/// A call of `slot`'s function into `failed` (another version's code) panicked. If that is a
/// reloaded version, rolls its unit back and reports it. Returns the code calls reach now, to
/// repeat the call on; `None`: the panic is the program's own, and continues.
pub fn recovered(
    slot: &'static Slot,
    failed: *const (),
    payload: &(dyn std::any::Any + Send),
    can_repeat: bool,
) -> Option<*const ()> {
    let state = RUNTIME.get()?;
    let mut state = lock(state);
    let symbol = slot.info().symbol;
    let version = state.history.owner(symbol, Code(failed))?;
    if let Some((good, changes)) = state.history.roll_back(version) {
        for (symbol, code) in changes {
            if let Some(function) = state.functions.get(symbol) {
                bind::bind(function.shared, code);
            }
        }
        let unit = state.history.get(version).unit;
        let event = Event::Panicked {
            function: state
                .functions
                .get(symbol)
                .map_or_else(|| symbol.to_owned(), |f| f.known.path.clone()),
            package: state.units[unit].label(),
            version,
            message: message(payload),
            rolled_back_to: good,
            completed: can_repeat,
        };
        drop(state);
        reporter().emit(event, &[]);
        let state = lock(RUNTIME.get()?);
        return state.history.current(symbol).map(|c| c.0);
    }
    // Another call already rolled this version back: repeat on what is current now.
    state.history.current(symbol).map(|c| c.0)
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Applies the versions waiting for a reload point.
pub fn apply_pending() {
    if let Some(state) = RUNTIME.get() {
        let mut state = lock(state);
        let pending = std::mem::take(&mut state.pending);
        bus::set_pending(false);
        let reporter = reporter();
        for number in pending {
            state.apply(number, reporter);
        }
    }
}

impl State {
    fn new(slots: &'static [&'static Slot]) -> State {
        let mut history = History::default();
        let mut functions = HashMap::new();
        for slot in slots {
            let info = slot.info();
            history.set_original(info.symbol, slot.code());
            functions.entry(info.symbol).or_insert_with(|| Function {
                known: Known::new(info),
                shared: slot,
            });
        }
        State {
            functions,
            history,
            pending: Vec::new(),
            reports: HashMap::new(),
            version_states: HashMap::new(),
            instances: Instances::of_host(&STATES),
            units: Vec::new(),
        }
    }

    /// Verifies a loaded patch and registers it as a version: applied now, or at the next reload
    /// point. Returns its number.
    fn install(
        &mut self,
        arrival: Arrival,
        of_unit: impl Fn(&FnInfo) -> bool,
        reporter: Reporter,
        swap: Swap,
    ) -> Result<u64, ()> {
        let Arrival {
            unit,
            loaded,
            mut timings,
            warnings,
        } = arrival;
        let verifying = Instant::now();
        let label = self.units[unit].label();
        let known: HashMap<&'static str, &Known> = self
            .functions
            .iter()
            .map(|(symbol, f)| (*symbol, &f.known))
            .collect();
        let plan = verify::check(&known, &of_unit, loaded.slots.iter().map(|s| s.info()));
        let plan = match plan {
            Ok(plan) => plan,
            Err(mismatches) => {
                let changes = mismatches.iter().map(verify::Mismatch::describe).collect();
                reporter.refused(&label, changes, report::SIGNATURES);
                return Err(());
            }
        };
        if let Err(changed) = self.instances.check(&loaded.states) {
            refuse_states(reporter, &label, &changed);
            return Err(());
        }
        bind::keep_own(&loaded.slots);
        let mut code = HashMap::new();
        for slot in loaded.slots.iter().filter(|s| of_unit(s.info())) {
            let info = slot.info();
            code.insert(info.symbol, slot.code());
            self.functions
                .entry(info.symbol)
                .or_insert_with(|| Function {
                    known: Known::new(info),
                    shared: slot,
                });
        }
        let number = self.history.push(Version {
            unit,
            code,
            bad: false,
            applied: false,
        });
        self.version_states.insert(number, loaded.states);
        timings.verify = verifying.elapsed();
        self.reports.insert(
            number,
            Box::new(Loaded {
                plan,
                warnings,
                timings,
            }),
        );
        match swap {
            Swap::Immediate => self.apply(number, reporter),
            Swap::AtReloadPoint => {
                self.pending.push(number);
                bus::set_pending(true);
                reporter.emit(
                    Event::Pending {
                        package: label,
                        version: number,
                    },
                    &[],
                );
            }
        }
        Ok(number)
    }

    /// Binds every function of version `number` (loaded and checked), and reports it.
    fn apply(&mut self, number: u64, reporter: Reporter) {
        let binding = Instant::now();
        let unit = self.history.get(number).unit;
        let label = self.units[unit].label();
        let version_states = self.version_states.remove(&number).unwrap_or_default();
        let states = match self.instances.bind(&version_states) {
            Ok(notes) => notes,
            Err(changed) => {
                // Nothing was bound: the version is dropped, the program runs on as it was.
                self.history.discard(number);
                self.reports.remove(&number);
                refuse_states(reporter, &label, &changed);
                return;
            }
        };
        for (symbol, code) in self.history.apply(number) {
            if let Some(function) = self.functions.get(symbol) {
                bind::bind(function.shared, code);
            }
        }
        let applied = SystemTime::now();
        bus::applied(number);
        if let Some(loaded) = self.reports.remove(&number) {
            let timings = Timings {
                bind: binding.elapsed(),
                applied: Some(applied),
                ..loaded.timings
            };
            let names = |list: &[String]| list.to_vec();
            reporter.emit(
                Event::Reloaded {
                    package: label,
                    version: number,
                    functions: loaded.plan.functions.len(),
                    added: names(&loaded.plan.added),
                    missing: names(&loaded.plan.missing),
                    warnings: loaded.warnings.clone(),
                    states,
                    build: timings.build + timings.link,
                    load: timings.open + timings.verify + timings.bind,
                    timings,
                },
                &loaded.warnings,
            );
        }
    }
}

/// A loaded patch of unit `unit`, with what is known of it so far.
struct Arrival {
    unit: usize,
    loaded: load::Loaded,
    timings: Timings,
    warnings: Vec<String>,
}

/// Reports `#[hot] static`s that cannot be carried over.
fn refuse_states(reporter: Reporter, package: &str, changed: &[Changed]) {
    let changes = changed
        .iter()
        .map(|c| format!("{}\n  #[hot] static: {}", c.key, c.why))
        .collect();
    reporter.refused(package, changes, report::SIGNATURES);
}

/// What making and loading patches needs, shared by the pipeline and the test entry point: the
/// program's symbols (read once) and the private directory.
struct Tools {
    patcher: Option<Patcher>,
    copies: Option<CopyDir>,
}

static TOOLS: Mutex<Tools> = Mutex::new(Tools {
    patcher: None,
    copies: None,
});

fn tools() -> MutexGuard<'static, Tools> {
    TOOLS.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tools {
    /// The private directory, made on first use in the first of `parents` where that works.
    fn copies(
        &mut self,
        target_dir: &std::path::Path,
        reporter: Reporter,
    ) -> Result<&mut CopyDir, String> {
        if self.copies.is_none() {
            // Beside the artifacts by default: on their file system.
            let mut parents = Vec::new();
            match std::env::var_os("HOTFN_COPY_DIR") {
                Some(dir) => parents.push(PathBuf::from(dir)),
                None => parents.push(target_dir.join("hotfn")),
            }
            parents.push(std::env::temp_dir());
            let (created, note) = CopyDir::create(&parents)?;
            if let Some(note) = note {
                reporter.warning(&note);
            }
            let linker = created.path().join("keep-objects");
            write_executable(&linker, KEEP_OBJECTS)
                .map_err(|error| format!("{}: {error}", linker.display()))?;
            self.copies = Some(created);
        }
        match self.copies.as_mut() {
            Some(copies) => Ok(copies),
            None => unreachable!("made above"),
        }
    }

    /// The patcher, made on first use from the toolchain of `rustc`.
    fn patcher(&mut self, rustc: &std::path::Path) -> Result<&mut Patcher, String> {
        if self.patcher.is_none() {
            self.patcher = Some(Patcher::new(rustc)?);
        }
        match self.patcher.as_mut() {
            Some(patcher) => Ok(patcher),
            None => unreachable!("made above"),
        }
    }

    /// Links a patch of unit `unit` from `objects` (and rebuilt `dependencies`), loads it,
    /// verifies and installs it as a version (applied now or at a reload point), reporting
    /// whatever happens. Returns the version's number.
    #[allow(clippy::too_many_arguments)]
    fn patch_in(
        &mut self,
        unit: &Unit,
        index: usize,
        compiled: (&std::path::Path, &[PathBuf], &[PathBuf]),
        rustc: &std::path::Path,
        mut timings: Timings,
        mut warnings: Vec<String>,
        settings: &Settings,
        target_dir: &std::path::Path,
    ) -> Result<u64, Unpatched> {
        let reporter = Reporter {
            quiet: settings.quiet,
        };
        let label = unit.label();
        let fail = |why: String| {
            reporter.load_failed(&label, &why);
            Unpatched::Reported(why)
        };
        let state = RUNTIME
            .get()
            .ok_or_else(|| Unpatched::Reported("the runtime is not running".to_owned()))?;
        let callables: BTreeSet<&'static str> = lock(state).functions.keys().copied().collect();
        let output = self
            .copies(target_dir, reporter)
            .and_then(|copies| copies.next(&unit.crate_name))
            .map_err(fail)?;
        let patcher = self.patcher(rustc).map_err(fail)?;
        let request = Request {
            own: compiled.0,
            dependencies: compiled.1,
            library_dirs: compiled.2,
            callables: &callables,
            output: &output,
            debug_info: settings.debug_info,
        };
        let linked = match patcher.make(&request) {
            Ok(linked) => linked,
            Err(Failure::Refused(changes)) => {
                reporter.refused(&label, changes, report::SHARING);
                return Err(Unpatched::Reported("refused".into()));
            }
            Err(Failure::Failed(why)) => return Err(fail(why)),
            Err(Failure::OtherBuild) => return Err(Unpatched::OtherBuild),
        };
        timings.link = linked.duration;
        timings.patch_bytes = linked.bytes;
        if linked.dropped_constructors > 0 {
            warnings.push(format!(
                "{label}: the crate has constructors (`.init_array`, from `ctor`, `inventory` and \
                 the like); a patch does not run them again, so what they register stays as the \
                 program registered it"
            ));
        }
        let opened = Instant::now();
        // SAFETY: the patch was just linked by the runtime, for this process, from the crate's
        // own objects; its slots are those `#[hot]` generates.
        let loaded = unsafe { load::open(&linked.path, linked.base, &linked.image) };
        timings.open = opened.elapsed();
        let loaded = loaded.map_err(fail)?;
        patcher.program.add_patch(linked.image);
        let of_unit = |info: &FnInfo| {
            // Both paths come from cargo's CARGO_MANIFEST_DIR: the same text when they match,
            // which is cheaper to see than `Path`'s component by component comparison.
            let dir = info.unit.manifest_dir;
            (unit.manifest_dir.as_os_str() == dir || std::path::Path::new(dir) == unit.manifest_dir)
                && info.unit.bin == unit.bin.as_deref()
        };
        let arrival = Arrival {
            unit: index,
            loaded,
            timings,
            warnings,
        };
        let mut state = lock(state);
        state
            .install(arrival, of_unit, reporter, settings.swap)
            .map_err(|()| Unpatched::Reported("refused".to_owned()))
    }
}

/// Why a build was not patched in.
#[derive(Debug)]
enum Unpatched {
    /// Reported to the user already (a refusal, a failure).
    Reported(String),
    /// Not from the program's build of the crate (reported by the caller, who may build it
    /// again as the program's).
    OtherBuild,
}

/// Links, loads and installs a patch of the crate `crate_name` made of the objects at `objects`
/// (its rlib, compiled as the runtime compiles it): the reload path without the build, for tests
/// and benchmarks that reload many times. Returns the new version's number.
pub fn reload_from(crate_name: &str, objects: &std::path::Path) -> Result<u64, String> {
    let state = runtime();
    let (unit, index) = {
        // The pipeline's thread discovers the units; wait for it.
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let found = {
                let state = lock(state);
                let index = state.units.iter().position(|u| u.crate_name == crate_name);
                index.map(|index| (state.units[index].clone(), index))
            };
            if let Some(found) = found {
                break found;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no crate {crate_name:?} with #[hot] functions in this program"
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    let host = HostBuild::detect()?;
    let rustc = PathBuf::from(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    let (settings, _) = settings::current();
    let deps = [host.out_dir().join("deps")];
    let patched = tools().patch_in(
        &unit,
        index,
        (objects, &[], &deps),
        &rustc,
        Timings::default(),
        Vec::new(),
        &settings,
        &host.target_dir,
    );
    patched.map_err(|unpatched| match unpatched {
        Unpatched::Reported(why) => why,
        Unpatched::OtherBuild => other_build(&unit),
    })
}

/// What to say when a crate could not be compiled as the program's build of it.
fn other_build(unit: &Unit) -> String {
    format!(
        "{} was compiled with other hashes than the program's build of it has (cargo resolved          its dependencies' features otherwise), so no patch of it can share the program's          statics. Start the program with `cargo run` in the package whose binary it is, with          the features it was built with, and save again",
        unit.label()
    )
}

/// The runtime's thread: the state only it touches.
struct Pipeline {
    host: HostBuild,
    units: Vec<Unit>,
    settings: Settings,
    /// Per unit, the compiler command cargo last gave, while it still applies.
    invocations: Vec<Option<Invocation>>,
}

impl Pipeline {
    /// The pipeline, top to bottom. Never returns while reloading works.
    fn run() {
        let (settings, warnings) = settings::current();
        let reporter = Reporter {
            quiet: settings.quiet,
        };
        for warning in warnings {
            reporter.warning(&warning);
        }
        let host = match HostBuild::detect() {
            Ok(host) => host,
            Err(reason) => return reporter.disabled(&reason),
        };
        let infos = SLOTS.iter().map(|slot| slot.info());
        let units = discover::units(infos);
        if units.is_empty() {
            return; // a test harness: nothing reloads there
        }
        if let Some(state) = RUNTIME.get() {
            lock(state).units = units.clone();
        }
        let roots: Vec<PathBuf> = units
            .iter()
            .map(|u| {
                u.manifest_dir
                    .canonicalize()
                    .unwrap_or_else(|_| u.manifest_dir.clone())
            })
            .collect();
        let extra: Vec<PathBuf> = settings
            .watch
            .iter()
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
            .collect();
        let mut unique_roots = roots.clone();
        unique_roots.dedup();
        let watcher =
            match Watcher::start(&unique_roots, &extra, &host.target_dir, settings.debounce) {
                Ok(watcher) => watcher,
                Err(reason) => return reporter.disabled(&reason),
            };
        let mut changes = Changes::new(roots, host.target_dir.clone());
        changes.also_watch(extra);
        for (index, unit) in units.iter().enumerate() {
            let deps = build::cargo::dep_info(&host.dep_info(unit), std::path::Path::new("/"));
            changes.set_deps(index, deps);
        }
        changes.snapshot();
        watching(reporter, &units);
        let mut pipeline = Pipeline {
            invocations: vec![None; units.len()],
            host,
            units,
            settings,
        };
        if pipeline.settings.warm_up {
            pipeline.warm_up(&mut changes);
        }
        let mut schedule = Schedule::default();
        loop {
            let Some((unit, detected)) = schedule.next() else {
                let Some(batch) = watcher.next_batch() else {
                    return;
                };
                pipeline.watcher_errors(&batch.errors);
                schedule.changed(changes.changed(batch.paths), SystemTime::now());
                continue;
            };
            // Read again for every build: `quiet` and `swap` may change at any time.
            pipeline.settings = settings::current().0;
            let cargo_only = changes.take_cargo_only(unit);
            let built = pipeline.build(unit, cargo_only, Priority::Normal);
            if let Ok(built) = &built {
                changes.set_deps(unit, built.deps.clone());
            }
            let settle = Schedule::settle(built.is_ok());
            let during = watcher.batches_within(settle);
            pipeline.watcher_errors(&during.errors);
            let during = changes.changed(during.paths);
            if schedule.built(unit, detected, &during, SystemTime::now()) == Fate::Finish {
                pipeline.finish(unit, built, detected);
            }
        }
    }

    fn reporter(&self) -> Reporter {
        Reporter {
            quiet: self.settings.quiet,
        }
    }

    fn watcher_errors(&self, errors: &[String]) {
        for error in errors {
            self.reporter().warning(error);
        }
    }

    /// A first compile of each unit before any edit, at a lower priority: it asks cargo for the
    /// command, fills the incremental cache and reads the program's symbols, so that the first
    /// edit reloads as fast as later ones. Silent: nothing is loaded, and a failure is for the
    /// first edit's build to report. An edit made meanwhile waits in the watcher's queue.
    fn warm_up(&mut self, changes: &mut Changes) {
        for unit in 0..self.units.len() {
            let Ok(mut built) = self.build(unit, false, Priority::Low) else {
                continue;
            };
            if self.is_programs_build(unit, &built) == Some(false) && self.as_part_of_program(unit)
            {
                match self.build(unit, true, Priority::Low) {
                    Ok(again) => built = again,
                    Err(_) => continue,
                }
            }
            changes.set_deps(unit, built.deps);
        }
        if let Some(Some(invocation)) = self.invocations.iter().find(|i| i.is_some()) {
            let _ = tools().patcher(invocation.program());
        }
    }

    /// Whether `built` is from the program's build of `unit` (which the patcher tells by the
    /// program's symbols), when that can be told.
    fn is_programs_build(&self, unit: usize, built: &Compiled) -> Option<bool> {
        let rustc = self.invocations[unit].as_ref()?.program().to_path_buf();
        let mut tools = tools();
        let patcher = tools.patcher(&rustc).ok()?;
        patcher.is_programs_build(&built.objects)
    }

    /// A unit's compile directories in the private directory.
    fn dirs(&mut self, unit: usize) -> Result<Dirs, String> {
        let mut tools = tools();
        let copies = tools.copies(&self.host.target_dir, self.reporter())?;
        let unit = &self.units[unit];
        let name = match &unit.bin {
            Some(bin) => format!("{}-bin-{bin}", unit.crate_name),
            None => format!("{}-lib", unit.crate_name),
        };
        let work = copies.path().join(&name);
        let incremental = self
            .host
            .target_dir
            .join("hotfn")
            .join("incremental")
            .join(&name);
        for dir in [work.join("out"), incremental.clone()] {
            std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
        }
        Ok(Dirs {
            out: work.join("out"),
            objects: work.join("objects"),
            // Kept across runs of the program, so that its first compile is incremental too.
            incremental,
            linker: copies.path().join("keep-objects"),
        })
    }

    fn build(
        &mut self,
        unit: usize,
        cargo_only: bool,
        priority: Priority,
    ) -> Result<Compiled, build::Failed> {
        let dirs = self.dirs(unit).map_err(|why| build::Failed {
            why: build::Why::TargetDir(self.host.target_dir.clone()),
            diagnostics: vec![why],
            duration: std::time::Duration::ZERO,
        })?;
        let options = Options {
            direct: self.settings.direct_rustc,
            cargo_only,
            debug_info: self.settings.debug_info,
            color: self.reporter().color(),
            priority,
        };
        build::build(
            &self.host,
            &self.units[unit],
            &dirs,
            &mut self.invocations[unit],
            options,
        )
    }

    /// Links, loads, verifies and binds a build of one unit, or reports why it failed. Any
    /// failure leaves the running code as it was.
    fn finish(
        &mut self,
        unit: usize,
        built: Result<Compiled, build::Failed>,
        detected: SystemTime,
    ) {
        let built = match built {
            Ok(built) => built,
            Err(failed) => {
                return self
                    .reporter()
                    .build_failed(&self.units[unit].label(), &failed);
            }
        };
        let Some(rustc) = self.invocations[unit]
            .as_ref()
            .map(|i| i.program().to_path_buf())
        else {
            return;
        };
        let timings = Timings {
            detected: Some(detected),
            build: built.duration,
            direct_rustc: built.direct_rustc,
            ..Timings::default()
        };
        let patched = tools().patch_in(
            &self.units[unit],
            unit,
            (&built.objects, &built.dependencies, &built.library_dirs),
            &rustc,
            timings,
            built.diagnostics,
            &self.settings,
            &self.host.target_dir,
        );
        if let Err(Unpatched::OtherBuild) = patched {
            if self.as_part_of_program(unit) {
                let again = self.build(unit, true, Priority::Normal);
                return self.finish(unit, again, detected);
            }
            let label = self.units[unit].label();
            self.reporter()
                .load_failed(&label, &other_build(&self.units[unit]));
        }
    }

    /// Has `unit` built from now on as cargo builds it for the program (see
    /// [`HostBuild::command`]), if it does not yet and the program's package is known. Says so:
    /// the program's next `cargo run` compiles the crate once more.
    fn as_part_of_program(&mut self, unit: usize) -> bool {
        let Some(root) = &self.host.root else {
            return false;
        };
        let unit = &mut self.units[unit];
        if unit.with_program || unit.package == root.package {
            return false;
        }
        unit.with_program = true;
        let message = format!(
            "{}: cargo resolves other features for its dependencies when it builds the crate \
             alone than for {}, so it is built as part of {} from now on (the program's next \
             `cargo run` compiles it once more)",
            unit.label(),
            root.package,
            root.package
        );
        self.reporter().warning(&message);
        true
    }
}

/// One line per package (its units' functions together).
fn watching(reporter: Reporter, units: &[Unit]) {
    let mut seen: Vec<&PathBuf> = Vec::new();
    for unit in units {
        if seen.contains(&&unit.manifest_dir) {
            continue;
        }
        seen.push(&unit.manifest_dir);
        let functions = units
            .iter()
            .filter(|u| u.manifest_dir == unit.manifest_dir)
            .map(|u| u.functions)
            .sum();
        reporter.emit(
            Event::Watching {
                package: unit.package.clone(),
                functions,
                dir: unit.manifest_dir.clone(),
            },
            &[],
        );
    }
}

fn write_executable(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(path)?;
    file.write_all(text.as_bytes())
}

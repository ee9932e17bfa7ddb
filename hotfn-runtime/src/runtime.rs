//! The runtime: brought up by the first call of any `#[hot]` function, it runs the pipeline
//! watch → build → load → verify → bind → report on a thread of its own.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use crate::cargo::{self, HostBuild};
use crate::load::{CopyDir, Library};
use crate::registry::{self, Package};
use crate::slot::{FnInfo, RawFn, SLOTS, Slot};
use crate::watch::{Changes, Watcher};
use crate::{bind, report, verify};

struct Runtime {
    state: Mutex<State>,
}

struct State {
    /// Every slot list: the host's first, then each loaded library's, oldest first.
    tables: Vec<&'static [&'static Slot]>,
    /// The code each function runs now.
    current: HashMap<&'static str, RawFn>,
    /// Each function as first seen: the signature its callers were compiled against.
    known: HashMap<&'static str, &'static FnInfo>,
    /// Successful reloads so far.
    version: u64,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime, started on first use.
fn runtime() -> &'static Runtime {
    let mut started = false;
    let runtime = RUNTIME.get_or_init(|| {
        started = true;
        Runtime::new(&SLOTS)
    });
    if started {
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
    let info = slot.info();
    let state = runtime().lock();
    let target = state
        .current
        .get(info.symbol)
        .copied()
        .unwrap_or(info.local);
    slot.bind(target);
    target
}

impl Runtime {
    fn new(host: &'static [&'static Slot]) -> Runtime {
        let infos = || host.iter().map(|slot| slot.info());
        Runtime {
            state: Mutex::new(State {
                tables: vec![host],
                current: infos().map(|info| (info.symbol, info.local)).collect(),
                known: infos().map(|info| (info.symbol, info)).collect(),
                version: 0,
            }),
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
        let packages = registry::packages(self.lock().tables[0].iter().map(|s| s.info()));
        let mut copies = match CopyDir::create() {
            Ok(copies) => copies,
            Err(reason) => return report::disabled(&reason),
        };
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
        while let Some(paths) = watcher.next_batch() {
            for index in changes.changed(paths) {
                self.reload(&host, &packages[index], &mut copies);
            }
        }
    }

    /// Rebuilds, loads, verifies and binds one package. Any failure leaves the running code as
    /// it was.
    fn reload(&self, host: &HostBuild, package: &Package, copies: &mut CopyDir) {
        let built = match cargo::build(host, package, report::color()) {
            Ok(built) => built,
            Err(failed) => {
                report::diagnostics(&failed.diagnostics);
                return report::build_failed(package, failed.duration);
            }
        };
        report::diagnostics(&built.diagnostics);
        let started = Instant::now();
        let library = match copies.copy(&built.library).and_then(|copy| {
            // SAFETY: `copy` is a private copy of the library cargo just built for this package
            // of the host's workspace.
            unsafe { Library::open(&copy) }
        }) {
            Ok(library) => library,
            Err(error) => return report::load_failed(package, &error),
        };
        let manifest_dir = package.manifest_dir.to_string_lossy();
        let mut state = self.lock();
        let built_functions = library.slots.iter().map(|slot| slot.info());
        let plan = match verify::check(&state.known, &manifest_dir, built_functions) {
            Ok(plan) => plan,
            Err(mismatches) => return report::refused(package, &mismatches),
        };
        for info in &plan.functions {
            let target = library.function(info.symbol).unwrap_or(info.local);
            state.current.insert(info.symbol, target);
            state.known.entry(info.symbol).or_insert(info);
        }
        state.tables.push(library.slots);
        bind::bind_all(&state.tables, &state.current);
        state.version += 1;
        let version = state.version;
        drop(state);
        report::reloaded(package, version, &plan, built.duration, started.elapsed());
    }
}

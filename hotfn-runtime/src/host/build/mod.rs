//! Building: compiling one crate of the program again, for a patch.
//!
//! Cargo gives the compiler command (building first whatever the crate depends on that changed);
//! the runtime runs it with the crate's objects kept. While only the crate's own Rust files
//! change, the command is run again without asking cargo, which saves the time cargo spends
//! checking the workspace.

pub mod cargo;
pub mod messages;
pub mod rustc;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use self::cargo::{HostBuild, Priority};
use self::rustc::{Dirs, Invocation};
use crate::host::discover::Unit;

/// A compiled crate.
#[derive(Debug)]
pub struct Compiled {
    /// Its objects: the rlib, or a directory of object files.
    pub objects: PathBuf,
    /// Rlibs of crates it links that were rebuilt since the program was: their code goes into
    /// the patch too.
    pub dependencies: Vec<PathBuf>,
    /// Where the rlibs of its dependencies are.
    pub library_dirs: Vec<PathBuf>,
    /// The files the compile read, if known.
    pub deps: Option<Vec<PathBuf>>,
    /// Warnings, rendered.
    pub diagnostics: Vec<String>,
    pub duration: Duration,
    /// Whether the compiler ran without cargo first.
    pub direct_rustc: bool,
}

/// A failed build: what cargo and the compiler said.
#[derive(Debug)]
pub struct Failed {
    pub why: Why,
    pub diagnostics: Vec<String>,
    pub duration: Duration,
}

/// Why a build failed, which decides what the user is told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The code does not compile (or cargo refused the project): fix it and save again.
    Error,
    /// Cargo (or the compiler) could not be started at all.
    NoCargo,
    /// Cargo could not use the target directory (permissions, a full disk, a file in the way):
    /// nothing is wrong with the code.
    TargetDir(PathBuf),
    /// Cargo or the compiler was killed (by the user, or the system running out of memory):
    /// nothing is wrong with the code; save again to retry.
    Killed(String),
}

/// How a build is made, from the settings and the watcher.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Whether the compiler may run without asking cargo first (`Config::direct_rustc`).
    pub direct: bool,
    /// Whether something changed that only cargo knows how to build (a manifest, a build
    /// script, a file that is not Rust).
    pub cargo_only: bool,
    pub debug_info: bool,
    pub color: bool,
    pub priority: Priority,
}

/// Compiles `unit` into `dirs`. `invocation` is the command cargo last gave for it, run again
/// when it still applies, and replaced when cargo is asked.
pub fn build(
    host: &HostBuild,
    unit: &Unit,
    dirs: &Dirs,
    invocation: &mut Option<Invocation>,
    options: Options,
) -> Result<Compiled, Failed> {
    let started = Instant::now();
    let direct = options.direct
        && !options.cargo_only
        && invocation
            .as_ref()
            .is_some_and(|i| !i.has_build_script() && !i.dependency_changed());
    let with_time = |mut failed: Failed| {
        failed.duration = started.elapsed();
        failed
    };
    if !direct {
        *invocation = None;
        *invocation =
            Some(cargo::capture(host, unit, options.color, options.priority).map_err(with_time)?);
    }
    let Some(current) = invocation.clone() else {
        unreachable!("captured above")
    };
    let mut compiled = current.compile(dirs, options.debug_info, options.color);
    if direct && matches!(&compiled, Err(failed) if !matches!(failed.why, Why::Killed(_))) {
        // Cargo may know better (a dependency rebuilt since, a file the command does not name):
        // ask it, and compile again if it gives another command.
        let again =
            cargo::capture(host, unit, options.color, options.priority).map_err(with_time)?;
        if again != current {
            compiled = again.compile(dirs, options.debug_info, options.color);
        }
        *invocation = Some(again);
    }
    let mut compiled = compiled.map_err(with_time)?;
    compiled.direct_rustc = direct;
    compiled.duration = started.elapsed();
    if let Some(invocation) = invocation {
        let program_built = program_built();
        compiled.dependencies = invocation
            .externs()
            .into_iter()
            .filter(|rlib| modified(rlib).is_some_and(|m| Some(m) > program_built))
            .collect();
    }
    Ok(compiled)
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// When the running executable was linked.
fn program_built() -> Option<SystemTime> {
    modified(std::path::Path::new("/proc/self/exe"))
}

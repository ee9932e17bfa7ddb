//! What the attribute costs the compiler: `cargo build --lib` of a generated crate, clean and
//! after a one-line edit, with the `hot` feature and without, in one target directory (so the
//! dependencies are built once, before anything is timed, and only the crate compiles).
//!
//! Every build is timed by the wall clock and by the processor time of cargo and the compiler
//! (`cutime + cstime` of this process, which counts every child it waited for, and their
//! children): on a machine shared with other builds the second is the steadier.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::generate::Crate;

/// How the crate is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Hot,
}

impl Mode {
    fn features(self) -> &'static [&'static str] {
        match self {
            Mode::Off => &[],
            Mode::Hot => &["--features", "hot"],
        }
    }
}

/// One build's time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timed {
    pub wall: Duration,
    pub cpu: Duration,
}

/// The builds of one crate.
#[derive(Debug, Default)]
pub struct Builds {
    pub clean_off: Timed,
    pub clean_hot: Timed,
    /// One per edit.
    pub edit_off: Vec<Timed>,
    pub edit_hot: Vec<Timed>,
}

/// `cargo <args>` in `dir`, with the benchmark's target directory.
pub fn cargo(dir: &Path, target_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env("NO_COLOR", "1");
    command
}

/// Runs `command` to its end; fails with its messages.
pub fn run(mut command: Command) -> Result<Timed, String> {
    let cpu = children_cpu();
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|error| format!("cannot run {command:?}: {error}"))?;
    let wall = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(Timed {
        wall,
        cpu: children_cpu().saturating_sub(cpu),
    })
}

/// `cargo build --lib` of `krate` in `mode`.
pub fn build(krate: &Crate, target_dir: &Path, mode: Mode) -> Result<Timed, String> {
    let mut args = vec!["build", "--lib", "--quiet"];
    args.extend(mode.features());
    run(cargo(krate.dir(), target_dir, &args))
}

/// The program, in `mode` (its library is built already).
pub fn build_program(krate: &Crate, target_dir: &Path, mode: Mode) -> Result<(), String> {
    let mut args = vec!["build", "--quiet"];
    args.extend(mode.features());
    run(cargo(krate.dir(), target_dir, &args)).map(drop)
}

/// Clean builds of a freshly generated `krate` in both modes, then `edits` one-line edits, each
/// built in both modes.
pub fn measure(krate: &mut Crate, target_dir: &Path, edits: usize) -> Result<Builds, String> {
    let label = krate.package.clone();
    let mut builds = Builds {
        clean_off: build(krate, target_dir, Mode::Off)?,
        ..Builds::default()
    };
    builds.clean_hot = build(krate, target_dir, Mode::Hot)?;
    eprintln!(
        "scale: {label}: clean build {:.1} s off, {:.1} s hot",
        builds.clean_off.wall.as_secs_f64(),
        builds.clean_hot.wall.as_secs_f64()
    );
    for _ in 0..edits {
        krate.edit()?;
        // By turns which mode builds first, so that neither is always the one after an idle
        // moment.
        let off_first = krate.edits % 2 == 1;
        let (first, second) = match off_first {
            true => (Mode::Off, Mode::Hot),
            false => (Mode::Hot, Mode::Off),
        };
        let a = build(krate, target_dir, first)?;
        let b = build(krate, target_dir, second)?;
        let (off, hot) = if off_first { (a, b) } else { (b, a) };
        eprintln!(
            "scale: {label}: edit {}: build {:.2} s off, {:.2} s hot",
            krate.edits,
            off.wall.as_secs_f64(),
            hot.wall.as_secs_f64()
        );
        builds.edit_off.push(off);
        builds.edit_hot.push(hot);
    }
    Ok(builds)
}

/// Processor time of the children this process waited for, from `/proc/self/stat` (fields 16
/// and 17, in clock ticks of 1/100 s, as Linux always reports them).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // After the name, the fields count from 3 (the state).
    let ticks = |field: usize| -> u64 {
        fields
            .get(field - 3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(16) + ticks(17)) * 10)
}

//! How hotfn's costs grow: with the number of `#[hot]` functions, with the length of a session,
//! and with the size of the crate.
//!
//! `cargo bench -p hotfn-bench --bench scale` generates crates with N = 1, 10, 100 and 1000
//! `#[hot]` functions (`generate.rs`: free functions, methods of `#[hot] impl` blocks, a few
//! `#[hot] static`s, each body a few lines of real work, all called every millisecond by the
//! program, `bench/fixtures/scale/main.rs`), builds them in `target/hotfn-bench/scale` and, for
//! each N:
//!
//! 1. `cargo build --lib`, clean and after one-line edits, with the `hot` feature and without
//!    (`compile.rs`);
//! 2. starts the program and times the runtime's start: to `[hotfn] watching`, and to the end of
//!    its warm-up build;
//! 3. edits `marker()` while it runs: save → new code, and what the runtime timed; then installs
//!    the last build again and again without building (the runtime's test entry point
//!    `reload_from`), for the runtime's own part with many samples;
//! 4. times calls of `marker()` with N slots present: feature off, hot mode, after reloads.
//!
//! Then a long session of the N = 100 crate (`HOTFN_SCALE_LONG_N`): 500 reloads in one process,
//! every tenth a real edit and build, the others that build installed again, with resident
//! memory, mapped patches and patch files on disk after every 100. Last, the demo with its rules
//! module grown to about 10 000 lines of generated rules `step` calls: save → new code against a
//! bare cdylib build of the same edit (the reload benchmark's series and reference, reused).
//!
//! It prints one table per part and the targets of issue 15, met or not; nothing asserts a
//! figure. Settings: `HOTFN_SCALE_N=1,10,100` (which N), `HOTFN_SCALE_ONLY=grow,long,demo`
//! (which parts), `HOTFN_SCALE_BUILDS=3` (edit builds per mode), `HOTFN_SCALE_EDITS=5` (edits
//! of a running program), `HOTFN_SCALE_INSTALLS=20` (reloads without a build, per N),
//! `HOTFN_SCALE_RELOADS=500`, `HOTFN_SCALE_REAL_EVERY=10` (the long session),
//! `HOTFN_SCALE_DEMO_LINES=10000`. Run without `--bench` (`cargo test --benches`), it only
//! checks its generator and parsing.

mod compile;
mod generate;
mod grow;
mod long;
mod session;

// The reload benchmark's helpers, shared: a running program's timestamped lines, the copies of
// the demo, its series of edits and bare builds, the timings line and the Markdown tables.
#[allow(dead_code)]
#[path = "../reload/fixture.rs"]
mod fixture;
#[allow(dead_code)]
#[path = "../reload/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../reload/program.rs"]
mod program;
#[allow(dead_code)]
#[path = "../reload/table.rs"]
mod table;

use std::path::{Path, PathBuf};

/// A setting from the environment, or its default.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !measure::benchmarking() {
        measure::check_parsing();
        grow::check();
        println!("scale: generator checked; `cargo bench -p hotfn-bench --bench scale` measures");
        return;
    }
    let sizes: Vec<usize> = std::env::var("HOTFN_SCALE_N")
        .unwrap_or_else(|_| "1,10,100,1000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let only = std::env::var("HOTFN_SCALE_ONLY").ok();
    let wanted = |part: &str| {
        only.as_ref()
            .is_none_or(|only| only.split(',').any(|o| o.trim() == part))
    };
    let target = target_dir().join("hotfn-bench").join("scale");
    let started = std::time::Instant::now();
    if let Err(error) = grow::prepare(&target) {
        eprintln!("scale: cannot build the dependencies: {error}");
        return;
    }
    let mut grown = Vec::new();
    if wanted("grow") {
        grown = grow::run(&target, &sizes);
    }
    let mut session = None;
    if wanted("long") {
        let n = setting("HOTFN_SCALE_LONG_N", 100);
        session = Some(long::run(&target, n, grown.iter_mut().find(|g| g.n == n)));
    }
    let mut demo = None;
    if wanted("demo") {
        demo = Some(long::demo(&target));
    }
    println!();
    if !grown.is_empty() {
        grow::print(&grown);
        println!();
    }
    if let Some(session) = &session {
        long::print(session);
        println!();
    }
    if let Some(demo) = &demo {
        long::print_demo(demo);
        println!();
    }
    println!(
        "scale: {:.1} minutes in all",
        started.elapsed().as_secs_f64() / 60.0
    );
}

/// Cargo's target directory (cargo gives benchmarks a directory of their own inside it).
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

//! Reload latency, broken down: how long each step of a reload takes after a real one-line edit
//! of a running program, next to a bare cargo build of the same edit and to hot-lib-reloader.
//!
//! `cargo bench -p hotfn-bench --bench reload` copies three programs to temporary directories
//! (built in `target/hotfn-bench/reload`, shared by every run, so only the copied crates compile
//! again) and, for each series, makes 2 edits that are not recorded (the first builds after a
//! start find caches still cold) and then 20 that are (`HOTFN_BENCH_EDITS=n` for another
//! number):
//!
//! - `counter` (`bench/fixtures/counter`): a `#[hot]` function returning a number, called every
//!   millisecond, its value printed when it changes; `on_event` prints each reload's
//!   [`Timings`](hotfn_runtime::Timings). Run with `cargo run --features hot`.
//! - `demo`: the asteroids demo, copied as the end-to-end tests copy it, `--headless --fps 500
//!   --timings`; each edit changes `GRAVITY` in `src/rules.rs`.
//! - after each hotfn series, with the program stopped, the same edits each followed by a bare
//!   `cargo rustc --lib --crate-type cdylib` (same profile, features, target directory), timed
//!   alone: the reference, what a reloader that loads a cdylib builds per edit;
//! - `hot-lib-reloader` (`bench/fixtures/hlr`): the counter for hot-lib-reloader 0.8 as its README
//!   sets it up (a `dylib` crate and a binary), the library rebuilt by the benchmark right after
//!   each save; once with its default file watch debounce (500 ms), once with hotfn's (20 ms).
//!
//! Every reload is a patch: the crate compiled again, its objects linked with rust-lld against
//! the running program and loaded. Its rows: what the runtime timed (build, link, open, verify,
//! bind) and the patch's size, from each reload's `Timings`.
//!
//! Then one Markdown table and the targets, each met or not. Nothing asserts timings. Run
//! without `--bench` (`cargo test --benches`), it only checks its own parsing.

mod fixture;
mod measure;
mod program;
mod table;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fixture::App;
use measure::{HlrSample, HotfnSample, Observe, since};
use table::{Table, Target};

/// Recorded edits per series.
const EDITS: usize = 20;
/// Edits before those, not recorded.
const WARMUP: usize = 2;
/// hot-lib-reloader's file watch debounce: its default, and hotfn's (the one compared).
const HLR_DEFAULT_DEBOUNCE: u64 = 500;
const HLR_SAME_DEBOUNCE: u64 = 20;

fn main() {
    if !measure::benchmarking() {
        measure::check_parsing();
        table::check_stats();
        println!("reload: parsing checked; `cargo bench -p hotfn-bench --bench reload` measures");
        return;
    }
    let edits = std::env::var("HOTFN_BENCH_EDITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(EDITS);
    let counts = (WARMUP, edits);
    // `HOTFN_BENCH_ONLY=counter,demo,hlr`: some of the series (for working on one of them).
    let only = std::env::var("HOTFN_BENCH_ONLY").ok();
    let wanted = |name: &str| {
        only.as_ref()
            .is_none_or(|only| only.split(',').any(|o| o == name))
    };
    let target = target_dir().join("hotfn-bench").join("reload");
    let mut table = Table::default();
    let mut results = Results::default();
    if wanted("counter") {
        counter(&target, counts, &mut table, &mut results);
    }
    if wanted("demo") {
        demo(&target, counts, &mut table, &mut results);
    }
    if wanted("hlr") {
        hot_lib_reloader(&target, counts, &mut table, &mut results);
    }
    println!();
    println!(
        "Reload latency: {edits} edits per series after {WARMUP} unrecorded; \
         p50 / p90 / min / max in ms"
    );
    println!();
    table.print();
    println!();
    println!("Targets, from this run:");
    println!();
    table::print_targets(&results.targets());
}

/// What the targets are computed from; `None` where a series was not measured.
#[derive(Default)]
struct Results {
    counter: Option<Vec<HotfnSample>>,
    counter_bare: Option<Vec<Duration>>,
    demo: Option<Vec<HotfnSample>>,
    demo_bare: Option<Vec<Duration>>,
    /// Per debounce in ms.
    hlr: Vec<(u64, Option<Vec<HlrSample>>)>,
}

/// The counter, then a bare build of each of its edits.
fn counter(target: &Path, counts: (usize, usize), table: &mut Table, results: &mut Results) {
    let mut app = match App::counter(target) {
        Ok(app) => app,
        Err(error) => return eprintln!("reload: counter not measured: {error}"),
    };
    let args = ["run", "--features", "hot"];
    let samples = measure::hotfn_series(&mut app, "counter", &args, Observe::Marker, counts);
    let bare = measure::bare_cargo(&mut app, "counter", counts);
    table.heading("counter: a #[hot] fn returning a number");
    hotfn_rows(table, &samples);
    bare_row(table, &bare);
    results.counter = samples.ok();
    results.counter_bare = bare.ok();
}

/// The demo, then bare builds.
fn demo(target: &Path, counts: (usize, usize), table: &mut Table, results: &mut Results) {
    let mut app = App::demo(target);
    let args = measure::DEMO_ARGS;
    let samples = measure::hotfn_series(&mut app, "demo", &args, Observe::Version, counts);
    let bare = measure::bare_cargo(&mut app, "demo", counts);
    table.heading("demo: asteroids, GRAVITY edited");
    hotfn_rows(table, &samples);
    bare_row(table, &bare);
    results.demo = samples.ok();
    results.demo_bare = bare.ok();
}

/// hot-lib-reloader on the counter, with its default debounce and with hotfn's.
fn hot_lib_reloader(
    target: &Path,
    counts: (usize, usize),
    table: &mut Table,
    results: &mut Results,
) {
    let mut app = match App::hot_lib_reloader(target) {
        Ok(app) => app,
        Err(error) => return eprintln!("reload: hot-lib-reloader not measured: {error}"),
    };
    for debounce in [HLR_DEFAULT_DEBOUNCE, HLR_SAME_DEBOUNCE] {
        let label = format!("hot-lib-reloader, {debounce} ms debounce");
        let samples = measure::hlr_series(&mut app, &label, debounce, counts);
        table.heading(format!(
            "hot-lib-reloader 0.8: the counter, {debounce} ms debounce"
        ));
        hlr_rows(table, &samples);
        results.hlr.push((debounce, samples.ok()));
    }
}

impl Results {
    /// The targets, with the values of this run.
    fn targets(&self) -> Vec<Target> {
        fn p50(samples: Option<Vec<Duration>>) -> Option<f64> {
            table::Stats::of(samples?).map(|s| s.p50)
        }
        fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
            Some(a? / b?)
        }
        let framework = |samples: &Option<Vec<HotfnSample>>| {
            p50(samples
                .as_ref()
                .map(|s| s.iter().map(|s| s.reload.framework()).collect()))
        };
        let observed = |samples: &Option<Vec<HotfnSample>>| {
            p50(samples
                .as_ref()
                .map(|s| s.iter().map(|s| since(s.save, s.observed)).collect()))
        };
        let mut targets = Vec::new();
        for (name, samples, bare) in [
            ("counter", &self.counter, &self.counter_bare),
            ("demo", &self.demo, &self.demo_bare),
        ] {
            targets.push(Target {
                what: format!("{name}: save → new code p50 / bare cdylib build p50"),
                value: ratio(observed(samples), p50(bare.clone())),
                limit: 0.6,
                unit: "×",
            });
        }
        // Only against the same debounce: the default's 500 ms would make the comparison the
        // debounce's.
        let hlr = self
            .hlr
            .iter()
            .find(|(debounce, _)| *debounce == HLR_SAME_DEBOUNCE)
            .and_then(|(_, samples)| samples.as_ref())
            .map(|s| s.iter().map(|s| s.observed).collect());
        targets.push(Target {
            what: format!(
                "counter: save → new code p50 / hot-lib-reloader ({HLR_SAME_DEBOUNCE} ms \
                 debounce) p50"
            ),
            value: ratio(observed(&self.counter), p50(hlr)),
            limit: 0.5,
            unit: "×",
        });
        for (name, samples) in [("counter", &self.counter), ("demo", &self.demo)] {
            targets.push(Target {
                what: format!("{name}: framework (open + verify + bind), p50"),
                value: framework(samples),
                limit: 5.0,
                unit: "ms",
            });
        }
        targets
    }
}

/// The rows of one hotfn series.
fn hotfn_rows(table: &mut Table, samples: &Result<Vec<HotfnSample>, String>) {
    let samples = match samples {
        Ok(samples) => samples,
        Err(error) => {
            eprintln!("reload: series not measured: {error}");
            let first = error.lines().next().unwrap_or_default();
            return table.missing("not measured", first);
        }
    };
    let each = |f: fn(&HotfnSample) -> Duration| samples.iter().map(f).collect::<Vec<_>>();
    let patches = samples
        .iter()
        .filter(|s| s.reload.path() == "patch")
        .count();
    table.text("path", format!("patch: {patches} of {}", samples.len()));
    table.row(
        "save → change detected (the 20 ms debounce)",
        each(|s| since(s.save, s.reload.detected)),
    );
    let by_rustc = samples.iter().filter(|s| s.reload.rustc).count();
    table.row(
        format!(
            "build, as the runtime timed it (rustc alone: {by_rustc} of {})",
            samples.len()
        ),
        each(|s| s.reload.build),
    );
    table.sizes(
        "patch size (KB)",
        samples.iter().map(|s| s.reload.patch_bytes),
    );
    table.row(
        "link (objects, bindings, rust-lld)",
        each(|s| s.reload.link),
    );
    table.row(
        "open (dlopen, initialisers, checks)",
        each(|s| s.reload.open),
    );
    table.row("verify (fingerprints, layouts)", each(|s| s.reload.verify));
    table.row("bind (slots and states)", each(|s| s.reload.bind));
    table.row(
        "framework: open + verify + bind",
        each(|s| s.reload.framework()),
    );
    table.row(
        "rest of save → applied (waits, bookkeeping)",
        each(|s| {
            let r = &s.reload;
            since(s.save, r.applied)
                .saturating_sub(since(s.save, r.detected) + r.build + r.link + r.framework())
        }),
    );
    table.row(
        "save → applied (calls go to new code)",
        each(|s| since(s.save, s.reload.applied)),
    );
    table.row(
        "save → new code observed",
        each(|s| since(s.save, s.observed)),
    );
}

/// The row of a series of bare builds.
fn bare_row(table: &mut Table, bare: &Result<Vec<Duration>, String>) {
    let name = "bare `cargo rustc --lib --crate-type cdylib`";
    match bare {
        Ok(times) => table.row(name, times.iter().copied()),
        Err(error) => {
            eprintln!("reload: bare cargo not measured: {error}");
            table.missing(name, error.lines().next().unwrap_or_default());
        }
    }
}

/// The rows of one hot-lib-reloader series.
fn hlr_rows(table: &mut Table, samples: &Result<Vec<HlrSample>, String>) {
    match samples {
        Ok(samples) => {
            table.row(
                "cargo build of the dylib (run by the benchmark)",
                samples.iter().map(|s| s.build),
            );
            table.row(
                "save → new code observed",
                samples.iter().map(|s| s.observed),
            );
        }
        Err(error) => {
            eprintln!("reload: hot-lib-reloader not measured: {error}");
            table.missing("not measured", error.lines().next().unwrap_or_default());
        }
    }
}

/// Cargo's target directory: the nearest ancestor of this executable that cargo tagged as one
/// (it lives in `<target>/release/deps`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe()
        .and_then(|exe| exe.canonicalize())
        .expect("the benchmark's own path");
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("{} is not in a cargo target directory", exe.display()))
}

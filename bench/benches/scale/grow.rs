//! Growing N, the number of `#[hot]` functions: for each N a crate is generated, built in both
//! modes, started, edited while it runs, reloaded without builds, and its calls timed. One column
//! per N in the table.

use std::path::Path;
use std::time::Duration;

use crate::compile::{self, Builds, Mode, Timed};
use crate::generate::Crate;
use crate::measure::{HotfnSample, Reload};
use crate::session::{Calls, Running, Startup, save_to_new_code};
use crate::setting;
use crate::table::{self, Stats, Target};

/// Edits of a running program before those recorded: the first after a start.
const WARMUP: usize = 1;

/// What was measured for one N; `None` or empty where it could not be.
pub struct Grown {
    pub n: usize,
    pub lines: usize,
    pub builds: Option<Builds>,
    pub startup: Option<Startup>,
    pub edits: Vec<HotfnSample>,
    /// Reloads of the last build, without building.
    pub installs: Vec<Reload>,
    pub calls_off: Option<Calls>,
    pub calls_hot: Option<Calls>,
    pub calls_reloaded: Option<Calls>,
    /// The crate, built in both modes, for the long session.
    pub krate: Option<Crate>,
}

/// Builds what every generated crate depends on, in both modes, with a crate of one function:
/// nothing timed later compiles a dependency.
pub fn prepare(target: &Path) -> Result<(), String> {
    eprintln!("scale: building the dependencies (once; later runs find them built)");
    let krate = Crate::named("hotfn-scale-dependencies".into(), 1)?;
    for mode in [Mode::Off, Mode::Hot] {
        compile::build_program(&krate, target, mode)?;
    }
    Ok(())
}

/// Measures every N of `sizes`, in order.
pub fn run(target: &Path, sizes: &[usize]) -> Vec<Grown> {
    sizes
        .iter()
        .map(|&n| {
            let mut grown = Grown {
                n,
                lines: 0,
                builds: None,
                startup: None,
                edits: Vec::new(),
                installs: Vec::new(),
                calls_off: None,
                calls_hot: None,
                calls_reloaded: None,
                krate: None,
            };
            if let Err(error) = measure(target, &mut grown) {
                eprintln!("scale: N = {n}: not measured in full: {error}");
            }
            grown
        })
        .collect()
}

fn measure(target: &Path, grown: &mut Grown) -> Result<(), String> {
    let mut krate = Crate::generate(grown.n)?;
    grown.lines = krate.lines;
    eprintln!(
        "scale: N = {}: {} lines in {}",
        grown.n,
        krate.lines,
        krate.dir().display()
    );
    grown.builds = Some(compile::measure(
        &mut krate,
        target,
        setting("HOTFN_SCALE_BUILDS", 3),
    )?);

    compile::build_program(&krate, target, Mode::Hot)?;
    let (mut running, startup) = Running::start(&krate, target, Mode::Hot)?;
    grown.startup = Some(startup);
    grown.calls_hot = Some(running.calls()?);
    let edits = setting("HOTFN_SCALE_EDITS", 5);
    for edit in 0..WARMUP + edits {
        let sample = running.edit(&mut krate)?;
        let r = &sample.reload;
        eprintln!(
            "scale: N = {}: edit {}{}: build {} ms, link {:.1} ms, open+verify+bind {:.2} ms, \
             save → new code {} ms",
            grown.n,
            edit + 1,
            if edit < WARMUP { " (warm-up)" } else { "" },
            r.build.as_millis(),
            ms(r.link),
            ms(r.framework()),
            save_to_new_code(&sample).as_millis()
        );
        if edit >= WARMUP {
            grown.edits.push(sample);
        }
    }
    grown.calls_reloaded = Some(running.calls()?);
    let variant = keep(&running.built_rlib()?, target, &krate.crate_name)?;
    for _ in 0..setting("HOTFN_SCALE_INSTALLS", 20) {
        grown.installs.push(running.install(&variant)?);
    }
    if let Some(part) = Stats::of(grown.installs.iter().map(Reload::framework)) {
        eprintln!(
            "scale: N = {}: {} reloads without a build: open+verify+bind p50 {:.2} ms",
            grown.n,
            grown.installs.len(),
            part.p50
        );
    }
    running.stop();

    compile::build_program(&krate, target, Mode::Off)?;
    let (mut running, _) = Running::start(&krate, target, Mode::Off)?;
    grown.calls_off = Some(running.calls()?);
    running.stop();
    grown.krate = Some(krate);
    Ok(())
}

/// A copy of the rlib a build of the runtime made, to install again: the runtime's next build
/// would overwrite its own.
pub fn keep(rlib: &Path, target: &Path, crate_name: &str) -> Result<std::path::PathBuf, String> {
    let dir = target.join("variants");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let copy = dir.join(format!("lib{crate_name}.rlib"));
    std::fs::copy(rlib, &copy)
        .map_err(|e| format!("{} → {}: {e}", rlib.display(), copy.display()))?;
    Ok(copy)
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The median of `values`.
fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    Stats::of_values(values).map(|s| s.p50)
}

/// The median time of `builds`, and that of their processor time.
fn median_build(builds: &[Timed]) -> Option<Timed> {
    let wall = median(builds.iter().map(|b| b.wall.as_secs_f64()))?;
    let cpu = median(builds.iter().map(|b| b.cpu.as_secs_f64()))?;
    Some(Timed {
        wall: Duration::from_secs_f64(wall),
        cpu: Duration::from_secs_f64(cpu),
    })
}

/// What the table and the targets show of one N.
struct Column {
    n: usize,
    clean: Option<(Timed, Timed)>,
    edit: Option<(Timed, Timed)>,
    /// Median of the reloads without a build: link, open, verify, bind.
    link: Option<f64>,
    open: Option<f64>,
    verify: Option<f64>,
    bind: Option<f64>,
    part: Option<f64>,
}

impl Column {
    fn of(grown: &Grown) -> Column {
        let builds = grown.builds.as_ref();
        let installs = |f: fn(&Reload) -> Duration| median(grown.installs.iter().map(|r| ms(f(r))));
        Column {
            n: grown.n,
            clean: builds.map(|b| (b.clean_off, b.clean_hot)),
            edit: builds
                .and_then(|b| Some((median_build(&b.edit_off)?, median_build(&b.edit_hot)?))),
            link: installs(|r| r.link),
            open: installs(|r| r.open),
            verify: installs(|r| r.verify),
            bind: installs(|r| r.bind),
            part: installs(Reload::framework),
        }
    }
}

/// The table, one column per N, then the targets.
pub fn print(grown: &[Grown]) {
    let columns: Vec<Column> = grown.iter().map(Column::of).collect();
    let mut header = String::from("| |");
    let mut rule = String::from("|---|");
    for g in grown {
        header.push_str(&format!(" N = {} |", g.n));
        rule.push_str("---:|");
    }
    println!(
        "How costs grow with N `#[hot]` functions (one run; medians unless a row says otherwise)"
    );
    println!();
    println!("{header}");
    println!("{rule}");
    let row = |name: &str, cells: Vec<Option<String>>| {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "–".into()))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    let heading = |name: &str| {
        println!("| **{name}** |{}", " |".repeat(grown.len()));
    };
    let seconds = |t: Timed| format!("{:.2}", t.wall.as_secs_f64());
    let ratio = |(off, hot): (Timed, Timed)| {
        format!(
            "{:.2}× (CPU {:.2}×)",
            hot.wall.as_secs_f64() / off.wall.as_secs_f64(),
            hot.cpu.as_secs_f64() / off.cpu.as_secs_f64().max(1e-3)
        )
    };
    let builds = setting("HOTFN_SCALE_BUILDS", 3);
    row(
        "lines of Rust",
        grown.iter().map(|g| Some(g.lines.to_string())).collect(),
    );
    heading("compile: `cargo build --lib`, s");
    row(
        "clean, feature off",
        columns
            .iter()
            .map(|c| c.clean.map(|c| seconds(c.0)))
            .collect(),
    );
    row(
        "clean, hot",
        columns
            .iter()
            .map(|c| c.clean.map(|c| seconds(c.1)))
            .collect(),
    );
    row(
        "clean, hot / off",
        columns.iter().map(|c| c.clean.map(ratio)).collect(),
    );
    row(
        &format!("one-line edit, feature off (median of {builds})"),
        columns
            .iter()
            .map(|c| c.edit.map(|e| seconds(e.0)))
            .collect(),
    );
    row(
        "one-line edit, hot",
        columns
            .iter()
            .map(|c| c.edit.map(|e| seconds(e.1)))
            .collect(),
    );
    row(
        "one-line edit, hot / off",
        columns.iter().map(|c| c.edit.map(ratio)).collect(),
    );
    heading("start-up, from the program's start");
    row(
        "to `[hotfn] watching`, ms",
        grown
            .iter()
            .map(|g| g.startup.map(|s| format!("{:.0}", ms(s.watching))))
            .collect(),
    );
    row(
        "to the warm-up build done, s",
        grown
            .iter()
            .map(|g| g.startup.map(|s| format!("{:.1}", s.warmed.as_secs_f64())))
            .collect(),
    );
    let edits = setting("HOTFN_SCALE_EDITS", 5);
    heading(&format!(
        "a reload after an edit of `marker()`, ms (median of {edits})"
    ));
    let of_edits = |f: &dyn Fn(&HotfnSample) -> f64| -> Vec<Option<String>> {
        grown
            .iter()
            .map(|g| median(g.edits.iter().map(f)).map(short))
            .collect()
    };
    row("save → new code", of_edits(&|s| ms(save_to_new_code(s))));
    row("build (the compiler)", of_edits(&|s| ms(s.reload.build)));
    row("link", of_edits(&|s| ms(s.reload.link)));
    row(
        "patch size, KB",
        of_edits(&|s| s.reload.patch_bytes as f64 / 1024.0),
    );
    let installs = setting("HOTFN_SCALE_INSTALLS", 20);
    heading(&format!(
        "the runtime's part, ms (median of {installs} reloads of the last build, without building)"
    ));
    row(
        "link (objects, plan, rust-lld)",
        columns.iter().map(|c| c.link.map(short)).collect(),
    );
    row("open", columns.iter().map(|c| c.open.map(short)).collect());
    row(
        "verify",
        columns.iter().map(|c| c.verify.map(short)).collect(),
    );
    row("bind", columns.iter().map(|c| c.bind.map(short)).collect());
    row(
        "open + verify + bind",
        columns.iter().map(|c| c.part.map(short)).collect(),
    );
    row(
        "open + verify + bind per function, µs",
        columns
            .iter()
            .map(|c| c.part.map(|p| short(p * 1e3 / c.n as f64)))
            .collect(),
    );
    heading("a call of `marker()`, ns: best (median) of 9 rounds of 4 M calls; debug build");
    let calls = |f: fn(&Grown) -> Option<Calls>| -> Vec<Option<String>> {
        grown
            .iter()
            .map(|g| f(g).map(|c| format!("{:.2} ({:.2})", c.best, c.median)))
            .collect()
    };
    row("feature off", calls(|g| g.calls_off));
    row("hot mode", calls(|g| g.calls_hot));
    row("hot mode, after reloads", calls(|g| g.calls_reloaded));
    println!();
    println!("Targets of issue 15, from this run:");
    println!();
    table::print_targets(&targets(grown, &columns));
}

fn targets(grown: &[Grown], columns: &[Column]) -> Vec<Target> {
    let largest = columns.iter().max_by_key(|c| c.n);
    let n = largest.map_or(0, |c| c.n);
    let ratio = |pair: Option<(Timed, Timed)>, cpu: bool| {
        pair.map(|(off, hot)| match cpu {
            false => hot.wall.as_secs_f64() / off.wall.as_secs_f64(),
            true => hot.cpu.as_secs_f64() / off.cpu.as_secs_f64().max(1e-3),
        })
    };
    let mut targets = Vec::new();
    for (what, pair) in [
        ("clean", largest.and_then(|c| c.clean)),
        ("one-line edit", largest.and_then(|c| c.edit)),
    ] {
        for cpu in [false, true] {
            targets.push(Target {
                what: format!(
                    "N = {n}: {what} build, hot / feature off{}",
                    if cpu {
                        " (processor time)"
                    } else {
                        " (wall clock)"
                    }
                ),
                value: ratio(pair, cpu),
                limit: 1.3,
                unit: "×",
            });
        }
    }
    targets.push(Target {
        what: format!("N = {n}: the runtime's part of a reload (open + verify + bind), p50"),
        value: largest.and_then(|c| c.part),
        limit: 5.0,
        unit: "ms",
    });
    targets.push(Target {
        what: format!("N = {n}: the same per function"),
        value: largest.and_then(|c| Some(c.part? * 1e3 / n as f64)),
        limit: 5.0,
        unit: "µs",
    });
    // Linear growth keeps the cost per function where it was (or lowers it, as fixed costs
    // spread); faster growth raises it.
    let per_function = |c: &Column| Some(c.part? / c.n as f64);
    let previous = columns.iter().filter(|c| c.n < n).max_by_key(|c| c.n);
    targets.push(Target {
        what: format!(
            "open + verify + bind per function, N = {n} / N = {} (no faster than linear)",
            previous.map_or(0, |c| c.n)
        ),
        value: largest
            .zip(previous)
            .and_then(|(l, p)| Some(per_function(l)? / per_function(p)?)),
        limit: 1.2,
        unit: "×",
    });
    for (what, calls) in [
        (
            "hot mode",
            grown.iter().map(|g| g.calls_hot).collect::<Vec<_>>(),
        ),
        (
            "after reloads",
            grown.iter().map(|g| g.calls_reloaded).collect(),
        ),
    ] {
        let best: Vec<f64> = calls.iter().flatten().map(|c| c.best).collect();
        let spread = (best.len() > 1).then(|| {
            let max = best.iter().copied().fold(f64::MIN, f64::max);
            let min = best.iter().copied().fold(f64::MAX, f64::min);
            max / min
        });
        targets.push(Target {
            what: format!("a call, {what}: slowest N / fastest N (independent of N, within 10%)"),
            value: spread,
            limit: 1.1,
            unit: "×",
        });
    }
    targets
}

/// `412`, `12.3` or `0.41` (the reload benchmark's figures).
fn short(value: f64) -> String {
    match value {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

/// Checks the generator (run by `cargo test --benches`): every N's crate has N `#[hot]`
/// functions, and the edit changes one line.
pub fn check() {
    for n in [1, 10, 23] {
        let mut krate = Crate::generate(n).expect("a generated crate");
        let source: String = std::fs::read_dir(krate.dir().join("src"))
            .unwrap()
            .flatten()
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap())
            .collect();
        let hot_fns = source.matches("#[hot]\npub fn").count();
        let methods = source.matches("    pub fn step_").count()
            + source.matches("    pub fn energy_").count();
        assert_eq!(hot_fns + methods, n, "{source}");
        let before = std::fs::read_to_string(krate.dir().join("src/lib.rs")).unwrap();
        krate.edit().unwrap();
        let after = std::fs::read_to_string(krate.dir().join("src/lib.rs")).unwrap();
        let changed = before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(changed, 1);
        assert!(after.contains("    1001 // edited by the benchmark"));
    }
}

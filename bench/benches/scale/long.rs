//! A long session (hundreds of reloads in one process) and a large crate (the demo grown to
//! about 10 000 lines).

use std::path::Path;
use std::time::Duration;

use crate::compile::{self, Mode};
use crate::fixture::App;
use crate::generate::{self, Crate};
use crate::grow::{Grown, keep};
use crate::measure::{self, HotfnSample, Observe, Reload};
use crate::session::{Memory, Running, save_to_new_code};
use crate::setting;
use crate::table::{self, Stats, Table, Target};

/// Reloads between two samples of memory.
const EVERY: usize = 100;

/// One reload of the session.
pub struct Step {
    /// A real edit (built by the runtime), or the last build installed again.
    pub edit: Option<HotfnSample>,
    pub reload: Reload,
}

impl Step {
    /// What the runtime did once the crate was compiled: link, open, verify, bind.
    fn runtime(&self) -> Duration {
        self.reload.link + self.reload.framework()
    }
}

/// The session's figures.
pub struct Session {
    pub n: usize,
    pub steps: Vec<Step>,
    /// Memory before the first reload, then after every [`EVERY`] and after the last.
    pub memory: Vec<(usize, Memory)>,
    pub error: Option<String>,
}

/// 500 reloads (`HOTFN_SCALE_RELOADS`) of the crate with `n` functions (the one `grown`
/// measured, when there is one), every tenth (`HOTFN_SCALE_REAL_EVERY`) a real edit.
pub fn run(target: &Path, n: usize, grown: Option<&mut Grown>) -> Session {
    let mut session = Session {
        n,
        steps: Vec::new(),
        memory: Vec::new(),
        error: None,
    };
    let krate = grown.and_then(|g| g.krate.take());
    if let Err(error) = session_of(target, krate, &mut session) {
        eprintln!("scale: long session: stopped: {error}");
        session.error = Some(error);
    }
    session
}

fn session_of(target: &Path, krate: Option<Crate>, session: &mut Session) -> Result<(), String> {
    let mut krate = match krate {
        Some(krate) => krate,
        None => {
            let krate = Crate::generate(session.n)?;
            compile::build(&krate, target, Mode::Hot)?;
            krate
        }
    };
    compile::build_program(&krate, target, Mode::Hot)?;
    let (mut running, _) = Running::start(&krate, target, Mode::Hot)?;
    let reloads = setting("HOTFN_SCALE_RELOADS", 500);
    let every = setting("HOTFN_SCALE_REAL_EVERY", 10).max(1);
    session.memory.push((0, running.memory()));
    let mut variant = None;
    for reload in 1..=reloads {
        let step = match (reload - 1) % every == 0 {
            true => {
                let sample = running.edit(&mut krate)?;
                variant = Some(keep(&running.built_rlib()?, target, &krate.crate_name)?);
                Step {
                    reload: sample.reload,
                    edit: Some(sample),
                }
            }
            false => {
                let rlib = variant.as_deref().ok_or("no build to install")?;
                Step {
                    reload: running.install(rlib)?,
                    edit: None,
                }
            }
        };
        session.steps.push(step);
        if reload % EVERY == 0 || reload == reloads {
            let memory = running.memory();
            eprintln!(
                "scale: long session: {reload} reloads: RSS {} MB, {} patches mapped ({} KB), \
                 {} patch files ({} KB)",
                memory.rss_kb / 1024,
                memory.patches,
                memory.mapped_kb,
                memory.files,
                memory.disk_kb
            );
            session.memory.push((reload, memory));
        }
    }
    running.stop();
    Ok(())
}

/// The table of the session, and its targets.
pub fn print(session: &Session) {
    let reloads = session.steps.len();
    let real = session.steps.iter().filter(|s| s.edit.is_some()).count();
    println!(
        "A long session: {reloads} reloads of the N = {} crate in one process, {real} of them \
         real edits built by the runtime, the others the last build installed again",
        session.n
    );
    if let Some(error) = &session.error {
        println!(
            "Stopped early: {}",
            error.lines().next().unwrap_or_default()
        );
    }
    println!();
    println!(
        "| reloads | RSS MB | patches mapped | mapped KB | patch files | on disk KB | \
         link + open + verify + bind, ms (p50 of these reloads without a build) | save → new \
         code, ms (p50 of these real edits) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut from = 0;
    for &(upto, memory) in &session.memory {
        let steps = &session.steps[from.min(upto)..upto];
        let (runtime, edits) = block(steps);
        println!(
            "| {upto} | {:.1} | {} | {} | {} | {} | {} | {} |",
            memory.rss_kb as f64 / 1024.0,
            memory.patches,
            memory.mapped_kb,
            memory.files,
            memory.disk_kb,
            runtime.map_or("".into(), |v| format!("{v:.1}")),
            edits.map_or("".into(), |v| format!("{v:.0}"))
        );
        from = upto;
    }
    println!();
    println!("Targets of issue 15, from this run:");
    println!();
    table::print_targets(&session_targets(session));
    if let Some((_, last)) = session.memory.last().filter(|(n, _)| *n > 0) {
        println!(
            "- patch files on disk: one per reload, {} KB each on average ({} KB after {} \
             reloads), removed when the program exits: a stated bound",
            last.disk_kb / last.files.max(1) as u64,
            last.disk_kb,
            reloads
        );
    }
}

/// The median runtime part of the reloads without a build, and the median save → new code of
/// the real edits, in ms.
fn block(steps: &[Step]) -> (Option<f64>, Option<f64>) {
    let runtime = Stats::of(steps.iter().filter(|s| s.edit.is_none()).map(Step::runtime));
    let edits = Stats::of(
        steps
            .iter()
            .filter_map(|s| s.edit.as_ref())
            .map(save_to_new_code),
    );
    (runtime.map(|s| s.p50), edits.map(|s| s.p50))
}

fn session_targets(session: &Session) -> Vec<Target> {
    let steps = &session.steps;
    let (first, last) = (
        block(&steps[..EVERY.min(steps.len())]),
        block(&steps[steps.len().saturating_sub(EVERY)..]),
    );
    let ratio = |a: Option<f64>, b: Option<f64>| Some(b? / a?);
    // From the first sample after reloading began, so that what the first reloads set up once
    // (the rlibs' index, the runtime's tables) is not counted as growth.
    let grown = session
        .memory
        .iter()
        .filter(|(n, _)| *n > 0)
        .collect::<Vec<_>>();
    let growth = match (grown.first(), grown.last()) {
        (Some((a, first)), Some((b, last))) if b > a => {
            let per_reload = (last.rss_kb as f64 - first.rss_kb as f64) / (b - a) as f64;
            let per_patch = last.mapped_kb as f64 / last.patches.max(1) as f64;
            Some(per_reload / per_patch)
        }
        _ => None,
    };
    vec![
        Target {
            what: format!(
                "time per reload without a build (link + open + verify + bind), last {EVERY} / \
                 first {EVERY}"
            ),
            value: ratio(first.0, last.0),
            limit: 1.1,
            unit: "×",
        },
        Target {
            what: format!("save → new code of the real edits, last {EVERY} / first {EVERY}"),
            value: ratio(first.1, last.1),
            limit: 1.1,
            unit: "×",
        },
        Target {
            what: "resident memory growth per reload / what one patch maps".into(),
            value: growth,
            limit: 1.5,
            unit: "×",
        },
    ]
}

/// The large crate: the demo, its rules grown to about `HOTFN_SCALE_DEMO_LINES` lines.
pub struct Demo {
    pub lines: usize,
    pub functions: usize,
    pub samples: Result<Vec<HotfnSample>, String>,
    pub bare: Result<Vec<Duration>, String>,
}

/// Lines of one generated rule.
const RULE_LINES: usize = 23;

pub fn demo(target: &Path) -> Demo {
    let mut app = App::demo(target);
    let wanted = setting("HOTFN_SCALE_DEMO_LINES", 10_000);
    let rules = std::fs::read_to_string(app.dir().join("src/rules.rs"))
        .map_or(0, |text| text.lines().count());
    let functions = wanted.saturating_sub(rules) / RULE_LINES;
    let lines = match generate::grow_demo(app.dir(), functions) {
        Ok(lines) => lines,
        Err(error) => {
            return Demo {
                lines: 0,
                functions,
                samples: Err(error.clone()),
                bare: Err(error),
            };
        }
    };
    eprintln!("scale: demo: rules grown to {lines} lines ({functions} generated rules)");
    let args = measure::DEMO_ARGS;
    let edits = setting("HOTFN_SCALE_EDITS", 5);
    let counts = (1, edits);
    let samples = measure::hotfn_series(&mut app, "demo, grown", &args, Observe::Version, counts);
    let bare = measure::bare_cargo(&mut app, "demo, grown", counts);
    Demo {
        lines,
        functions,
        samples,
        bare,
    }
}

pub fn print_demo(demo: &Demo) {
    println!(
        "A large crate: the demo with its rules module grown to {} lines ({} generated #[hot] \
         rules `step` calls); p50 / p90 / min / max in ms",
        demo.lines, demo.functions
    );
    println!();
    let mut table = Table::default();
    match &demo.samples {
        Ok(samples) => {
            let each =
                |f: &dyn Fn(&HotfnSample) -> Duration| samples.iter().map(f).collect::<Vec<_>>();
            table.row("build (the compiler)", each(&|s| s.reload.build));
            table.row("link", each(&|s| s.reload.link));
            table.sizes(
                "patch size (KB)",
                samples.iter().map(|s| s.reload.patch_bytes),
            );
            table.row("open + verify + bind", each(&|s| s.reload.framework()));
            table.row("save → new code observed", each(&save_to_new_code));
        }
        Err(error) => table.missing("not measured", error.lines().next().unwrap_or_default()),
    }
    match &demo.bare {
        Ok(bare) => table.row(
            "bare `cargo rustc --lib --crate-type cdylib`",
            bare.iter().copied(),
        ),
        Err(error) => table.missing("bare build", error.lines().next().unwrap_or_default()),
    }
    table.print();
    let p50 = |samples: Vec<Duration>| Stats::of(samples).map(|s| s.p50);
    let observed = demo
        .samples
        .as_ref()
        .ok()
        .and_then(|s| p50(s.iter().map(save_to_new_code).collect()));
    let bare = demo.bare.as_ref().ok().and_then(|b| p50(b.clone()));
    if let (Some(observed), Some(bare)) = (observed, bare) {
        println!();
        println!(
            "save → new code p50 / bare cdylib build p50: {:.2}× ({:.0} ms against {:.0} ms)",
            observed / bare,
            observed,
            bare
        );
    }
}

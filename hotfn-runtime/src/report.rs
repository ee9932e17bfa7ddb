//! What the user sees: every event goes to the subscribers of [`on_event`](crate::on_event) and,
//! unless quiet, to standard error as one concise line prefixed `[hotfn]`.

use std::io::{IsTerminal, Write};

use crate::cargo::{Failed, Why};
use crate::control::{Event, millis};
use crate::events;
use crate::guard::Panicked;
use crate::registry::Package;
use crate::verify::{Mismatch, Plan};

/// Whether standard error shows colour (a terminal, not quiet, and `NO_COLOR` unset).
pub fn color() -> bool {
    std::io::stderr().is_terminal()
        && !events::quiet()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

const OK: &str = "1;32";
const NOTE: &str = "1;36";
const BAD: &str = "1;31";
const WARN: &str = "1;33";

/// Prints `diagnostics` and then `event` (unless quiet), and delivers `event` to subscribers.
fn emit(event: Event, diagnostics: &[String]) {
    if !events::quiet() {
        let style = match &event {
            Event::Reloaded { .. } => OK,
            Event::Watching { .. } | Event::Pending { .. } => NOTE,
            Event::Disabled { .. } | Event::Warning { .. } => WARN,
            _ => BAD,
        };
        let color = color();
        let mut err = std::io::stderr().lock();
        for diagnostic in diagnostics {
            let _ = writeln!(err, "{diagnostic}");
        }
        // Continuation lines are indented; every other line is an event line of its own.
        for line in event.to_string().lines() {
            let _ = if line.starts_with(' ') {
                writeln!(err, "{line}")
            } else if color {
                writeln!(err, "\x1b[{style}m[hotfn]\x1b[0m {line}")
            } else {
                writeln!(err, "[hotfn] {line}")
            };
        }
    }
    events::emit(&event);
}

pub fn watching(packages: &[Package]) {
    for package in packages {
        emit(
            Event::Watching {
                package: package.name.clone(),
                functions: package.functions,
                dir: package.manifest_dir.clone(),
            },
            &[],
        );
    }
}

pub fn pending(package: &Package, version: u64) {
    emit(
        Event::Pending {
            package: package.name.clone(),
            version,
        },
        &[],
    );
}

/// The outcome of a reload that is now applied.
pub struct Applied<'a> {
    pub package: &'a str,
    pub version: u64,
    pub plan: &'a Plan,
    pub warnings: &'a [String],
    pub states: &'a [String],
    pub timings: crate::control::Timings,
}

pub fn reloaded(applied: &Applied<'_>) {
    let names = |symbols: &[&str]| symbols.iter().map(|s| (*s).to_owned()).collect();
    emit(
        Event::Reloaded {
            package: applied.package.to_owned(),
            version: applied.version,
            functions: applied.plan.functions.len(),
            added: names(&applied.plan.added),
            missing: names(&applied.plan.missing),
            warnings: applied.warnings.to_vec(),
            states: applied.states.to_vec(),
            build: applied.timings.build,
            load: applied.timings.copy
                + applied.timings.open
                + applied.timings.verify
                + applied.timings.bind,
            timings: applied.timings,
        },
        applied.warnings,
    );
}

pub fn build_failed(package: &Package, failed: &Failed) {
    let (what, todo) = match &failed.why {
        Why::Error => ("failed".to_owned(), "Fix the error and save again"),
        Why::NoCargo => (
            format!("could not start: {}", failed.diagnostics.join("; ")),
            "Put cargo on PATH (or set CARGO to its path) and restart the program",
        ),
        Why::TargetDir(dir) => (
            format!(
                "failed: cargo cannot use the target directory {}",
                dir.display()
            ),
            "Nothing is wrong with the code: make that directory usable (writable, with free \
             space) and save again",
        ),
        Why::Killed(how) => (
            format!("was interrupted: {how}"),
            "Nothing is wrong with the code: save again to retry \
             (if the system ran out of memory, close something first)",
        ),
    };
    let shown = match failed.why {
        Why::Error | Why::TargetDir(_) => &failed.diagnostics[..],
        _ => &[],
    };
    emit(
        Event::BuildFailed {
            package: package.name.clone(),
            reason: format!(
                "{what} after {}; the program keeps running the previous code. {todo}",
                millis(failed.duration)
            ),
            diagnostics: shown.to_vec(),
        },
        shown,
    );
}

pub fn refused(package: &Package, mismatches: &[Mismatch]) {
    let changes = mismatches
        .iter()
        .map(|m| {
            let mut change = m.path.to_owned();
            for why in &m.why {
                change.push_str("\n  ");
                change.push_str(why);
            }
            change
        })
        .collect();
    emit(
        Event::Refused {
            package: package.name.clone(),
            changes,
        },
        &[],
    );
}

pub fn panicked(
    path: &str,
    package: &str,
    version: u64,
    panicked: &Panicked,
    good: u64,
    completed: bool,
) {
    emit(
        Event::Panicked {
            function: path.to_owned(),
            package: package.to_owned(),
            version,
            message: panicked.to_string(),
            rolled_back_to: good,
            completed,
        },
        &[],
    );
}

pub fn load_failed(package: &Package, error: &str) {
    emit(
        Event::LoadFailed {
            package: package.name.clone(),
            error: error.to_owned(),
        },
        &[],
    );
}

pub fn disabled(reason: &str) {
    emit(
        Event::Disabled {
            reason: reason.to_owned(),
        },
        &[],
    );
}

pub fn warning(text: &str) {
    emit(
        Event::Warning {
            message: text.to_owned(),
        },
        &[],
    );
}

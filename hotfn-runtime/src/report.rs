//! What the user sees: one concise line per event on standard error, prefixed `[hotfn]`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::cargo::{Failed, Why};
use crate::guard::Panicked;
use crate::registry::Package;
use crate::verify::{Mismatch, Plan};

/// Whether standard error shows colour (a terminal, and `NO_COLOR` unset).
pub fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn line(style: &str, text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = if color() {
        writeln!(err, "\x1b[{style}m[hotfn]\x1b[0m {text}")
    } else {
        writeln!(err, "[hotfn] {text}")
    };
}

const OK: &str = "1;32";
const NOTE: &str = "1;36";
const BAD: &str = "1;31";
const WARN: &str = "1;33";

pub fn watching(packages: &[Package]) {
    for package in packages {
        let count = plural(package.functions, "hot function");
        let dir = package.manifest_dir.display();
        line(
            NOTE,
            &format!("watching {} ({count}) in {dir}", package.name),
        );
    }
}

pub fn reloaded(package: &Package, version: usize, plan: &Plan, build: Duration, load: Duration) {
    let count = plural(plan.functions.len(), "function");
    line(
        OK,
        &format!(
            "reloaded {} v{version}: {count} in {} (build {}, load {})",
            package.name,
            millis(build + load),
            millis(build),
            millis(load)
        ),
    );
    if !plan.added.is_empty() {
        line(
            NOTE,
            &format!("new in {}: {}", package.name, plan.added.join(", ")),
        );
    }
    if !plan.missing.is_empty() {
        line(
            WARN,
            &format!(
                "no longer in {}: {} (callers keep running the previous version)",
                package.name,
                plan.missing.join(", ")
            ),
        );
    }
}

pub fn diagnostics(diagnostics: &[String]) {
    let mut err = std::io::stderr().lock();
    for diagnostic in diagnostics {
        let _ = writeln!(err, "{diagnostic}");
    }
}

pub fn build_failed(package: &Package, failed: &Failed) {
    let (what, todo) = match &failed.why {
        Why::Error => ("failed".to_owned(), "Fix the error and save again"),
        Why::NoCargo => (
            format!("could not start: {}", failed.diagnostics.join("; ")),
            "Put cargo on PATH (or set CARGO to its path) and restart the program",
        ),
        Why::Killed(how) => (
            format!("was interrupted: {how}"),
            "Nothing is wrong with the code: save again to retry \
             (if the system ran out of memory, close something first)",
        ),
    };
    line(
        BAD,
        &format!(
            "build of {} {what} after {}; the program keeps running the previous code. {todo}",
            package.name,
            millis(failed.duration)
        ),
    );
}

pub fn refused(package: &Package, mismatches: &[Mismatch]) {
    let mut text = format!(
        "reload of {} refused: {} changed in a way the running program cannot call",
        package.name,
        plural(mismatches.len(), "function")
    );
    for m in mismatches {
        text.push_str(&format!("\n        {}", m.path));
        for why in &m.why {
            text.push_str(&format!("\n          {why}"));
        }
    }
    text.push_str(
        "\n        Callers were compiled against the old signature and types, so calling the new \
         code would be undefined behaviour: the program keeps running the previous code. \
         Restart it to use the change, or undo the change to keep reloading.",
    );
    line(BAD, &text);
}

pub fn panicked(
    path: &str,
    package: &str,
    version: usize,
    panicked: &Panicked,
    good: usize,
    repeated: bool,
) {
    let back_to = match good {
        0 => "the original code".to_owned(),
        n => format!("v{n}"),
    };
    let call = if repeated {
        format!("the call was completed by {back_to}")
    } else {
        "the call took owned arguments and cannot be repeated, so the panic continues in the caller"
            .to_owned()
    };
    line(
        BAD,
        &format!(
            "panic in {path} (v{version}): {panicked}\n        rolled {package} back to {back_to}; {call}. \
             Fix the code and save to reload"
        ),
    );
}

pub fn load_failed(package: &Package, error: &str) {
    line(
        BAD,
        &format!(
            "reload of {} failed: {error}; the program keeps running the previous code",
            package.name
        ),
    );
}

pub fn disabled(reason: &str) {
    line(WARN, &format!("hot reloading is off: {reason}"));
}

pub fn warning(text: &str) {
    line(WARN, text);
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

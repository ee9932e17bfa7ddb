//! What the user sees: every event goes to the subscribers of [`on_event`](crate::on_event) and,
//! unless quiet, to standard error as one concise line prefixed `[hotfn]`.

use std::io::{IsTerminal, Write};

use crate::event::{Event, millis};
use crate::host::build::{Failed, Why};
use crate::host::bus;

/// How events are shown, from the settings in force.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    pub quiet: bool,
}

const OK: &str = "1;32";
const NOTE: &str = "1;36";
const BAD: &str = "1;31";
const WARN: &str = "1;33";

impl Reporter {
    /// Whether standard error shows colour (a terminal, not quiet, and `NO_COLOR` unset).
    pub fn color(self) -> bool {
        !self.quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// Prints `diagnostics` and then `event` (unless quiet), and delivers `event` to subscribers.
    pub fn emit(self, event: Event, diagnostics: &[String]) {
        if !self.quiet {
            let style = match &event {
                Event::Reloaded { .. } => OK,
                Event::Watching { .. } | Event::Pending { .. } => NOTE,
                Event::Disabled { .. } | Event::Warning { .. } => WARN,
                _ => BAD,
            };
            let color = self.color();
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
        bus::emit(&event);
    }

    pub fn warning(self, text: &str) {
        self.emit(
            Event::Warning {
                message: text.to_owned(),
            },
            &[],
        );
    }

    pub fn disabled(self, reason: &str) {
        self.emit(
            Event::Disabled {
                reason: reason.to_owned(),
            },
            &[],
        );
    }

    pub fn build_failed(self, package: &str, failed: &Failed) {
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
        self.emit(
            Event::BuildFailed {
                package: package.to_owned(),
                reason: format!(
                    "{what} after {}; the program keeps running the previous code. {todo}",
                    millis(failed.duration)
                ),
                diagnostics: shown.to_vec(),
            },
            shown,
        );
    }

    pub fn refused(self, package: &str, changes: Vec<String>, advice: &str) {
        self.emit(
            Event::Refused {
                package: package.to_owned(),
                changes,
                advice: advice.to_owned(),
            },
            &[],
        );
    }

    pub fn load_failed(self, package: &str, error: &str) {
        self.emit(
            Event::LoadFailed {
                package: package.to_owned(),
                error: error.to_owned(),
            },
            &[],
        );
    }
}

/// Advice after a refused signature or layout change.
pub const SIGNATURES: &str = "The running program was compiled against the old signatures and \
    types, so using the new code would be undefined behaviour: it keeps running the previous \
    code. Restart it to use the change, or undo the change to keep reloading.";

/// Advice after a refused patch: a static, a thread-local or code it cannot share.
pub const SHARING: &str = "Loading the new code would give it a second copy of what the program \
    already has, or code the program does not contain: it keeps running the previous code. \
    Restart it to use the change, or undo the change to keep reloading.";

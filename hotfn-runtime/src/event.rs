//! What the runtime did, as plain data: [`Event`] and the [`Timings`] of a reload. The text of
//! each `[hotfn]` line is an event's [`Display`](std::fmt::Display) form.

use std::path::PathBuf;
use std::time::Duration;

/// Something the runtime did. The same text as the `[hotfn]` line it prints is its
/// [`Display`](std::fmt::Display) form.
///
/// ```
/// hotfn_runtime::on_event(|event| {
///     if let hotfn_runtime::Event::Reloaded { version, .. } = event {
///         eprintln!("now running v{version}");
///     }
/// });
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// A reload's event carries its timings inline; events are rare and handed out by reference.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// The runtime started watching a package's sources.
    Watching {
        /// The package's name.
        package: String,
        /// How many `#[hot]` functions it has.
        functions: usize,
        /// Its directory.
        dir: PathBuf,
    },
    /// A new version was built, loaded and checked, and waits for the next [`reload_point`](crate::reload_point)
    /// (with [`Swap::AtReloadPoint`](crate::Swap::AtReloadPoint)).
    Pending {
        /// The package's name.
        package: String,
        /// The version that will run after the next reload point.
        version: u64,
    },
    /// Calls now run a new version.
    Reloaded {
        /// The package's name.
        package: String,
        /// The new version: 1 for the first reload of the program, counting every package.
        version: u64,
        /// How many functions it provides.
        functions: usize,
        /// Functions the running program did not have before (`module::name`).
        added: Vec<String>,
        /// Functions the new version no longer has: callers keep the previous version of these.
        missing: Vec<String>,
        /// Compiler warnings, rendered.
        warnings: Vec<String>,
        /// `#[hot] static` items that are new, reset or migrated (`WORLD migrated`).
        states: Vec<String>,
        /// How long the build took: the compile (cargo's, or the compiler's alone: see
        /// `timings`) and the patch's link.
        build: Duration,
        /// How long loading, checking and rebinding took.
        load: Duration,
        /// Each step, for benchmarks and tools.
        timings: Timings,
    },
    /// The build failed; the program keeps running the previous code.
    BuildFailed {
        /// The package's name.
        package: String,
        /// What went wrong and what to do, in one line.
        reason: String,
        /// The compiler's messages, rendered.
        diagnostics: Vec<String>,
    },
    /// The new version cannot run soundly in this program (a changed signature, type layout or
    /// static, or code the program does not contain); it was not loaded.
    Refused {
        /// The package's name.
        package: String,
        /// Each item that stands in the way, with how it changed.
        changes: Vec<String>,
        /// Why that stops the reload, and what to do.
        advice: String,
    },
    /// The new version could not be loaded (its link or the dynamic loader failed).
    LoadFailed {
        /// The package's name.
        package: String,
        /// Why.
        error: String,
    },
    /// Reloaded code panicked; its package was rolled back.
    Panicked {
        /// The function whose call panicked (`module::name`): the `#[hot]` function called from
        /// outside the package; the panic may have happened in a function it called, which the
        /// message's location names.
        function: String,
        /// The package's name.
        package: String,
        /// The version that panicked.
        version: u64,
        /// The panic message and location.
        message: String,
        /// The version now running (0: the original code).
        rolled_back_to: u64,
        /// Whether the call was completed by that version (else the panic continued).
        completed: bool,
    },
    /// Reloading is off for this run, and why.
    Disabled {
        /// Why, and what to do.
        reason: String,
    },
    /// Something worth knowing that changes nothing.
    Warning {
        /// The message.
        message: String,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Watching {
                package,
                functions,
                dir,
            } => write!(
                f,
                "watching {package} ({}) in {}",
                plural(*functions, "hot function"),
                dir.display()
            ),
            Event::Pending { package, version } => write!(
                f,
                "{package} v{version} is ready and runs from the next reload point"
            ),
            Event::Reloaded {
                package,
                version,
                functions,
                added,
                missing,
                states,
                build,
                load,
                timings,
                ..
            } => {
                write!(
                    f,
                    "reloaded {package} v{version}: {} in {} ({} {}, link {}, load {})",
                    plural(*functions, "function"),
                    millis(*build + *load),
                    if timings.direct_rustc {
                        "rustc"
                    } else {
                        "cargo"
                    },
                    millis(timings.build),
                    millis(timings.link),
                    millis(*load)
                )?;
                if !added.is_empty() {
                    write!(f, "\nnew in {package}: {}", added.join(", "))?;
                }
                if !states.is_empty() {
                    write!(f, "\nstate of {package}: {}", states.join(", "))?;
                }
                if !missing.is_empty() {
                    write!(
                        f,
                        "\nno longer in {package}: {} (callers keep running the previous version)",
                        missing.join(", ")
                    )?;
                }
                Ok(())
            }
            Event::BuildFailed {
                package, reason, ..
            } => write!(f, "build of {package} {reason}"),
            Event::Refused {
                package,
                changes,
                advice,
            } => {
                write!(
                    f,
                    "reload of {package} refused: {} that the running program cannot use",
                    plural(changes.len(), "change")
                )?;
                for change in changes {
                    for line in change.lines() {
                        write!(f, "\n        {line}")?;
                    }
                }
                write!(f, "\n        {advice}")
            }
            Event::LoadFailed { package, error } => write!(
                f,
                "reload of {package} failed: {error}; the program keeps running the previous code"
            ),
            Event::Panicked {
                function,
                package,
                version,
                message,
                rolled_back_to,
                completed,
            } => {
                let back_to = match rolled_back_to {
                    0 => "the original code".to_owned(),
                    n => format!("v{n}"),
                };
                let call = if *completed {
                    format!("the call was completed by {back_to}")
                } else {
                    "the call took owned arguments and cannot be repeated, so the panic \
                     continues in the caller"
                        .to_owned()
                };
                write!(
                    f,
                    "panic in a call of {function} (v{version}): {message}\n        rolled {package} back \
                     to {back_to}; {call}. Fix the code and save to reload"
                )
            }
            Event::Disabled { reason } => write!(f, "hot reloading is off: {reason}"),
            Event::Warning { message } => f.write_str(message),
        }
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `12 ms`, or `3.4 ms` under 10 ms.
pub(crate) fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// How long each step of one reload took, from [`Event::Reloaded`].
///
/// ```
/// use hotfn_runtime::Event;
///
/// hotfn_runtime::on_event(|event| {
///     if let Event::Reloaded { timings, .. } = event {
///         let framework = timings.open + timings.verify + timings.bind;
///         eprintln!("compile {:?}, link {:?}, hotfn {:?}", timings.build, timings.link, framework);
///     }
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Timings {
    /// When the runtime saw the change (after the debounce), by the wall clock; `None` for a
    /// reload not caused by a file change.
    pub detected: Option<std::time::SystemTime>,
    /// Compiling the crate.
    pub build: Duration,
    /// Whether the compiler ran alone, without cargo first (see [`Config::direct_rustc`](crate::Config::direct_rustc)).
    pub direct_rustc: bool,
    /// Linking the patch against the running program: reading the crate's objects, deciding
    /// what binds to the program, placing the patch and running the linker.
    pub link: Duration,
    /// The patch's size on disk, in bytes.
    pub patch_bytes: u64,
    /// Opening it: the dynamic loader, and the check that it landed where it was linked.
    pub open: Duration,
    /// Checking function fingerprints, statics and `#[hot] static` layouts.
    pub verify: Duration,
    /// Binding states and slots (when the version is applied).
    pub bind: Duration,
    /// When calls started going to the new code, by the wall clock.
    pub applied: Option<std::time::SystemTime>,
}

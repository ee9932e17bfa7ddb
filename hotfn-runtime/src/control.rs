//! Events and control: what the runtime did, and when new code may take over.
//!
//! Everything here has the same API with and without the `hot` feature, so user code needs no
//! `cfg`: without the feature, [`version`] is always 0, no event ever happens, and
//! [`reload_point`] compiles to nothing.

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
    /// A new version was built, loaded and checked, and waits for the next [`reload_point`]
    /// (with [`Swap::AtReloadPoint`]).
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
        /// How long the build took (cargo's, or the compiler's alone: see `timings`).
        build: Duration,
        /// How long copying, loading, checking and rebinding took.
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
    /// The new version changed a signature or a type layout the running callers depend on; it
    /// was not loaded.
    Refused {
        /// The package's name.
        package: String,
        /// Each changed function with how it changed.
        changes: Vec<String>,
    },
    /// The new version could not be loaded (a copy, open or check failed).
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
                    "reloaded {package} v{version}: {} in {} ({} {}, load {})",
                    plural(*functions, "function"),
                    millis(*build + *load),
                    if timings.direct_rustc {
                        "rustc"
                    } else {
                        "cargo"
                    },
                    millis(*build),
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
            Event::Refused { package, changes } => {
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
                write!(
                    f,
                    "\n        The running program was compiled against the old signatures and \
                     types, so using the new code would be undefined behaviour: it keeps running \
                     the previous code. Restart it to use the change, or undo the change to keep \
                     reloading."
                )
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
///         let framework = timings.copy + timings.open + timings.verify + timings.bind;
///         eprintln!("cargo {:?}, hotfn {:?}", timings.build, framework);
///     }
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Timings {
    /// When the runtime saw the change (after the debounce), by the wall clock; `None` for a
    /// reload not caused by a file change.
    pub detected: Option<std::time::SystemTime>,
    /// The build.
    pub build: Duration,
    /// Whether the build ran the compiler alone, without cargo (see [`Config::direct_rustc`]).
    pub direct_rustc: bool,
    /// Placing the library in the private directory (a hard link, or a copy).
    pub copy: Duration,
    /// Opening it: the dynamic loader, the library's initialisers, the ABI and allocator checks.
    pub open: Duration,
    /// Checking function fingerprints and `#[hot] static` layouts.
    pub verify: Duration,
    /// Binding states and slots (when the version is applied).
    pub bind: Duration,
    /// When calls started going to the new code, by the wall clock.
    pub applied: Option<std::time::SystemTime>,
}

/// When a new version takes over.
///
/// ```no_run
/// use hotfn_runtime::{Config, Swap};
///
/// Config::new().swap(Swap::AtReloadPoint).apply();
/// loop {
///     hotfn_runtime::reload_point(); // a pending version takes over here
///     // update and draw one frame: every #[hot] call in it runs the same version
/// #   break;
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Swap {
    /// As soon as it is loaded and checked (the default). Calls already running finish in the
    /// version they started in.
    #[default]
    Immediate,
    /// At the next call of [`reload_point`], e.g. once per frame, so that a frame never mixes
    /// two versions. A rollback after a panic still happens at once.
    AtReloadPoint,
}

/// Settings of the runtime. Zero configuration is the default; each setting can also come from
/// the environment, and code overrides the environment.
///
/// | setting | environment | default |
/// |---|---|---|
/// | [`quiet`](Config::quiet): no `[hotfn]` lines on stderr (events still happen) | `HOTFN_QUIET=1` | off |
/// | [`swap`](Config::swap) | `HOTFN_SWAP=immediate` or `reload-point` | immediate |
/// | [`debounce`](Config::debounce): quiet time before a build | `HOTFN_DEBOUNCE_MS=50` | 20 ms |
/// | [`watch`](Config::watch): more paths whose changes rebuild every hot package (e.g. files read by `include_str!` outside the package) | `HOTFN_WATCH=path:path` | none |
/// | [`debug_info`](Config::debug_info): keep debug info in reloaded libraries | `HOTFN_DEBUGINFO=1` | off |
/// | [`direct_rustc`](Config::direct_rustc): rebuild without cargo when only Rust files changed | `HOTFN_DIRECT_RUSTC=0` | on |
/// | [`warm_up`](Config::warm_up): build once at start, so the first edit builds fast | `HOTFN_WARM_UP=0` | on |
///
/// ```no_run
/// use hotfn_runtime::{Config, Swap};
///
/// Config::new().quiet(true).swap(Swap::AtReloadPoint).apply();
/// ```
///
/// `apply` starts the runtime (it would otherwise start at the first call of a `#[hot]`
/// function). `debounce`, `watch` and `warm_up` are read when it starts; `quiet` and `swap` can change at
/// any time.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use = "a Config does nothing until `apply` is called"]
pub struct Config {
    pub(crate) quiet: Option<bool>,
    pub(crate) swap: Option<Swap>,
    pub(crate) debounce: Option<Duration>,
    pub(crate) watch: Vec<PathBuf>,
    pub(crate) debug_info: Option<bool>,
    pub(crate) direct_rustc: Option<bool>,
    pub(crate) warm_up: Option<bool>,
}

impl Config {
    /// No setting changed: each keeps its value from the environment or its default.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().apply(); // start the runtime now, not at the first hot call
    /// ```
    pub fn new() -> Config {
        Config::default()
    }

    /// Whether to print `[hotfn]` lines on stderr (events are delivered either way), e.g. for a
    /// program that shows them in its own UI.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().quiet(true).apply();
    /// hotfn_runtime::on_event(|event| { /* show `event` in a status bar */ });
    /// ```
    pub fn quiet(mut self, quiet: bool) -> Config {
        self.quiet = Some(quiet);
        self
    }

    /// When a new version takes over.
    ///
    /// ```no_run
    /// use hotfn_runtime::{Config, Swap};
    ///
    /// Config::new().swap(Swap::AtReloadPoint).apply();
    /// ```
    pub fn swap(mut self, swap: Swap) -> Config {
        self.swap = Some(swap);
        self
    }

    /// How long the files must be quiet before a build starts.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// // an editor that saves in several steps
    /// hotfn_runtime::Config::new().debounce(Duration::from_millis(200)).apply();
    /// ```
    pub fn debounce(mut self, debounce: Duration) -> Config {
        self.debounce = Some(debounce);
        self
    }

    /// Also watches `path` (a file or directory); a change there rebuilds every hot package.
    ///
    /// ```no_run
    /// // shaders that the hot crate embeds with include_str!
    /// hotfn_runtime::Config::new().watch("assets/shaders").apply();
    /// ```
    pub fn watch(mut self, path: impl Into<PathBuf>) -> Config {
        self.watch.push(path.into());
        self
    }

    /// Whether reloaded libraries keep their debug info. Off by default: the linker then leaves
    /// out the debug info of the standard library and every dependency, which makes a debug
    /// build's library about 20 times smaller and each reload's link about 40% faster (50 ms of
    /// 220 for a small crate here). Reloaded code still has its function names, and a panic in
    /// it is still reported with its file and line; what it lacks is source lines in a debugger
    /// and in backtraces. Turn it on to step through reloaded code in a debugger.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().debug_info(true).apply();
    /// ```
    pub fn debug_info(mut self, keep: bool) -> Config {
        self.debug_info = Some(keep);
        self
    }

    /// Whether a rebuild may run the compiler without cargo. On by default: when only Rust
    /// files of a package changed since cargo last built it, the runtime runs again the
    /// compiler command cargo ran then (same arguments, environment and incremental cache),
    /// which saves the 30–70 ms cargo spends checking the workspace on every build (a third of
    /// a small crate's rebuild). A change to anything else (`Cargo.toml`, a file that is not
    /// Rust, a `watch` path), a package with a build script, and a replay that fails go through
    /// cargo. Turn it off if a build should see something cargo would notice and hotfn does
    /// not (say, an environment variable a build script reads).
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().direct_rustc(false).apply();
    /// ```
    pub fn direct_rustc(mut self, direct: bool) -> Config {
        self.direct_rustc = Some(direct);
        self
    }

    /// Whether the runtime builds each hot package once when it starts, before any edit. On by
    /// default: that build (through cargo, at a lower CPU priority, loading nothing) fills the
    /// library's incremental cache and gives the compiler command to run again (see
    /// [`direct_rustc`](Config::direct_rustc)), so the first edit builds as fast as later ones
    /// (the demo's first edit: 240 ms instead of 540). Turn it off to keep the CPU for the
    /// program at start, e.g. while measuring it.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().warm_up(false).apply();
    /// ```
    pub fn warm_up(mut self, warm_up: bool) -> Config {
        self.warm_up = Some(warm_up);
        self
    }

    /// Applies the settings and starts the runtime. Without the `hot` feature, does nothing.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().quiet(true).apply();
    /// ```
    pub fn apply(self) {
        #[cfg(feature = "hot")]
        crate::events::apply(self);
    }
}

/// The newest version applied: 0 before the first reload, then the number of reloads applied in
/// this program (every package counts). A rollback after a panic does not lower it (the
/// [`Event::Panicked`] says which version runs). Without the `hot` feature, always 0.
///
/// ```
/// let status = format!("code v{}", hotfn_runtime::version()); // "code v0" until a reload
/// # assert_eq!(status, "code v0");
/// ```
#[inline]
pub fn version() -> u64 {
    #[cfg(feature = "hot")]
    return crate::events::version();
    #[cfg(not(feature = "hot"))]
    0
}

/// Calls `callback` with every [`Event`] from now on, on the thread where it happens (the
/// runtime's, or for [`Event::Panicked`] the thread whose call panicked). Keep it short; it must
/// not call `on_event` itself. Without the `hot` feature, `callback` is dropped.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// let status = Arc::new(Mutex::new(String::new()));
/// let shown = Arc::clone(&status);
/// hotfn_runtime::on_event(move |event| *shown.lock().unwrap() = event.to_string());
/// // each frame: draw `status` in the status bar
/// ```
pub fn on_event(callback: impl Fn(&Event) + Send + Sync + 'static) {
    #[cfg(feature = "hot")]
    crate::events::subscribe(Box::new(callback));
    #[cfg(not(feature = "hot"))]
    drop(callback);
}

/// Waits until a reload is applied (returning its version) or `timeout` passes (`None`). For
/// tests and tools. Without the `hot` feature, returns `None` at once: no reload can come.
///
/// ```no_run
/// use std::time::Duration;
///
/// // a tool that has just written a source file
/// match hotfn_runtime::wait_for_reload(Duration::from_secs(10)) {
///     Some(version) => println!("running v{version}"),
///     None => println!("no reload within 10 s"),
/// }
/// ```
pub fn wait_for_reload(timeout: Duration) -> Option<u64> {
    #[cfg(feature = "hot")]
    return crate::events::wait_for_reload(timeout);
    #[cfg(not(feature = "hot"))]
    {
        let _ = timeout;
        None
    }
}

/// A safe point for new code to take over, with [`Swap::AtReloadPoint`]: call it where no hot
/// code is running for the program's own purposes, e.g. once per frame between update and draw.
/// Costs one atomic load when nothing is pending; nothing at all without the `hot` feature.
///
/// ```no_run
/// # fn update() {} fn draw() {}
/// loop {
///     hotfn_runtime::reload_point();
///     update();
///     draw();
/// }
/// ```
#[inline]
pub fn reload_point() {
    #[cfg(feature = "hot")]
    crate::events::reload_point();
}

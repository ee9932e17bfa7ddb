//! Settings of the runtime, as plain data: [`Config`] (what the program asks for) and [`Swap`].
//! The environment's settings are read by [`Config::from_env`]; the runtime merges the two.

use std::path::PathBuf;
use std::time::Duration;

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
    /// At the next call of [`reload_point`](crate::reload_point), e.g. once per frame, so that a frame never mixes
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
/// | [`debug_info`](Config::debug_info): keep debug info in patches | `HOTFN_DEBUGINFO=1` | off |
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

    /// Whether patches keep their debug info. Off by default, which makes each patch smaller and
    /// its link faster (the README's Performance section has the figures). Reloaded code still
    /// has its function names, and a panic in it is still reported with its file and line; what
    /// it lacks is source lines in a debugger and in backtraces. Turn it on to step through
    /// reloaded code in a debugger.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().debug_info(true).apply();
    /// ```
    pub fn debug_info(mut self, keep: bool) -> Config {
        self.debug_info = Some(keep);
        self
    }

    /// Whether a rebuild may run the compiler without asking cargo first. On by default: when
    /// only Rust files of a package changed since cargo last looked at it, the runtime runs again
    /// the compiler command cargo gave it then (same arguments, environment and incremental
    /// cache), which saves the time cargo spends checking the workspace on every build. A change
    /// to anything else (`Cargo.toml`, a file that is not Rust, a `watch` path, a local package
    /// it depends on), a package with a build script, and a compile that fails go through cargo
    /// first. Turn it off if a build should see something cargo would notice and hotfn does not
    /// (say, an environment variable a build script reads).
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().direct_rustc(false).apply();
    /// ```
    pub fn direct_rustc(mut self, direct: bool) -> Config {
        self.direct_rustc = Some(direct);
        self
    }

    /// Whether the runtime compiles each hot crate once when it starts, before any edit. On by
    /// default: that build (at a lower CPU priority, loading nothing) asks cargo for the compiler
    /// command, fills the patches' incremental cache and reads the program's symbols, so the
    /// first edit reloads as fast as later ones. Turn it off to keep the CPU for the program at
    /// start, e.g. while measuring it.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().warm_up(false).apply();
    /// ```
    pub fn warm_up(mut self, warm_up: bool) -> Config {
        self.warm_up = Some(warm_up);
        self
    }

    /// The settings the environment gives (`HOTFN_*`), and a warning for each value that cannot
    /// be read.
    #[cfg_attr(not(hotfn_reload), allow(dead_code))]
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<String>) -> (Config, Vec<String>) {
        let flag = |name: &str| var(name).map(|v| !v.is_empty() && v != "0");
        let mut warnings = Vec::new();
        let mut config = Config {
            quiet: flag("HOTFN_QUIET"),
            debug_info: flag("HOTFN_DEBUGINFO"),
            direct_rustc: flag("HOTFN_DIRECT_RUSTC"),
            warm_up: flag("HOTFN_WARM_UP"),
            ..Config::default()
        };
        match var("HOTFN_SWAP").as_deref() {
            Some("reload-point") => config.swap = Some(Swap::AtReloadPoint),
            Some("immediate") => config.swap = Some(Swap::Immediate),
            Some(other) => warnings.push(format!(
                "HOTFN_SWAP={other:?} is not `immediate` or `reload-point`; ignored"
            )),
            None => {}
        }
        if let Some(ms) = var("HOTFN_DEBOUNCE_MS") {
            match ms.parse() {
                Ok(ms) => config.debounce = Some(Duration::from_millis(ms)),
                Err(_) => warnings.push(format!(
                    "HOTFN_DEBOUNCE_MS={ms:?} is not a number of milliseconds; ignored"
                )),
            }
        }
        if let Some(paths) = var("HOTFN_WATCH") {
            config.watch = std::env::split_paths(&paths).collect();
        }
        (config, warnings)
    }

    /// These settings, with each one `later` sets replacing this one (`watch` paths add up).
    #[cfg_attr(not(hotfn_reload), allow(dead_code))]
    pub(crate) fn merged(mut self, later: Config) -> Config {
        self.quiet = later.quiet.or(self.quiet);
        self.swap = later.swap.or(self.swap);
        self.debounce = later.debounce.or(self.debounce);
        self.debug_info = later.debug_info.or(self.debug_info);
        self.direct_rustc = later.direct_rustc.or(self.direct_rustc);
        self.warm_up = later.warm_up.or(self.warm_up);
        self.watch.extend(later.watch);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_read_and_code_overrides_it() {
        let env = |name: &str| match name {
            "HOTFN_QUIET" => Some("1".to_owned()),
            "HOTFN_WARM_UP" => Some("0".to_owned()),
            "HOTFN_SWAP" => Some("sometimes".to_owned()),
            "HOTFN_DEBOUNCE_MS" => Some("50".to_owned()),
            _ => None,
        };
        let (config, warnings) = Config::from_env(env);
        assert_eq!(config.quiet, Some(true));
        assert_eq!(config.warm_up, Some(false));
        assert_eq!(config.debounce, Some(Duration::from_millis(50)));
        assert_eq!(config.swap, None);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let merged = config.merged(Config::new().quiet(false).swap(Swap::AtReloadPoint));
        assert_eq!(merged.quiet, Some(false));
        assert_eq!(merged.swap, Some(Swap::AtReloadPoint));
        assert_eq!(merged.warm_up, Some(false), "kept from the environment");
    }
}

//! The settings in force: the environment's, then each [`Config::apply`]'s. The pipeline reads
//! them here, in one place, and passes them on to each step as arguments.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::config::{Config, Swap};

/// Every setting, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub quiet: bool,
    pub swap: Swap,
    pub debounce: Duration,
    pub watch: Vec<PathBuf>,
    pub debug_info: bool,
    pub direct_rustc: bool,
    pub warm_up: bool,
}

/// How long the file system must be quiet before a batch of events is handed on. An editor's
/// save (write to a temporary file, rename over the original) takes a few milliseconds. Slower
/// writers cost a build, never a wrong one: a build whose sources changed while it ran is thrown
/// away and built again, and a failed build waits for more changes before it is shown.
pub const DEBOUNCE: Duration = Duration::from_millis(20);

impl Settings {
    /// `config` with every unset setting at its default.
    pub fn resolve(config: &Config) -> Settings {
        Settings {
            quiet: config.quiet.unwrap_or(false),
            swap: config.swap.unwrap_or_default(),
            debounce: config.debounce.unwrap_or(DEBOUNCE),
            watch: config.watch.clone(),
            debug_info: config.debug_info.unwrap_or(false),
            direct_rustc: config.direct_rustc.unwrap_or(true),
            warm_up: config.warm_up.unwrap_or(true),
        }
    }
}

/// The merged configuration: `None` until first read, then the environment's, with what code
/// applied on top.
static CONFIG: Mutex<Option<Config>> = Mutex::new(None);

fn with_config<R>(f: impl FnOnce(&mut Config) -> R) -> (R, Vec<String>) {
    let mut config = CONFIG.lock().unwrap_or_else(PoisonError::into_inner);
    let mut warnings = Vec::new();
    let config = config.get_or_insert_with(|| {
        let (from_env, problems) = Config::from_env(|name| std::env::var(name).ok());
        warnings = problems;
        from_env
    });
    (f(config), warnings)
}

/// The settings now, and warnings about the environment the first time it is read.
pub fn current() -> (Settings, Vec<String>) {
    with_config(|config| Settings::resolve(config))
}

/// Applies `later` on top of the settings in force.
pub fn apply(later: Config) -> Vec<String> {
    with_config(|config| *config = std::mem::take(config).merged(later)).1
}

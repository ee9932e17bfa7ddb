//! The host side of [`control`](crate::control): event subscribers, the applied version,
//! settings, and the reload point. A reloaded library has its own copy of this module, with
//! nothing in it; its calls are forwarded to the host through [`HostApi`](crate::guard::HostApi).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::control::{Config, Event, Swap};
use crate::guard;

type Callback = Box<dyn Fn(&Event) + Send + Sync>;

static SUBSCRIBERS: RwLock<Vec<Arc<Callback>>> = RwLock::new(Vec::new());
static VERSION: AtomicU64 = AtomicU64::new(0);
static RELOADED: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());
static QUIET: AtomicBool = AtomicBool::new(false);
/// Whether reloaded libraries keep their debug info.
static DEBUG_INFO: AtomicBool = AtomicBool::new(false);
static DIRECT_RUSTC: AtomicBool = AtomicBool::new(true);
static SWAP: AtomicU8 = AtomicU8::new(0);
/// A version waits for [`reload_point`].
pub(crate) static PENDING: AtomicBool = AtomicBool::new(false);
/// Settings read when the runtime starts: from the environment, then from [`Config::apply`].
static STARTUP: Mutex<Option<Config>> = Mutex::new(None);

/// The settings from the environment (read once, before anything from code).
fn from_env() -> Config {
    let flag = |name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
    let mut config = Config::new();
    if std::env::var_os("HOTFN_QUIET").is_some() {
        config.quiet = Some(flag("HOTFN_QUIET"));
    }
    match std::env::var("HOTFN_SWAP").as_deref() {
        Ok("reload-point") => config.swap = Some(Swap::AtReloadPoint),
        Ok("immediate") => config.swap = Some(Swap::Immediate),
        Ok(other) => crate::report::warning(&format!(
            "HOTFN_SWAP={other:?} is not `immediate` or `reload-point`; ignored"
        )),
        Err(_) => {}
    }
    if let Ok(ms) = std::env::var("HOTFN_DEBOUNCE_MS") {
        match ms.parse() {
            Ok(ms) => config.debounce = Some(Duration::from_millis(ms)),
            Err(_) => crate::report::warning(&format!(
                "HOTFN_DEBOUNCE_MS={ms:?} is not a number of milliseconds; ignored"
            )),
        }
    }
    if std::env::var_os("HOTFN_DEBUGINFO").is_some() {
        config.debug_info = Some(flag("HOTFN_DEBUGINFO"));
    }
    if std::env::var_os("HOTFN_DIRECT_RUSTC").is_some() {
        config.direct_rustc = Some(flag("HOTFN_DIRECT_RUSTC"));
    }
    if std::env::var_os("HOTFN_WARM_UP").is_some() {
        config.warm_up = Some(flag("HOTFN_WARM_UP"));
    }
    if let Some(paths) = std::env::var_os("HOTFN_WATCH") {
        config.watch = std::env::split_paths(&paths).collect();
    }
    config
}

/// The settings in force, environment first: each call of [`Config::apply`] overrides what it sets.
fn settings() -> std::sync::MutexGuard<'static, Option<Config>> {
    let mut startup = STARTUP.lock().unwrap_or_else(PoisonError::into_inner);
    if startup.is_none() {
        let config = from_env();
        set_live(&config);
        *startup = Some(config);
    }
    startup
}

fn set_live(config: &Config) {
    if let Some(quiet) = config.quiet {
        QUIET.store(quiet, Ordering::Relaxed);
    }
    if let Some(swap) = config.swap {
        SWAP.store(swap as u8, Ordering::Relaxed);
    }
    if let Some(keep) = config.debug_info {
        DEBUG_INFO.store(keep, Ordering::Relaxed);
    }
    if let Some(direct) = config.direct_rustc {
        DIRECT_RUSTC.store(direct, Ordering::Relaxed);
    }
}

/// See [`Config::apply`].
pub fn apply(config: Config) {
    if let Some(host) = guard::host_of_library() {
        return (host.apply)(config);
    }
    let started = crate::runtime::started();
    {
        let mut settings = settings();
        let current = settings.get_or_insert_with(Config::new);
        set_live(&config);
        if started
            && (config.debounce.is_some() || !config.watch.is_empty() || config.warm_up.is_some())
        {
            crate::report::warning(
                "Config: `debounce`, `watch` and `warm_up` apply only when set before the runtime \
                 starts (before the first call of a #[hot] function)",
            );
        }
        current.quiet = config.quiet.or(current.quiet);
        current.swap = config.swap.or(current.swap);
        current.debug_info = config.debug_info.or(current.debug_info);
        current.direct_rustc = config.direct_rustc.or(current.direct_rustc);
        current.warm_up = config.warm_up.or(current.warm_up);
        current.debounce = config.debounce.or(current.debounce);
        current.watch.extend(config.watch);
    }
    crate::runtime::start();
}

/// What the runtime reads when it starts.
pub struct Startup {
    pub debounce: Option<Duration>,
    /// Extra paths to watch.
    pub watch: Vec<std::path::PathBuf>,
    pub warm_up: bool,
}

/// The settings read when the runtime starts.
pub fn startup() -> Startup {
    let settings = settings();
    let config = settings.as_ref().map_or_else(Config::new, Config::clone);
    Startup {
        debounce: config.debounce,
        watch: config.watch,
        warm_up: config.warm_up.unwrap_or(true),
    }
}

pub fn quiet() -> bool {
    drop(settings());
    QUIET.load(Ordering::Relaxed)
}

/// Whether the next build keeps debug info (see [`Config::debug_info`]).
pub fn debug_info() -> bool {
    drop(settings());
    DEBUG_INFO.load(Ordering::Relaxed)
}

/// Whether the next build may run the compiler without cargo (see [`Config::direct_rustc`]).
pub fn direct_rustc() -> bool {
    drop(settings());
    DIRECT_RUSTC.load(Ordering::Relaxed)
}

pub fn swap() -> Swap {
    drop(settings());
    match SWAP.load(Ordering::Relaxed) {
        0 => Swap::Immediate,
        _ => Swap::AtReloadPoint,
    }
}

pub fn subscribe(callback: Callback) {
    if let Some(host) = guard::host_of_library() {
        return (host.subscribe)(callback);
    }
    let mut subscribers = SUBSCRIBERS.write().unwrap_or_else(PoisonError::into_inner);
    subscribers.push(Arc::new(callback));
}

/// Delivers `event` to every subscriber. A subscriber that panics is not called again.
pub fn emit(event: &Event) {
    let subscribers = SUBSCRIBERS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for subscriber in subscribers {
        let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| subscriber(event)));
        if call.is_err() {
            SUBSCRIBERS
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|s| !Arc::ptr_eq(s, &subscriber));
        }
    }
}

pub fn version() -> u64 {
    match guard::host_of_library() {
        Some(host) => (host.version)(),
        None => VERSION.load(Ordering::Acquire),
    }
}

/// Records that `version` now runs, and wakes [`wait_for_reload`].
pub fn applied(version: u64) {
    let (lock, reloaded) = &RELOADED;
    let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    VERSION.fetch_max(version, Ordering::AcqRel);
    reloaded.notify_all();
}

pub fn wait_for_reload(timeout: Duration) -> Option<u64> {
    if let Some(host) = guard::host_of_library() {
        return (host.wait_for_reload)(timeout);
    }
    let deadline = Instant::now() + timeout;
    let (lock, reloaded) = &RELOADED;
    let mut guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let before = VERSION.load(Ordering::Acquire);
    loop {
        let now = VERSION.load(Ordering::Acquire);
        if now != before {
            return Some(now);
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        guard = reloaded
            .wait_timeout(guard, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

pub fn reload_point() {
    if let Some(host) = guard::host_of_library() {
        return (host.reload_point)();
    }
    if PENDING.load(Ordering::Acquire) {
        crate::runtime::apply_pending();
    }
}

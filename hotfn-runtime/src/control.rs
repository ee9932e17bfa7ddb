//! The public functions: the same API with and without the `hot` feature, so user code needs no
//! `cfg`. Without the feature (or where patches are not built), [`version`] is always 0, no event
//! ever happens, and [`reload_point`] compiles to nothing. This is the one place that asks
//! whether the runtime is there.

use std::time::Duration;

use crate::config::Config;
use crate::event::Event;

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
    #[cfg(hotfn_reload)]
    return crate::host::bus::version();
    #[cfg(not(hotfn_reload))]
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
    #[cfg(hotfn_reload)]
    crate::host::bus::subscribe(Box::new(callback));
    #[cfg(not(hotfn_reload))]
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
    #[cfg(hotfn_reload)]
    return crate::host::bus::wait_for_reload(timeout);
    #[cfg(not(hotfn_reload))]
    {
        let _ = timeout;
        None
    }
}

/// A safe point for new code to take over, with [`Swap::AtReloadPoint`](crate::Swap::AtReloadPoint): call it where no hot
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
    #[cfg(hotfn_reload)]
    if crate::host::bus::pending() {
        crate::host::apply_pending();
    }
}

impl Config {
    /// Applies the settings and starts the runtime. Without the `hot` feature, does nothing.
    ///
    /// ```no_run
    /// hotfn_runtime::Config::new().quiet(true).apply();
    /// ```
    pub fn apply(self) {
        #[cfg(hotfn_reload)]
        crate::host::apply(self);
        #[cfg(not(hotfn_reload))]
        drop(self);
    }
}

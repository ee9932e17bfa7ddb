//! Process-wide services for reloaded code: a reloaded library has its own copies of `log`'s
//! logger and `tracing`'s global dispatcher, both unset, so its records would be dropped. When
//! the host connects a library, the library's copies are pointed at the host's: its `log` records
//! go to the host's logger (checked against the host's level at each record, so a level the host
//! changes later applies), and its `tracing` events to the host's global default subscriber as it
//! is at that moment.
//!
//! A subscriber set with `tracing::subscriber::with_default` (scoped to a thread) is not the
//! global default and is not seen by reloaded code; neither is a logger set after the library
//! was loaded (the next reload picks it up).

use crate::guard::{self, HostApi};

/// The host's side: what a library asks for when it connects.
pub mod host {
    /// The host's logger.
    #[allow(improper_ctypes_definitions)] // see `HostApi`
    pub extern "C" fn logger() -> &'static dyn log::Log {
        log::logger()
    }

    /// The host's maximum log level.
    pub extern "C" fn log_level() -> log::LevelFilter {
        log::max_level()
    }

    /// The host's global default `tracing` dispatcher (none: a no-op one).
    #[allow(improper_ctypes_definitions)] // see `HostApi`
    pub extern "C" fn dispatch() -> tracing_core::Dispatch {
        tracing_core::dispatcher::get_default(tracing_core::Dispatch::clone)
    }
}

/// The library's logger: hands every record to the host's.
struct Forward;

impl Forward {
    fn host(&self) -> Option<&'static HostApi> {
        guard::host_of_library()
    }
}

impl log::Log for Forward {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.host().is_some_and(|host| {
            metadata.level() <= (host.log_level)() && (host.logger)().enabled(metadata)
        })
    }

    fn log(&self, record: &log::Record<'_>) {
        if let Some(host) = self.host()
            && record.level() <= (host.log_level)()
        {
            (host.logger)().log(record);
        }
    }

    fn flush(&self) {
        if let Some(host) = self.host() {
            (host.logger)().flush();
        }
    }
}

static FORWARD: Forward = Forward;

/// In a library being connected: point its `log` and `tracing` at the host's.
pub fn install(host: &'static HostApi) {
    if log::set_logger(&FORWARD).is_ok() {
        // Every record reaches `Forward`, which applies the host's level.
        log::set_max_level(log::LevelFilter::Trace);
    }
    let dispatch = (host.dispatch)();
    if !dispatch.is::<tracing_core::subscriber::NoSubscriber>()
        && tracing_core::dispatcher::set_global_default(dispatch).is_ok()
    {
        // A dispatcher registers with the callsites of the binary that made it (the host's);
        // this binary's callsites and maximum level must learn of it too.
        tracing_core::callsite::rebuild_interest_cache();
    }
}

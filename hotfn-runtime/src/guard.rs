//! Panics across binaries.
//!
//! The host program and every reloaded library each carry their own copy of std, and a panic
//! raised by one copy must never be caught, or even unwound into `main`, by another: std aborts
//! with "Rust cannot catch foreign exceptions". So a panic never crosses a binary boundary as an
//! exception. Every `#[hot]` function has, in every binary:
//!
//! - an **entry**, which calls the function under this binary's `catch_unwind` and hands a panic
//!   back as data ([`Panicked`]);
//! - a **guard**, with the function's own signature, which calls *another* binary's entry and then,
//!   in its own std, either returns the value, or asks the host runtime what to do: repeat the
//!   call on the last good version (a reloaded function panicked and was rolled back), or raise
//!   the panic here.
//!
//! A slot points at the binary's own export when the current code lives in the same binary
//! (original code keeps the normal panic path and costs nothing extra), and at the guard
//! otherwise, except in the host: there the caller is the program, whose std is the host's, so
//! the slot points straight at the other binary's **direct entry**, which calls the entry
//! itself and, when it reports a panic, rolls back and repeats the call through the host's slot,
//! or raises the panic with the host's std ([`HostApi::raise`]) so that it unwinds into the
//! program as if the program had raised it. Everything here is compiled into every binary; only the host's runtime is connected
//! to the others, through [`HostApi`].

use std::any::Any;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::time::Duration;

use crate::control::{Config, Event};

use crate::slot::{RawFn, Slot};

/// A panic, carried as data from the binary where it happened to the one that called in.
#[derive(Debug, Clone, PartialEq)]
pub struct Panicked {
    /// The panic message (the payload, when it is a string).
    pub message: String,
    /// `file:line:column`, when the binary's panic hook saw it.
    pub location: Option<String>,
}

impl Panicked {
    /// A panic whose entry reported nothing (it cannot happen with a well-formed entry).
    #[cold]
    pub fn unknown() -> Panicked {
        Panicked {
            message: "a panic in another binary, not reported".into(),
            location: None,
        }
    }

    /// Turns a caught payload into data, with the location recorded by this binary's hook.
    pub fn from_payload(payload: Box<dyn Any + Send>) -> Panicked {
        let location = LAST_LOCATION.take();
        match payload.downcast::<Panicked>() {
            Ok(panicked) => *panicked,
            Err(payload) => Panicked {
                message: message(&*payload),
                location,
            },
        }
    }

    /// Raises this panic in the calling binary, without printing it again.
    pub fn raise(self) -> ! {
        std::panic::resume_unwind(Box::new(self))
    }
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{} (at {location})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

thread_local! {
    /// How many entries of this binary are running on this thread.
    static IN_ENTRY: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic in an entry happened (set by this binary's hook).
    static LAST_LOCATION: Cell<Option<String>> = const { Cell::new(None) };
    /// Set while a guard of this binary repeats a call on the last good version.
    static REPLAYING: Cell<bool> = const { Cell::new(false) };
}

/// Marks the running of an entry on this thread, for this binary's panic hook.
pub struct EntryScope(());

impl EntryScope {
    /// Enters an entry.
    #[inline(always)]
    pub fn enter() -> EntryScope {
        IN_ENTRY.set(IN_ENTRY.get() + 1);
        EntryScope(())
    }
}

impl Drop for EntryScope {
    #[inline(always)]
    fn drop(&mut self) {
        IN_ENTRY.set(IN_ENTRY.get() - 1);
    }
}

/// What the host runtime offers the guards of every binary.
///
/// Rust types cross here: both sides are compiled by the same compiler from the same
/// hotfn-runtime (checked by `slot::ABI` before a library is connected), so they agree on them.
#[repr(C)]
#[allow(improper_ctypes_definitions)]
pub struct HostApi {
    /// A reloaded function's entry panicked: report it, roll its crate back, and say whether the
    /// call may be repeated through the slot (which now points at the last good version).
    pub recovered:
        extern "C" fn(entry: RawFn, path: &str, panicked: &Panicked, can_repeat: bool) -> bool,
    /// The public API of [`control`](crate::control), called from reloaded code.
    pub version: extern "C" fn() -> u64,
    /// See [`crate::reload_point`].
    pub reload_point: extern "C" fn(),
    /// See [`crate::wait_for_reload`].
    pub wait_for_reload: extern "C" fn(Duration) -> Option<u64>,
    /// See [`crate::on_event`].
    pub subscribe: extern "C" fn(Box<dyn Fn(&Event) + Send + Sync>),
    /// See [`crate::Config::apply`].
    pub apply: extern "C" fn(Config),
    /// The host's `log` logger, for reloaded code's records.
    pub logger: extern "C" fn() -> &'static dyn log::Log,
    /// The host's `log` level.
    pub log_level: extern "C" fn() -> log::LevelFilter,
    /// The host's global `tracing` dispatcher.
    pub dispatch: extern "C" fn() -> tracing_core::Dispatch,
    /// Raises a panic in the host's std, for a library's direct entry, whose caller is the
    /// program.
    pub raise: extern "C-unwind" fn(Panicked) -> !,
    /// Whether the current thread is repeating a call on the last good version, in the host;
    /// sets it when given a value.
    pub replaying: extern "C" fn(Option<bool>) -> bool,
}

static HOST: AtomicPtr<HostApi> = AtomicPtr::new(std::ptr::null_mut());
/// Set in reloaded libraries (connected by the host), never in the host itself.
static IS_LIBRARY: AtomicBool = AtomicBool::new(false);

/// Connects this binary to the host runtime.
pub(crate) fn connect(api: &'static HostApi) {
    HOST.store((api as *const HostApi).cast_mut(), Ordering::Release);
}

/// Connects a reloaded library to the host runtime.
pub(crate) fn connect_library(api: &'static HostApi) {
    connect(api);
    IS_LIBRARY.store(true, Ordering::Release);
}

/// The host's API, when this binary is a reloaded library.
pub(crate) fn host_of_library() -> Option<&'static HostApi> {
    if !IS_LIBRARY.load(Ordering::Acquire) {
        return None;
    }
    // SAFETY: `HOST` is set to the host's `'static` API before `IS_LIBRARY`.
    unsafe { HOST.load(Ordering::Acquire).as_ref() }
}

/// Called by a guard whose call into another binary panicked. Returns the value of the repeated
/// call when the runtime rolled back and the arguments could be kept; raises the panic here
/// otherwise.
///
/// # Safety
///
/// `repeat` must call `slot`'s current function with the original call's arguments.
#[cold]
#[inline(never)]
pub unsafe fn recover<R>(
    slot: &Slot,
    entry: RawFn,
    panicked: Panicked,
    repeat: Option<impl FnOnce() -> R>,
) -> R {
    let host = HOST.load(Ordering::Acquire);
    // SAFETY: `HOST` is null or points at the host's `'static` API, set once at connection.
    let host = unsafe { host.as_ref() };
    let replaying = REPLAYING.get();
    let can_repeat = repeat.is_some() && !replaying;
    let rolled_back =
        host.is_some_and(|host| (host.recovered)(entry, slot.info().path, &panicked, can_repeat));
    match repeat {
        Some(repeat) if rolled_back && !replaying => {
            struct Replaying;
            impl Drop for Replaying {
                fn drop(&mut self) {
                    REPLAYING.set(false);
                }
            }
            REPLAYING.set(true);
            let _replaying = Replaying;
            repeat()
        }
        _ => panicked.raise(),
    }
}

/// Installs this binary's panic hook: inside an entry it only records where the panic happened
/// (the host reports it); elsewhere (a thread the library started, say) it prints what std's
/// default hook prints.
pub(crate) fn install_library_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        if IN_ENTRY.get() > 0 {
            LAST_LOCATION.set(location);
            return;
        }
        let message = message(info.payload());
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        let at = location.unwrap_or_else(|| "<unknown>".into());
        eprintln!("\nthread '{name}' panicked at {at}:\n{message}");
    }));
}

/// Called by a library's direct entry (whose caller is the host program) when its call panicked.
/// Returns the value of the repeated call, made through the host's slot, when the runtime rolled
/// back and the arguments could be kept; raises the panic in the host's std otherwise.
///
/// # Safety
///
/// `repeat` must call the host's slot of `slot`'s function with the original call's arguments.
#[cold]
#[inline(never)]
pub unsafe fn recover_direct<R>(
    slot: &Slot,
    panicked: Panicked,
    repeat: Option<impl FnOnce() -> R>,
) -> R {
    let Some(host) = host_of_library() else {
        // Only the host's slots point at direct entries, and only at those of libraries.
        panicked.raise()
    };
    let replaying = (host.replaying)(None);
    let can_repeat = repeat.is_some() && !replaying;
    let rolled_back = (host.recovered)(slot.info().entry, slot.info().path, &panicked, can_repeat);
    match repeat {
        Some(repeat) if rolled_back && can_repeat => {
            struct Replaying(&'static HostApi);
            impl Drop for Replaying {
                fn drop(&mut self) {
                    (self.0.replaying)(Some(false));
                }
            }
            (host.replaying)(Some(true));
            let _replaying = Replaying(host);
            repeat()
        }
        _ => (host.raise)(panicked),
    }
}

/// For [`HostApi::raise`]: raises `panicked` with this binary's std.
#[allow(improper_ctypes_definitions)] // see `HostApi`
pub(crate) extern "C-unwind" fn raise(panicked: Panicked) -> ! {
    panicked.raise()
}

/// For [`HostApi::replaying`].
#[allow(improper_ctypes_definitions)] // see `HostApi`
pub(crate) extern "C" fn replaying(set: Option<bool>) -> bool {
    let was = REPLAYING.get();
    if let Some(value) = set {
        REPLAYING.set(value);
    }
    was
}

/// Keeps what a repeated call needs: `Some(copy)` for `Copy` arguments, `None` otherwise
/// (autoref specialisation: the generated code calls `(&Replay(&arg)).kept()`).
pub struct Replay<'a, T>(pub &'a T);

/// [`Replay`] for `Copy` arguments.
pub trait KeepCopy<T> {
    /// A copy of the argument.
    fn kept(&self) -> Option<T>;
}

impl<T: Copy> KeepCopy<T> for Replay<'_, T> {
    fn kept(&self) -> Option<T> {
        Some(*self.0)
    }
}

/// [`Replay`] for everything else: an owned argument is consumed by the first call.
pub trait KeepNone<T> {
    /// Nothing.
    fn kept(&self) -> Option<T>;
}

impl<T> KeepNone<T> for &Replay<'_, T> {
    fn kept(&self) -> Option<T> {
        None
    }
}

// The explicit borrows in these tests are the autoref specialisation under test.
#[cfg(test)]
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use super::{KeepCopy as _, KeepNone as _};

    #[test]
    fn copy_arguments_are_kept_owned_ones_are_not() {
        let number = 7u32;
        let text = String::from("owned");
        let borrowed: &str = &text;
        assert_eq!((&Replay(&number)).kept(), Some(7));
        assert_eq!((&Replay(&borrowed)).kept(), Some("owned"));
        assert_eq!((&Replay(&text)).kept(), None);
    }

    #[test]
    fn payloads_become_data_and_back() {
        let caught = std::panic::catch_unwind(|| {
            let _scope = EntryScope::enter();
            Panicked {
                message: "inner".into(),
                location: Some("src/lib.rs:1:1".into()),
            }
            .raise()
        })
        .unwrap_err();
        let panicked = Panicked::from_payload(caught);
        assert_eq!(panicked.message, "inner");
        assert_eq!(panicked.to_string(), "inner (at src/lib.rs:1:1)");
        let caught = std::panic::catch_unwind(|| panic!("plain {}", 1)).unwrap_err();
        assert_eq!(Panicked::from_payload(caught).message, "plain 1");
    }
}

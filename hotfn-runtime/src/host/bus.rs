//! What the program can follow: event subscribers, the applied version (with a condition to
//! wait on), and whether a version waits for a reload point.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::event::Event;

type Callback = Box<dyn Fn(&Event) + Send + Sync>;

static SUBSCRIBERS: RwLock<Vec<Arc<Callback>>> = RwLock::new(Vec::new());
static VERSION: AtomicU64 = AtomicU64::new(0);
static RELOADED: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());
/// A version waits for `reload_point`.
static PENDING: AtomicBool = AtomicBool::new(false);

pub fn subscribe(callback: Callback) {
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
    VERSION.load(Ordering::Acquire)
}

/// Records that `version` now runs, and wakes [`wait_for_reload`].
pub fn applied(version: u64) {
    let (lock, reloaded) = &RELOADED;
    let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    VERSION.fetch_max(version, Ordering::AcqRel);
    reloaded.notify_all();
}

pub fn wait_for_reload(timeout: Duration) -> Option<u64> {
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

/// Whether a version waits for the next reload point: one atomic load.
#[inline]
pub fn pending() -> bool {
    PENDING.load(Ordering::Acquire)
}

pub fn set_pending(pending: bool) {
    PENDING.store(pending, Ordering::Release);
}

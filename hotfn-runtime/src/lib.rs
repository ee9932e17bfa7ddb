//! Hot-reload Rust functions in a running program.
//!
//! Put [`#[hot]`](hot) on functions in your package's library, run `cargo run --features hot`,
//! edit one of them, save: the running program calls the new code on its next call, with all its
//! state intact. Without the feature, `#[hot]` leaves the function exactly as written and nothing
//! of this crate is linked into your program.
//!
//! ```toml
//! [dependencies]
//! hotfn-runtime = "0.1"
//!
//! [features]
//! hot = ["hotfn-runtime/hot"]
//! ```
//!
//! ```
//! use hotfn_runtime::hot;
//!
//! #[hot]
//! pub fn label(i: u64) -> String {
//!     format!("tick {i}")
//! }
//! # assert_eq!(label(3), "tick 3");
//! ```
//!
//! No init call, no `crate-type` change, no second terminal: the first call of any `#[hot]`
//! function starts the runtime, which watches the package's sources.
//!
//! # How it works
//!
//! With the `hot` feature, `#[hot] fn label` becomes three things:
//!
//! - an `extern "C-unwind"` **export** holding the body, under a symbol name made of the crate,
//!   its version, the file and the function's name, so that no two functions share one;
//! - a **slot**: a static atomic pointer to the code to run, registered in a linker-built list
//!   ([linkme]) so the runtime knows every slot, called or not;
//! - a **stub** with the original signature, docs and attributes, whose body is one atomic load
//!   and one indirect call through the slot.
//!
//! When a source file of the package changes, the runtime runs
//! `cargo rustc --lib --crate-type cdylib` with the host's profile, features and target directory
//! (only the edited crate recompiles; your `Cargo.toml` is untouched), copies the library to a
//! unique name in a private directory, loads it, checks that every function kept its signature,
//! and stores the new functions' addresses in every slot. Calls already running finish in the old
//! code, which stays loaded. While only the package's own Rust files change, later rebuilds run
//! the compiler command cargo ran the last time directly, without cargo's 30–70 ms of checks
//! (see [`Config::direct_rustc`]).
//!
//! # What survives a reload
//!
//! Everything the host program owns: locals of `main`, heap data, threads, open files and windows.
//! A plain `static` inside the hot crate does not: the reloaded library has its own fresh copy.
//! Put `#[hot]` on it and it lives in the host, shared by every version:
//!
//! ```
//! use std::sync::Mutex;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use hotfn_runtime::hot;
//!
//! /// Survives reloads; in hot mode one atomic load per access, in release a plain static.
//! #[hot]
//! pub static SCORE: AtomicU64 = AtomicU64::new(0);
//!
//! #[hot(reset)] // start from the initial value if the type changes
//! pub static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());
//!
//! #[hot]
//! pub fn score(points: u64) -> u64 {
//!     NAMES.lock().unwrap().push(format!("+{points}"));
//!     SCORE.fetch_add(points, Ordering::Relaxed) + points
//! }
//! # assert_eq!(score(2), 2);
//! ```
//!
//! Any `Sync` type with a constant initializer works: atomics, `Mutex`, `RwLock`, `OnceLock`,
//! `LazyLock`. Not `static mut`, and not `thread_local!` (per-thread state belongs in the host's
//! threads). If a new version changes the static's type so that its layout differs, the reload is
//! refused, unless the static says what to do: `#[hot(reset)]`, `#[hot(serde)]` (carried over as
//! JSON; the type implements `Serialize` and `Deserialize`; needs this crate's `serde` feature) or
//! `#[hot(migrate = f)]` with `fn f(old: hotfn_runtime::serde_json::Value) -> T`.
//!
//! # What reloaded code shares with the program
//!
//! A reloaded library carries its own copy of the standard library and of every dependency, so
//! each global exists once per library. hotfn connects the ones that matter:
//!
//! - **shared:** `#[hot] static`s; the heap (checked: both sides use `malloc`); `log`'s logger and
//!   `tracing`'s global subscriber (records from reloaded code reach the program's); panics
//!   (reported by the runtime, which rolls back); this crate's API ([`version`], [`on_event`]…);
//! - **per library:** every other static of the hot crate and its dependencies (a plain `static`,
//!   `OnceLock`s, a registry in some crate, a random generator's state), thread-locals, the
//!   stdout buffer, a `tracing` subscriber set with `with_default` (scoped to a thread), a logger
//!   set after the library was loaded. Keep such things in the program, or in `#[hot] static`s.
//!
//! # Safety rules, in plain words
//!
//! - A reload whose function signatures differ from the running ones is refused: calling new code
//!   with old argument types would be undefined behaviour. Restart to pick up signature changes.
//! - Old libraries are never unloaded, because code, vtables or `&'static` data from them may still
//!   be in use. Memory grows by roughly one library per reload; restart after many reloads.
//! - The library carries its own copy of the standard library. Values that allocate (`String`,
//!   `Vec`, `Box`) may cross between host and library because both use the C library's `malloc`;
//!   the runtime checks this, and turns reloading off (saying what to do) when the program has a
//!   `#[global_allocator]` that reloaded code cannot share.
//!
//! [linkme]: https://docs.rs/linkme

#![cfg_attr(docsrs, feature(doc_cfg))]

/// Makes a function, or every method of an inherent impl block, hot-reloadable, or a static
/// shared by every reloaded version.
///
/// Put it on free functions of your package's library (any visibility, any module), or on an
/// inherent `impl` block there. Without the `hot` feature of your crate the item is emitted
/// exactly as written. With it, calls go through a slot that a reload rebinds to the newly built
/// code. On a `static`, see [the crate docs](crate#what-survives-a-reload).
///
/// ```
/// use hotfn_runtime::hot;
///
/// /// Docs and attributes stay on the function.
/// #[hot]
/// #[must_use]
/// pub fn speed(level: u32) -> f32 {
///     1.5 * level as f32
/// }
/// # assert_eq!(speed(2), 3.0);
/// ```
///
/// On an impl block, every method in it reloads, whatever its receiver (`&self`, `&mut self`,
/// `self`, `self: Box<Self>`), and so do associated functions; `Self` may appear in arguments and
/// return types. The block's other items stay as they are.
///
/// ```
/// use hotfn_runtime::hot;
///
/// pub struct Ball {
///     pub y: f32,
/// }
///
/// #[hot]
/// impl Ball {
///     pub fn new() -> Self {
///         Ball { y: 10.0 }
///     }
///
///     pub fn fall(&mut self, dt: f32) {
///         self.y -= 9.8 * dt;
///     }
/// }
/// # let mut ball = Ball::new();
/// # ball.fall(1.0);
/// # assert_eq!(ball.y, 10.0 - 9.8);
/// ```
///
/// Arguments: `#[hot(crate = path)]` names this crate when you renamed the dependency; on a
/// static, one of `reset`, `serde` and `migrate = path` says what happens when its type changes.
///
/// Not accepted (a compile error says why and what to do): generic type or const parameters,
/// `async fn`, `const fn`, `extern "ABI"` functions, `impl Trait` in arguments or return; generic
/// impl blocks and trait impls; `#[hot]` on a single method (put it on the impl block: on a
/// method it cannot see the impl's type). A single associated function of a plain impl block may
/// have its own `#[hot]` as long as neither its signature nor its body names `self`, `Self` or
/// a lifetime of the impl block.
pub use hotfn_macros::hot;

mod control;
pub use control::{Config, Event, Swap, Timings, on_event, reload_point, version, wait_for_reload};

/// JSON, in which `#[hot(migrate = f)]` hands `f` the old value of a `#[hot] static`.
///
/// ```
/// use std::sync::Mutex;
/// use hotfn_runtime::{hot, serde_json::Value};
///
/// #[derive(serde::Serialize)] // the old value is saved as JSON
/// pub struct Player { pub name: String, pub lives: u32 }
///
/// /// Called with the old `Player` as JSON when a new version changes the type.
/// fn keep_name(old: Value) -> Mutex<Player> {
///     let name = old["name"].as_str().unwrap_or("player").to_owned();
///     Mutex::new(Player { name, lives: 3 })
/// }
///
/// #[hot(migrate = keep_name)]
/// pub static PLAYER: Mutex<Player> = Mutex::new(Player { name: String::new(), lives: 3 });
/// ```
#[cfg(feature = "serde")]
pub use serde_json;

#[cfg(feature = "hot")]
mod alloc;
#[cfg(feature = "hot")]
mod bind;
#[cfg(feature = "hot")]
mod cargo;
#[cfg(feature = "hot")]
mod events;
#[cfg(feature = "hot")]
mod fingerprint;
#[cfg(feature = "hot")]
mod forward;
#[cfg(feature = "hot")]
mod guard;
#[cfg(feature = "hot")]
mod load;
#[cfg(feature = "hot")]
mod registry;
#[cfg(feature = "hot")]
mod replay;
#[cfg(feature = "hot")]
mod report;
#[cfg(feature = "hot")]
mod runtime;
#[cfg(feature = "hot")]
mod slot;
#[cfg(feature = "hot")]
mod state;
#[cfg(feature = "hot")]
mod verify;
#[cfg(feature = "hot")]
mod watch;

/// What code generated by `#[hot]` uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "hot")]
    pub use crate::fingerprint::{Probe, SizedProbe, TypeLayout, UnsizedProbe};
    #[cfg(feature = "hot")]
    pub use crate::guard::{
        EntryScope, KeepCopy, KeepNone, Panicked, Replay, recover, recover_direct,
    };
    #[cfg(feature = "hot")]
    pub use crate::runtime::reload_library;
    #[cfg(feature = "hot")]
    pub use crate::slot::{FnInfo, RawFn, SLOTS, Slot, Target, typed_like};
    #[cfg(feature = "hot")]
    pub use crate::state::{OnChange, STATES, Shared, StateInfo, StateSlot};
    #[cfg(all(feature = "hot", feature = "serde"))]
    pub use crate::state::{load_json, load_with, save_json};

    pub use crate::__hotfn_migrate as migrate;

    /// `OnChange::Migrate` for a `#[hot(serde)]` static of type `$ty`, or through `$migrate`.
    #[cfg(feature = "serde")]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __hotfn_migrate {
        (check $ty:ty, $migrate:path) => {
            const _: fn($crate::serde_json::Value) -> $ty = $migrate;
        };
        ($ty:ty) => {
            $crate::__private::OnChange::Migrate {
                save: $crate::__private::save_json::<$ty>,
                load: $crate::__private::load_json::<$ty>,
            }
        };
        ($ty:ty, $migrate:path) => {{
            fn load(json: &str) -> ::core::result::Result<*mut (), ::std::string::String> {
                $crate::__private::load_with::<$ty>(json, $migrate)
            }
            $crate::__private::OnChange::Migrate {
                save: $crate::__private::save_json::<$ty>,
                load,
            }
        }};
    }

    /// Without the `serde` feature: say how to turn it on.
    #[cfg(not(feature = "serde"))]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __hotfn_migrate {
        ($($any:tt)*) => {
            ::core::compile_error!(
                "#[hot(serde)] and #[hot(migrate = f)] need the `serde` feature of hotfn-runtime: \
                 in Cargo.toml, `hotfn-runtime = { version = \"…\", features = [\"serde\"] }`"
            )
        };
    }
    #[cfg(feature = "hot")]
    pub use linkme;

    pub use crate::__hotfn_hot_item as hot_item;

    /// Emits the hot form of a `#[hot]` function.
    #[cfg(feature = "hot")]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __hotfn_hot_item {
        ({ $($plain:tt)* } { $($hot:tt)* }) => { $($hot)* };
    }

    /// The crate enabled its own `hot` feature but not `hotfn-runtime/hot`: say so once, and keep
    /// the plain function so that nothing else fails.
    #[cfg(not(feature = "hot"))]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __hotfn_hot_item {
        ({ $($plain:tt)* } { $($hot:tt)* }) => {
            ::core::compile_error!(
                "the `hot` feature of this crate must enable hot reloading in hotfn-runtime: \
                 in Cargo.toml write `[features] hot = [\"hotfn-runtime/hot\"]`"
            );
            $($plain)*
        };
    }
}

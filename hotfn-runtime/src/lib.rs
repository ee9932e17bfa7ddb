//! Hot-reload Rust functions in a running program.
//!
//! Put [`#[hot]`](hot) on functions, run `cargo run --features hot`, edit one of them, save: the
//! running program calls the new code on its next call, with all its state intact. Without the
//! feature, `#[hot]` leaves the function exactly as written and nothing of this crate is linked
//! into your program.
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
//! With the `hot` feature, a `#[hot]` function keeps its name, signature and body, and starts
//! with a prologue: one atomic load of its *target*, and, when the target is another version of
//! the function, a call of that version instead. When a source file of the package changes, the
//! runtime compiles the crate again (the exact compiler command cargo uses for it, so only that
//! crate compiles), and links the crate's new objects into a **patch**: a small shared object
//! whose every reference to the standard library, to dependencies and to the crate's own statics
//! resolves to the running program's copies. It loads the patch, checks that every function kept
//! its signature and every static its size, and points each function's target at the new code.
//! Calls already running finish in the old code, which stays loaded.
//!
//! # What survives a reload
//!
//! Everything: there is one program, with one standard library (one allocator, one panic hook,
//! one stdout) and one copy of every dependency, so an async runtime, a task pool or a registry
//! the program set up is the one reloaded code sees. The hot crate's own statics (plain ones,
//! `OnceLock`s, `LazyLock`s, atomics, `Mutex`es) and thread-locals keep their values: a patch
//! binds them to the program's. A static the edit adds lives in the patch that adds it, and
//! later patches share it. A static whose type changes size cannot be shared: the reload is
//! refused, naming it.
//!
//! For a value whose type should be able to change, put `#[hot]` on the static and say how to
//! carry it over:
//!
//! ```
//! use std::sync::Mutex;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use hotfn_runtime::hot;
//!
//! /// Kept across reloads, like any static; in hot mode one atomic load per access.
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
//! Any `Sync` type with a constant initializer works. If a new version changes such a static's
//! type so that its layout differs, the reload is refused, unless the static says what to do:
//! `#[hot(reset)]`, `#[hot(serde)]` (carried over as JSON; the type implements `Serialize` and
//! `Deserialize`; needs this crate's `serde` feature) or `#[hot(migrate = f)]` with
//! `fn f(old: hotfn_runtime::serde_json::Value) -> T`.
//!
//! # Safety rules, in plain words
//!
//! - A reload whose function signatures or argument layouts differ from the running ones is
//!   refused: calling new code with old argument types would be undefined behaviour. So is one
//!   that would give a static or thread-local a second copy, or that needs code the program does
//!   not contain. Restart to pick up such changes.
//! - Old versions are never unloaded, because code, vtables or `&'static` data from them may still
//!   be in use. Memory grows by one patch per reload (the crate's code, not its dependencies).
//! - Reloading is built on Linux x86_64. Elsewhere `#[hot]` functions are plain functions, with
//!   the `hot` feature or without it.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// Makes a function, a method, or every method of an impl block hot-reloadable, or a static
/// able to change its type.
///
/// Put it on free functions (any visibility, any module, in a library or a binary), on methods,
/// or on an `impl` block, inherent or of a trait. Without the `hot` feature of your crate the item
/// is emitted exactly as written. With it, every call reaches the newest version of the
/// function, however it is called: directly, through a function pointer, through `dyn Trait`
/// or generic code. On a `static`, see [the crate docs](crate#what-survives-a-reload).
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
/// A trait impl reloads the same way, `#[hot]` on the block or on one method of it; the trait's
/// default methods that the impl does not override are not part of the impl, and do not reload:
///
/// ```
/// use hotfn_runtime::hot;
///
/// pub trait Scene {
///     fn title(&self) -> String;
/// }
///
/// pub struct Level(pub u32);
///
/// impl Scene for Level {
///     #[hot]
///     fn title(&self) -> String {
///         format!("level {}", self.0)
///     }
/// }
/// # let scene: Box<dyn Scene> = Box::new(Level(2));
/// # assert_eq!(scene.title(), "level 2");
/// ```
///
/// An `async fn` reloads too: each call makes its future with the version current at the call,
/// and a future keeps running in the version it started in. In hot mode the future is boxed (one
/// allocation per call), and it is `Send` exactly when the function's own future is.
///
/// Not accepted (a compile error says why and what to do): generic type or const parameters,
/// `const fn`, `extern "ABI"` functions, `impl Trait` in arguments or return; generic impl blocks.
pub use hotfn_macros::hot;

mod config;
mod control;
mod event;
pub use config::{Config, Swap};
pub use control::{on_event, reload_point, version, wait_for_reload};
pub use event::{Event, Timings};

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

#[cfg(hotfn_reload)]
mod abi;
#[cfg(hotfn_reload)]
mod host;
#[cfg(hotfn_reload)]
mod private;

/// What code generated by `#[hot]` uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(hotfn_reload)]
    pub use crate::private::*;

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
    pub use crate::__hotfn_hot_item as hot_item;

    /// Emits the hot form of a `#[hot]` item.
    #[cfg(hotfn_reload)]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __hotfn_hot_item {
        ({ $($plain:tt)* } { $($hot:tt)* }) => { $($hot)* };
    }

    /// Where reloading is not built (not Linux x86_64), the plain form.
    #[cfg(all(feature = "hot", not(hotfn_reload)))]
    #[doc(hidden)]
    #[macro_export]
    macro_rules! __hotfn_hot_item {
        ({ $($plain:tt)* } { $($hot:tt)* }) => { $($plain)* };
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

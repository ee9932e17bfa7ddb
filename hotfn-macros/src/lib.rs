//! The `#[hot]` attribute of [hotfn](https://docs.rs/hotfn-runtime).
//!
//! Use it through `hotfn-runtime`, which re-exports it as `hotfn_runtime::hot` and documents the
//! model; this crate only turns a function, a method, an impl block or a static into its two
//! forms:
//!
//! - without the `hot` feature of the crate that uses it, the item exactly as written;
//! - with it, each function as written with a prologue that calls the current version when that
//!   is not this code (see `hot`), and each static behind a slot (see `state`).
//!
//! One phase per file: `args` and `item` are what was parsed, `validate` the rules, `callable`
//! the model of a function, `hot` and `state` the output, `expand` the dispatch; `context` reads
//! the compile-time environment; `symbol`, `layout`, `types` and `hash` make names and
//! fingerprints.

mod args;
mod callable;
mod context;
mod expand;
mod hash;
mod hot;
mod item;
mod layout;
mod state;
mod symbol;
mod types;
mod validate;

use proc_macro::TokenStream;

/// Makes a function, a method, or every method of an impl block hot-reloadable. See
/// `hotfn_runtime::hot` for the full documentation.
///
/// ```ignore
/// use hotfn_runtime::hot;
///
/// #[hot]
/// pub fn label(i: u64) -> String {
///     format!("tick {i}")
/// }
/// ```
#[proc_macro_attribute]
pub fn hot(args: TokenStream, input: TokenStream) -> TokenStream {
    let file = proc_macro::Span::call_site().local_file();
    let context = context::Context::from_env(file);
    expand::hot(args.into(), input.into(), &context).into()
}

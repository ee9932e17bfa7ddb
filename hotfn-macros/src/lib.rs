//! The `#[hot]` attribute of [hotfn](https://docs.rs/hotfn-runtime).
//!
//! Use it through `hotfn-runtime`, which re-exports it as `hotfn_runtime::hot` and documents the
//! model; this crate only turns a function, or every method of an inherent impl block, into its
//! two forms:
//!
//! - without the `hot` feature of the crate that uses it, the item exactly as written;
//! - with it, a stub with the same signature that loads a slot and calls through it, and the body
//!   moved into an `extern "C-unwind"` export that a reloaded library provides anew.

mod expand;
mod features;
mod layout;
mod method;
mod parse;
mod state;
mod symbol;
mod types;
mod validate;

use proc_macro::TokenStream;

/// Makes a function, or every method of an inherent impl block, hot-reloadable. See
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
    let site = symbol::Site::from_env(file);
    expand::hot(args.into(), input.into(), &site).into()
}

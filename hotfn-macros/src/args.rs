//! The arguments of `#[hot(...)]`: `crate = path`, and on a static what to do when its type
//! changes.

use proc_macro2::TokenStream;
use syn::Token;

/// The arguments of `#[hot(...)]`.
pub struct Args {
    /// Path of the runtime crate, for users who renamed the dependency: `#[hot(crate = my_hot)]`.
    pub krate: syn::Path,
    /// On a `static`: what to do when its type's layout changes.
    pub on_change: OnChange,
}

/// What a `#[hot] static` does when its type's layout changes in a new version.
pub enum OnChange {
    /// Refuse the reload (no argument).
    Refuse,
    /// `reset`: start from the initial value.
    Reset(proc_macro2::Span),
    /// `serde`: carry the value over as JSON.
    Serde(proc_macro2::Span),
    /// `migrate = path`: carry it over through `path(old_json) -> T`.
    Migrate(syn::Path),
}

impl OnChange {
    /// Where the argument was written, for an error on a function.
    pub fn span(&self) -> Option<proc_macro2::Span> {
        match self {
            OnChange::Refuse => None,
            OnChange::Reset(span) | OnChange::Serde(span) => Some(*span),
            OnChange::Migrate(path) => Some(syn::spanned::Spanned::span(path)),
        }
    }
}

impl Args {
    pub fn parse(tokens: TokenStream) -> syn::Result<Args> {
        let mut krate = None;
        let mut on_change = OnChange::Refuse;
        let parser = syn::meta::parser(|meta| {
            let named = |name| meta.path.is_ident(name);
            if named("reset") || named("serde") || named("migrate") {
                if on_change.span().is_some() {
                    return Err(meta.error(
                        "give one of `reset`, `serde` and `migrate = path`: they are \
                         alternatives",
                    ));
                }
                let span = syn::spanned::Spanned::span(&meta.path);
                on_change = if named("reset") {
                    OnChange::Reset(span)
                } else if named("serde") {
                    OnChange::Serde(span)
                } else {
                    const USAGE: &str = "expected `migrate = path::to::function`, a \
                        `fn(hotfn_runtime::serde_json::Value) -> T` that turns the old value \
                        into the new one";
                    if !meta.input.peek(Token![=]) {
                        return Err(meta.error(USAGE));
                    }
                    let path = meta
                        .value()?
                        .parse()
                        .map_err(|error| syn::Error::new(error.span(), USAGE))?;
                    OnChange::Migrate(path)
                };
                return Ok(());
            }
            if meta.path.is_ident("crate") {
                const USAGE: &str = "expected `crate = path`, the name under which your Cargo.toml depends on hotfn-runtime, e.g. `#[hot(crate = my_hotfn)]`";
                if krate.is_some() {
                    return Err(meta.error("`crate` is given twice; keep one"));
                }
                if !meta.input.peek(Token![=]) {
                    return Err(meta.error(USAGE));
                }
                let value = meta.value()?;
                if value.is_empty() {
                    return Err(meta.error(USAGE));
                }
                let path = value
                    .parse()
                    .map_err(|error| syn::Error::new(error.span(), USAGE))?;
                krate = Some(path);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument to #[hot]; the arguments are `crate = path::to::hotfn_runtime` \
                     and, on a static, one of `reset`, `serde` and `migrate = path`",
                ))
            }
        });
        syn::parse::Parser::parse2(parser, tokens)?;
        Ok(Args {
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::hotfn_runtime)),
            on_change,
        })
    }
}

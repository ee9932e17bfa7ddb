//! What `#[hot]` was given: its arguments and the function, with the body kept as raw tokens.

use proc_macro2::{Group, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility};

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

/// A function under `#[hot]`. The signature is parsed strictly; the body is kept as tokens so that
/// a half-edited body is reported by the compiler at the user's span, not by this macro.
pub struct HotFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    /// The `{ ... }` group, untouched.
    pub body: Group,
}

impl Parse for HotFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(input.error(
                "#[hot] needs a function with a body; a declaration without one has nothing to reload",
            ));
        }
        let body: Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace {
            return Err(syn::Error::new(
                body.span(),
                "expected the function body `{ ... }`",
            ));
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function body"));
        }
        Ok(HotFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// When the attribute was put on something other than a function: the item, the tokens that name
/// it (`struct Board`), for the error's span, and the error message.
pub fn describe_non_fn(tokens: TokenStream) -> Option<(TokenStream, TokenStream, String)> {
    use quote::{ToTokens, quote};
    use syn::Item;
    let item: Item = syn::parse2(tokens).ok()?;
    let (name, what) = match &item {
        Item::Impl(i) => {
            let (impl_token, self_ty) = (&i.impl_token, &i.self_ty);
            (quote!(#impl_token #self_ty), "an impl block")
        }
        Item::Struct(i) => (keyword_and_name(&i.struct_token, &i.ident), "a struct"),
        Item::Enum(i) => (keyword_and_name(&i.enum_token, &i.ident), "an enum"),
        Item::Static(i) => (keyword_and_name(&i.static_token, &i.ident), "a static"),
        Item::Const(i) => (keyword_and_name(&i.const_token, &i.ident), "a const"),
        Item::Mod(i) => (keyword_and_name(&i.mod_token, &i.ident), "a module"),
        Item::Trait(i) => (keyword_and_name(&i.trait_token, &i.ident), "a trait"),
        Item::Type(i) => (keyword_and_name(&i.type_token, &i.ident), "a type alias"),
        Item::Union(i) => (keyword_and_name(&i.union_token, &i.ident), "a union"),
        Item::Use(i) => (i.use_token.to_token_stream(), "a use declaration"),
        Item::ForeignMod(i) => (i.abi.to_token_stream(), "an extern block"),
        Item::Macro(i) => (i.mac.path.to_token_stream(), "a macro invocation"),
        _ => (item.to_token_stream(), "this item"),
    };
    let advice = match &item {
        Item::Impl(_) => "put #[hot] on free functions (methods are not supported yet)",
        _ => "remove #[hot] here and put it on the functions to reload",
    };
    let message = format!("#[hot] goes on functions and statics, but this is {what}; {advice}");
    Some((item.to_token_stream(), name, message))
}

fn keyword_and_name(keyword: &impl quote::ToTokens, name: &syn::Ident) -> TokenStream {
    quote::quote!(#keyword #name)
}

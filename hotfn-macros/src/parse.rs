//! What `#[hot]` was given: its arguments and the function, with the body kept as raw tokens.

use proc_macro2::{Group, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility};

/// The arguments of `#[hot(...)]`.
pub struct Args {
    /// Path of the runtime crate, for users who renamed the dependency: `#[hot(crate = my_hot)]`.
    pub krate: syn::Path,
}

impl Args {
    pub fn parse(tokens: TokenStream) -> syn::Result<Args> {
        let mut krate = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("crate") {
                krate = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument to #[hot]; the only argument is `crate = path::to::hotfn_runtime`",
                ))
            }
        });
        syn::parse::Parser::parse2(parser, tokens)?;
        Ok(Args {
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::hotfn_runtime)),
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

/// Names what the attribute was put on when it is not a function, for the error message.
pub fn describe_non_fn(tokens: TokenStream) -> Option<(TokenStream, &'static str)> {
    use quote::ToTokens;
    let item: syn::Item = syn::parse2(tokens).ok()?;
    let what = match &item {
        syn::Item::Impl(_) => {
            "an impl block; put #[hot] on free functions (methods are not supported yet)"
        }
        syn::Item::Struct(_) => "a struct",
        syn::Item::Enum(_) => "an enum",
        syn::Item::Static(_) => "a static",
        syn::Item::Const(_) => "a const",
        syn::Item::Mod(_) => "a module",
        syn::Item::Trait(_) => "a trait",
        syn::Item::Type(_) => "a type alias",
        syn::Item::Use(_) => "a use declaration",
        syn::Item::Union(_) => "a union",
        syn::Item::ForeignMod(_) => "an extern block",
        syn::Item::Macro(_) => "a macro invocation",
        _ => "this item",
    };
    Some((item.to_token_stream(), what))
}

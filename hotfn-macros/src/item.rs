//! What `#[hot]` was put on: a function or an impl block, with every body kept as raw tokens
//! (so that a half-edited body is the compiler's to report, not this macro's).

use proc_macro2::{Group, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility};

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
        let f = HotFn::parse_one(input)?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function body"));
        }
        Ok(f)
    }
}

impl HotFn {
    /// One function, which may be followed by more items (in an impl block).
    fn parse_one(input: ParseStream) -> syn::Result<Self> {
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
        Ok(HotFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// An `impl` block under `#[hot]`, inherent or of a trait: every method in it is hot. Method
/// bodies are kept as tokens, like a function's.
pub struct HotImpl {
    /// `impl<...> Trait for Type where ... {}` as written, with its outer attributes and no
    /// items.
    pub header: syn::ItemImpl,
    /// `#![...]` inside the braces.
    pub inner_attrs: Vec<Attribute>,
    pub members: Vec<Member>,
}

/// One item of a `#[hot]` impl block.
pub enum Member {
    /// A method or associated function, with any `#[hot]` of its own already taken off (kept in
    /// `hot_attrs` for validation): the impl's attribute covers it.
    Method { f: HotFn, hot_attrs: Vec<Attribute> },
    /// Anything else (`const`, `type`, a macro invocation), kept as it is.
    Other(syn::ImplItem),
}

impl Parse for HotImpl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // The header is everything before the last `{ ... }`; syn parses it with an empty body,
        // and the members are parsed here, so that their bodies stay tokens.
        let mut header: Vec<proc_macro2::TokenTree> = Vec::new();
        while !input.is_empty() {
            header.push(input.parse()?);
        }
        let body = match header.pop() {
            Some(proc_macro2::TokenTree::Group(group))
                if group.delimiter() == proc_macro2::Delimiter::Brace =>
            {
                group
            }
            _ => return Err(input.error("expected the impl block's body `{ ... }`")),
        };
        let mut header_tokens: TokenStream = header.into_iter().collect();
        header_tokens.extend(quote::quote!({}));
        let header: syn::ItemImpl = syn::parse2(header_tokens)?;
        let (inner_attrs, members) = syn::parse::Parser::parse2(parse_members, body.stream())?;
        Ok(HotImpl {
            header,
            inner_attrs,
            members,
        })
    }
}

fn parse_members(input: ParseStream) -> syn::Result<(Vec<Attribute>, Vec<Member>)> {
    let inner_attrs = input.call(Attribute::parse_inner)?;
    let mut members = Vec::new();
    while !input.is_empty() {
        // A function with a body: as a `HotFn`, so that a half-edited body still parses. Anything
        // else (including `default fn`, which only trait impls may have) as syn's `ImplItem`.
        let fork = input.fork();
        if let Ok(mut f) = HotFn::parse_one(&fork) {
            syn::parse::discouraged::Speculative::advance_to(input, &fork);
            let (hot_attrs, attrs) = f.attrs.drain(..).partition(is_hot_attr);
            f.attrs = attrs;
            members.push(Member::Method { f, hot_attrs });
        } else {
            members.push(Member::Other(input.parse()?));
        }
    }
    Ok((inner_attrs, members))
}

/// Whether `attr` is `#[hot]` (or `#[path::to::hot(...)]`).
pub fn is_hot_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "hot")
}

/// Whether `tokens` are an impl block: outer attributes, then `impl`, `unsafe impl` or
/// `default impl`.
pub fn is_impl(tokens: &TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let mut tokens = tokens.clone().into_iter().peekable();
    loop {
        match tokens.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '#' => {
                tokens.next_if(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '!'));
                tokens.next(); // the `[...]` group
            }
            Some(TokenTree::Ident(ident)) if ident == "unsafe" || ident == "default" => {}
            Some(TokenTree::Ident(ident)) => return ident == "impl",
            _ => return false,
        }
    }
}

impl HotImpl {
    /// The impl block as written, without `#[hot]` on its methods.
    pub fn plain(&self) -> TokenStream {
        let members = self.members.iter().map(Member::plain);
        self.with_members(&self.header.attrs, quote::quote!(#(#members)*))
    }

    /// The impl's header and inner attributes around `members`, with outer attributes `attrs`.
    pub fn with_members(
        &self,
        attrs: &[impl quote::ToTokens],
        members: TokenStream,
    ) -> TokenStream {
        let syn::ItemImpl {
            defaultness,
            unsafety,
            impl_token,
            generics,
            trait_,
            self_ty,
            ..
        } = &self.header;
        let trait_ = trait_
            .as_ref()
            .map(|(bang, path, for_token)| quote::quote!(#bang #path #for_token));
        let where_clause = &generics.where_clause;
        let inner_attrs = &self.inner_attrs;
        quote::quote! {
            #(#attrs)*
            #defaultness #unsafety #impl_token #generics #trait_ #self_ty #where_clause {
                #(#inner_attrs)*
                #members
            }
        }
    }
}

impl Member {
    fn plain(&self) -> TokenStream {
        match self {
            Member::Method { f, .. } => f.plain(),
            Member::Other(item) => quote::ToTokens::to_token_stream(item),
        }
    }
}

impl HotFn {
    /// The function as written (without the attributes taken off it).
    pub fn plain(&self) -> TokenStream {
        let HotFn {
            attrs,
            vis,
            sig,
            body,
        } = self;
        quote::quote!(#(#attrs)* #vis #sig #body)
    }
}

/// When the attribute was put on something other than a function: the item, the tokens that name
/// it (`struct Board`), for the error's span, and the error message.
pub fn describe_non_fn(tokens: TokenStream) -> Option<(TokenStream, TokenStream, String)> {
    use quote::ToTokens;
    use syn::Item;
    let item: Item = syn::parse2(tokens).ok()?;
    let (name, what) = match &item {
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
    let message = format!(
        "#[hot] goes on functions, methods, impl blocks and statics, but this is {what}; remove #[hot] here and put it on the functions to reload"
    );
    Some((item.to_token_stream(), name, message))
}

fn keyword_and_name(keyword: &impl quote::ToTokens, name: &syn::Ident) -> TokenStream {
    quote::quote!(#keyword #name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impl_blocks_are_told_from_functions() {
        for (item, is) in [
            ("impl Ball {}", true),
            ("#[doc = \"x\"] impl<'a> Words<'a> {}", true),
            ("unsafe impl Send for Ball {}", true),
            ("#![allow(dead_code)] impl Ball {}", true),
            ("fn impl_like() {}", false),
            ("pub fn f() {}", false),
            ("struct Impl;", false),
        ] {
            let tokens: TokenStream = item.parse().unwrap();
            assert_eq!(is_impl(&tokens), is, "{item}");
        }
    }

    #[test]
    fn methods_keep_half_edited_bodies_and_lose_their_own_hot() {
        let item: HotImpl = syn::parse_str(
            "impl Ball {
                 const N: u32 = 1;
                 #[hot] #[inline] pub fn speed(&self) -> f32 { let x = ; x }
                 fn declared();
                 my_macro!();
             }",
        )
        .unwrap();
        let kinds: Vec<_> = item
            .members
            .iter()
            .map(|m| match m {
                Member::Method { f, hot_attrs } => {
                    assert_eq!(f.body.to_string(), "{ let x = ; x }");
                    assert_eq!(f.attrs.len(), 1, "#[inline] stays");
                    assert_eq!(hot_attrs.len(), 1, "#[hot] goes");
                    "method"
                }
                Member::Other(_) => "other",
            })
            .collect();
        assert_eq!(kinds, ["other", "method", "other", "other"]);
        assert!(!item.plain().to_string().contains("hot"));
    }
}

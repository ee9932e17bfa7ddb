//! `#[hot]` on a `static`: host-owned state. Without the `hot` feature, the static as written.
//! With it, the value lives in a hidden static of this binary, and the public static becomes a
//! `Shared<T>` that dereferences, with one atomic load, to the instance the program uses — this
//! binary's own, or, in a reloaded library, the host's (see `hotfn_runtime`'s `state` module).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemStatic, StaticMutability};

use crate::parse::Args;

/// Both forms of a `#[hot] static`, or an error next to the static as written.
pub fn expand(args: &Args, item: &ItemStatic) -> TokenStream {
    let ItemStatic {
        attrs,
        vis,
        mutability,
        ident,
        ty,
        expr,
        ..
    } = item;
    let plain = quote!(#(#attrs)* #vis static #mutability #ident: #ty = #expr;);
    if let StaticMutability::Mut(token) = mutability {
        let error = syn::Error::new_spanned(
            token,
            "#[hot] cannot share a `static mut` between versions; use a static of an atomic, \
             `Mutex`, `RwLock`, `OnceLock` or `LazyLock` type and remove `mut`",
        )
        .to_compile_error();
        return quote!(#error #plain);
    }
    let krate = &args.krate;
    let private = quote!(#krate::__private);
    let linkme = quote!(#private::linkme);
    let hot = quote! {
        #(#attrs)*
        #vis static #ident: #private::Shared<#ty> = {
            static VALUE: #ty = #expr;
            static INFO: #private::StateInfo = #private::StateInfo {
                key: ::core::concat!(
                    ::core::module_path!(), "::", ::core::stringify!(#ident),
                    "@", ::core::env!("CARGO_PKG_VERSION"),
                ),
                layout: {
                    fn layout() -> #private::TypeLayout {
                        use #private::SizedProbe as _;
                        (&#private::Probe::<#ty>::new()).layout()
                    }
                    layout
                },
            };
            static SLOT: #private::StateSlot =
                #private::StateSlot::new(&VALUE as *const #ty as *const (), &INFO);
            #[#linkme::distributed_slice(#private::STATES)]
            #[linkme(crate = #linkme)]
            static ENTRY: &#private::StateSlot = &SLOT;
            #private::Shared::new(&SLOT)
        };
    };
    quote! {
        #[cfg(not(feature = "hot"))]
        #plain
        #[cfg(feature = "hot")]
        #krate::__private::hot_item! { { #plain } { #hot } }
    }
}

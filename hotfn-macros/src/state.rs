//! `#[hot]` on a `static`: host-owned state. Without the `hot` feature, the static as written.
//! With it, the value lives in a hidden static of this binary, and the public static becomes a
//! `Shared<T>` that dereferences, with one atomic load, to the instance the program uses — this
//! binary's own, or, in a reloaded library, the host's (see `hotfn_runtime`'s `state` module).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemStatic, StaticMutability};

use crate::parse::{Args, OnChange};

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
    let on_change = match &args.on_change {
        OnChange::Refuse => quote!(#private::OnChange::Refuse),
        OnChange::Reset(_) => quote!(#private::OnChange::Reset),
        OnChange::Serde(_) => quote!(#private::migrate!(#ty)),
        OnChange::Migrate(path) => quote!(#private::migrate!(#ty, #path)),
    };
    // A migration function is used only in hot mode; type-check it (and use it) in every mode.
    let check = match &args.on_change {
        OnChange::Migrate(path) => quote!(#private::migrate!(check #ty, #path);),
        _ => quote!(),
    };
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
                on_change: #on_change,
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
        #check
        #[cfg(not(feature = "hot"))]
        #plain
        #[cfg(feature = "hot")]
        #krate::__private::hot_item! { { #plain } { #hot } }
    }
}

//! `#[hot]` on a `static`: state whose type may change. Without the `hot` feature, the static as
//! written. With it, the value lives in a hidden static of each version, and the public static
//! becomes a `Shared<T>` that dereferences, with one atomic load, to the instance the program
//! uses (see `hotfn_runtime`'s `abi::state`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemStatic, StaticMutability};

use crate::args::{Args, OnChange};
use crate::context::Context;

/// Both forms of a `#[hot] static`, or an error next to the static as written.
pub fn expand(args: &Args, item: &ItemStatic, context: &Context) -> TokenStream {
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
    let (type_names, type_hashes): (Vec<String>, Vec<u64>) =
        crate::types::reachable(&context.crate_root(), [&**ty])
            .into_iter()
            .unzip();
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
            // Per version, like a function's statics: the patcher keeps each version's own.
            static __HOTFN_VALUE: #ty = #expr;
            static __HOTFN_STATE_INFO: #private::StateInfo = #private::StateInfo {
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
                types: &[#((#type_names, #type_hashes)),*],
                on_change: #on_change,
            };
            static __HOTFN_STATE: #private::StateSlot = #private::StateSlot::new(
                &__HOTFN_VALUE as *const #ty as *const (),
                &__HOTFN_STATE_INFO,
            );
            #[#linkme::distributed_slice(#private::STATES)]
            #[linkme(crate = #linkme)]
            static __HOTFN_STATE_ENTRY: &#private::StateSlot = &__HOTFN_STATE;
            #private::Shared::new(&__HOTFN_STATE)
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

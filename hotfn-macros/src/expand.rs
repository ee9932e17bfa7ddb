//! The output of `#[hot]`: the plain function without the `hot` feature; with it, a stub that calls
//! through a slot, the body moved into an `extern "C-unwind"` export, and the slot's description.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, FnArg, Ident, Pat, PatIdent, PatType, Signature};

use crate::parse::{Args, HotFn};
use crate::symbol::{self, Site};
use crate::{features, validate};

/// Entry point: arguments and item tokens in, item tokens out. Errors come back as
/// `compile_error!` next to the unchanged function, so the rest of the crate still compiles.
pub fn hot(args: TokenStream, input: TokenStream, site: &Site) -> TokenStream {
    let args = match Args::parse(args) {
        Ok(args) => args,
        Err(error) => return with_error(error, input),
    };
    let f: HotFn = match syn::parse2(input.clone()) {
        Ok(f) => f,
        Err(error) => return not_a_function(error, input),
    };
    if let Err(error) = validate::check(&f) {
        let HotFn {
            attrs,
            vis,
            sig,
            body,
        } = &f;
        return with_error(error, quote!(#(#attrs)* #vis #sig #body));
    }
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let features = features::declared(manifest_dir.as_ref());
    both_modes(&args, &f, site, &features)
}

fn with_error(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#error #item)
}

fn not_a_function(error: syn::Error, input: TokenStream) -> TokenStream {
    match crate::parse::describe_non_fn(input.clone()) {
        Some((item, what)) => {
            let message = format!("#[hot] goes on functions, but this is {what}");
            with_error(syn::Error::new_spanned(&item, message), item)
        }
        None => with_error(error, input),
    }
}

fn both_modes(args: &Args, f: &HotFn, site: &Site, features: &[String]) -> TokenStream {
    let HotFn {
        attrs,
        vis,
        sig,
        body,
    } = f;
    let krate = &args.krate;
    let plain = quote!(#(#attrs)* #vis #sig #body);
    let hot = hot_mode(krate, f, site, features);
    // The runtime's `hot_item!` emits the hot form, or, when this crate's `hot` feature does not
    // enable `hotfn-runtime/hot`, an error that says so next to the plain form.
    quote! {
        #[cfg(not(feature = "hot"))]
        #plain
        #[cfg(feature = "hot")]
        #krate::__private::hot_item! { { #plain } { #hot } }
    }
}

/// What the stub, the export and the slot are made of.
struct Parts {
    /// The stub's signature: the user's, with each argument pattern replaced by a plain name.
    stub_sig: Signature,
    /// The names the stub passes on, in order.
    arg_names: Vec<Ident>,
    /// `unsafe extern "C-unwind" fn(&'a T, u32) -> R`: the type of the slot's value, as written
    /// inside the stub, where the function's own lifetimes are in scope.
    fn_type: TokenStream,
    /// The same type with its lifetimes bound (`for<'a> ...`): the signature's fingerprint.
    signature: String,
}

impl Parts {
    fn new(sig: &Signature) -> Parts {
        let mut stub_sig = sig.clone();
        let mut arg_names = Vec::new();
        let mut arg_types = Vec::new();
        for (index, arg) in stub_sig.inputs.iter_mut().enumerate() {
            let FnArg::Typed(PatType { pat, ty, .. }) = arg else {
                unreachable!("receivers are refused by validation")
            };
            let name = match &**pat {
                Pat::Ident(PatIdent {
                    ident,
                    by_ref: None,
                    subpat: None,
                    ..
                }) => ident.clone(),
                _ => format_ident!("__hotfn_arg{}", index),
            };
            **pat = Pat::Ident(PatIdent {
                attrs: Vec::new(),
                by_ref: None,
                mutability: None,
                ident: name.clone(),
                subpat: None,
            });
            arg_names.push(name);
            arg_types.push(ty.clone());
        }
        let lifetimes: Vec<_> = sig.generics.lifetimes().map(|l| &l.lifetime).collect();
        let binder = (!lifetimes.is_empty()).then(|| quote!(for<#(#lifetimes),*>));
        let unsafety = &sig.unsafety;
        let output = &sig.output;
        let fn_type = quote!(#unsafety extern "C-unwind" fn(#(#arg_types),*) #output);
        let signature = quote!(#binder #fn_type).to_string();
        Parts {
            stub_sig,
            arg_names,
            fn_type,
            signature,
        }
    }
}

fn hot_mode(krate: &syn::Path, f: &HotFn, site: &Site, features: &[String]) -> TokenStream {
    let HotFn {
        attrs,
        vis,
        sig,
        body,
    } = f;
    let Parts {
        stub_sig,
        arg_names,
        fn_type,
        signature,
    } = Parts::new(sig);
    let (stub_attrs, export_attrs) = split_attrs(attrs);
    let name = sig.ident.to_string();
    let export_name = symbol::export_name(site, &name);
    let generics = &sig.generics;
    let where_clause = &sig.generics.where_clause;
    let inputs = &sig.inputs;
    let stub_inputs = &stub_sig.inputs;
    let output = &sig.output;
    let unsafety = &sig.unsafety;
    let private = quote!(#krate::__private);
    let call = match unsafety {
        // SAFETY (generated): the caller of this `unsafe fn` upholds its contract, which the
        // reloaded body shares.
        Some(_) => quote!(unsafe { __hotfn_f(#(#arg_names),*) }),
        None => quote!(__hotfn_f(#(#arg_names),*)),
    };
    let linkme = quote!(#private::linkme);
    let export = format_ident!("__hotfn_export_{}", sig.ident);
    let first_call = format_ident!("__hotfn_first_call_{}", sig.ident);
    let slot = format_ident!("__HOTFN_SLOT_{}", sig.ident);
    // The export, trampoline and slot sit beside the stub rather than inside it: items nested in
    // a function may not reuse its lifetime names, and the export must keep the user's.
    quote! {
        #(#export_attrs)*
        #[doc(hidden)]
        #[allow(improper_ctypes_definitions, dead_code)]
        #[unsafe(export_name = #export_name)]
        #unsafety extern "C-unwind" fn #export #generics (#inputs) #output #where_clause #body

        #[doc(hidden)]
        #[allow(improper_ctypes_definitions, dead_code)]
        #[cold]
        #unsafety extern "C-unwind" fn #first_call #generics (#stub_inputs) #output #where_clause {
            // SAFETY: `first_call` returns a function bound to this slot, and the runtime only
            // binds functions whose signature equals `FnInfo::signature`, i.e. `#fn_type`.
            let __hotfn_f = unsafe {
                ::core::mem::transmute::<*const (), #fn_type>(#slot.first_call())
            };
            #call
        }

        // In a reloaded library (built with `--cfg hotfn_reloaded`) the runtime binds every slot
        // before any call, so the slot starts at the export: nothing there references the runtime,
        // and the linker leaves it (and its dependencies) out of the library.
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, unexpected_cfgs)]
        static #slot: #private::Slot = #private::Slot::new(
            &#private::FnInfo {
                symbol: #export_name,
                path: ::core::concat!(::core::module_path!(), "::", #name),
                signature: #signature,
                package: ::core::env!("CARGO_PKG_NAME"),
                manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                features: &[#((#features, ::core::cfg!(feature = #features))),*],
                local: #private::RawFn::new(#export as *const ()),
            },
            if ::core::cfg!(hotfn_reloaded) {
                #export as *const ()
            } else {
                #first_call as *const ()
            },
        );

        const _: () = {
            #[#linkme::distributed_slice(#private::SLOTS)]
            #[linkme(crate = #linkme)]
            static ENTRY: &#private::Slot = &#slot;
        };

        #(#stub_attrs)*
        #vis #stub_sig {
            // SAFETY: the slot holds a function of exactly this type (see above).
            let __hotfn_f = unsafe {
                ::core::mem::transmute::<*const (), #fn_type>(#slot.get())
            };
            #call
        }
    }
}

/// Which of the user's attributes go on the public stub and which on the export that holds the
/// body. Docs and API attributes describe the stub; lint levels and `cfg` apply to both.
fn split_attrs(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<Attribute>) {
    const STUB_ONLY: &[&str] = &["doc", "must_use", "deprecated", "track_caller", "inline"];
    const BOTH: &[&str] = &["cfg", "cfg_attr", "allow", "warn", "deny", "forbid"];
    let mut stub = Vec::new();
    let mut export = Vec::new();
    for attr in attrs {
        let is = |names: &[&str]| names.iter().any(|n| attr.path().is_ident(n));
        if is(STUB_ONLY) {
            stub.push(attr);
        } else if is(BOTH) {
            stub.push(attr);
            export.push(attr.clone());
        } else if attr.path().is_ident("expect") {
            // The lint fires in the body, which lives in the export; on the stub it would be an
            // unfulfilled expectation.
            export.push(attr.clone());
        } else {
            export.push(attr.clone());
        }
    }
    (stub, export)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(item: &str) -> String {
        let f: HotFn = syn::parse_str(item).unwrap();
        Parts::new(&f.sig).signature
    }

    #[test]
    fn slot_type_keeps_lifetimes_and_unsafety() {
        assert_eq!(
            signature("fn f<'a>(x: &'a str, y: &mut [u8]) -> Option<&'a str> {}"),
            quote!(for<'a> extern "C-unwind" fn(&'a str, &mut [u8]) -> Option<&'a str>).to_string()
        );
        assert_eq!(
            signature("unsafe fn f(p: *const u8) {}"),
            quote!(unsafe extern "C-unwind" fn(*const u8)).to_string()
        );
    }

    #[test]
    fn stub_arguments_get_plain_names() {
        let f: HotFn = syn::parse_str("fn f(mut a: u32, (b, c): (u8, u8), _: i8) {}").unwrap();
        let parts = Parts::new(&f.sig);
        let names: Vec<_> = parts.arg_names.iter().map(|n| n.to_string()).collect();
        assert_eq!(names, ["a", "__hotfn_arg1", "__hotfn_arg2"]);
    }

    #[test]
    fn body_is_kept_verbatim_even_when_it_does_not_parse() {
        // A half-edited body must reach the compiler as written.
        let f: HotFn = syn::parse_str("fn f() -> u32 { let x = ; x }").unwrap();
        assert_eq!(f.body.to_string(), "{ let x = ; x }");
    }
}

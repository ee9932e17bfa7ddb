//! The output of `#[hot]`: the plain function without the `hot` feature; with it, a stub that calls
//! through a slot, the body moved into an `extern "C-unwind"` export, and the slot's description.
//! Impl blocks are dispatched to `method`, which builds the same parts for each method.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, FnArg, Ident, Pat, PatIdent, PatType, Signature};

use crate::parse::{Args, HotFn, HotImpl};
use crate::symbol::{self, Site};
use crate::{features, layout, method, validate};

/// Entry point: arguments and item tokens in, item tokens out. Errors come back as
/// `compile_error!` next to the unchanged function, so the rest of the crate still compiles.
pub fn hot(args: TokenStream, input: TokenStream, site: &Site) -> TokenStream {
    let args = match Args::parse(args) {
        Ok(args) => args,
        Err(error) => return with_error(error, input),
    };
    if let Ok(item) = syn::parse2::<syn::ItemStatic>(input.clone()) {
        return crate::state::expand(&args, &item);
    }
    if crate::parse::is_impl(&input) {
        let item: HotImpl = match syn::parse2(input.clone()) {
            Ok(item) => item,
            Err(error) => return with_error(error, input),
        };
        if let Some(span) = args.on_change.span() {
            let error = syn::Error::new(
                span,
                "`reset`, `serde` and `migrate` say what a #[hot] static does when its type changes; \
                 methods have no value to carry over: remove the argument",
            );
            return with_error(error, item.plain());
        }
        if let Err(error) = validate::check_impl(&item) {
            return with_error(error, item.plain());
        }
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let features = features::declared(manifest_dir.as_ref());
        return method::both_modes(&args, &item, site, &features);
    }
    if let Some(span) = args.on_change.span() {
        let error = syn::Error::new(
            span,
            "`reset`, `serde` and `migrate` say what a #[hot] static does when its type changes; \
             a function has no value to carry over: remove the argument",
        );
        return with_error(error, input);
    }
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

pub(crate) fn with_error(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#error #item)
}

fn not_a_function(error: syn::Error, input: TokenStream) -> TokenStream {
    match crate::parse::describe_non_fn(input.clone()) {
        Some((item, name, message)) => with_error(syn::Error::new_spanned(name, message), item),
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
    /// The argument types, in order.
    arg_types: Vec<syn::Type>,
    /// Which arguments are `&mut` references (reborrowed, not copied, for a repeated call).
    mutable_refs: Vec<bool>,
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
            arg_names.push(plain_name(pat, index));
            arg_types.push((**ty).clone());
        }
        let lifetimes: Vec<_> = sig.generics.lifetimes().map(|l| &l.lifetime).collect();
        let binder = (!lifetimes.is_empty()).then(|| quote!(for<#(#lifetimes),*>));
        let unsafety = &sig.unsafety;
        let output = &sig.output;
        let fn_type = quote!(#unsafety extern "C-unwind" fn(#(#arg_types),*) #output);
        let signature = quote!(#binder #fn_type).to_string();
        let mutable_refs = arg_types
            .iter()
            .map(|ty| matches!(ty, syn::Type::Reference(r) if r.mutability.is_some()))
            .collect();
        Parts {
            stub_sig,
            arg_names,
            arg_types,
            mutable_refs,
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
        arg_types,
        mutable_refs,
        fn_type,
        signature,
    } = Parts::new(sig);
    let (stub_attrs, export_attrs) = split_attrs(attrs);
    let name = sig.ident.to_string();
    let export_name = symbol::export_name(site, &name);
    let generics = &sig.generics;
    let where_clause = &sig.generics.where_clause;
    let inputs = &sig.inputs;
    // The stub's arguments, as the entry, guard, direct entry and trampoline take them.
    let stub_inputs: Vec<_> = stub_sig.inputs.iter().collect();
    let output = &sig.output;
    let value = match output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let unsafety = &sig.unsafety;
    let private = quote!(#krate::__private);
    let option = quote!(::core::option::Option);
    // Calls of an `unsafe fn` are made in `unsafe` blocks: the caller of the stub upholds the
    // function's contract, which every version of its body shares.
    let unsafe_call = |call: TokenStream| match unsafety {
        Some(_) => quote!(unsafe { #call }),
        None => call,
    };
    let ident = &sig.ident;
    let export = format_ident!("__hotfn_export_{}", ident);
    let entry = format_ident!("__hotfn_entry_{}", ident);
    let guard = format_ident!("__hotfn_guard_{}", ident);
    let first_call = format_ident!("__hotfn_first_call_{}", ident);
    let direct = format_ident!("__hotfn_direct_{}", ident);
    let slot = format_ident!("__HOTFN_SLOT_{}", ident);
    let target = target_of(&slot);
    let linkme = quote!(#private::linkme);
    let entry_type = quote! {
        #unsafety extern "C-unwind" fn(#(#arg_types,)* *mut #option<#private::Panicked>) -> #option<#value>
    };
    let slot_static = slot_static(&SlotDef {
        private: &private,
        slot: &slot,
        export_name: &export_name,
        name: &name,
        signature: &signature,
        layout_types: &layout::types(sig),
        reached: &crate::types::reached_by(&arg_types, &sig.output),
        features,
        export: quote!(#export),
        entry: quote!(#entry),
        guard: quote!(#guard),
        first_call: quote!(#first_call),
        direct: quote!(#direct),
    });

    let call_slot = unsafe_call(quote!(__hotfn_f(#(#arg_names),*)));
    let call_export = unsafe_call(quote!(#export(#(#arg_names),*)));

    let Replays {
        kept_names,
        kept_sources,
        first_args,
        repeat_args,
    } = Replays::new(&arg_names, &mutable_refs, output_borrows(output));
    let call_entry = unsafe_call(quote!(__hotfn_call(#(#first_args,)* &mut __hotfn_panicked)));
    let call_repeat = unsafe_call(quote!(__hotfn_f(#(#repeat_args),*)));
    let typed =
        |address: TokenStream| quote!(::core::mem::transmute::<*const (), #fn_type>(#address));
    let relay = |kind| Relay {
        kind,
        private: &private,
        slot: quote!(#slot),
        kept_names: &kept_names,
        kept_sources: &kept_sources,
        call_entry: &call_entry,
        call_repeat: &call_repeat,
        typed: &typed,
    };
    let entry_body = entry_body(&private, &call_export);
    let guard_body = relay(RelayKind::Guard {
        entry: quote!(::core::mem::transmute::<*const (), #entry_type>(__hotfn_entry.address())),
    })
    .body();
    let direct_body = relay(RelayKind::Direct {
        entry: quote!(#entry),
    })
    .body();

    // Everything the stub needs lives inside its body, so that the expansion is one `fn` item:
    // valid where a free function is, and where an associated function is (an `impl` block
    // admits no statics). Nested items do not see the stub's lifetimes, so each declares the
    // user's own again; nor can they name `Self`, which validation refuses.
    quote! {
        #(#stub_attrs)*
        #vis #stub_sig {
            #(#export_attrs)*
            #[doc(hidden)]
            #[allow(improper_ctypes_definitions, dead_code)]
            #[unsafe(export_name = #export_name)]
            #unsafety extern "C-unwind" fn #export #generics (#inputs) #output #where_clause #body

            // Calls the export for another binary, catching a panic with this binary's std.
            #[allow(improper_ctypes_definitions, dead_code)]
            #unsafety extern "C-unwind" fn #entry #generics (
                #(#stub_inputs,)*
                __hotfn_panicked: *mut #option<#private::Panicked>,
            ) -> #option<#value> #where_clause {
                #entry_body
            }

            // Calls another binary's entry; see `hotfn_runtime`'s `guard` module.
            #[allow(improper_ctypes_definitions, dead_code, unreachable_patterns, unused_imports)]
            #unsafety extern "C-unwind" fn #guard #generics (#(#stub_inputs,)*) #output #where_clause {
                #guard_body
            }

            // What the host's slot calls when this binary has the current code: this binary's
            // entry, without a guard, as the caller is the program; see `hotfn_runtime`'s `guard`.
            #[allow(improper_ctypes_definitions, dead_code, unreachable_patterns, unused_imports)]
            #unsafety extern "C-unwind" fn #direct #generics (#(#stub_inputs,)*) #output #where_clause {
                #direct_body
            }

            #[allow(improper_ctypes_definitions, dead_code)]
            #[cold]
            #unsafety extern "C-unwind" fn #first_call #generics (#(#stub_inputs,)*) #output #where_clause {
                // SAFETY: `first_call` returns what the slot now holds, a function of this type.
                let __hotfn_f = unsafe {
                    ::core::mem::transmute::<*const (), #fn_type>(#slot.first_call())
                };
                #call_slot
            }

            #slot_static

            // Registered even if the stub is never called: the linker keeps every entry of the
            // list, wherever it is declared.
            #[#linkme::distributed_slice(#private::SLOTS)]
            #[linkme(crate = #linkme)]
            static __HOTFN_ENTRY: &#private::Slot = &#slot;

            // SAFETY: the slot holds a function of exactly this type (see `FnInfo::signature`).
            let __hotfn_f = unsafe {
                ::core::mem::transmute::<*const (), #fn_type>(#target.get())
            };
            #call_slot
        }
    }
}

/// Replaces the pattern of argument `index` by a plain name, which the stub passes on: the
/// argument's own name when it has one (`x`, `mut x`), `__hotfn_arg<index>` otherwise (`(a, b)`,
/// `_`). The export, which holds the body, keeps the pattern.
pub(crate) fn plain_name(pat: &mut Box<Pat>, index: usize) -> Ident {
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
    name
}

/// What the slot static of one function is made of.
pub(crate) struct SlotDef<'a> {
    pub private: &'a TokenStream,
    pub slot: &'a Ident,
    pub export_name: &'a str,
    /// The function's path in its module: `name`, or `Type::name` for a method.
    pub name: &'a str,
    /// The fingerprint of the signature.
    pub signature: &'a str,
    /// The types whose layouts make up the fingerprint.
    pub layout_types: &'a [syn::Type],
    /// The crate's own types the signature reaches, with their definition hashes.
    pub reached: &'a [(String, u64)],
    pub features: &'a [String],
    /// Paths of the generated functions (`export`, or `<Type>::export` for a method).
    pub export: TokenStream,
    pub entry: TokenStream,
    pub guard: TokenStream,
    pub first_call: TokenStream,
    pub direct: TokenStream,
}

/// The slot static of a function, with its `FnInfo`. In a reloaded library (built with `--cfg
/// hotfn_reloaded`) the runtime binds every slot before any call, so the slot starts at the
/// export: nothing there references the runtime, and the linker leaves it (and its dependencies)
/// out of the library.
pub(crate) fn slot_static(def: &SlotDef) -> TokenStream {
    let SlotDef {
        private,
        slot,
        export_name,
        name,
        signature,
        layout_types,
        reached,
        features,
        export,
        entry,
        guard,
        first_call,
        direct,
    } = def;
    let (type_names, type_hashes): (Vec<&String>, Vec<&u64>) =
        reached.iter().map(|(name, hash)| (name, hash)).unzip();
    let target = target_of(slot);
    let target_fn = format_ident!("{}_target", slot);
    quote! {
        // Named only by the stub and by the accessor below, never by another static's
        // initializer: see `hotfn_runtime`'s `Target`.
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, unexpected_cfgs)]
        static #target: #private::Target = #private::Target::new(
            if ::core::cfg!(hotfn_reloaded) {
                #export as *const ()
            } else {
                #first_call as *const ()
            },
        );

        #[doc(hidden)]
        #[allow(non_snake_case, dead_code)]
        #[inline(never)]
        fn #target_fn() -> &'static #private::Target {
            &#target
        }

        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, unexpected_cfgs)]
        static #slot: #private::Slot = #private::Slot::new(
            &#private::FnInfo {
                symbol: #export_name,
                path: ::core::concat!(::core::module_path!(), "::", #name),
                signature: #signature,
                layouts: {
                    #[allow(unused_imports)]
                    fn layouts(out: &mut ::std::vec::Vec<#private::TypeLayout>) {
                        use #private::{SizedProbe as _, UnsizedProbe as _};
                        #( out.push((&#private::Probe::<#layout_types>::new()).layout()); )*
                    }
                    layouts
                },
                types: &[#((#type_names, #type_hashes)),*],
                package: ::core::env!("CARGO_PKG_NAME"),
                manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                features: &[#((#features, ::core::cfg!(feature = #features))),*],
                local: #private::RawFn::new(#export as *const ()),
                entry: #private::RawFn::new(#entry as *const ()),
                guard: #private::RawFn::new(#guard as *const ()),
                direct: #private::RawFn::new(#direct as *const ()),
            },
            #target_fn,
        );
    }
}

/// The static the stub of the function with slot `slot` calls through.
pub(crate) fn target_of(slot: &Ident) -> Ident {
    format_ident!("{}_TARGET", slot)
}

/// The body of an entry: calls the export (`call_export`) under this binary's `catch_unwind`,
/// and hands a panic back as data, through the `__hotfn_panicked` argument.
pub(crate) fn entry_body(private: &TokenStream, call_export: &TokenStream) -> TokenStream {
    let option = quote!(::core::option::Option);
    quote! {
        let __hotfn_scope = #private::EntryScope::enter();
        match ::std::panic::catch_unwind(::core::panic::AssertUnwindSafe(|| #call_export)) {
            ::core::result::Result::Ok(__hotfn_value) => #option::Some(__hotfn_value),
            ::core::result::Result::Err(__hotfn_payload) => {
                let __hotfn_report = #private::Panicked::from_payload(__hotfn_payload);
                // SAFETY: guards and direct entries pass a pointer to a local `Option<Panicked>`.
                unsafe { *__hotfn_panicked = #option::Some(__hotfn_report) };
                #option::None
            }
        }
    }
}

/// Which function relays a call to an entry (see `hotfn_runtime`'s `guard` module).
pub(crate) enum RelayKind {
    /// A guard: calls another binary's entry, found in the slot (`entry` turns
    /// `__hotfn_entry.address()` into a callable); after a rollback, repeats through the slot.
    Guard { entry: TokenStream },
    /// A direct entry, which the host's slot calls: calls this binary's entry (`entry`); after a
    /// rollback, repeats through the host's slot (the slot's `caller`).
    Direct { entry: TokenStream },
}

/// The body of a guard or a direct entry, the same for functions and methods.
pub(crate) struct Relay<'a> {
    pub kind: RelayKind,
    pub private: &'a TokenStream,
    /// The slot, as an expression.
    pub slot: TokenStream,
    pub kept_names: &'a [Ident],
    pub kept_sources: &'a [Ident],
    /// Calls `__hotfn_call` with the first call's arguments and `&mut __hotfn_panicked`.
    pub call_entry: &'a TokenStream,
    /// Calls `__hotfn_f` with the repeated call's arguments.
    pub call_repeat: &'a TokenStream,
    /// Turns a code address into a function of the slot's type.
    pub typed: &'a dyn Fn(TokenStream) -> TokenStream,
}

impl Relay<'_> {
    /// Calls the entry and returns its value; on a panic it reported, hands the panic to the
    /// runtime with a way to repeat the call, when the arguments could be kept.
    pub(crate) fn body(&self) -> TokenStream {
        let Relay {
            private,
            slot,
            kept_names,
            kept_sources,
            call_entry,
            call_repeat,
            typed,
            ..
        } = self;
        let option = quote!(::core::option::Option);
        let (setup, repeat, recover) = match &self.kind {
            RelayKind::Guard { entry } => {
                let f = typed(quote!(#slot.get()));
                (
                    quote! {
                        let __hotfn_entry = #slot.remote();
                        // SAFETY: the runtime binds the guard only together with an entry of
                        // this function, of the same type in every binary.
                        let __hotfn_call = unsafe { #entry };
                    },
                    quote! {
                        #option::Some(move || {
                            // SAFETY: as in the stub.
                            let __hotfn_f = unsafe { #f };
                            #call_repeat
                        })
                    },
                    quote! {
                        // SAFETY: `__hotfn_repeat` calls the slot's current function with the
                        // call's arguments.
                        unsafe {
                            #private::recover(&#slot, __hotfn_entry, __hotfn_report, __hotfn_repeat)
                        }
                    },
                )
            }
            RelayKind::Direct { entry } => {
                let f = typed(quote!(__hotfn_caller.get()));
                (
                    quote!(let __hotfn_call = #entry;),
                    quote! {
                        #slot.caller().map(|__hotfn_caller| move || {
                            // SAFETY: the host's slot of this function holds a function of the
                            // same type.
                            let __hotfn_f = unsafe { #f };
                            #call_repeat
                        })
                    },
                    quote! {
                        // SAFETY: `__hotfn_repeat` calls the host's slot with the call's
                        // arguments.
                        unsafe { #private::recover_direct(&#slot, __hotfn_report, __hotfn_repeat) }
                    },
                )
            }
        };
        quote! {
            use #private::{KeepCopy as _, KeepNone as _};
            #setup
            #( let #kept_names = (&#private::Replay(&#kept_sources)).kept(); )*
            let mut __hotfn_panicked = #option::None;
            if let #option::Some(__hotfn_value) = #call_entry {
                return __hotfn_value;
            }
            let __hotfn_report = __hotfn_panicked.unwrap_or_else(#private::Panicked::unknown);
            let __hotfn_repeat = match (#(#kept_names,)*) {
                (#(#option::Some(#kept_names),)*) => #repeat,
                _ => #option::None,
            };
            #recover
        }
    }
}

/// What the guard passes to the other binary, and keeps to repeat the call after a rollback:
/// a copy of each `Copy` argument, a reborrow of each `&mut` (unless the result may borrow
/// from it, which would keep the reborrow alive), nothing of other owned arguments.
pub(crate) struct Replays {
    /// `__hotfn_kept<i>`: the kept copies.
    pub kept_names: Vec<Ident>,
    /// The argument each kept copy is made of.
    pub kept_sources: Vec<Ident>,
    /// The arguments of the first call.
    pub first_args: Vec<TokenStream>,
    /// The arguments of the repeated call.
    pub repeat_args: Vec<TokenStream>,
}

impl Replays {
    pub(crate) fn new(arg_names: &[Ident], mutable_refs: &[bool], result_borrows: bool) -> Self {
        let mut replays = Replays {
            kept_names: Vec::new(),
            kept_sources: Vec::new(),
            first_args: Vec::new(),
            repeat_args: Vec::new(),
        };
        for (index, (name, &mutable)) in arg_names.iter().zip(mutable_refs).enumerate() {
            if mutable && !result_borrows {
                replays.first_args.push(quote!(&mut *#name));
                replays.repeat_args.push(quote!(#name));
            } else {
                let kept = format_ident!("__hotfn_kept{}", index);
                replays.kept_names.push(kept.clone());
                replays.kept_sources.push(name.clone());
                replays.first_args.push(quote!(#name));
                replays.repeat_args.push(quote!(#kept));
            }
        }
        replays
    }
}

/// Whether a return type may borrow from the arguments (it names a reference or a lifetime).
pub(crate) fn output_borrows(output: &syn::ReturnType) -> bool {
    match output {
        syn::ReturnType::Default => false,
        syn::ReturnType::Type(_, ty) => {
            let text = quote!(#ty).to_string();
            text.contains('&') || text.contains('\'')
        }
    }
}

/// Which of the user's attributes go on the public stub and which on the export that holds the
/// body. Docs and API attributes describe the stub; lint levels and `cfg` apply to both.
pub(crate) fn split_attrs(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<Attribute>) {
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

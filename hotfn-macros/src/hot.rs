//! The hot form of a `#[hot]` function: the function as written (same name, signature, docs and
//! attributes, same body), under its own symbol, with a prologue that reads its target and, when
//! the target is another version of it, calls that version instead:
//!
//! ```text
//! #[inline(never)]
//! #[unsafe(export_name = "_ZN4game5score17h…E")]
//! pub fn score(board: &Board) -> u32 {
//!     {
//!         static __HOTFN_TARGET, __HOTFN_INFO, __HOTFN_SLOT, __HOTFN_ENTRY  // per version
//!         if target != this function && let Some(other) = other(&SLOT, target, this) {
//!             return other(board) // catching a panic: roll back, and call the good version
//!         }
//!     }
//!     body
//! }
//! ```
//!
//! Nothing nested in a method may name `Self`, so whatever needs `Self` reaches the statics
//! through symbols: the function itself through its own (`__hotfn_this`), and the layouts of
//! `Self`-dependent types through a table the prologue's `asm!` writes.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::callable::{Callable, in_static};
use crate::context::Context;
use crate::symbol;

/// The hot form of `callable`; `impl_lifetimes` are those of the impl block it is in, when the
/// attribute sees them.
pub fn function(
    krate: &syn::Path,
    callable: &Callable<'_>,
    context: &Context,
    impl_lifetimes: &[syn::Lifetime],
) -> TokenStream {
    if callable.is_async {
        return async_function(krate, callable, context, impl_lifetimes);
    }
    let f = callable.f;
    let attrs = kept_attributes(f);
    let vis = &f.vis;
    let sig = &callable.sig;
    let symbol = &callable.symbol;
    let lets = &callable.lets;
    let body = f.body.stream();
    let prologue = prologue(krate, callable, context);
    quote! {
        #(#attrs)*
        #[inline(never)]
        #[unsafe(export_name = #symbol)]
        #vis #sig {
            #prologue
            #(#lets)*
            #body
        }
    }
}

/// The function's attributes on its hot form: all but `#[inline]` (the hot form is never
/// inlined: callers must reach the prologue), expectations as allowances.
fn kept_attributes(f: &crate::item::HotFn) -> Vec<TokenStream> {
    f.attrs
        .iter()
        .filter(|a| !a.path().is_ident("inline"))
        .map(expectation_as_allowance)
        .collect()
}

/// `#[expect(lint)]` as `#[allow(lint)]`: the prologue passes every argument on, so a lint the
/// body expects about an unused one (`unused_variables`) does not fire in the hot form. The plain
/// form, which every build without the feature compiles, keeps the expectation checked.
fn expectation_as_allowance(attr: &syn::Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(list) if list.path.is_ident("expect") => {
            let tokens = &list.tokens;
            quote!(#[allow(#tokens)])
        }
        _ => quote!(#attr),
    }
}

/// The hot form of an `async fn`: a function that makes its future in the version current at
/// the call, boxed (the same type in every version; `Send` when the body's future is); the
/// future then runs in that version. The body is an `async fn` of its own — nested in a free
/// function, beside a method — since the compiler knows whether a future is `Send` only outside
/// the function that makes it.
fn async_function(
    krate: &syn::Path,
    callable: &Callable<'_>,
    context: &Context,
    impl_lifetimes: &[syn::Lifetime],
) -> TokenStream {
    let f = callable.f;
    let attrs = kept_attributes(f);
    let lints = f.attrs.iter().filter(|a| {
        ["allow", "warn", "deny", "forbid", "expect", "cfg"]
            .iter()
            .any(|lint| a.path().is_ident(lint))
    });
    let lints: Vec<TokenStream> = lints.map(expectation_as_allowance).collect();
    let vis = &f.vis;
    let (sig, value) = callable.future_signature(krate, context.edition, impl_lifetimes);
    let boxed = crate::callable::boxed_lifetime();
    // The function at this call's lifetimes (all early-bound: each outlives the box's).
    let lifetimes = sig.generics.lifetimes().map(|l| &l.lifetime);
    let itself_here = {
        let itself = callable.itself();
        quote!(#itself::<#(#lifetimes),*>)
    };
    let symbol = &callable.symbol;
    let holes = callable.args.iter().map(|_| quote!(_));
    let unsafety = &callable.sig.unsafety;
    let names: Vec<_> = callable.args.iter().map(|arg| &arg.name).collect();
    let unsafe_call = |call: TokenStream| match unsafety {
        Some(_) => quote!(unsafe { #call }),
        None => call,
    };
    let call_other = unsafe_call(quote!(__hotfn_f(#(#names),*)));
    // The body as written, in an `async fn` of its own.
    let body_name = format_ident!("__hotfn_body_of_{}", f.sig.ident);
    let mut body_sig = f.sig.clone();
    body_sig.ident = body_name.clone();
    let body = &f.body;
    let body_fn = quote! {
        #(#lints)*
        #[doc(hidden)]
        #[allow(clippy::needless_lifetimes, clippy::unused_async)]
        #body_sig #body
    };
    let (nested, sibling, make) = if callable.is_method() {
        let call = unsafe_call(quote!(Self::#body_name(#(#names),*)));
        (None, Some(body_fn), call)
    } else {
        let call = unsafe_call(quote!(#body_name(#(#names),*)));
        (Some(body_fn), None, call)
    };
    let dispatch = dispatch(
        krate,
        callable,
        context,
        nested,
        quote! {
            // SAFETY: a target only ever holds code of this function (of some version), whose
            // signature and argument layouts the runtime checked to be this one's; every
            // version returns the same boxed future (its `Send`-ness is checked).
            let __hotfn_f = unsafe {
                __hotfn::typed_like(
                    __hotfn_other,
                    #itself_here as #unsafety fn(#(#holes),*) -> _,
                )
            };
            // Making the future runs none of the body: nothing to catch here.
            let __hotfn_future = #call_other;
            if __hotfn::send_mismatch(&__hotfn_future) {
                __hotfn::not_send(&__HOTFN_SLOT, __hotfn_other)
            }
            return __hotfn_future;
        },
    );
    quote! {
        #sibling

        #(#attrs)*
        #[inline(never)]
        #[allow(refining_impl_trait, clippy::needless_lifetimes)]
        #[unsafe(export_name = #symbol)]
        #vis #sig {
            #dispatch
            #[allow(unused_imports)]
            use __hotfn::{BoxLocal as _, BoxSend as _};
            let __hotfn_future: __hotfn::Boxer<#boxed, _> =
                __hotfn::Boxer::new(#make, &__HOTFN_SLOT, __hotfn_this, __hotfn::resume);
            let _: ::core::marker::PhantomData<#value> = ::core::marker::PhantomData;
            (&__hotfn_future).boxed()
        }
    }
}

fn prologue(krate: &syn::Path, callable: &Callable<'_>, context: &Context) -> TokenStream {
    let dispatch = dispatch(krate, callable, context, None, forward(callable));
    quote! {
        // hotfn: the current version of this function is in its target; when that is not this
        // code, call that instead.
        {
            #dispatch
        }
    }
}

/// What both forms start with: the runtime's items in scope as `__hotfn`, this function as
/// `__hotfn_this` (through its own symbol, which even a method's nested items can name), `nested`
/// items, this version's statics, and `on_other` run with `__hotfn_other` when the target is
/// another version the runtime lets this call reach.
fn dispatch(
    krate: &syn::Path,
    callable: &Callable<'_>,
    context: &Context,
    nested: Option<TokenStream>,
    on_other: TokenStream,
) -> TokenStream {
    let symbol = &callable.symbol;
    let statics = statics(callable, context);
    quote! {
        #[allow(unused_imports)]
        use #krate::__private as __hotfn;
        unsafe extern "Rust" {
            #[link_name = #symbol]
            safe fn __hotfn_this();
        }
        #nested
        #statics
        let __hotfn_this = __hotfn_this as *const ();
        let __hotfn_target = __HOTFN_TARGET.get();
        if __hotfn_target != __hotfn_this {
            if let ::core::option::Option::Some(__hotfn_other) =
                __hotfn::other(&__HOTFN_SLOT, __hotfn_target, __hotfn_this)
            {
                #on_other
            }
        }
    }
}

/// The statics of one version: the target, the description, the slot, its registration, and for
/// a method the table of `Self`-dependent layouts.
fn statics(callable: &Callable<'_>, context: &Context) -> TokenStream {
    let symbol = &callable.symbol;
    let path = &callable.path;
    let signature = &callable.signature;
    let probes = callable.probes.iter().map(in_static);
    let (type_names, type_hashes): (Vec<&String>, Vec<&u64>) =
        callable.reached.iter().map(|(n, h)| (n, h)).unzip();
    let features = &context.features;
    // The context as literals: cheaper to compile than `env!`, a thousand times over.
    let (package, crate_name) = (&context.package, &context.crate_name);
    let manifest_dir = context.manifest_dir.to_string_lossy();
    let bin = match &context.bin {
        Some(bin) => quote!(::core::option::Option::Some(#bin)),
        None => quote!(::core::option::Option::None),
    };
    let (table, self_layouts) = if callable.is_method() {
        let table = self_table(callable);
        let name = symbol::self_table(symbol);
        (
            quote! {
                #table
                unsafe extern "C" {
                    #[link_name = #name]
                    static __HOTFN_SELF: __hotfn::SelfTable;
                }
            },
            quote!(::core::option::Option::Some(__hotfn::SelfLayouts(
                &raw const __HOTFN_SELF
            ))),
        )
    } else {
        (quote!(), quote!(::core::option::Option::None))
    };
    quote! {
        #table
        // Read so that the compiler lists it among what the crate depends on: the runtime sets
        // it to have cargo compile the crate again exactly as for the program.
        const _: ::core::option::Option<&str> = ::core::option_env!("HOTFN_CAPTURE");
        #[allow(non_upper_case_globals)]
        static __HOTFN_TARGET: __hotfn::Target = __hotfn::Target::new();
        #[allow(non_upper_case_globals, unexpected_cfgs)]
        static __HOTFN_INFO: __hotfn::FnInfo = __hotfn::FnInfo {
            symbol: #symbol,
            path: ::core::concat!(::core::module_path!(), "::", #path),
            signature: #signature,
            layouts: {
                // With no type to push (`fn bump(&mut self)`), clippy would rather take a slice.
                #[allow(unused_imports, clippy::ptr_arg)]
                fn layouts(out: &mut ::std::vec::Vec<__hotfn::TypeLayout>) {
                    use __hotfn::{SizedProbe as _, UnsizedProbe as _};
                    #( out.push((&__hotfn::Probe::<#probes>::new()).layout()); )*
                }
                layouts
            },
            self_layouts: #self_layouts,
            types: &[#((#type_names, #type_hashes)),*],
            unit: __hotfn::Unit {
                package: #package,
                manifest_dir: #manifest_dir,
                crate_name: #crate_name,
                bin: #bin,
                features: &[#((#features, ::core::cfg!(feature = #features))),*],
                test: ::core::cfg!(test),
            },
        };
        #[allow(non_upper_case_globals)]
        static __HOTFN_SLOT: __hotfn::Slot =
            __hotfn::Slot::new(&__HOTFN_INFO, || &__HOTFN_TARGET, __hotfn_this as *const ());
        // Registered even if the function is never called: an element of the runtime's
        // `SLOTS`, written as `linkme::distributed_slice` writes one on Linux (the only target
        // that builds this form; the section's name is the runtime's `names::SLOTS_SECTION`),
        // without the function linkme adds per element to check its type, which here is
        // always `&Slot`: in a crate of many `#[hot]` functions those add up.
        #[used]
        #[unsafe(link_section = "linkme_SLOTS")]
        #[allow(non_upper_case_globals)]
        static __HOTFN_ENTRY: &__hotfn::Slot = &__HOTFN_SLOT;
    }
}

/// The `asm!` that writes a method's table of `Self`-dependent layouts: `Self`'s type name, the
/// count, then a layout function per type (see `hotfn_runtime`'s `SelfTable`).
fn self_table(callable: &Callable<'_>) -> TokenStream {
    let name = symbol::self_table(&callable.symbol);
    let count = callable.self_probes.len();
    let mut lines = vec![
        format!(".pushsection .data.rel.ro.{name},\"aw\",@progbits"),
        ".p2align 3".to_owned(),
        format!(".globl {name}"),
        format!(".hidden {name}"),
        format!("{name}:"),
        ".quad {type_name}".to_owned(),
        format!(".quad {count}"),
    ];
    let mut operands = vec![quote!(type_name = sym __hotfn::type_name_of::<Self>)];
    for (index, ty) in callable.self_probes.iter().enumerate() {
        let operand = format_ident!("layout{}", index);
        lines.push(format!(".quad {{{operand}}}"));
        operands.push(quote!(#operand = sym __hotfn::layout_of::<#ty>));
    }
    lines.push(".popsection".to_owned());
    quote! {
        // The `asm!` emits data, no instructions: the table, in a section of its own.
        #[allow(named_asm_labels)]
        // SAFETY: the assembly only defines data in another section; it runs no instruction.
        unsafe {
            ::core::arch::asm!(
                #(#lines),*,
                #(#operands,)*
                options(nomem, nostack, preserves_flags),
            );
        }
    }
}

/// Calling the other version, `__hotfn_other`: its value, or, when it panics, the runtime's
/// decision (roll back and repeat the call on the version that is good now, or let the panic go
/// on when the arguments could not be kept).
fn forward(callable: &Callable<'_>) -> TokenStream {
    let pointer = callable.pointer_type();
    let unsafe_call = |call: TokenStream| match callable.sig.unsafety {
        Some(_) => quote!(unsafe { #call }),
        None => call,
    };
    let mut kept = Vec::new();
    let mut first = Vec::new();
    let mut again = Vec::new();
    for (index, arg) in callable.args.iter().enumerate() {
        let name = &arg.name;
        if arg.mutable_ref && !callable.result_borrows {
            first.push(quote!(&mut *#name));
            again.push(quote!(#name));
        } else {
            let copy = format_ident!("__hotfn_kept{}", index);
            kept.push((copy.clone(), name.clone()));
            first.push(quote!(#name));
            again.push(quote!(#copy));
        }
    }
    let call_first = unsafe_call(quote!(__hotfn_f(#(#first),*)));
    let call_again = unsafe_call(quote!(__hotfn_f(#(#again),*)));
    let keep = kept
        .iter()
        .map(|(copy, name)| quote!(let #copy = (&__hotfn::Replay(&#name)).kept();));
    let copies: Vec<_> = kept.iter().map(|(copy, _)| copy).collect();
    let repeat = quote! {
        let __hotfn_again = __hotfn::recover(&__HOTFN_SLOT, __hotfn_other, __hotfn_payload);
        // SAFETY: as above.
        let __hotfn_f = unsafe { ::core::mem::transmute::<*const (), #pointer>(__hotfn_again) };
        #call_again
    };
    let on_panic = if copies.is_empty() {
        repeat
    } else {
        quote! {
            match (#(#copies,)*) {
                (#(::core::option::Option::Some(#copies),)*) => { #repeat }
                _ => __hotfn::resume(&__HOTFN_SLOT, __hotfn_other, __hotfn_payload),
            }
        }
    };
    quote! {
        // SAFETY: a target only ever holds code of this function (of some version), whose
        // signature and argument layouts the runtime checked to be this one's.
        let __hotfn_f = unsafe { ::core::mem::transmute::<*const (), #pointer>(__hotfn_other) };
        #[allow(unused_imports)]
        use __hotfn::{KeepCopy as _, KeepNone as _};
        #(#keep)*
        return match __hotfn::catch(|| #call_first) {
            ::core::result::Result::Ok(__hotfn_value) => __hotfn_value,
            ::core::result::Result::Err(__hotfn_payload) => { #on_panic }
        };
    }
}

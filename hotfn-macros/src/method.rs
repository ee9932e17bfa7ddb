//! The output of `#[hot]` on an inherent impl block: the impl block as written without the `hot`
//! feature; with it, every method made hot the way a free function is (stub, export, entry,
//! guard, first-call trampoline, slot), all inside one `const _: () = { ... };`:
//!
//! - the user's impl block, whose methods are stubs with the same signatures, docs and attributes;
//! - a hidden impl block of the same type with each method's export (the body as written, so that
//!   `self` and `Self` mean what they meant), entry, guard and trampoline, all associated
//!   functions that keep the method's receiver;
//! - the slots, which cannot live in an impl block, with the type spelt out where the method
//!   says `Self`.
//!
//! The block keeps the slots' names private to the impl, so that methods of the same name in
//! impl blocks of different types never clash. Function pointer types are never written out:
//! a method's signature may elide lifetimes in ways a function pointer type cannot (`fn(&self,
//! &str) -> &str`), so each cast takes its type from the export (`typed_like`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{Attribute, FnArg, Ident, PatType, Signature, Type};

use crate::expand::{Relay, RelayKind, Replays, entry_body, output_borrows, split_attrs};
use crate::layout::{self, StaticLifetimes};
use crate::parse::{Args, HotFn, HotImpl, Member};
use crate::symbol::{self, Site};

/// Both forms of a validated impl block, chosen by the crate's `hot` feature.
pub fn both_modes(args: &Args, item: &HotImpl, site: &Site, features: &[String]) -> TokenStream {
    let krate = &args.krate;
    let plain = item.plain();
    let hot = hot_mode(krate, item, site, features);
    quote! {
        #[cfg(not(feature = "hot"))]
        #plain
        #[cfg(feature = "hot")]
        #krate::__private::hot_item! { { #plain } { #hot } }
    }
}

/// The impl block's type, in the forms the expansion needs.
struct SelfType<'a> {
    /// As written in the header: replaces `Self` in signatures outside the impl.
    ty: &'a Type,
    /// As written, compact (`Grid<'a>`): part of symbol names and function paths.
    text: String,
    /// Its last name (`Grid`), for the readable part of symbol names.
    short: String,
    /// With every lifetime `'static`: names the methods where the impl's lifetimes are not in
    /// scope (a function's address does not depend on lifetimes).
    in_static: Type,
}

impl<'a> SelfType<'a> {
    fn new(ty: &'a Type) -> SelfType<'a> {
        let short = match ty {
            Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let mut in_static = ty.clone();
        StaticLifetimes.visit_type_mut(&mut in_static);
        SelfType {
            ty,
            text: compact(&ty.to_token_stream().to_string()),
            short: short.unwrap_or_else(|| "impl".to_owned()),
            in_static,
        }
    }
}

fn hot_mode(krate: &syn::Path, item: &HotImpl, site: &Site, features: &[String]) -> TokenStream {
    let private = quote!(#krate::__private);
    let self_type = SelfType::new(&item.header.self_ty);
    // `cfg` decides for the whole block; docs describe the user's impl; lint levels and the rest
    // go where the bodies are.
    let (cfgs, attrs): (Vec<&Attribute>, Vec<&Attribute>) = item
        .header
        .attrs
        .iter()
        .partition(|a| a.path().is_ident("cfg"));
    let attrs: Vec<Attribute> = attrs.into_iter().cloned().collect();
    let (user_attrs, helper_attrs) = split_attrs(&attrs);

    let mut stubs = Vec::new();
    let mut helpers = Vec::new();
    let mut slots = Vec::new();
    for member in &item.members {
        match member {
            Member::Method { f, .. } => {
                let method = Method::new(f, &self_type, site);
                stubs.push(method.stub(&private));
                helpers.push(method.helpers(&private));
                slots.push(method.slot(&private, features));
            }
            Member::Other(other) => stubs.push(other.to_token_stream()),
        }
    }
    let user_impl = item.with_members(&user_attrs, quote!(#(#stubs)*));
    let generics = &item.header.generics;
    let where_clause = &generics.where_clause;
    let self_ty = self_type.ty;
    quote! {
        #(#cfgs)*
        const _: () = {
            #user_impl

            #(#helper_attrs)*
            #[doc(hidden)]
            impl #generics #self_ty #where_clause {
                #(#helpers)*
            }

            #(#slots)*
        };
    }
}

/// One method of the impl block, and the names of everything made for it.
struct Method<'a> {
    f: &'a HotFn,
    self_type: &'a SelfType<'a>,
    /// The stub's signature: the user's, with plain argument names and no `mut self`.
    stub_sig: Signature,
    /// What the stub passes on: `self` (for a receiver), then each argument's name.
    arg_names: Vec<Ident>,
    /// Which arguments are `&mut` references.
    mutable_refs: Vec<bool>,
    /// Whether the result may borrow from the arguments.
    result_borrows: bool,
    /// The function type as a method of no impl, `Self` spelt out: the signature's fingerprint.
    signature: String,
    /// The types whose layouts make up the fingerprint.
    layout_types: Vec<Type>,
    /// The crate's own types the signature reaches, with their definition hashes.
    reached: Vec<(String, u64)>,
    /// `Type::method`, for the function's path.
    display: String,
    export_name: String,
    /// The method's `cfg` attributes, repeated on every item made for it.
    cfgs: Vec<&'a Attribute>,
    export: Ident,
    entry: Ident,
    guard: Ident,
    first_call: Ident,
    direct: Ident,
    slot: Ident,
}

impl<'a> Method<'a> {
    fn new(f: &'a HotFn, self_type: &'a SelfType<'a>, site: &Site) -> Method<'a> {
        let sig = &f.sig;
        let mut stub_sig = sig.clone();
        let mut arg_names = Vec::new();
        for (index, arg) in stub_sig.inputs.iter_mut().enumerate() {
            match arg {
                FnArg::Receiver(receiver) => {
                    // `mut self` binds mutably; `&mut self` is a type.
                    if receiver.reference.is_none() {
                        receiver.mutability = None;
                    }
                    arg_names.push(Ident::new("self", Span::call_site()));
                }
                FnArg::Typed(PatType { pat, .. }) => {
                    arg_names.push(crate::expand::plain_name(pat, index));
                }
            }
        }

        let desugared = desugar(sig, self_type.ty);
        let arg_types: Vec<&Type> = desugared
            .inputs
            .iter()
            .map(|arg| match arg {
                FnArg::Typed(arg) => &*arg.ty,
                FnArg::Receiver(_) => unreachable!("desugared"),
            })
            .collect();
        let mutable_refs = arg_types
            .iter()
            .map(|ty| matches!(ty, Type::Reference(r) if r.mutability.is_some()))
            .collect();
        let lifetimes = desugared.generics.lifetimes().map(|l| &l.lifetime);
        let binder =
            (desugared.generics.lifetimes().count() > 0).then(|| quote!(for<#(#lifetimes),*>));
        let unsafety = &desugared.unsafety;
        let output = &desugared.output;
        let signature =
            quote!(#binder #unsafety extern "C-unwind" fn(#(#arg_types),*) #output).to_string();

        let name = sig.ident.to_string();
        let ident = &sig.ident;
        Method {
            f,
            self_type,
            stub_sig,
            arg_names,
            mutable_refs,
            result_borrows: output_borrows(&desugared.output),
            signature,
            layout_types: layout::types(&desugared),
            reached: crate::types::reached_by(arg_types.iter().copied(), &desugared.output),
            display: format!("{}::{name}", self_type.text),
            export_name: symbol::method_export_name(site, &self_type.text, &self_type.short, &name),
            cfgs: f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("cfg"))
                .collect(),
            export: format_ident!("__hotfn_export_{}", ident),
            entry: format_ident!("__hotfn_entry_{}", ident),
            guard: format_ident!("__hotfn_guard_{}", ident),
            first_call: format_ident!("__hotfn_first_call_{}", ident),
            direct: format_ident!("__hotfn_direct_{}", ident),
            slot: format_ident!("__HOTFN_SLOT_{}", ident),
        }
    }

    /// Calls of an `unsafe fn` are made in `unsafe` blocks: the caller of the stub upholds the
    /// method's contract, which every version of its body shares.
    fn unsafe_call(&self, call: TokenStream) -> TokenStream {
        match self.f.sig.unsafety {
            Some(_) => quote!(unsafe { #call }),
            None => call,
        }
    }

    /// `Self::export as extern "C-unwind" fn(_, _) -> _`: a value of the export's type, at the
    /// lifetimes of the call at hand.
    fn export_like(&self) -> TokenStream {
        let export = &self.export;
        let unsafety = &self.f.sig.unsafety;
        let holes = self.arg_names.iter().map(|_| quote!(_));
        let output = match self.f.sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(..) => Some(quote!(-> _)),
        };
        quote!(Self::#export as #unsafety extern "C-unwind" fn(#(#holes),*) #output)
    }

    /// The method as the user's impl block has it: one load and one call.
    fn stub(&self, private: &TokenStream) -> TokenStream {
        let (stub_attrs, _) = split_attrs(&self.f.attrs);
        let vis = &self.f.vis;
        let stub_sig = &self.stub_sig;
        let target = crate::expand::target_of(&self.slot);
        let export_like = self.export_like();
        let arg_names = &self.arg_names;
        let call_slot = self.unsafe_call(quote!(__hotfn_f(#(#arg_names),*)));
        quote! {
            #(#stub_attrs)*
            #vis #stub_sig {
                // SAFETY: the target holds a function of the export's type (see
                // `FnInfo::signature`).
                let __hotfn_f = unsafe { #private::typed_like(#target.get(), #export_like) };
                #call_slot
            }
        }
    }

    /// The export, entry, guard and first-call trampoline, as associated functions of the hidden
    /// impl block.
    fn helpers(&self, private: &TokenStream) -> TokenStream {
        let HotFn { sig, body, .. } = self.f;
        let (_, export_attrs) = split_attrs(&self.f.attrs);
        let Method {
            stub_sig,
            arg_names,
            export_name,
            cfgs,
            export,
            entry,
            guard,
            first_call,
            direct,
            slot,
            ..
        } = self;
        let option = quote!(::core::option::Option);
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
        let export_like = self.export_like();
        let entry_holes = arg_names.iter().map(|_| quote!(_));
        // The last argument is spelt out: inferred from the call, it would be `&mut`.
        let entry_like = quote! {
            Self::#entry as #unsafety extern "C-unwind" fn(
                #(#entry_holes,)* *mut #option<#private::Panicked>
            ) -> _
        };
        let Replays {
            kept_names,
            kept_sources,
            first_args,
            repeat_args,
        } = Replays::new(arg_names, &self.mutable_refs, self.result_borrows);
        let call_export = self.unsafe_call(quote!(Self::#export(#(#arg_names),*)));
        let call_entry =
            self.unsafe_call(quote!(__hotfn_call(#(#first_args,)* &mut __hotfn_panicked)));
        let call_repeat = self.unsafe_call(quote!(__hotfn_f(#(#repeat_args),*)));
        let call_slot = self.unsafe_call(quote!(__hotfn_f(#(#arg_names),*)));
        let typed = |address: TokenStream| quote!(#private::typed_like(#address, #export_like));
        let relay = |kind| Relay {
            kind,
            private,
            slot: quote!(#slot),
            kept_names: &kept_names,
            kept_sources: &kept_sources,
            call_entry: &call_entry,
            call_repeat: &call_repeat,
            typed: &typed,
        };
        let entry_body = entry_body(private, &call_export);
        let guard_body = relay(RelayKind::Guard {
            entry: quote!(#private::typed_like(__hotfn_entry.address(), #entry_like)),
        })
        .body();
        let direct_body = relay(RelayKind::Direct {
            entry: entry_like.clone(),
        })
        .body();
        quote! {
            #(#export_attrs)*
            #[doc(hidden)]
            #[allow(improper_ctypes_definitions, dead_code)]
            #[unsafe(export_name = #export_name)]
            #unsafety extern "C-unwind" fn #export #generics (#inputs) #output #where_clause #body

            /// Calls the export for another binary, catching a panic with this binary's std.
            #(#cfgs)*
            #[doc(hidden)]
            #[allow(improper_ctypes_definitions, dead_code)]
            #unsafety extern "C-unwind" fn #entry #generics (
                #(#stub_inputs,)*
                __hotfn_panicked: *mut #option<#private::Panicked>,
            ) -> #option<#value> #where_clause {
                #entry_body
            }

            /// Calls another binary's entry; see `hotfn_runtime`'s `guard` module.
            #(#cfgs)*
            #[doc(hidden)]
            #[allow(improper_ctypes_definitions, dead_code, unreachable_patterns, unused_imports)]
            #unsafety extern "C-unwind" fn #guard #generics (#(#stub_inputs),*) #output #where_clause {
                #guard_body
            }

            /// What the host's slot calls when this binary has the current code: this binary's
            /// entry, without a guard, as the caller is the program; see `hotfn_runtime`'s `guard`.
            #(#cfgs)*
            #[doc(hidden)]
            #[allow(improper_ctypes_definitions, dead_code, unreachable_patterns, unused_imports)]
            #unsafety extern "C-unwind" fn #direct #generics (#(#stub_inputs),*) #output #where_clause {
                #direct_body
            }

            #(#cfgs)*
            #[doc(hidden)]
            #[allow(improper_ctypes_definitions, dead_code)]
            #[cold]
            #unsafety extern "C-unwind" fn #first_call #generics (#(#stub_inputs),*) #output #where_clause {
                // SAFETY: `first_call` returns what the slot now holds, a function of the
                // export's type.
                let __hotfn_f = unsafe { #private::typed_like(#slot.first_call(), #export_like) };
                #call_slot
            }
        }
    }

    /// The slot and its registration, outside the impl blocks.
    fn slot(&self, private: &TokenStream, features: &[String]) -> TokenStream {
        let Method {
            signature,
            layout_types,
            reached,
            display,
            export_name,
            cfgs,
            export,
            entry,
            guard,
            first_call,
            direct,
            slot,
            ..
        } = self;
        let ty = &self.self_type.in_static;
        let linkme = quote!(#private::linkme);
        let slot_static = crate::expand::slot_static(&crate::expand::SlotDef {
            private,
            slot,
            export_name,
            name: display,
            signature,
            layout_types,
            reached,
            features,
            export: quote!(<#ty>::#export),
            entry: quote!(<#ty>::#entry),
            guard: quote!(<#ty>::#guard),
            first_call: quote!(<#ty>::#first_call),
            direct: quote!(<#ty>::#direct),
        });
        quote! {
            #(#cfgs)*
            #slot_static

            #(#cfgs)*
            const _: () = {
                #[#linkme::distributed_slice(#private::SLOTS)]
                #[linkme(crate = #linkme)]
                static ENTRY: &#private::Slot = &#slot;
            };
        }
    }
}

/// `sig` as a function outside the impl block would have it: the receiver an ordinary first
/// argument, and `Self` replaced by `self_ty` everywhere.
fn desugar(sig: &Signature, self_ty: &Type) -> Signature {
    let mut sig = sig.clone();
    for arg in sig.inputs.iter_mut() {
        if let FnArg::Receiver(receiver) = arg {
            *arg = FnArg::Typed(PatType {
                attrs: receiver.attrs.clone(),
                pat: Box::new(syn::parse_quote!(__hotfn_self)),
                colon_token: Default::default(),
                ty: receiver.ty.clone(),
            });
        }
    }
    ReplaceSelf(self_ty).visit_signature_mut(&mut sig);
    sig
}

/// Replaces `Self` by the impl's type: `Self` itself, and `Self::Item` (as `<Type>::Item`) in
/// types and in expressions inside types (`[u8; Self::LEN]`).
struct ReplaceSelf<'a>(&'a Type);

impl ReplaceSelf<'_> {
    fn is_self_path(path: &syn::Path) -> bool {
        path.leading_colon.is_none() && path.segments.first().is_some_and(|s| s.ident == "Self")
    }

    /// `<Type>::rest` for a path `Self::rest`.
    fn qualified(&self, path: &syn::Path) -> (syn::QSelf, syn::Path) {
        let self_ty = self.0;
        let rest = path.segments.iter().skip(1);
        let qualified: syn::ExprPath = syn::parse_quote!(<#self_ty> #(:: #rest)*);
        (qualified.qself.expect("qualified"), qualified.path)
    }
}

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(path) = ty
            && path.qself.is_none()
            && Self::is_self_path(&path.path)
        {
            if path.path.segments.len() == 1 {
                *ty = match self.0 {
                    // `&Self` must become `&(dyn A + B)`, not `&dyn A + B`.
                    Type::TraitObject(object) if object.bounds.len() > 1 => {
                        syn::parse_quote!((#object))
                    }
                    other => other.clone(),
                };
                return;
            }
            let (qself, qualified) = self.qualified(&path.path);
            path.qself = Some(qself);
            path.path = qualified;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }

    fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
        if expr.qself.is_none() && Self::is_self_path(&expr.path) && expr.path.segments.len() > 1 {
            let (qself, qualified) = self.qualified(&expr.path);
            expr.qself = Some(qself);
            expr.path = qualified;
        }
        syn::visit_mut::visit_expr_path_mut(self, expr);
    }
}

/// Token text without the spaces the printer puts between tokens (`Grid < 'a >` → `Grid<'a>`),
/// keeping those between two words (`dyn Trait`).
fn compact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = out.chars().last();
            let after = chars.get(i + 1).copied();
            if before.is_some_and(word) && after.is_some_and(word) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(item: &str) -> (String, Vec<String>) {
        let imp: HotImpl = syn::parse_str(item).unwrap();
        let self_type = SelfType::new(&imp.header.self_ty);
        let site = Site {
            crate_name: "game".into(),
            version: "1.0.0".into(),
            file: "src/method_tests.rs".into(),
        };
        let Member::Method { f, .. } = &imp.members[0] else {
            panic!("not a method")
        };
        let method = Method::new(f, &self_type, &site);
        let layouts = method
            .layout_types
            .iter()
            .map(|t| t.to_token_stream().to_string())
            .collect();
        (method.signature, layouts)
    }

    #[test]
    fn receivers_become_first_arguments_and_self_is_spelt_out() {
        let (signature, layouts) =
            method("impl Grid<'_> { fn pick(&self, other: &Self, n: [u8; Self::N]) -> Self {} }");
        assert_eq!(
            signature,
            "extern \"C-unwind\" fn (& Grid < '_ > , & Grid < '_ > , [u8 ; < Grid < '_ > > :: N]) -> Grid < '_ >"
        );
        assert_eq!(
            layouts,
            ["Grid < 'static >", "[u8 ; < Grid < 'static > > :: N]", "u8"]
        );
        for (receiver, first) in [
            ("&mut self", quote!(&mut Ball)),
            ("self", quote!(Ball)),
            ("mut self", quote!(Ball)),
            ("self: Box<Self>", quote!(Box<Ball>)),
            ("&'a self", quote!(&'a Ball)),
        ] {
            let generics = if receiver.contains("'a") { "<'a>" } else { "" };
            let (signature, _) =
                method(&format!("impl Ball {{ fn f{generics}({receiver}) {{}} }}"));
            let binder = receiver.contains("'a").then(|| quote!(for<'a>));
            assert_eq!(
                signature,
                quote!(#binder extern "C-unwind" fn(#first)).to_string()
            );
        }
    }

    #[test]
    fn unsafe_methods_keep_unsafety() {
        let (signature, _) = method("impl Ball { unsafe fn f(&self) -> u8 {} }");
        assert_eq!(
            signature,
            quote!(unsafe extern "C-unwind" fn(&Ball) -> u8).to_string()
        );
    }

    #[test]
    fn type_text_is_compact() {
        assert_eq!(compact("Grid < 'a , u8 >"), "Grid<'a,u8>");
        assert_eq!(compact("dyn Trait + Send"), "dyn Trait+Send");
        assert_eq!(compact("crate :: a :: Ball"), "crate::a::Ball");
    }
}

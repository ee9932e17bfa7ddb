//! One model of a `#[hot]` function, free or a method (of an inherent impl or a trait impl, with
//! the attribute on the block or on the method): everything the hot form is made of, computed
//! once from the signature.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, Pat, PatIdent, PatType, ReturnType, Signature, Type};

use crate::context::Context;
use crate::item::HotFn;
use crate::layout::{self, StaticLifetimes};
use crate::symbol;

/// Where the function is, as far as the attribute can see.
#[derive(Clone, Copy)]
pub enum Owner<'a> {
    /// A free function (or an associated function under its own attribute: it looks like one
    /// until it names `self` or `Self`).
    Free,
    /// A method or associated function. With the attribute on the impl block, its type and
    /// trait are known.
    Method {
        self_ty: Option<&'a Type>,
        trait_: Option<&'a syn::Path>,
    },
}

/// One argument as the function passes it on.
pub struct Arg {
    /// Its name in the function (`self` for a receiver).
    pub name: Ident,
    /// `&mut` (reborrowed, not copied, for a call made again after a panic).
    pub mutable_ref: bool,
}

/// A `#[hot]` function, ready to expand.
pub struct Callable<'a> {
    pub f: &'a HotFn,
    pub owner: Owner<'a>,
    /// The signature as the hot form has it: each argument pattern replaced by a plain name.
    pub sig: Signature,
    /// `let <pattern> = <name>;` for each argument that had a pattern.
    pub lets: Vec<TokenStream>,
    pub args: Vec<Arg>,
    /// The function's own symbol.
    pub symbol: String,
    /// `name`, or `Type::name` when the type is known: the end of its path.
    pub path: String,
    /// The signature's fingerprint: its types as written, the receiver as a first argument.
    pub signature: String,
    /// Types to probe for layouts that do not name `Self` (nested items may name them).
    pub probes: Vec<Type>,
    /// Types to probe that name `Self`, through the method's `asm!` table.
    pub self_probes: Vec<Type>,
    /// The crate's own types the signature reaches, with their definition hashes.
    pub reached: Vec<(String, u64)>,
    /// Whether the result may borrow from the arguments (a `&mut` argument is then not
    /// reborrowed for a repeat).
    pub result_borrows: bool,
    /// An `async fn`.
    pub is_async: bool,
}

impl<'a> Callable<'a> {
    pub fn new(f: &'a HotFn, owner: Owner<'a>, context: &Context) -> Callable<'a> {
        let mut sig = f.sig.clone();
        let mut lets = Vec::new();
        let mut args = Vec::new();
        for (index, arg) in sig.inputs.iter_mut().enumerate() {
            match arg {
                FnArg::Receiver(receiver) => args.push(Arg {
                    name: Ident::new("self", Span::call_site()),
                    mutable_ref: receiver.reference.is_some() && receiver.mutability.is_some(),
                }),
                FnArg::Typed(PatType { pat, ty, .. }) => {
                    let (name, binding) = plain_name(pat, index);
                    lets.extend(binding);
                    args.push(Arg {
                        name,
                        mutable_ref: matches!(&**ty, Type::Reference(r) if r.mutability.is_some()),
                    });
                }
            }
        }
        let desugared = desugar(&f.sig);
        let arg_types: Vec<&Type> = desugared
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                FnArg::Typed(arg) => Some(&*arg.ty),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let lifetimes: Vec<_> = desugared
            .generics
            .lifetimes()
            .map(|l| &l.lifetime)
            .collect();
        let binder = (!lifetimes.is_empty()).then(|| quote!(for<#(#lifetimes),*>));
        let unsafety = &desugared.unsafety;
        let asyncness = &desugared.asyncness;
        let output = &desugared.output;
        let signature =
            readable(&quote!(#binder #unsafety #asyncness fn(#(#arg_types),*) #output).to_string());
        let (self_probes, probes): (Vec<Type>, Vec<Type>) = layout::types(&desugared)
            .into_iter()
            .partition(|ty| names_self(&ty.to_token_stream()));
        let self_probes = self_probes
            .into_iter()
            .filter(|ty: &Type| !has_lifetime_or_reference(ty))
            .collect();
        let (self_ty, trait_) = match owner {
            Owner::Free => (None, None),
            Owner::Method { self_ty, trait_ } => (self_ty, trait_),
        };
        let self_text = self_ty.map(|ty| compact(&ty.to_token_stream().to_string()));
        let short = self_ty.and_then(|ty| match ty {
            Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        });
        let key_ty = match (&self_text, trait_) {
            (Some(ty), Some(trait_)) => Some(format!(
                "<{ty} as {}>",
                compact(&trait_.to_token_stream().to_string())
            )),
            (ty, _) => ty.clone(),
        };
        let name = f.sig.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        let symbol = symbol::export_name(
            context,
            &symbol::Place {
                self_ty: key_ty.as_deref(),
                short_ty: short.as_deref(),
                method: matches!(owner, Owner::Method { .. }),
                name: &name,
            },
        );
        let path = match &short {
            Some(short) => format!("{short}::{name}"),
            None => name,
        };
        let mut reached_types: Vec<&Type> = arg_types.clone();
        if let ReturnType::Type(_, ty) = &desugared.output {
            reached_types.push(ty);
        }
        let root = context.crate_root();
        let mut reached = crate::types::reachable(&root, reached_types);
        if let Some(self_ty) = self_ty {
            for found in crate::types::reachable(&root, [self_ty]) {
                if !reached.contains(&found) {
                    reached.push(found);
                }
            }
            reached.sort();
        }
        Callable {
            f,
            owner,
            sig,
            lets,
            args,
            symbol,
            path,
            signature,
            probes,
            self_probes,
            reached,
            result_borrows: output_borrows(&desugared.output),
            is_async: f.sig.asyncness.is_some(),
        }
    }

    /// For an `async fn`: the signature as a function returning its future (`fn(…) -> impl
    /// Future<Output = R> + Tagged`), and the output type `R`. Before edition 2024, a returned
    /// `impl Trait` captures only the lifetimes it names, while an `async fn`'s future captures
    /// all: every elided lifetime is given a name, and all are named in `use<…>` (with the impl
    /// block's, when the attribute sees them).
    pub fn future_signature(
        &self,
        krate: &syn::Path,
        edition: u32,
        impl_lifetimes: &[syn::Lifetime],
    ) -> (Signature, TokenStream) {
        let mut sig = self.sig.clone();
        sig.asyncness = None;
        let mut captured: Vec<syn::Lifetime> = impl_lifetimes.to_vec();
        // Named in every edition: the function's lifetimes are all given explicitly where the
        // prologue names the function, which a late-bound (elided) one forbids.
        {
            let mut namer = NameAll {
                names: Vec::new(),
                receiver: None,
            };
            for arg in sig.inputs.iter_mut() {
                match arg {
                    FnArg::Receiver(receiver) => {
                        if let Some((_, lifetime)) = &mut receiver.reference {
                            let name = lifetime.get_or_insert_with(|| namer.fresh()).clone();
                            namer.receiver = Some(name.clone());
                            let mutability = receiver.mutability;
                            *receiver.ty = syn::parse_quote!(&#name #mutability Self);
                        }
                    }
                    FnArg::Typed(arg) => namer.visit_type_mut(&mut arg.ty),
                }
            }
            let output_lifetime = namer
                .receiver
                .clone()
                .or_else(|| (namer.names.len() == 1).then(|| namer.names[0].clone()));
            if let (ReturnType::Type(_, ty), Some(lifetime)) = (&mut sig.output, &output_lifetime) {
                NameElided(lifetime).visit_type_mut(ty);
            }
            for name in &namer.names {
                sig.generics.params.push(syn::parse_quote!(#name));
            }
            captured.extend(sig.generics.lifetimes().map(|l| l.lifetime.clone()));
        }
        // The box's lifetime: every lifetime the future captures outlives it.
        let boxed = boxed_lifetime();
        let outlived: Vec<syn::Lifetime> = sig
            .generics
            .lifetimes()
            .map(|l| l.lifetime.clone())
            .chain(impl_lifetimes.iter().cloned())
            .collect();
        sig.generics.params.push(syn::parse_quote!(#boxed));
        let where_clause = sig.generics.make_where_clause();
        for lifetime in &outlived {
            where_clause
                .predicates
                .push(syn::parse_quote!(#lifetime: #boxed));
        }
        if self.is_method() {
            where_clause
                .predicates
                .push(syn::parse_quote!(Self: #boxed));
        }
        captured.push(boxed);
        captured.dedup();
        let value = match &sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => quote!(#ty),
        };
        let capture = (edition < 2024).then(|| quote!(+ use<#(#captured),*>));
        sig.output = syn::parse_quote! {
            -> impl ::core::future::Future<Output = #value> + #krate::__private::Tagged #capture
        };
        (sig, value)
    }

    pub fn is_method(&self) -> bool {
        matches!(self.owner, Owner::Method { .. })
    }

    /// The function itself as a value: `name`, `Self::name`, or `<Self as Trait>::name`.
    pub fn itself(&self) -> TokenStream {
        let name = &self.f.sig.ident;
        match self.owner {
            Owner::Free => quote!(#name),
            Owner::Method {
                trait_: Some(trait_),
                ..
            } => quote!(<Self as #trait_>::#name),
            Owner::Method { .. } => quote!(Self::#name),
        }
    }

    /// The type of a pointer to any version of the function. Elided lifetimes stay elided
    /// (a function pointer type elides inputs as a function does), except that a return type
    /// borrowing from a reference receiver names the receiver's lifetime, which a pointer type
    /// cannot take from `self`.
    pub fn pointer_type(&self) -> TokenStream {
        const RECEIVER: &str = "'__hotfn_self";
        let mut sig = self.f.sig.clone();
        let named = match sig.receiver() {
            Some(receiver) if receiver.reference.is_some() => {
                let elided_output = match &sig.output {
                    ReturnType::Type(_, ty) => has_elided_lifetime(ty),
                    ReturnType::Default => false,
                };
                elided_output
                    && receiver
                        .reference
                        .as_ref()
                        .is_some_and(|(_, l)| l.is_none())
            }
            _ => false,
        };
        let lifetime = syn::Lifetime::new(RECEIVER, Span::call_site());
        if named {
            for arg in sig.inputs.iter_mut() {
                if let FnArg::Receiver(receiver) = arg
                    && let Some((_, slot)) = &mut receiver.reference
                {
                    *slot = Some(lifetime.clone());
                    let mutability = receiver.mutability;
                    *receiver.ty = syn::parse_quote!(&#lifetime #mutability Self);
                }
            }
            if let ReturnType::Type(_, ty) = &mut sig.output {
                NameElided(&lifetime).visit_type_mut(ty);
            }
        }
        let desugared = desugar(&sig);
        let types = desugared.inputs.iter().filter_map(|arg| match arg {
            FnArg::Typed(arg) => Some(&arg.ty),
            FnArg::Receiver(_) => None,
        });
        // The function's own lifetimes are in scope where the pointer is used: the pointer is
        // for this call's, as the arguments have them.
        let binder = named.then(|| quote!(for<#lifetime>));
        let unsafety = &sig.unsafety;
        let output = &sig.output;
        quote!(#binder #unsafety fn(#(#types),*) #output)
    }
}

/// Whether a type has a reference without a lifetime, or `'_`.
fn has_elided_lifetime(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if r.lifetime.is_none() {
                self.0 = true;
            }
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            if lifetime.ident == "_" {
                self.0 = true;
            }
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

/// The lifetime of a hot `async fn`'s boxed future, which every lifetime it captures outlives.
pub fn boxed_lifetime() -> syn::Lifetime {
    syn::Lifetime::new("'__hotfn_future", Span::call_site())
}

/// Gives every elided lifetime of the argument types a fresh name, `'__hotfn_l0` and on.
struct NameAll {
    names: Vec<syn::Lifetime>,
    /// The receiver's lifetime, which an elided one in the output means.
    receiver: Option<syn::Lifetime>,
}

impl NameAll {
    fn fresh(&mut self) -> syn::Lifetime {
        let name = syn::Lifetime::new(
            &format!("'__hotfn_l{}", self.names.len()),
            Span::call_site(),
        );
        self.names.push(name.clone());
        name
    }
}

impl VisitMut for NameAll {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.fresh());
        }
        syn::visit_mut::visit_type_reference_mut(self, r);
    }
    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = self.fresh();
        }
    }
    // A function pointer or trait object has lifetimes of its own.
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
    fn visit_type_trait_object_mut(&mut self, _: &mut syn::TypeTraitObject) {}
}

/// Gives every elided lifetime of a type the name `.0`.
struct NameElided<'a>(&'a syn::Lifetime);

impl VisitMut for NameElided<'_> {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.0.clone());
        }
        syn::visit_mut::visit_type_reference_mut(self, r);
    }
    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = self.0.clone();
        }
    }
}

/// Replaces the pattern of argument `index` by a plain name: the argument's own name when it has
/// one (`x`, `mut x`), `__hotfn_arg<index>` otherwise (`(a, b)`, `_`), with a `let` that binds the
/// pattern again before the body.
fn plain_name(pat: &mut Box<Pat>, index: usize) -> (Ident, Option<TokenStream>) {
    if let Pat::Ident(PatIdent {
        ident,
        by_ref: None,
        subpat: None,
        ..
    }) = &**pat
    {
        // `mut x` keeps its `mut`: the body may need it, and the name is still a value.
        return (ident.clone(), None);
    }
    let name = format_ident!("__hotfn_arg{}", index);
    let pattern = (**pat).clone();
    **pat = Pat::Ident(PatIdent {
        attrs: Vec::new(),
        by_ref: None,
        mutability: None,
        ident: name.clone(),
        subpat: None,
    });
    (name.clone(), Some(quote!(let #pattern = #name;)))
}

/// `sig` with its receiver an ordinary first argument (`&mut self` as `&mut Self`).
fn desugar(sig: &Signature) -> Signature {
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
    sig
}

/// Whether tokens name `Self`.
pub fn names_self(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == "Self",
        proc_macro2::TokenTree::Group(group) => names_self(&group.stream()),
        _ => false,
    })
}

/// Whether a type has a reference or a lifetime in it (its layout is a pointer's; the pointee is
/// probed on its own).
fn has_lifetime_or_reference(ty: &Type) -> bool {
    let text = ty.to_token_stream().to_string();
    text.contains('&') || text.contains('\'')
}

/// Whether a return type may borrow from the arguments (it names a reference or a lifetime).
fn output_borrows(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => false,
        ReturnType::Type(_, ty) => {
            let text = quote!(#ty).to_string();
            text.contains('&') || text.contains('\'')
        }
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

/// Token text as a person writes it: `for<'a> fn(&'a str, u8) -> &'a str`.
fn readable(text: &str) -> String {
    compact(text)
        .replace(',', ", ")
        .replace("->", " -> ")
        .replace(">fn(", "> fn(")
        .replace("mut[", "mut [")
        .replace("dyn[", "dyn [")
}

/// A type with every lifetime `'static`, for a probe in a nested item.
pub fn in_static(ty: &Type) -> Type {
    let mut ty = ty.clone();
    StaticLifetimes.visit_type_mut(&mut ty);
    ty
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            package: "game".into(),
            bin: None,
            crate_name: "game".into(),
            version: "1.0.0".into(),
            manifest_dir: "/nowhere".into(),
            file: "src/callable_tests.rs".into(),
            features: Vec::new(),
            edition: 2021,
        }
    }

    fn free(item: &str) -> (String, Vec<String>, Vec<String>) {
        let f: HotFn = syn::parse_str(item).unwrap();
        let callable = Callable::new(&f, Owner::Free, &context());
        let names = callable.args.iter().map(|a| a.name.to_string()).collect();
        let lets = callable.lets.iter().map(|l| l.to_string()).collect();
        (callable.signature, names, lets)
    }

    #[test]
    fn arguments_get_plain_names_and_patterns_are_bound_again() {
        let (_, names, lets) = free("fn f(mut a: u32, (b, c): (u8, u8), _: i8) {}");
        assert_eq!(names, ["a", "__hotfn_arg1", "__hotfn_arg2"]);
        assert_eq!(
            lets,
            ["let (b , c) = __hotfn_arg1 ;", "let _ = __hotfn_arg2 ;"]
        );
    }

    #[test]
    fn the_signature_keeps_lifetimes_unsafety_and_asyncness() {
        assert_eq!(
            free("fn f<'a>(x: &'a str, y: &mut [u8]) -> Option<&'a str> {}").0,
            "for<'a> fn(&'a str, &mut [u8]) -> Option<&'a str>"
        );
        assert_eq!(
            free("unsafe fn f(p: *const u8) {}").0,
            "unsafe fn(*const u8)"
        );
        assert_eq!(
            free("async fn f(n: u32) -> u32 {}").0,
            "async fn(u32) -> u32"
        );
    }

    #[test]
    fn receivers_are_first_arguments_and_self_is_probed_apart() {
        let f: HotFn = syn::parse_str(
            "fn pick(&mut self, other: &Self, n: [u8; 4], o: Option<&Self>) -> Self {}",
        )
        .unwrap();
        let owner = Owner::Method {
            self_ty: None,
            trait_: None,
        };
        let callable = Callable::new(&f, owner, &context());
        assert_eq!(
            callable.signature,
            "fn(&mut Self, &Self, [u8;4], Option<&Self>) -> Self"
        );
        let text = |types: &[Type]| -> Vec<String> {
            types
                .iter()
                .map(|t| t.to_token_stream().to_string())
                .collect()
        };
        assert_eq!(text(&callable.self_probes), ["Self"]);
        assert_eq!(text(&callable.probes), ["[u8 ; 4]", "u8"]);
        assert!(callable.args[0].mutable_ref);
        assert_eq!(callable.path, "pick");
        assert_eq!(
            callable.pointer_type().to_string(),
            quote!(fn(&mut Self, &Self, [u8; 4], Option<&Self>) -> Self).to_string()
        );
    }

    #[test]
    fn a_result_borrowed_from_self_names_its_lifetime_in_the_pointer_type() {
        let pointer = |item: &str| {
            let f: HotFn = syn::parse_str(item).unwrap();
            let owner = Owner::Method {
                self_ty: None,
                trait_: None,
            };
            Callable::new(&f, owner, &context())
                .pointer_type()
                .to_string()
        };
        assert_eq!(
            pointer("fn first(&self, other: &str) -> &str {}"),
            quote!(for<'__hotfn_self> fn(&'__hotfn_self Self, &str) -> &'__hotfn_self str)
                .to_string()
        );
        assert_eq!(
            pointer("fn fmt(&self, f: &mut Formatter<'_>) -> Result {}"),
            quote!(fn(&Self, &mut Formatter<'_>) -> Result).to_string()
        );
        assert_eq!(
            pointer("fn get<'a>(&'a mut self) -> Iter<'a, u8> {}"),
            quote!(fn(&'a mut Self) -> Iter<'a, u8>).to_string()
        );
    }

    #[test]
    fn type_text_is_compact() {
        assert_eq!(compact("Grid < 'a , u8 >"), "Grid<'a,u8>");
        assert_eq!(compact("dyn Trait + Send"), "dyn Trait+Send");
    }
}

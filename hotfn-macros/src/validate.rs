//! The rules: which function shapes and impl blocks `#[hot]` can reload, with an error at the exact
//! token otherwise.

use syn::visit::Visit;
use syn::{FnArg, GenericParam, ReturnType, Signature};

use crate::parse::{HotFn, HotImpl, Member};

/// What `#[hot]` on one method says: it does not see the impl block, so it cannot name `Self`.
const ON_A_METHOD: &str = "#[hot] on a method or associated function cannot see the type of its `impl` block: put #[hot] on the `impl` block instead, which makes every method in it hot-reloadable (move the others to a second `impl` block)";

/// What `#[hot]` on one associated function whose body says `Self` says.
const SELF_IN_BODY: &str = "#[hot] on a single associated function moves its body out of the `impl` block, where `Self` means nothing: write the type's name instead of `Self`, or put #[hot] on the `impl` block, which makes every method in it hot-reloadable (move the others to a second `impl` block)";

/// What `#[hot]` on one associated function whose signature names a lifetime it does not
/// declare (the impl block's, as far as the macro can tell) says.
const OUTER_LIFETIME: &str = "#[hot] on a single associated function cannot see the lifetimes of its `impl` block: put #[hot] on the `impl` block instead, which makes every method in it hot-reloadable (move the others to a second `impl` block)";

/// Added to every error about one method of a `#[hot]` impl block.
const IN_AN_IMPL: &str = "; or move this method to an `impl` block without #[hot]";

/// Checks `f` against everything the expansion relies on, collecting every problem at once.
pub fn check(f: &HotFn) -> syn::Result<()> {
    let mut errors = Errors::new("");
    check_fn(f, Place::Free, &mut errors);
    // The expansion nests the body in the stub, as a function of its own: it may not name the
    // `Self` of an impl block the attribute cannot see. (A free function cannot say `Self` there
    // at all, so this refuses nothing that compiled.)
    if let Some(self_type) = find_self_in_body(f.body.stream()) {
        errors.add(syn::Error::new(self_type.span(), SELF_IN_BODY));
    }
    errors.finish()
}

/// Checks an impl block and each of its methods.
pub fn check_impl(item: &HotImpl) -> syn::Result<()> {
    let mut errors = Errors::new("");
    let header = &item.header;
    if let Some((bang, path, for_token)) = &header.trait_ {
        errors.push(
            quote::quote!(#bang #path #for_token),
            "#[hot] does not support trait impls yet: put the body in a method of a #[hot] inherent `impl` block (or in a #[hot] fn) and call it from the trait method",
        );
    }
    let name = match &*header.self_ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    let name = name.as_deref().unwrap_or("Type");
    for param in &header.generics.params {
        match param {
            GenericParam::Type(ty) => errors.push(
                ty,
                &format!(
                    "#[hot] does not support generic impl blocks: each instantiation is compiled into its caller, so there is no single method to reload. Put #[hot] on an impl block for a concrete type (`impl {name}<u32>`, say) and call its methods from the generic code"
                ),
            ),
            GenericParam::Const(c) => errors.push(
                c,
                &format!(
                    "#[hot] does not support const generic impl blocks: each value is a separate set of methods. Put #[hot] on an impl block for a concrete value (`impl {name}<8>`, say)"
                ),
            ),
            GenericParam::Lifetime(_) => {}
        }
    }
    for member in &item.members {
        let mut method_errors = Errors::new(IN_AN_IMPL);
        match member {
            Member::Method { f, hot_attrs } => {
                check_fn(f, Place::Impl, &mut method_errors);
                for attr in hot_attrs {
                    if !matches!(attr.meta, syn::Meta::Path(_)) {
                        errors.push(
                            attr,
                            "the #[hot] on the `impl` block already covers this method; give arguments to that one and remove these",
                        );
                    }
                }
            }
            Member::Other(syn::ImplItem::Fn(f)) => method_errors.push(
                &f.sig,
                "#[hot] cannot reload a `default fn`: specialization picks the code at compile time",
            ),
            Member::Other(_) => {}
        }
        if let Some(error) = method_errors.0 {
            errors.add(error);
        }
    }
    errors.finish()
}

/// Where a function under `#[hot]` is.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// Under its own `#[hot]`: a free function, as far as the macro can tell.
    Free,
    /// In a `#[hot]` impl block, whose type the macro knows.
    Impl,
}

fn check_fn(f: &HotFn, place: Place, errors: &mut Errors) {
    check_signature(&f.sig, place, errors);
    for attr in &f.attrs {
        let path = attr.path();
        if path.is_ident("no_mangle") || path.is_ident("export_name") || is_unsafe_export(attr) {
            errors.push(
                attr,
                "#[hot] exports the function under its own collision-free symbol; remove this attribute",
            );
        }
    }
}

fn check_signature(sig: &Signature, place: Place, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.push(
            token,
            "#[hot] cannot reload a `const fn`: its calls are evaluated at compile time. Remove `const` or `#[hot]`",
        );
    }
    if let Some(token) = &sig.asyncness {
        errors.push(
            token,
            "#[hot] does not support `async fn` yet: the future's type changes with every edit. Put the logic in a synchronous #[hot] fn and call it from the async one",
        );
    }
    if let Some(variadic) = &sig.variadic {
        // A C-variadic function must be `extern "C"`: one error here, none about the ABI.
        errors.push(
            variadic,
            "#[hot] cannot reload C-variadic functions: a reload needs one fixed signature. Make a #[hot] fn that takes the values as a slice, and call it from the variadic one",
        );
    } else if let Some(abi) = &sig.abi {
        errors.push(
            abi,
            "#[hot] functions are written with the Rust ABI (hotfn adds the C-ABI export itself); remove the `extern` ABI",
        );
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Type(ty) => errors.push(
                ty,
                "#[hot] does not support generic type parameters: each instantiation is compiled into its caller, so there is no single function to reload. Make a #[hot] fn for a concrete type and call it from a generic wrapper",
            ),
            GenericParam::Const(c) => errors.push(
                c,
                "#[hot] does not support const generic parameters: each value is a separate function. Make a #[hot] fn for a concrete value, or take the value as an argument",
            ),
            GenericParam::Lifetime(_) => {}
        }
    }
    if place == Place::Free {
        // A method, or an associated function that names its type: only the impl block's
        // attribute can expand them. (One that does neither looks like a free function.)
        match sig.receiver() {
            Some(receiver) => errors.push(receiver, ON_A_METHOD),
            None => {
                if let Some(self_type) = find_self_type(quote::ToTokens::to_token_stream(sig)) {
                    errors.add(syn::Error::new(self_type.span(), ON_A_METHOD));
                }
            }
        }
    }
    if place == Place::Free
        && let Some(lifetime) = find_undeclared_lifetime(sig)
    {
        // A free function cannot name a lifetime it does not declare either.
        errors.push(lifetime, OUTER_LIFETIME);
    }
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(_) => {}
            FnArg::Typed(pat_type) => {
                if let Some(impl_trait) = find_impl_trait(&pat_type.ty) {
                    errors.push(
                        impl_trait,
                        "#[hot] does not support `impl Trait` arguments: they are generic parameters. Take `&dyn Trait` or a concrete type instead",
                    );
                }
            }
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && let syn::Type::Never(never) = &**ty
    {
        errors.push(
            never,
            "#[hot] cannot reload a function that never returns (`-> !`): a reload could never take effect in it. Put the loop body in a #[hot] fn called from the loop",
        );
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && let Some(impl_trait) = find_impl_trait(ty)
    {
        errors.push(
            impl_trait,
            "#[hot] does not support returning `impl Trait`: the compiler picks the real type, which may change with an edit. Return a concrete type or `Box<dyn Trait>`",
        );
    }
}

fn is_unsafe_export(attr: &syn::Attribute) -> bool {
    // `#[unsafe(no_mangle)]` / `#[unsafe(export_name = "...")]`
    if !attr.path().is_ident("unsafe") {
        return false;
    }
    let Ok(list) = attr.meta.require_list() else {
        return false;
    };
    let text = list.tokens.to_string();
    text.starts_with("no_mangle") || text.starts_with("export_name")
}

/// The first `impl Trait` inside `ty`, if any.
fn find_impl_trait(ty: &syn::Type) -> Option<&syn::TypeImplTrait> {
    struct Finder<'ast>(Option<&'ast syn::TypeImplTrait>);
    impl<'ast> Visit<'ast> for Finder<'ast> {
        fn visit_type_impl_trait(&mut self, node: &'ast syn::TypeImplTrait) {
            self.0.get_or_insert(node);
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// The first `Self` in `tokens`.
fn find_self_type(tokens: proc_macro2::TokenStream) -> Option<proc_macro2::Ident> {
    tokens.into_iter().find_map(|token| match token {
        proc_macro2::TokenTree::Ident(ident) if ident == "Self" => Some(ident),
        proc_macro2::TokenTree::Group(group) => find_self_type(group.stream()),
        _ => None,
    })
}

/// The first `Self` in a function body that would mean the type of an enclosing `impl` block.
/// Items declared in the body (`impl`, `trait`, `struct`, `enum`, `union`, nested functions) have
/// a `Self` of their own, and macros may use the word for anything, so neither is looked into.
fn find_self_in_body(tokens: proc_macro2::TokenStream) -> Option<proc_macro2::Ident> {
    use proc_macro2::{Delimiter, TokenTree};
    const ITEMS: &[&str] = &["impl", "trait", "struct", "enum", "union", "fn"];
    let mut tokens = tokens.into_iter();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Ident(ident) if ident == "Self" => return Some(ident),
            TokenTree::Ident(ident) if ITEMS.iter().any(|item| ident == item) => {
                // Up to the end of the item: its `{ ... }`, or a `;`.
                for token in tokens.by_ref() {
                    match token {
                        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => break,
                        TokenTree::Punct(punct) if punct.as_char() == ';' => break,
                        _ => {}
                    }
                }
            }
            TokenTree::Punct(punct) if punct.as_char() == '!' => {
                // `name!(...)`, `macro_rules! name { ... }` (and `!x`): the next group is skipped.
                for token in tokens.by_ref() {
                    if matches!(token, TokenTree::Group(_) | TokenTree::Punct(_)) {
                        break;
                    }
                }
            }
            TokenTree::Group(group) => {
                if let Some(found) = find_self_in_body(group.stream()) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first lifetime in `sig` that neither its generics nor a `for<...>` in it declares, and
/// that is not `'static` or `'_`.
fn find_undeclared_lifetime(sig: &Signature) -> Option<syn::Lifetime> {
    #[derive(Default)]
    struct Lifetimes {
        declared: Vec<syn::Ident>,
        used: Vec<syn::Lifetime>,
    }
    impl<'ast> Visit<'ast> for Lifetimes {
        fn visit_lifetime_param(&mut self, param: &'ast syn::LifetimeParam) {
            self.declared.push(param.lifetime.ident.clone());
            syn::visit::visit_lifetime_param(self, param);
        }
        fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
            self.used.push(lifetime.clone());
        }
    }
    let mut lifetimes = Lifetimes::default();
    lifetimes.visit_signature(sig);
    lifetimes.used.into_iter().find(|lifetime| {
        let ident = &lifetime.ident;
        ident != "static" && ident != "_" && !lifetimes.declared.contains(ident)
    })
}

/// Collects errors so the user sees all of them in one build.
struct Errors(Option<syn::Error>, &'static str);

impl Errors {
    /// Errors whose messages end with `suffix`.
    fn new(suffix: &'static str) -> Errors {
        Errors(None, suffix)
    }

    fn push(&mut self, tokens: impl quote::ToTokens, message: &str) {
        let message = format!("{message}{}", self.1);
        self.add(syn::Error::new_spanned(tokens, message));
    }

    fn add(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_in_body(body: &str) -> Option<String> {
        let body: proc_macro2::TokenStream = body.parse().unwrap();
        find_self_in_body(body).map(|ident| ident.to_string())
    }

    #[test]
    fn self_in_a_body_is_found_but_not_in_its_items_or_macros() {
        assert!(self_in_body("{ Self::BASE * 2.0 }").is_some());
        assert!(self_in_body("{ let x = { (1, Self::new()) }; x }").is_some());
        for body in [
            "{ 3.0 }",
            "{ struct Node { next: Option<Box<Self>> } 1 }",
            "{ struct Pair(Box<Self>); 1 }",
            "{ impl Local { fn new() -> Self { Local } } Local::new() }",
            "{ trait T { fn make() -> Self; } 1 }",
            "{ stringify!(Self) }",
            "{ macro_rules! m { () => { Self }; } 1 }",
            "{ if a != b { 1 } else { 2 } }",
        ] {
            assert_eq!(self_in_body(body), None, "{body}");
        }
    }

    #[test]
    fn undeclared_lifetimes_are_found() {
        let undeclared = |sig: &str| {
            let sig: Signature = syn::parse_str(sig).unwrap();
            find_undeclared_lifetime(&sig).map(|l| l.to_string())
        };
        assert_eq!(
            undeclared("fn f(x: &'a str) -> &'a str").as_deref(),
            Some("'a")
        );
        for sig in [
            "fn f<'a>(x: &'a str) -> &'a str",
            "fn f(x: &str, y: &'static str) -> &'_ str",
            "fn f(g: for<'b> fn(&'b str) -> &'b str)",
            "fn f(g: &dyn for<'b> Fn(&'b str))",
        ] {
            assert_eq!(undeclared(sig), None, "{sig}");
        }
    }
}

//! The rules: which function shapes and impl blocks `#[hot]` can reload, with an error at the exact
//! token otherwise, all of them at once.

use syn::visit::Visit;
use syn::{FnArg, GenericParam, ReturnType, Signature};

use crate::item::{HotFn, HotImpl, Member};

/// Added to every error about one method of a `#[hot]` impl block.
const IN_AN_IMPL: &str = "; or move this method to an `impl` block without #[hot]";

/// Checks `f` against everything the expansion relies on, collecting every problem at once.
pub fn check(f: &HotFn) -> syn::Result<()> {
    let mut errors = Errors::new("");
    check_fn(f, &mut errors);
    errors.finish()
}

/// Checks an impl block and each of its methods.
pub fn check_impl(item: &HotImpl) -> syn::Result<()> {
    let mut errors = Errors::new("");
    let header = &item.header;
    if let Some((Some(bang), path, _)) = &header.trait_ {
        errors.push(
            quote::quote!(#bang #path),
            "#[hot] cannot reload a negative impl: it has no methods",
        );
    }
    if let Some((_, path, _)) = &header.trait_
        && let Some(args) = path.segments.iter().find_map(|s| match &s.arguments {
            syn::PathArguments::AngleBracketed(args)
                if args
                    .args
                    .iter()
                    .any(|a| matches!(a, syn::GenericArgument::Type(syn::Type::ImplTrait(_)))) =>
            {
                Some(args)
            }
            _ => None,
        })
    {
        errors.push(
            args,
            "#[hot] does not support `impl Trait` in the trait's arguments; name the type",
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
                check_fn(f, &mut method_errors);
                if let (Some(token), Some(_)) = (&f.sig.asyncness, &header.trait_) {
                    method_errors.push(
                        token,
                        "#[hot] does not support `async fn` in a trait impl yet: make the trait method call a #[hot] async fn (free, or a method of an inherent impl) that holds its body",
                    );
                }
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

fn check_fn(f: &HotFn, errors: &mut Errors) {
    check_signature(&f.sig, errors);
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

fn check_signature(sig: &Signature, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.push(
            token,
            "#[hot] cannot reload a `const fn`: its calls are evaluated at compile time. Remove `const` or `#[hot]`",
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

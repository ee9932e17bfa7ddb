//! The rules: which function shapes `#[hot]` can reload, with an error at the exact token otherwise.

use syn::visit::Visit;
use syn::{FnArg, GenericParam, ReturnType, Signature};

use crate::parse::HotFn;

/// Checks `f` against everything the expansion relies on, collecting every problem at once.
pub fn check(f: &HotFn) -> syn::Result<()> {
    let mut errors = Errors(None);
    check_signature(&f.sig, &mut errors);
    for attr in &f.attrs {
        let path = attr.path();
        if path.is_ident("no_mangle") || path.is_ident("export_name") || is_unsafe_export(attr) {
            errors.push(
                attr,
                "#[hot] exports the function under its own collision-free symbol; remove this attribute",
            );
        }
    }
    errors.finish()
}

fn check_signature(sig: &Signature, errors: &mut Errors) {
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
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(receiver) => errors.push(
                receiver,
                "#[hot] does not support methods yet: put the body in a free #[hot] fn that takes the value as an argument, and call it from the method",
            ),
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
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, tokens: impl quote::ToTokens, message: &str) {
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

//! The output of `#[hot]`: one dispatch by what the attribute is on, both forms chosen by the
//! crate's `hot` feature, and one fallback: an error next to the item as written, so that the
//! rest of the crate still compiles and only the real error shows.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::Args;
use crate::callable::{Callable, Owner};
use crate::context::Context;
use crate::item::{self, HotFn, HotImpl, Member};
use crate::{state, validate};

/// Arguments and item tokens in, item tokens out.
pub fn hot(args: TokenStream, input: TokenStream, context: &Context) -> TokenStream {
    match try_expand(args, &input, context) {
        Ok(tokens) => tokens,
        Err((error, item)) => {
            let error = error.to_compile_error();
            quote!(#error #item)
        }
    }
}

/// An error, and the item to emit beside it.
type Failure = (syn::Error, TokenStream);

fn try_expand(
    args: TokenStream,
    input: &TokenStream,
    context: &Context,
) -> Result<TokenStream, Failure> {
    let args = Args::parse(args).map_err(|error| (error, input.clone()))?;
    if let Ok(item) = syn::parse2::<syn::ItemStatic>(input.clone()) {
        return Ok(state::expand(&args, &item, context));
    }
    let no_migration = |what: &str, item: TokenStream| match args.on_change.span() {
        Some(span) => Err((
            syn::Error::new(
                span,
                format!(
                    "`reset`, `serde` and `migrate` say what a #[hot] static does when its type \
                     changes; {what} no value to carry over: remove the argument"
                ),
            ),
            item,
        )),
        None => Ok(()),
    };
    if item::is_impl(input) {
        let item: HotImpl = syn::parse2(input.clone()).map_err(|error| (error, input.clone()))?;
        no_migration("methods have", item.plain())?;
        validate::check_impl(&item).map_err(|error| (error, item.plain()))?;
        let hot = hot_impl(&args.krate, &item, context);
        return Ok(both_modes(&args.krate, item.plain(), hot));
    }
    let f: HotFn = syn::parse2(input.clone()).map_err(|error| not_a_function(error, input))?;
    no_migration("a function has", f.plain())?;
    validate::check(&f).map_err(|error| (error, f.plain()))?;
    let owner = match f.sig.receiver() {
        Some(_) => Owner::Method {
            self_ty: None,
            trait_: None,
        },
        None => Owner::Free,
    };
    let hot = crate::hot::function(
        &args.krate,
        &Callable::new(&f, owner, context),
        context,
        &[],
    );
    Ok(both_modes(&args.krate, f.plain(), hot))
}

/// The impl block with each of its methods in its hot form.
fn hot_impl(krate: &syn::Path, item: &HotImpl, context: &Context) -> TokenStream {
    let owner = Owner::Method {
        self_ty: Some(&item.header.self_ty),
        trait_: item.header.trait_.as_ref().map(|(_, path, _)| path),
    };
    let lifetimes: Vec<syn::Lifetime> = item
        .header
        .generics
        .lifetimes()
        .map(|l| l.lifetime.clone())
        .collect();
    let members = item.members.iter().map(|member| match member {
        Member::Method { f, .. } => crate::hot::function(
            krate,
            &Callable::new(f, owner, context),
            context,
            &lifetimes,
        ),
        Member::Other(other) => quote::ToTokens::to_token_stream(other),
    });
    item.with_members(&item.header.attrs, quote!(#(#members)*))
}

/// The item as written without the `hot` feature, the hot form with it. The runtime's
/// `hot_item!` emits the hot form, or, when this crate's `hot` feature does not enable
/// `hotfn-runtime/hot`, an error that says so next to the plain form.
pub fn both_modes(krate: &syn::Path, plain: TokenStream, hot: TokenStream) -> TokenStream {
    quote! {
        #[cfg(not(feature = "hot"))]
        #plain
        #[cfg(feature = "hot")]
        #krate::__private::hot_item! { { #plain } { #hot } }
    }
}

/// The attribute was put on something else than a function: say what, at its name.
fn not_a_function(error: syn::Error, input: &TokenStream) -> Failure {
    match item::describe_non_fn(input.clone()) {
        Some((item, name, message)) => (syn::Error::new_spanned(name, message), item),
        None => (error, input.clone()),
    }
}

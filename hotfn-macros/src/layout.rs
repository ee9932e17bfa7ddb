//! Which types' layouts make up a function's fingerprint: every argument and return type, and
//! what references, pointers, slices, arrays, tuples and generic arguments contain.

use std::collections::BTreeSet;

use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{FnArg, GenericArgument, PathArguments, ReturnType, Signature, Type};

/// The types to probe, each once, with named lifetimes replaced by `'static` (layouts do not
/// depend on lifetimes, and the probe runs where the function's lifetimes are not in scope).
pub fn types(sig: &Signature) -> Vec<Type> {
    let mut found = Vec::new();
    for arg in &sig.inputs {
        if let FnArg::Typed(arg) = arg {
            collect(&arg.ty, &mut found);
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        collect(ty, &mut found);
    }
    let mut seen = BTreeSet::new();
    found
        .into_iter()
        .map(|mut ty| {
            StaticLifetimes.visit_type_mut(&mut ty);
            ty
        })
        .filter(|ty| seen.insert(ty.to_token_stream().to_string()))
        .collect()
}

fn collect(ty: &Type, out: &mut Vec<Type>) {
    match ty {
        Type::Reference(r) => collect(&r.elem, out),
        Type::Ptr(p) => collect(&p.elem, out),
        Type::Slice(s) => collect(&s.elem, out),
        Type::Paren(p) => collect(&p.elem, out),
        Type::Group(g) => collect(&g.elem, out),
        Type::Array(a) => {
            out.push(ty.clone());
            collect(&a.elem, out);
        }
        Type::Tuple(t) => {
            if !t.elems.is_empty() {
                out.push(ty.clone());
            }
            t.elems.iter().for_each(|e| collect(e, out));
        }
        Type::Path(p) => {
            out.push(ty.clone());
            for segment in &p.path.segments {
                if let PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        if let GenericArgument::Type(inner) = arg {
                            collect(inner, out);
                        }
                    }
                }
            }
        }
        // Trait objects, `impl Trait` (refused earlier), `!`, function pointers, macros: nothing
        // whose layout an edit of this crate could change behind the signature's back.
        _ => {}
    }
}

pub(crate) struct StaticLifetimes;

impl VisitMut for StaticLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        if lifetime.ident != "static" {
            *lifetime = syn::Lifetime::new("'static", lifetime.span());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probed(item: &str) -> Vec<String> {
        let f: syn::ItemFn = syn::parse_str(item).unwrap();
        types(&f.sig)
            .iter()
            .map(|t| t.to_token_stream().to_string())
            .collect()
    }

    #[test]
    fn pointees_and_generic_arguments_are_probed() {
        assert_eq!(
            probed(
                "fn f<'a>(b: &'a Board, xs: &mut [Cell], o: Option<&'a Piece>) -> (u32, Vec<Move>) {}"
            ),
            [
                "Board",
                "Cell",
                "Option < & 'static Piece >",
                "Piece",
                "(u32 , Vec < Move >)",
                "u32",
                "Vec < Move >",
                "Move"
            ]
        );
    }

    #[test]
    fn each_type_once_and_nothing_for_trait_objects() {
        assert_eq!(probed("fn f(a: &str, b: &str, c: &dyn Fn()) {}"), ["str"]);
    }
}

//! Deep type fingerprints: the definitions of the crate's own types that a signature reaches.
//!
//! Sizes and alignments (checked at run time) miss changes behind indirection: a field added to
//! `Spark`, held in a `Vec<Spark>` inside the `World` a function takes by reference, changes
//! neither `World`'s size nor the function's signature, yet old and new code disagree on every
//! `Spark`. So the expansion reads the crate's sources, finds every struct, enum, union and type
//! alias it defines, and records for each function a hash of the definition of every such type
//! its signature reaches, through fields, transitively (by name: two types of one name count as
//! one, which can only make the check stricter). The runtime refuses a reload in which one of
//! them changed. Doc comments do not count; anything else in a definition does, including field
//! order, names, attributes such as `repr` and derives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use quote::ToTokens;
use syn::visit::Visit;

use crate::hash::fnv1a;

/// One definition (or several of the same name, merged).
#[derive(Debug, Clone, Default, PartialEq)]
struct Definition {
    hash: u64,
    /// Names mentioned in its fields' types.
    mentions: BTreeSet<String>,
}

/// The crate's type definitions by name, read once per compilation.
type Definitions = BTreeMap<String, Definition>;

/// `(name, definition hash)` of every crate type reachable from `types`, sorted by name.
pub fn reachable<'a>(
    root: &Path,
    types: impl IntoIterator<Item = &'a syn::Type>,
) -> Vec<(String, u64)> {
    let definitions = definitions(root);
    let mut pending: Vec<String> = types.into_iter().flat_map(names_in).collect();
    let mut found = BTreeMap::new();
    while let Some(name) = pending.pop() {
        if found.contains_key(&name) {
            continue;
        }
        if let Some(definition) = definitions.get(&name) {
            found.insert(name, definition.hash);
            pending.extend(definition.mentions.iter().cloned());
        }
    }
    found.into_iter().collect()
}

/// The definitions of the crate whose root file is `root`, cached per root.
fn definitions(root: &Path) -> Definitions {
    static CACHE: Mutex<BTreeMap<PathBuf, Definitions>> = Mutex::new(BTreeMap::new());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache
        .entry(root.to_path_buf())
        .or_insert_with(|| {
            let mut definitions = Definitions::new();
            read_module_file(root, true, &mut definitions, 0);
            definitions
        })
        .clone()
}

/// Reads a module's file and the files of the modules it declares.
fn read_module_file(file: &Path, owns_dir: bool, out: &mut Definitions, depth: usize) {
    let Some(parsed) = std::fs::read_to_string(file)
        .ok()
        .and_then(|text| syn::parse_file(&text).ok())
    else {
        return;
    };
    // Where `mod child;` looks: beside `lib.rs`/`mod.rs`, or in a directory named after the file.
    let dir = file.parent().unwrap_or(Path::new("."));
    let children_dir = if owns_dir {
        dir.to_path_buf()
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    };
    read_items(&parsed.items, dir, &children_dir, out, depth);
}

fn read_items(
    items: &[syn::Item],
    dir: &Path,
    children: &Path,
    out: &mut Definitions,
    depth: usize,
) {
    // Deep enough for any real crate; stops a `#[path]` loop.
    if depth > 32 {
        return;
    }
    for item in items {
        match item {
            syn::Item::Struct(s) => add(out, &s.ident, item, s.fields.iter().map(|f| &f.ty)),
            syn::Item::Union(u) => add(out, &u.ident, item, u.fields.named.iter().map(|f| &f.ty)),
            syn::Item::Enum(e) => {
                let fields = e
                    .variants
                    .iter()
                    .flat_map(|v| v.fields.iter().map(|f| &f.ty));
                add(out, &e.ident, item, fields);
            }
            syn::Item::Type(t) => add(out, &t.ident, item, std::iter::once(&*t.ty)),
            syn::Item::Mod(m) => {
                let path = path_attribute(&m.attrs);
                match &m.content {
                    Some((_, items)) => {
                        let inner = children.join(path.unwrap_or_else(|| m.ident.to_string()));
                        read_items(items, dir, &inner, out, depth + 1);
                    }
                    None => {
                        let (file, owns_dir) = match path {
                            Some(path) => (dir.join(path), true),
                            None => {
                                let name = m.ident.to_string();
                                let flat = children.join(format!("{name}.rs"));
                                if flat.is_file() {
                                    (flat, false)
                                } else {
                                    (children.join(name).join("mod.rs"), true)
                                }
                            }
                        };
                        read_module_file(&file, owns_dir, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The value of `#[path = "..."]`.
fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            return None;
        };
        if !nv.path.is_ident("path") {
            return None;
        }
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

fn add<'a>(
    out: &mut Definitions,
    name: &syn::Ident,
    item: &syn::Item,
    fields: impl Iterator<Item = &'a syn::Type>,
) {
    let mut item = item.clone();
    strip_docs(&mut item);
    let hash = fnv1a(item.to_token_stream().to_string().as_bytes());
    let definition = out.entry(name.to_string()).or_default();
    // Same-named definitions (in two modules) merge: a change to either counts.
    definition.hash = fnv1a(&[definition.hash.to_le_bytes(), hash.to_le_bytes()].concat());
    definition.mentions.extend(fields.flat_map(names_in));
}

/// Removes doc comments (on the item, its fields and variants) and trailing commas: they change
/// no layout.
fn strip_docs(item: &mut syn::Item) {
    fn strip(attrs: &mut Vec<syn::Attribute>) {
        attrs.retain(|attr| !attr.path().is_ident("doc"));
    }
    fn strip_fields<'a>(fields: impl Iterator<Item = &'a mut syn::Field>) {
        fields.for_each(|field| strip(&mut field.attrs));
    }
    // A trailing comma changes no layout either.
    fn untrail(fields: &mut syn::Fields) {
        match fields {
            syn::Fields::Named(named) => {
                let _ = named.named.pop_punct();
            }
            syn::Fields::Unnamed(unnamed) => {
                let _ = unnamed.unnamed.pop_punct();
            }
            syn::Fields::Unit => {}
        }
    }
    match item {
        syn::Item::Struct(s) => {
            strip(&mut s.attrs);
            strip_fields(s.fields.iter_mut());
            untrail(&mut s.fields);
        }
        syn::Item::Union(u) => {
            strip(&mut u.attrs);
            strip_fields(u.fields.named.iter_mut());
            let _ = u.fields.named.pop_punct();
        }
        syn::Item::Enum(e) => {
            strip(&mut e.attrs);
            for variant in &mut e.variants {
                strip(&mut variant.attrs);
                strip_fields(variant.fields.iter_mut());
                untrail(&mut variant.fields);
            }
            let _ = e.variants.pop_punct();
        }
        syn::Item::Type(t) => strip(&mut t.attrs),
        _ => {}
    }
}

/// Every identifier in a type's paths (`Vec<world::Spark>` → `Vec`, `world`, `Spark`).
fn names_in(ty: &syn::Type) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_path_segment(&mut self, segment: &'ast syn::PathSegment) {
            self.0.push(segment.ident.to_string());
            syn::visit::visit_path_segment(self, segment);
        }
    }
    let mut names = Names(Vec::new());
    names.visit_type(ty);
    names.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn reach(dir: &Path, ty: &str) -> Vec<(String, u64)> {
        let ty: syn::Type = syn::parse_str(ty).unwrap();
        reachable(&dir.join("src/lib.rs"), [&ty])
    }

    const WORLD: &str = "pub mod world;\npub struct Unrelated(u8);";

    #[test]
    fn types_behind_indirection_are_reached_through_module_files() {
        let dir = crate_with(&[
            ("src/lib.rs", WORLD),
            (
                "src/world.rs",
                "pub struct World { pub sparks: Vec<Spark>, pub kind: Kind }\n\
                 mod parts { pub struct Spark { pub x: f32 } }\n\
                 pub use parts::Spark;\n\
                 pub enum Kind { A(Inner), B }\n\
                 pub type Inner = [Deep; 2];\n\
                 #[derive(Clone)] pub struct Deep(u8);",
            ),
        ]);
        let names: Vec<String> = reach(dir.path(), "&mut World")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["Deep", "Inner", "Kind", "Spark", "World"]);
    }

    #[test]
    fn a_field_deep_inside_changes_the_fingerprint_and_a_doc_comment_does_not() {
        let before = crate_with(&[
            ("src/lib.rs", WORLD),
            (
                "src/world/mod.rs",
                "pub struct World { pub sparks: Vec<Spark> }\npub struct Spark { pub x: f32 }",
            ),
        ]);
        let documented = crate_with(&[
            ("src/lib.rs", WORLD),
            (
                "src/world/mod.rs",
                "/// The world.\npub struct World { pub sparks: Vec<Spark> }\npub struct Spark {\n    /// Across.\n    pub x: f32,\n}",
            ),
        ]);
        let grown = crate_with(&[
            ("src/lib.rs", WORLD),
            (
                "src/world/mod.rs",
                "pub struct World { pub sparks: Vec<Spark> }\npub struct Spark { pub x: f32, pub y: f32 }",
            ),
        ]);
        let fingerprint = |dir: &tempfile::TempDir| reach(dir.path(), "&World");
        assert_eq!(fingerprint(&before), fingerprint(&documented));
        assert_ne!(fingerprint(&before), fingerprint(&grown));
        assert_eq!(
            fingerprint(&before)[1],
            fingerprint(&grown)[1],
            "World's own text is the same"
        );
    }
}

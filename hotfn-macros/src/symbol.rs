//! Symbol names: a `#[hot]` function's own symbol is the same in every version of the crate and
//! unique in the program, and reads, once demangled, as the function's path (`game::Ball::tick`,
//! in backtraces and profilers): the legacy Rust mangling, `_ZN4game4Ball4tick17h…E`, with a
//! hash of its own over crate, version, file, type and name.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::context::Context;
use crate::hash::fnv1a;

/// A function's place, for its symbol: its name and, for a method, the type (as written in the
/// impl's header, with the trait for a trait impl) when the attribute sees it.
pub struct Place<'a> {
    /// `Grid<u8>` or `<Grid<u8> as Scene>`, for the hash; `None` for a free function, or a
    /// method whose impl block the attribute does not see.
    pub self_ty: Option<&'a str>,
    /// The type's last name (`Grid`), for the readable part.
    pub short_ty: Option<&'a str>,
    /// Whether it is a method (or associated function) at all.
    pub method: bool,
    pub name: &'a str,
}

/// The symbol of the function at `place`.
///
/// Functions of the same key in one file (same-named single methods of two impl blocks, or
/// functions in different inline modules) are numbered in the order the compiler expands them,
/// which is the same for every compile of the same source; the runtime also compares paths, so a
/// reordering edit is refused, never misbound.
pub fn export_name(context: &Context, place: &Place<'_>) -> String {
    export_name_with(context, place, &repeats)
}

fn export_name_with(context: &Context, place: &Place<'_>, repeats: &dyn Fn(&str) -> u32) -> String {
    let owner = match (place.method, place.self_ty) {
        (false, _) => String::new(),
        (true, Some(ty)) => format!("{ty}::"),
        (true, None) => "<impl>::".to_owned(),
    };
    let mut key = format!(
        "{}@{}/{}::{owner}{}",
        context.crate_name, context.version, context.file, place.name
    );
    let repeat = repeats(&key);
    if repeat > 0 {
        key.push_str(&format!("#{repeat}"));
    }
    let mut symbol = String::from("_ZN");
    let readable = [
        Some(context.crate_name.as_str()),
        place.short_ty,
        Some(place.name),
    ];
    for segment in readable.into_iter().flatten() {
        let segment = sanitize(segment);
        symbol.push_str(&format!("{}{segment}", segment.len()));
    }
    symbol.push_str(&format!("17h{:016x}E", fnv1a(key.as_bytes())));
    symbol
}

/// The symbol of a method's table of `Self`-dependent layouts, which its prologue's `asm!`
/// writes (see `hotfn_runtime`'s `SelfTable`).
pub fn self_table(symbol: &str) -> String {
    format!("__hotfn_v1_{:016x}_self", fnv1a(symbol.as_bytes()))
}

/// How many times `key` was seen before in this compilation (one compiler process expands one
/// crate).
fn repeats(key: &str) -> u32 {
    static SEEN: Mutex<BTreeMap<String, u32>> = Mutex::new(BTreeMap::new());
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let count = seen.entry(key.to_owned()).or_insert(0);
    *count += 1;
    *count - 1
}

/// A name as a mangled segment: ASCII letters, digits and `_` (raw identifiers lose `r#`).
fn sanitize(text: &str) -> String {
    let text = text.strip_prefix("r#").unwrap_or(text);
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(crate_name: &str, version: &str, file: &str) -> Context {
        Context {
            package: crate_name.to_owned(),
            bin: None,
            crate_name: crate_name.into(),
            version: version.into(),
            manifest_dir: "/w".into(),
            file: file.into(),
            features: Vec::new(),
            edition: 2021,
        }
    }

    fn free(name: &str) -> Place<'_> {
        Place {
            self_ty: None,
            short_ty: None,
            method: false,
            name,
        }
    }

    fn method<'a>(self_ty: Option<&'a str>, short: Option<&'a str>, name: &'a str) -> Place<'a> {
        Place {
            self_ty,
            short_ty: short,
            method: true,
            name,
        }
    }

    /// Names as the key alone makes them, without numbering repeated keys.
    fn first(context: &Context, place: &Place<'_>) -> String {
        export_name_with(context, place, &|_| 0)
    }

    #[test]
    fn names_demangle_to_the_path_and_are_stable() {
        let name = first(&context("game", "1.0.0", "src/rules.rs"), &free("tick"));
        assert_eq!(name, "_ZN4game4tick17h595ab39f752f3d8bE");
        let method = first(
            &context("game", "1.0.0", "src/rules.rs"),
            &method(Some("Ball"), Some("Ball"), "tick"),
        );
        assert!(method.starts_with("_ZN4game4Ball4tick17h"), "{method}");
        assert!(method.ends_with('E') && method.len() == "_ZN4game4Ball4tick17h".len() + 17);
    }

    #[test]
    fn names_differ_by_file_crate_version_type_and_name() {
        let at = context("game", "1.0.0", "src/a.rs");
        let base = first(&at, &free("tock"));
        for other in [
            first(&context("game", "1.0.0", "src/b.rs"), &free("tock")),
            first(&context("other", "1.0.0", "src/a.rs"), &free("tock")),
            first(&context("game", "1.0.1", "src/a.rs"), &free("tock")),
            first(&at, &free("tick_tock")),
            first(&at, &method(Some("Ball"), Some("Ball"), "tock")),
            first(&at, &method(None, None, "tock")),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(
            first(&at, &method(Some("Grid<u8>"), Some("Grid"), "step")),
            first(&at, &method(Some("Grid<u16>"), Some("Grid"), "step"))
        );
    }

    #[test]
    fn same_key_in_one_file_is_numbered() {
        let at = context("game", "1.0.0", "src/lib.rs");
        let first = export_name(&at, &free("update"));
        let second = export_name(&at, &free("update"));
        assert_ne!(first, second);
        assert!(second.starts_with("_ZN4game6update17h"));
    }

    #[test]
    fn raw_names_and_tables() {
        let at = context("game", "1.0.0", "src/lib.rs");
        assert!(first(&at, &free("r#match")).starts_with("_ZN4game5match17h"));
        let table = self_table("_ZN4game4tick17h595ab39f752f3d8bE");
        assert!(
            table.starts_with("__hotfn_v1_") && table.ends_with("_self"),
            "{table}"
        );
    }
}

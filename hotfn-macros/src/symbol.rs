//! Export symbol names: readable, valid in every linker's symbol list, and collision-free across
//! files, crates and crate versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Where a `#[hot]` function is defined, as far as its symbol name is concerned.
pub struct Site {
    pub crate_name: String,
    pub version: String,
    /// Source file relative to the package's manifest directory, with `/` separators.
    pub file: String,
}

impl Site {
    /// Reads the site from the environment cargo gives the compiler and the attribute's file.
    pub fn from_env(file: Option<PathBuf>) -> Site {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR"));
        Site {
            crate_name: var("CARGO_CRATE_NAME"),
            version: var("CARGO_PKG_VERSION"),
            file: file
                .map(|f| relative_to(&f, &manifest_dir))
                .unwrap_or_default(),
        }
    }
}

/// `file` relative to `base`; relative inputs are taken from the compiler's working directory.
fn relative_to(file: &Path, base: &Path) -> String {
    let absolute = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(file)
    };
    let relative = absolute.strip_prefix(base).unwrap_or(&absolute);
    relative.to_string_lossy().replace('\\', "/")
}

/// The export name of function `name` at `site`, e.g. `__hotfn_v1_game_score_5a1f09c3e2d4b786`.
///
/// The readable part names the crate and the function; the hash covers crate, version, file and
/// name, so two functions called `score` in different files or crates never share a symbol.
/// Functions of the same name in one file (in different inline modules) are numbered in the
/// order the compiler expands them, which is the same for every build of the same source; the
/// runtime also compares module paths, so a reordering edit is refused, never misbound.
pub fn export_name(site: &Site, name: &str) -> String {
    export_name_of(site, name, name, &repeats)
}

/// The export name of method `name` of the impl block for `self_ty` at `site`, e.g.
/// `__hotfn_v1_game_Board_score_0b6f...`. The hash covers the self type as written in the impl's
/// header (`self_ty`, e.g. `Grid<u8>`), so methods of the same name in impl blocks of different
/// types never share a symbol; the readable part names the type by `short_ty` (`Grid`).
pub fn method_export_name(site: &Site, self_ty: &str, short_ty: &str, name: &str) -> String {
    method_export_name_with(site, self_ty, short_ty, name, &repeats)
}

fn method_export_name_with(
    site: &Site,
    self_ty: &str,
    short_ty: &str,
    name: &str,
    repeats: &dyn Fn(&str) -> u32,
) -> String {
    export_name_of(
        site,
        &format!("{self_ty}::{name}"),
        &format!("{short_ty}_{name}"),
        repeats,
    )
}

/// The export name of the function known as `key_name` (hashed) and `readable` (spelt out);
/// `repeats` numbers keys seen before.
fn export_name_of(
    site: &Site,
    key_name: &str,
    readable: &str,
    repeats: &dyn Fn(&str) -> u32,
) -> String {
    let mut key = format!(
        "{}@{}/{}::{}",
        site.crate_name, site.version, site.file, key_name
    );
    let repeat = repeats(&key);
    if repeat > 0 {
        key.push_str(&format!("#{repeat}"));
    }
    format!(
        "__hotfn_v1_{}_{}_{:016x}",
        sanitize(&site.crate_name),
        sanitize(readable),
        fnv1a(key.as_bytes())
    )
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

fn sanitize(text: &str) -> String {
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

/// FNV-1a: stable across compiler versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(crate_name: &str, version: &str, file: &str) -> Site {
        Site {
            crate_name: crate_name.into(),
            version: version.into(),
            file: file.into(),
        }
    }

    #[test]
    fn names_are_readable_and_linker_safe() {
        let name = export_name(&site("my_game", "0.1.0", "src/lib.rs"), "score");
        assert!(name.starts_with("__hotfn_v1_my_game_score_"), "{name}");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{name}"
        );
        assert_eq!(name.len(), "__hotfn_v1_my_game_score_".len() + 16);
    }

    #[test]
    fn names_are_stable() {
        // Host and reloaded library must agree across separate compilations.
        let a = export_name(&site("game", "1.0.0", "src/rules.rs"), "tick");
        assert_eq!(a, "__hotfn_v1_game_tick_595ab39f752f3d8b");
    }

    #[test]
    fn method_names_are_stable_and_name_the_type() {
        let a = method_export_name(
            &site("game", "1.0.0", "src/rules.rs"),
            "Ball",
            "Ball",
            "tick",
        );
        assert_eq!(a, "__hotfn_v1_game_Ball_tick_ad159d4e30bbe49e");
    }

    /// Names as the key alone makes them, without numbering repeated keys (which would make
    /// any two names differ).
    fn first(site: &Site, name: &str) -> String {
        export_name_of(site, name, name, &|_| 0)
    }

    fn first_method(site: &Site, self_ty: &str, short_ty: &str, name: &str) -> String {
        method_export_name_with(site, self_ty, short_ty, name, &|_| 0)
    }

    #[test]
    fn methods_differ_by_type_and_from_free_functions() {
        let at = site("game", "1.0.0", "src/m.rs");
        let ball = first_method(&at, "Ball", "Ball", "step");
        assert_eq!(ball, first_method(&at, "Ball", "Ball", "step"));
        for other in [
            first_method(&at, "Paddle", "Paddle", "step"),
            first_method(&at, "Grid<u8>", "Grid", "step"),
            first_method(&at, "Grid<u16>", "Grid", "step"),
            first_method(&at, "Ball", "Ball", "stop"),
            first(&at, "step"),
            first(&at, "Ball_step"),
        ] {
            assert_ne!(ball, other);
        }
        assert_ne!(
            first_method(&at, "Grid<u8>", "Grid", "step"),
            first_method(&at, "Grid<u16>", "Grid", "step")
        );
    }

    #[test]
    fn same_name_in_one_file_is_numbered() {
        let first = export_name(&site("game", "1.0.0", "src/lib.rs"), "update");
        let second = export_name(&site("game", "1.0.0", "src/lib.rs"), "update");
        assert_ne!(first, second);
        assert!(second.starts_with("__hotfn_v1_game_update_"));
    }

    #[test]
    fn names_differ_by_file_crate_version_and_name() {
        let base = first(&site("game", "1.0.0", "src/a.rs"), "tock");
        assert_eq!(base, first(&site("game", "1.0.0", "src/a.rs"), "tock"));
        for other in [
            first(&site("game", "1.0.0", "src/b.rs"), "tock"),
            first(&site("other", "1.0.0", "src/a.rs"), "tock"),
            first(&site("game", "1.0.1", "src/a.rs"), "tock"),
            first(&site("game", "1.0.0", "src/a.rs"), "tick_tock"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn relative_paths_use_forward_slashes() {
        let base = Path::new("/work/game");
        assert_eq!(
            relative_to(Path::new("/work/game/src/x/y.rs"), base),
            "src/x/y.rs"
        );
        assert_eq!(
            relative_to(Path::new("/elsewhere/z.rs"), base),
            "/elsewhere/z.rs"
        );
    }
}

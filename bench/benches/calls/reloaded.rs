//! The `hot-reloaded` variant: a library built the way the runtime builds one after an edit,
//! installed as a new version with the runtime's test entry point.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HOT_PACKAGE;

/// Builds `hotfn-bench-hot` as the runtime would (`cargo rustc --lib --crate-type cdylib`, same
/// profile and features, `--cfg hotfn_reloaded`), and returns the library's path.
///
/// The build has a target directory of its own, `<target>/hotfn-bench`, so that it never waits
/// for, or touches the files of, a cargo working on the benchmark's own. (The runtime, started by
/// the first hot call, finds this executable in `<target>/release/deps` and would rebuild with
/// `--profile release` in `<target>` if a file of `bench/hot` changed; nothing here edits one.)
pub fn build(target: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("hot/Cargo.toml");
    let target_dir = target.join("hotfn-bench");
    eprintln!(
        "hotfn-bench: building the reloaded library of {HOT_PACKAGE} in {}",
        target_dir.display()
    );
    let status = Command::new(&cargo)
        .args(["rustc", "--lib", "--crate-type", "cdylib", "--release"])
        .args(["--features", "hot"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--", "--cfg", "hotfn_reloaded"])
        .status()
        .map_err(|error| format!("cannot run {}: {error}", cargo.to_string_lossy()))?;
    if !status.success() {
        return Err(format!("cargo rustc failed: {status}"));
    }
    let name = HOT_PACKAGE.replace('-', "_");
    let library = target_dir.join("release").join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    match library.is_file() {
        true => Ok(library),
        false => Err(format!("cargo built no {}", library.display())),
    }
}

/// Installs `library` as the next version of `hotfn-bench-hot`: from now on the program's slots
/// call into it.
pub fn install(library: &Path) -> Result<(), String> {
    hotfn_runtime::__private::reload_library(HOT_PACKAGE, library)?;
    match hotfn_bench_hot::origin() {
        "reloaded library" => Ok(()),
        other => Err(format!(
            "after the reload, calls still run the {other}'s code"
        )),
    }
}

//! hot-lib-reloader 0.8 on the same functions, set up as its README says: the library crate
//! (`hotfn-bench-direct`) is also built as a `dylib`, which hot-lib-reloader copies, loads and
//! watches; every call looks its function up in the loaded library.

use std::path::PathBuf;

/// Where cargo put the dylib: the profile directory this benchmark runs from
/// (`<target>/release`, the parent of `deps`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let deps = exe.parent().expect("the directory of the benchmark");
    deps.parent().unwrap_or(deps).to_path_buf()
}

#[hot_lib_reloader::hot_module(dylib = "hotfn_bench_direct", lib_dir = super::lib_dir())]
pub mod hot_lib {
    pub use hotfn_bench_direct::State;

    // The path is relative to the workspace root, where cargo runs the compiler.
    hot_functions_from_file!("bench/direct/src/lib.rs");
}

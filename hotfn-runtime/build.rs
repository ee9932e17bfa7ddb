//! Records the compiler version (a patch must come from the compiler that built the program:
//! another may lay out the same types differently), and sets `cfg(hotfn_reload)` where reloading
//! is built: the `hot` feature, on Linux x86_64 (elsewhere `#[hot]` functions stay plain).

use std::process::Command;

fn main() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "unknown rustc".into());
    println!("cargo:rustc-env=HOTFN_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");
    // Where the toolchain keeps rust-lld, which links patches.
    println!(
        "cargo:rustc-env=HOTFN_HOST_TRIPLE={}",
        std::env::var("HOST").unwrap_or_default()
    );
    println!("cargo::rustc-check-cfg=cfg(hotfn_reload)");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let hot = std::env::var_os("CARGO_FEATURE_HOT").is_some();
    if hot && var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ARCH") == "x86_64" {
        println!("cargo:rustc-cfg=hotfn_reload");
    } else if hot {
        println!(
            "cargo:warning=hotfn: hot reloading is built on Linux x86_64 only; on this target \
             #[hot] functions are plain functions"
        );
    }
}

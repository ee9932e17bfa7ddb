//! The `hot-reloaded` variant: the functions as the runtime reloads them after an edit (the
//! crate compiled again, its objects linked into a patch bound to this program), installed as a
//! new version with the runtime's test entry point.
//!
//! A patch binds to the program by symbol name, and every symbol name of the crate carries
//! `-C metadata`, which cargo derives from the crate's whole dependency graph, features
//! included. `cargo rustc --lib` of `hotfn-bench-hot` alone resolves features for that package
//! only, and criterion and the other dev-dependencies of this benchmark enable more features of
//! crates the runtime depends on (serde's `alloc`, for one): its symbols would all differ from
//! this program's. So the variant is compiled with the command cargo ran for the crate inside
//! this benchmark's own build: cargo builds the benchmark's graph with `HOTFN_BENCH_RELOADED`
//! set, which `functions.rs` reads (a changed variable makes cargo rebuild the crate, with the
//! same metadata) and prints that command with `-vv`; the benchmark runs it again with
//! `-C link-dead-code`, as the runtime does, into a directory of its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HOT_PACKAGE;

/// The crate the program's slots belong to (the package's name as the compiler spells it).
pub const CRATE: &str = "hotfn_bench_hot";

/// Read by `functions.rs`: set, its `origin()` says it is the reloaded code.
const VARIANT: &str = "HOTFN_BENCH_RELOADED";

/// Compiles the reloaded variant of `hotfn-bench-hot` in the benchmark's target directory and
/// returns its rlib, in `<target>/hotfn-bench/reloaded`.
///
/// Cargo runs `cargo rustc --bench calls --profile bench -vv -- --print=crate-name` (the
/// benchmark's own graph, profile and features, the trick the runtime uses: the benchmark itself
/// is not compiled again, so the running executable stays as it is), which rebuilds
/// `hotfn-bench-hot` with [`VARIANT`] set; the next `cargo bench` builds it back without.
pub fn build(target: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = bench.parent().ok_or("the bench package has no parent")?;
    eprintln!("hotfn-bench: building the reloaded variant of {HOT_PACKAGE}");
    let output = Command::new(&cargo)
        .args(["rustc", "--bench", "calls", "--profile", "bench", "-vv"])
        .args(["--color", "never", "--manifest-path"])
        .arg(bench.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .args(["--", "--print=crate-name"])
        .env(VARIANT, "1")
        .current_dir(workspace)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", cargo.to_string_lossy()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("cargo rustc failed ({}):\n{stderr}", output.status));
    }
    let compiler = stderr
        .lines()
        .filter_map(|line| {
            line.trim_start()
                .strip_prefix("Running `")?
                .strip_suffix('`')
        })
        .filter_map(Invocation::parse)
        .find(|compiler| flag(&compiler.args, "--crate-name") == Some(CRATE))
        .ok_or_else(|| format!("cargo did not compile {CRATE}; its output was:\n{stderr}"))?;

    let out = target.join("hotfn-bench").join("reloaded");
    std::fs::create_dir_all(&out).map_err(|error| format!("{}: {error}", out.display()))?;
    let extra = flag(&compiler.args, "-C extra-filename=").unwrap_or_default();
    let rlib = out.join(format!("lib{CRATE}{extra}.rlib"));
    let _ = std::fs::remove_file(&rlib);
    let output = Command::new(&compiler.program)
        .args(patch_args(&compiler.args, &out))
        .envs(compiler.env)
        // Cargo shows the variables it sets, not those it passes on.
        .env(VARIANT, "1")
        .current_dir(workspace)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", compiler.program))?;
    if !output.status.success() {
        return Err(format!(
            "the compiler failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    match rlib.is_file() {
        true => Ok(rlib),
        false => Err(format!("the compiler made no {}", rlib.display())),
    }
}

/// Installs the objects of `rlib` as the next version of `hotfn-bench-hot` (a new patch,
/// linked and loaded): from now on the program's slots call into it.
///
/// `origin` tells by its answer that its calls run the patch; every other function has the same
/// code in the program and in the patch, so its slot is asked: its target is no longer the
/// program's own code.
pub fn install(rlib: &Path) -> Result<(), String> {
    hotfn_runtime::__private::reload_from(CRATE, rlib)?;
    let origin = hotfn_bench_hot::origin();
    if origin != "patch" {
        return Err(format!(
            "after the reload, calls still run the {origin}'s code"
        ));
    }
    let unbound: Vec<&str> = hotfn_runtime::__private::SLOTS
        .iter()
        .filter(|slot| slot.info().unit.crate_name == CRATE)
        .filter(|slot| slot.target().get() == slot.code().0)
        .map(|slot| slot.info().path)
        .collect();
    match unbound[..] {
        [] => Ok(()),
        _ => Err(format!(
            "after the reload, calls of {} still run the program's code",
            unbound.join(", ")
        )),
    }
}

/// The compiler command as the runtime runs it for a patch: its output in `out`, and
/// `-C link-dead-code` (private statics get global names a patch can bind).
fn patch_args(args: &[String], out: &Path) -> Vec<String> {
    let mut patched = Vec::with_capacity(args.len() + 2);
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        patched.push(arg.clone());
        if arg == "--out-dir" {
            words.next();
            patched.push(out.to_string_lossy().into_owned());
        }
    }
    patched.extend(["-C".into(), "link-dead-code".into()]);
    patched
}

/// The value after `name` in `args` (`--crate-name x`); a name ending in `=` is a prefix of the
/// value's word (`-C extra-filename=` finds `-C extra-filename=-1234`).
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let (option, prefix) = name.split_once(' ').unwrap_or((name, ""));
    args.windows(2)
        .filter(|pair| pair[0] == option)
        .find_map(|pair| pair[1].strip_prefix(prefix))
}

/// A compiler command as cargo `-vv` shows it.
#[derive(Debug)]
struct Invocation {
    /// The variables cargo sets (not those it passes on).
    env: Vec<(String, String)>,
    program: String,
    args: Vec<String>,
}

impl Invocation {
    /// Reads `KEY=value … program arg …`.
    fn parse(line: &str) -> Option<Invocation> {
        let mut words = split(line)?.into_iter().peekable();
        let mut env = Vec::new();
        while let Some((key, value)) = words.peek().and_then(|word| assignment(word)) {
            env.push((key, value));
            words.next();
        }
        Some(Invocation {
            env,
            program: words.next()?,
            args: words.collect(),
        })
    }
}

fn assignment(word: &str) -> Option<(String, String)> {
    let (key, value) = word.split_once('=')?;
    let name = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    name.then(|| (key.to_owned(), value.to_owned()))
}

/// Splits a command line quoted the way cargo quotes one on Unix (POSIX shell: `'…'`, `"…"` and
/// `\`); `None` if a quote is left open.
fn split(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => w.push(chars.next()?),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// Checks the reading of cargo's command lines (run by `cargo test --benches`).
pub fn check_parsing() {
    let line = r#"CARGO_PKG_NAME=hotfn-bench-hot CARGO_PKG_DESCRIPTION='Benchmark subject: it'\''s "hot"' /r/rustc --crate-name hotfn_bench_hot --cfg 'feature="hot"' -C metadata=ab -C extra-filename=-8221 --out-dir /t/release/deps"#;
    let Invocation { env, program, args } = Invocation::parse(line).expect("a command");
    assert_eq!(env[0], ("CARGO_PKG_NAME".into(), "hotfn-bench-hot".into()));
    assert_eq!(env[1].1, r#"Benchmark subject: it's "hot""#);
    assert_eq!(program, "/r/rustc");
    assert_eq!(flag(&args, "--crate-name"), Some(CRATE));
    assert_eq!(flag(&args, "--cfg"), Some(r#"feature="hot""#));
    assert_eq!(flag(&args, "-C extra-filename="), Some("-8221"));
    let patched = patch_args(&args, Path::new("/o"));
    assert_eq!(flag(&patched, "--out-dir"), Some("/o"));
    assert!(patched.ends_with(&["-C".into(), "link-dead-code".into()]));
    assert_eq!(split("a 'b"), None);
}

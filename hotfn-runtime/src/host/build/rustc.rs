//! Compiling a crate for a patch: the compiler command cargo gave (`cargo rustc -vv`), run by the
//! runtime with the crate's objects kept and everything else as cargo has it.
//!
//! The same arguments (so the same `-C metadata`, hence the same symbol names as in the running
//! program), the same environment, and a private output and incremental directory, plus
//! `-C link-dead-code` (private statics then get global names, so a patch can bind them to the
//! program's). A library compiles to its rlib, whose members are the objects; a binary's link is
//! handed to a stand-in linker that keeps the objects. While only the crate's own Rust files
//! change, the command stays valid and cargo is not asked again.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use super::cargo::{PRINT, dep_info, spawn};
use super::{Compiled, Failed, messages};
use crate::host::discover::Unit;

/// The compiler command cargo gave for one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Where cargo runs it: relative paths in `args` are relative to it.
    dir: PathBuf,
    /// A binary's (`--crate-type bin`), not a library's.
    bin: bool,
    /// The local packages (path dependencies) it links, whose changes the runtime does not
    /// watch but cargo would build first.
    local_deps: Vec<PathBuf>,
    /// When the cargo run that gave it started: a file changed later is not in its inputs.
    since: SystemTime,
}

/// The private directories a crate compiles into.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub out: PathBuf,
    pub incremental: PathBuf,
    /// A binary's objects, kept by `linker`.
    pub objects: PathBuf,
    /// The stand-in linker for binaries (see [`KEEP_OBJECTS`]).
    pub linker: PathBuf,
}

/// The stand-in linker a binary's compile runs: it keeps the crate's objects (`*.rcgu.o`, named
/// on its command line or in a response file) in `$HOTFN_OBJECTS`, and links nothing.
pub const KEEP_OBJECTS: &str = r#"#!/bin/sh
# hotfn: keeps a crate's object files for a patch instead of linking them
keep() { case "$1" in *.rcgu.o) ln -f "$1" "$HOTFN_OBJECTS/" 2>/dev/null || cp "$1" "$HOTFN_OBJECTS/" ;; esac; }
for arg in "$@"; do
    case "$arg" in
        @*) while IFS= read -r line; do keep "$line"; done < "${arg#@}" ;;
        *) keep "$arg" ;;
    esac
done
"#;

impl Invocation {
    /// Finds, in cargo's `-vv` output, the command for `unit`:
    /// ``     Running `CARGO_CRATE_NAME=game … /path/rustc --crate-name game … --crate-type lib …` ``.
    /// `since` is when that cargo run started. `None` if the line cannot be read back exactly
    /// (cargo does not quote the program: a path with a space in it is not read back).
    pub fn find(cargo_stderr: &str, unit: &Unit, since: SystemTime) -> Option<Invocation> {
        let kind = if unit.bin.is_some() { "bin" } else { "lib" };
        let mut found = cargo_stderr.lines().find_map(|line| {
            let command = line.trim_start().strip_prefix("Running `")?;
            let invocation = Invocation::parse(command.strip_suffix('`')?, unit, since)?;
            let runs = |flag: &str, value: &str| {
                invocation
                    .args
                    .windows(2)
                    .any(|pair| pair[0] == flag && pair[1] == value)
            };
            (runs("--crate-name", &unit.crate_name) && runs("--crate-type", kind))
                .then_some(invocation)
        })?;
        found.local_deps = local_packages(cargo_stderr)
            .filter(|dir| *dir != unit.manifest_dir)
            .collect();
        Some(found)
    }

    /// Reads `KEY=value … program arg …`, quoted the way cargo quotes (POSIX shell).
    fn parse(command: &str, unit: &Unit, since: SystemTime) -> Option<Invocation> {
        let mut words = shlex::split(command)?.into_iter().peekable();
        let mut env = Vec::new();
        while let Some((key, value)) = words.peek().and_then(|word| assignment(word)) {
            env.push((key, value));
            words.next();
        }
        let program = PathBuf::from(words.next()?);
        if program.components().count() > 1 && !program.is_file() {
            return None;
        }
        let args: Vec<String> = words.filter(|arg| arg != PRINT).collect();
        let root = args
            .iter()
            .find(|arg| !arg.starts_with('-') && arg.ends_with(".rs"))?;
        let dir = unit
            .manifest_dir
            .ancestors()
            .find(|dir| dir.join(root).starts_with(&unit.manifest_dir) && dir.join(root).is_file())?
            .to_path_buf();
        let bin = args
            .windows(2)
            .any(|pair| pair[0] == "--crate-type" && pair[1] == "bin");
        Some(Invocation {
            program,
            args,
            env,
            dir,
            bin,
            local_deps: Vec::new(),
            since,
        })
    }

    /// The compiler.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Whether the crate has a build script (cargo sets `OUT_DIR`): its output may depend on
    /// any file, so cargo is asked before every compile.
    pub fn has_build_script(&self) -> bool {
        self.env.iter().any(|(key, _)| key == "OUT_DIR")
    }

    /// Whether a file of a local package it links changed since cargo gave the command: then
    /// cargo must build that package first. Looks at the files at the top of each package and
    /// everything under its `src` (where cargo's layout puts a crate's sources).
    pub fn dependency_changed(&self) -> bool {
        let newer = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= self.since)
        };
        self.local_deps.iter().any(|dir| {
            let top = std::fs::read_dir(dir).into_iter().flatten().flatten();
            let top_changed = top
                .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
                .any(|entry| newer(&entry.path()));
            top_changed || any_file(&dir.join("src"), &newer)
        })
    }

    /// The rlibs of the crates it links directly (`--extern name=…/libname-….rlib`, or the
    /// `.rmeta` beside one).
    pub fn externs(&self) -> Vec<PathBuf> {
        self.args
            .windows(2)
            .filter(|pair| pair[0] == "--extern")
            .filter_map(|pair| {
                let (_, path) = pair[1].split_once('=')?;
                let path = self.dir.join(path).with_extension("rlib");
                path.is_file().then_some(path)
            })
            .collect()
    }

    /// The directories cargo names for the crate's dependencies (`-L dependency=…`).
    pub fn library_dirs(&self) -> Vec<PathBuf> {
        self.args
            .windows(2)
            .filter(|pair| pair[0] == "-L")
            .filter_map(|pair| pair[1].strip_prefix("dependency="))
            .map(|dir| self.dir.join(dir))
            .collect()
    }

    /// The arguments of the compile for a patch.
    fn patch_args(&self, dirs: &Dirs, debug_info: bool, color: bool) -> Vec<String> {
        let mut args = Vec::with_capacity(self.args.len() + 8);
        let mut words = self.args.iter();
        while let Some(arg) = words.next() {
            match arg.as_str() {
                "--out-dir" => {
                    words.next();
                    args.push(arg.clone());
                    args.push(dirs.out.to_string_lossy().into_owned());
                }
                "-C" => match words.next() {
                    Some(value) if value.starts_with("incremental=") => {
                        args.push("-C".into());
                        args.push(format!("incremental={}", dirs.incremental.display()));
                    }
                    Some(value) if value.starts_with("debuginfo=") && !debug_info => {
                        args.push("-C".into());
                        args.push("debuginfo=0".into());
                    }
                    Some(value) => {
                        args.push("-C".into());
                        args.push(value.clone());
                    }
                    None => args.push(arg.clone()),
                },
                // A library's objects are the rlib's members; its metadata is not needed.
                emit if emit.starts_with("--emit=") && !self.bin => {
                    args.push("--emit=dep-info,link".into());
                }
                other => args.push(with_color(other, color)),
            }
        }
        args.extend(["-C".into(), "link-dead-code".into()]);
        if self.bin {
            args.extend(["-C".into(), format!("linker={}", dirs.linker.display())]);
        }
        args
    }

    /// Compiles the crate for a patch, and waits. `color`: rendered messages with colors.
    pub fn compile(&self, dirs: &Dirs, debug_info: bool, color: bool) -> Result<Compiled, Failed> {
        let started = Instant::now();
        if self.bin {
            let _ = std::fs::remove_dir_all(&dirs.objects);
            let _ = std::fs::create_dir_all(&dirs.objects);
        }
        let mut command = Command::new(&self.program);
        command
            .args(self.patch_args(dirs, debug_info, color))
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .env("HOTFN_OBJECTS", &dirs.objects)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let program = self.program.to_string_lossy();
        let mut child = spawn(&mut command, &program, started)?;
        let output = child
            .stderr
            .take()
            .map(|stderr| messages::read(BufReader::new(stderr), &self.dir))
            .unwrap_or_default();
        let status = child.wait();
        let target_dir = dirs.out.parent().unwrap_or(&dirs.out);
        if let Some(failure) = messages::failure(
            "the compiler",
            status,
            output.diagnostics.clone(),
            &output.text,
            target_dir,
        ) {
            return Err(messages::failed(failure, started.elapsed()));
        }
        let objects = if self.bin {
            dirs.objects.clone()
        } else {
            output.artifact.clone().ok_or_else(|| Failed {
                why: super::Why::Error,
                diagnostics: vec!["the compiler reported no rlib".into()],
                duration: started.elapsed(),
            })?
        };
        Ok(Compiled {
            objects,
            dependencies: Vec::new(),
            library_dirs: self.library_dirs(),
            deps: output
                .dep_info
                .as_ref()
                .and_then(|file| dep_info(file, &self.dir)),
            diagnostics: output.diagnostics,
            duration: started.elapsed(),
            direct_rustc: false,
        })
    }
}

/// The directories of the local packages cargo names in its status lines:
/// `       Fresh physics v0.1.0 (/w/physics)`, `   Compiling game v0.1.0 (/w/game)`.
/// Packages from a registry have no directory there, and from git a URL.
fn local_packages(cargo_stderr: &str) -> impl Iterator<Item = PathBuf> + '_ {
    cargo_stderr
        .lines()
        .filter(|line| messages::is_status(line))
        .filter_map(|line| {
            let (_, rest) = line.split_once(" (")?;
            let (dir, _) = rest.split_once(')')?;
            let dir = Path::new(dir);
            (dir.is_absolute() && dir.is_dir()).then(|| dir.to_path_buf())
        })
}

/// Whether `dir` or a directory in it (hidden ones aside) holds a file for which `test` holds.
fn any_file(dir: &Path, test: &impl Fn(&Path) -> bool) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        match entry.file_type() {
            Ok(t) if t.is_dir() => !hidden && any_file(&path, test),
            Ok(_) => test(&path),
            Err(_) => false,
        }
    })
}

/// `KEY=value` as cargo writes an environment variable before the program.
fn assignment(word: &str) -> Option<(String, String)> {
    let (key, value) = word.split_once('=')?;
    let name = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    name.then(|| (key.to_owned(), value.to_owned()))
}

/// `arg`, with rendered messages asked for with or without colors (cargo always asks for them
/// with colors, and takes them out itself when it was asked for none).
fn with_color(arg: &str, color: bool) -> String {
    const ANSI: &str = "diagnostic-rendered-ansi";
    let Some(kinds) = arg.strip_prefix("--json=") else {
        return arg.to_owned();
    };
    let mut kinds: Vec<&str> = kinds.split(',').filter(|kind| *kind != ANSI).collect();
    if color {
        kinds.push(ANSI);
    }
    format!("--json={}", kinds.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn unit(manifest_dir: &Path, bin: Option<&str>) -> Unit {
        Unit {
            package: "game".into(),
            crate_name: "game".into(),
            manifest_dir: manifest_dir.to_path_buf(),
            bin: bin.map(str::to_owned),
            features: vec!["hot".into()],
            features_known: true,
            functions: 1,
            with_program: false,
        }
    }

    /// A workspace `ws` with the package in `ws/game`, as cargo runs it: from `ws`, with the
    /// crate root relative to it.
    fn workspace() -> (tempfile::TempDir, Unit) {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join("game/src")).unwrap();
        std::fs::write(ws.path().join("game/src/lib.rs"), "").unwrap();
        let unit = unit(&ws.path().join("game"), None);
        (ws, unit)
    }

    const RUSTC: &str = "rustc --crate-name game --edition=2024 game/src/lib.rs \
        --error-format=json --json=diagnostic-rendered-ansi,artifacts,future-incompat \
        --crate-type lib --emit=dep-info,metadata,link -C embed-bitcode=no -C debuginfo=2 \
        --cfg 'feature=\"hot\"' -C metadata=c3d6 -C extra-filename=-8f2a --out-dir /t/debug/deps \
        -C incremental=/t/debug/incremental -L dependency=/t/debug/deps \
        --extern reg=/t/debug/deps/libreg-1.rmeta --print=crate-name";

    #[test]
    fn finds_the_command_for_the_crate_and_reads_it_back() {
        let (ws, unit) = workspace();
        let stderr = format!(
            "       Fresh libc v0.2.191\n   Compiling game v0.1.0 ({})\n     Running `\
             CARGO_CRATE_NAME=game CARGO_PKG_AUTHORS='' CARGO_PKG_DESCRIPTION='it'\\''s' {RUSTC}`\n\
             game\n\x20   Finished `dev` profile in 0.20s\n",
            unit.manifest_dir.display()
        );
        let found = Invocation::find(&stderr, &unit, SystemTime::now()).unwrap();
        assert_eq!(found.program, PathBuf::from("rustc"));
        assert_eq!(
            found.env,
            [
                ("CARGO_CRATE_NAME".into(), "game".into()),
                ("CARGO_PKG_AUTHORS".into(), String::new()),
                ("CARGO_PKG_DESCRIPTION".into(), "it's".into()),
            ]
        );
        assert_eq!(found.args[0..3], ["--crate-name", "game", "--edition=2024"]);
        assert!(
            !found.args.iter().any(|a| a == PRINT),
            "cargo's print is not run again"
        );
        assert_eq!(found.dir, ws.path());
        assert!(!found.has_build_script());
    }

    #[test]
    fn the_patch_compile_keeps_symbols_and_moves_outputs_aside() {
        let (_ws, unit) = workspace();
        let stderr = format!("     Running `{RUSTC}`");
        let found = Invocation::find(&stderr, &unit, SystemTime::now()).unwrap();
        let dirs = Dirs {
            out: "/p/out".into(),
            incremental: "/p/inc".into(),
            objects: "/p/objects".into(),
            linker: "/p/keep-objects".into(),
        };
        let args = found.patch_args(&dirs, false, false).join(" ");
        for kept in [
            "-C metadata=c3d6",
            "-C extra-filename=-8f2a",
            "--crate-type lib",
        ] {
            assert!(args.contains(kept), "{kept}: {args}");
        }
        for changed in [
            "--out-dir /p/out",
            "-C incremental=/p/inc",
            "--emit=dep-info,link",
            "-C debuginfo=0",
            "--json=artifacts,future-incompat",
        ] {
            assert!(args.contains(changed), "{changed}: {args}");
        }
        assert!(args.ends_with("-C link-dead-code"), "{args}");
        assert!(!args.contains("linker="), "a library is not linked: {args}");
        let bin = stderr.replace("--crate-type lib", "--crate-type bin");
        let binary = super::tests::unit(&unit.manifest_dir, Some("game"));
        let found = Invocation::find(&bin, &binary, SystemTime::now()).unwrap();
        let args = found.patch_args(&dirs, true, false).join(" ");
        assert!(args.contains("--emit=dep-info,metadata,link -C embed-bitcode=no -C debuginfo=2"));
        assert!(
            args.ends_with("-C link-dead-code -C linker=/p/keep-objects"),
            "{args}"
        );
    }

    #[test]
    fn a_fresh_crate_or_another_crate_give_no_command() {
        let (_ws, unit) = workspace();
        let find = |stderr: &str| Invocation::find(stderr, &unit, SystemTime::now());
        let running = |command: String| format!("     Running `{command}`");
        for (case, stderr) in [
            ("fresh", "       Fresh game v0.1.0\n".to_owned()),
            (
                "another crate",
                running(RUSTC.replace("--crate-name game", "--crate-name gamex")),
            ),
            (
                "the binary",
                running(RUSTC.replace("--crate-type lib", "--crate-type bin")),
            ),
            (
                "no such program",
                running(RUSTC.replace("rustc", "/no/such/rustc")),
            ),
        ] {
            assert_eq!(find(&stderr), None, "{case}");
        }
        let script = running(format!("OUT_DIR=/t/out {RUSTC}"));
        assert!(find(&script).unwrap().has_build_script());
    }

    #[test]
    fn a_change_in_a_local_package_it_links_means_cargo_builds_first() {
        let (ws, unit) = workspace();
        let physics = ws.path().join("physics");
        std::fs::create_dir_all(physics.join("src/world")).unwrap();
        std::fs::create_dir_all(physics.join("assets")).unwrap();
        for file in ["Cargo.toml", "src/world/mod.rs", "assets/level.ron"] {
            std::fs::write(physics.join(file), "").unwrap();
        }
        let stderr = format!(
            "       Fresh libc v0.2.191\n       Fresh serde v1.0 (registry+https://x)\n       \
             Fresh physics v0.1.0 ({})\n   Compiling game v0.1.0 ({})\n     Running `{RUSTC}`\n",
            physics.display(),
            unit.manifest_dir.display()
        );
        let since = SystemTime::now() + std::time::Duration::from_secs(60);
        let found = Invocation::find(&stderr, &unit, since).unwrap();
        assert_eq!(
            found.local_deps,
            [physics.as_path()],
            "not the package itself"
        );
        assert!(!found.dependency_changed());
        let touch = |file: &str| {
            let file = std::fs::File::options()
                .write(true)
                .open(physics.join(file));
            let later = since + std::time::Duration::from_secs(1);
            file.unwrap().set_modified(later).unwrap();
        };
        touch("assets/level.ron");
        assert!(!found.dependency_changed(), "not a crate's source");
        touch("src/world/mod.rs");
        assert!(found.dependency_changed());
    }

    #[test]
    fn colors_are_asked_for_as_the_runtime_shows_messages() {
        let json = "--json=diagnostic-rendered-ansi,artifacts,future-incompat";
        assert_eq!(with_color(json, false), "--json=artifacts,future-incompat");
        assert_eq!(
            with_color("--json=artifacts", true),
            "--json=artifacts,diagnostic-rendered-ansi"
        );
        assert_eq!(with_color("--crate-type", false), "--crate-type");
    }
}

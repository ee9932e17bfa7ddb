//! Asking cargo: how the program was built (read off its own path in the target directory), and
//! the exact compiler command cargo runs for a crate of it, with everything that crate depends
//! on built first. Cargo runs that command with `--print=crate-name` added, so the compiler
//! prints a name and compiles nothing: the runtime then compiles the crate itself (see `rustc`).

use std::ffi::OsString;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use super::messages;
use super::rustc::Invocation;
use super::{Failed, Why};
use crate::host::discover::Unit;

/// How the program was built, read off its own path inside cargo's target directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBuild {
    pub cargo: OsString,
    pub target_dir: PathBuf,
    /// Cargo profile name (`dev` for the `debug` directory).
    pub profile: String,
    /// `--target` triple, when the program was cross-built into `target/<triple>/<profile>`.
    pub triple: Option<String>,
    /// The package whose binary the program is, when `cargo run` started it.
    pub root: Option<Root>,
}

/// The package and binary `cargo run` ran, from what cargo tells the program it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub package: String,
    pub manifest: PathBuf,
    pub bin: String,
    /// Whether the package has a `hot` feature (the one the program was run with, presumably).
    pub hot_feature: bool,
}

/// Set for cargo when it builds a crate as part of the program: every `#[hot]` function's
/// expansion reads it (`option_env!`), so the compiler lists it among what the crate depends on
/// and cargo compiles the crate again, printing the command, whenever its value is new.
pub const CAPTURE: &str = "HOTFN_CAPTURE";

/// How a build shares the CPU with the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// An edit waits for it.
    Normal,
    /// Nobody waits for it (the first build, before any edit): the program comes first.
    Low,
}

/// Added to cargo's command, so that the compiler prints and builds nothing.
pub const PRINT: &str = "--print=crate-name";

impl HostBuild {
    /// Detects the build of the running executable.
    pub fn detect() -> Result<HostBuild, String> {
        let exe = std::env::current_exe()
            .and_then(|exe| exe.canonicalize())
            .map_err(|error| format!("cannot find the running executable: {error}"))?;
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        locate(
            &exe,
            |dir| dir.join("CACHEDIR.TAG").is_file(),
            |dir| dir.join(".fingerprint").is_dir(),
        )
        .map(|(target_dir, profile, triple)| {
            let mut host = HostBuild {
                cargo,
                target_dir,
                profile,
                triple,
                root: None,
            };
            let manifest = std::env::var_os("CARGO_MANIFEST_PATH").map(PathBuf::from);
            let package = std::env::var("CARGO_PKG_NAME").ok();
            // Only a binary `cargo run` put in the profile's directory (not a test, an example).
            let bin = exe
                .parent()
                .filter(|dir| *dir == host.out_dir())
                .and_then(|_| exe.file_stem())
                .map(|name| name.to_string_lossy().into_owned());
            if let (Some(manifest), Some(package), Some(bin)) = (manifest, package, bin) {
                let hot_feature = std::fs::read_to_string(&manifest)
                    .is_ok_and(|text| declares_hot_feature(&text));
                host.root = Some(Root {
                    package,
                    manifest,
                    bin,
                    hot_feature,
                });
            }
            host
        })
        .ok_or_else(|| {
            format!(
                "{} is not inside a cargo target directory; start the program with \
                 `cargo run --features hot` to enable reloading",
                exe.display()
            )
        })
    }

    /// Where the profile's artifacts go: `target/debug`, `target/<triple>/release`…
    pub fn out_dir(&self) -> PathBuf {
        let dir = match self.profile.as_str() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        };
        match &self.triple {
            Some(triple) => self.target_dir.join(triple).join(dir),
            None => self.target_dir.join(dir),
        }
    }

    /// The dep-info file of the program's build of `unit` (cargo copies it beside the artifact).
    pub fn dep_info(&self, unit: &Unit) -> PathBuf {
        match &unit.bin {
            Some(bin) => self.out_dir().join(format!("{bin}.d")),
            None => self.out_dir().join(format!("lib{}.d", unit.crate_name)),
        }
    }

    /// `cargo rustc` for `unit`, as the program was built, printing the compiler command.
    ///
    /// Cargo resolves features for the packages a command names, so a crate built alone may get
    /// other features of its dependencies than in the program's build, and with them other
    /// hashes in every symbol. For such a crate (`unit.with_program`) this asks for the
    /// program's binary instead, with the crate's features, and [`CAPTURE`] set, so that cargo
    /// compiles the crate exactly as for the program, printing the command; the binary itself
    /// is not compiled.
    pub fn command(&self, unit: &Unit, color: bool) -> Command {
        let mut command = Command::new(&self.cargo);
        let root = self.root.as_ref().filter(|_| unit.with_program);
        match root {
            Some(root) => {
                let dir = root.manifest.parent().unwrap_or(&unit.manifest_dir);
                let stamp = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                command
                    .current_dir(dir)
                    .env(CAPTURE, stamp.to_string())
                    .args(["rustc", "--bin", &root.bin, "-vv", "--manifest-path"])
                    .arg(&root.manifest);
            }
            None => {
                command.current_dir(&unit.manifest_dir).arg("rustc");
                match &unit.bin {
                    Some(bin) => command.args(["--bin", bin]),
                    None => command.arg("--lib"),
                };
                // `-vv` prints the compiler command with its environment.
                command
                    .arg("-vv")
                    .arg("--manifest-path")
                    .arg(unit.manifest_dir.join("Cargo.toml"));
            }
        }
        command
            .args(["--profile", &self.profile])
            .arg("--target-dir")
            .arg(&self.target_dir)
            .args(if color {
                [
                    "--message-format",
                    "json-diagnostic-rendered-ansi",
                    "--color",
                    "always",
                ]
            } else {
                ["--message-format", "json", "--color", "never"]
            });
        if let Some(triple) = &self.triple {
            command.args(["--target", triple]);
        }
        if let Some(root) = root {
            // The binary's own features are not known: its `hot` (which the program was run
            // with, if it has one) and the crate's own, by the crate's package.
            let mut features: Vec<String> = root
                .hot_feature
                .then(|| "hot".to_owned())
                .into_iter()
                .collect();
            let own = if unit.features_known {
                unit.features.clone()
            } else {
                vec!["hot".to_owned()]
            };
            features.extend(own.iter().map(|f| format!("{}/{f}", unit.package)));
            command.args(["--features", &features.join(",")]);
        } else if unit.features_known {
            command.arg("--no-default-features");
            if !unit.features.is_empty() {
                command.args(["--features", &unit.features.join(",")]);
            }
        } else {
            command.args(["--features", "hot"]);
        }
        command
            .args(["--", PRINT])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// Asks cargo for `unit`'s compiler command, building first what it depends on. Cargo's
/// messages (a dependency that does not compile, a manifest it cannot read) make the failure.
pub fn capture(
    host: &HostBuild,
    unit: &Unit,
    color: bool,
    priority: Priority,
) -> Result<Invocation, Failed> {
    let started = Instant::now();
    let began = SystemTime::now();
    let mut command = host.command(unit, color);
    if priority == Priority::Low {
        lower_priority(&mut command);
    }
    let mut child = spawn(&mut command, &host.cargo.to_string_lossy(), started)?;
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    });
    let output = child
        .stdout
        .take()
        .map(|stdout| messages::read(BufReader::new(stdout), &unit.manifest_dir))
        .unwrap_or_default();
    let status = child.wait();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if let Some(failure) = messages::failure(
        "cargo",
        status,
        output.diagnostics,
        &stderr,
        &host.target_dir,
    ) {
        return Err(messages::failed(failure, started.elapsed()));
    }
    Invocation::find(&stderr, unit, began).ok_or_else(|| Failed {
        why: Why::Error,
        diagnostics: vec![format!(
            "cargo did not show the compiler command for {} (the runtime reads it from `cargo \
             rustc -vv`); its output was:\n{}",
            unit.label(),
            messages::without_status(&stderr)
        )],
        duration: started.elapsed(),
    })
}

/// Whether a manifest's `[features]` table declares `hot`.
fn declares_hot_feature(manifest: &str) -> bool {
    let mut in_features = false;
    manifest.lines().map(str::trim).any(|line| {
        if line.starts_with('[') {
            in_features = line == "[features]";
            return false;
        }
        let key = line.split('=').next().unwrap_or_default().trim();
        in_features && (key == "hot" || key == "\"hot\"")
    })
}

/// Makes `command` run at niceness 10 (and the compilers it starts).
fn lower_priority(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // calls are allowed; it makes one system call (setpriority, which glibc and musl implement
    // as the bare syscall) and touches no memory.
    unsafe {
        command.pre_exec(|| {
            // Failing to lower it only costs the program some CPU: not a reason to fail.
            libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            Ok(())
        });
    }
}

/// Starts `command` (whose program is `program`), or says why it cannot.
pub fn spawn(
    command: &mut Command,
    program: &str,
    started: Instant,
) -> Result<std::process::Child, Failed> {
    command.spawn().map_err(|error| Failed {
        why: Why::NoCargo,
        diagnostics: vec![format!("cannot run `{program}`: {error}")],
        duration: started.elapsed(),
    })
}

/// The files a build read, from a dep-info file (`artifact: /abs/src/lib.rs /abs/src/world.rs
/// …`, spaces in paths escaped with `\`); relative paths are taken from `base`. `None` if there
/// is no such file.
pub fn dep_info(path: &Path, base: &Path) -> Option<Vec<PathBuf>> {
    let text = std::fs::read_to_string(path).ok()?;
    let rule = text.lines().find(|line| line.contains(": "))?;
    let (_, deps) = rule.split_once(": ")?;
    let mut files = Vec::new();
    let mut current = String::new();
    let mut chars = deps.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => {
                files.extend((!current.is_empty()).then(|| base.join(std::mem::take(&mut current))))
            }
            c => current.push(c),
        }
    }
    files.extend((!current.is_empty()).then(|| base.join(current)));
    Some(files)
}

/// Finds `(target dir, profile, triple)` from an executable's path. `is_target_dir` recognises the
/// target directory and `is_profile_dir` a profile directory inside it.
fn locate(
    exe: &Path,
    is_target_dir: impl Fn(&Path) -> bool,
    is_profile_dir: impl Fn(&Path) -> bool,
) -> Option<(PathBuf, String, Option<String>)> {
    let target_dir = exe.ancestors().skip(1).find(|dir| is_target_dir(dir))?;
    let mut parts = exe.strip_prefix(target_dir).ok()?.components();
    let first = parts.next()?.as_os_str().to_str()?.to_owned();
    let (dir, triple) = if is_profile_dir(&target_dir.join(&first)) {
        (first, None)
    } else {
        (parts.next()?.as_os_str().to_str()?.to_owned(), Some(first))
    };
    let profile = match dir.as_str() {
        "debug" => "dev".to_owned(),
        _ => dir,
    };
    Some((target_dir.to_path_buf(), profile, triple))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_lists_the_files_a_build_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libgame.d");
        std::fs::write(
            &path,
            "/t/debug/libgame.rlib: /w/src/lib.rs /w/my\\ assets/a.txt /w/src/world.rs\n\n\
             /w/src/lib.rs:\n",
        )
        .unwrap();
        let files = dep_info(&path, Path::new("/")).unwrap();
        let expected: Vec<PathBuf> = ["/w/src/lib.rs", "/w/my assets/a.txt", "/w/src/world.rs"]
            .into_iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(files, expected);
        assert_eq!(
            dep_info(&dir.path().join("missing.d"), Path::new("/")),
            None
        );
    }

    #[test]
    fn locates_target_dir_profile_and_triple() {
        let target = |d: &Path| d == Path::new("/w/target");
        let profiles =
            |d: &Path| d.ends_with("debug") || d.ends_with("release") || d.ends_with("fast");
        let found = |exe: &str| locate(Path::new(exe), target, profiles);
        assert_eq!(
            found("/w/target/debug/game"),
            Some(("/w/target".into(), "dev".into(), None))
        );
        assert_eq!(
            found("/w/target/release/examples/demo"),
            Some(("/w/target".into(), "release".into(), None))
        );
        assert_eq!(
            found("/w/target/fast/deps/game-0123abcd"),
            Some(("/w/target".into(), "fast".into(), None))
        );
        assert_eq!(
            found("/w/target/x86_64-unknown-linux-gnu/debug/game"),
            Some((
                "/w/target".into(),
                "dev".into(),
                Some("x86_64-unknown-linux-gnu".into())
            ))
        );
        assert_eq!(found("/usr/bin/game"), None);
    }

    fn unit(bin: Option<&str>) -> Unit {
        Unit {
            package: "game".into(),
            crate_name: "game".into(),
            manifest_dir: "/w/game".into(),
            bin: bin.map(str::to_owned),
            features: vec!["hot".into(), "fast".into()],
            features_known: true,
            functions: 2,
            with_program: false,
        }
    }

    #[test]
    fn the_command_asks_for_the_crate_as_the_program_was_built() {
        let host = HostBuild {
            cargo: "cargo".into(),
            target_dir: "/w/target".into(),
            profile: "dev".into(),
            triple: None,
            root: None,
        };
        let args = |unit: &Unit| {
            let command = host.command(unit, false);
            assert_eq!(command.get_current_dir(), Some(Path::new("/w/game")));
            let args: Vec<_> = command
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            args.join(" ")
        };
        let lib = args(&unit(None));
        assert!(lib.starts_with("rustc --lib -vv"), "{lib}");
        assert!(lib.contains("--manifest-path /w/game/Cargo.toml"), "{lib}");
        assert!(
            lib.contains("--profile dev --target-dir /w/target"),
            "{lib}"
        );
        assert!(
            lib.contains("--no-default-features --features hot,fast"),
            "{lib}"
        );
        assert!(lib.ends_with("-- --print=crate-name"), "{lib}");
        assert!(args(&unit(Some("tool"))).starts_with("rustc --bin tool -vv"));
        assert_eq!(
            host.dep_info(&unit(Some("tool"))),
            Path::new("/w/target/debug/tool.d")
        );
    }
}

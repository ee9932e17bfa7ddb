//! Building: running `cargo rustc --lib --crate-type cdylib` the way the host was built, and
//! reading the library's path and the diagnostics from cargo's JSON messages.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cargo_metadata::Message;

use crate::registry::Package;
use crate::replay::Replay;

/// How the host program was built, read off its own path inside cargo's target directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBuild {
    pub cargo: OsString,
    pub target_dir: PathBuf,
    /// Cargo profile name (`dev` for the `debug` directory).
    pub profile: String,
    /// `--target` triple, when the host was cross-built into `target/<triple>/<profile>`.
    pub triple: Option<String>,
}

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
        .map(|(target_dir, profile, triple)| HostBuild {
            cargo,
            target_dir,
            profile,
            triple,
        })
        .ok_or_else(|| {
            format!(
                "{} is not inside a cargo target directory; start the program with \
                 `cargo run --features hot` to enable reloading",
                exe.display()
            )
        })
    }

    /// The command that builds `package` as a loadable library, like the host.
    pub fn command(&self, package: &Package, color: bool) -> Command {
        let mut command = Command::new(&self.cargo);
        command
            .current_dir(&package.manifest_dir)
            // `-vv` prints the compiler command with its environment, for `Replay`.
            .args(["rustc", "--lib", "--crate-type", "cdylib", "-vv"])
            .arg("--manifest-path")
            .arg(package.manifest_dir.join("Cargo.toml"))
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
        if package.features_known {
            command.arg("--no-default-features");
            if !package.features.is_empty() {
                command.args(["--features", &package.features.join(",")]);
            }
        } else {
            command.args(["--features", "hot"]);
        }
        // Tells the expansion it is building a reloaded library; see `hotfn_macros::expand`.
        command.args(["--", "--cfg", "hotfn_reloaded"]);
        // Linking the debug info of std and every dependency into each library is most of a
        // small crate's link time (and 19 of a debug library's 20 MB); see `Config::debug_info`.
        if !crate::events::debug_info() {
            command.args(["-C", "strip=debuginfo"]);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

impl HostBuild {
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
}

/// The files a build read, from the dep-info file cargo writes beside an artifact
/// (`target/debug/libgame.d`: `artifact: /abs/src/lib.rs /abs/src/world.rs …`, spaces in paths
/// escaped with `\`), or the compiler's own (paths relative to where it ran, `base`). `None` if
/// there is no such file.
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

/// A successful build.
#[derive(Debug)]
pub struct Built {
    /// The library as cargo left it (to be copied before loading, never loaded in place).
    pub library: PathBuf,
    pub duration: Duration,
    /// Warnings, rendered.
    pub diagnostics: Vec<String>,
    /// The files the build read, if known.
    pub deps: Option<Vec<PathBuf>>,
    /// The compiler command cargo ran, to run again without cargo (see `Replay`).
    pub replay: Option<Replay>,
    /// Whether this was such a replay.
    pub direct_rustc: bool,
}

/// A failed build: what cargo and the compiler said.
#[derive(Debug)]
pub struct Failed {
    pub why: Why,
    pub diagnostics: Vec<String>,
    pub duration: Duration,
}

/// Why a build failed, which decides what the user is told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The code does not compile (or cargo refused the project): fix it and save again.
    Error,
    /// Cargo could not be started at all.
    NoCargo,
    /// Cargo could not use the target directory (permissions, a full disk, a file in the way):
    /// nothing is wrong with the code.
    TargetDir(PathBuf),
    /// Cargo or the compiler was killed (by the user, or the system running out of memory):
    /// nothing is wrong with the code; save again to retry.
    Killed(String),
}

/// How a build shares the CPU with the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// An edit waits for it.
    Normal,
    /// Nobody waits for it (the first build, before any edit): the program comes first.
    Low,
}

/// Runs the build of `package` and waits for it.
pub fn build(
    host: &HostBuild,
    package: &Package,
    color: bool,
    priority: Priority,
) -> Result<Built, Failed> {
    let started = Instant::now();
    let began = std::time::SystemTime::now();
    let mut command = host.command(package, color);
    #[cfg(unix)]
    if priority == Priority::Low {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs in the child between fork and exec, where only
        // async-signal-safe calls are allowed; it makes one system call (setpriority, which
        // glibc and musl implement as the bare syscall) and touches no memory.
        unsafe {
            command.pre_exec(|| {
                // Niceness 10, inherited by the compilers cargo starts. Failing to lower it
                // only costs the program some CPU: not a reason to fail the build.
                libc::setpriority(libc::PRIO_PROCESS, 0, 10);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = priority;
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
        .map(|stdout| read_messages(BufReader::new(stdout), package))
        .unwrap_or_default();
    let status = child.wait();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let deps = output
        .library
        .as_ref()
        .and_then(|library| dep_info(&library.with_extension("d"), Path::new("/")));
    let replay = Replay::find(&stderr, package, crate::events::debug_info(), began);
    let built = conclude("cargo", started, status, output, &stderr, &host.target_dir);
    built.map(|built| Built {
        deps,
        replay,
        ..built
    })
}

/// Starts `command` (whose program is `program`), or says why it cannot.
pub fn spawn(command: &mut Command, program: &str, started: Instant) -> Result<Child, Failed> {
    command.spawn().map_err(|error| Failed {
        why: Why::NoCargo,
        diagnostics: vec![format!("cannot run `{program}`: {error}")],
        duration: started.elapsed(),
    })
}

/// The outcome of a build by `program` (`cargo`, or `the compiler` run directly) that ended with
/// `status`, from what it printed: the messages read (`output`) and any other text on stderr
/// (shown without cargo's status lines).
pub fn conclude(
    program: &str,
    started: Instant,
    status: std::io::Result<ExitStatus>,
    output: Output,
    stderr: &str,
    target_dir: &Path,
) -> Result<Built, Failed> {
    let Output {
        library,
        mut diagnostics,
        ..
    } = output;
    let succeeded = status.as_ref().is_ok_and(|s| s.success());
    match library {
        Some(library) if succeeded => Ok(Built {
            library,
            duration: started.elapsed(),
            diagnostics,
            deps: None,
            replay: None,
            direct_rustc: false,
        }),
        _ => {
            let why = match killed(program, status.as_ref().ok(), stderr) {
                Some(how) => Why::Killed(how),
                // No compiler message, and cargo's error names the target directory.
                None if diagnostics.is_empty() && names(stderr, target_dir) => {
                    Why::TargetDir(target_dir.to_path_buf())
                }
                None => Why::Error,
            };
            let stderr = without_status(stderr);
            if !stderr.is_empty() && !matches!(why, Why::Killed(_)) {
                diagnostics.push(stderr);
            }
            if diagnostics.is_empty() && why == Why::Error {
                diagnostics.push(match status {
                    Ok(status) => format!("exited with {status} and produced no library"),
                    Err(error) => format!("waiting for the build failed: {error}"),
                });
            }
            Err(Failed {
                why,
                diagnostics,
                duration: started.elapsed(),
            })
        }
    }
}

/// Cargo's stderr without its status lines (`       Fresh libc v0.2`, `     Running …`), without
/// its echo of what build scripts print as they run (`[openssl-sys 0.9.1] …`: a failed script's
/// output is repeated in the error), and without the command it quotes when a process fails
/// (`Caused by: process didn't exit successfully: `…``): what is left are errors and warnings.
fn without_status(stderr: &str) -> String {
    let echo = |line: &str| {
        let Some((package, _)) = line.strip_prefix('[').and_then(|l| l.split_once("] ")) else {
            return false;
        };
        let version = package.split_once(' ').map(|(_, version)| version);
        version.is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    };
    let mut kept: Vec<&str> = Vec::new();
    for line in stderr
        .lines()
        .filter(|line| !is_status(line) && !echo(line))
    {
        if line.starts_with("  process didn't exit successfully: `") {
            while kept
                .last()
                .is_some_and(|l| l.trim().is_empty() || *l == "Caused by:")
            {
                kept.pop();
            }
            continue;
        }
        kept.push(line);
    }
    kept.join("\n").trim().to_owned()
}

/// Whether `line` is one of cargo's status lines: a capitalised word right-aligned in 12 columns,
/// then a space (`       Fresh libc v0.2`, `   Compiling game v0.1.0 (/w/game)`).
pub fn is_status(line: &str) -> bool {
    let (Some(head), Some(rest)) = (line.get(..12), line.get(12..)) else {
        return false;
    };
    let word = head.trim_start();
    rest.starts_with(' ')
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_alphabetic())
}

/// Whether cargo's error, the first `error` line of `stderr`, is about a path in `dir`. Only
/// that line: a failed build script, for one, names its program in `dir` further down.
fn names(stderr: &str, dir: &Path) -> bool {
    stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .is_some_and(|line| line.contains(&*dir.to_string_lossy()))
}

/// How the build was killed, if it was: the process the runtime started (`program`: cargo, or
/// the compiler run directly), or the compiler under cargo (which then says `(signal: 9,
/// SIGKILL: kill)`), by a signal that ends processes on request. A crash (SIGSEGV and the like)
/// is an error to show, not an interruption.
fn killed(program: &str, status: Option<&ExitStatus>, stderr: &str) -> Option<String> {
    const ENDING: [(i32, &str); 4] = [
        (9, "SIGKILL"),
        (15, "SIGTERM"),
        (2, "SIGINT"),
        (1, "SIGHUP"),
    ];
    #[cfg(unix)]
    if let Some(signal) = status.and_then(std::os::unix::process::ExitStatusExt::signal) {
        let (_, name) = ENDING.iter().find(|(number, _)| *number == signal)?;
        return Some(format!("{program} was killed (signal: {signal}, {name})"));
    }
    #[cfg(not(unix))]
    let _ = (program, status);
    let (_, rest) = stderr.split_once("(signal: ")?;
    let signal = rest.split(')').next()?;
    ENDING
        .iter()
        .any(|(_, name)| signal.contains(name))
        .then(|| format!("the compiler was killed (signal: {signal})"))
}

/// What cargo's JSON messages told about one build.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    /// The cdylib of the package, if cargo produced one.
    pub library: Option<PathBuf>,
    /// Rendered compiler messages for the package, in order.
    pub diagnostics: Vec<String>,
    /// The compiler's dep-info file, when it said where it wrote one.
    pub dep_info: Option<PathBuf>,
}

/// Reads cargo's JSON messages for `package`'s build.
pub fn read_messages(reader: impl BufRead, package: &Package) -> Output {
    let manifest = package.manifest_dir.join("Cargo.toml");
    let mut output = Output::default();
    for message in Message::parse_stream(reader).map_while(Result::ok) {
        match message {
            Message::CompilerArtifact(artifact) if artifact.manifest_path == manifest => {
                let suffix = std::env::consts::DLL_SUFFIX;
                let library = artifact
                    .filenames
                    .into_iter()
                    .find(|f| f.as_str().ends_with(suffix));
                if let Some(library) = library {
                    output.library = Some(library.into_std_path_buf());
                }
            }
            Message::CompilerMessage(message) => {
                if let Some(rendered) = message.message.rendered {
                    output.diagnostics.push(rendered.trim_end().to_owned());
                }
            }
            _ => {}
        }
    }
    output
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
            "/t/debug/libgame.so: /w/src/lib.rs /w/my\\ assets/a.txt /w/src/world.rs\n\n\
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
    fn a_killed_compiler_is_an_interruption_and_a_crash_is_an_error() {
        let cargo = "error: could not compile `game` (lib)\n\nCaused by:\n  process didn't exit \
                     successfully: `rustc --crate-name game` (signal: 9, SIGKILL: kill)";
        assert_eq!(
            killed("cargo", None, cargo).as_deref(),
            Some("the compiler was killed (signal: 9, SIGKILL: kill)")
        );
        let crash = cargo.replace("9, SIGKILL: kill", "11, SIGSEGV: invalid memory reference");
        assert_eq!(killed("cargo", None, &crash), None);
        assert_eq!(
            killed("cargo", None, "error[E0308]: mismatched types"),
            None
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_killed_cargo_is_an_interruption() {
        use std::os::unix::process::ExitStatusExt;
        let status = std::process::ExitStatus::from_raw(9);
        assert_eq!(
            killed("cargo", Some(&status), "").as_deref(),
            Some("cargo was killed (signal: 9, SIGKILL)")
        );
        // The compiler run directly, as the tests for a killed build see it either way.
        assert_eq!(
            killed("the compiler", Some(&status), "").as_deref(),
            Some("the compiler was killed (signal: 9, SIGKILL)")
        );
        let crash = std::process::ExitStatus::from_raw(11);
        assert_eq!(killed("cargo", Some(&crash), ""), None);
    }

    fn package() -> Package {
        Package {
            name: "game".into(),
            crate_name: "game".into(),
            manifest_dir: "/w/game".into(),
            features: vec!["hot".into(), "fast".into()],
            features_known: true,
            functions: 2,
        }
    }

    #[test]
    fn cargo_errors_are_shown_without_status_lines_or_the_compiler_command() {
        let stderr = "       Fresh libc v0.2.191\n   Compiling game v0.1.0 (/w/game)\n     \
            Running `CARGO_PKG_NAME=game rustc --crate-name game`\n\
            error: could not compile `game` (lib) due to 1 previous error\n\n\
            Caused by:\n  process didn't exit successfully: `CARGO_PKG_NAME=game rustc \
            --crate-name game` (exit status: 1)\n\
            warning: build failed, waiting for other jobs to finish...\n";
        assert_eq!(
            without_status(stderr),
            "error: could not compile `game` (lib) due to 1 previous error\n\
             warning: build failed, waiting for other jobs to finish..."
        );
        let lock = "error: failed to open: /w/target/debug/.cargo-lock\n\nCaused by:\n  \
                    Is a directory (os error 21)";
        assert_eq!(
            without_status(lock),
            lock,
            "cargo's own errors are kept whole"
        );
        let script = "   Compiling bs v0.1.0 (/w/bs)\n[bs 0.1.0] no libfoo\n\
            error: failed to run custom build command for `bs v0.1.0 (/w/bs)`\n\nCaused by:\n  \
            process didn't exit successfully: `CARGO=cargo /w/target/debug/build/bs/build-script-build` \
            (exit status: 1)\n  --- stderr\n  no libfoo\n[not an echo]";
        assert_eq!(
            without_status(script),
            "error: failed to run custom build command for `bs v0.1.0 (/w/bs)`\n  --- stderr\n  \
             no libfoo\n[not an echo]"
        );
    }

    #[test]
    fn a_target_dir_error_is_told_from_a_build_script_failure() {
        let dir = Path::new("/w/target");
        let lock = "error: failed to open: /w/target/debug/.cargo-lock\n\nCaused by:\n  \
                    Permission denied (os error 13)";
        assert!(names(lock, dir));
        let full = "warning: unused manifest key\nerror: failed to write /w/target/debug/x.d";
        assert!(names(full, dir));
        let script = "error: failed to run custom build command for `a v0.1.0 (/w/a)`\n\n\
                      Caused by:\n  process didn't exit successfully: \
                      `/w/target/debug/build/a-1/build-script-build` (exit status: 1)";
        assert!(!names(script, dir));
        assert!(!names("", dir));
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

    #[test]
    fn command_rebuilds_with_the_host_profile_and_features() {
        let host = HostBuild {
            cargo: "cargo".into(),
            target_dir: "/w/target".into(),
            profile: "dev".into(),
            triple: None,
        };
        let command = host.command(&package(), false);
        let args: Vec<_> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let args = args.join(" ");
        assert!(
            args.starts_with("rustc --lib --crate-type cdylib"),
            "{args}"
        );
        assert!(
            args.contains("--manifest-path /w/game/Cargo.toml"),
            "{args}"
        );
        assert!(
            args.contains("--profile dev --target-dir /w/target"),
            "{args}"
        );
        assert!(
            args.ends_with("-- --cfg hotfn_reloaded -C strip=debuginfo"),
            "{args}"
        );
        assert!(
            args.contains("--no-default-features --features hot,fast"),
            "{args}"
        );
        assert_eq!(command.get_current_dir(), Some(Path::new("/w/game")));
    }

    #[test]
    fn reads_the_library_and_diagnostics_of_the_package() {
        let so = std::env::consts::DLL_SUFFIX;
        let artifact = |manifest: &str, name: &str| {
            format!(
                r#"{{"reason":"compiler-artifact","package_id":"path+file:///w/{name}#0.1.0","manifest_path":"{manifest}","target":{{"kind":["cdylib"],"crate_types":["cdylib"],"name":"{name}","src_path":"/w/{name}/src/lib.rs","edition":"2021","doc":true,"doctest":false,"test":true}},"profile":{{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":false}},"features":[],"filenames":["/w/target/debug/deps/lib{name}{so}"],"executable":null,"fresh":false}}"#
            )
        };
        let warning = r#"{"reason":"compiler-message","package_id":"path+file:///w/game#0.1.0","manifest_path":"/w/game/Cargo.toml","target":{"kind":["cdylib"],"crate_types":["cdylib"],"name":"game","src_path":"/w/game/src/lib.rs","edition":"2021","doc":true,"doctest":false,"test":true},"message":{"rendered":"warning: unused variable: `x`\n","$message_type":"diagnostic","children":[],"code":null,"level":"warning","message":"unused variable: `x`","spans":[]}}"#;
        let stream = [
            artifact("/w/dep/Cargo.toml", "dep"),
            warning.to_owned(),
            "not json: cargo prints plain lines too".to_owned(),
            artifact("/w/game/Cargo.toml", "game"),
            r#"{"reason":"build-finished","success":true}"#.to_owned(),
        ]
        .join("\n");
        let output = read_messages(stream.as_bytes(), &package());
        assert_eq!(
            output.library,
            Some(PathBuf::from(format!("/w/target/debug/deps/libgame{so}")))
        );
        assert_eq!(output.diagnostics, ["warning: unused variable: `x`"]);
    }
}

//! Rebuilding without cargo: running again the compiler command cargo ran for a package's
//! library. Cargo spends 30–70 ms per build checking every unit of the workspace before it starts
//! the one compiler that has work to do; for a one-line edit that is a third of the build. When
//! only the package's own Rust files changed since cargo last built it, nothing cargo checks can
//! have changed, so the runtime runs that compiler command itself, with the same arguments,
//! environment and incremental cache. Any other change (a manifest, a build script, a file
//! that is not Rust, a file of a local package it depends on), a package with a build script,
//! or a replay that fails goes through cargo, which also captures the command anew.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use crate::cargo::{Built, Failed, Output, conclude, dep_info, is_status, spawn};
use crate::registry::Package;

/// The compiler command cargo ran to build a package as a loadable library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Where cargo ran it: relative paths in `args` are relative to it.
    dir: PathBuf,
    /// Whether it keeps debug info (see `Config::debug_info`), which is part of `args`.
    pub debug_info: bool,
    /// The local packages (path dependencies) it links, whose changes the runtime does not
    /// watch but cargo would build first.
    local_deps: Vec<PathBuf>,
    /// When the cargo build that ran it started: a file changed later is not in its inputs.
    since: SystemTime,
}

impl Replay {
    /// Finds, in cargo's `-vv` output, the command that built `package`'s library:
    /// ``     Running `CARGO_CRATE_NAME=game … /path/rustc --crate-name game … --crate-type cdylib …` ``.
    /// `since` is when that cargo build started. `None` if cargo did not run the command (the
    /// library was fresh), if the package has a build script (its output may depend on any
    /// file), if the line cannot be read back exactly, or on Windows.
    pub fn find(
        cargo_stderr: &str,
        package: &Package,
        debug_info: bool,
        since: SystemTime,
    ) -> Option<Replay> {
        // There cargo writes `set KEY=value&& program …`, which is not read back: always cargo.
        if cfg!(windows) {
            return None;
        }
        let mut replay = cargo_stderr.lines().find_map(|line| {
            let command = line.trim_start().strip_prefix("Running `")?;
            let replay = Replay::parse(command.strip_suffix('`')?, package, debug_info, since)?;
            let runs = |flag: &str, value: &str| {
                replay
                    .args
                    .windows(2)
                    .any(|pair| pair[0] == flag && pair[1] == value)
            };
            let ours = runs("--crate-name", &package.crate_name) && runs("--crate-type", "cdylib");
            let build_script = replay.env.iter().any(|(key, _)| key == "OUT_DIR");
            (ours && !build_script).then_some(replay)
        })?;
        replay.local_deps = local_packages(cargo_stderr)
            .filter(|dir| *dir != package.manifest_dir)
            .collect();
        Some(replay)
    }

    /// Whether a file of a local package it links changed since cargo built it: then cargo
    /// must build that package first. Looks at the files at the top of each package and
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

    /// Reads `KEY=value … program arg …`, quoted the way cargo quotes (POSIX shell).
    fn parse(
        command: &str,
        package: &Package,
        debug_info: bool,
        since: SystemTime,
    ) -> Option<Replay> {
        let mut words = shlex::split(command)?.into_iter().peekable();
        let mut env = Vec::new();
        while let Some((key, value)) = words.peek().and_then(|word| assignment(word)) {
            env.push((key, value));
            words.next();
        }
        // Cargo does not quote the program: a path with a space in it is not read back.
        let program = PathBuf::from(words.next()?);
        if program.components().count() > 1 && !program.is_file() {
            return None;
        }
        let args: Vec<String> = words.collect();
        let root = args
            .iter()
            .find(|arg| !arg.starts_with('-') && arg.ends_with(".rs"))?;
        let dir = package
            .manifest_dir
            .ancestors()
            .find(|dir| {
                dir.join(root).starts_with(&package.manifest_dir) && dir.join(root).is_file()
            })?
            .to_path_buf();
        Some(Replay {
            program,
            args,
            env,
            dir,
            debug_info,
            local_deps: Vec::new(),
            since,
        })
    }

    /// Runs the command again and waits for it. `color`: rendered messages with colors.
    pub fn run(&self, target_dir: &Path, color: bool) -> Result<Built, Failed> {
        let started = Instant::now();
        let mut command = Command::new(&self.program);
        command
            .args(self.args.iter().map(|arg| with_color(arg, color)))
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let program = self.program.to_string_lossy();
        let mut child = spawn(&mut command, &program, started)?;
        let (output, text) = child
            .stderr
            .take()
            .map(|stderr| read_messages(BufReader::new(stderr), &self.dir))
            .unwrap_or_default();
        let deps = output
            .dep_info
            .as_ref()
            .and_then(|file| dep_info(file, &self.dir));
        let status = child.wait();
        conclude("the compiler", started, status, output, &text, target_dir).map(|built| Built {
            deps,
            direct_rustc: true,
            ..built
        })
    }
}

/// The directories of the local packages cargo names in its status lines:
/// `       Fresh physics v0.1.0 (/w/physics)`, `   Compiling game v0.1.0 (/w/game)`.
/// Packages from a registry have no directory there, and from git a URL.
fn local_packages(cargo_stderr: &str) -> impl Iterator<Item = PathBuf> + '_ {
    cargo_stderr
        .lines()
        .filter(|line| is_status(line))
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

/// Reads the compiler's JSON messages (`--error-format=json --json=artifacts`): the library it
/// wrote, its dep-info file and the rendered diagnostics; any other line is returned as text
/// (a crash of the compiler, a linker that prints).
fn read_messages(reader: impl BufRead, dir: &Path) -> (Output, String) {
    let mut output = Output::default();
    let mut text = String::new();
    for line in reader.lines().map_while(Result::ok) {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            text.push_str(&line);
            text.push('\n');
            continue;
        };
        let field = |name: &str| message.get(name).and_then(serde_json::Value::as_str);
        match (field("$message_type"), field("emit"), field("artifact")) {
            (Some("artifact"), Some("link"), Some(file))
                if file.ends_with(std::env::consts::DLL_SUFFIX) =>
            {
                output.library = Some(dir.join(file));
            }
            (Some("artifact"), Some("dep-info"), Some(file)) => {
                output.dep_info = Some(dir.join(file));
            }
            (Some("diagnostic"), _, _) => {
                if let Some(rendered) = field("rendered") {
                    output.diagnostics.push(rendered.trim_end().to_owned());
                }
            }
            _ => {}
        }
    }
    (output, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(manifest_dir: &Path) -> Package {
        Package {
            name: "game".into(),
            crate_name: "game".into(),
            manifest_dir: manifest_dir.to_path_buf(),
            features: vec!["hot".into()],
            features_known: true,
            functions: 1,
        }
    }

    /// A workspace `ws` with the package in `ws/game`, as cargo runs it: from `ws`, with the
    /// crate root relative to it.
    fn workspace() -> (tempfile::TempDir, Package) {
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join("game/src")).unwrap();
        std::fs::write(ws.path().join("game/src/lib.rs"), "").unwrap();
        let package = package(&ws.path().join("game"));
        (ws, package)
    }

    const RUSTC: &str = "rustc --crate-name game --edition=2024 game/src/lib.rs \
        --error-format=json --json=diagnostic-rendered-ansi,artifacts,future-incompat \
        --crate-type cdylib --cfg 'feature=\"hot\"' -C metadata=c3d6 --cfg hotfn_reloaded";

    #[test]
    fn finds_the_command_that_built_the_library_and_reads_it_back() {
        let (ws, package) = workspace();
        let stderr = format!(
            "       Fresh libc v0.2.191\n   Compiling game v0.1.0 ({})\n     Running `\
             CARGO_CRATE_NAME=game CARGO_PKG_AUTHORS='' CARGO_PKG_DESCRIPTION='it'\\''s' {RUSTC}`\n\
             \x20   Finished `dev` profile in 0.20s\n",
            package.manifest_dir.display()
        );
        let replay = Replay::find(&stderr, &package, false, SystemTime::now()).unwrap();
        assert_eq!(replay.program, PathBuf::from("rustc"));
        assert_eq!(
            replay.env,
            [
                ("CARGO_CRATE_NAME".into(), "game".into()),
                ("CARGO_PKG_AUTHORS".into(), String::new()),
                ("CARGO_PKG_DESCRIPTION".into(), "it's".into()),
            ]
        );
        assert_eq!(
            replay.args[0..3],
            ["--crate-name", "game", "--edition=2024"]
        );
        assert!(replay.args.contains(&"feature=\"hot\"".to_owned()));
        assert_eq!(replay.dir, ws.path());
    }

    #[test]
    fn a_build_script_a_fresh_library_or_another_crate_give_no_replay() {
        let (_ws, package) = workspace();
        let find = |stderr: &str| Replay::find(stderr, &package, false, SystemTime::now());
        let running = |command: String| format!("     Running `{command}`");
        for (case, stderr) in [
            (
                "a build script",
                running(format!("OUT_DIR=/t/out CARGO_CRATE_NAME=game {RUSTC}")),
            ),
            ("fresh", "       Fresh game v0.1.0\n".to_owned()),
            (
                "another crate",
                running(RUSTC.replace("--crate-name game", "--crate-name gamex")),
            ),
            ("the rlib", running(RUSTC.replace("cdylib", "lib"))),
            (
                "no such program",
                running(RUSTC.replace("rustc", "/no/such/rustc")),
            ),
        ] {
            assert_eq!(find(&stderr), None, "{case}");
        }
    }

    #[test]
    fn a_change_in_a_local_package_it_links_means_cargo_builds_first() {
        let (ws, package) = workspace();
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
            package.manifest_dir.display()
        );
        let since = SystemTime::now() + std::time::Duration::from_secs(60);
        let replay = Replay::find(&stderr, &package, false, since).unwrap();
        assert_eq!(
            replay.local_deps,
            [physics.as_path()],
            "not the package itself"
        );
        assert!(!replay.dependency_changed());
        let touch = |file: &str| {
            let file = std::fs::File::options()
                .write(true)
                .open(physics.join(file));
            let later = since + std::time::Duration::from_secs(1);
            file.unwrap().set_modified(later).unwrap();
        };
        touch("assets/level.ron");
        assert!(!replay.dependency_changed(), "not a crate's source");
        touch("src/world/mod.rs");
        assert!(replay.dependency_changed());
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

    #[test]
    fn reads_the_library_dep_info_and_diagnostics_rustc_reports() {
        let stderr = concat!(
            r#"{"$message_type":"diagnostic","message":"unused","level":"warning","rendered":"warning: unused\n"}"#,
            "\n",
            r#"{"$message_type":"artifact","artifact":"/t/debug/deps/game.d","emit":"dep-info"}"#,
            "\n",
            r#"{"$message_type":"artifact","artifact":"/t/debug/deps/libgame.so","emit":"link"}"#,
            "\n",
            "note: the linker said something\n",
        );
        let (output, text) = read_messages(stderr.as_bytes(), Path::new("/ws"));
        assert_eq!(output.diagnostics, ["warning: unused"]);
        assert_eq!(output.dep_info, Some(PathBuf::from("/t/debug/deps/game.d")));
        let expected = format!("/t/debug/deps/libgame{}", std::env::consts::DLL_SUFFIX);
        let library = output.library.map(|l| l.to_string_lossy().into_owned());
        assert_eq!(
            library.as_deref() == Some(expected.as_str()),
            std::env::consts::DLL_SUFFIX == ".so"
        );
        assert_eq!(text, "note: the linker said something\n");
    }
}

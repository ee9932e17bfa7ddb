//! Harness for the end-to-end tests: copy a fixture project to a temporary directory, run it with
//! cargo as a user would, edit its sources while it runs, and wait for what it prints.
//!
//! Every fixture copy gets its own package and library name, so tests running at once never share
//! a build output; all of them share one target directory, so dependencies compile once.
//!
//! Besides `tests/fixtures/*`, the demo and the examples are fixtures ([`Fixture::member`]),
//! [`tmux`] runs a program in a real (if invisible) terminal, and [`xvfb`] a window on a virtual
//! screen.

pub mod tmux;
pub mod xvfb;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Time allowed for the first build of a fixture (dependencies may compile from scratch).
pub const START: Duration = Duration::from_secs(900);
/// Time allowed for a reload to show up after an edit.
pub const RELOAD: Duration = Duration::from_secs(180);

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory shared by every fixture of every test.
pub fn shared_target_dir() -> PathBuf {
    workspace().join("target").join("e2e")
}

/// A private copy of a fixture project.
pub struct Fixture {
    dir: tempfile::TempDir,
    /// The package name of this copy, e.g. `hotfn-fixture-reload`.
    pub package: String,
}

impl Fixture {
    /// Copies `tests/fixtures/<template>`, naming the copy's package `hotfn-fixture-<name>`.
    pub fn new(template: &str, name: &str) -> Fixture {
        let fixture = Fixture::empty(format!("hotfn-fixture-{name}"));
        let source = workspace().join("tests/fixtures").join(template);
        let runtime = workspace().join("hotfn-runtime");
        let library = fixture.package.replace('-', "_");
        copy_tree(&source, fixture.dir(), &|text| {
            text.replace("../../../hotfn-runtime", runtime.to_str().unwrap())
                .replace("hotfn-fixture", &fixture.package)
                .replace("hotfn_fixture", &library)
        });
        fixture
    }

    /// Copies the demo (`demo/`) as [`Fixture::member`] does, naming the copy's package
    /// `hotfn-demo-<name>`.
    pub fn demo(name: &str) -> Fixture {
        Fixture::member("demo", name)
    }

    /// Copies the workspace member in directory `member` (`demo`, `examples/axum`), naming the
    /// copy's package `hotfn-<its directory's name>-<name>`: its manifest is made standalone (see
    /// [`standalone_manifest`]) and paths in its sources that start with its library's name
    /// (`demo::`) name the copy's library instead.
    pub fn member(member: &str, name: &str) -> Fixture {
        let source = workspace().join(member);
        let short = source.file_name().unwrap().to_str().unwrap();
        let fixture = Fixture::empty(format!("hotfn-{short}-{name}"));
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap();
        let original = read(source.join("Cargo.toml"));
        let library = |package: &str| format!("{}::", package.replace('-', "_"));
        let (from, to) = (library(&package_name(&original)), library(&fixture.package));
        copy_tree(&source.join("src"), &fixture.path("src"), &|text| {
            text.replace(&from, &to)
        });
        let manifest = standalone_manifest(
            &original,
            &read(workspace().join("Cargo.toml")),
            &fixture.package,
            &workspace().join("hotfn-runtime"),
        );
        std::fs::write(fixture.path("Cargo.toml"), manifest).unwrap();
        fixture
    }

    /// A new temporary directory for package `package`, with the workspace's lock file (so
    /// every copy builds the same dependencies, which the shared target directory then holds).
    fn empty(package: String) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("hotfn-e2e-")
            .tempdir()
            .unwrap();
        std::fs::copy(
            workspace().join("Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        Fixture { dir, package }
    }

    /// The copy's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the copy.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Replaces `from` (which must occur) by `to` in a file of the copy, in one write.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(from),
            "{relative} does not contain {from:?}:\n{text}"
        );
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }

    /// Edits the copy as [`Fixture::edit`] does while `app` runs it, and waits for the reload
    /// that makes `version`; returns the index of its line.
    pub fn edit_and_reload(
        &self,
        app: &mut App,
        (relative, from, to): (&str, &str, &str),
        version: u32,
    ) -> usize {
        let mark = app.len();
        self.edit(relative, from, to);
        app.wait_for_reload(mark, version)
    }

    /// `cargo <args>` in the copy, with the shared target directory.
    pub fn cargo(&self, args: &[&str]) -> Command {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .env_remove("RUSTFLAGS")
            .env("NO_COLOR", "1");
        command
    }

    /// `cargo build <args>`; fails with cargo's output if the build fails.
    pub fn build(&self, args: &[&str]) {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        let output = self.cargo(&all).output().expect("cannot run cargo");
        assert!(
            output.status.success(),
            "cargo {} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            all.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts `cargo run --features hot` and waits until the program prints its first frame and
    /// the runtime watches its sources.
    pub fn start_hot(&self) -> App {
        let mut app = self.run(&["--features", "hot"]);
        app.wait_for_frame("the first frame", 0, START, |_| true);
        app.wait_for_watching();
        app
    }

    /// Starts `cargo run <args>` and collects what it prints.
    pub fn run(&self, args: &[&str]) -> App {
        self.run_with(args, &[])
    }

    /// Starts `cargo run <args>` with more environment variables.
    pub fn run_with(&self, args: &[&str], environment: &[(&str, &str)]) -> App {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        let mut command = self.cargo(&all);
        command.envs(environment.iter().copied());
        App::spawn(command)
    }

    /// The shared target directory's file of this copy's binary (built in the `debug` profile).
    pub fn binary(&self) -> PathBuf {
        shared_target_dir().join("debug").join(format!(
            "{}{}",
            self.package,
            std::env::consts::EXE_SUFFIX
        ))
    }
}

/// A workspace member's manifest (`member`) made into a package of its own named `package`:
/// `key.workspace = true` takes its value from the workspace's manifest (`workspace`), the
/// dependency on hotfn-runtime points at `runtime`, workspace lints are left out, and an empty
/// `[workspace]` keeps the copy out of any workspace it lands in.
pub fn standalone_manifest(member: &str, workspace: &str, package: &str, runtime: &Path) -> String {
    let inherited = |key: &str| {
        let mut section = "";
        for line in workspace.lines() {
            if line.starts_with('[') {
                section = line.trim();
            } else if section == "[workspace.package]"
                && line.split('=').next().map(str::trim) == Some(key)
            {
                return line.to_owned();
            }
        }
        panic!("the workspace's manifest has no [workspace.package] {key}:\n{workspace}")
    };
    let mut out = String::new();
    let mut section = String::new();
    for line in member.lines() {
        if line.starts_with('[') {
            section = line.trim().to_owned();
        }
        if section == "[lints]" {
            continue;
        }
        let line = if let Some(key) = line.strip_suffix(".workspace = true") {
            match (section.as_str(), key) {
                ("[package]", key) => inherited(key),
                ("[dependencies]", "hotfn-runtime") => format!(
                    "hotfn-runtime = {{ path = {:?} }}",
                    runtime.to_str().unwrap()
                ),
                _ => panic!("cannot make {line:?} in {section} standalone"),
            }
        } else if section == "[package]" && line.starts_with("name = ") {
            format!("name = {package:?}")
        } else {
            line.to_owned()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push_str("\n\n# A workspace of its own, wherever the tests copy it.\n[workspace]\n");
    out
}

/// The `name` of a manifest's `[package]`.
fn package_name(manifest: &str) -> String {
    let mut section = "";
    for line in manifest.lines() {
        if line.starts_with('[') {
            section = line.trim();
        } else if section == "[package]"
            && let Some(name) = line.strip_prefix("name = ")
        {
            return name.trim().trim_matches('"').to_owned();
        }
    }
    panic!("the manifest has no [package] name:\n{manifest}")
}

fn copy_tree(from: &Path, to: &Path, rewrite: &dyn Fn(&str) -> String) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, rewrite);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(target, rewrite(&text)).unwrap();
        }
    }
}

/// A running program and everything it printed so far, as `out| line` and `err| line`.
pub struct App {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl App {
    /// Starts `command` and collects what it prints.
    pub fn spawn(mut command: Command) -> App {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("cannot run cargo");
        let lines = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), "out", &lines);
        collect(child.stderr.take().unwrap(), "err", &lines);
        let stdin = child.stdin.take();
        App {
            child,
            stdin,
            lines,
        }
    }

    /// Everything printed so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until a line printed after the first `skip` lines satisfies `matches`, and returns
    /// it with its index. Fails with the whole output when `within` runs out or the program ends.
    pub fn wait_for(
        &mut self,
        what: &str,
        skip: usize,
        within: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> (usize, String) {
        let deadline = Instant::now() + within;
        loop {
            let lines = self.output();
            if let Some((i, line)) = lines
                .iter()
                .enumerate()
                .skip(skip)
                .find(|(_, l)| matches(l))
            {
                return (i, line.clone());
            }
            let exited = self.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                // Let the readers catch up with the last lines before showing them.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "timed out waiting for {what} (program exited: {exited:?})\n--- output ---\n{}",
                    self.output().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the runtime says it watches the sources.
    pub fn wait_for_watching(&mut self) {
        self.wait_for("the runtime to watch", 0, START, |l| {
            l.starts_with("err| [hotfn] watching")
        });
    }

    /// Waits for the line that announces reload number `version` after `skip`, and returns its
    /// index.
    pub fn wait_for_reload(&mut self, skip: usize, version: u32) -> usize {
        let announce = format!(" v{version}: ");
        self.wait_for(&format!("reload v{version}"), skip, RELOAD, |l| {
            l.starts_with("err| [hotfn] reloaded") && l.contains(&announce)
        })
        .0
    }

    /// Waits for a frame line (`out| frame=...`) after `skip` that satisfies `matches`.
    pub fn wait_for_frame(
        &mut self,
        what: &str,
        skip: usize,
        within: Duration,
        matches: impl Fn(&Frame) -> bool,
    ) -> (usize, Frame) {
        let (i, line) = self.wait_for(what, skip, within, |line| {
            Frame::parse(line).is_some_and(|f| matches(&f))
        });
        (i, Frame::parse(&line).unwrap())
    }

    /// Waits for the first frame line printed after line `skip` and then `count` frames more;
    /// returns the last of them.
    pub fn wait_for_frames(&mut self, what: &str, skip: usize, count: u64) -> Frame {
        let (_, first) = self.wait_for_frame(what, skip, RELOAD, |_| true);
        let last = first.number("frame") + count;
        self.wait_for_frame(what, skip, RELOAD, |f| f.number("frame") >= last)
            .1
    }

    /// Every frame line printed so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.output()
            .iter()
            .filter_map(|l| Frame::parse(l))
            .collect()
    }

    /// Number of lines printed so far.
    pub fn len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Whether nothing was printed yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for the program to exit by itself, and returns how it exited.
    pub fn wait_for_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the readers catch up with the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            if Instant::now() > deadline {
                self.fail("the program did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes a line to the program's standard input.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Fails with the whole output if the runtime reported a panic in reloaded code.
    pub fn assert_no_panic(&self) {
        if self.output().iter().any(|l| l.contains("[hotfn] panic")) {
            self.fail("reloaded code panicked");
        }
    }

    /// Shows the runtime's `[hotfn] reloaded …` lines so far, which say how long each reload
    /// took, on the test's stderr (`cargo test -- --nocapture` prints them).
    pub fn show_reloads(&self) {
        for line in self.output() {
            if line.starts_with("err| [hotfn] reloaded") {
                eprintln!("{line}");
            }
        }
    }

    /// Fails with the whole output.
    pub fn fail(&self, why: &str) -> ! {
        panic!("{why}\n--- output ---\n{}", self.output().join("\n"))
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static, tag: &'static str, lines: &Arc<Mutex<Vec<String>>>) {
    let lines = Arc::clone(lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(format!("{tag}| {line}"));
        }
    });
}

/// One line of the `basic` fixture's output: `frame=3 pid=10 bumps=4 label=[...] ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The whole line, without the `out| ` tag.
    pub line: String,
}

impl Frame {
    /// Parses a tagged output line, if it is a frame line.
    pub fn parse(line: &str) -> Option<Frame> {
        let line = line.strip_prefix("out| ")?;
        line.starts_with("frame=").then(|| Frame {
            line: line.to_owned(),
        })
    }

    /// The value of `key=value` (up to the next space; `label` is bracketed).
    pub fn get(&self, key: &str) -> &str {
        let start = self
            .line
            .find(&format!("{key}="))
            .map(|i| i + key.len() + 1);
        let Some(start) = start else {
            panic!("no {key} in {}", self.line)
        };
        let rest = &self.line[start..];
        if let Some(bracketed) = rest.strip_prefix('[') {
            return &bracketed[..bracketed.find(']').unwrap()];
        }
        rest.split(' ').next().unwrap()
    }

    /// A numeric value.
    pub fn number(&self, key: &str) -> u64 {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{key} is not a number in {}", self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse() {
        let frame = Frame::parse("out| frame=3 pid=10 bumps=4 label=[label-v1 3] late=-").unwrap();
        assert_eq!(frame.number("frame"), 3);
        assert_eq!(frame.get("label"), "label-v1 3");
        assert_eq!(frame.get("late"), "-");
        assert!(Frame::parse("err| frame=3").is_none());
    }

    #[test]
    fn a_member_manifest_becomes_standalone() {
        let workspace = "[workspace]\nmembers = [\"demo\"]\n\n[workspace.package]\n\
                         version = \"0.1.0\"\nedition = \"2024\"\n";
        let member = "[package]\nname = \"demo\"\nedition.workspace = true\n\n\
                      [dependencies]\nhotfn-runtime.workspace = true\nratatui = \"1\"\n\n\
                      [features]\nhot = [\"hotfn-runtime/hot\"]\n\n[lints]\nworkspace = true\n";
        let manifest = standalone_manifest(member, workspace, "copy", Path::new("/r"));
        assert_eq!(
            manifest,
            "[package]\nname = \"copy\"\nedition = \"2024\"\n\n[dependencies]\n\
             hotfn-runtime = { path = \"/r\" }\nratatui = \"1\"\n\n[features]\n\
             hot = [\"hotfn-runtime/hot\"]\n\n\
             # A workspace of its own, wherever the tests copy it.\n[workspace]\n"
        );
    }

    #[test]
    #[should_panic(expected = "cannot make")]
    fn an_unknown_workspace_dependency_is_not_silently_kept() {
        let member = "[dependencies]\nserde.workspace = true\n";
        standalone_manifest(member, "", "copy", Path::new("/r"));
    }
}

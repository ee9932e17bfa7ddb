//! The programs the benchmark edits: private copies in temporary directories, built with cargo in
//! one target directory shared by every run, so that only the copied crates compile again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench package is inside the workspace")
        .to_path_buf()
}

/// A copy of a program, and the line the benchmark edits in it.
pub struct App {
    copy: Copy,
    /// The package the runtime rebuilds (for hot-lib-reloader, the library's package).
    pub package: String,
    /// The edited line.
    pub edit: Edit,
    target_dir: PathBuf,
}

/// Where the copy lives; removed when dropped.
enum Copy {
    Temp(tempfile::TempDir),
    Demo(hotfn_tests::Fixture),
}

impl Copy {
    fn dir(&self) -> &Path {
        match self {
            Copy::Temp(dir) => dir.path(),
            Copy::Demo(fixture) => fixture.dir(),
        }
    }
}

impl App {
    /// `bench/fixtures/counter`: prints `marker()` whenever it changes, and each reload's
    /// timings.
    pub fn counter(target_dir: &Path) -> Result<App, String> {
        let copy = copy_fixture("counter")?;
        Ok(App {
            copy,
            package: "hotfn-bench-counter".into(),
            edit: Edit::new("src/lib.rs", "// edited by the benchmark", marker_line),
            target_dir: target_dir.to_path_buf(),
        })
    }

    /// `bench/fixtures/hlr`: the same program for hot-lib-reloader 0.8.
    pub fn hot_lib_reloader(target_dir: &Path) -> Result<App, String> {
        let copy = copy_fixture("hlr")?;
        Ok(App {
            copy,
            package: "hotfn-bench-hlr-lib".into(),
            edit: Edit::new("lib/src/lib.rs", "// edited by the benchmark", marker_line),
            target_dir: target_dir.to_path_buf(),
        })
    }

    /// The demo, copied as the end-to-end tests copy it; edits change `GRAVITY` in
    /// `src/rules.rs` (0.01, 0.02, …: every edit a new value, each too small to change the game
    /// much).
    pub fn demo(target_dir: &Path) -> App {
        let fixture = hotfn_tests::Fixture::demo("bench");
        App {
            package: fixture.package.clone(),
            copy: Copy::Demo(fixture),
            edit: Edit::new("src/rules.rs", "pub const GRAVITY: f32 =", |n| {
                format!("pub const GRAVITY: f32 = {}.{:02};", n / 100, n % 100)
            }),
            target_dir: target_dir.to_path_buf(),
        }
    }

    /// The copy's directory.
    pub fn dir(&self) -> &Path {
        self.copy.dir()
    }

    /// Makes the next edit, in one write; returns its number and the time right after the write
    /// (the save).
    pub fn next_edit(&mut self) -> Result<(u64, SystemTime), String> {
        self.edit.next(self.copy.dir())
    }

    /// The target directory the copy is built in.
    pub fn target_dir(&self) -> &Path {
        &self.target_dir
    }

    /// `cargo <args>` in the copy, with the shared target directory.
    pub fn cargo(&self, args: &[&str]) -> Command {
        let mut command = Command::new(cargo());
        command
            .args(args)
            .current_dir(self.dir())
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env_remove("RUSTFLAGS")
            .env_remove("HOTFN_DEBUGINFO")
            .env("NO_COLOR", "1");
        command
    }

    /// `cargo <args>`, failing with cargo's output.
    pub fn run_cargo(&self, args: &[&str]) -> Result<(), String> {
        let output = self
            .cargo(args)
            .output()
            .map_err(|error| format!("cannot run cargo: {error}"))?;
        match output.status.success() {
            true => Ok(()),
            false => Err(format!(
                "cargo {} failed ({}):\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )),
        }
    }

    /// Replaces the line containing `find` in `relative`, once, by `line`.
    pub fn replace_line(&self, relative: &str, find: &str, line: &str) -> Result<(), String> {
        rewrite_line(&self.dir().join(relative), find, line)
    }
}

/// The edit the benchmark repeats: the line containing `find` in one file, rewritten with a new
/// number each time.
pub struct Edit {
    relative: &'static str,
    find: &'static str,
    line: fn(u64) -> String,
    /// The number of the last edit (0: the file as copied).
    pub last: u64,
}

impl Edit {
    fn new(relative: &'static str, find: &'static str, line: fn(u64) -> String) -> Edit {
        Edit {
            relative,
            find,
            line,
            last: 0,
        }
    }

    /// Makes the next edit of the copy in `dir`, in one write, and returns its number and the
    /// time right after the write (the save).
    fn next(&mut self, dir: &Path) -> Result<(u64, SystemTime), String> {
        self.last += 1;
        rewrite_line(&dir.join(self.relative), self.find, &(self.line)(self.last))?;
        Ok((self.last, SystemTime::now()))
    }
}

/// The counter's edited line: `marker()` returns `1000 + n` after edit `n`.
fn marker_line(n: u64) -> String {
    format!("    {} // edited by the benchmark", marker(n))
}

/// The value `marker()` returns after edit `n`.
pub fn marker(n: u64) -> u64 {
    1000 + n
}

fn rewrite_line(path: &Path, find: &str, line: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let mut found = false;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| match !found && l.contains(find) {
            true => {
                found = true;
                line
            }
            false => l,
        })
        .collect();
    if !found {
        return Err(format!("{} has no line with {find:?}", path.display()));
    }
    std::fs::write(path, lines.join("\n") + "\n")
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Copies `bench/fixtures/<name>` to a temporary directory, with the workspace's lock file (so
/// dependencies resolve to what the workspace uses, without the network) and the path of
/// hotfn-runtime made absolute.
fn copy_fixture(name: &str) -> Result<Copy, String> {
    let dir = tempfile::Builder::new()
        .prefix("hotfn-bench-")
        .tempdir()
        .map_err(|error| format!("cannot create a temporary directory: {error}"))?;
    let runtime = workspace().join("hotfn-runtime");
    let runtime = runtime
        .to_str()
        .ok_or("the workspace's path is not UTF-8")?;
    copy_tree(
        &workspace().join("bench/fixtures").join(name),
        dir.path(),
        &|text| text.replace("../../../hotfn-runtime", runtime),
    )
    .map_err(|error| format!("cannot copy the fixture {name}: {error}"))?;
    std::fs::copy(
        workspace().join("Cargo.lock"),
        dir.path().join("Cargo.lock"),
    )
    .map_err(|error| format!("cannot copy Cargo.lock: {error}"))?;
    Ok(Copy::Temp(dir))
}

fn copy_tree(from: &Path, to: &Path, rewrite: &dyn Fn(&str) -> String) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target, rewrite)?;
        } else {
            std::fs::write(target, rewrite(&std::fs::read_to_string(entry.path())?))?;
        }
    }
    Ok(())
}

//! A generated crate's program, running: started from its executable (so that its process is
//! the one measured), told what to do through a Unix socket (`bench/fixtures/scale/main.rs`),
//! and watched from outside: its output lines, its child processes, `/proc/<pid>` and its
//! private directory of patches.

use std::io::Write as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::compile::Mode;
use crate::fixture::marker;
use crate::generate::Crate;
use crate::measure::{HotfnSample, Reload, since};
use crate::program::{Line, Program};

/// Time allowed for the start and for its warm-up build (a clean compile of the crate).
const START: Duration = Duration::from_secs(900);
/// Time allowed for one reload, or one command.
const STEP: Duration = Duration::from_secs(300);

/// A program started by the benchmark; stopped when dropped.
pub struct Running {
    program: Program,
    socket: UnixStream,
    /// Holds the socket's path.
    _dir: tempfile::TempDir,
    pub pid: u32,
    /// Reloads applied so far.
    pub version: u64,
    crate_name: String,
    target_dir: PathBuf,
    label: String,
}

/// How long the start took, from the spawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Startup {
    /// To the runtime's `[hotfn] watching` line.
    pub watching: Duration,
    /// To the end of the runtime's first build, the warm-up (its compiler has written the
    /// crate's rlib and no child process is left).
    pub warmed: Duration,
}

/// Nanoseconds per call of `marker()`: the best round and the median one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calls {
    pub best: f64,
    pub median: f64,
}

/// The process, seen from outside.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kb: u64,
    /// Patches mapped from the private directory, and what they map.
    pub patches: usize,
    pub mapped_kb: u64,
    /// Patch files in the private directory, and their size.
    pub files: usize,
    pub disk_kb: u64,
}

impl Running {
    /// Starts the program of `krate` built in `mode`; in hot mode, waits for the runtime to
    /// watch and for its warm-up build to end (with an empty incremental cache, as after a
    /// clone).
    pub fn start(
        krate: &Crate,
        target_dir: &Path,
        mode: Mode,
    ) -> Result<(Running, Startup), String> {
        let label = format!("{} ({mode:?})", krate.package);
        let incremental = target_dir
            .join("hotfn/incremental")
            .join(format!("{}-lib", krate.crate_name));
        let _ = std::fs::remove_dir_all(incremental);
        let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
        let path = dir.path().join("commands");
        let listener = UnixListener::bind(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut command = Command::new(krate.executable(target_dir));
        command
            .current_dir(krate.dir())
            .env("HOTFN_SCALE_SOCKET", &path)
            .env("NO_COLOR", "1")
            .env_remove("HOTFN_QUIET")
            .env_remove("HOTFN_WARM_UP");
        eprintln!("scale: {label}: starting");
        let spawned = SystemTime::now();
        let mut program = Program::spawn(command)?;
        let pid = program.wait_for("its pid", START, |line| line.text.starts_with("pid "))?;
        let pid = pid.text["pid ".len()..]
            .parse()
            .map_err(|_| format!("a bad pid line: {}", pid.text))?;
        let (socket, _) = listener
            .accept()
            .map_err(|e| format!("the program did not connect: {e}"))?;
        let mut running = Running {
            program,
            socket,
            _dir: dir,
            pid,
            version: 0,
            crate_name: krate.crate_name.clone(),
            target_dir: target_dir.to_path_buf(),
            label,
        };
        let mut startup = Startup::default();
        if mode == Mode::Hot {
            let watching = running
                .program
                .wait_for("the runtime to watch", START, |line| {
                    line.stream == "err" && line.text.starts_with("[hotfn] watching")
                })?;
            startup.watching = since(spawned, watching.at);
            startup.warmed = since(spawned, running.wait_for_warm_up()?);
            eprintln!(
                "scale: {}: watching after {} ms, warm-up build done after {:.1} s",
                running.label,
                startup.watching.as_millis(),
                startup.warmed.as_secs_f64()
            );
        }
        Ok((running, startup))
    }

    /// Waits until the warm-up build has written the crate's rlib and no child process of the
    /// program is left; returns when.
    fn wait_for_warm_up(&mut self) -> Result<SystemTime, String> {
        let deadline = Instant::now() + START;
        let prefix = format!("lib{}", self.crate_name);
        loop {
            let built = self.private_dir().is_some_and(|dir| {
                let out = dir.join(format!("{}-lib", self.crate_name)).join("out");
                std::fs::read_dir(out)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|entry| {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        name.starts_with(&prefix) && name.ends_with(".rlib")
                    })
            });
            if built && children(self.pid).is_empty() {
                return Ok(SystemTime::now());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{}: no warm-up build within {START:?}\n{}",
                    self.label,
                    self.program.tail(20)
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// This process's private directory of patches, `<target>/hotfn/hotfn-<pid>-…`.
    pub fn private_dir(&self) -> Option<PathBuf> {
        let prefix = format!("hotfn-{}-", self.pid);
        std::fs::read_dir(self.target_dir.join("hotfn"))
            .ok()?
            .flatten()
            .find(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
            .map(|entry| entry.path())
    }

    /// The rlib the runtime's last build wrote.
    pub fn built_rlib(&self) -> Result<PathBuf, String> {
        let out = self
            .private_dir()
            .ok_or("no private directory")?
            .join(format!("{}-lib", self.crate_name))
            .join("out");
        std::fs::read_dir(&out)
            .map_err(|e| format!("{}: {e}", out.display()))?
            .flatten()
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|e| e == "rlib"))
            .ok_or_else(|| format!("no rlib in {}", out.display()))
    }

    /// Sends a command; waits for the first line after it that `answer` accepts.
    fn ask(&mut self, command: &str, answer: impl Fn(&Line) -> bool) -> Result<Line, String> {
        self.program.skip_seen();
        writeln!(self.socket, "{command}")
            .map_err(|e| format!("{}: cannot send {command:?}: {e}", self.label))?;
        self.program
            .wait_for(command, STEP, |line| line.stream == "out" && answer(line))
    }

    /// Times calls of `marker()`.
    pub fn calls(&mut self) -> Result<Calls, String> {
        let line = self.ask("calls", |line| line.text.starts_with("calls "))?;
        let value = |key: &str| -> Option<f64> {
            line.text
                .split(' ')
                .find_map(|field| field.strip_prefix(key)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        match (value("ns"), value("ns_p50")) {
            (Some(best), Some(median)) => Ok(Calls { best, median }),
            _ => Err(format!("a bad calls line: {}", line.text)),
        }
    }

    /// Installs `rlib` as the next version, without a build; its timings.
    pub fn install(&mut self, rlib: &Path) -> Result<Reload, String> {
        let version = self.version + 1;
        let line = self.ask(&format!("reload {}", rlib.display()), |line| {
            Reload::parse(&line.text).is_some_and(|r| r.version == version)
                || line.text.starts_with("install failed")
        })?;
        let reload = Reload::parse(&line.text)
            .ok_or_else(|| format!("{}: {}\n{}", self.label, line.text, self.program.tail(20)))?;
        self.version = version;
        Ok(reload)
    }

    /// Makes the next edit of `krate` and waits for its reload and for the first output of the
    /// new code.
    pub fn edit(&mut self, krate: &mut Crate) -> Result<HotfnSample, String> {
        let version = self.version + 1;
        self.program.skip_seen();
        let (edit, save) = krate.edit()?;
        let line = self
            .program
            .wait_for(&format!("reload v{version}"), STEP, |line| {
                Reload::parse(&line.text).is_some_and(|r| r.version == version) || refused(line)
            })?;
        let reload = Reload::parse(&line.text).ok_or_else(|| {
            format!(
                "{}: edit {edit}: {}\n{}",
                self.label,
                line.text,
                self.program.tail(20)
            )
        })?;
        let new = format!("marker {}", marker(edit));
        let observed = self.program.wait_for(&new, STEP, |line| line.text == new)?;
        self.version = version;
        Ok(HotfnSample {
            save,
            reload,
            observed: observed.at,
        })
    }

    /// Resident memory, mapped patches and patch files now.
    pub fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let rss_kb = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        let private = self.private_dir().unwrap_or_default();
        let maps = std::fs::read_to_string(format!("/proc/{}/maps", self.pid)).unwrap_or_default();
        let mut mapped = std::collections::BTreeMap::<&str, u64>::new();
        for line in maps.lines() {
            // `start-end perms offset dev inode path`
            let Some(path) = line.splitn(6, ' ').nth(5).map(str::trim) else {
                continue;
            };
            if path.is_empty() || !path.ends_with(".so") || !Path::new(path).starts_with(&private) {
                continue;
            }
            let bytes = line
                .split(' ')
                .next()
                .and_then(|range| range.split_once('-'))
                .and_then(|(a, b)| {
                    Some(u64::from_str_radix(b, 16).ok()? - u64::from_str_radix(a, 16).ok()?)
                })
                .unwrap_or(0);
            *mapped.entry(path).or_default() += bytes;
        }
        let files: Vec<u64> = std::fs::read_dir(&private)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().extension().is_some_and(|e| e == "so"))
            .filter_map(|entry| entry.metadata().ok().map(|m| m.len()))
            .collect();
        Memory {
            rss_kb,
            patches: mapped.len(),
            mapped_kb: mapped.values().sum::<u64>() / 1024,
            files: files.len(),
            disk_kb: files.iter().sum::<u64>() / 1024,
        }
    }

    /// Stops the program (it exits when its input closes).
    pub fn stop(&mut self) {
        self.program.stop();
    }
}

/// Whether the runtime said that an edit will not be reloaded (a failed build, a refused or
/// failed load).
fn refused(line: &Line) -> bool {
    line.stream == "err"
        && line.text.starts_with("[hotfn] ")
        && [" failed", " refused", " interrupted", " could not start"]
            .iter()
            .any(|word| line.text.contains(word))
}

/// The child processes of every thread of `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// How long from a save to when calls reached the new code, and to when it printed.
pub fn save_to_new_code(sample: &HotfnSample) -> Duration {
    since(sample.save, sample.observed)
}

//! The measurements: a series of edits of a running program (hotfn or hot-lib-reloader), and a
//! series of bare builds.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::fixture::{self, App};
use crate::program::{Line, Program};

/// Time allowed for a program to start (its first build may compile dependencies).
const START: Duration = Duration::from_secs(900);
/// Time allowed for one reload.
const RELOAD: Duration = Duration::from_secs(180);
/// Quiet time after each reload, so that one edit's work never overlaps the next.
const PAUSE: Duration = Duration::from_millis(300);

/// One reload as the runtime reported it: a `timings …` line of the counter or the demo.
#[derive(Debug, Clone, Copy)]
pub struct Reload {
    /// The version it made.
    pub version: u64,
    /// When the runtime saw the change, after the debounce.
    pub detected: SystemTime,
    pub build: Duration,
    /// Whether the compiler built it alone, without cargo.
    pub rustc: bool,
    /// Linking the patch: reading the crate's objects, deciding what binds to the program,
    /// placing the patch and running rust-lld.
    pub link: Duration,
    /// The patch's file size; zero if no patch was linked.
    pub patch_bytes: u64,
    pub open: Duration,
    pub verify: Duration,
    pub bind: Duration,
    /// When calls started going to the new code.
    pub applied: SystemTime,
}

impl Reload {
    /// Reads `timings version=N detected_us=… build_us=… rustc=0|1 link_us=… patch_bytes=…
    /// open_us=… verify_us=… bind_us=… applied_us=…`.
    pub fn parse(line: &str) -> Option<Reload> {
        let fields = line.strip_prefix("timings ")?;
        let value = |key: &str| -> Option<u64> {
            fields
                .split(' ')
                .find_map(|field| field.strip_prefix(key)?.strip_prefix('='))?
                .parse()
                .ok()
        };
        let micros = |key: &str| value(key).map(Duration::from_micros);
        let at = |key: &str| Some(SystemTime::UNIX_EPOCH + micros(key).filter(|d| !d.is_zero())?);
        Some(Reload {
            version: value("version")?,
            detected: at("detected_us")?,
            build: micros("build_us")?,
            rustc: value("rustc") == Some(1),
            link: micros("link_us")?,
            patch_bytes: value("patch_bytes")?,
            open: micros("open_us")?,
            verify: micros("verify_us")?,
            bind: micros("bind_us")?,
            applied: at("applied_us")?,
        })
    }

    /// The runtime's own work once the patch is linked: open, verify and bind. (Placing the
    /// patch is part of the link.)
    pub fn framework(&self) -> Duration {
        self.open + self.verify + self.bind
    }

    /// How the new code was loaded: always a patch linked against the program (the runtime has
    /// no other way), recognised by the patch it reports.
    pub fn path(&self) -> &'static str {
        match self.patch_bytes {
            0 => "unknown",
            _ => "patch",
        }
    }
}

/// One edit of a hotfn program.
#[derive(Debug, Clone, Copy)]
pub struct HotfnSample {
    /// Right after the file was written.
    pub save: SystemTime,
    pub reload: Reload,
    /// When the benchmark read the first line printed by the new code.
    pub observed: SystemTime,
}

/// One edit of the hot-lib-reloader program.
#[derive(Debug, Clone, Copy)]
pub struct HlrSample {
    /// `cargo build` of the library, run by the benchmark right after the save.
    pub build: Duration,
    /// From the save to the first line printed by the new code.
    pub observed: Duration,
}

/// `b - a`, or zero if `b` is earlier (clocks are read on different threads).
pub fn since(a: SystemTime, b: SystemTime) -> Duration {
    b.duration_since(a).unwrap_or_default()
}

/// How a hotfn program shows it runs new code.
pub enum Observe {
    /// `marker N` with the edit's marker (the counter).
    Marker,
    /// A state line with ` v=N ` (the demo).
    Version,
}

impl Observe {
    fn matches(&self, line: &Line, edit: u64, version: u64) -> bool {
        line.stream == "out"
            && match self {
                Observe::Marker => line.text == format!("marker {}", fixture::marker(edit)),
                Observe::Version => line.text.contains(&format!(" v={version} ")),
            }
    }
}

/// Runs `cargo <args>` in `app` (a hotfn program with `--features hot`), waits until the runtime
/// watches, then makes `warmup` edits that are not recorded and `edits` that are, each waiting
/// for the reload's `timings` line and the first output of the new code.
pub fn hotfn_series(
    app: &mut App,
    label: &str,
    args: &[&str],
    observe: Observe,
    (warmup, edits): (usize, usize),
) -> Result<Vec<HotfnSample>, String> {
    eprintln!("reload: {label}: starting `cargo {}`", args.join(" "));
    let mut program = Program::spawn(app.cargo(args))?;
    program.wait_for("the runtime to watch", START, |line| {
        line.stream == "err" && line.text.starts_with("[hotfn] watching")
    })?;
    let mut samples = Vec::new();
    for version in 1..=(warmup + edits) as u64 {
        program.skip_seen();
        let (edit, save) = app.next_edit()?;
        let reload = program.wait_for(&format!("reload v{version}"), RELOAD, |line| {
            Reload::parse(&line.text).is_some_and(|r| r.version == version) || failed(line)
        })?;
        let Some(reload) = Reload::parse(&reload.text) else {
            // The runtime's account of why, not a timeout three minutes later.
            return Err(format!(
                "edit {version}: {}\n{}",
                reload.text,
                program.tail(20)
            ));
        };
        let observed = program.wait_for(&format!("new code of v{version}"), RELOAD, |line| {
            observe.matches(line, edit, version)
        })?;
        let sample = HotfnSample {
            save,
            reload,
            observed: observed.at,
        };
        let recorded = version as usize > warmup;
        eprintln!(
            "reload: {label}: edit {version}/{}{}: detected {} ms, build {} ms, link {:.1} ms \
             ({} KB {}), open+verify+bind {:.2} ms, save → new code {} ms",
            warmup + edits,
            if recorded { "" } else { " (warm-up)" },
            since(save, reload.detected).as_millis(),
            reload.build.as_millis(),
            reload.link.as_secs_f64() * 1e3,
            reload.patch_bytes / 1024,
            reload.path(),
            reload.framework().as_secs_f64() * 1e3,
            since(save, observed.at).as_millis()
        );
        if recorded {
            samples.push(sample);
        }
        std::thread::sleep(PAUSE);
    }
    program.stop();
    Ok(samples)
}

/// Whether the runtime said that an edit will not be reloaded: its build failed, or the patch
/// was refused or could not be loaded (`[hotfn] build of X failed …`, `[hotfn] reload of X
/// refused …`).
fn failed(line: &Line) -> bool {
    let Some(text) = line.text.strip_prefix("[hotfn] ") else {
        return false;
    };
    line.stream == "err"
        && ((text.starts_with("build of ")
            && [" failed", " could not start", " was interrupted"]
                .iter()
                .any(|what| text.contains(what)))
            || (text.starts_with("reload of ")
                && (text.contains(" refused") || text.contains(" failed"))))
}

/// The hot-lib-reloader program with `debounce_ms` as its file watch debounce: after each save,
/// the benchmark builds the library itself (`cargo build -p <library>`) and waits for the new
/// marker.
pub fn hlr_series(
    app: &mut App,
    label: &str,
    debounce_ms: u64,
    (warmup, edits): (usize, usize),
) -> Result<Vec<HlrSample>, String> {
    app.replace_line(
        "src/main.rs",
        "file_watch_debounce = ",
        &format!("    file_watch_debounce = {debounce_ms}"),
    )?;
    eprintln!("reload: {label}: building");
    app.run_cargo(&["build"])?;
    let mut program = Program::spawn(app.cargo(&["run"]))?;
    let current = fixture::marker(app.edit.last);
    program.wait_for("the first marker", START, |line| {
        line.text == format!("marker {current}")
    })?;
    // hot-lib-reloader's watcher starts with the first call; let it get there.
    std::thread::sleep(PAUSE);
    let package = app.package.clone();
    let mut samples = Vec::new();
    for i in 1..=warmup + edits {
        program.skip_seen();
        let (edit, save) = app.next_edit()?;
        let started = Instant::now();
        app.run_cargo(&["build", "-p", &package])?;
        let build = started.elapsed();
        let observed = program.wait_for(&format!("marker of edit {edit}"), RELOAD, |line| {
            line.text == format!("marker {}", fixture::marker(edit))
        })?;
        let sample = HlrSample {
            build,
            observed: since(save, observed.at),
        };
        let recorded = i > warmup;
        eprintln!(
            "reload: {label}: edit {i}/{}{}: cargo build {} ms, save → new code {} ms",
            warmup + edits,
            if recorded { "" } else { " (warm-up)" },
            build.as_millis(),
            sample.observed.as_millis()
        );
        if recorded {
            samples.push(sample);
        }
        std::thread::sleep(PAUSE);
    }
    program.stop();
    Ok(samples)
}

/// `warmup` and then `edits` edits of `app` with nothing running, each followed by a bare cdylib
/// build of the crate (see [`cdylib_build`]), timed from start to exit: the reference a reload
/// is compared with.
pub fn bare_cargo(
    app: &mut App,
    label: &str,
    (warmup, edits): (usize, usize),
) -> Result<Vec<Duration>, String> {
    let mut times = Vec::new();
    for i in 1..=warmup + edits {
        app.next_edit()?;
        let started = Instant::now();
        let output = cdylib_build(app)
            .output()
            .map_err(|error| format!("cannot run cargo: {error}"))?;
        let time = started.elapsed();
        if !output.status.success() {
            return Err(format!(
                "cargo rustc failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let recorded = i > warmup;
        eprintln!(
            "reload: {label}: bare cargo {i}/{}{}: {} ms",
            warmup + edits,
            if recorded { "" } else { " (warm-up)" },
            time.as_millis()
        );
        if recorded {
            times.push(time);
        }
        std::thread::sleep(PAUSE);
    }
    Ok(times)
}

/// `cargo rustc --lib --crate-type cdylib` of the crate as a program started with `cargo run
/// --features hot` was built (the `dev` profile, exactly the `hot` feature, its target
/// directory), without debug info in the library: what a reloader that loads a cdylib runs per
/// edit (hotfn did, before patches), so it is the reference a reload is measured against. A
/// cdylib links std and every dependency into a library of its own; a patch links only the
/// crate's objects, which is where a reload should gain on it.
fn cdylib_build(app: &App) -> Command {
    let mut command = app.cargo(&["rustc", "--lib", "--crate-type", "cdylib", "--quiet"]);
    command
        .arg("--manifest-path")
        .arg(app.dir().join("Cargo.toml"))
        .args(["--profile", "dev", "--target-dir"])
        .arg(app.target_dir())
        .args(["--message-format", "json", "--color", "never"])
        .args(["--no-default-features", "--features", "hot"])
        .args(["--", "-C", "strip=debuginfo"]);
    command
}

/// How the benchmarks run the demo: headless at 500 frames a second (a reload point every 2 ms),
/// printing each reload's timings.
pub const DEMO_ARGS: [&str; 8] = [
    "run",
    "--features",
    "hot",
    "--",
    "--headless",
    "--fps",
    "500",
    "--timings",
];

/// Whether this run measures (`cargo bench`), rather than checks (`cargo test --benches`, or a
/// listing of the tests).
pub fn benchmarking() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}

/// Checks the parser on a line as the programs print it (run by `cargo test --benches`).
pub fn check_parsing() {
    let line = "timings version=3 detected_us=1700000000000000 build_us=412000 rustc=1 \
                link_us=31000 patch_bytes=40960 open_us=250 verify_us=40 bind_us=5 \
                applied_us=1700000000413000";
    let reload = Reload::parse(line).expect("a timings line");
    assert_eq!(reload.version, 3);
    assert_eq!(reload.build, Duration::from_millis(412));
    assert!(reload.rustc);
    assert_eq!(reload.link, Duration::from_millis(31));
    assert_eq!((reload.patch_bytes, reload.path()), (40960, "patch"));
    assert_eq!(reload.framework(), Duration::from_micros(295));
    assert_eq!(
        since(reload.detected, reload.applied),
        Duration::from_millis(413)
    );
    assert!(Reload::parse("marker 1001").is_none());
    let unknown = line.replace("applied_us=1700000000413000", "applied_us=0");
    assert!(Reload::parse(&unknown).is_none());
}

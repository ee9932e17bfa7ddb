//! What reloads cost in memory: resident set and mapped libraries after every 50 of 200 reloads,
//! against the size of the library's code.
//!
//! Runs in a child process of its own (a fresh heap and no libraries loaded yet), which reloads
//! the built library with `__private::reload_library` and `HOTFN_COPY=1`, so that every reload
//! opens a new file, as a reload after an edit does. Linux only: it reads `/proc/self`.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{HOT_PACKAGE, reloaded};

/// Set for the child process: the library to reload.
const CHILD: &str = "HOTFN_BENCH_MEMORY_CHILD";
/// Reloads in all.
pub const RELOADS: usize = 200;
/// A line of figures after every this many reloads.
const EVERY: usize = 50;

/// The process after some reloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub reloads: usize,
    pub rss_kb: u64,
    /// Library files mapped from the runtime's copy directory.
    pub libraries: usize,
}

/// What the child measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    /// The first sample is before any reload.
    pub samples: Vec<Sample>,
    /// The library's executable mappings (its code), and everything it maps, in KB.
    pub code_kb: u64,
    pub mapped_kb: u64,
    /// The library's file (code, data and whatever debug info the profile keeps).
    pub file_kb: u64,
}

/// In the child process: the library to reload.
pub fn child_library() -> Option<std::path::PathBuf> {
    std::env::var_os(CHILD).map(std::path::PathBuf::from)
}

/// Runs the child and returns what it measured.
pub fn run(library: &Path) -> Result<Memory, String> {
    eprintln!("hotfn-bench: memory over {RELOADS} reloads ...");
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = Command::new(exe)
        .env(CHILD, library)
        .env("HOTFN_COPY", "1")
        .env("HOTFN_QUIET", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run the child process: {error}"))?;
    if !output.status.success() {
        return Err(format!("the child process failed: {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut memory = Memory {
        samples: Vec::new(),
        code_kb: 0,
        mapped_kb: 0,
        file_kb: std::fs::metadata(library).map_or(0, |m| m.len() / 1024),
    };
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["memory", reloads, rss_kb, libraries] => memory.samples.push(Sample {
                reloads: reloads.parse().map_err(|_| format!("bad line {line:?}"))?,
                rss_kb: rss_kb.parse().map_err(|_| format!("bad line {line:?}"))?,
                libraries: libraries
                    .parse()
                    .map_err(|_| format!("bad line {line:?}"))?,
            }),
            ["library", code_kb, mapped_kb] => {
                memory.code_kb = code_kb.parse().unwrap_or(0);
                memory.mapped_kb = mapped_kb.parse().unwrap_or(0);
            }
            _ => {}
        }
    }
    match memory.samples.len() {
        0 | 1 => Err("the child process measured nothing".to_owned()),
        _ => Ok(memory),
    }
}

/// Prints the samples and the growth per reload.
pub fn print(memory: &Memory) {
    println!(
        "Memory over {RELOADS} reloads of {HOT_PACKAGE} (release library: file {} KB, mapped {} \
         KB, of which code {} KB)",
        memory.file_kb, memory.mapped_kb, memory.code_kb
    );
    println!(
        "{:>10}{:>12}{:>12}{:>18}",
        "reloads", "RSS KB", "libraries", "RSS KB / reload"
    );
    let first = memory.samples[0];
    for sample in &memory.samples {
        let per_reload = match sample.reloads {
            0 => String::new(),
            n => format!(
                "{:.1}",
                (sample.rss_kb as f64 - first.rss_kb as f64) / n as f64
            ),
        };
        println!(
            "{:>10}{:>12}{:>12}{:>18}",
            sample.reloads, sample.rss_kb, sample.libraries, per_reload
        );
    }
    let last = memory.samples[memory.samples.len() - 1];
    if last.reloads > 0 && memory.code_kb > 0 {
        let per_reload = (last.rss_kb as f64 - first.rss_kb as f64) / last.reloads as f64;
        println!(
            "Growth: {per_reload:.1} KB of RSS per reload = {:.2}× the library's code; every \
             version stays mapped (old code may still run).",
            per_reload / memory.code_kb as f64
        );
    }
}

/// The child process: reloads, and prints a line after every [`EVERY`] reloads.
pub fn child(library: &Path) {
    // Starts the runtime, and lets it settle, before the first sample.
    assert_eq!(hotfn_bench_hot::mix(1), hotfn_bench_direct::mix(1));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sample = |reloads: usize| {
        println!("memory\t{reloads}\t{}\t{}", rss_kb(), libraries().len());
    };
    sample(0);
    for reload in 1..=RELOADS {
        if let Err(error) = reloaded::install(library) {
            eprintln!("hotfn-bench: reload {reload}: {error}");
            std::process::exit(1);
        }
        // Calls into the new version, so its code is paged in as a reload in use would be.
        std::hint::black_box(hotfn_bench_hot::mix(reload as u64));
        if reload % EVERY == 0 {
            sample(reload);
        }
    }
    if let Some(first) = libraries().first() {
        let (code, mapped) = mappings(first);
        println!("library\t{}\t{}", code / 1024, mapped / 1024);
    }
}

/// Resident set size, from `/proc/self/status`.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The mappings of `/proc/self/maps`: (start, end, permissions, path).
fn maps() -> Vec<(u64, u64, String, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (start, end) = fields.next()?.split_once('-')?;
            let permissions = fields.next()?.to_owned();
            let path = fields.nth(3)?.to_owned();
            let start = u64::from_str_radix(start, 16).ok()?;
            let end = u64::from_str_radix(end, 16).ok()?;
            Some((start, end, permissions, path))
        })
        .collect()
}

/// Distinct library files mapped from this process's copy directory.
fn libraries() -> Vec<String> {
    let marker = format!("/hotfn-{}-", std::process::id());
    let mut paths: Vec<String> = maps()
        .into_iter()
        .map(|(_, _, _, path)| path)
        .filter(|path| path.contains(&marker))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// Bytes of `library` mapped executable, and mapped in all.
fn mappings(library: &str) -> (u64, u64) {
    maps()
        .into_iter()
        .filter(|(_, _, _, path)| path == library)
        .fold((0, 0), |(code, all), (start, end, permissions, _)| {
            let size = end - start;
            match permissions.contains('x') {
                true => (code + size, all + size),
                false => (code, all + size),
            }
        })
}

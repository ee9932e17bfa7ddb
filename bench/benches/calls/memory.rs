//! What reloads cost in memory: resident set and mapped patches after every 50 of 200 reloads,
//! against the size a patch maps.
//!
//! Runs in a child process of its own (a fresh heap, no patch loaded yet), which reloads the
//! built variant with `__private::reload_from`: every reload links and maps a new patch, as a
//! reload after an edit does, and every patch stays mapped for the life of the process (old code
//! may still run). The first reload is not counted: it reads the program's symbols, once per
//! process, which is not a cost of each reload. Linux only: it reads `/proc/self`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{HOT_PACKAGE, quick, reloaded};

/// Set for the child process: the rlib to reload from.
const CHILD: &str = "HOTFN_BENCH_MEMORY_CHILD";
/// Reloads counted, and a line of figures after every this many ([`quick`]: fewer).
fn reloads() -> (usize, usize) {
    match quick() {
        true => (20, 5),
        false => (200, 50),
    }
}

/// The process after some reloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Counted reloads (after the first).
    pub reloads: usize,
    pub rss_kb: u64,
    /// Patches mapped from the runtime's private directory.
    pub patches: usize,
    /// What they map in all.
    pub mapped_kb: u64,
}

/// What the child measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    /// Before any reload.
    pub start_kb: u64,
    /// The first sample is right after the first reload.
    pub samples: Vec<Sample>,
    /// A patch, on average: its file, what it maps, and of that what is executable (its code).
    pub file_kb: u64,
    pub mapped_kb: u64,
    pub code_kb: u64,
}

impl Memory {
    /// Growth of the resident set per counted reload, in KB.
    pub fn growth_kb(&self) -> Option<f64> {
        let (first, last) = (self.samples.first()?, self.samples.last()?);
        (last.reloads > first.reloads).then(|| {
            (last.rss_kb as f64 - first.rss_kb as f64) / (last.reloads - first.reloads) as f64
        })
    }
}

/// In the child process: the rlib to reload from.
pub fn child_rlib() -> Option<PathBuf> {
    std::env::var_os(CHILD).map(PathBuf::from)
}

/// Runs the child and returns what it measured.
pub fn run(rlib: &Path) -> Result<Memory, String> {
    eprintln!("hotfn-bench: memory over {} reloads ...", reloads().0);
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = Command::new(exe)
        .env(CHILD, rlib)
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
        start_kb: 0,
        samples: Vec::new(),
        file_kb: 0,
        mapped_kb: 0,
        code_kb: 0,
    };
    let number = |field: &str| -> Result<u64, String> {
        field
            .parse()
            .map_err(|_| format!("bad figure {field:?} from the child process"))
    };
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["start", rss_kb] => memory.start_kb = number(rss_kb)?,
            ["memory", reloads, rss_kb, patches, mapped_kb] => memory.samples.push(Sample {
                reloads: number(reloads)? as usize,
                rss_kb: number(rss_kb)?,
                patches: number(patches)? as usize,
                mapped_kb: number(mapped_kb)?,
            }),
            ["patch", file_kb, mapped_kb, code_kb] => {
                memory.file_kb = number(file_kb)?;
                memory.mapped_kb = number(mapped_kb)?;
                memory.code_kb = number(code_kb)?;
            }
            _ => {}
        }
    }
    match memory.samples.len() {
        0 | 1 => Err("the child process measured nothing".to_owned()),
        _ => Ok(memory),
    }
}

/// The largest growth of the resident set per reload that meets the target, in patches' mapped
/// size: a reload should cost what its patch maps, plus little bookkeeping.
const TARGET: f64 = 1.5;

/// Prints the samples, the growth per reload and the target.
pub fn print(memory: &Memory) {
    println!(
        "Memory over {} reloads of {HOT_PACKAGE} (release patch: file {} KB, mapped {} KB, of \
         which code {} KB)",
        reloads().0,
        memory.file_kb,
        memory.mapped_kb,
        memory.code_kb
    );
    let first = memory.samples[0];
    println!(
        "Before any reload: RSS {} KB; the first reload, not counted (it reads the program's \
         symbols once), adds {} KB",
        memory.start_kb,
        first.rss_kb as i64 - memory.start_kb as i64
    );
    println!(
        "{:>10}{:>12}{:>10}{:>18}{:>18}",
        "reloads", "RSS KB", "patches", "patches map KB", "RSS KB / reload"
    );
    for sample in &memory.samples {
        let per_reload = match sample.reloads - first.reloads {
            0 => String::new(),
            n => format!(
                "{:.1}",
                (sample.rss_kb as f64 - first.rss_kb as f64) / n as f64
            ),
        };
        println!(
            "{:>10}{:>12}{:>10}{:>18}{:>18}",
            sample.reloads, sample.rss_kb, sample.patches, sample.mapped_kb, per_reload
        );
    }
    let Some(growth) = memory.growth_kb() else {
        return;
    };
    println!(
        "Growth: {growth:.1} KB of RSS per reload; every patch stays mapped (old code may still \
         run)."
    );
    println!();
    println!("Target:");
    let verdict = match memory.mapped_kb {
        0 => "not measured (no patch mapped)".to_owned(),
        mapped => {
            let ratio = growth / mapped as f64;
            let met = if ratio <= TARGET { "met" } else { "NOT MET" };
            format!("{ratio:.2}   {met}")
        }
    };
    println!(
        "  {:52}{verdict}",
        format!("RSS growth per reload / patch mapped <= {TARGET}")
    );
}

/// The child process: reloads, and prints a line after every so many reloads.
pub fn child(rlib: &Path) {
    // Starts the runtime, and lets it settle, before the first figure.
    assert_eq!(hotfn_bench_hot::mix(1), hotfn_bench_direct::mix(1));
    std::thread::sleep(std::time::Duration::from_millis(300));
    println!("start\t{}", rss_kb());
    let (reloads, every) = reloads();
    let sample = |reloads: usize| {
        let patches = patches();
        let mapped: u64 = patches.values().map(|(_, all)| all).sum();
        println!(
            "memory\t{reloads}\t{}\t{}\t{}",
            rss_kb(),
            patches.len(),
            mapped / 1024
        );
    };
    for reload in 0..=reloads {
        if let Err(error) = reloaded::install(rlib) {
            eprintln!("hotfn-bench: reload {reload}: {error}");
            std::process::exit(1);
        }
        // Calls into the new version, so its code is paged in as a reload in use would be.
        std::hint::black_box(hotfn_bench_hot::mix(reload as u64));
        if reload % every == 0 {
            sample(reload);
        }
    }
    let patches = patches();
    let count = patches.len().max(1) as u64;
    let (file, mapped, code) =
        patches
            .iter()
            .fold((0, 0, 0), |(f, m, c), (path, (code, mapped))| {
                let file = std::fs::metadata(path).map_or(0, |m| m.len());
                (f + file, m + mapped, c + code)
            });
    println!(
        "patch\t{}\t{}\t{}",
        file / count / 1024,
        mapped / count / 1024,
        code / count / 1024
    );
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

/// Every patch mapped from this process's private directory
/// (`<target>/hotfn/hotfn-<pid>-XXXX/<crate>.<n>.so`), from `/proc/self/maps`: by path, its bytes
/// mapped executable (its code) and mapped in all.
fn patches() -> BTreeMap<String, (u64, u64)> {
    let marker = format!("/hotfn-{}-", std::process::id());
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut patches = BTreeMap::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(permissions), Some(path)) =
            (fields.next(), fields.next(), fields.nth(3))
        else {
            continue;
        };
        if !(path.contains(&marker) && path.ends_with(".so")) {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            continue;
        };
        let (code, all) = patches.entry(path.to_owned()).or_insert((0, 0));
        *all += end - start;
        if permissions.contains('x') {
            *code += end - start;
        }
    }
    patches
}

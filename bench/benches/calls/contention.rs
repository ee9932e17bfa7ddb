//! Latency of single calls made from several threads at once, alone and while another thread
//! reloads in a loop.
//!
//! The reloading thread installs the built variant again and again with
//! `__private::reload_from`: each time the runtime links a new patch from its objects (rust-lld
//! runs beside the calling threads), loads, verifies and binds it, and leaves the slots pointing
//! at new code addresses, as a reload after an edit does (only the compiler is left out).
//!
//! Runs in a child process of the benchmark: every reload leaves a patch mapped for the life of
//! the process and prints a `[hotfn] reloaded` line, and neither should reach the criterion
//! measurements or the terminal. The child prints one line per measurement on stdout.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{quick, reloaded};

/// Set for the child process: the rlib to reload from.
const CHILD: &str = "HOTFN_BENCH_LATENCY_CHILD";
/// Threads that call at once.
pub const THREADS: usize = 4;
/// At most this many reloads per measurement: each patch stays mapped until the process exits.
const MAX_RELOADS: usize = 400;

/// How long each thread calls, per measurement ([`quick`]: shorter).
fn duration() -> Duration {
    match quick() {
        true => Duration::from_millis(500),
        false => Duration::from_secs(2),
    }
}
/// Histogram resolution: 1 ns buckets; the last one holds everything slower.
const BUCKETS: usize = 20_000;

/// One measurement: percentiles of single-call times, in nanoseconds, over every thread.
#[derive(Debug, Clone, PartialEq)]
pub struct Latency {
    pub what: String,
    pub p50: usize,
    pub p99: usize,
    pub p999: usize,
    pub p9999: usize,
    pub calls: u64,
    /// Reloads done while the calls ran.
    pub reloads: usize,
}

/// In the child process: the rlib to reload from.
pub fn child_rlib() -> Option<PathBuf> {
    std::env::var_os(CHILD).map(PathBuf::from)
}

/// Runs the measurements in a child process and returns them. `[hotfn] reloaded` lines are
/// counted, not shown; anything else the child prints on stderr is passed on.
pub fn run(rlib: &Path) -> Result<Vec<Latency>, String> {
    eprintln!(
        "hotfn-bench: latency of single calls from {THREADS} threads, {:.1} s per row ...",
        duration().as_secs_f64()
    );
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = Command::new(exe)
        .env(CHILD, rlib)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run the child process: {error}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut reload_lines = 0;
    for line in stderr.lines() {
        match line.contains("[hotfn] reloaded") {
            true => reload_lines += 1,
            false => eprintln!("{line}"),
        }
    }
    if !output.status.success() {
        return Err(format!("the child process failed: {}", output.status));
    }
    let latencies: Vec<Latency> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(parse)
        .collect();
    let reloads: usize = latencies.iter().map(|l| l.reloads).sum::<usize>() + 1;
    if reloads != reload_lines {
        eprintln!("hotfn-bench: {reloads} reloads done, {reload_lines} reported by the runtime");
    }
    Ok(latencies)
}

/// Prints the measurements as a table.
pub fn print(latencies: &[Latency]) {
    println!(
        "Latency of one call of mix, timed call by call from {THREADS} threads at once (ns; the \
         two clock reads are in every figure: see the first row)"
    );
    println!(
        "{:40}{:>8}{:>8}{:>8}{:>9}{:>13}{:>9}",
        "", "p50", "p99", "p99.9", "p99.99", "calls", "reloads"
    );
    for l in latencies {
        println!(
            "{:40}{:>8}{:>8}{:>8}{:>9}{:>13}{:>9}",
            l.what, l.p50, l.p99, l.p999, l.p9999, l.calls, l.reloads
        );
    }
}

/// The child process.
pub fn child(rlib: &Path) {
    let report = |latency: Latency| {
        let Latency {
            what,
            p50,
            p99,
            p999,
            p9999,
            calls,
            reloads,
        } = latency;
        println!("latency\t{what}\t{p50}\t{p99}\t{p999}\t{p9999}\t{calls}\t{reloads}");
    };
    // Starts the runtime before anything is measured.
    assert_eq!(hotfn_bench_hot::origin(), "program");
    std::thread::sleep(Duration::from_millis(300));
    report(measure("clock reads only", |x| x, None));
    report(measure("direct call", hotfn_bench_direct::mix, None));
    report(measure("#[hot], hot mode", hotfn_bench_hot::mix, None));
    if let Err(error) = reloaded::install(rlib) {
        eprintln!("hotfn-bench: {error}");
        std::process::exit(1);
    }
    report(measure(
        "#[hot], after a reload",
        hotfn_bench_hot::mix,
        None,
    ));
    report(measure(
        "#[hot], while another thread reloads",
        hotfn_bench_hot::mix,
        Some(rlib),
    ));
}

/// Calls `f` from [`THREADS`] threads for [`duration`], timing every call; meanwhile, if given an
/// rlib, another thread reloads from it back to back.
fn measure(what: &str, f: impl Fn(u64) -> u64 + Sync, reload: Option<&Path>) -> Latency {
    let start = Barrier::new(THREADS + 1 + usize::from(reload.is_some()));
    let done = AtomicBool::new(false);
    let (histogram, reloads) = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (f, start) = (&f, &start);
                scope.spawn(move || {
                    start.wait();
                    call_loop(f, thread as u64)
                })
            })
            .collect();
        let reloader = reload.map(|rlib| {
            let (start, done) = (&start, &done);
            scope.spawn(move || {
                start.wait();
                let mut reloads = 0;
                while !done.load(Ordering::Relaxed) && reloads < MAX_RELOADS {
                    hotfn_runtime::__private::reload_from(reloaded::CRATE, rlib)
                        .unwrap_or_else(|error| panic!("reload failed: {error}"));
                    reloads += 1;
                }
                reloads
            })
        });
        start.wait();
        let mut histogram = vec![0u64; BUCKETS];
        for caller in callers {
            let counts = caller.join().expect("a calling thread panicked");
            histogram
                .iter_mut()
                .zip(counts)
                .for_each(|(sum, n)| *sum += n);
        }
        done.store(true, Ordering::Relaxed);
        let reloads = reloader.map_or(0, |r| r.join().expect("the reloading thread panicked"));
        (histogram, reloads)
    });
    let calls = histogram.iter().sum();
    let percentile = |q: f64| {
        let rank = (q * calls as f64).ceil() as u64;
        let mut seen = 0;
        histogram
            .iter()
            .position(|&n| {
                seen += n;
                seen >= rank
            })
            .unwrap_or(BUCKETS - 1)
    };
    Latency {
        what: what.to_owned(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        p999: percentile(0.999),
        p9999: percentile(0.9999),
        calls,
        reloads,
    }
}

/// One thread's calls: a histogram of single-call times, 1 ns per bucket.
fn call_loop(f: &impl Fn(u64) -> u64, seed: u64) -> Vec<u64> {
    let mut histogram = vec![0u64; BUCKETS];
    let mut x = seed;
    let deadline = Instant::now() + duration();
    while Instant::now() < deadline {
        for _ in 0..1000 {
            let started = Instant::now();
            x = black_box(f(black_box(x)));
            let nanos = started.elapsed().as_nanos() as usize;
            histogram[nanos.min(BUCKETS - 1)] += 1;
        }
    }
    histogram
}

fn parse(line: &str) -> Option<Latency> {
    let mut fields = line.strip_prefix("latency\t")?.split('\t');
    let mut next = || fields.next();
    Some(Latency {
        what: next()?.to_owned(),
        p50: next()?.parse().ok()?,
        p99: next()?.parse().ok()?,
        p999: next()?.parse().ok()?,
        p9999: next()?.parse().ok()?,
        calls: next()?.parse().ok()?,
        reloads: next()?.parse().ok()?,
    })
}

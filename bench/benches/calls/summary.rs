//! The table at the end: criterion's estimates from this run, as ns per call and ratios.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{FUNCTIONS, SHAPE_VARIANTS, SHAPES, VARIANTS};

/// Where criterion writes its results.
pub fn criterion_dir(target: &Path) -> PathBuf {
    target.join("criterion")
}

/// Criterion's estimate of one benchmark: ns per call, and its 95% confidence interval.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub ns: f64,
    pub low: f64,
    pub high: f64,
}

/// Estimates by (function, variant).
pub type Calls = HashMap<(&'static str, &'static str), Estimate>;

/// Reads the estimates criterion wrote since `since`: results of earlier runs are left out.
pub fn read(dir: &Path, since: SystemTime) -> Calls {
    let mut calls = Calls::new();
    for &(function, _) in FUNCTIONS.iter().chain(&SHAPES) {
        for (variant, _) in VARIANTS {
            let path = dir.join(function).join(variant).join("new/estimates.json");
            let fresh = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= since);
            if !fresh {
                continue;
            }
            let estimate = std::fs::read(&path)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .and_then(|json| estimate(&json));
            if let Some(estimate) = estimate {
                calls.insert((function, variant), estimate);
            }
        }
    }
    calls
}

/// The figure criterion prints as "time": the slope of the linear fit when it sampled linearly,
/// the mean otherwise.
fn estimate(json: &serde_json::Value) -> Option<Estimate> {
    let statistic = match &json["slope"] {
        serde_json::Value::Null => &json["mean"],
        slope => slope,
    };
    let interval = &statistic["confidence_interval"];
    Some(Estimate {
        ns: statistic["point_estimate"].as_f64()?,
        low: interval["lower_bound"].as_f64()?,
        high: interval["upper_bound"].as_f64()?,
    })
}

/// Run-to-run spread of one benchmark on the idle development machine: two runs of the same code
/// differ by up to this much, far more than criterion's intervals within one run suggest.
const NOISE: f64 = 0.02;

/// Nanoseconds per call of `function` through `variant`, if measured.
fn ns(calls: &Calls, function: &'static str, variant: &'static str) -> Option<f64> {
    calls.get(&(function, variant)).map(|e| e.ns)
}

/// The same, as a multiple of the direct call's.
fn ratio(calls: &Calls, function: &'static str, variant: &'static str) -> Option<f64> {
    Some(ns(calls, function, variant)? / ns(calls, function, "direct")?)
}

/// Prints the call-overhead table and how it compares with the targets.
pub fn print(calls: &Calls) {
    let ns = |function, variant| ns(calls, function, variant);
    let ratio = |function, variant| ratio(calls, function, variant);
    // What a variant adds to a call: its time minus the direct call's.
    let overhead = |function, variant| Some(ns(function, variant)? - ns(function, "direct")?);

    println!("Call overhead: ns per call (criterion's estimate) and ratio to the direct call");
    table(calls, &FUNCTIONS, &VARIANTS);

    println!();
    println!("Targets, per function (mix, sum, step); overhead = ns per call - direct call's:");
    let each = |value: &dyn Fn(&'static str) -> Option<f64>| FUNCTIONS.map(|(f, _)| value(f));
    let hot = each(&|f| ratio(f, "hot"));
    target("hot mode / direct <= 1.2", hot, |r| r <= 1.2);
    let reloaded = each(&|f| ratio(f, "hot-reloaded"));
    target("after a reload / direct <= 1.2", reloaded, |r| r <= 1.2);
    let per_hlr = |variant| {
        each(&|f| Some(overhead(f, variant)?.max(0.0) / overhead(f, "hot-lib-reloader")?))
    };
    let text = "hot mode / hot-lib-reloader, overhead <= 0.03";
    target(text, per_hlr("hot"), |r| r <= 0.03);
    let text = "after a reload / hot-lib-reloader, overhead <= 0.03";
    target(text, per_hlr("hot-reloaded"), |r| r <= 0.03);
    let off = each(&|f| ratio(f, "no-feature"));
    target("feature off / direct = 1.00 within 2%", off, |r| {
        (r - 1.0).abs() <= NOISE
    });
}

/// Prints the table of the other shapes `#[hot]` takes, against their plain versions.
pub fn print_shapes(calls: &Calls) {
    println!(
        "Shapes: ns per call (criterion's estimate) and ratio to the plain version called \
         directly; the async fn's future is made and polled once, which completes it"
    );
    table(calls, &SHAPES, &SHAPE_VARIANTS);
    println!(
        "In hot mode a hot async fn boxes its future: one allocation per call, freed when the \
         future is dropped."
    );
}

/// A table of `functions` (columns) called through `variants` (rows): ns per call and ratio to
/// the direct call, then which of them were measured while something else ran.
fn table(calls: &Calls, functions: &[(&'static str, &str)], variants: &[(&'static str, &str)]) {
    print!("{:34}", "");
    for (_, title) in functions {
        print!("{title:>24}");
    }
    println!();
    for &(variant, title) in variants {
        print!("{title:34}");
        for &(function, _) in functions {
            let cell = match (
                ns(calls, function, variant),
                ratio(calls, function, variant),
            ) {
                (Some(ns), Some(ratio)) => format!("{ns:.2} ns {ratio:>6.2}x"),
                (Some(ns), None) => format!("{ns:.2} ns"),
                _ => "not run".to_owned(),
            };
            print!("{cell:>24}");
        }
        println!();
    }

    // On an idle machine every interval is well within NOISE; a wider one means something else
    // ran meanwhile.
    let disturbed: Vec<String> = functions
        .iter()
        .flat_map(|&(f, _)| variants.iter().map(move |&(v, _)| (f, v)))
        .filter(|key| {
            calls
                .get(key)
                .is_some_and(|e| e.high - e.low > NOISE * e.ns)
        })
        .map(|(f, v)| format!("{f}/{v}"))
        .collect();
    if !disturbed.is_empty() {
        println!(
            "Disturbed (95% interval wider than {:.0}%; rerun on an idle machine): {}",
            NOISE * 100.0,
            disturbed.join(", ")
        );
    }
}

/// One line of targets: the value for each function, and whether all of them meet the target.
fn target(text: &str, values: [Option<f64>; 3], met: impl Fn(f64) -> bool) {
    let cells: String = values
        .iter()
        .map(|v| v.map_or_else(|| format!("{:>8}", "-"), |v| format!("{v:>8.3}")))
        .collect();
    let verdict = match values.iter().copied().collect::<Option<Vec<f64>>>() {
        Some(values) if values.iter().all(|&v| met(v)) => "met",
        Some(_) => "NOT MET",
        None => "not measured",
    };
    println!("  {text:52}{cells}   {verdict}");
}

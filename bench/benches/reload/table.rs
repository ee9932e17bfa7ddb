//! The report: one Markdown table of every series (p50 / p90 / min / max, in milliseconds unless
//! a row says otherwise), then the targets, each met or not.

use std::time::Duration;

/// Percentiles of a series (of milliseconds, or of the unit its row names).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub p50: f64,
    pub p90: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// Nearest-rank percentiles of `samples`, in milliseconds; `None` if there are none.
    pub fn of(samples: impl IntoIterator<Item = Duration>) -> Option<Stats> {
        Stats::of_values(samples.into_iter().map(|d| d.as_secs_f64() * 1e3))
    }

    /// Nearest-rank percentiles of `values`; `None` if there are none.
    pub fn of_values(values: impl IntoIterator<Item = f64>) -> Option<Stats> {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let rank = |p: f64| values[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        (n > 0).then(|| Stats {
            p50: rank(0.5),
            p90: rank(0.9),
            min: values[0],
            max: values[n - 1],
        })
    }
}

/// Rows of the table, grouped under headings.
#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

enum Row {
    Heading(String),
    Stats(String, Stats),
    /// A row that has no figures: what could not be measured and why, or a count.
    Text(String, String),
}

impl Table {
    /// Starts a group of rows.
    pub fn heading(&mut self, text: impl Into<String>) {
        self.rows.push(Row::Heading(text.into()));
    }

    /// A row of durations, in milliseconds.
    pub fn row(&mut self, name: impl Into<String>, samples: impl IntoIterator<Item = Duration>) {
        self.stats(name.into(), Stats::of(samples));
    }

    /// A row of sizes in bytes, shown in KB (the name should say so).
    pub fn sizes(&mut self, name: impl Into<String>, bytes: impl IntoIterator<Item = u64>) {
        self.stats(
            name.into(),
            Stats::of_values(bytes.into_iter().map(|b| b as f64 / 1024.0)),
        );
    }

    fn stats(&mut self, name: String, stats: Option<Stats>) {
        self.rows.push(match stats {
            Some(stats) => Row::Stats(name, stats),
            None => Row::Text(name, "no samples".into()),
        });
    }

    /// A row that could not be measured, and why.
    pub fn missing(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.text(name, why);
    }

    /// A row of text in place of figures.
    pub fn text(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.rows.push(Row::Text(name.into(), text.into()));
    }

    /// Prints the table as Markdown.
    pub fn print(&self) {
        println!("| ms | p50 | p90 | min | max |");
        println!("|---|---:|---:|---:|---:|");
        for row in &self.rows {
            match row {
                Row::Heading(text) => println!("| **{text}** | | | | |"),
                Row::Stats(name, s) => println!(
                    "| {name} | {} | {} | {} | {} |",
                    ms(s.p50),
                    ms(s.p90),
                    ms(s.min),
                    ms(s.max)
                ),
                Row::Text(name, text) => println!("| {name} | {text} | | | |"),
            }
        }
    }
}

/// `412`, `12.3` or `0.41`: three significant digits at most, at least the integer part.
fn ms(value: f64) -> String {
    match value {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

/// One target.
pub struct Target {
    /// What is compared, e.g. `demo: open + verify + bind, p50`.
    pub what: String,
    /// The measured value (a time in ms, or a ratio).
    pub value: Option<f64>,
    /// The largest value that meets the target.
    pub limit: f64,
    /// `ms` or `×`.
    pub unit: &'static str,
}

/// Prints each target as a Markdown list item with its value, its limit and whether it is met.
pub fn print_targets(targets: &[Target]) {
    for target in targets {
        let verdict = match target.value {
            Some(value) => format!(
                "{} {} (target ≤ {} {}): **{}**",
                ms(value),
                target.unit,
                target.limit,
                target.unit,
                if value <= target.limit {
                    "met"
                } else {
                    "not met"
                }
            ),
            None => "not measured".to_owned(),
        };
        println!("- {}: {verdict}", target.what);
    }
}

/// Checks the percentiles (run by `cargo test --benches`).
pub fn check_stats() {
    let samples = (1..=20).map(Duration::from_millis);
    let stats = Stats::of(samples).expect("samples");
    assert_eq!(
        stats,
        Stats {
            p50: 10.0,
            p90: 18.0,
            min: 1.0,
            max: 20.0
        }
    );
    assert_eq!(Stats::of([]), None);
    assert_eq!(ms(412.4), "412");
    assert_eq!(ms(0.412), "0.41");
}

//! The terminal's last line: the version running, what went wrong since the last reload, and
//! the last reload's timings, from the runtime's events.

use std::time::Duration;

use hotfn_runtime::Event;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

/// What hotfn did lately, for the status line.
#[derive(Default)]
pub struct Status {
    watching: bool,
    /// The last reload: what built it (`cargo`, or `rustc` alone), build and load times.
    reload: Option<(&'static str, Duration, Duration)>,
    /// The last failure (build error, refused reload, panic…), until the next reload.
    problem: Option<String>,
    /// Why reloading is off.
    off: Option<String>,
}

impl Status {
    pub fn record(&mut self, event: &Event) {
        match event {
            Event::Watching { .. } => self.watching = true,
            Event::Reloaded {
                build,
                load,
                timings,
                ..
            } => {
                let tool = if timings.direct_rustc {
                    "rustc"
                } else {
                    "cargo"
                };
                self.reload = Some((tool, *build, *load));
                self.problem = None;
            }
            Event::BuildFailed { diagnostics, .. } => {
                let error = diagnostics.iter().find_map(|d| first_error(d));
                self.problem = Some(error.unwrap_or_else(|| first_line(event)));
            }
            Event::Refused { changes, .. } => {
                let change = changes.first().map_or_else(String::new, |c| {
                    c.lines().map(str::trim).collect::<Vec<_>>().join(" ")
                });
                self.problem = Some(format!(
                    "reload refused, restart to use it or undo: {change}"
                ));
            }
            Event::Panicked {
                function,
                version,
                message,
                rolled_back_to,
                ..
            } => {
                self.problem = Some(format!(
                    "panic in {function} v{version}, back to v{rolled_back_to}: {message}"
                ));
            }
            Event::Disabled { reason } => self.off = Some(reason.clone()),
            Event::Pending { .. } => {}
            other => self.problem = Some(first_line(other)),
        }
    }

    /// One line: the version running, then what went wrong (if anything did since the last
    /// reload), then the last reload's timings.
    pub fn line(&self) -> Line<'static> {
        let label = Style::new().fg(Color::Black).bg(Color::Rgb(255, 200, 60));
        let dim = Style::new().fg(Color::Gray);
        if !cfg!(feature = "hot") {
            return Line::from(vec![
                Span::styled(" static build ", label),
                Span::styled(
                    " rules compiled in; `cargo run -p demo --features hot` to edit them while you play",
                    dim,
                ),
            ]);
        }
        if let Some(off) = &self.off {
            return Line::from(vec![
                Span::styled(" hotfn off ", label),
                Span::styled(format!(" {off}"), Style::new().fg(Color::Yellow)),
            ]);
        }
        let mut spans = vec![Span::styled(
            format!(" hotfn v{} ", hotfn_runtime::version()),
            label,
        )];
        if let Some(problem) = &self.problem {
            spans.push(Span::styled(
                format!(" ✗ {problem} "),
                Style::new().fg(Color::LightRed),
            ));
        }
        spans.push(match (self.reload, self.watching) {
            (Some((tool, build, load)), _) => Span::styled(
                format!(
                    " reloaded in {} ({tool} {}, load {})",
                    millis(build + load),
                    millis(build),
                    millis(load)
                ),
                Style::new().fg(Color::Green),
            ),
            (None, true) => {
                Span::styled(" watching: edit demo/src/rules.rs or draw.rs and save", dim)
            }
            (None, false) => Span::styled(" starting…", dim),
        });
        Line::from(spans)
    }
}

/// `src/rules.rs:12:5: error[E0308]: mismatched types` from a rendered compiler message: the
/// place first, so that it survives when the status line is cut to the terminal's width.
fn first_error(diagnostic: &str) -> Option<String> {
    let mut lines = diagnostic.lines();
    let error = lines.next().filter(|l| l.starts_with("error"))?;
    let at = lines.find_map(|l| l.trim_start().strip_prefix("--> "));
    Some(match at {
        Some(at) => format!("{at}: {error}"),
        None => error.to_owned(),
    })
}

fn first_line(event: &Event) -> String {
    event
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `312 ms`, or `4.2 ms` under 10 ms.
fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_compiler_error_and_its_place() {
        let rendered =
            "error[E0308]: mismatched types\n  --> src/rules.rs:12:5\n   |\n12 |     1u8\n";
        assert_eq!(
            first_error(rendered).as_deref(),
            Some("src/rules.rs:12:5: error[E0308]: mismatched types")
        );
        assert_eq!(
            first_error("warning: unused variable\n --> src/a.rs:1:1"),
            None
        );
    }

    #[test]
    fn the_status_line_says_what_went_wrong_until_the_next_reload() {
        let mut status = Status::default();
        let text = |status: &Status| status.line().to_string();
        status.record(&Event::Watching {
            package: "demo".into(),
            functions: 9,
            dir: "demo".into(),
        });
        if !cfg!(feature = "hot") {
            assert!(text(&status).contains("static build"), "{}", text(&status));
            return;
        }
        assert!(text(&status).contains("watching"), "{}", text(&status));
        status.record(&Event::BuildFailed {
            package: "demo".into(),
            reason: "failed after 1 s".into(),
            diagnostics: vec![
                "warning: unused\n --> src/draw.rs:1:1".into(),
                "error[E0308]: mismatched types\n --> src/rules.rs:3:1".into(),
            ],
        });
        assert!(
            text(&status).contains("✗ src/rules.rs:3:1: error[E0308]: mismatched types"),
            "{}",
            text(&status)
        );
        status.record(&Event::Reloaded {
            package: "demo".into(),
            version: 1,
            functions: 9,
            added: vec![],
            missing: vec![],
            warnings: vec![],
            states: vec![],
            build: Duration::from_millis(400),
            load: Duration::from_millis(12),
            timings: {
                let mut timings = hotfn_runtime::Timings::default();
                timings.direct_rustc = true;
                timings
            },
        });
        assert!(
            text(&status).ends_with(" reloaded in 412 ms (rustc 400 ms, load 12 ms)"),
            "{}",
            text(&status)
        );
        assert!(!text(&status).contains('✗'), "{}", text(&status));
        status.record(&Event::Refused {
            package: "demo".into(),
            changes: vec!["demo::rules::step\n  signature: (f32) → (f64)".into()],
            advice: "Restart it to use the change.".into(),
        });
        assert!(
            text(&status).contains(
                "✗ reload refused, restart to use it or undo: demo::rules::step signature: (f32) → (f64)"
            ),
            "{}",
            text(&status)
        );
        status.record(&Event::Panicked {
            function: "demo::rules::points".into(),
            package: "demo".into(),
            version: 2,
            message: "boom (at src/rules.rs:9:9)".into(),
            rolled_back_to: 1,
            completed: true,
        });
        assert!(
            text(&status).contains("✗ panic in demo::rules::points v2, back to v1: boom"),
            "{}",
            text(&status)
        );
    }
}

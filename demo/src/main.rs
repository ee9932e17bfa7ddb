//! Asteroids in the terminal, whose rules and drawing reload while you play.
//!
//! `cargo run -p demo --features hot`, then edit `demo/src/rules.rs` or `demo/src/draw.rs` and
//! save. This program owns the game's state and the loop: 30 steps a second, keys in, a frame
//! out, and hotfn's status on the last line.
//!
//! `--headless` plays with the autopilot and prints one line of state per step instead of
//! drawing (for tests): `--frames N` stops after N steps, `--seed S` picks the game, `--fps F`
//! paces the steps (0: as fast as possible; the game itself is the same at any pace), and
//! `--timings` adds one `timings …` line per reload on stderr with each step's time (for the
//! reload benchmark, `cargo bench -p hotfn-bench --bench reload`).

use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use demo::world::{Controls, TICKS_PER_SECOND, UNITS_PER_ROW, World};
use demo::{draw, rules};
use hotfn_runtime::{Config, Event, Swap, Timings};
use ratatui::crossterm::event::{self, Event as Input, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

/// The field of headless games, in cells: a 100 × 30 terminal without the status line.
const HEADLESS: (u16, u16) = (100, 29);

const USAGE: &str = "usage: demo [--headless] [--frames N] [--seed S] [--fps F] [--timings]";

struct Options {
    headless: bool,
    frames: Option<u64>,
    seed: u64,
    fps: f64,
    timings: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        headless: false,
        frames: None,
        seed: 7,
        fps: f64::from(TICKS_PER_SECOND),
        timings: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--headless" => options.headless = true,
            "--frames" => options.frames = Some(number(&arg, &value(&arg)?)?),
            "--seed" => options.seed = number(&arg, &value(&arg)?)?,
            "--fps" => {
                options.fps = number(&arg, &value(&arg)?)?;
                if !options.fps.is_finite() || options.fps < 0.0 {
                    return Err("--fps needs a number of steps per second, or 0".into());
                }
            }
            "--timings" => options.timings = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// `value` as the number `name` needs.
fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name} needs a number, not {value:?}"))
}

fn main() {
    let options = options().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2);
    });
    let result = if options.headless {
        headless(&options)
    } else {
        play(&options)
    };
    if let Err(error) = result {
        eprintln!("demo: {error}");
        std::process::exit(1);
    }
}

/// The duration of one step of the game.
const DT: f32 = 1.0 / TICKS_PER_SECOND as f32;

/// Plays with the autopilot, printing one line of state per step.
fn headless(options: &Options) -> std::io::Result<()> {
    // New code takes over between two steps, never in the middle of one.
    Config::new().swap(Swap::AtReloadPoint).apply();
    if options.timings {
        hotfn_runtime::on_event(|event| {
            if let Event::Reloaded {
                version, timings, ..
            } = event
            {
                eprintln!("{}", timings_line(*version, timings));
            }
        });
    }
    let (width, height) = field_size(HEADLESS.0, HEADLESS.1);
    let mut world = rules::new_game(width, height, options.seed);
    world.autopilot = true;
    let pace = (options.fps > 0.0).then(|| Duration::from_secs_f64(1.0 / options.fps));
    let mut next = Instant::now();
    let mut out = std::io::stdout().lock();
    while options.frames.is_none_or(|n| world.frame < n) {
        hotfn_runtime::reload_point();
        let controls = rules::autopilot(&world);
        rules::step(&mut world, controls, DT);
        writeln!(out, "{}", state_line(&world))?;
        out.flush()?;
        if let Some(pace) = pace {
            next += pace;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }
    Ok(())
}

/// One line of state: `frame=… v=… score=… lives=… wave=… ship=x,y,heading shots=… rocks=[id:x,y,vx,vy …]`.
fn state_line(world: &World) -> String {
    let ship = &world.ship;
    let rocks: Vec<String> = world
        .rocks
        .iter()
        .map(|r| format!("{}:{:.2},{:.2},{:.3},{:.3}", r.id, r.x, r.y, r.vx, r.vy))
        .collect();
    format!(
        "frame={} v={} score={} lives={} wave={} ship={:.2},{:.2},{:.2} shots={} rocks=[{}]",
        world.frame,
        hotfn_runtime::version(),
        world.score,
        world.lives,
        world.wave,
        ship.x,
        ship.y,
        ship.heading,
        world.shots.len(),
        rocks.join(" ")
    )
}

/// `timings version=N detected_us=… build_us=… rustc=0|1 link_us=… patch_bytes=… open_us=… verify_us=…
/// bind_us=… applied_us=…`: durations in microseconds, points in time in microseconds since the
/// Unix epoch (0 if unknown); `rustc=1` for a build by the compiler alone.
fn timings_line(version: u64, t: &Timings) -> String {
    let at = |time: Option<SystemTime>| {
        time.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_micros())
    };
    format!(
        "timings version={version} detected_us={} build_us={} rustc={} link_us={} patch_bytes={} open_us={} \
         verify_us={} bind_us={} applied_us={}",
        at(t.detected),
        t.build.as_micros(),
        u8::from(t.direct_rustc),
        t.link.as_micros(),
        t.patch_bytes,
        t.open.as_micros(),
        t.verify.as_micros(),
        t.bind.as_micros(),
        at(t.applied)
    )
}

/// The field's size in units for a field of `columns` × `rows` cells.
fn field_size(columns: u16, rows: u16) -> (f32, f32) {
    (
        f32::from(columns.max(1)),
        f32::from(rows.max(1)) * UNITS_PER_ROW,
    )
}

/// Plays in the terminal.
fn play(options: &Options) -> std::io::Result<()> {
    let status = Arc::new(Mutex::new(Status::default()));
    let events = Arc::clone(&status);
    hotfn_runtime::on_event(move |event| {
        events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(event);
    });
    // Reports go to the status line instead of scribbling over the screen, and new code takes
    // over between two frames.
    Config::new().quiet(true).swap(Swap::AtReloadPoint).apply();
    let mut terminal = ratatui::try_init()?;
    let result = game_loop(&mut terminal, options, &status);
    drop(terminal);
    ratatui::restore();
    result
}

fn game_loop(
    terminal: &mut ratatui::DefaultTerminal,
    options: &Options,
    status: &Mutex<Status>,
) -> std::io::Result<()> {
    let field =
        |area: Rect| Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let [area, _] = field(terminal.size()?.into());
    let (width, height) = field_size(area.width, area.height);
    let mut world = rules::new_game(width, height, options.seed);
    let mut seed = options.seed;
    let tick = Duration::from_secs(1) / TICKS_PER_SECOND;
    let mut next = Instant::now();
    let mut keys = Controls::default();
    loop {
        // Keys until it is time for the next step.
        while let Some(wait) = next.checked_duration_since(Instant::now()) {
            if !event::poll(wait)? {
                break;
            }
            let Input::Key(key) = event::read()? else {
                continue;
            };
            if key.kind == KeyEventKind::Release {
                continue;
            }
            match key.code {
                KeyCode::Left => keys.turn -= 1,
                KeyCode::Right => keys.turn += 1,
                KeyCode::Up => keys.thrust += 1,
                KeyCode::Char(' ') => keys.fire += 1,
                KeyCode::Char('a') => world.autopilot = !world.autopilot,
                KeyCode::Char('p') => world.paused = !world.paused,
                KeyCode::Char('r') => {
                    seed += 1;
                    let autopilot = world.autopilot;
                    world = rules::new_game(world.width, world.height, seed);
                    world.autopilot = autopilot;
                }
                KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Ok(());
                }
                _ => {}
            }
        }
        next += tick;
        // After a stop (a suspended process, a slow terminal), go on from now instead of racing.
        if Instant::now() > next + tick * 5 {
            next = Instant::now() + tick;
        }

        hotfn_runtime::reload_point();
        let [area, bar] = field(terminal.size()?.into());
        (world.width, world.height) = field_size(area.width, area.height);
        if !world.paused {
            let controls = if world.autopilot {
                rules::autopilot(&world)
            } else {
                keys
            };
            rules::step(&mut world, controls, DT);
        }
        keys = Controls::default();
        let line = status.lock().unwrap_or_else(PoisonError::into_inner).line();
        terminal.draw(|frame| {
            draw::draw(&world, area, frame.buffer_mut());
            frame.render_widget(line, bar);
        })?;
    }
}

/// What hotfn did lately, for the status line.
#[derive(Default)]
struct Status {
    watching: bool,
    /// The last reload: what built it (`cargo`, or `rustc` alone), build and load times.
    reload: Option<(&'static str, Duration, Duration)>,
    /// The last failure (build error, refused reload, panic…), until the next reload.
    problem: Option<String>,
    /// Why reloading is off.
    off: Option<String>,
}

impl Status {
    fn record(&mut self, event: &Event) {
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
    fn line(&self) -> Line<'static> {
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

//! The terminal loop: keys in, 30 steps a second, a frame out with hotfn's status on the last
//! line.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use demo::world::{Controls, DT, TICKS_PER_SECOND, field_size};
use demo::{draw, rules};
use hotfn_runtime::{Config, Swap};
use ratatui::crossterm::event::{self, Event as Input, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};

use crate::options::Options;
use crate::status::Status;

/// Plays in the terminal.
pub fn run(options: &Options) -> std::io::Result<()> {
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

//! Bouncing balls in the terminal. `--headless --frames N` prints one line of state per frame
//! instead of drawing (for tests); `--seed S` picks the random start.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use demo::rules;
use demo::world::World;

const WIDTH: usize = 60;
const HEIGHT: usize = 18;
const FPS: u32 = 30;

struct Options {
    headless: bool,
    frames: Option<u64>,
    seed: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        headless: false,
        frames: None,
        seed: 7,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--headless" => options.headless = true,
            "--frames" => options.frames = Some(number("--frames")?),
            "--seed" => options.seed = number("--seed")?,
            "--help" | "-h" => {
                return Err("usage: demo [--headless] [--frames N] [--seed S]".into());
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(options)
}

fn main() {
    let options = options().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2);
    });
    let mut world = World::new(WIDTH as f32, HEIGHT as f32, options.seed);
    let frame_time = Duration::from_secs(1) / FPS;
    let dt = 1.0 / FPS as f32;
    let mut out = std::io::stdout();
    if !options.headless {
        // Clear the screen once; every frame then redraws in place.
        let _ = write!(out, "\x1b[2J");
    }
    let mut next = Instant::now();
    while options.frames.is_none_or(|n| world.frame < n) {
        rules::step(&mut world, dt);
        let text = if options.headless {
            state_line(&world)
        } else {
            draw(&world)
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        next += frame_time;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// One line of state, for tests and logs.
fn state_line(world: &World) -> String {
    let mut line = format!(
        "frame={} bounces={} status=[{}]",
        world.frame,
        world.bounces,
        rules::status(world)
    );
    for (i, ball) in world.balls.iter().enumerate() {
        let (r, g, b) = rules::color(ball, world.frame);
        let _ = write!(
            line,
            " b{i}={:.1},{:.1},{}#{r:02x}{g:02x}{b:02x}",
            ball.x,
            ball.y,
            rules::glyph(ball)
        );
    }
    line.push('\n');
    line
}

/// The whole screen: a frame around the field, the balls in colour, and the status line.
fn draw(world: &World) -> String {
    let mut cells = vec![vec![None; WIDTH]; HEIGHT];
    for ball in &world.balls {
        let (x, y) = (ball.x.round() as usize, ball.y.round() as usize);
        if let Some(cell) = cells.get_mut(y).and_then(|row| row.get_mut(x)) {
            *cell = Some((rules::glyph(ball), rules::color(ball, world.frame)));
        }
    }
    let mut screen = String::from("\x1b[H");
    let border = "─".repeat(WIDTH);
    let _ = writeln!(screen, "┌{border}┐");
    for row in cells {
        screen.push('│');
        for cell in row {
            match cell {
                Some((glyph, (r, g, b))) => {
                    let _ = write!(screen, "\x1b[38;2;{r};{g};{b}m{glyph}\x1b[0m");
                }
                None => screen.push(' '),
            }
        }
        screen.push_str("│\n");
    }
    let _ = writeln!(screen, "└{border}┘");
    let _ = writeln!(
        screen,
        "{:<width$}",
        rules::status(world),
        width = WIDTH + 2
    );
    let _ = writeln!(screen, "edit demo/src/rules.rs and save · Ctrl-C quits");
    screen
}

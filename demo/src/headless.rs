//! The headless loop: the autopilot plays, and every step prints one line of state (and, with
//! `--timings`, every reload one line of timings) for tests and benchmarks to read.

use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime};

use demo::rules;
use demo::world::{DT, World, field_size};
use hotfn_runtime::{Config, Event, Swap, Timings};

use crate::options::Options;

/// The field of headless games, in cells: a 100 × 30 terminal without the status line.
const HEADLESS: (u16, u16) = (100, 29);

/// Plays with the autopilot, printing one line of state per step.
pub fn run(options: &Options) -> std::io::Result<()> {
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

//! The rules of the demo. Every function here is `#[hot]`: edit one while the demo runs, save,
//! and the balls follow the new rule within a moment, without losing their place.
//!
//! Constants are compiled into the functions that use them, so changing one reloads too.

use hotfn_runtime::hot;

use crate::world::{Ball, World};

/// Downward acceleration, in cells per second². Try `-20.0`.
pub const GRAVITY: f32 = 40.0;
/// Share of speed a ball keeps when it hits a wall. Try `1.1` (careful).
pub const BOUNCE: f32 = 0.9;
/// How many balls the field holds.
pub const BALLS: usize = 6;
/// What a ball looks like. Try `'@'`.
pub const GLYPH: char = '●';

/// Advances the world by `dt` seconds.
#[hot]
pub fn step(world: &mut World, dt: f32) {
    while world.balls.len() < BALLS {
        let ball = spawn(world);
        world.balls.push(ball);
    }
    let (width, height) = (world.width - 1.0, world.height - 1.0);
    let mut bounces = 0;
    for ball in &mut world.balls {
        ball.vy += GRAVITY * dt;
        ball.x += ball.vx * dt;
        ball.y += ball.vy * dt;
        if ball.x < 0.0 || ball.x > width {
            ball.x = ball.x.clamp(0.0, width);
            ball.vx = -ball.vx * BOUNCE;
        }
        if ball.y < 0.0 {
            ball.y = 0.0;
            ball.vy = -ball.vy * BOUNCE;
        }
        if ball.y > height {
            ball.y = height;
            ball.vy = -ball.vy.abs() * BOUNCE;
            bounces += 1;
        }
    }
    // A ball that came to rest gets a kick, so the show goes on.
    for ball in &mut world.balls {
        if ball.y >= height - 0.5 && ball.vy.abs() < 4.0 {
            ball.vy = -30.0;
        }
    }
    world.bounces += bounces;
    world.frame += 1;
}

/// A new ball at the top, moving sideways.
#[hot]
pub fn spawn(world: &mut World) -> Ball {
    let x = world.random() * (world.width - 1.0);
    let y = world.random() * world.height / 2.0;
    let vx = (world.random() - 0.5) * 40.0;
    let vy = (world.random() - 0.5) * 20.0;
    let hue = world.random();
    Ball { x, y, vx, vy, hue }
}

/// The colour of a ball, as red, green, blue. Try `(255, 80, 0)`.
#[hot]
pub fn color(ball: &Ball, frame: u64) -> (u8, u8, u8) {
    let t = ball.hue * std::f32::consts::TAU + frame as f32 * 0.02;
    let channel = |phase: f32| (128.0 + 127.0 * (t + phase).sin()) as u8;
    (channel(0.0), channel(2.1), channel(4.2))
}

/// The character drawn for a ball.
#[hot]
pub fn glyph(_ball: &Ball) -> char {
    GLYPH
}

/// The line under the field. Try adding `world.balls.len()`.
#[hot]
pub fn status(world: &World) -> String {
    format!("frame {} · {} bounces", world.frame, world.bounces)
}

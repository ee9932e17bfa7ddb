//! The rules of the game. Every `pub fn` here is `#[hot]`: edit one (or a constant) while the game
//! runs, save, and the next frame plays by the new rule, with the same rocks, score and ship.
//!
//! Constants are compiled into the functions that use them, so changing one reloads too.

use std::f32::consts::{PI, TAU};
use std::sync::atomic::{AtomicU64, Ordering};

use hotfn_runtime::hot;

use crate::world::{Controls, Rock, Shot, Spark, World};

/// Pull towards the bottom of the screen on everything, in units per second². Try `30.0`.
pub const GRAVITY: f32 = 0.0;
/// Speed one press of ↑ adds, in units per second. Try `30.0`.
pub const THRUST: f32 = 9.0;
/// Share of the ship's speed lost per second. Try `0.0`: flying on ice.
pub const DRAG: f32 = 0.6;
/// The ship's top speed, in units per second.
pub const MAX_SPEED: f32 = 60.0;
/// Turn per press of ← or →, in radians: a sixteenth of a circle.
pub const TURN: f32 = TAU / 16.0;
/// Bullet speed, in units per second.
pub const SHOT_SPEED: f32 = 70.0;
/// How long a bullet flies, in seconds.
pub const SHOT_LIFE: f32 = 0.9;
/// Bullets per press of space. Try `7`: a fan of bullets.
pub const VOLLEY: usize = 1;
/// At most this many volleys in flight: presses beyond it fire nothing.
pub const MAX_SHOTS: usize = 5;
/// Pieces a hit rock breaks into. Try `5`.
pub const PIECES: usize = 2;
/// Speed of the rocks of the first wave, in units per second.
pub const ROCK_SPEED: f32 = 7.0;
/// Ships per game.
pub const LIVES: u32 = 3;
/// How close (in units) a rock's edge may come to the ship's centre.
pub const SHIP_RADIUS: f32 = 1.0;

/// The best score of this run of the program. Host-owned state: it is kept across reloads and
/// across games, and reset only by restarting the program.
#[hot]
pub static BEST: AtomicU64 = AtomicU64::new(0);

/// A new game on a field of `width` × `height` units. `seed` decides everything random.
#[hot]
pub fn new_game(width: f32, height: f32, seed: u64) -> World {
    let mut world = World::new(width, height, LIVES, seed);
    new_wave(&mut world);
    world
}

/// Advances the game by `dt` seconds, with the keys pressed since the last step.
#[hot]
pub fn step(world: &mut World, controls: Controls, dt: f32) {
    if world.rocks.is_empty() {
        new_wave(world);
    }
    fly(world, controls, dt);
    if world.ship.alive {
        for _ in 0..controls.fire {
            fire(world);
        }
    }
    drift(world, dt);
    shoot_rocks(world);
    crash(world);
    BEST.fetch_max(world.score, Ordering::Relaxed);
    world.frame += 1;
}

/// Starts the next wave: more rocks, faster, away from the ship.
#[hot]
pub fn new_wave(world: &mut World) {
    world.wave += 1;
    let count = 3 + world.wave as usize;
    let speed = ROCK_SPEED * (1.0 + 0.15 * world.wave as f32);
    for _ in 0..count {
        let mut x = world.random() * world.width;
        let y = world.random() * world.height;
        // Not on top of the ship: move it to the other half of the field.
        let (dx, dy) = world.delta(world.ship.x, world.ship.y, x, y);
        if dx.hypot(dy) < world.width / 4.0 {
            x = (x + world.width / 2.0) % world.width;
        }
        let angle = world.random() * TAU;
        let speed = speed * (0.5 + world.random());
        let rock = Rock {
            id: world.next_id,
            x,
            y,
            vx: angle.sin() * speed,
            vy: -angle.cos() * speed,
            size: 3,
        };
        world.next_id += 1;
        world.rocks.push(rock);
    }
}

/// The smaller rocks a hit rock breaks into.
#[hot]
pub fn split(world: &mut World, rock: &Rock) {
    if rock.size <= 1 {
        return;
    }
    for _ in 0..PIECES {
        let angle = world.random() * TAU;
        let speed = ROCK_SPEED * (1.0 + world.random());
        let piece = Rock {
            id: world.next_id,
            x: rock.x,
            y: rock.y,
            vx: rock.vx * 0.6 + angle.sin() * speed,
            vy: rock.vy * 0.6 - angle.cos() * speed,
            size: rock.size - 1,
        };
        world.next_id += 1;
        world.rocks.push(piece);
    }
}

/// Points for shooting a rock of `size`. Try `1000`.
#[hot]
pub fn points(size: u8) -> u64 {
    match size {
        3 => 20,
        2 => 50,
        _ => 100,
    }
}

/// A rock's radius, in units, by size.
#[hot]
pub fn radius(size: u8) -> f32 {
    match size {
        3 => 5.0,
        2 => 3.0,
        _ => 1.6,
    }
}

/// What the autopilot presses this step: turn towards the nearest rock, aiming where it will be,
/// and fire when lined up. `a` in the game switches it on and off.
#[hot]
pub fn autopilot(world: &World) -> Controls {
    let ship = &world.ship;
    let nearest = world
        .rocks
        .iter()
        .map(|rock| {
            let (dx, dy) = world.delta(ship.x, ship.y, rock.x, rock.y);
            (dx.hypot(dy), dx, dy, rock)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((distance, dx, dy, rock)) = nearest else {
        return Controls::default();
    };
    if !ship.alive {
        return Controls::default();
    }
    let flight = distance / SHOT_SPEED;
    let (aim_x, aim_y) = (dx + rock.vx * flight, dy + rock.vy * flight);
    let off = angle_between(ship.heading, aim_x.atan2(-aim_y));
    Controls {
        turn: if off > TURN / 2.0 {
            1
        } else if off < -TURN / 2.0 {
            -1
        } else {
            0
        },
        thrust: u32::from(distance > world.width / 3.0 && world.frame.is_multiple_of(20)),
        fire: u32::from(off.abs() < TURN && world.frame.is_multiple_of(4)),
    }
}

/// From heading `from` to heading `to`, the short way round, in `-PI..PI`.
fn angle_between(from: f32, to: f32) -> f32 {
    (to - from + PI).rem_euclid(TAU) - PI
}

/// Turns, pushes and moves the ship, or brings it back after a crash.
fn fly(world: &mut World, controls: Controls, dt: f32) {
    let (width, height) = (world.width, world.height);
    let ship = &mut world.ship;
    if !ship.alive {
        ship.respawn -= dt;
        if ship.respawn <= 0.0 && world.lives > 0 {
            ship.alive = true;
            (ship.x, ship.y, ship.vx, ship.vy) = (width / 2.0, height / 2.0, 0.0, 0.0);
            ship.heading = 0.0;
            ship.shield = 3.0;
        }
        return;
    }
    ship.heading = (ship.heading + controls.turn as f32 * TURN).rem_euclid(TAU);
    if controls.thrust > 0 {
        let push = THRUST * controls.thrust as f32;
        ship.vx += ship.heading.sin() * push;
        ship.vy -= ship.heading.cos() * push;
        ship.flame = 0.2;
    }
    ship.vy += GRAVITY * dt;
    let keep = (1.0 - DRAG).clamp(0.0, 1.0).powf(dt);
    (ship.vx, ship.vy) = (ship.vx * keep, ship.vy * keep);
    let speed = ship.vx.hypot(ship.vy);
    if speed > MAX_SPEED {
        (ship.vx, ship.vy) = (ship.vx / speed * MAX_SPEED, ship.vy / speed * MAX_SPEED);
    }
    ship.x += ship.vx * dt;
    ship.y += ship.vy * dt;
    ship.shield = (ship.shield - dt).max(0.0);
    ship.flame = (ship.flame - dt).max(0.0);
    let (mut x, mut y) = (ship.x, ship.y);
    world.wrap(&mut x, &mut y);
    (world.ship.x, world.ship.y) = (x, y);
    if world.ship.flame > 0.0 {
        let (x, y) = (world.ship.x, world.ship.y);
        let heading = world.ship.heading;
        let (vx, vy) = (-heading.sin() * 20.0, heading.cos() * 20.0);
        world.sparks.push(Spark {
            x: x - heading.sin() * 1.5,
            y: y + heading.cos() * 1.5,
            vx,
            vy,
            life: 0.25,
            max_life: 0.25,
        });
    }
}

/// One volley from the ship's nose, if fewer than [`MAX_SHOTS`] volleys fly.
fn fire(world: &mut World) {
    if world.shots.len() >= MAX_SHOTS * VOLLEY {
        return;
    }
    let ship = &world.ship;
    for i in 0..VOLLEY {
        let heading = ship.heading + (i as f32 - (VOLLEY - 1) as f32 / 2.0) * 0.12;
        let (sin, cos) = heading.sin_cos();
        world.shots.push(Shot {
            x: ship.x + sin * 1.5,
            y: ship.y - cos * 1.5,
            vx: ship.vx + sin * SHOT_SPEED,
            vy: ship.vy - cos * SHOT_SPEED,
            life: SHOT_LIFE,
        });
    }
}

/// Moves rocks, bullets and sparks; ages bullets and sparks.
fn drift(world: &mut World, dt: f32) {
    let (width, height) = (world.width, world.height);
    let fly = |x: &mut f32, y: &mut f32, vx: f32, vy: &mut f32| {
        *vy += GRAVITY * dt;
        *x = (*x + vx * dt).rem_euclid(width);
        *y = (*y + *vy * dt).rem_euclid(height);
    };
    for rock in &mut world.rocks {
        fly(&mut rock.x, &mut rock.y, rock.vx, &mut rock.vy);
    }
    for shot in &mut world.shots {
        fly(&mut shot.x, &mut shot.y, shot.vx, &mut shot.vy);
        shot.life -= dt;
    }
    world.shots.retain(|shot| shot.life > 0.0);
    for spark in &mut world.sparks {
        fly(&mut spark.x, &mut spark.y, spark.vx, &mut spark.vy);
        spark.life -= dt;
    }
    world.sparks.retain(|spark| spark.life > 0.0);
}

/// Bullets that hit a rock break it and score.
fn shoot_rocks(world: &mut World) {
    let mut i = 0;
    while i < world.shots.len() {
        let (x, y) = (world.shots[i].x, world.shots[i].y);
        let hit = world.rocks.iter().position(|rock| {
            let (dx, dy) = world.delta(x, y, rock.x, rock.y);
            dx.hypot(dy) < radius(rock.size)
        });
        match hit {
            Some(hit) => {
                world.shots.swap_remove(i);
                let rock = world.rocks.swap_remove(hit);
                world.score += points(rock.size);
                explode(world, rock.x, rock.y, 6 * rock.size as usize);
                split(world, &rock);
            }
            None => i += 1,
        }
    }
}

/// The ship hits a rock (unless shielded): both break.
fn crash(world: &mut World) {
    let ship = &world.ship;
    if !ship.alive || ship.shield > 0.0 {
        return;
    }
    let hit = world.rocks.iter().position(|rock| {
        let (dx, dy) = world.delta(ship.x, ship.y, rock.x, rock.y);
        dx.hypot(dy) < radius(rock.size) + SHIP_RADIUS
    });
    if let Some(hit) = hit {
        let rock = world.rocks.swap_remove(hit);
        let (x, y) = (world.ship.x, world.ship.y);
        world.ship.alive = false;
        world.ship.respawn = 2.0;
        world.lives = world.lives.saturating_sub(1);
        explode(world, x, y, 40);
        split(world, &rock);
    }
}

/// `count` sparks flying out of `(x, y)`.
fn explode(world: &mut World, x: f32, y: f32, count: usize) {
    for _ in 0..count {
        let angle = world.random() * TAU;
        let speed = 5.0 + world.random() * 25.0;
        let life = 0.3 + world.random() * 0.6;
        world.sparks.push(Spark {
            x,
            y,
            vx: angle.sin() * speed,
            vy: -angle.cos() * speed,
            life,
            max_life: life,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::TICKS_PER_SECOND;

    const DT: f32 = 1.0 / TICKS_PER_SECOND as f32;

    fn play(seed: u64, steps: usize) -> World {
        let mut world = new_game(100.0, 56.0, seed);
        world.autopilot = true;
        for _ in 0..steps {
            let controls = autopilot(&world);
            step(&mut world, controls, DT);
        }
        world
    }

    #[test]
    fn a_seed_always_plays_the_same_game() {
        assert_eq!(play(5, 300), play(5, 300));
        assert_ne!(play(5, 300), play(6, 300));
    }

    #[test]
    fn the_autopilot_scores_and_the_best_score_follows() {
        let world = play(1, 900);
        assert!(world.score > 0, "{world:#?}");
        assert!(BEST.load(Ordering::Relaxed) >= world.score);
    }

    #[test]
    fn a_shot_rock_scores_and_breaks_into_pieces() {
        let mut world = new_game(100.0, 56.0, 1);
        world.rocks.truncate(1);
        let rock = world.rocks[0].clone();
        world.shots.push(Shot {
            x: rock.x,
            y: rock.y,
            vx: 0.0,
            vy: 0.0,
            life: 1.0,
        });
        shoot_rocks(&mut world);
        assert_eq!(world.score, points(3));
        assert!(world.shots.is_empty());
        assert_eq!(world.rocks.len(), PIECES);
        assert!(world.rocks.iter().all(|r| r.size == 2 && r.id > rock.id));
    }

    #[test]
    fn a_crash_costs_a_ship_and_the_next_one_comes_shielded() {
        let mut world = new_game(100.0, 56.0, 1);
        world.rocks.truncate(1);
        (world.rocks[0].x, world.rocks[0].y) = (world.ship.x, world.ship.y);
        (world.rocks[0].vx, world.rocks[0].vy) = (0.0, 0.0);
        step(&mut world, Controls::default(), DT);
        assert!(!world.ship.alive);
        assert_eq!(world.lives, LIVES - 1);
        for _ in 0..TICKS_PER_SECOND * 3 {
            step(&mut world, Controls::default(), DT);
        }
        assert!(world.ship.alive);
        assert!(world.ship.shield > 0.0);
    }

    #[test]
    fn the_last_crash_ends_the_game() {
        let mut world = new_game(100.0, 56.0, 1);
        world.lives = 1;
        world.ship.x = world.rocks[0].x;
        world.ship.y = world.rocks[0].y;
        step(&mut world, Controls::default(), DT);
        assert!(world.over());
    }

    #[test]
    fn keys_turn_push_and_fire() {
        let mut world = new_game(100.0, 56.0, 1);
        world.rocks.clear();
        world.rocks.push(Rock {
            id: 99,
            x: 0.0,
            y: 0.0,
            vx: 0.0,
            vy: 0.0,
            size: 1,
        });
        let press = Controls {
            turn: 4,
            thrust: 1,
            fire: 1,
        };
        step(&mut world, press, DT);
        assert!(
            (world.ship.heading - PI / 2.0).abs() < 1e-5,
            "a quarter turn"
        );
        assert!(world.ship.vx > 0.0, "pushed to the right");
        assert_eq!(world.shots.len(), VOLLEY);
        assert!(world.shots[0].vx > SHOT_SPEED / 2.0, "fired to the right");
    }
}

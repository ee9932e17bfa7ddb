//! The state of the game. It lives in the host program (`main` owns the [`World`]), so it survives
//! every reload: an edit changes what happens next, never what already happened.
//!
//! Distances are in *units*: one unit is the width of a terminal cell, and a cell is two units
//! tall, so that circles look round on screen.
//!
//! Changing a field of these types changes their layout, which reloaded code cannot share with
//! the running program: hotfn refuses such a reload (it fingerprints every type a `#[hot]`
//! signature reaches, through fields too); restart the game to use the change.

/// Simulation steps per second. Every step advances the game by `1 / TICKS_PER_SECOND` seconds,
/// whatever the speed at which frames are shown, so a seed always plays the same game.
pub const TICKS_PER_SECOND: u32 = 30;

/// Units per terminal row (a cell is about twice as tall as it is wide).
pub const UNITS_PER_ROW: f32 = 2.0;

/// The duration of one step of the game, in seconds.
pub const DT: f32 = 1.0 / TICKS_PER_SECOND as f32;

/// The field's size in units for a field of `columns` × `rows` cells.
pub fn field_size(columns: u16, rows: u16) -> (f32, f32) {
    (
        f32::from(columns.max(1)),
        f32::from(rows.max(1)) * UNITS_PER_ROW,
    )
}

/// What the player (or the autopilot) asks for during one step: key presses since the last one.
///
/// Terminals report key presses and their auto-repeats, not how long a key is held, so each
/// press is one step of turning, one push of thrust, one volley of shots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Controls {
    /// Turn steps: negative is anticlockwise (←), positive clockwise (→).
    pub turn: i32,
    /// Pushes of thrust (↑).
    pub thrust: u32,
    /// Volleys fired (space).
    pub fire: u32,
}

/// The player's ship.
#[derive(Debug, Clone, PartialEq)]
pub struct Ship {
    /// Position, in units from the top-left corner.
    pub x: f32,
    /// Position, in units from the top-left corner (down is positive).
    pub y: f32,
    /// Velocity, in units per second.
    pub vx: f32,
    /// Velocity, in units per second.
    pub vy: f32,
    /// Where the nose points, in radians: 0 is up, clockwise is positive.
    pub heading: f32,
    /// Whether the ship is in play (false between a crash and its respawn).
    pub alive: bool,
    /// Seconds until the ship comes back after a crash.
    pub respawn: f32,
    /// Seconds of invulnerability left (after a respawn).
    pub shield: f32,
    /// Seconds the engine flame stays visible (after thrust).
    pub flame: f32,
}

/// An asteroid.
#[derive(Debug, Clone, PartialEq)]
pub struct Rock {
    /// Unique within a game: tests follow a rock from frame to frame by it.
    pub id: u64,
    /// Position, in units.
    pub x: f32,
    /// Position, in units.
    pub y: f32,
    /// Velocity, in units per second.
    pub vx: f32,
    /// Velocity, in units per second.
    pub vy: f32,
    /// 3 is big, 1 is the smallest; a hit rock splits into smaller ones.
    pub size: u8,
}

/// A bullet.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    /// Position, in units.
    pub x: f32,
    /// Position, in units.
    pub y: f32,
    /// Velocity, in units per second.
    pub vx: f32,
    /// Velocity, in units per second.
    pub vy: f32,
    /// Seconds until it fades.
    pub life: f32,
}

/// A particle of an explosion or of the engine's flame: only for show.
#[derive(Debug, Clone, PartialEq)]
pub struct Spark {
    /// Position, in units.
    pub x: f32,
    /// Position, in units.
    pub y: f32,
    /// Velocity, in units per second.
    pub vx: f32,
    /// Velocity, in units per second.
    pub vy: f32,
    /// Seconds until it fades.
    pub life: f32,
    /// Seconds it lived when new.
    pub max_life: f32,
}

/// Everything in the game.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Width of the field, in units (terminal columns).
    pub width: f32,
    /// Height of the field, in units (two per terminal row).
    pub height: f32,
    /// The player.
    pub ship: Ship,
    /// The asteroids.
    pub rocks: Vec<Rock>,
    /// The bullets in flight.
    pub shots: Vec<Shot>,
    /// Particles.
    pub sparks: Vec<Spark>,
    /// Points so far.
    pub score: u64,
    /// Ships left, counting the one in play.
    pub lives: u32,
    /// The wave being played, from 1.
    pub wave: u32,
    /// Steps simulated so far.
    pub frame: u64,
    /// Whether the autopilot flies the ship.
    pub autopilot: bool,
    /// Whether the game is paused (set by the program; drawn by the rules).
    pub paused: bool,
    /// The id of the next rock.
    pub next_id: u64,
    /// State of the game's random number generator (xorshift).
    pub rng: u64,
}

impl World {
    /// An empty field of `width` × `height` units with the ship in the middle, `lives` ships and
    /// a deterministic random `seed`. The rules fill it (see `rules::new_game`).
    pub fn new(width: f32, height: f32, lives: u32, seed: u64) -> World {
        World {
            width,
            height,
            ship: Ship {
                x: width / 2.0,
                y: height / 2.0,
                vx: 0.0,
                vy: 0.0,
                heading: 0.0,
                alive: true,
                respawn: 0.0,
                shield: 0.0,
                flame: 0.0,
            },
            rocks: Vec::new(),
            shots: Vec::new(),
            sparks: Vec::new(),
            score: 0,
            lives,
            wave: 0,
            frame: 0,
            autopilot: false,
            paused: false,
            next_id: 0,
            // Mixed so that nearby seeds start far apart; xorshift needs a state that is not 0.
            rng: (seed ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0x2545_f491_4f6c_dd1d) | 1,
        }
    }

    /// A random number in `0.0..1.0`.
    pub fn random(&mut self) -> f32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Whether the last ship is gone.
    pub fn over(&self) -> bool {
        self.lives == 0 && !self.ship.alive
    }

    /// The shortest way from `(x, y)` to `(to_x, to_y)` on the field, whose edges wrap around.
    pub fn delta(&self, x: f32, y: f32, to_x: f32, to_y: f32) -> (f32, f32) {
        (
            wrapped(to_x - x, self.width),
            wrapped(to_y - y, self.height),
        )
    }

    /// Brings `(x, y)` back onto the field after it crossed an edge.
    pub fn wrap(&self, x: &mut f32, y: &mut f32) {
        *x = x.rem_euclid(self.width);
        *y = y.rem_euclid(self.height);
    }
}

/// `d` as the shortest signed distance on a circle of length `size`.
fn wrapped(d: f32, size: f32) -> f32 {
    let d = d.rem_euclid(size);
    if d > size / 2.0 { d - size } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_wrap_around_the_edges() {
        let world = World::new(100.0, 60.0, 3, 1);
        assert_eq!(world.delta(1.0, 1.0, 99.0, 59.0), (-2.0, -2.0));
        assert_eq!(world.delta(10.0, 10.0, 20.0, 5.0), (10.0, -5.0));
        let (mut x, mut y) = (101.5, -0.5);
        world.wrap(&mut x, &mut y);
        assert_eq!((x, y), (1.5, 59.5));
    }

    #[test]
    fn random_numbers_are_in_range_and_follow_the_seed() {
        let mut a = World::new(10.0, 10.0, 3, 42);
        let mut b = World::new(10.0, 10.0, 3, 42);
        let mut c = World::new(10.0, 10.0, 3, 43);
        let (a, b, c): (Vec<f32>, Vec<f32>, Vec<f32>) = (
            (0..100).map(|_| a.random()).collect(),
            (0..100).map(|_| b.random()).collect(),
            (0..100).map(|_| c.random()).collect(),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|r| (0.0..1.0).contains(r)));
    }
}

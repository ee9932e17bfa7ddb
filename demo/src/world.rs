//! The state of the demo. It lives in the host program, so it survives every reload.
//!
//! Changing these types' fields is a layout change: restart the demo after such an edit.

/// One ball.
#[derive(Debug, Clone, PartialEq)]
pub struct Ball {
    /// Position, in cells from the top-left corner.
    pub x: f32,
    /// Position, in cells from the top-left corner (down is positive).
    pub y: f32,
    /// Velocity, in cells per second.
    pub vx: f32,
    /// Velocity, in cells per second.
    pub vy: f32,
    /// Colour seed.
    pub hue: f32,
}

/// Everything on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Width of the field, in cells.
    pub width: f32,
    /// Height of the field, in cells.
    pub height: f32,
    /// The balls.
    pub balls: Vec<Ball>,
    /// Frames simulated so far.
    pub frame: u64,
    /// Bounces off the floor so far.
    pub bounces: u64,
    /// State of the world's random number generator (xorshift).
    pub rng: u64,
}

impl World {
    /// An empty field of `width` × `height` cells, with a deterministic random `seed`.
    pub fn new(width: f32, height: f32, seed: u64) -> World {
        World {
            width,
            height,
            balls: Vec::new(),
            frame: 0,
            bounces: 0,
            rng: seed.max(1),
        }
    }

    /// A random number in `0.0..1.0`.
    pub fn random(&mut self) -> f32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 40) as f32 / (1u64 << 24) as f32
    }
}

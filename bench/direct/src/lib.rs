//! The benchmarked functions without hotfn: the baseline of every ratio.
//!
//! The bodies are those of `../functions.rs`. Every function is `#[inline(never)]`, so that a
//! call is a real call (as a call through a slot must be), and `#[unsafe(no_mangle)]`, because
//! hot-lib-reloader loads this same crate as a dylib and looks its functions up by name.

/// What [`step`] updates: a particle and a frame counter.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct State {
    /// Position.
    pub x: f32,
    /// Velocity.
    pub v: f32,
    /// Calls so far.
    pub frames: u64,
}

/// A few cycles of integer arithmetic.
#[inline(never)]
#[unsafe(no_mangle)]
pub fn mix(x: u64) -> u64 {
    (x ^ (x >> 31))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(17)
}

/// The sum of a slice (64 items in the benchmark), in order.
#[inline(never)]
#[unsafe(no_mangle)]
pub fn sum(items: &[f32]) -> f32 {
    items.iter().sum()
}

/// One step of a damped particle.
#[inline(never)]
#[unsafe(no_mangle)]
pub fn step(state: &mut State) {
    state.v = state.v * 0.99 - state.x * 0.01;
    state.x += state.v;
    state.frames += 1;
}

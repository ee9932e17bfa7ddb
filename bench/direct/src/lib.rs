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

/// A few cycles of integer arithmetic: almost nothing but the call.
///
/// Its machine code fits in 16 bytes, so wherever the linker puts it (functions start on a
/// 16-byte boundary) it never straddles a cache line. A 29-byte version measured 0.97 or 1.23 ns
/// a call, the same instructions, depending only on where they landed.
#[inline(never)]
#[unsafe(no_mangle)]
pub fn mix(x: u64) -> u64 {
    x.rotate_left(5).wrapping_mul(0x7feb_352d)
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

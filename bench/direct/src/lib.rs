//! The benchmarked functions without hotfn: the baseline of every ratio.
//!
//! The bodies are those of `../functions.rs`. Every function is `#[inline(never)]`, so that a
//! call is a real call (as a call through a slot must be). The free functions that are not
//! `async` are also `#[unsafe(no_mangle)]`, because hot-lib-reloader loads this same crate as a
//! dylib and looks its functions up by name; it takes neither the method nor the `async fn`,
//! which are left without it (its `hot_functions_from_file!` then passes them by).

/// What [`step`] and [`State::advance`] update: a particle and a frame counter.
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

impl State {
    /// [`step`] as a method, with its body.
    #[inline(never)]
    pub fn advance(&mut self) {
        self.v = self.v * 0.99 - self.x * 0.01;
        self.x += self.v;
        self.frames += 1;
    }
}

/// An `async fn` that awaits nothing: one poll completes its future.
#[inline(never)]
pub async fn answer(x: u64) -> u64 {
    x.rotate_left(5) ^ 3
}

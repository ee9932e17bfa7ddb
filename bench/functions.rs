//! The benchmarked functions, as a user of hotfn writes them: `#[hot]` on plain functions, and
//! on two more shapes, one method of a plain `impl` block ([`State::advance`]) and an `async fn`
//! ([`answer`]).
//!
//! Two packages compile this very file: `hotfn-bench-plain` never enables its `hot` feature (the
//! functions are exactly as written), `hotfn-bench-hot` always does (calls go through slots).
//! `hotfn-bench-direct` has the same bodies without `#[hot]`.
//!
//! Every function is `#[inline(never)]`, like the direct baseline: without it the compiler
//! inlines such small functions into the caller, even across crates, when the feature is off;
//! with it every variant makes a real call, and the benchmark compares calls. In hot mode the
//! attribute goes on the stub, which is never inlined across crates anyway (it calls through a
//! pointer). On an `async fn` it holds for the function that makes the future, not for the
//! future's poll, which the compiler inlines wherever the future's type is known: the plain
//! future's poll is inlined into the benchmark's loop, hot mode's boxed future is polled through
//! its vtable.

use hotfn_runtime::hot;

/// Whether this build has hot reloading (the `hot` feature of this package).
pub const HOT: bool = cfg!(feature = "hot");

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
#[hot]
#[inline(never)]
pub fn mix(x: u64) -> u64 {
    x.rotate_left(5).wrapping_mul(0x7feb_352d)
}

/// The sum of a slice (64 items in the benchmark), in order.
#[hot]
#[inline(never)]
pub fn sum(items: &[f32]) -> f32 {
    items.iter().sum()
}

/// One step of a damped particle.
#[hot]
#[inline(never)]
pub fn step(state: &mut State) {
    state.v = state.v * 0.99 - state.x * 0.01;
    state.x += state.v;
    state.frames += 1;
}

impl State {
    /// [`step`] as a method, with its body: `#[hot]` on this one method, the block is plain.
    #[hot]
    #[inline(never)]
    pub fn advance(&mut self) {
        self.v = self.v * 0.99 - self.x * 0.01;
        self.x += self.v;
        self.frames += 1;
    }
}

/// An `async fn` that awaits nothing: one poll completes its future. In hot mode each call boxes
/// the future (one allocation, freed when it is dropped).
#[hot]
#[inline(never)]
pub async fn answer(x: u64) -> u64 {
    x.rotate_left(5) ^ 3
}

/// Where the code that runs comes from: `"program"`, or after a reload from a patch, `"patch"`.
///
/// The call benchmark compiles the reloaded variant with `HOTFN_BENCH_RELOADED` set (see
/// `benches/calls/reloaded.rs`): cargo then rebuilds this crate with the same `-C metadata`, so
/// the variant's symbols are the program's, and only this function's answer tells the two apart.
#[hot]
pub fn origin() -> &'static str {
    match option_env!("HOTFN_BENCH_RELOADED") {
        Some(_) => "patch",
        None => "program",
    }
}

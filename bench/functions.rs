//! The benchmarked functions, as a user of hotfn writes them: `#[hot]` on plain functions.
//!
//! Two packages compile this very file: `hotfn-bench-plain` never enables its `hot` feature (the
//! functions are exactly as written), `hotfn-bench-hot` always does (calls go through slots).
//! `hotfn-bench-direct` has the same bodies without `#[hot]`.
//!
//! Every function is `#[inline(never)]`, like the direct baseline: without it the compiler
//! inlines such small functions into the caller, even across crates, when the feature is off;
//! with it every variant makes a real call, and the benchmark compares calls. In hot mode the
//! attribute goes on the stub, which is never inlined across crates anyway (it calls through a
//! pointer).

use hotfn_runtime::hot;

/// Whether this build has hot reloading (the `hot` feature of this package).
pub const HOT: bool = cfg!(feature = "hot");

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

//! What a call of a `#[hot]` function costs, next to a direct call and to hot-lib-reloader.
//!
//! `cargo bench -p hotfn-bench` measures the same three functions (`../functions.rs`) called
//! through:
//!
//! - `direct`: plain `#[inline(never)]` functions (`hotfn-bench-direct`), the baseline;
//! - `no-feature`: `#[hot]` functions whose crate's `hot` feature is off (`hotfn-bench-plain`);
//! - `hot`: `#[hot]` functions with the feature on (`hotfn-bench-hot`), before any reload: the
//!   slot points at the program's own code;
//! - `hot-reloaded`: the same functions after a reload, the slot bound to a patch (the crate
//!   compiled here as the runtime compiles it, linked and installed with
//!   `__private::reload_from`), so calls cross into the patch;
//! - `hot-lib-reloader`: hot-lib-reloader 0.8's `#[hot_module]` on the same functions.
//!
//! Then two more shapes `#[hot]` takes, each against its plain version, through the first four
//! of these (hot-lib-reloader takes neither): `State::advance`, `#[hot]` on one method of a plain
//! `impl` block (the body of `step`); and `answer`, an `async fn` that awaits nothing, timed as
//! making its future and polling it once, which completes it (in hot mode the future is boxed:
//! one allocation per call).
//!
//! At the end, two tables of everything criterion measured in this run: the three functions,
//! then the two shapes. Then, in a child process, the latency of single calls made from 4
//! threads at once, alone and while another thread reloads in a loop, and its table; in
//! another, resident memory and mapped patches over 200 reloads. Run without `--bench`
//! (`cargo test --benches`), each benchmark runs once as a test and nothing is built, reloaded
//! or summarised.
//!
//! `HOTFN_BENCH_QUICK=1` shortens everything (criterion's warm-up and measurement, the latency
//! rows, the reloads of the memory child) to check that the benchmark runs end to end; its
//! figures are rough.

mod contention;
mod hlr;
mod memory;
mod reloaded;
mod summary;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};

/// The functions, in the order of the table: criterion group name and how the table shows it.
pub const FUNCTIONS: [(&str, &str); 3] = [
    ("mix", "mix(u64) -> u64"),
    ("sum", "sum(&[f32]), 64 items"),
    ("step", "step(&mut State)"),
];

/// The shapes of the second table, in its order: criterion group name and how the table shows
/// it.
pub const SHAPES: [(&str, &str); 2] = [
    ("advance", "state.advance()"),
    ("answer", "async answer(u64)"),
];

/// The ways of calling them, in the order of the table: criterion name and description.
pub const VARIANTS: [(&str, &str); 5] = [
    ("direct", "direct call, #[inline(never)]"),
    ("no-feature", "#[hot], feature off"),
    ("hot", "#[hot], hot mode"),
    ("hot-reloaded", "#[hot], hot mode, after a reload"),
    ("hot-lib-reloader", "hot-lib-reloader 0.8"),
];

/// The ways of calling the shapes: all but hot-lib-reloader, which loads free functions that
/// are not `async` only.
pub const SHAPE_VARIANTS: [(&str, &str); 4] = [VARIANTS[0], VARIANTS[1], VARIANTS[2], VARIANTS[3]];

/// The package whose `#[hot]` functions the program calls in hot mode.
pub const HOT_PACKAGE: &str = "hotfn-bench-hot";

const _: () = assert!(
    hotfn_bench_hot::HOT,
    "hotfn-bench-hot must be built with its hot feature"
);

/// Arguments shared by every variant.
struct Inputs {
    x: u64,
    items: [f32; 64],
}

impl Inputs {
    fn new() -> Inputs {
        Inputs {
            x: 0x1234_5678_9abc_def0,
            items: std::array::from_fn(|i| i as f32 * 0.5),
        }
    }
}

fn main() {
    // Nothing edits `bench/hot` while this runs: no build at the runtime's start, which would
    // compete with the measurements (here and in the child processes).
    hotfn_runtime::Config::new().warm_up(false).apply();
    if let Some(rlib) = contention::child_rlib() {
        return contention::child(&rlib);
    }
    if let Some(rlib) = memory::child_rlib() {
        return memory::child(&rlib);
    }
    let args: Vec<String> = std::env::args().collect();
    let benchmarking =
        args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list");
    let started = SystemTime::now();
    let target = target_dir();
    let inputs = Inputs::new();

    // Built before anything is measured: cargo and the compiler would compete for the CPU.
    let variant = if benchmarking {
        reloaded::build(&target)
            .inspect_err(|error| eprintln!("hotfn-bench: no reloaded variant: {error}"))
            .ok()
    } else {
        reloaded::check_parsing();
        None
    };

    check_variants_agree(&inputs);
    // The calls above started hotfn's runtime (it watches `bench/hot`, which nothing edits while
    // this runs, and prints one `[hotfn] watching` line) and hot-lib-reloader's loader. Both
    // then sleep on their watchers; give them a moment to get there before measuring.
    std::thread::sleep(Duration::from_millis(300));

    let (warm_up, measurement) = match quick() {
        true => (Duration::from_millis(200), Duration::from_millis(500)),
        false => (Duration::from_secs(1), Duration::from_secs(3)),
    };
    let mut criterion = Criterion::default()
        .output_directory(&summary::criterion_dir(&target))
        .warm_up_time(warm_up)
        .measurement_time(measurement)
        .configure_from_args();

    for (function, _) in FUNCTIONS {
        let mut group = criterion.benchmark_group(function);
        bench(&mut group, function, "direct", &inputs);
        bench(&mut group, function, "no-feature", &inputs);
        bench(&mut group, function, "hot", &inputs);
        bench(&mut group, function, "hot-lib-reloader", &inputs);
        group.finish();
    }
    for (shape, _) in SHAPES {
        let mut group = criterion.benchmark_group(shape);
        for variant in ["direct", "no-feature", "hot"] {
            bench_shape(&mut group, shape, variant, &inputs);
        }
        group.finish();
    }

    let reloaded = variant.and_then(|rlib| {
        reloaded::install(&rlib)
            .inspect_err(|error| eprintln!("hotfn-bench: reload failed: {error}"))
            .ok()
            .map(|()| rlib)
    });
    if reloaded.is_some() {
        check_shapes_agree(&inputs);
        for (function, _) in FUNCTIONS {
            let mut group = criterion.benchmark_group(function);
            bench(&mut group, function, "hot-reloaded", &inputs);
            group.finish();
        }
        for (shape, _) in SHAPES {
            let mut group = criterion.benchmark_group(shape);
            bench_shape(&mut group, shape, "hot-reloaded", &inputs);
            group.finish();
        }
    }
    criterion.final_summary();
    if !benchmarking {
        return;
    }

    let calls = summary::read(&summary::criterion_dir(&target), started);
    println!();
    summary::print(&calls);
    println!();
    summary::print_shapes(&calls);

    if let Some(rlib) = &reloaded {
        match contention::run(rlib) {
            Ok(latencies) => {
                println!();
                contention::print(&latencies);
            }
            Err(error) => eprintln!("hotfn-bench: latency under reloads not measured: {error}"),
        }
        match memory::run(rlib) {
            Ok(memory) => {
                println!();
                memory::print(&memory);
            }
            Err(error) => eprintln!("hotfn-bench: memory over reloads not measured: {error}"),
        }
    }
}

/// `HOTFN_BENCH_QUICK=1`: shorter measurements, to check that everything runs.
pub fn quick() -> bool {
    std::env::var_os("HOTFN_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// One benchmark: `function` called through `variant`.
fn bench(group: &mut BenchmarkGroup<'_, WallTime>, function: &str, variant: &str, inputs: &Inputs) {
    let x = inputs.x;
    let items = &inputs.items[..];
    macro_rules! each_function {
        ($($module:ident)::+) => {{
            use $($module)::+ as f;
            match function {
                "mix" => group.bench_function(variant, |b| b.iter_custom(|n| time_mix(f::mix, x, n))),
                "sum" => group.bench_function(variant, |b| b.iter_custom(|n| time_sum(f::sum, items, n))),
                _ => {
                    let mut state = f::State::default();
                    group.bench_function(variant, |b| b.iter_custom(|n| time_step(f::step, &mut state, n)))
                }
            }
        }};
    }
    match variant {
        "direct" => each_function!(hotfn_bench_direct),
        "no-feature" => each_function!(hotfn_bench_plain),
        "hot" | "hot-reloaded" => each_function!(hotfn_bench_hot),
        _ => each_function!(hlr::hot_lib),
    };
}

/// One benchmark of the shapes: `shape` called through `variant`.
fn bench_shape(
    group: &mut BenchmarkGroup<'_, WallTime>,
    shape: &str,
    variant: &str,
    inputs: &Inputs,
) {
    let x = inputs.x;
    macro_rules! each_shape {
        ($module:ident) => {{
            use $module as f;
            match shape {
                "advance" => {
                    let mut state = f::State::default();
                    group.bench_function(variant, |b| {
                        b.iter_custom(|n| time_step(f::State::advance, &mut state, n))
                    })
                }
                _ => group
                    .bench_function(variant, |b| b.iter_custom(|n| time_answer(f::answer, x, n))),
            }
        }};
    }
    match variant {
        "direct" => each_shape!(hotfn_bench_direct),
        "no-feature" => each_shape!(hotfn_bench_plain),
        _ => each_shape!(hotfn_bench_hot),
    };
}

// The timing loops: one per signature, shared by every variant, so that all of them run the same
// loop at the same address (at about a nanosecond per call, where a loop happens to sit changes
// its time by a quarter). The function comes in a register and the loop calls through it, which
// is what the compiler makes of a call to another crate's function in a loop anyway: it loads
// the address from the GOT once, before the loop.

/// Times `iters` calls of `f(x)`.
#[inline(never)]
fn time_mix(f: fn(u64) -> u64, x: u64, iters: u64) -> Duration {
    let started = Instant::now();
    for _ in 0..iters {
        black_box(f(black_box(x)));
    }
    started.elapsed()
}

/// Times `iters` calls of `f(items)`.
#[inline(never)]
fn time_sum(f: fn(&[f32]) -> f32, items: &[f32], iters: u64) -> Duration {
    let started = Instant::now();
    for _ in 0..iters {
        black_box(f(black_box(items)));
    }
    started.elapsed()
}

/// Times `iters` calls of `f(state)`: `step`, and the method `advance` (`state.advance()` is
/// `State::advance(&mut state)`). (Each crate has its own `State`, so this loop exists once per
/// crate.)
#[inline(never)]
fn time_step<S>(f: fn(&mut S), state: &mut S, iters: u64) -> Duration {
    let started = Instant::now();
    for _ in 0..iters {
        f(black_box(&mut *state));
    }
    started.elapsed()
}

/// Times `iters` calls of `f(x)`, each future pinned on the stack and polled once, which
/// completes it (`answer` awaits nothing), then dropped. (Each variant's future is a type of its
/// own, so this loop exists once per variant.)
///
/// On a plain `async fn`, `#[inline(never)]` holds for the function that makes the future, not
/// for its poll: the future's type is known here, and the compiler inlines its poll into this
/// loop, as it does wherever a caller knows the type (an executor's `spawn`, an `.await`). In hot
/// mode the future is a box that every version's future fits: a call makes it (one allocation),
/// the poll is a call through its vtable, and the drop frees it.
#[inline(never)]
fn time_answer<F: Future<Output = u64>>(f: fn(u64) -> F, x: u64, iters: u64) -> Duration {
    let mut context = Context::from_waker(Waker::noop());
    let started = Instant::now();
    for _ in 0..iters {
        let future = pin!(f(black_box(x)));
        let _ = black_box(future.poll(&mut context));
    }
    started.elapsed()
}

/// Polls `future` once with a waker that does nothing: its value, if that completed it.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Every variant computes the same thing; and each is what its row says it is.
fn check_variants_agree(inputs: &Inputs) {
    let x = inputs.x;
    let items = &inputs.items[..];
    macro_rules! results {
        ($($module:ident)::+) => {{
            use $($module)::+ as f;
            let mut state = f::State {
                x: 1.0,
                ..Default::default()
            };
            f::step(&mut state);
            (f::mix(x), f::sum(items), state.x, state.v, state.frames)
        }};
    }
    let direct = results!(hotfn_bench_direct);
    assert_eq!(results!(hotfn_bench_plain), direct);
    assert_eq!(results!(hotfn_bench_hot), direct);
    assert_eq!(results!(hlr::hot_lib), direct);
    check_shapes_agree(inputs);
    if hotfn_bench_plain::HOT {
        eprintln!(
            "hotfn-bench: hotfn-bench-plain has its hot feature on (--all-features?): \
             the no-feature row measures hot mode"
        );
    }
    assert_eq!(hotfn_bench_hot::origin(), "program");
}

/// The shapes compute the same thing in every variant that has them: now, and after the reload,
/// in the patch.
fn check_shapes_agree(inputs: &Inputs) {
    macro_rules! results {
        ($module:ident) => {{
            use $module as f;
            let mut state = f::State {
                x: 1.0,
                ..Default::default()
            };
            state.advance();
            (
                state.x,
                state.v,
                state.frames,
                poll_once(f::answer(inputs.x)),
            )
        }};
    }
    let direct = results!(hotfn_bench_direct);
    assert!(
        direct.3.is_some(),
        "answer awaits nothing: one poll completes it"
    );
    assert_eq!(results!(hotfn_bench_plain), direct);
    assert_eq!(results!(hotfn_bench_hot), direct);
}

/// Cargo's target directory: the nearest ancestor of this executable that cargo tagged as one
/// (it lives in `<target>/release/deps`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe()
        .and_then(|exe| exe.canonicalize())
        .expect("the benchmark's own path");
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("{} is not in a cargo target directory", exe.display()))
}

//! Asteroids in the terminal, whose rules and drawing reload while you play.
//!
//! `cargo run -p demo --features hot`, then edit `demo/src/rules.rs` or `demo/src/draw.rs` and
//! save. This program owns the game's state and the loop: 30 steps a second, keys in, a frame
//! out, and hotfn's status on the last line.
//!
//! `--headless` plays with the autopilot and prints one line of state per step instead of
//! drawing (for tests): `--frames N` stops after N steps, `--seed S` picks the game, `--fps F`
//! paces the steps (0: as fast as possible; the game itself is the same at any pace), and
//! `--timings` adds one `timings …` line per reload on stderr with each step's time (for the
//! reload benchmark, `cargo bench -p hotfn-bench --bench reload`).
//!
//! The binary's modules, one job each: [`options`] reads the command line, [`headless`] and
//! [`terminal`] are the two loops, [`status`] is the terminal's line about hotfn. The game itself
//! (state, rules, drawing) is the library's.

mod headless;
mod options;
mod status;
mod terminal;

fn main() {
    let options = options::Options::from_args().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2);
    });
    let result = if options.headless {
        headless::run(&options)
    } else {
        terminal::run(&options)
    };
    if let Err(error) = result {
        eprintln!("demo: {error}");
        std::process::exit(1);
    }
}

//! The demo's library: the game's state (owned by the running program) and its rules and drawing
//! (hot).
//!
//! Run `cargo run -p demo --features hot`, then edit anything in `src/rules.rs` or `src/draw.rs`
//! and save: the game goes on with the new code.

pub mod draw;
pub mod rules;
pub mod world;

//! The demo's library: the world (owned by the running program) and the rules (hot).
//!
//! Run `cargo run -p demo --features hot`, then edit anything in `src/rules.rs` and save.

pub mod rules;
pub mod world;

//! The contract between the code `#[hot]` generates and the runtime: what the generated statics
//! hold, how they are named, and what a prologue calls. Nothing here depends on the rest of the
//! crate; the runtime (`host`) and the entry points generated code calls (`private`) depend on it.

pub mod call;
pub mod layout;
pub mod names;
pub mod slot;
pub mod state;

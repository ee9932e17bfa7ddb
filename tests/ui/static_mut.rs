// A `static mut` cannot be shared between versions safely: refused, with what to use instead.
use hotfn_runtime::hot;

#[hot]
pub static mut SCORE: u64 = 0;

fn main() {}

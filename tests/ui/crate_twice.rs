// Refused: `crate` given twice.
use hotfn_runtime::hot;

#[hot(crate = hotfn_runtime, crate = ::hotfn_runtime)]
pub fn tick(x: u32) -> u32 {
    x + 1
}

fn main() {
    tick(1);
}

// Refused: `crate` without the path of the runtime crate.
use hotfn_runtime::hot;

#[hot(crate)]
pub fn tick(x: u32) -> u32 {
    x + 1
}

fn main() {
    tick(1);
}

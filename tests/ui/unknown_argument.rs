// Refused: an argument `#[hot]` does not know. The only one is `crate = path`.
use hotfn_runtime::hot;

#[hot(foo)]
pub fn tick(x: u32) -> u32 {
    x + 1
}

fn main() {
    tick(1);
}

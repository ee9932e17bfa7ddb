// Refused: `crate` given as a string, as some other attributes take it. It is a path.
use hotfn_runtime::hot;

#[hot(crate = "hotfn_runtime")]
pub fn tick(x: u32) -> u32 {
    x + 1
}

fn main() {
    tick(1);
}

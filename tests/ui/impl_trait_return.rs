// Refused: `impl Trait` in return position. The compiler picks the hidden type, and an edit may
// change it behind the callers' backs.
use hotfn_runtime::hot;

#[hot]
pub fn evens(limit: u32) -> Box<impl Iterator<Item = u32>> {
    Box::new((0..limit).filter(|n| n % 2 == 0))
}

fn main() {
    evens(10);
}

// Refused: `const fn`. Its calls may be evaluated at compile time, where no reload can reach.
use hotfn_runtime::hot;

#[hot]
pub const fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    double(1);
}

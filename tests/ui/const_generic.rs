// Refused: a const generic parameter. Each value is a separate function.
use hotfn_runtime::hot;

#[hot]
pub fn sum<const N: usize>(values: [u32; N]) -> u32 {
    values.iter().sum()
}

fn main() {
    sum([1, 2, 3]);
}

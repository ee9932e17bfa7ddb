// Refused: `impl Trait` in argument position, which is a generic parameter in disguise.
use hotfn_runtime::hot;

#[hot]
pub fn total(values: impl Iterator<Item = u32>) -> u32 {
    values.sum()
}

fn main() {
    total([1, 2].into_iter());
}

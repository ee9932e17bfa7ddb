// Refused: a C-variadic parameter. One error from #[hot], at the `...`; on a stable compiler the
// function is also refused by the compiler itself (E0658), with or without #[hot].
use hotfn_runtime::hot;

#[hot]
pub unsafe extern "C" fn sum(count: usize, _args: ...) -> usize {
    count
}

fn main() {}

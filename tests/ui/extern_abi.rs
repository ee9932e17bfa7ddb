// Refused: an `extern "ABI"` function. hotfn makes its own C-ABI export of the body.
use hotfn_runtime::hot;

#[hot]
pub extern "C" fn callback(x: u32) -> u32 {
    x + 1
}

fn main() {
    callback(1);
}

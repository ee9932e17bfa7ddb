// Refused: `#[no_mangle]`. The body is exported under hotfn's own collision-free symbol.
use hotfn_runtime::hot;

#[hot]
#[unsafe(no_mangle)]
pub fn tick(x: u32) -> u32 {
    x + 1
}

fn main() {
    tick(1);
}

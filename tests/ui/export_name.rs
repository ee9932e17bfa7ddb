// Refused: `#[export_name]`. The body is exported under hotfn's own collision-free symbol.
use hotfn_runtime::hot;

#[hot]
#[unsafe(export_name = "tick")]
pub fn tick(x: u32) -> u32 {
    x + 1
}

fn main() {
    tick(1);
}

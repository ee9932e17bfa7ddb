// Refused: `#[hot]` on something other than a function.
use hotfn_runtime::hot;

#[hot]
pub struct Board {
    pub cells: Vec<u8>,
}

fn main() {
    let _ = Board { cells: Vec::new() };
}

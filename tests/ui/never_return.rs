// Refused: `-> !`. A function that never returns would never pick up a reload.
use hotfn_runtime::hot;

#[hot]
pub fn run_forever() -> ! {
    loop {}
}

fn main() {
    run_forever();
}

// Refused: `#[hot]` on one associated function whose body says `Self`. Its signature does not name
// the impl's type, so the attribute expands it, but the body moves into a nested function where
// `Self` means nothing; the error says to name the type or put #[hot] on the impl block.
use hotfn_runtime::hot;

pub struct Config;

impl Config {
    const BASE: f32 = 1.5;

    #[hot]
    pub fn default_speed() -> f32 {
        Self::BASE * 2.0
    }
}

fn main() {
    let _ = Config::default_speed();
}

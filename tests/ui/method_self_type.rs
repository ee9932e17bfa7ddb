// Refused: `#[hot]` on one associated function that names `Self`, for the same reason as a method.
use hotfn_runtime::hot;

pub struct Counter(u32);

impl Counter {
    #[hot]
    pub fn new(start: u32) -> Self {
        Counter(start)
    }
}

fn main() {
    let _ = Counter::new(0).0;
}

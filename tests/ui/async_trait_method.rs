// Refused: an `async fn` in a `#[hot]` trait impl (for now). The error says to call a #[hot]
// async fn from the trait method instead.
use hotfn_runtime::hot;

pub trait Handler {
    fn handle(&self, x: u32) -> impl std::future::Future<Output = u32>;
}

pub struct Doubler;

#[hot]
impl Handler for Doubler {
    async fn handle(&self, x: u32) -> u32 {
        x * 2
    }
}

fn main() {
    let _ = Doubler.handle(1);
}

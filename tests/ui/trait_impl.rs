// Refused: a trait impl (for now); inherent impl blocks are supported.
use hotfn_runtime::hot;

pub struct Ball(f32);

#[hot]
impl Default for Ball {
    fn default() -> Self {
        Ball(1.0)
    }
}

fn main() {
    let _ = Ball::default().0;
}

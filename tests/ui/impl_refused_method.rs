// Refused: a method shape `#[hot]` cannot reload, inside a `#[hot]` impl block. The error says it
// may also move to an impl block without `#[hot]`; the other methods are fine.
use hotfn_runtime::hot;

pub struct Ball(f32);

#[hot]
impl Ball {
    pub fn speed(&self) -> f32 {
        self.0
    }

    pub fn scaled<T: Into<f32>>(&self, by: T) -> f32 {
        self.0 * by.into()
    }
}

fn main() {
    let ball = Ball(1.0);
    let _ = ball.speed() + ball.scaled(2u8);
}

// Refused: `reset`, `serde` and `migrate` are for `#[hot] static`; methods carry no value over.
use hotfn_runtime::hot;

pub struct Ball(f32);

#[hot(reset)]
impl Ball {
    pub fn speed(&self) -> f32 {
        self.0
    }
}

fn main() {
    let _ = Ball(1.0).speed();
}

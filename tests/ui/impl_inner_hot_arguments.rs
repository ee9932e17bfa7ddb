// Refused: arguments to a `#[hot]` on a method inside a `#[hot]` impl block; the impl's attribute
// decides for every method. A bare inner `#[hot]` is accepted and changes nothing.
use hotfn_runtime::hot;

pub struct Ball(f32);

#[hot]
impl Ball {
    #[hot(crate = hotfn_runtime)]
    pub fn speed(&self) -> f32 {
        self.0
    }
}

fn main() {
    let _ = Ball(1.0).speed();
}

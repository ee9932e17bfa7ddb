// Refused: `#[hot]` on a generic trait impl. Each instantiation is compiled into its caller, so
// there is no single method to reload; the error says to write the impl for a concrete type.
use hotfn_runtime::hot;

pub trait Area {
    fn area(&self) -> f32;
}

pub struct Square<T>(T);

#[hot]
impl<T: Copy + Into<f32>> Area for Square<T> {
    fn area(&self) -> f32 {
        let side: f32 = self.0.into();
        side * side
    }
}

fn main() {
    let _ = Square(2u8).area();
}

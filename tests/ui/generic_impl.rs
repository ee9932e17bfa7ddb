// Refused: an impl block with a type parameter; each instantiation is separate code.
use hotfn_runtime::hot;

pub struct Grid<T>(Vec<T>);

#[hot]
impl<T: Clone> Grid<T> {
    pub fn first(&self) -> Option<T> {
        self.0.first().cloned()
    }
}

fn main() {
    let _ = Grid(vec![1u8]).first();
}

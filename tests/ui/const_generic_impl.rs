// Refused: an impl block with a const parameter.
use hotfn_runtime::hot;

pub struct Cells<const N: usize>([u8; N]);

#[hot]
impl<const N: usize> Cells<N> {
    pub fn len(&self) -> usize {
        N
    }
}

fn main() {
    let _ = Cells([0; 4]).len();
}

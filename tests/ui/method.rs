// Refused: `#[hot]` on one method. The attribute sees only the method, not the type of its impl
// block, which the reloadable copy of the method needs; `#[hot]` on the impl block works.
use hotfn_runtime::hot;

pub struct Counter(u32);

impl Counter {
    #[hot]
    pub fn bump(&mut self) {
        self.0 += 1;
    }
}

fn main() {
    Counter(0).bump();
}

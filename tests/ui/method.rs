// Refused for now: a method with `self`. Issue 6 makes methods work; this case will then move to
// the supported shapes (an end-to-end or expansion test) and this file will change.
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

// Refused: `#[hot]` on a trait method with a type parameter of its own: each instantiation is
// compiled into its caller.
use hotfn_runtime::hot;

pub trait Visit {
    fn visit<V: Fn(u32)>(&self, visitor: V);
}

pub struct Numbers(Vec<u32>);

impl Visit for Numbers {
    #[hot]
    fn visit<V: Fn(u32)>(&self, visitor: V) {
        self.0.iter().copied().for_each(visitor);
    }
}

fn main() {
    Numbers(vec![1]).visit(|_| {});
}

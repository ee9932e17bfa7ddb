// Refused: a generic type parameter. Each instantiation is compiled into its caller, so there is
// no single function to reload.
use hotfn_runtime::hot;

#[hot]
pub fn largest<T: PartialOrd>(a: T, b: T) -> T {
    if b > a { b } else { a }
}

fn main() {
    largest(1, 2);
}

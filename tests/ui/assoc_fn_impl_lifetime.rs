// Refused: `#[hot]` on one associated function whose signature names a lifetime of its impl
// block, which the attribute cannot see.
use hotfn_runtime::hot;

pub struct Words<'a>(&'a str);

impl<'a> Words<'a> {
    #[hot]
    pub fn first(text: &'a str) -> &'a str {
        text.split_whitespace().next().unwrap_or("")
    }
}

fn main() {
    let _ = Words::first("a b");
    let _ = Words("").0;
}

// Refused: `async fn`. The future's type changes with every edit of the body.
use hotfn_runtime::hot;

#[hot]
pub async fn fetch(id: u32) -> u32 {
    id + 1
}

fn main() {
    let _ = fetch(1);
}

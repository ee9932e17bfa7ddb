//! End-to-end: `#[hot]` on single methods of a plain impl block, on a trait impl (the trait from
//! another crate of the workspace) and on one method of another trait impl. Calls directly,
//! through `Box<dyn Trait>`, through generic code and through a trait's default method all reach
//! the new code; a method without `#[hot]` keeps the program's.

use hotfn_tests::{Fixture, RELOAD};

#[test]
fn single_methods_and_trait_impls_reload_however_they_are_called() {
    let fixture = Fixture::new("traits", "traits");
    let mut app = fixture.start_hot();
    let (_, first) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    assert_eq!(
        first.get("dyn"),
        format!("level-v1-{}", first.number("frame") + 1)
    );

    // Two single methods of a plain impl block.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "format!(\"show-v1-{}\"",
        "format!(\"show-v2-{}\"",
    );
    fixture.edit("src/lib.rs", "self.count += 1;", "self.count += 10;");
    fixture.edit("src/lib.rs", "\"plain-v1\"", "\"plain-v2\"");
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, frame) = app.wait_for_frame("the new methods", reloaded, RELOAD, |f| {
        f.get("show").starts_with("show-v2-")
    });
    let (_, next) = app.wait_for_frame("the next frame", reloaded, RELOAD, |f| {
        f.number("frame") == frame.number("frame") + 1
    });
    assert_eq!(
        next.number("bump"),
        frame.number("bump") + 10,
        "{}",
        next.line
    );
    assert_eq!(
        next.get("plain"),
        "plain-v1",
        "a method without #[hot] keeps the program's code"
    );
    assert_eq!(next.get("pid"), first.get("pid"));

    // The hot trait impl: through the vtable, generic code and the default method; and the one
    // hot method of the other impl.
    let mark = app.len();
    fixture.edit("src/lib.rs", "\"level-v1\"", "\"level-v2\"");
    fixture.edit("src/lib.rs", "\"menu-v1\"", "\"menu-v2\"");
    let reloaded = app.wait_for_reload(mark, 2);
    let (_, frame) = app.wait_for_frame("the new trait methods", reloaded, RELOAD, |f| {
        f.get("dyn").starts_with("level-v2-")
    });
    let frames = frame.number("frame") + 1;
    assert_eq!(
        frame.get("dyn"),
        format!("level-v2-{frames}"),
        "Box<dyn Scene>, state kept"
    );
    assert_eq!(
        frame.get("generic"),
        format!("level-v2-{frames}"),
        "generic code"
    );
    assert_eq!(
        frame.get("menu"),
        "menu-v2",
        "one hot method of a trait impl"
    );
    assert_eq!(
        frame.get("about"),
        "about-level-v2",
        "the trait's default method"
    );
}

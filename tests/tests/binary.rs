//! End-to-end: a package with only a binary target reloads its `#[hot]` functions, in `main.rs`
//! and in its modules, with the binary's own statics carried on.

use hotfn_tests::{Fixture, RELOAD};

#[test]
fn a_binary_only_package_reloads_in_main_and_in_its_modules() {
    let fixture = Fixture::new("binonly", "binonly");
    let mut app = fixture.start_hot();
    let (_, first) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    assert_eq!(first.get("label"), "main-v1");

    // An edit of a module of the binary.
    let mark = app.len();
    fixture.edit("src/rules.rs", "frame * 10", "frame * 100");
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, frame) = app.wait_for_frame("the module's new code", reloaded, RELOAD, |f| {
        f.number("score") == f.number("frame") * 100
    });
    assert_eq!(frame.get("pid"), first.get("pid"));
    assert_eq!(
        frame.number("steps"),
        frame.number("frame") + 1,
        "{}",
        frame.line
    );

    // An edit of main.rs itself, and of a method: the binary's static counts on.
    let mark = app.len();
    fixture.edit("src/main.rs", "label=main-v1", "label=main-v2");
    fixture.edit("src/rules.rs", "self.count += 1;", "self.count += 1000;");
    let reloaded = app.wait_for_reload(mark, 2);
    let (_, frame) = app.wait_for_frame("main's new code", reloaded, RELOAD, |f| {
        f.get("label") == "main-v2"
    });
    assert_eq!(
        frame.number("ticks"),
        frame.number("frame") + 1,
        "the binary's static carries on: {}",
        frame.line
    );
    let (_, next) = app.wait_for_frame("the next frame", reloaded, RELOAD, |f| {
        f.number("frame") == frame.number("frame") + 1
    });
    assert_eq!(
        next.number("steps"),
        frame.number("steps") + 1000,
        "{}",
        next.line
    );
}

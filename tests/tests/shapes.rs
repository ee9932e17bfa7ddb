//! End-to-end: calls between `#[hot]` functions, recursion, trait objects and closures
//! (`tests/fixtures/shapes`). After an edit each runs the new code, and a trait object made by a
//! reloaded version keeps working after later reloads: its vtable points into that version's
//! library, which stays loaded.

use hotfn_tests::{Fixture, RELOAD};

#[test]
fn calls_recursion_trait_objects_and_closures_run_the_new_code() {
    let fixture = Fixture::new("shapes", "shapes");
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    let expected = [
        ("outer", "outer-v1(2)"),
        ("triangle", "10"),
        ("greet", "greet-v1 woof"),
        ("made", "meow-v1 meow-v1"),
        ("consumed", "consume-v1 meow-v1"),
        ("kept", "-"),
        ("dyn_fn", "11"),
        ("pointer", "18"),
        ("adder", "7"),
    ];
    for (key, value) in expected {
        assert_eq!(before.get(key), value, "{key} before the edit");
    }

    // One save that changes every shape: one reload.
    let mark = app.len();
    let edits = [
        ("outer-v1(", "outer-v2("),                         // calls `inner`
        ("    x + 1\n", "    x + 10\n"),                    // `inner`, called by `outer`
        ("n + triangle(n - 1)", "2 * n + triangle(n - 1)"), // recursion
        ("greet-v1", "greet-v2"),                           // &dyn Speaker
        ("meow-v1 ", "meow-v2 "), // the vtable of boxes made by the new version
        ("consume-v1", "consume-v2"), // Box<dyn Speaker> argument
        ("f(x) + 1", "f(x) + 2"), // &dyn Fn(u32) -> u32
        ("f(f(x))", "f(x) + 100"), // fn(u32) -> u32
        ("move |x| x + n", "move |x| x * n"), // Box<dyn Fn(u32) -> u32> result
    ];
    let text = std::fs::read_to_string(fixture.path("src/lib.rs")).unwrap();
    let edited = edits.iter().fold(text, |text, (from, to)| {
        assert_eq!(text.matches(from).count(), 1, "src/lib.rs: {from:?}");
        text.replace(from, to)
    });
    std::fs::write(fixture.path("src/lib.rs"), edited).unwrap();
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, after) = app.wait_for_frame("new code", reloaded, RELOAD, |f| f.get("kept") != "-");
    assert_eq!(
        after.get("pid"),
        before.get("pid"),
        "the process must not restart"
    );
    let expected = [
        ("outer", "outer-v2(11)"),
        ("triangle", "20"), // 2 * (4 + 3 + 2 + 1): every level runs v2
        ("greet", "greet-v2 woof"),
        ("made", "meow-v2 meow-v2"),
        ("consumed", "consume-v2 meow-v2"),
        ("kept", "meow-v2"),
        ("dyn_fn", "12"),
        ("pointer", "106"),
        ("adder", "12"),
    ];
    for (key, value) in expected {
        assert_eq!(
            after.get(key),
            value,
            "{key} after the edit: {}",
            after.line
        );
    }

    // Only the trait impl changes: new boxes speak v3; the box the program kept was made by
    // version 1 and still calls version 1's code through its vtable.
    let mark = app.len();
    fixture.edit("src/lib.rs", "meow-v2 ", "meow-v3 ");
    let reloaded = app.wait_for_reload(mark, 2);
    let (_, later) = app.wait_for_frame("v3 boxes", reloaded, RELOAD, |f| {
        f.get("made") == "meow-v3 meow-v3"
    });
    assert_eq!(later.get("kept"), "meow-v2", "{}", later.line);
    assert_eq!(
        later.get("consumed"),
        "consume-v2 meow-v3",
        "{}",
        later.line
    );
}

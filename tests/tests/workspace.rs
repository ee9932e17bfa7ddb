//! End-to-end: a workspace with two hot library crates, `b` depending on `a`, and a binary using
//! both (`tests/fixtures/workspace`). Each crate is watched and rebuilt on its own; a change to
//! `a` reaches every caller of a's `#[hot]` functions, including b's code, old and reloaded.

use hotfn_tests::{App, Fixture, Frame, RELOAD};

/// The `[hotfn]` lines printed after `mark`.
fn runtime_lines(app: &App, mark: usize) -> Vec<String> {
    app.output()[mark..]
        .iter()
        .filter(|l| l.starts_with("err| [hotfn]"))
        .cloned()
        .collect()
}

/// Waits for reload `version`, checks that it is the only thing the runtime reported since
/// `mark` and that it names `package`, and returns the index of its line.
fn expect_one_reload(app: &mut App, mark: usize, version: u32, package: &str) -> usize {
    let reloaded = app.wait_for_reload(mark, version);
    let line = &app.output()[reloaded];
    if !line.contains(&format!("reloaded {package} v{version}: ")) {
        app.fail(&format!("expected a reload of {package}, saw {line}"));
    }
    // A frame later, nothing else was built: the other crate did not change.
    app.wait_for_frame("a frame after the reload", reloaded, RELOAD, |_| true);
    let lines = runtime_lines(app, mark);
    if lines.len() != 1 {
        app.fail(&format!(
            "one save of {package} should give one reload: {lines:?}"
        ));
    }
    reloaded
}

#[test]
fn each_crate_of_a_workspace_reloads_on_its_own() {
    let fixture = Fixture::new("workspace", "ws");
    let (a, b) = (
        format!("{}-a", fixture.package),
        format!("{}-b", fixture.package),
    );
    let mut app = fixture.start_hot();
    for (package, functions) in [(&a, "1 hot function"), (&b, "3 hot functions")] {
        app.wait_for("both packages watched", 0, RELOAD, |l| {
            l.contains(&format!("[hotfn] watching {package} ({functions})"))
        });
    }
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    assert_eq!(before.get("a"), "a-v1");
    assert_eq!(before.get("b"), "b-v1");
    assert_eq!(before.get("via"), "b-v1(a-v1)");
    assert_eq!(before.get("plain_b"), "plain-a-v1");

    // Edit `a`: only `a` is rebuilt. Its hot function is new for every caller, b's code too
    // (b calls it through its slot); a's plain code in the host stays as it was built.
    let mark = app.len();
    fixture.edit("a/src/lib.rs", "\"a-v1\"", "\"a-v2\"");
    fixture.edit("a/src/lib.rs", "\"plain-a-v1\"", "\"plain-a-v2\"");
    let reloaded = expect_one_reload(&mut app, mark, 1, &a);
    let (_, frame) = app.wait_for_frame("a's new code", reloaded, RELOAD, |f| f.get("a") == "a-v2");
    assert_eq!(
        frame.get("pid"),
        before.get("pid"),
        "the process must not restart"
    );
    let (_, frame) = app.wait_for_frame("the next frame", reloaded, RELOAD, |f| {
        f.number("frame") > frame.number("frame")
    });
    assert_eq!(frame.get("b"), "b-v1", "b was not rebuilt");
    assert_eq!(
        frame.get("via"),
        "b-v1(a-v2)",
        "b's code calls a's new version"
    );
    assert_eq!(
        frame.get("plain_b"),
        "plain-a-v1",
        "plain code of a in the host: as built"
    );

    // Edit `b`: only `b` is rebuilt, against a's current sources, so its library carries a's
    // current plain code; it calls a's hot function through its own slot, bound to a's v1.
    let mark = app.len();
    fixture.edit("b/src/lib.rs", "b-v1", "b-v2");
    let reloaded = expect_one_reload(&mut app, mark, 2, &b);
    let (_, frame) = app.wait_for_frame("b's new code", reloaded, RELOAD, |f| f.get("b") == "b-v2");
    assert_eq!(frame.get("a"), "a-v2");
    assert_eq!(frame.get("via"), "b-v2(a-v2)");
    assert_eq!(
        frame.get("plain_b"),
        "plain-a-v2",
        "b's library has a's code as it is now"
    );
    assert_eq!(
        frame.get("plain_host"),
        "plain-a-v1",
        "the host's copy never changes"
    );

    // Edit `a` again: b's reloaded library calls a's newest version too, from the next frame on,
    // in every frame.
    let mark = app.len();
    fixture.edit("a/src/lib.rs", "\"a-v2\"", "\"a-v3\"");
    let reloaded = expect_one_reload(&mut app, mark, 3, &a);
    let (first, frame) = app.wait_for_frame("a's newest code", reloaded, RELOAD, |f| {
        f.get("a") == "a-v3"
    });
    let number = frame.number("frame");
    app.wait_for_frame("three frames more", first, RELOAD, |f| {
        f.number("frame") >= number + 3
    });
    // A reload binds the other libraries before the host: once the host's call of `label_a`
    // runs v3, so does the one in b's library, from the very first such frame.
    let frames: Vec<Frame> = app.output()[first..]
        .iter()
        .filter_map(|l| Frame::parse(l))
        .collect();
    assert!(frames.len() >= 4);
    for frame in &frames {
        assert_eq!(frame.get("a"), "a-v3", "{}", frame.line);
        assert_eq!(frame.get("via"), "b-v2(a-v3)", "{}", frame.line);
        assert_eq!(frame.get("b"), "b-v2", "{}", frame.line);
    }

    // b's next build needs a's current code: cargo builds it, not the compiler command cargo
    // ran for b before a changed (which would link a's old library). The one after that may.
    let mark = app.len();
    fixture.edit("a/src/lib.rs", "\"plain-a-v2\"", "\"plain-a-v3\"");
    expect_one_reload(&mut app, mark, 4, &a);
    for (version, label, tool, plain) in [
        (5, "b-v3", "cargo", "plain-a-v3"),
        (6, "b-v4", "rustc", "plain-a-v3"),
    ] {
        let mark = app.len();
        let previous = format!("b-v{}", version - 3);
        fixture.edit("b/src/lib.rs", &previous, label);
        let reloaded = expect_one_reload(&mut app, mark, version, &b);
        let line = app.output()[reloaded].clone();
        assert!(
            line.contains(&format!(" ({tool} ")),
            "built by {tool}: {line}"
        );
        let (_, frame) =
            app.wait_for_frame("b's new code", reloaded, RELOAD, |f| f.get("b") == label);
        assert_eq!(frame.get("plain_b"), plain, "{}", frame.line);
    }
}

#[test]
fn crates_whose_dependencies_the_program_builds_with_more_features_reload_as_it_built_them() {
    // The binary enables a feature of a dependency (the runtime's `serde`) that `a` and `b` do
    // not: built alone, cargo would give them, and their every symbol, other hashes than the
    // program's build of them has, and no patch of theirs could share a static of the program.
    let fixture = Fixture::new("workspace", "wsfeatures");
    fixture.edit(
        "Cargo.toml",
        "[dependencies]\n",
        "[dependencies]\nhotfn-runtime = { workspace = true, features = [\"serde\"] }\n",
    );
    // A static of `a` that its hot function counts its calls in: the program's instance must
    // keep counting in every version.
    fixture.edit(
        "a/src/lib.rs",
        "String::from(\"a-v1\")",
        "format!(\"a-v1#{}\", CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed))",
    );
    let text = std::fs::read_to_string(fixture.path("a/src/lib.rs")).unwrap();
    std::fs::write(
        fixture.path("a/src/lib.rs"),
        format!("{text}\npub static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);\n"),
    )
    .unwrap();
    let calls = |frame: &Frame| -> u64 {
        let label = frame.get("a");
        label.split('#').nth(1).unwrap().parse().unwrap()
    };
    let (a, b) = (
        format!("{}-a", fixture.package),
        format!("{}-b", fixture.package),
    );
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("some frames", 0, RELOAD, |f| f.number("frame") >= 3);
    let mark = app.len();
    fixture.edit("a/src/lib.rs", "\"a-v1#", "\"a-v2#");
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, frame) = app.wait_for_frame("a's new code", reloaded, RELOAD, |f| {
        f.get("a").starts_with("a-v2#")
    });
    assert_eq!(frame.get("pid"), before.get("pid"));
    assert!(
        calls(&frame) > calls(&before),
        "the program's static counts on: {} after {}",
        frame.line,
        before.line
    );
    assert!(frame.get("via").starts_with("b-v1(a-v2#"), "{}", frame.line);
    assert!(app.output()[reloaded].contains(&format!("reloaded {a} v1: ")));
    let mark = app.len();
    fixture.edit("b/src/lib.rs", "b-v1", "b-v2");
    let reloaded = app.wait_for_reload(mark, 2);
    let (_, frame) = app.wait_for_frame("b's new code", reloaded, RELOAD, |f| f.get("b") == "b-v2");
    assert!(frame.get("via").starts_with("b-v2(a-v2#"), "{}", frame.line);
    assert!(app.output()[reloaded].contains(&format!("reloaded {b} v2: ")));
    if app
        .output()
        .iter()
        .any(|l| l.contains("refused") || l.contains("failed"))
    {
        app.fail("every reload should have been applied");
    }
}

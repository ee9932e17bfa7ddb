//! End-to-end: what happens when an edit would be unsafe to run (a changed signature or type
//! layout) or when reloaded code panics. The program must keep running, with its state.

use hotfn_tests::{Fixture, RELOAD};

#[test]
fn a_panic_in_reloaded_code_rolls_back_and_completes_the_call() {
    let fixture = Fixture::new("basic", "panic");
    let mut app = fixture.start_hot();
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "format!(\"label-v1 {frame}\")",
        "if frame % 10 == 3 { panic!(\"bad frame {frame}\") } else { format!(\"label-v2 {frame}\") }",
    );
    app.wait_for("reload v1", mark, RELOAD, |l| {
        l.contains("[hotfn] reloaded") && l.contains(" v1: ")
    });
    let (panicked, report) = app.wait_for("the panic report", mark, RELOAD, |l| {
        l.contains("[hotfn] panic in")
    });
    let frame: u64 = report
        .split("bad frame ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(report.contains("label (v1)"), "{report}");
    // One standard library: the program's own panic hook told where, once.
    let output = app.output();
    let told: Vec<&String> = output[mark..panicked]
        .iter()
        .filter(|l| l.contains("panicked at src/lib.rs:"))
        .collect();
    assert_eq!(told.len(), 1, "the program's hook, once: {told:?}");
    let (_, next) = app.wait_for("the rest of the report", panicked, RELOAD, |l| {
        l.contains("rolled")
    });
    assert!(
        next.contains("back to the original code; the call was completed by the original code"),
        "{next}"
    );

    // The frame whose call panicked was completed by the original code, and frames go on.
    let (_, completed) = app.wait_for_frame("the completed frame", 0, RELOAD, |f| {
        f.number("frame") == frame
    });
    assert_eq!(completed.get("label"), format!("label-v1 {frame}"));
    let (_, later) = app.wait_for_frame("later frames", panicked, RELOAD, |f| {
        f.number("frame") > frame + 15
    });
    assert_eq!(
        later.get("label"),
        format!("label-v1 {}", later.number("frame")),
        "rolled back for good"
    );
    assert_eq!(later.get("pid"), completed.get("pid"));
    assert_eq!(
        later.number("bumps"),
        later.number("frame") + 1,
        "host state intact"
    );
    let panics = app
        .output()
        .iter()
        .filter(|l| l.contains("[hotfn] panic in"))
        .count();
    assert_eq!(panics, 1, "one report per panicking version");

    // A later good build loads normally.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "if frame % 10 == 3 { panic!(\"bad frame {frame}\") } else { format!(\"label-v2 {frame}\") }",
        "format!(\"label-v3 {frame}\")",
    );
    app.wait_for("reload v2", mark, RELOAD, |l| {
        l.contains("[hotfn] reloaded") && l.contains(" v2: ")
    });
    app.wait_for_frame("the fixed code", mark, RELOAD, |f| {
        f.get("label").starts_with("label-v3")
    });
}

#[test]
fn a_panic_that_cannot_be_completed_reaches_the_program_as_its_own_panic() {
    // The program calls a reloaded function with an owned argument; the new code panics. The
    // call cannot be repeated (the Vec was moved into it), so after the rollback the panic
    // continues in the program: its own `catch_unwind` catches it, and the program goes on.
    let fixture = Fixture::new("basic", "owned");
    let mut app = fixture.start_hot();
    let mark = app.len();
    fixture.edit(
        "src/shapes.rs",
        "let tail = bytes.split_off(at.min(bytes.len()));",
        "if _unused == 7 { panic!(\"owned seven\") }\n    let tail = bytes.split_off(at.min(bytes.len()));",
    );
    app.wait_for("reload v1", mark, RELOAD, |l| {
        l.contains("[hotfn] reloaded") && l.contains(" v1: ")
    });
    let mark = app.len();
    app.send("owned");
    let (caught, line) = app.wait_for("the program's catch", mark, RELOAD, |l| {
        l.contains("owned| ")
    });
    assert!(line.ends_with("owned| caught the panic"), "{line}");
    // The report is on stderr, read apart from stdout: it may arrive after the program's line.
    let (_, report) = app.wait_for("the panic report", mark, RELOAD, |l| {
        l.contains("[hotfn] panic in")
    });
    assert!(report.contains("split (v1)"), "{report}");
    assert!(report.contains("owned seven"), "{report}");
    // Rolled back: frames go on, on the original code, in the same process.
    let (_, later) = app.wait_for_frame("frames after the panic", caught, RELOAD, |_| true);
    assert_eq!(
        later.number("bumps"),
        later.number("frame") + 1,
        "host state intact"
    );
}

#[test]
fn a_panic_in_original_code_behaves_as_in_a_normal_build() {
    let fixture = Fixture::new("basic", "plainpanic");
    let mut app = fixture.start_hot();
    app.send("panic");
    let status = app.wait_for_exit(RELOAD);
    assert_eq!(
        status.code(),
        Some(101),
        "a panicking main thread exits with 101"
    );
    let output = app.output().join("\n");
    assert!(
        output.contains("panicked at") && output.contains("divide by zero"),
        "{output}"
    );
    assert!(
        !output.contains("[hotfn] panic"),
        "original code is not rolled back:\n{output}"
    );
}

#[test]
fn signature_and_layout_changes_are_refused_and_the_old_code_keeps_running() {
    let fixture = Fixture::new("basic", "refuse");
    let mut app = fixture.start_hot();
    // (file, original, edit, function named in the report, what the report shows)
    let edits = [
        (
            "src/lib.rs",
            "pub fn label(frame: u64)",
            "pub fn label(frame: u32)",
            "::label",
            "u32",
        ),
        (
            "src/lib.rs",
            "pub fn late(x: u32) -> u32 {\n    x + 1",
            "pub fn late(x: u32, y: u32) -> u32 {\n    x + y",
            "::late",
            "built:",
        ),
        (
            "src/lib.rs",
            "pub fn late(x: u32) -> u32 {\n    x + 1",
            "pub fn late(x: u32) -> u64 {\n    x as u64 + 1",
            "::late",
            "-> u64",
        ),
        (
            "src/lib.rs",
            "pub frames: u64,\n}",
            "pub frames: u64,\n    pub extra: u64,\n}",
            "::describe",
            "40 bytes",
        ),
        (
            "src/lib.rs",
            "pub frame: u64,\n}",
            "pub frame: u64,\n    pub at: u64,\n}",
            "::describe",
            "type `Sample`",
        ),
    ];
    for (round, (file, original, edit, function, shows)) in edits.into_iter().enumerate() {
        let mark = app.len();
        fixture.edit(file, original, edit);
        let (refused, report) = app.wait_for("the refusal", mark, RELOAD, |l| {
            l.contains("[hotfn] reload of")
        });
        assert!(report.contains("refused"), "{report}");
        let (_, named) = app.wait_for("the function", refused, RELOAD, |l| l.contains(function));
        let (_, detail) = app.wait_for("what changed", refused, RELOAD, |l| l.contains(shows));
        let (_, advice) = app.wait_for("the advice", refused, RELOAD, |l| l.contains("Restart"));
        assert!(!named.is_empty() && !detail.is_empty() && !advice.is_empty());
        let (_, frame) = app.wait_for_frame("frames after the refusal", refused, RELOAD, |_| true);
        assert_eq!(
            frame.get("label"),
            format!("label-v1 {}", frame.number("frame")),
            "old code runs"
        );
        assert_eq!(
            frame.number("bumps"),
            frame.number("frame") + 1,
            "state intact"
        );

        // Undoing the edit makes the next build compatible again: it reloads normally.
        let mark = app.len();
        fixture.edit(file, edit, original);
        let version = format!(" v{}: ", round + 1);
        app.wait_for("a compatible reload", mark, RELOAD, |l| {
            l.contains("[hotfn] reloaded") && l.contains(&version)
        });
    }
}

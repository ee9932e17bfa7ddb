//! End-to-end: the events API, `version()`, `wait_for_reload`, quiet mode and swapping at reload
//! points, seen from a running program.

use hotfn_tests::{Fixture, RELOAD, START};

#[test]
fn events_and_version_follow_reloads_and_quiet_mode_prints_nothing() {
    let fixture = Fixture::new("basic", "events");
    let mut app = fixture.run_with(
        &["--features", "hot"],
        &[("FIXTURE_EVENTS", "1"), ("HOTFN_QUIET", "1")],
    );
    app.wait_for("the watching event", 0, START, |l| {
        l.starts_with("out| event| watching")
    });
    let (_, frame) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    assert_eq!(frame.number("version"), 0, "0 before the first reload");

    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let (reloaded, event) = app.wait_for("the reloaded event", mark, RELOAD, |l| {
        l.starts_with("out| event| reloaded")
    });
    assert!(event.contains(" v1: "), "{event}");
    app.wait_for("wait_for_reload", mark, RELOAD, |l| l == "out| waited| v1");
    let (_, timings) = app.wait_for("the timings", mark, RELOAD, |l| {
        l.starts_with("out| timings|")
    });
    let field = |key: &str| -> i64 {
        let value = timings.split(&format!("{key}=")).nth(1).unwrap();
        value.split(' ').next().unwrap().parse().unwrap()
    };
    assert!(field("build_us") > 0, "{timings}");
    assert!(field("open_us") > 0, "{timings}");
    // `detected` and `applied` are wall-clock times (for a benchmark in another process); this
    // machine's wall clock may be adjusted while the test runs, so only their presence is checked.
    assert!(timings.contains("applied_after_us="), "{timings}");
    let (_, frame) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
    });
    assert_eq!(frame.number("version"), 1);
    assert_eq!(frame.number("seen"), 1, "version() called by reloaded code");

    let mark = app.len();
    fixture.edit("src/lib.rs", "format!(\"label-v2 {frame}\")", "1u8");
    let (_, failed) = app.wait_for("the build failed event", mark, RELOAD, |l| {
        l.starts_with("out| event| build of")
    });
    assert!(failed.contains("Fix the error and save again"), "{failed}");

    let stderr_reports: Vec<_> = app
        .output()
        .into_iter()
        .filter(|l| l.starts_with("err|") && l.contains("[hotfn]"))
        .collect();
    assert!(stderr_reports.is_empty(), "quiet: {stderr_reports:#?}");
    let diagnostics = app.output().iter().any(|l| l.contains("error[E0308]"));
    assert!(!diagnostics, "quiet mode prints no diagnostics either");
}

#[test]
fn with_reload_points_new_code_waits_for_the_next_point() {
    let fixture = Fixture::new("basic", "points");
    let mut app = fixture.run_with(&["--features", "hot"], &[("FIXTURE_SWAP", "point")]);
    app.wait_for_frame("the first frame", 0, START, |_| true);
    app.wait_for_watching();
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let (ready, line) = app.wait_for("the pending report", mark, RELOAD, |l| {
        l.contains("[hotfn] ")
            && (l.contains("runs from the next reload point") || l.contains("reloaded"))
    });
    assert!(line.contains("v1 is ready"), "{line}");
    // Frames go on with the old code: nothing calls the reload point yet.
    let (_, first) = app.wait_for_frame("a frame after", ready, RELOAD, |_| true);
    let (_, later) = app.wait_for_frame("frames after", ready, RELOAD, |f| {
        f.number("frame") >= first.number("frame") + 5
    });
    let frames: Vec<_> = app.output()[ready..]
        .iter()
        .filter_map(|l| hotfn_tests::Frame::parse(l))
        .filter(|f| f.number("frame") <= later.number("frame"))
        .collect();
    for frame in &frames {
        assert!(frame.get("label").starts_with("label-v1"), "{}", frame.line);
        assert_eq!(frame.number("version"), 0, "{}", frame.line);
    }

    let mark = app.len();
    app.send("point");
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, frame) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
    });
    assert_eq!(frame.number("version"), 1);
}

#[test]
fn log_and_tracing_records_from_reloaded_code_reach_the_host() {
    let fixture = Fixture::new("basic", "logging");
    let mut app = fixture.start_hot();
    app.wait_for("a log record", 0, RELOAD, |l| {
        l.starts_with("out| log| INFO fixture logged-v1 ")
    });
    app.wait_for("a tracing event", 0, RELOAD, |l| {
        l.starts_with("out| trace| INFO ") && l.contains("message=traced-v1 frame=")
    });
    let mark = app.len();
    fixture.edit("src/lib.rs", "logged-v1", "logged-v2");
    fixture.edit("src/lib.rs", "traced-v1", "traced-v2");
    let reloaded = app.wait_for_reload(mark, 1);
    app.wait_for("the reloaded code's log record", reloaded, RELOAD, |l| {
        l.starts_with("out| log| INFO fixture logged-v2 ")
    });
    app.wait_for("the reloaded code's tracing event", reloaded, RELOAD, |l| {
        l.starts_with("out| trace| INFO ") && l.contains("message=traced-v2 frame=")
    });
}

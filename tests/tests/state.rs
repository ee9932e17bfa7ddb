//! End-to-end: `#[hot] static` state lives in the host and is shared by every version.

use hotfn_tests::{Fixture, RELOAD};

#[test]
fn host_owned_state_keeps_counting_across_three_reloads() {
    let fixture = Fixture::new("basic", "state");
    let mut app = fixture.start_hot();
    let counted = |frame: &hotfn_tests::Frame| {
        let n = frame.number("frame") + 1;
        format!("{n}/{n}")
    };
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |f| f.number("frame") >= 2);
    assert_eq!(before.get("count"), counted(&before));
    for version in 1..=3u32 {
        let mark = app.len();
        fixture.edit(
            "src/lib.rs",
            &format!("label-v{version}"),
            &format!("label-v{}", version + 1),
        );
        // The new versions also mark what `count` returns, to show they are the ones counting.
        if version == 1 {
            fixture.edit("src/lib.rs", "\"{calls}/{}\"", "\"{calls}/{}/new\"");
        }
        let reloaded = app.wait_for_reload(mark, version);
        let (_, frame) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
            f.get("label")
                .starts_with(&format!("label-v{} ", version + 1))
        });
        assert_eq!(
            frame.get("count"),
            format!("{}/new", counted(&frame)),
            "the counter and the history go on in v{version}: {}",
            frame.line
        );
    }
}

#[test]
fn a_state_whose_type_changes_layout_is_refused_and_the_old_code_keeps_its_value() {
    let fixture = Fixture::new("basic", "statetype");
    let mut app = fixture.start_hot();
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "pub static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);",
        "pub static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);",
    );
    let (refused, report) = app.wait_for("the refusal", mark, RELOAD, |l| {
        l.contains("[hotfn] reload of") && l.contains("refused")
    });
    let text = app.output()[refused..].join("\n");
    assert!(text.contains("::CALLS@"), "names the static:\n{text}");
    assert!(text.contains("AtomicU64: 8 bytes"), "old layout:\n{text}");
    assert!(text.contains("AtomicU32: 4 bytes"), "new layout:\n{text}");
    assert!(report.contains("1 change that"), "{report}");
    let (_, frame) = app.wait_for_frame("frames go on", refused, RELOAD, |f| f.number("frame") > 5);
    let n = frame.number("frame") + 1;
    assert_eq!(
        frame.get("count"),
        format!("{n}/{n}"),
        "the old code counts on"
    );

    // Undo: reloads again, with the value intact.
    let mark = app.len();
    fixture.edit("src/lib.rs", "AtomicU32", "AtomicU64");
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, frame) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
    });
    let n = frame.number("frame") + 1;
    assert_eq!(frame.get("count"), format!("{n}/{n}"));
}

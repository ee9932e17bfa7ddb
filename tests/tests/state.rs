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
    assert!(
        text.contains("#[hot(serde)]"),
        "says how to carry it over:\n{text}"
    );
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

#[test]
fn a_state_whose_type_gains_a_field_is_migrated_with_serde() {
    let fixture = Fixture::new("basic", "migrate");
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |f| f.number("frame") >= 2);
    assert_eq!(before.number("tally"), before.number("frame") + 1);
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "    pub calls: u64,\n}",
        "    pub calls: u64,\n    /// New in this version.\n    #[serde(default)]\n    pub bonus: u64,\n}",
    );
    fixture.edit(
        "src/lib.rs",
        "Tally { calls: 0 }",
        "Tally { calls: 0, bonus: 0 }",
    );
    fixture.edit(
        "src/lib.rs",
        "format!(\"{}\", tally.calls)",
        "{ tally.bonus += 10; format!(\"{}+{}\", tally.calls, tally.bonus) }",
    );
    let reloaded = app.wait_for_reload(mark, 1);
    let report = app.output()[reloaded..reloaded + 2].join("\n");
    assert!(report.contains("TALLY migrated"), "{report}");
    let (_, first) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("tally").contains('+')
    });
    let (calls, bonus) = first.get("tally").split_once('+').unwrap();
    let calls: u64 = calls.parse().unwrap();
    assert_eq!(
        calls,
        first.number("frame") + 1,
        "the count went on: {}",
        first.line
    );
    assert_eq!(
        bonus, "10",
        "the new field starts at its default: {}",
        first.line
    );
    let (_, later) = app.wait_for_frame("more frames", reloaded, RELOAD, |f| {
        f.number("frame") == first.number("frame") + 3
    });
    assert_eq!(later.get("tally"), format!("{}+40", calls + 3));
}

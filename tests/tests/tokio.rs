//! End-to-end: hot code on the program's tokio runtime. Reloaded code spawns tasks on the
//! runtime the program started (one tokio, not a copy without a runtime), and their work reaches
//! the program, before and after three reloads.

use hotfn_tests::{Fixture, RELOAD};

#[test]
fn reloaded_code_spawns_tasks_on_the_programs_runtime() {
    let fixture = Fixture::new("tokio", "tokio");
    let mut app = fixture.start_hot();
    let (_, first) = app.wait_for_frame("work done", 0, RELOAD, |f| f.number("received") >= 3);
    assert!(first.get("last").starts_with("work-v1:"), "{}", first.line);
    for version in 1..=3u32 {
        let mark = app.len();
        fixture.edit(
            "src/lib.rs",
            &format!("work-v{version}:"),
            &format!("work-v{}:", version + 1),
        );
        let reloaded = app.wait_for_reload(mark, version);
        let new = format!("work-v{}:", version + 1);
        let (_, frame) = app.wait_for_frame("the new tasks' work", reloaded, RELOAD, |f| {
            f.get("last").starts_with(&new)
        });
        let (_, later) = app.wait_for_frame("more rounds", reloaded, RELOAD, |f| {
            f.number("frame") >= frame.number("frame") + 3
        });
        assert_eq!(later.get("pid"), first.get("pid"));
        // Every spawned task ran and reported (all but the last round's, still sleeping).
        assert!(
            later.number("received") + 3 >= later.number("spawned"),
            "tasks spawned by reloaded code ran: {}",
            later.line
        );
    }
    if app.output().iter().any(|l| l.contains("[hotfn] panic")) {
        app.fail("reloaded code panicked");
    }
}

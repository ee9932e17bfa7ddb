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
    app.assert_no_panic();
}

#[test]
fn a_hot_async_fn_makes_each_future_in_the_version_current_at_the_call() {
    let fixture = Fixture::new("tokio", "asyncfn");
    let mut app = fixture.start_hot();
    app.wait_for_frame("answers", 0, RELOAD, |f| f.number("answered") >= 3);
    for version in 1..=3u32 {
        let mark = app.len();
        fixture.edit(
            "src/lib.rs",
            &format!("async-v{version}:"),
            &format!("async-v{}:", version + 1),
        );
        let reloaded = app.wait_for_reload(mark, version);
        let new = format!("async-v{}:", version + 1);
        let (_, frame) = app.wait_for_frame("the new version's answers", reloaded, RELOAD, |f| {
            f.get("answer").starts_with(&new)
        });
        // A call is answered by the version current when it was made: an answer of the new
        // version is for a round asked after the reload, and calls in flight then were answered
        // by the old one (every call is answered, a few still in flight).
        let round: u64 = frame
            .get("answer")
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let asked_before = app.output()[..reloaded]
            .iter()
            .rev()
            .find_map(|l| hotfn_tests::Frame::parse(l))
            .map_or(0, |f| f.number("frame"));
        assert!(
            round >= asked_before,
            "round {round} asked before the reload (frame {asked_before})"
        );
        let (_, later) = app.wait_for_frame("more answers", reloaded, RELOAD, |f| {
            f.number("frame") >= frame.number("frame") + 5
        });
        assert!(
            later.number("answered") + 6 >= later.number("asked"),
            "every call is answered: {}",
            later.line
        );
    }
    app.assert_no_panic();
}

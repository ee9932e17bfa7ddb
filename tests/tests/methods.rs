//! End-to-end: `#[hot]` impl blocks. Start the `methods` fixture with `cargo run --features hot`,
//! edit method bodies while it runs, and check what the same process prints next.

use hotfn_tests::{Fixture, Frame, RELOAD};

/// The counter's value in a frame: one `step` per frame, so `frame + 1` until an edit.
fn count(frame: &Frame) -> u64 {
    frame.number("count")
}

#[test]
fn every_receiver_reloads_in_the_same_process_with_its_state() {
    let fixture = Fixture::new("methods", "methods");
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |f| f.number("frame") >= 3);
    assert_eq!(count(&before), before.number("frame") + 1);
    assert_eq!(before.get("label"), format!("main-v1:{}", count(&before)));
    assert_eq!(before.number("total"), 2 * count(&before));
    assert_eq!(before.get("boxed"), "box-v1 main");
    assert_eq!(before.number("made"), 0);
    assert_eq!(before.number("merged"), count(&before));
    assert_eq!(before.get("pick"), "m");
    assert_eq!(before.get("meter"), "meter-v1 5");
    assert_eq!(before.get("word"), "hello");

    // One save that changes a method of every shape: one build, one reload.
    let mark = app.len();
    let edits = [
        ("format!(\"{}-v1:{}\"", "format!(\"{}-v2:{}\""), // &self
        ("self.count += Self::STEP", "self.count += 100"), // &mut self
        ("self.count * 2", "self.count * 3"),             // self
        ("box-v1", "box-v2"),                             // self: Box<Self>
        ("count: 0,", "count: 7,"),                       // fn new() -> Self
        ("self.count + other.count", "self.count + other.count + 1"), // &Self -> Self
        ("meter-v1", "meter-v2"),                         // the other `label`
        ("split_whitespace().next()", "split_whitespace().last()"), // impl<'a>
    ];
    let text = std::fs::read_to_string(fixture.path("src/lib.rs")).unwrap();
    let edited = edits.iter().fold(text, |text, (from, to)| {
        assert!(text.contains(from), "src/lib.rs does not contain {from:?}");
        text.replace(from, to)
    });
    std::fs::write(fixture.path("src/lib.rs"), edited).unwrap();

    let reloaded = app.wait_for_reload(mark, 1);
    let (_, after) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").contains("-v2:")
    });
    let (_, next) = app.wait_for_frame("the frame after", reloaded, RELOAD, |f| {
        f.number("frame") == after.number("frame") + 1
    });

    assert_eq!(
        after.get("pid"),
        before.get("pid"),
        "the process must not restart"
    );
    assert!(
        count(&after) > count(&before),
        "the counter, owned by main, keeps its value"
    );
    assert_eq!(count(&next), count(&after) + 100, "&mut self");
    assert_eq!(
        after.get("label"),
        format!("main-v2:{}", count(&after)),
        "&self, and the private method it calls"
    );
    assert_eq!(after.number("total"), 3 * count(&after), "self");
    assert_eq!(after.get("boxed"), "box-v2 main", "self: Box<Self>");
    assert_eq!(after.number("made"), 7, "associated fn returning Self");
    assert_eq!(
        after.number("merged"),
        count(&after) + 7 + 1,
        "&Self argument, Self result"
    );
    assert_eq!(after.get("pick"), "m", "result borrowed from self");
    assert_eq!(
        after.get("meter"),
        "meter-v2 5",
        "same method name in another impl"
    );
    assert_eq!(after.get("word"), "world", "impl block with a lifetime");
    let reloads = app.output()[mark..]
        .iter()
        .filter(|l| l.contains("[hotfn] reloaded"))
        .count();
    if reloads != 1 {
        app.fail(&format!("one save should give one reload, saw {reloads}"));
    }
}

#[test]
fn a_lone_hot_associated_fn_in_a_plain_impl_block_reloads_even_if_never_called() {
    let fixture = Fixture::new("methods", "mlone");
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |f| f.number("frame") >= 1);
    assert_eq!(before.get("speed"), "1.5");
    assert_eq!(
        before.get("late"),
        "-",
        "`Config::late` is not called before a reload"
    );
    assert_eq!(before.get("plain"), "1");

    let mark = app.len();
    let text = std::fs::read_to_string(fixture.path("src/lib.rs")).unwrap();
    let edits = [
        ("1.5 * Config::SCALE", "2.5 * Config::SCALE"),
        ("\"late-v1\"", "\"late-v2\""),
    ];
    let edited = edits.iter().fold(text, |text, (from, to)| {
        assert!(text.contains(from), "src/lib.rs does not contain {from:?}");
        text.replace(from, to)
    });
    std::fs::write(fixture.path("src/lib.rs"), edited).unwrap();
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, after) = app.wait_for_frame("new code", reloaded, RELOAD, |f| f.get("speed") == "2.5");
    assert_eq!(
        after.get("pid"),
        before.get("pid"),
        "the process must not restart"
    );
    // The first call of `late` runs v2, and the runtime knew `late` from the start: its slot,
    // declared inside a stub that had never run, was in the program's list (else the reload
    // would report it as `new in ...`, a function only reloaded code can call).
    assert_eq!(after.get("late"), "late-v2");
    let output = app.output();
    if let Some(new) = output[mark..].iter().find(|l| l.contains("new in")) {
        app.fail(&format!(
            "every function was known before the reload: {new}"
        ));
    }
    let watching = output
        .iter()
        .find(|l| l.contains("[hotfn] watching"))
        .unwrap();
    assert!(watching.contains("(12 hot functions)"), "{watching}");
    assert_eq!(
        after.get("plain"),
        "1",
        "the impl block's other items are untouched"
    );
}

#[test]
fn a_panic_in_a_reloaded_method_rolls_back_and_completes_the_call() {
    let fixture = Fixture::new("methods", "mpanic");
    let mut app = fixture.start_hot();
    let mark = app.len();
    // `step` takes `&mut self`: the completed call is made on the same counter.
    fixture.edit(
        "src/lib.rs",
        "self.count += Self::STEP;",
        "if self.count > 0 { panic!(\"bad step at {}\", self.count) }",
    );
    app.wait_for_reload(mark, 1);
    let (panicked, report) = app.wait_for("the panic report", mark, RELOAD, |l| {
        l.contains("[hotfn] panic in")
    });
    assert!(report.contains("::Counter::step (v1)"), "{report}");
    assert!(report.contains("bad step at"), "{report}");
    let (_, next) = app.wait_for("the rest of the report", panicked, RELOAD, |l| {
        l.contains("rolled")
    });
    assert!(
        next.contains("the call was completed by the original code"),
        "{next}"
    );
    // Every frame has stepped exactly once, including the one whose call panicked.
    let (_, later) =
        app.wait_for_frame("later frames", panicked, RELOAD, |f| f.number("frame") > 10);
    let frames: Vec<Frame> = app
        .output()
        .iter()
        .filter_map(|l| Frame::parse(l))
        .collect();
    for frame in &frames {
        assert_eq!(
            count(frame),
            frame.number("frame") + 1,
            "host state intact, no step lost: {}",
            frame.line
        );
    }
    assert_eq!(later.get("label"), format!("main-v1:{}", count(&later)));
}

#[test]
fn changing_a_receiver_or_the_layout_of_self_is_refused() {
    let fixture = Fixture::new("methods", "mrefuse");
    let mut app = fixture.start_hot();
    // (original, edit, what the report shows)
    let edits = [
        (
            "pub fn label(&self) -> String {\n        format!(\"meter",
            "pub fn label(&mut self) -> String {\n        format!(\"meter",
            "fn(&mut Self)",
        ),
        (
            "pub struct Meter(pub u32);",
            "pub struct Meter(pub u64);",
            "8 bytes",
        ),
    ];
    for (round, (original, edit, shows)) in edits.into_iter().enumerate() {
        let mark = app.len();
        fixture.edit("src/lib.rs", original, edit);
        let (refused, report) = app.wait_for("the refusal", mark, RELOAD, |l| {
            l.contains("[hotfn] reload of")
        });
        assert!(report.contains("refused"), "{report}");
        app.wait_for("the method", refused, RELOAD, |l| {
            l.contains("::Meter::label")
        });
        app.wait_for("what changed", refused, RELOAD, |l| l.contains(shows));
        let (_, frame) = app.wait_for_frame("frames after the refusal", refused, RELOAD, |_| true);
        assert_eq!(frame.get("meter"), "meter-v1 5", "old code runs");
        assert_eq!(count(&frame), frame.number("frame") + 1, "state intact");

        let mark = app.len();
        fixture.edit("src/lib.rs", edit, original);
        let version = format!(" v{}: ", round + 1);
        app.wait_for("a compatible reload", mark, RELOAD, |l| {
            l.contains("[hotfn] reloaded") && l.contains(&version)
        });
    }
}

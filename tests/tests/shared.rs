//! End-to-end: one program. A reload links a patch against the running program's own std and
//! dependencies, so reloaded code sees the program's statics, thread-locals, registries,
//! allocator and panic hook, never copies of them; what cannot be shared is refused by name.

use hotfn_tests::{App, Fixture, Frame, RELOAD};

/// Waits for the first frame after reload `version` (after `mark`) that shows `label`.
fn reload(app: &mut App, mark: usize, version: u32, label: &str) -> (usize, Frame) {
    let reloaded = app.wait_for_reload(mark, version);
    app.wait_for_frame(label, reloaded, RELOAD, |f| f.get("label") == label)
}

/// Every counter of the frame went on by one per frame since the first: nothing started over.
fn counted_on(frame: &Frame) {
    let frames = frame.number("frame") + 1;
    for counter in ["calls", "mine", "depth", "hits"] {
        assert_eq!(
            frame.number(counter),
            frames,
            "{counter} must count every frame: {}",
            frame.line
        );
    }
    assert_eq!(
        frame.get("names"),
        "alpha+beta",
        "the registry the program filled"
    );
}

#[test]
fn statics_thread_locals_and_a_dependencys_registry_carry_on_across_reloads() {
    let fixture = Fixture::new("shared", "carry");
    let mut app = fixture.start_hot();
    let (_, first) = app.wait_for_frame("a frame", 0, RELOAD, |f| f.number("frame") >= 2);
    counted_on(&first);

    // Three reloads: every counter carries on, the hot crate's own, its thread-local, and the
    // dependency's thread-local and registry.
    for version in 1..=3 {
        let mark = app.len();
        let (from, to) = (
            format!("label=v{version} "),
            format!("label=v{} ", version + 1),
        );
        fixture.edit("src/lib.rs", &from, &to);
        let (_, frame) = reload(&mut app, mark, version, &format!("v{}", version + 1));
        counted_on(&frame);
        assert_eq!(frame.get("pid"), first.get("pid"));
    }

    // A static the edit adds lives in that patch, and the next patch shares it.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "let added = \"-\";",
        "static ADDED: AtomicU64 = AtomicU64::new(0);\n    let added = ADDED.fetch_add(1, Ordering::SeqCst) + 1;",
    );
    let reloaded = app.wait_for_reload(mark, 4);
    let (_, added) = app.wait_for_frame("the added static", reloaded, RELOAD, |f| {
        f.get("added") != "-"
    });
    let mark = app.len();
    fixture.edit("src/lib.rs", "label=v4 ", "label=v5 ");
    let (_, next) = reload(&mut app, mark, 5, "v5");
    assert!(
        next.number("added") > added.number("added"),
        "the added static keeps its value in the next version: {} then {}",
        added.line,
        next.line
    );
    counted_on(&next);
}

#[test]
fn the_programs_allocator_and_panic_hook_serve_reloaded_code() {
    let fixture = Fixture::new("shared", "alloc");
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    assert!(
        (1000..100_000).contains(&before.number("allocated")),
        "{}",
        before.line
    );

    // The new code allocates a megabyte a call: the program's #[global_allocator] counts it.
    let mark = app.len();
    fixture.edit("src/lib.rs", "vec![1u8; n]", "vec![1u8; n + (1 << 20)]");
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, after) = app.wait_for_frame("the new allocation", reloaded, RELOAD, |f| {
        f.number("allocated") > 1 << 20
    });
    counted_on(&after);

    // A panic in reloaded code goes through the program's own hook, once, is reported, rolled
    // back, and the call is completed by the last good version.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "    n\n}",
        "    if n > 0 {\n        panic!(\"checked {n}\")\n    }\n    n\n}",
    );
    app.wait_for_reload(mark, 2);
    let (_, quiet) = app.wait_for_frame("a frame of v2", mark, RELOAD, |_| true);
    assert_eq!(quiet.number("hooks"), 0, "{}", quiet.line);
    let mark = app.len();
    app.send("check");
    let (_, checked) = app.wait_for_frame("the checked frame", mark, RELOAD, |f| {
        f.get("checked") != "-"
    });
    assert!(
        checked.get("checked").starts_with("returned-"),
        "completed by the last good version: {}",
        checked.line
    );
    let output = app.output();
    let hooks: Vec<&String> = output[mark..]
        .iter()
        .filter(|l| l.starts_with("err| hook| panicked at src/lib.rs:"))
        .collect();
    if hooks.len() != 1 {
        app.fail(&format!("the program's hook should run once: {hooks:?}"));
    }
    assert!(
        output[mark..]
            .iter()
            .any(|l| l.contains("[hotfn] panic in a call of")),
        "hotfn reports it"
    );
    let (_, later) = app.wait_for_frame("later frames", mark, RELOAD, |f| {
        f.number("frame") > checked.number("frame")
    });
    assert_eq!(later.number("hooks"), 1, "{}", later.line);
    counted_on(&later);
}

#[test]
fn what_cannot_be_shared_is_refused_by_name_and_stateless_library_code_is_taken_in() {
    let fixture = Fixture::new("shared", "refuse");
    let mut app = fixture.start_hot();

    // A static whose type changes size: refused, naming it; the old code keeps running.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "pub static SIZED: AtomicU32 = AtomicU32::new(7);",
        "pub static SIZED: AtomicU64 = AtomicU64::new(7);",
    );
    let (refused, report) = app.wait_for("the refusal", mark, RELOAD, |l| {
        l.contains("[hotfn] reload of")
    });
    assert!(report.contains("refused"), "{report}");
    let crate_name = fixture.package.replace('-', "_");
    let (_, named) = app.wait_for("the static", refused, RELOAD, |l| {
        l.contains(&format!(
            "static {crate_name}::SIZED: its type changed (4 bytes, now 8)"
        ))
    });
    assert!(named.starts_with("err|         "), "{named}");
    let (_, frame) = app.wait_for_frame("frames after the refusal", refused, RELOAD, |_| true);
    assert_eq!(frame.get("label"), "v1", "old code runs");
    counted_on(&frame);
    fixture.edit(
        "src/lib.rs",
        "pub static SIZED: AtomicU64 = AtomicU64::new(7);",
        "pub static SIZED: AtomicU32 = AtomicU32::new(7);",
    );

    // A dependency function the program never called, reaching no state: its code is taken from
    // the dependency's rlib, and it runs.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "let extra = \"-\";",
        "let extra = registry::shout(\"hey\");",
    );
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, shouted) = app.wait_for_frame("the dependency's code", reloaded, RELOAD, |f| {
        f.get("extra") == "HEY!"
    });
    counted_on(&shouted);

    // One that reaches a private static of the dependency, which the program has but no patch
    // can share: refused, naming the static, and nothing is split.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "let extra = registry::shout(\"hey\");",
        "let extra = registry::hit_twice();",
    );
    let (refused, _) = app.wait_for("the refusal", mark, RELOAD, |l| {
        l.contains("[hotfn] reload of")
    });
    app.wait_for("the dependency's static", refused, RELOAD, |l| {
        l.contains("_registry::HITS:") && l.contains("a copy of its own")
    });
    app.wait_for("the advice", refused, RELOAD, |l| {
        l.contains("Restart it to use the change")
    });
    let (_, frame) = app.wait_for_frame("frames after the refusal", refused, RELOAD, |_| true);
    assert_eq!(frame.get("extra"), "HEY!", "the previous code runs");
    counted_on(&frame);
}

#[test]
fn with_optimised_dependencies_state_still_carries_on() {
    // What Bevy recommends, and game developers commonly set: dependencies optimised, the
    // program's own crates not.
    let fixture = Fixture::new("shared", "opt3");
    let manifest = std::fs::read_to_string(fixture.path("Cargo.toml")).unwrap();
    std::fs::write(
        fixture.path("Cargo.toml"),
        manifest.replace(
            "[workspace]",
            "[profile.dev.package.\"*\"]\nopt-level = 3\n\n[workspace]",
        ),
    )
    .unwrap();
    let mut app = fixture.start_hot();
    for version in 1..=2 {
        let mark = app.len();
        let (from, to) = (
            format!("label=v{version} "),
            format!("label=v{} ", version + 1),
        );
        fixture.edit("src/lib.rs", &from, &to);
        let (_, frame) = reload(&mut app, mark, version, &format!("v{}", version + 1));
        counted_on(&frame);
    }
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "let extra = \"-\";",
        "let extra = registry::shout(\"opt\");",
    );
    let reloaded = app.wait_for_reload(mark, 3);
    let (_, frame) = app.wait_for_frame("the dependency's code", reloaded, RELOAD, |f| {
        f.get("extra") == "OPT!"
    });
    counted_on(&frame);
}

#[test]
fn with_the_crate_optimised_a_thread_local_its_code_reads_directly_is_refused_by_name() {
    // At opt-level 1 and up the accessor `thread_local!` makes is inlined into its users, so the
    // program has no accessor through which a patch could share the thread-local.
    let fixture = Fixture::new("shared", "opt1");
    let manifest = std::fs::read_to_string(fixture.path("Cargo.toml")).unwrap();
    let profile = format!(
        "[profile.dev.package.{}]\nopt-level = 1\n\n[workspace]",
        fixture.package
    );
    std::fs::write(
        fixture.path("Cargo.toml"),
        manifest.replace("[workspace]", &profile),
    )
    .unwrap();
    let mut app = fixture.start_hot();
    let mark = app.len();
    fixture.edit("src/lib.rs", "label=v1 ", "label=v2 ");
    let (refused, _) = app.wait_for("the refusal", mark, RELOAD, |l| {
        l.contains("[hotfn] reload of")
    });
    let crate_name = fixture.package.replace('-', "_");
    app.wait_for("the thread-local", refused, RELOAD, |l| {
        l.contains(&format!(
            "thread-local {crate_name}::MINE: the new code reads it directly"
        )) && l.contains("opt-level = 0")
    });
    let (_, frame) = app.wait_for_frame("frames after the refusal", refused, RELOAD, |_| true);
    assert_eq!(frame.get("label"), "v1", "old code runs");
    counted_on(&frame);
}

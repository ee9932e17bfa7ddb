//! End-to-end: start the `basic` fixture with `cargo run --features hot`, edit its sources while
//! it runs, and check what the same process prints next.

use hotfn_tests::{App, Fixture, RELOAD};

#[test]
fn an_edit_runs_in_the_same_process_with_its_state() {
    let fixture = Fixture::new("basic", "edit");
    let mut app = fixture.start_hot();
    let (_, before) = app.wait_for_frame("a frame", 0, RELOAD, |f| f.number("frame") >= 3);
    assert_eq!(
        before.get("label"),
        format!("label-v1 {}", before.number("frame"))
    );
    assert_eq!(before.number("bumps"), before.number("frame") + 1);

    // One save that changes every shape of function at once: one build, one reload.
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    fixture.edit(
        "src/shapes.rs",
        "values.iter().sum()",
        "values.iter().sum::<i64>() * 10",
    );
    fixture.edit("src/shapes.rs", "*counter += 1", "*counter += 100");
    fixture.edit(
        "src/shapes.rs",
        "if b.len() > a.len() { b } else { a }",
        "if b.len() > a.len() { a } else { b }",
    );
    fixture.edit(
        "src/shapes.rs",
        "text.split_whitespace().next()",
        "text.split_whitespace().last()",
    );
    fixture.edit(
        "src/shapes.rs",
        "split_off(at.min",
        "split_off((at + 1).min",
    );
    let reloaded = app.wait_for_reload(mark, 1);
    let (_, after) = app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
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
        after.number("frame") > before.number("frame"),
        "the frame counter must go on"
    );
    assert_eq!(
        after.get("label"),
        format!("label-v2 {}", after.number("frame"))
    );
    assert_eq!(after.get("sum"), "60", "slice argument");
    assert_eq!(after.get("longest"), "ab", "explicit lifetimes");
    assert_eq!(
        after.get("word"),
        "Some(\"world\")",
        "elided lifetime in Option<&str>"
    );
    assert_eq!(
        after.get("split"),
        "2/[3,",
        "by-value Vec and tuple pattern; returned tuple"
    );
    assert_eq!(
        next.number("bumps"),
        after.number("bumps") + 100,
        "&mut argument"
    );
    assert!(
        after.number("bumps") > before.number("bumps"),
        "host state survives"
    );
    let rebuilt = app.output()[mark..]
        .iter()
        .filter(|l| l.contains("[hotfn] reloaded"))
        .count();
    if rebuilt != 1 {
        app.fail(&format!("one save should give one reload, saw {rebuilt}"));
    }
}

#[test]
fn a_compile_error_keeps_the_old_code_until_fixed() {
    let fixture = Fixture::new("basic", "broken");
    let mut app = fixture.start_hot();
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "format!(\"label-v1 {frame}\")",
        "format!(\"label-v2 {frame}\") + 1u8",
    );
    let (failed, _) = app.wait_for("the build failure", mark, RELOAD, |l| {
        l.contains("[hotfn] build of")
    });
    let shown = app.output()[mark..failed].join("\n");
    assert!(
        shown.contains("error[E0308]") || shown.contains("error[E0277]"),
        "diagnostics shown:\n{shown}"
    );
    assert!(
        shown.contains("src/lib.rs"),
        "diagnostics point at the file:\n{shown}"
    );
    // The program goes on with the previous code.
    let (_, frame) = app.wait_for_frame("frames after the failure", failed, RELOAD, |_| true);
    let (_, later) = app.wait_for_frame("more frames", failed, RELOAD, |f| {
        f.number("frame") > frame.number("frame") + 5
    });
    assert_eq!(
        later.get("label"),
        format!("label-v1 {}", later.number("frame"))
    );

    fixture.edit(
        "src/lib.rs",
        "format!(\"label-v2 {frame}\") + 1u8",
        "format!(\"label-v3 {frame}\")",
    );
    let reloaded = app.wait_for_reload(failed, 1);
    let (_, fixed) = app.wait_for_frame("the fixed code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v3")
    });
    assert_eq!(fixed.get("pid"), frame.get("pid"));
}

#[test]
fn rust_edits_rebuild_with_rustc_alone_from_the_first_and_anything_else_goes_through_cargo() {
    let fixture = Fixture::new("basic", "direct");
    let mut app = fixture.start_hot();
    // Waits for reload `version` after `mark` and the frame of `label` it leads to, and checks
    // that `tool` built it.
    let reload = |app: &mut App, mark: usize, version: u32, label: &str, tool: &str| {
        let line = app.wait_for_reload(mark, version);
        app.wait_for_frame(label, line, RELOAD, |f| f.get("label").starts_with(label));
        let line = &app.output()[line];
        assert!(
            line.contains(&format!(" ({tool} ")),
            "built by {tool}: {line}"
        );
    };

    // Replaces `from` by `to` in `file`, then expects reload `version`, built by `tool`, whose
    // frames show `label`.
    let step = |app: &mut App, (file, from, to): (&str, &str, &str), version, label, tool| {
        let mark = app.len();
        fixture.edit(file, from, to);
        reload(app, mark, version, label, tool);
    };
    let edit = |from, to| ("src/lib.rs", from, to);

    // At start, the runtime built the package once through cargo, silently, which gave the
    // compiler command to run again: even the first edit is built by the compiler alone (an
    // edit made while that build runs waits for it).
    step(
        &mut app,
        edit("label-v1", "label-v2"),
        1,
        "label-v2",
        "rustc",
    );
    step(
        &mut app,
        edit("label-v2", "label-v3"),
        2,
        "label-v3",
        "rustc",
    );

    // A manifest change that changes the compiler command (a new feature is a new
    // `--check-cfg`): cargo builds, with the new command, which the next edit runs again. (The
    // manifest is saved alone: saved together with a Rust file, the two can reach the runtime in
    // two batches, and the second makes the cargo build stale, to be built again, rightly, by
    // the command that build captured.)
    let manifest = ("Cargo.toml", "[features]\n", "[features]\nunused = []\n");
    step(&mut app, manifest, 3, "label-v3", "cargo");
    step(
        &mut app,
        edit("label-v3", "label-v5"),
        4,
        "label-v5",
        "rustc",
    );

    // A compile error is shown once, as cargo shows it. The compile failed, so cargo was asked
    // again for the command, and gave the same: the fix is built by the compiler alone too.
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        LABEL_V5,
        "format!(\"label-v6 {frame}\") + 1u8",
    );
    let (failed, _) = app.wait_for("the build failure", mark, RELOAD, |l| {
        l.contains("[hotfn] build of")
    });
    let shown = app.output()[mark..failed].join("\n");
    assert_eq!(
        shown.matches("src/lib.rs:").count(),
        1,
        "one diagnostic:\n{shown}"
    );
    assert!(
        !shown.contains("CARGO_PKG") && !shown.contains("Fresh"),
        "no cargo command lines or status lines:\n{shown}"
    );
    let mark = app.len();
    fixture.edit(
        "src/lib.rs",
        "format!(\"label-v6 {frame}\") + 1u8",
        "format!(\"label-v7 {frame}\")",
    );
    reload(&mut app, mark, 5, "label-v7", "rustc");
}

#[test]
fn without_the_warm_up_the_first_edit_is_built_by_cargo() {
    let fixture = Fixture::new("basic", "cold");
    let mut app = fixture.run_with(&["--features", "hot"], &[("HOTFN_WARM_UP", "0")]);
    app.wait_for_watching();
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let line = app.wait_for_reload(mark, 1);
    let line = &app.output()[line];
    assert!(
        line.contains(" (cargo "),
        "no build at start, so cargo: {line}"
    );
}

const LABEL_V5: &str = "format!(\"label-v5 {frame}\")";

#[test]
fn a_function_first_called_after_a_reload_runs_the_new_code() {
    let fixture = Fixture::new("basic", "late");
    let mut app = fixture.start_hot();
    let (_, frame) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    assert_eq!(frame.get("late"), "-", "late() is not called before we ask");
    let mark = app.len();
    fixture.edit("src/lib.rs", "x + 1", "x + 1_000_000");
    let reloaded = app.wait_for_reload(mark, 1);
    app.send("late");
    let (_, called) = app.wait_for_frame("late() to be called", reloaded, RELOAD, |f| {
        f.get("late") != "-"
    });
    assert_eq!(called.number("late"), called.number("frame") + 1_000_000);
}

#[test]
fn identical_saves_do_not_rebuild_and_an_editor_save_rebuilds_once() {
    let fixture = Fixture::new("basic", "same");
    let mut app = fixture.start_hot();
    let lib = fixture.path("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    let mark = app.len();
    for _ in 0..3 {
        std::fs::write(&lib, &text).unwrap();
    }
    // Then a real change, saved as vim does: swap file, backup, write a new file, rename it over
    // the original. It must be the only thing the runtime reacts to, as reload v1.
    std::fs::write(fixture.path("src/.lib.rs.swp"), "swap").unwrap();
    std::fs::write(fixture.path("src/lib.rs~"), &text).unwrap();
    let new = fixture.path("src/lib.rs.new");
    std::fs::write(&new, text.replace("label-v1", "label-v2")).unwrap();
    std::fs::rename(&new, &lib).unwrap();
    std::fs::remove_file(fixture.path("src/.lib.rs.swp")).unwrap();
    app.wait_for_reload(mark, 1);
    let (_, frame) = app.wait_for_frame("new code", mark, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
    });
    // Give a second, spurious build time to show up before counting.
    app.wait_for_frame("a few more frames", mark, RELOAD, |f| {
        f.number("frame") > frame.number("frame") + 20
    });
    let reactions: Vec<_> = app.output()[mark..]
        .iter()
        .filter(|l| l.starts_with("err| [hotfn]"))
        .cloned()
        .collect();
    assert_eq!(
        reactions.len(),
        1,
        "only the real change reloads: {reactions:#?}"
    );
}

/// The copy directories of process `pid`.
fn copy_dirs(pid: &str) -> Vec<std::path::PathBuf> {
    let prefix = format!("hotfn-{pid}-");
    let parent = hotfn_tests::shared_target_dir().join("hotfn");
    let entries = std::fs::read_dir(parent).into_iter().flatten().flatten();
    entries
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Starts the fixture, reloads once, and returns the app and its process id.
fn start_and_reload(fixture: &Fixture) -> (App, String) {
    let mut app = fixture.start_hot();
    let (_, frame) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    app.wait_for_reload(mark, 1);
    (app, frame.get("pid").to_owned())
}

/// The patches in a private directory.
fn patches(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap().flatten();
    entries
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "so"))
        .collect()
}

#[test]
fn patches_are_private_and_removed_at_exit() {
    let fixture = Fixture::new("basic", "cleanup");
    let (mut app, pid) = start_and_reload(&fixture);
    let dirs = copy_dirs(&pid);
    assert_eq!(dirs.len(), 1, "one private directory per process: {dirs:?}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dirs[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "patches must not be readable by others");
    }
    assert_eq!(patches(&dirs[0]).len(), 1, "one patch per reload");
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v2", "label-v3");
    app.wait_for_reload(mark, 2);
    let names = patches(&dirs[0]);
    assert_eq!(names.len(), 2, "each under a name of its own: {names:?}");

    app.send("quit");
    app.wait_for_exit(hotfn_tests::RELOAD);
    assert!(
        copy_dirs(&pid).is_empty(),
        "patches left behind after exit: {:?}",
        copy_dirs(&pid)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn patches_are_removed_when_ctrl_c_ends_the_program() {
    use std::os::unix::process::ExitStatusExt;
    for (signal, number) in [("INT", 2), ("TERM", 15)] {
        let fixture = Fixture::new("basic", &format!("sig{}", signal.to_lowercase()));
        let (mut app, pid) = start_and_reload(&fixture);
        assert_eq!(copy_dirs(&pid).len(), 1);
        let kill = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(kill.success());
        let status = app.wait_for_exit(RELOAD);
        assert_eq!(
            status.signal(),
            Some(number),
            "ended by SIG{signal} as without hotfn: {status:?}"
        );
        assert!(
            copy_dirs(&pid).is_empty(),
            "patches left behind after SIG{signal}: {:?}",
            copy_dirs(&pid)
        );
    }
}

#[test]
fn without_the_feature_nothing_of_the_loader_is_built() {
    let fixture = Fixture::new("basic", "static");
    let tree = fixture
        .cargo(&["tree", "-e", "normal", "--prefix", "none"])
        .output()
        .unwrap();
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8(tree.stdout).unwrap();
    assert!(tree.contains("hotfn-runtime"), "{tree}");
    for loader in ["object", "notify", "linkme", "rustc-demangle"] {
        assert!(
            !tree.contains(loader),
            "{loader} in the dependency tree without the feature:\n{tree}"
        );
    }

    let binary = |args: &[&str], profile: &str| {
        let build = fixture.cargo(args).output().unwrap();
        assert!(
            build.status.success(),
            "{}",
            String::from_utf8_lossy(&build.stderr)
        );
        let path = hotfn_tests::shared_target_dir()
            .join(profile)
            .join(&fixture.package);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let contains = |haystack: &[u8], needle: &str| {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    let markers = [
        "__HOTFN_SLOT",
        "linkme_SLOTS",
        // The patch linker's name, which the runtime looks for.
        "rust-lld",
        // notify's Linux backend.
        "inotify_init",
    ];

    // The check must be able to fail: the hot build has every marker.
    let hot = binary(&["build", "--features", "hot"], "debug");
    for marker in markers {
        assert!(
            contains(&hot, marker),
            "{marker} missing from the hot build: the check is broken"
        );
    }
    let release = binary(&["build", "--release"], "release");
    for marker in markers {
        assert!(
            !contains(&release, marker),
            "{marker} found in the release build"
        );
    }
}

//! End-to-end: bad input and a hostile environment. Each case gets one clear message (or none,
//! when there is nothing to say) and the program keeps running with its state.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hotfn_tests::{App, Fixture, RELOAD};

const LABEL: &str = "format!(\"label-v1 {frame}\")";

/// Checks that frames go on after line `skip` with the host's state intact, and returns the last.
fn still_running(app: &mut App, skip: usize) -> hotfn_tests::Frame {
    let (_, first) = app.wait_for_frame("frames", skip, RELOAD, |_| true);
    let (_, later) = app.wait_for_frame("more frames", skip, RELOAD, |f| {
        f.number("frame") > first.number("frame") + 3
    });
    assert_eq!(later.get("pid"), first.get("pid"), "the same process");
    assert!(
        later.number("bumps") > first.number("bumps"),
        "host state goes on"
    );
    later
}

/// Lines after `skip` that contain `text`.
fn count(app: &App, skip: usize, text: &str) -> usize {
    app.output()[skip..]
        .iter()
        .filter(|l| l.contains(text))
        .count()
}

#[test]
fn ten_saves_within_100_ms_give_one_reload() {
    let fixture = Fixture::new("basic", "storm");
    let mut app = fixture.start_hot();
    let mark = app.len();
    let path = fixture.path("src/lib.rs");
    let original = std::fs::read_to_string(&path).unwrap();
    let started = Instant::now();
    for save in 2..=11 {
        let text = original.replace(LABEL, &format!("format!(\"label-v{save} {{frame}}\")"));
        std::fs::write(&path, text).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let storm = started.elapsed();
    let reloaded = app.wait_for_reload(mark, 1);
    app.wait_for_frame("the last save's code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v11 ")
    });
    // One more save: if the storm had given more than one reload, this would not be v2.
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v11", "label-v12");
    app.wait_for_reload(mark, 2);
    let output = app.output();
    let reloads: Vec<_> = output
        .iter()
        .filter(|l| l.contains("[hotfn] reloaded"))
        .collect();
    assert_eq!(reloads.len(), 2, "10 saves in {storm:?}: {reloads:#?}");
    assert_eq!(count(&app, 0, "[hotfn] build of"), 0, "no failed build");
}

#[test]
fn a_half_written_file_is_not_built_until_complete() {
    let fixture = Fixture::new("basic", "halfway");
    let mut app = fixture.start_hot();
    let mark = app.len();
    let path = fixture.path("src/lib.rs");
    let complete = std::fs::read_to_string(&path)
        .unwrap()
        .replace("label-v1", "label-v2");
    // An editor (or a slow disk) has written the first part of the file when the watcher fires.
    let cut = complete.find("label-v2").unwrap();
    std::fs::write(&path, &complete[..cut]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    std::fs::write(&path, &complete).unwrap();
    let reloaded = app.wait_for_reload(mark, 1);
    app.wait_for_frame("the complete file's code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2 ")
    });
    still_running(&mut app, reloaded);
    let failures = count(&app, mark, "[hotfn] build of");
    if failures > 0 {
        app.fail("the half-written file was reported as a failed build");
    }
}

#[test]
fn a_deleted_file_fails_the_build_and_restoring_it_reloads() {
    let fixture = Fixture::new("basic", "deleted");
    let mut app = fixture.start_hot();
    let mark = app.len();
    let path = fixture.path("src/shapes.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (failed, report) = app.wait_for("the build failure", mark, RELOAD, |l| {
        l.contains("[hotfn] build of")
    });
    assert!(report.contains("Fix the error and save again"), "{report}");
    let shown = app.output()[mark..failed].join("\n");
    assert!(
        shown.contains("shapes"),
        "the missing module is named:\n{shown}"
    );
    still_running(&mut app, failed);
    std::fs::write(&path, text).unwrap();
    let reloaded = app.wait_for_reload(failed, 1);
    let frame = still_running(&mut app, reloaded);
    assert_eq!(frame.number("bumps"), frame.number("frame") + 1);
}

#[test]
fn a_new_module_file_is_built_and_its_functions_are_hot() {
    let fixture = Fixture::new("basic", "newmod");
    let mut app = fixture.start_hot();
    let mark = app.len();
    // A new directory too: it did not exist when the watcher started.
    std::fs::create_dir(fixture.path("src/extra")).unwrap();
    std::fs::write(
        fixture.path("src/extra/mod.rs"),
        "//! Added while the program runs.\n\n\
         /// A function the running program never heard of.\n\
         #[hotfn_runtime::hot]\n\
         pub fn suffix(frame: u64) -> String {\n    format!(\"+extra{}\", frame % 2)\n}\n",
    )
    .unwrap();
    fixture.edit(
        "src/lib.rs",
        "pub mod shapes;",
        "pub mod extra;\npub mod shapes;",
    );
    fixture.edit(
        "src/lib.rs",
        LABEL,
        "format!(\"label-v2 {frame}{}\", extra::suffix(frame))",
    );
    let (_, added) = app.wait_for("the new function", mark, RELOAD, |l| {
        l.contains("[hotfn] new in")
    });
    assert!(added.contains("suffix"), "{added}");
    let (_, frame) = app.wait_for_frame("the new module's code", mark, RELOAD, |f| {
        f.get("label").starts_with("label-v2 ")
    });
    let expected = format!("+extra{}", frame.number("frame") % 2);
    assert!(frame.get("label").ends_with(&expected), "{}", frame.line);

    // The new function is hot like the others.
    let mark = app.len();
    fixture.edit("src/extra/mod.rs", "+extra", "+more");
    let reloaded = app.wait_for("a reload", mark, RELOAD, |l| l.contains("[hotfn] reloaded"));
    app.wait_for_frame("the edited new function", reloaded.0, RELOAD, |f| {
        f.get("label").contains("+more")
    });
}

/// Builds the fixture's binary with the feature and starts it directly (not through cargo), with
/// `environment` changes.
fn start_binary(fixture: &Fixture, environment: &[(&str, Option<&str>)]) -> App {
    build_binary(fixture);
    start_binary_at(fixture, &fixture.binary(), environment)
}

/// Builds the fixture's binary with the feature.
fn build_binary(fixture: &Fixture) {
    let build = fixture
        .cargo(&["build", "--features", "hot"])
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
}

/// Starts `binary` directly, in the fixture's directory, with `environment` changes.
fn start_binary_at(fixture: &Fixture, binary: &Path, environment: &[(&str, Option<&str>)]) -> App {
    let mut command = Command::new(binary);
    command.current_dir(fixture.path(""));
    for (key, value) in environment {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let mut app = App::spawn(command);
    app.wait_for_frame("the first frame", 0, RELOAD, |_| true);
    app
}

#[test]
fn without_cargo_the_program_says_so_and_keeps_running() {
    let fixture = Fixture::new("basic", "nocargo");
    let mut app = start_binary(&fixture, &[("CARGO", None), ("PATH", Some("/nonexistent"))]);
    app.wait_for_watching();
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let (failed, report) = app.wait_for("the report", mark, RELOAD, |l| {
        l.contains("[hotfn] build of")
    });
    assert!(
        report.contains("could not start: cannot run `cargo`"),
        "{report}"
    );
    assert!(report.contains("Put cargo on PATH"), "{report}");
    assert_eq!(count(&app, mark, "[hotfn]"), 1, "one message");
    let frame = still_running(&mut app, failed);
    assert!(frame.get("label").starts_with("label-v1 "));
}

#[test]
fn a_target_directory_cargo_cannot_use_is_reported_and_the_program_keeps_running() {
    let fixture = Fixture::new("basic", "notarget");
    build_binary(&fixture);
    // The program is started from a target directory of its own (the runtime builds where the
    // program was built), in which cargo cannot take its lock: `.cargo-lock` is a directory.
    // Unlike a `chmod`, this stops root too.
    let target = fixture.path("unusable-target");
    let profile = target.join("debug");
    std::fs::create_dir_all(profile.join(".fingerprint")).unwrap();
    std::fs::create_dir_all(profile.join(".cargo-lock")).unwrap();
    std::fs::write(
        target.join("CACHEDIR.TAG"),
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    )
    .unwrap();
    let binary = profile.join(fixture.binary().file_name().unwrap());
    std::fs::copy(fixture.binary(), &binary).unwrap();
    let mut app = start_binary_at(&fixture, &binary, &[]);
    app.wait_for_watching();
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let (failed, report) = app.wait_for("the report", mark, RELOAD, |l| {
        l.contains("[hotfn] build of")
    });
    let target = target.canonicalize().unwrap();
    assert!(
        report.contains(&format!(
            "cargo cannot use the target directory {}",
            target.display()
        )),
        "{report}"
    );
    assert!(
        report.contains("Nothing is wrong with the code"),
        "{report}"
    );
    // Cargo's own words, shown with it, name the file and the reason.
    app.wait_for("cargo's error", mark, RELOAD, |l| {
        l.contains("failed to open") && l.contains(".cargo-lock")
    });
    assert_eq!(count(&app, mark, "[hotfn]"), 1, "one message");
    let frame = still_running(&mut app, failed);
    assert!(frame.get("label").starts_with("label-v1 "));
}

/// The process ids of running compilers of crate `name`.
fn compilers_of(name: &str) -> Vec<u32> {
    let needle = format!("--crate-name\0{name}\0");
    let processes = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    processes
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| String::from_utf8_lossy(&line).contains(&needle))
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn a_killed_build_is_reported_as_interrupted_and_the_next_save_reloads() {
    let fixture = Fixture::new("basic", "killed");
    let mut app = fixture.start_hot();
    let crate_name = fixture.package.replace('-', "_");
    // The compiler may finish before it can be killed; then try again with another edit.
    let mut version = 0;
    let killed_at = (2..10).find_map(|attempt| {
        let mark = app.len();
        fixture.edit(
            "src/lib.rs",
            &format!("label-v{}", attempt - 1),
            &format!("label-v{attempt}"),
        );
        let deadline = Instant::now() + RELOAD;
        while Instant::now() < deadline {
            let compilers = compilers_of(&crate_name);
            if !compilers.is_empty() {
                for pid in compilers {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                let (line, report) = app.wait_for("the report", mark, RELOAD, |l| {
                    l.contains("[hotfn] build of") || l.contains("[hotfn] reloaded")
                });
                if report.contains("[hotfn] build of") {
                    return Some((line, report));
                }
                version += 1;
                return None;
            }
            if count(&app, mark, "[hotfn] reloaded") > 0 {
                version += 1;
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        app.fail("no compiler started")
    });
    let Some((line, report)) = killed_at else {
        app.fail("the compiler always finished before it could be killed")
    };
    assert!(
        report.contains("was interrupted: the compiler was killed (signal: 9, SIGKILL"),
        "{report}"
    );
    assert!(report.contains("save again to retry"), "{report}");
    still_running(&mut app, line);

    let mark = app.len();
    fixture.edit("src/lib.rs", "format!(\"label-v", "format!(\"label-w");
    let reloaded = app.wait_for_reload(mark, version + 1);
    app.wait_for_frame("the next save's code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-w")
    });
}

/// The copy directories of process `pid` in `parent`.
fn copy_dirs(parent: &Path, pid: &str) -> Vec<PathBuf> {
    let prefix = format!("hotfn-{pid}-");
    let entries = std::fs::read_dir(parent).into_iter().flatten().flatten();
    entries
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

#[test]
fn an_unusable_copy_dir_falls_back_to_the_temp_dir() {
    let fixture = Fixture::new("basic", "nocopydir");
    // Under a regular file: no directory can be made there, whoever runs the test.
    let unusable = fixture.path("Cargo.toml").join("copies");
    let unusable = unusable.to_str().unwrap();
    let mut app = start_binary(&fixture, &[("HOTFN_COPY_DIR", Some(unusable))]);
    app.wait_for_watching();
    let (_, frame) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let reloaded = app.wait_for_reload(mark, 1);
    app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
    });
    // Said when the directory is first needed: the first compile, at start.
    let warning = app
        .output()
        .iter()
        .find(|l| l.contains(&format!("[hotfn] cannot keep patches in {unusable}")))
        .cloned()
        .unwrap_or_else(|| app.fail("no warning"));
    let fallback = std::env::temp_dir();
    assert!(
        warning.contains(&fallback.display().to_string()),
        "{warning}"
    );
    assert_eq!(copy_dirs(&fallback, frame.get("pid")).len(), 1);
    app.send("quit");
    app.wait_for_exit(RELOAD);
    assert!(copy_dirs(&fallback, frame.get("pid")).is_empty());
}

#[test]
fn a_copy_directory_deleted_while_running_is_made_again() {
    let fixture = Fixture::new("basic", "rmcopies");
    let mut app = fixture.start_hot();
    let (_, frame) = app.wait_for_frame("a frame", 0, RELOAD, |_| true);
    let pid = frame.get("pid").to_owned();
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    app.wait_for_reload(mark, 1);
    let parent = hotfn_tests::shared_target_dir().join("hotfn");
    let dirs = copy_dirs(&parent, &pid);
    assert_eq!(dirs.len(), 1);
    std::fs::remove_dir_all(&dirs[0]).unwrap();

    // The loaded copy is gone from disk but still mapped: the program goes on, and reloads.
    let mark = app.len();
    still_running(&mut app, mark);
    fixture.edit("src/lib.rs", "label-v2", "label-v3");
    let reloaded = app.wait_for_reload(mark, 2);
    app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v3")
    });
    assert_eq!(copy_dirs(&parent, &pid), dirs, "the same path");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dirs[0]).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "made again private");
    }
}

#[test]
fn a_file_the_program_keeps_writing_in_its_package_does_not_hold_reloads_back() {
    let fixture = Fixture::new("basic", "writer");
    let mut app = fixture.run_with(&["--features", "hot"], &[("FIXTURE_WRITE", "save.txt")]);
    app.wait_for_frame("the first frame", 0, RELOAD, |_| true);
    app.wait_for_watching();
    assert!(fixture.path("save.txt").exists());
    let mark = app.len();
    fixture.edit("src/lib.rs", "label-v1", "label-v2");
    let reloaded = app.wait_for_reload(mark, 1);
    app.wait_for_frame("new code", reloaded, RELOAD, |f| {
        f.get("label").starts_with("label-v2")
    });
    let frame = still_running(&mut app, reloaded);
    assert!(frame.get("label").starts_with("label-v2"));
    assert_eq!(
        count(&app, 0, "[hotfn] reloaded"),
        1,
        "no build for save.txt"
    );
}

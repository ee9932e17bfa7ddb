//! End-to-end: calls from several threads while the runtime reloads, many times through its test
//! entry point and a few times for real. No crash, no deadlock, and every result whole and from
//! one version.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use hotfn_tests::{App, Fixture, RELOAD, START};

/// Compiles the fixture's library as the runtime compiles it for a patch (the program's own
/// command, with `-C link-dead-code`), and copies its rlib to `to`.
fn build_variant(fixture: &Fixture, to: &Path) {
    let output = fixture
        .cargo(&[
            "rustc",
            "--lib",
            "--features",
            "hot",
            "--message-format",
            "json",
            "--",
            "-C",
            "link-dead-code",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The fixture's own artifact, not one of a dependency's (reported too, as fresh).
    let target = format!("\"name\":\"{}\"", fixture.package.replace('-', "_"));
    let rlib = stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\"") && l.contains(&target))
        .find_map(|l| {
            let files = l.split("\"filenames\":[").nth(1)?;
            let rlib = files.split('"').find(|f| f.ends_with(".rlib"))?;
            Some(PathBuf::from(rlib))
        })
        .unwrap_or_else(|| panic!("no rlib in cargo's messages:\n{stdout}"));
    std::fs::copy(&rlib, to).unwrap();
}

/// A `key=value` field of a line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

fn number(line: &str, key: &str) -> f64 {
    field(line, key).parse().unwrap()
}

/// Shows a figure in the test output even when the test passes (libtest captures `println!`).
fn show(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[test]
fn two_hundred_reloads_under_four_calling_threads() {
    const RELOADS: usize = 200;
    const THREADS: usize = 4;
    let fixture = Fixture::new("stress", "stress");
    let build = fixture
        .cargo(&["build", "--features", "hot", "--bin", &fixture.package])
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let libraries = tempfile::tempdir().unwrap();
    let (a, b) = (
        libraries.path().join("a.rlib"),
        libraries.path().join("b.rlib"),
    );
    build_variant(&fixture, &a);
    fixture.edit("src/lib.rs", "TAG: u64 = 1", "TAG: u64 = 2");
    build_variant(&fixture, &b);
    // Back to the source the binary was built from, so that nothing is left to rebuild.
    fixture.edit("src/lib.rs", "TAG: u64 = 2", "TAG: u64 = 1");

    let mut command = Command::new(fixture.binary());
    command
        .arg("reloads")
        .args([&a, &b])
        .args([RELOADS.to_string(), THREADS.to_string()])
        .current_dir(fixture.path(""));
    let mut app = App::spawn(command);
    let status = app.wait_for_exit(START);
    if !status.success() {
        app.fail(&format!("the program failed: {status}"));
    }
    let output = app.output();
    for line in output.iter().filter(|l| l.starts_with("out| after")) {
        show(line);
    }
    let Some(summary) = output.iter().find(|l| l.starts_with("out| stress")) else {
        app.fail("no summary")
    };
    show(summary);
    for line in output
        .iter()
        .filter(|l| l.starts_with("out| bad|"))
        .take(10)
    {
        show(line);
    }
    assert_eq!(number(summary, "bad"), 0.0, "{summary}");
    assert!(
        output.iter().all(|l| !l.starts_with("out| bad|")),
        "inconsistent results"
    );
    if field(summary, "seen") != "1,2" {
        app.fail(&format!("both versions should have run: {summary}"));
    }
    assert!(number(summary, "calls") > 10_000.0, "{summary}");
    assert_eq!(
        number(summary, "libraries_end") - number(summary, "libraries_start"),
        RELOADS as f64,
        "every patch stays mapped: {summary}"
    );
    let reloaded = output
        .iter()
        .filter(|l| l.starts_with("err| [hotfn] reloaded"))
        .count();
    // One more: the fixture's first reload, before the calling threads start.
    assert_eq!(reloaded, RELOADS + 1, "one report per reload");
}

#[test]
fn real_edits_while_four_threads_call() {
    let fixture = Fixture::new("stress", "threads");
    let mut app = fixture.run(&["--features", "hot", "--", "calls", "4", "4"]);
    app.wait_for("the runtime to watch", 0, START, |l| {
        l.starts_with("err| [hotfn] watching")
    });
    app.wait_for("calls", 0, START, |l| l.contains(" now=1"));
    for tag in 2..=4 {
        let mark = app.len();
        fixture.edit(
            "src/lib.rs",
            &format!("TAG: u64 = {}", tag - 1),
            &format!("TAG: u64 = {tag}"),
        );
        let announce = format!(" v{}: ", tag - 1);
        app.wait_for(&format!("reload v{}", tag - 1), mark, RELOAD, |l| {
            l.starts_with("err| [hotfn] reloaded") && l.contains(&announce)
        });
        app.wait_for(&format!("results of version {tag}"), mark, RELOAD, |l| {
            l.starts_with("out| calls")
                && l.ends_with(&format!(" now={tag}"))
                && field(l, "seen").split(',').any(|t| t == tag.to_string())
        });
    }
    let (_, last) = app.wait_for("more calls", app.len(), RELOAD, |l| {
        l.starts_with("out| calls")
    });
    show(&last);
    assert_eq!(field(&last, "seen"), "1,2,3,4");
    assert_eq!(number(&last, "bad"), 0.0, "{last}");
    if app.output().iter().any(|l| l.starts_with("out| bad|")) {
        app.fail("inconsistent results");
    }
    app.send("quit");
    assert!(app.wait_for_exit(RELOAD).success());
}

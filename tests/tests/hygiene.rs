//! Expansion test: the `hygiene` fixture is user-shaped code under
//! `#![deny(warnings, unused_qualifications, missing_docs, rust_2018_idioms)]`, with the runtime
//! renamed in its `Cargo.toml` and a `#![no_implicit_prelude]` module. Anything of the expansion
//! that leans on the user's scope or leaks a lint fails one of the two builds.

use hotfn_tests::{Fixture, shared_target_dir};

/// What the fixture's binary prints, the same with and without `--features hot`.
const EXPECTED: &str = "\
double=42
read=7
match=true false
add_pair=6
push=[1, 2, 3]
longest=abc
first_of=4
secret_plus_one=42
describe=[1, 2, 3]
first=Some(1)
parse=Ok(12) true
call=9
tally=6 12 6 [6, 6] 40 6 false
measure=(3, true)
associated=(\"max\", 99) anon
shapes=square:9,dot:0
gauge=7 small
later=x5 7
";

/// Builds the fixture with `features`, checks that nothing at all was warned about, and returns
/// the binary's contents.
fn build_clean(fixture: &Fixture, features: &[&str]) -> Vec<u8> {
    let mut args = vec!["build"];
    args.extend_from_slice(features);
    let build = fixture.cargo(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "cargo {args:?} failed:\n{stderr}");
    assert!(
        !stderr.contains("warning"),
        "cargo {args:?} warned:\n{stderr}"
    );
    let binary = shared_target_dir().join("debug").join(&fixture.package);
    std::fs::read(&binary).unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
}

/// Runs the fixture's binary with `features` and returns what it printed on standard output.
fn run(fixture: &Fixture, features: &[&str]) -> String {
    let mut args = vec!["run"];
    args.extend_from_slice(features);
    let run = fixture.cargo(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "cargo {args:?} failed: {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    stdout
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn strict_user_code_builds_without_warnings_and_runs_in_both_modes() {
    let fixture = Fixture::new("hygiene", "hygiene");
    for (features, hot) in [(&[][..], false), (&["--features", "hot"][..], true)] {
        let binary = build_clean(&fixture, features);
        // The build really is in the mode under test: only hot mode has slots, and functions
        // under symbols of hotfn's own (`_ZN…6double17h…E`, read `…::double`).
        assert_eq!(
            contains(&binary, "__HOTFN_SLOT")
                && contains(&binary, "_ZN21hotfn_fixture_hygiene6double17h"),
            hot,
            "slots in the binary built with {features:?}"
        );
        assert_eq!(
            run(&fixture, features),
            EXPECTED,
            "output with {features:?}"
        );
    }
}

//! Compile-fail tests of `#[hot]`: one `ui/<case>.rs` per shape the attribute refuses, with the
//! exact compiler output in `ui/<case>.stderr`, so that error text is reviewed like code.
//!
//! Every case is refused before the expansion looks at the crate's features, so the output is the
//! same with and without `--all-features`. To accept new output after changing a message, run
//! `TRYBUILD=overwrite cargo test -p hotfn-tests --test ui` and review the diff.

#[test]
fn refused_shapes() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}

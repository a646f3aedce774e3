//! Compile-fail tests: every construct `#[differentiate]` rejects, with the message the
//! user sees. Each case in `tests/ui/` starts with a comment saying what the user did and
//! why it is rejected; its `.stderr` documents the diagnostic. Regenerate the `.stderr`
//! files with `TRYBUILD=overwrite cargo test --test compiletest` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

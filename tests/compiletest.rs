//! Compile-fail tests: every construct `#[differentiate]` rejects, with the message the
//! user sees. Each case in `tests/ui/` starts with a comment saying what the user did and
//! why it is rejected; its `.stderr` documents the diagnostic. Regenerate the `.stderr`
//! files with `TRYBUILD=overwrite cargo test --test compiletest` and review the diff.

use std::io::Write;

#[test]
fn ui() {
    let cases = std::fs::read_dir("tests/ui")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
                .count()
        })
        .unwrap_or(0);
    // Written to stderr directly, past the test harness's capture: trybuild first builds
    // tapeless and its dependencies in its own directory, silently, which takes a minute on
    // a fresh checkout.
    let _ = writeln!(
        std::io::stderr(),
        "ui: building {cases} compile-fail cases from tests/ui/ (the first run builds tapeless's dependencies for them; about a minute)"
    );
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

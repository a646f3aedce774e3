//! Checks shared by the test files that compare a function's generated gradient with an
//! independent twin (the same body under `max_iterations`, or the helper inlined by hand)
//! and with central differences. Included with `#[macro_use] #[path = "support/twins.rs"]
//! mod twins;`.

use tapeless::check::central_difference;

/// `twins!(plain, bounded, fn(params) -> ret { body })`: the function twice from one body,
/// plain and with `max_iterations = 64` (whose stacks are in place: calls in loops stay
/// joint, a replay computes every value again), so that the two gradients are computed by
/// different strategies.
#[allow(unused_macros)]
macro_rules! twins {
    ($plain:ident, $bounded:ident, fn($($params:tt)*) -> $ret:ident $body:block) => {
        #[differentiate]
        fn $plain($($params)*) -> $ret $body
        #[differentiate(max_iterations = 64)]
        fn $bounded($($params)*) -> $ret $body
    };
}

/// Each pair of entries equal to `tolerance`, relative to the larger magnitude (or 1).
pub fn assert_close(what: &str, a: &[f64], b: &[f64], tolerance: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let error = (x - y).abs() / x.abs().max(y.abs()).max(1.0);
        assert!(
            error <= tolerance,
            "{what}[{i}]: {x} against {y}\n{a:?}\n{b:?}"
        );
    }
}

/// A gradient against its twin's (to rounding) and against central differences of `f`.
#[allow(dead_code)]
pub fn check(what: &str, x: &[f64], f: impl Fn(&[f64]) -> f64, gradient: &[f64], twin: &[f64]) {
    assert_close(&format!("{what}: against its twin"), gradient, twin, 1e-13);
    let fd = central_difference(&f, x);
    assert_close(&format!("{what}: against differences"), gradient, &fd, 1e-6);
}

// Calls of another differentiated function. A top-level call is split: the callee's
// pullback closure is kept and called in the reverse sweep. A call inside a loop is joint:
// the reverse sweep calls the callee's `_vjp` with the saved argument. Run by
// `tests/golden_functions.rs`.
#[differentiate]
pub fn square(x: f64) -> f64 {
    x * x
}

#[differentiate]
pub fn split_call(x: f64, y: f64) -> f64 {
    square(x * y) + y
}

#[differentiate]
pub fn joint_calls(xs: &[f64], c: f64) -> f64 {
    let mut total = 0.0;
    for x in xs {
        total += square(*x - c);
    }
    total
}

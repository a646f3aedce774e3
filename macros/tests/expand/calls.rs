// Calls of another differentiated function, split: the callee's pullback closure is kept
// and called in the reverse sweep; inside a loop, on a stack of pullbacks popped by the
// reverse loop (`joint_calls`, named for when such calls were joint). A closure holds what
// its reverse reads (`square`'s: `x`). A call of the function itself (`iterate`) keeps a
// boxed pullback, in its pullback too. Run by `tests/golden_functions.rs`.
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

#[differentiate]
pub fn iterate(x: f64, n: u32) -> f64 {
    if n == 0 {
        x
    } else {
        (0.9 * iterate(x, n - 1) + x).sin()
    }
}

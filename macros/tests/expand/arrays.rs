// An array written in place: a local `[0.0; N]` is written by index in one loop and
// re-read in the next. Run by `tests/golden_functions.rs`.
#[differentiate]
pub fn squares_then_weights(xs: &[f64], y: f64) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = xs[i] * xs[i];
    }
    let mut total = 0.0;
    for i in 0..3 {
        total += a[i] * xs[i] * y;
    }
    total
}

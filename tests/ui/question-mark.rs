// `?` in a closure of a differentiated function: its early exit has no derivative; check the
// input with an `if`, or wrap the fallible part in a `#[custom_vjp]` function.
use tapeless::differentiate;

fn checked(x: f64) -> Option<f64> {
    (x > 0.0).then_some(x)
}

#[differentiate]
fn f(x: f64) -> f64 {
    let g = |t: f64| -> Option<f64> { Some(checked(t)? * 2.0) };
    let y = g(x).unwrap_or(0.0);
    y * x
}

fn main() {}

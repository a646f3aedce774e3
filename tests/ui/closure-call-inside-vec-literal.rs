// A `let`-bound closure called inside an expression kept as written (`vec![..]` passed on,
// a struct literal): bind the call's result first (`let y = c(x);`).
use tapeless::differentiate;

#[differentiate]
fn total(v: &[f64]) -> f64 {
    v[0] + v[1]
}

#[differentiate]
fn f(x: f64) -> f64 {
    let c = |t: f64| t * x;
    total(&vec![c(1.0), x])
}

fn main() {}

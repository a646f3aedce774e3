// A `return` before the end of the function: early exits are not supported yet; compute
// the result and return it at the end.
#![allow(unreachable_code)]
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let y = x * x;
    return y;
    y + 1.0
}

fn main() {}

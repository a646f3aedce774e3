// A differentiated function calls itself: recursion is not supported; write the recursion
// out as straight-line code (or, once control flow lands, as a loop).
#![allow(unconditional_recursion)]
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, n: u32) -> f64 {
    let y = x * f(x, n - 1);
    y + 1.0
}

fn main() {}

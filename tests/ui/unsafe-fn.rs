// An `unsafe fn` is differentiated: the macro needs to see every operation, and an unsafe
// function may compute through raw pointers it cannot follow.
use tapeless::differentiate;

#[differentiate]
unsafe fn f(x: f64) -> f64 {
    x * x
}

fn main() {}

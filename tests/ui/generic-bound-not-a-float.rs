// A generic parameter bounded only by `Mul` could be anything (integers, matrices, ...):
// bound it as a float (`RealField`, `num_traits::Float`) to differentiate through it.
use core::ops::Mul;
use tapeless::differentiate;

#[differentiate]
fn f<T: Mul<Output = T> + Copy>(x: T) -> f64 {
    let _ = x * x;
    1.0
}

fn main() {}

// A function generic over its float type: generic type parameters are not supported yet;
// write it for `f64` or `f32`.
use core::ops::Mul;
use tapeless::differentiate;

#[differentiate]
fn f<T: Mul<Output = T> + Copy>(x: T) -> f64 {
    let _ = x * x;
    1.0
}

fn main() {}

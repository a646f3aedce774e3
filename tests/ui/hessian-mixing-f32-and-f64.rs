// A `hessian` function that names both `f32` and `f64`: its generic copy computes in one
// float type.
use tapeless::differentiate;

#[differentiate(hessian)]
fn f(x: f64, y: f32) -> f64 {
    x * f64::from(y)
}

fn main() {}

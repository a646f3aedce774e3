// `hessian` on a function generic over its float type: the Hessian runs a generic copy
// of the function over dual numbers; write the function for `f64` or `f32`.
use num_traits::Float;
use tapeless::differentiate;

#[differentiate(hessian)]
fn f<T: Float>(x: T) -> T {
    x * x
}

fn main() {}

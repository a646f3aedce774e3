// `hessian` on a function generic over `T: RealField`: the Hessian runs the function over
// dual numbers, which implement `num_traits::Float` but not nalgebra's `RealField`; bound
// `T` by `num_traits::Float`, or write the function for `f64`.
use nalgebra::RealField;
use tapeless::differentiate;

#[differentiate(hessian)]
fn f<T: RealField + Copy>(x: T) -> T {
    x * x
}

fn main() {}

// A nalgebra vector in a function generic over its float type: the matrix rules exist for
// f64 and f32 only, so the macro rejects it at the parameter's type instead of letting rustc
// fail inside the generated code.
use nalgebra::{DVector, RealField};
use tapeless::differentiate;

#[differentiate]
fn weighted_norm<T: RealField + Copy>(v: &DVector<T>, a: T) -> T {
    v.dot(v) * a
}

fn main() {}

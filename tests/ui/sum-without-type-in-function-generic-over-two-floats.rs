// `.sum()` in a function generic over two float types: the accumulator's type cannot be
// read from the function, so the macro asks for the turbofish (`.sum::<T>()`).
use num_traits::Float;
use std::iter::Sum;
use tapeless::differentiate;

#[differentiate]
fn mixed<T: Float + Sum, U: Float>(xs: &[T], scale: U) -> T {
    let s: T = xs.iter().map(|&x| x * x).sum();
    s * T::from(scale).unwrap()
}

fn main() {}

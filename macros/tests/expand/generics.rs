// A function generic over `T: Float` with a loop: constants and methods go through the
// float trait. Run by `tests/golden_functions.rs`.
#[differentiate]
pub fn power_sum<T: Float>(xs: &[T], p: T) -> T {
    let mut total = T::zero();
    for x in xs {
        total = total + x.abs().powf(p);
    }
    total
}

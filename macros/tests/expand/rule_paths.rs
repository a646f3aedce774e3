// A generic function: float methods are named through `num_traits::Float` (with a
// `RealField` bound, `x.clamp(..)` would be ambiguous), and the bounds come from the rows
// of the rule table. Run by `tests/rule_paths.rs`.
#[differentiate]
pub fn clamped<T: RealField + Copy>(x: T, lo: T, hi: T) -> T {
    x.clamp(lo, hi) * x.sin()
}

// Rules found by a path are called as written, through a check that the path names
// tapeless's own function. Run by `tests/rule_paths.rs`.
#[differentiate]
pub fn activation(x: f64) -> f64 {
    nn::sigmoid(x) + special::erf(x) * f64::max(x, 0.0)
}

// A method of a differentiated `impl` block: the gradient of `self` is the field `self_`.
// Run by `tests/golden_functions.rs`.
#[derive(Differentiable, Clone)]
pub struct Spring {
    pub k: f64,
    pub rest: f64,
}

#[differentiate]
impl Spring {
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        let stretch = x - self.rest;
        0.5 * self.k * stretch * stretch
    }
}

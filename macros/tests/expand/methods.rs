// A method of a differentiated `impl` block: the gradient of `self` is the field `self_`.
// Called on a field in a loop (`total_energy`), it is split: each call's pullback from
// `__energy_pullback_in_loop`, kept on a stack. Run by `tests/golden_functions.rs`.
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

#[derive(Differentiable, Clone)]
pub struct Pair {
    pub left: Spring,
    pub right: Spring,
}

#[differentiate]
pub fn total_energy(p: &Pair, xs: &[f64]) -> f64 {
    let mut total = 0.0;
    for x in xs {
        total += p.left.energy(*x) * p.right.energy(-x);
    }
    total
}

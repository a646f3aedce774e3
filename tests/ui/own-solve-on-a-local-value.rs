// A method of the user's own type named like a decomposition's (`solve`, `l`,
// `ln_determinant`), called on a local value with a differentiated argument: the macro
// sees no types, so it takes the call for the Cholesky decomposition's; the runtime's bound
// reports it, naming what to write instead.
use nalgebra::DVector;
use tapeless::differentiate;

struct Solver {
    scale: f64,
}

impl Solver {
    fn solve(&self, x: &DVector<f64>) -> DVector<f64> {
        x * self.scale
    }
}

#[differentiate]
fn f(x: &DVector<f64>) -> f64 {
    let s = Solver { scale: 2.0 };
    s.solve(x).sum()
}

fn main() {}

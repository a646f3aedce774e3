// A method is differentiated from its `impl` block, which must be marked too: an attribute
// on a method cannot add the gradient struct beside the block.
use tapeless::differentiate;

#[derive(tapeless::Differentiable)]
struct Spring {
    k: f64,
}

impl Spring {
    #[differentiate]
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
}

fn main() {}

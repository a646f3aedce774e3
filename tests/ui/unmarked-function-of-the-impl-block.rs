// A function of a marked `impl` block that is not marked itself has no derivative: calling
// it on a differentiated value, as `Self::helper(x)` or `self.scale(x)`, is an error at the
// call (mark it #[differentiate]).
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
pub struct Gate {
    pub w: f64,
}

#[differentiate]
impl Gate {
    pub fn helper(x: f64) -> f64 {
        x * x
    }

    pub fn scale(&self, x: f64) -> f64 {
        self.w * x
    }

    #[differentiate(wrt(self))]
    pub fn run(&self, x: f64) -> f64 {
        Self::helper(self.w * x) + self.scale(x)
    }
}

fn main() {}

// A method called on a field (`p.output.forward(h)`) on a differentiated value is
// differentiated through the method's `forward_vjp`, which only `#[differentiate]` on the
// method (in a `#[differentiate]` block) generates: unmarked, the error names the method's
// type and the call, not a missing `forward_vjp`.
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
pub struct Layer {
    pub w: f64,
    pub b: f64,
}

impl Layer {
    pub fn forward(&self, x: f64) -> f64 {
        (self.w * x + self.b).tanh()
    }
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Net {
    pub output: Layer,
}

#[differentiate]
pub fn loss(p: &Net, x: f64) -> f64 {
    p.output.forward(x * x)
}

fn main() {}

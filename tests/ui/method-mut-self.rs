// A `&mut self` method changes its receiver: mutation through a reference cannot be
// differentiated, so take `&self` and return the new value instead.
use tapeless::differentiate;

#[derive(tapeless::Differentiable)]
struct Model {
    scale: f64,
}

#[differentiate]
impl Model {
    #[differentiate]
    fn f(&mut self, x: f64) -> f64 {
        self.scale * x
    }
}

fn main() {}

// A method's gradient struct names the gradient of `self` `self_`: a parameter of the same
// name would be a second field `self_`, so it is rejected at the parameter.
use tapeless::differentiate;

#[derive(tapeless::Differentiable)]
struct Model {
    scale: f64,
}

#[differentiate]
impl Model {
    #[differentiate]
    fn f(&self, self_: f64) -> f64 {
        self.scale * self_
    }
}

fn main() {}

// A struct deriving `Differentiable` is its own gradient, so a count or a flag among its
// fields would hold a "gradient": pass such data as separate parameters.
#[derive(tapeless::Differentiable, Clone)]
struct Model {
    weights: Vec<f64>,
    steps: usize,
    enabled: bool,
}

fn main() {}

// A parameter of a struct type is differentiated, so its type must derive
// `tapeless::Differentiable`; data structs are left out with `wrt(..)`.
use tapeless::differentiate;

struct Config {
    scale: f64,
}

#[differentiate]
fn f(x: f64, config: &Config) -> f64 {
    x * config.scale
}

fn main() {}

// A custom rule takes the function's parameters, then the seed, and returns the gradient
// of the float parameters. This one forgot the seed.
use tapeless::custom_vjp;

#[custom_vjp(softplus_rule)]
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

fn softplus_rule(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn main() {}

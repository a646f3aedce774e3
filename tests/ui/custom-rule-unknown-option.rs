// `forward = ..` is not an option of `#[custom_vjp]`: the forward rule is `jvp = ..`.
use tapeless::custom_vjp;

#[custom_vjp(square_rule, forward = square_forward)]
fn square(x: f64) -> f64 {
    x * x
}

fn square_rule(x: f64, seed: f64) -> f64 {
    2.0 * x * seed
}

fn square_forward(x: f64, dx: f64) -> f64 {
    2.0 * x * dx
}

fn main() {}

// A forward rule takes the function's parameters, then one tangent per float parameter
// (typed as the parameter), and returns the output's tangent. This one forgot the
// tangent of `y`.
use tapeless::custom_vjp;

#[custom_vjp(hyp_rule, jvp = hyp_forward)]
fn hyp(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

fn hyp_rule(x: f64, y: f64, seed: f64) -> (f64, f64) {
    let r = x.hypot(y);
    (seed * x / r, seed * y / r)
}

fn hyp_forward(x: f64, y: f64, dx: f64) -> f64 {
    x * dx / x.hypot(y)
}

fn main() {}

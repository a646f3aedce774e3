// The forward rule is named `hyp_jvp`, the name of the function `#[custom_vjp]` generates
// for `hyp`'s forward mode.
use tapeless::custom_vjp;

#[custom_vjp(hyp_rule, jvp = hyp_jvp)]
fn hyp(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

fn hyp_rule(x: f64, y: f64, seed: f64) -> (f64, f64) {
    let r = x.hypot(y);
    (seed * x / r, seed * y / r)
}

fn hyp_jvp(x: f64, y: f64, dx: f64, dy: f64) -> f64 {
    (x * dx + y * dy) / x.hypot(y)
}

fn main() {}

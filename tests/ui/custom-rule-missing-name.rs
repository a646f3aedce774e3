// `#[custom_vjp]` needs the name of the rule.
use tapeless::custom_vjp;

#[custom_vjp]
fn softplus(x: f64) -> f64 {
    x.exp().ln_1p()
}

fn main() {}

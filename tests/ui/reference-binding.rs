// A reference to a differentiated value is bound to a name: the derivative rules would no
// longer see the value behind `r`; use `x` directly.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let r = &x;
    *r * 2.0
}

fn main() {}

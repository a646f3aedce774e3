// A closure bound by `let` is not a value of the generated code: each call is lowered as
// its body. An array literal is kept as written, so a call inside it is rejected; binding
// the call's result first (`let y = c(1.0);`) works.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let c = |q: f64| q * 2.0;
    let a = [c(1.0), 2.0];
    a[0] * x
}

fn main() {}

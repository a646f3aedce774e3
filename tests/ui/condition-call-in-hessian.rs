// A method without a rule whose result only decides a branch needs no derivative, but a
// `hessian` function's Hessian runs a copy of the function over dual numbers, and
// `is_large` (implemented for `f64`) cannot take one: an error at the call, not rustc's
// inside the copy. Write the condition with operators (`x * x > 4.0`), or drop `hessian`.
use tapeless::differentiate;

trait Large {
    fn is_large(&self) -> bool;
}

impl Large for f64 {
    fn is_large(&self) -> bool {
        self * self > 4.0
    }
}

#[differentiate(hessian)]
fn f(x: f64) -> f64 {
    if x.is_large() {
        x * x * x
    } else {
        x * x
    }
}

fn main() {}

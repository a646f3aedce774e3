// A `hessian` function calls a differentiated function not marked `hessian`: the Hessian
// runs over dual numbers, and only a `hessian` function has the generic copy that does;
// mark `g` `#[differentiate(hessian)]` too. (rustc's message: the copy calls `g`'s copy,
// `__tapeless_hessian_g`, which only `hessian` emits.)
use tapeless::differentiate;

#[differentiate]
fn g(x: f64) -> f64 {
    x.sin()
}

#[differentiate(hessian)]
fn f(x: f64) -> f64 {
    g(x) * x
}

fn main() {}

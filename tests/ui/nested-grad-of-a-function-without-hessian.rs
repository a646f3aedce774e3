// A differentiated function calls `g_grad` of a function not marked `hessian`: only a
// `hessian` function's gradient can be differentiated (its VJP is a Hessian-vector
// product); mark `g` `#[differentiate(hessian)]`. (`g` has stubs of `g_grad_vjp`, its
// pullback and its forward entry that no caller can satisfy: each call says so.)
use tapeless::differentiate;

#[differentiate]
fn g(x: f64) -> f64 {
    x.sin()
}

#[differentiate]
fn f(x: f64) -> f64 {
    let (_, d) = g_grad(x);
    d.x * x
}

fn main() {}

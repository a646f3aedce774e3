// A differentiated function calls `g_grad` of a function not marked `hessian`: only a
// `hessian` function's gradient can be differentiated (its VJP is a Hessian-vector
// product); mark `g` `#[differentiate(hessian)]`. (rustc's messages: `g_grad_vjp` and the
// `Differentiable` gradient struct are what `hessian` adds.)
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

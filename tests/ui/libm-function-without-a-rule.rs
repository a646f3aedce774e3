// One of `libm`'s functions without a rule (`fma`, `j0`, `ldexp`, ...) on a
// differentiated value; on data it is fine (`libm::j0(n)` of a parameter left out by
// `wrt`). In a `hessian` function even data calls of them are reported: the Hessian's copy
// computes in its own float type.
use tapeless::differentiate;

#[differentiate(wrt(x))]
fn f(x: f64, n: f64) -> f64 {
    libm::fma(x, x, 1.0) + libm::j0(n) * x
}

#[differentiate(hessian, wrt(x))]
fn g(x: f64, c: f64) -> f64 {
    libm::j0(c) * x * x
}

fn main() {}

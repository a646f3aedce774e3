// `hessian` on a function that calls itself: not supported yet (its generic copy over dual
// numbers would call the `f64` function); f_grad and f_jvp handle the recursion, so drop
// `hessian`, or write the recursion as a loop.
use tapeless::differentiate;

#[differentiate(hessian)]
fn power(x: f64, n: u32) -> f64 {
    if n == 0 {
        1.0
    } else {
        x * power(x, n - 1)
    }
}

fn main() {}

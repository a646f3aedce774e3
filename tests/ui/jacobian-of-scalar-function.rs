// `f_jacobian` of a function with a scalar output: its Jacobian is its gradient, so it
// has `f_grad` and no `f_jacobian`.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {
    let _ = f_jacobian(1.0, 2.0);
}

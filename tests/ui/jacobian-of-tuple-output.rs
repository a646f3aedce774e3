// `f_jacobian` of a function that returns a tuple: a tuple has no single storage order of
// components, so it has no `f_jacobian`; call `f_vjp` with one seed per component.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, y: f64) -> (f64, f64) {
    (x * y, x + y)
}

fn main() {
    let _ = f_jacobian(1.0, 2.0);
}

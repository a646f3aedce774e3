// `#[differentiate(hessian)]`: the generic copy `__tapeless_hessian_stretch` (its literal
// a constant of the type parameter), its reverse sweep, and `stretch_hvp` (arguments
// lifted to dual numbers, the copy's `_vjp` run once, the gradient split into ∇f and H·v),
// `stretch_hessian` (one `stretch_hvp` per scalar) and `stretch_grad_vjp` (a nested
// `stretch_grad`). Run by `tests/golden_functions.rs`.
#[differentiate(hessian)]
pub fn stretch(x: &[f64], k: f64) -> f64 {
    let d = x[1] - x[0];
    0.5 * k * d * d + x[0].sin()
}

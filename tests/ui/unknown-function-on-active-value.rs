// A plain function is applied to a value that depends on `x`. A call of a free function
// is differentiated through the callee's `g_vjp`, which `#[differentiate]` or
// `#[custom_vjp(rule)]` on `g` would generate; `g` has neither, so the caller's gradient
// does not compile (rather than silently losing the derivative through `g`). The error is
// at the call and says to mark `g` (not rustc's "cannot find `g_vjp`", whose suggestion
// was the caller's own `f_vjp`).
// The fix: put `#[differentiate]` on `g`, or give it a rule with `#[custom_vjp]`.
use tapeless::differentiate;

fn g(t: f64) -> f64 {
    t * t + 1.0
}

#[differentiate]
fn f(x: f64) -> f64 {
    let y = 2.0 * x;
    g(y) + x
}

fn main() {}

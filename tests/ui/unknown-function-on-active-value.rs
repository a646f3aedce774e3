// A plain function is applied to a value that depends on `x`. A call of a free function
// is differentiated through the callee's `helper_vjp`, which `#[differentiate]` or
// `#[custom_vjp(rule)]` on `helper` would generate; `helper` has neither, so the caller's
// gradient does not compile (rather than silently losing the derivative through `helper`).
// The fix: put `#[differentiate]` on `helper`, or give it a rule with `#[custom_vjp]`.
use tapeless::differentiate;

fn helper(t: f64) -> f64 {
    t * t + 1.0
}

#[differentiate]
fn f(x: f64) -> f64 {
    let y = 2.0 * x;
    helper(y) + x
}

fn main() {}

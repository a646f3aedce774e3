// A function of another module, not marked, is called through its path (`model::g`) on a
// value that depends on `x`. The call is differentiated through `model::g_vjp`, which
// `#[differentiate]` or `#[custom_vjp(rule)]` on `g` would generate; the error is at the
// call and says to mark `g` (not rustc's "cannot find function `g_vjp` in module `model`").
// The fix: put `#[differentiate]` on `model::g`.
use tapeless::differentiate;

mod model {
    pub fn g(t: f64) -> f64 {
        t * t + 1.0
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    let y = 2.0 * x;
    model::g(y) + x
}

fn main() {}

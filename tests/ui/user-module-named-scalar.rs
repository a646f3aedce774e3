// The user's module `scalar` is named like the runtime's, and its `sin` like a float
// method; neither matters: `scalar::sin(x)` is a call of the user's function, which is
// differentiated through its `scalar::sin_vjp` (and `__sin_pullback`, `__sin_jvp_arguments`). It has none (it is not marked
// `#[differentiate]`), so the gradient does not compile, at the call. Marked, it is
// differentiated as the user wrote it (`tests/rule_paths.rs`).
use tapeless::differentiate;

mod scalar {
    pub fn sin(x: f64) -> f64 {
        x * x
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    scalar::sin(x)
}

fn main() {}

// A module of one's own named `libm`, brought in by `use`: `libm::exp(x)` names it, not the
// crate whose `exp` tapeless differentiates; a compile error at the call, never `exp`'s
// derivative applied to another function.
use tapeless::differentiate;

mod own {
    pub mod libm {
        pub fn exp(x: f64) -> f64 {
            2.0 * x
        }
    }
}

use own::libm;

#[differentiate]
fn f(x: f64) -> f64 {
    libm::exp(x)
}

fn main() {}

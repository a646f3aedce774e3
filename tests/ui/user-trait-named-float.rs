// The user's own trait `Float` has a `sin` of its own. `Float::sin(x)` is taken for
// `num_traits::Float::sin`, whose derivative `#[differentiate]` knows; the generated code
// checks the path against it: a compile error at the call.
use tapeless::differentiate;

trait Float {
    fn sin(self) -> Self;
}

impl Float for f64 {
    fn sin(self) -> f64 {
        self * self
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    Float::sin(x)
}

fn main() {}

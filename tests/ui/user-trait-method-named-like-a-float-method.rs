// `<f64 as Twice>::sin(x)` calls the user's trait's `sin`, not the float method: it must
// not take the rule of `sin` (its derivative would be cos, silently). Only the float traits
// `Float`, `ComplexField` and `RealField` may be named in a qualified path; another trait's
// method on a differentiated value has no rule.
use num_traits::Float;
use tapeless::differentiate;

trait Twice {
    fn sin(self) -> f64;
}

impl Twice for f64 {
    fn sin(self) -> f64 {
        self * 2.0
    }
}

trait Half: Sized {
    fn tanh(self) -> Self;
}

#[differentiate]
fn concrete(x: f64) -> f64 {
    <f64 as Twice>::sin(x)
}

#[differentiate]
fn generic<T: Float + Half>(x: T) -> T {
    <T as Half>::tanh(x)
}

fn main() {}

// A user's own trait named `Float`, called through a qualified path: its `sin` is not the
// float method, so #[differentiate] must not take the float rule for it.
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
    <f64 as Float>::sin(x) + x
}

fn main() {
    let _ = f_grad(3.0);
}

// A method of the user's own trait is called on a value that depends on `x`: only float
// methods with a derivative rule (`sin`, `exp`, `powi`, ...) can be differentiated.
use tapeless::differentiate;

trait Squash {
    fn squash(self) -> f64;
}

impl Squash for f64 {
    fn squash(self) -> f64 {
        self / (1.0 + self.abs())
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    x.powi(2).squash()
}

fn main() {}

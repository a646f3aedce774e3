// An `async fn` is differentiated: its value is a future, not a float, so it has no
// gradient; differentiate the plain computation instead.
use tapeless::differentiate;

#[differentiate]
async fn f(x: f64) -> f64 {
    x * x
}

fn main() {}

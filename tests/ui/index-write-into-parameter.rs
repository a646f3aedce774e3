// An index write into a parameter (`xs[0] = ..`): parameters are read-only inputs of the
// gradient; copy what you need into a local array (`let mut a = [0.0; N];`) and write that.
use tapeless::differentiate;

#[differentiate]
fn f(mut xs: [f64; 3]) -> f64 {
    xs[0] = xs[1] * xs[2];
    xs[0] + xs[1]
}

fn main() {}

// A closure in a differentiated function: its body would be invisible to the reverse
// sweep; write the computation inline or as its own #[differentiate] function.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let square = |t: f64| t * t;
    square(x) + x
}

fn main() {}

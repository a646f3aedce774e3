// A closure that assigns to what it captures is not a function of its arguments: the
// reverse sweep could not replay it. Write it as a loop, or as a #[differentiate] function.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let mut total = 0.0;
    let mut add = |t: f64| total += t * t;
    add(x);
    total
}

fn main() {}

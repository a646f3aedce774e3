// Struct patterns in `let` are not supported: read the fields (`p.x`) instead.
use tapeless::differentiate;

#[derive(tapeless::Differentiable)]
struct Point {
    x: f64,
    y: f64,
}

#[differentiate]
fn f(p: &Point) -> f64 {
    let Point { x, y } = p;
    x * y
}

fn main() {}

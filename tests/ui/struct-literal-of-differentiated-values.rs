// A local struct literal of differentiated values: use separate variables or a tuple, or
// build a parameter struct outside and pass it in.
use tapeless::differentiate;

struct Point {
    x: f64,
    y: f64,
}

#[differentiate]
fn f(a: f64, b: f64) -> f64 {
    let p = Point { x: a * b, y: a.sin() };
    p.x * p.y
}

fn main() {}

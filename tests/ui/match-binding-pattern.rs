// A `match` arm whose pattern binds a variable (`n @ 1..=3`, `other`): a match is lowered to
// a chain of branches on data, and the bound value would be invisible to it; match on
// constants and ranges, and use the scrutinee itself in the arm.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, n: u32) -> f64 {
    match n {
        0 => 1.0,
        k @ 1..=3 => x * k as f64,
        _ => x * x,
    }
}

fn main() {}

// A `match` arm whose pattern binds inside a tuple (`(k, 1..=3)`): a match is lowered to a
// chain of branches on data, and only a name for the whole scrutinee (`n`, `k @ 1..=3`),
// `Some(v)` of a variable or a variant's payload can be bound at the arm's start; match on constants, ranges and variants, and read the parts in the arm.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64, n: u32) -> f64 {
    let pair = (n, n % 4);
    match pair {
        (0, _) => 1.0,
        (k, 1..=3) => x * k as f64,
        _ => x * x,
    }
}

fn main() {}

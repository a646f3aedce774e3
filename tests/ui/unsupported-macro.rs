// `vec![x, 2.0 * x]` as an argument: a vector literal of differentiated values is
// differentiated when it is bound by `let` (`let v = vec![x, 2.0 * x];`), not inside an
// expression. (Other macros, such as `dbg!`, are in several-errors-at-once.rs.)
use tapeless::differentiate;

#[differentiate]
fn total(v: &[f64]) -> f64 {
    v[0] + v[1]
}

#[differentiate]
fn f(x: f64) -> f64 {
    total(&vec![x, 2.0 * x])
}

fn main() {}

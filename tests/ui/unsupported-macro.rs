// `vec![x, 2.0 * x]`: a vector literal of differentiated values. `vec!` is a macro, whose
// expansion #[differentiate] cannot see; only `vec![0.0; n]` followed by index writes is
// supported. (Other macros, such as `dbg!`, are in several-errors-at-once.rs.)
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let v = vec![x, 2.0 * x];
    v[0] + v[1]
}

fn main() {}

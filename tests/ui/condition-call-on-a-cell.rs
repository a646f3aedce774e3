// `c.replace(x)` decides a branch, which needs no derivative, but it also stores `x` in the
// `Cell`, which `c.get()` reads back later as if it were data (d/dx would silently be 0): a
// call whose result only decides a branch is accepted only when each argument is a number or
// itself depends on a differentiated parameter (whose later reads are judged).
use std::cell::Cell;
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let c = Cell::new(0.0);
    let old = c.replace(x);
    if old > 1.0 {
        return 0.0;
    }
    c.get() * 2.0
}

fn main() {}

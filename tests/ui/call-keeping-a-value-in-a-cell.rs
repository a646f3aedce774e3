// A free function given a differentiated value and a `Cell` it stores it in: #[differentiate]
// differentiates a call only through its result, which here only decides a branch (`f`) or
// is dropped (`g`), so `c.get()` would read the value back as data and d/dx would silently be
// 0. Rejected at the call; the fix is to use the value the function returns.
use std::cell::Cell;
use tapeless::differentiate;

fn store(c: &Cell<f64>, v: f64) -> bool {
    c.set(v);
    true
}

#[differentiate]
fn f(x: f64) -> f64 {
    let c = Cell::new(0.0);
    let ok = store(&c, x);
    if ok {
        c.get() * 2.0
    } else {
        0.0
    }
}

#[differentiate]
fn g(x: f64) -> f64 {
    let c = Cell::new(0.0);
    store(&c, x);
    c.get() * 2.0
}

fn main() {}

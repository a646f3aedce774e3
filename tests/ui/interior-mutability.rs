// The user stores an active value in a `Cell` and reads it back. The call `c.set(..)` has no
// derivative rule and could hide the value anywhere, so passing it an active value is an
// error even though its result is dropped (accepting it would silently give d/dx = 0).
use std::cell::Cell;
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let c = Cell::new(0.0);
    c.set(x);
    c.get() * 1.0
}

fn main() {}

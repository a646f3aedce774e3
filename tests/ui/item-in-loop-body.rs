// The user declares a `const` inside a loop body. The reverse sweep replays the body in
// another block, where the item would be out of scope (or shadowed differently), so items
// are accepted only at the top level of the function's body.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let mut s = x;
    for _ in 0..3 {
        const RATE: f64 = 1.5;
        s *= RATE;
    }
    s
}

fn main() {}

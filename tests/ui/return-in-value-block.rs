// `return` inside an `if` used as a value: an early return must stand as a statement (in
// the function body, or a loop body, or an `if` statement there); return first, then
// compute the value.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let y = if x < 0.0 { return 0.0 } else { x.sqrt() };
    y * x
}

fn main() {}

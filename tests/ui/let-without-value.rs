// `let y;` assigned later: give the `let` its value (`let y = if .. { .. } else { .. };`).
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let y;
    if x > 0.0 {
        y = x * x;
    } else {
        y = -x;
    }
    y
}

fn main() {}

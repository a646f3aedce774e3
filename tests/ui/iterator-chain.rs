// An adaptor after `.chain(..)` that the two loops a chain becomes cannot express: `.rev()`
// (the second part first, backwards). Reductions, `.map`, `.filter`, `.enumerate()`,
// `.copied()`, and `.step_by(k)`, `.skip(k)`, `.take(k)` (counted across both parts) after a
// chain are supported;
// write the loops over each part (`for x in b.iter().rev() { .. } for x in a.iter().rev() { .. }`).
use tapeless::differentiate;

#[differentiate]
fn f(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in a.iter().chain(b.iter()).rev() {
        s = 0.5 * s + x;
    }
    s
}

fn main() {}

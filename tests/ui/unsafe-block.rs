// An `unsafe` block in a differentiated function: the macro cannot follow raw pointers or
// foreign memory, so it cannot differentiate what the block computes.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let p = &x as *const f64;
    let y = unsafe { *p };
    y * y
}

fn main() {}

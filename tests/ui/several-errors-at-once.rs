// Three independent problems in one body: all of them are reported in one compile, so the
// user does not fix them one at a time.
use tapeless::differentiate;

#[differentiate]
fn f(x: f64) -> f64 {
    let square = |t: f64| t * t;
    let y = unsafe { core::ptr::read(&x) };
    let z = dbg!(y);
    square(z)
}

fn main() {}

// `if let` binding the field of an enum other than `Option`: the pre-pass binds only a
// whole value or `Some(v)`; match on the variant and read the field in a method of the enum.
use tapeless::differentiate;

pub enum Choice {
    Scale(f64),
    Keep,
}

#[differentiate(wrt(x))]
fn f(x: f64, c: Choice) -> f64 {
    if let Choice::Scale(s) = c {
        x * s
    } else {
        x
    }
}

fn main() {}

// A `match` arm binding a name in `|` alternatives of an enum's variants: the pre-pass reads
// a payload only from one variant per arm; write one arm per variant
// (`Choice::Scale(s) => x * s, Choice::Shift(s) => x * s,`).
use tapeless::differentiate;

pub enum Choice {
    Scale(f64),
    Shift(f64),
    Keep,
}

#[differentiate(wrt(x))]
fn f(x: f64, c: Choice) -> f64 {
    match c {
        Choice::Scale(s) | Choice::Shift(s) => x * s,
        Choice::Keep => x,
    }
}

fn main() {}

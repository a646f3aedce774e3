// #[differentiate] is put on something that is not a function.
use tapeless::differentiate;

#[differentiate]
const SCALE: f64 = 2.0;

fn main() {
    let _ = SCALE;
}

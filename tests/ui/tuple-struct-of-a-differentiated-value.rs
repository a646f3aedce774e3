use tapeless::differentiate;

struct Meters(f64);

#[differentiate]
fn length(x: f64) -> f64 {
    let m = Meters(2.0 * x);
    m.0 * m.0
}

fn main() {}

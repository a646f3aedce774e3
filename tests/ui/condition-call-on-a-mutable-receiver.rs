// A call without a rule on a `let mut` value may store a differentiated value in it
// (`acc.add(x)` returning whether it is full), which a later read would carry without its
// derivative: rejected even though its result only decides a branch.
use tapeless::differentiate;

#[derive(Default)]
struct Acc {
    total: f64,
}

impl Acc {
    fn add(&mut self, x: f64) -> bool {
        self.total += x;
        self.total > 10.0
    }
}

#[differentiate]
fn f(x: f64) -> f64 {
    let mut acc = Acc::default();
    let full = acc.add(x * x);
    if full {
        return 0.0;
    }
    acc.total * x
}

fn main() {}

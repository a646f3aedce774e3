// A call without a rule on a differentiated value whose result nothing reads is made for its
// effects, which may keep the value (`self.record(x)` into a `Cell`, read back later without
// its derivative): rejected, as a call whose result is dropped is, even though a call whose
// result only decides a branch needs no derivative.
use std::cell::Cell;
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Model {
    w: f64,
}

thread_local! {
    static LAST: Cell<f64> = const { Cell::new(0.0) };
}

#[differentiate]
impl Model {
    #[differentiate]
    fn loss(&self, x: f64) -> f64 {
        let _recorded = self.record(x * self.w);
        self.w * x
    }

    fn record(&self, v: f64) -> bool {
        LAST.with(|c| c.set(v));
        true
    }
}

fn main() {}

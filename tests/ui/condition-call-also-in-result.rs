// An unmarked method `persistence` decides a branch, which needs no derivative, but its
// result also flows into the returned value, which would need one: rejected at the call
// (its derivative would be silently dropped otherwise). Mark `persistence` #[differentiate]
// in the `impl` block, or write `self.alpha + self.beta` in place.
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Garch {
    alpha: f64,
    beta: f64,
}

#[differentiate]
impl Garch {
    #[differentiate]
    fn penalty(&self, x: f64) -> f64 {
        let p = self.persistence();
        if p >= 1.0 {
            return 1e10;
        }
        p * x
    }

    fn persistence(&self) -> f64 {
        self.alpha + self.beta
    }
}

fn main() {}

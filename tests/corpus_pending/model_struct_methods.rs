// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/ml.rs (inside `mod model_struct_methods { .. }`) once it passes.
//
// Domain: machine learning
// Status: rejected with a clean message
// Class:  wrt(self)
// Also uses (may block next; not verified, hidden behind the first error): method call on self (self.predict(x)); iterating a slice of non-Copy elements (for row in xs, xs: &[Vec<f64>] or &[DVector<f64>])
// Next blocker, verified by rewriting the first locally (`wrt(self)` → plain `#[differentiate]`): rejected: `self.predict(x)` has no rule
// Oracle: central differences over (w, b) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: expected identifier, found keyword `self`
//   --> tests/corpus_pending/model_struct_methods.rs:32:25

use tapeless::check::{check_gradient, Tolerance};
use tapeless::{differentiate, Differentiable};

/// A linear model with its prediction and loss as methods.
#[derive(Clone, Debug, Differentiable)]
pub struct Linear {
    pub w: Vec<f64>,
    pub b: f64,
}

#[differentiate]
impl Linear {
    #[differentiate]
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + self.b
    }

    #[differentiate(wrt(self))]
    pub fn loss(&self, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
        let mut total = 0.0;
        for (x, y) in xs.iter().zip(ys) {
            let r = self.predict(x) - y;
            total += r * r;
        }
        total / ys.len() as f64
    }
}

#[test]
fn model_struct_methods() {
    let xs = vec![vec![1.0, 2.0], vec![0.5, -1.0], vec![-2.0, 0.3]];
    let ys = [1.0, 0.2, -0.7];
    for t in [[0.1, 0.2, 0.3], [-1.0, 0.5, 0.0], [2.0, -0.3, 1.1]] {
        let model = |t: &[f64]| Linear { w: vec![t[0], t[1]], b: t[2] };
        let f = |t: &[f64]| model(t).loss(&xs, &ys);
        let (v, g) = model(&t).loss_grad(&xs, &ys);
        assert!((v - f(&t)).abs() < 1e-12);
        let analytic = [g.self_.w[0], g.self_.w[1], g.self_.b];
        check_gradient(f, &t, &analytic, Tolerance::default()).unwrap();
    }
}

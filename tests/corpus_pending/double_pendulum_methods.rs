// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/physics.rs (inside `mod double_pendulum_methods { .. }`) once it passes.
//
// Domain: physics simulation
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): method call on self (self.predict(x)); parameter: self of a struct without Differentiable (self is data here)
// Next blocker, verified by rewriting the first locally (`let t1 = s[0];` etc.): rejected: `self.kinetic(s)` has no rule
// Oracle: central differences over the state at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/double_pendulum_methods.rs:30:13

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// A double pendulum; the energy methods take the state [θ1, θ2, ω1, ω2].
pub struct DoublePendulum {
    pub m1: f64,
    pub m2: f64,
    pub l1: f64,
    pub l2: f64,
}

#[differentiate]
impl DoublePendulum {
    #[differentiate]
    fn kinetic(&self, s: &[f64; 4]) -> f64 {
        let [t1, t2, w1, w2] = *s;
        0.5 * (self.m1 + self.m2) * self.l1 * self.l1 * w1 * w1
            + 0.5 * self.m2 * self.l2 * self.l2 * w2 * w2
            + self.m2 * self.l1 * self.l2 * w1 * w2 * (t1 - t2).cos()
    }

    #[differentiate]
    fn potential(&self, s: &[f64; 4]) -> f64 {
        let g = 9.81;
        -(self.m1 + self.m2) * g * self.l1 * s[0].cos() - self.m2 * g * self.l2 * s[1].cos()
    }

    #[differentiate(wrt(s))]
    pub fn energy(&self, s: &[f64; 4]) -> f64 {
        self.kinetic(s) + self.potential(s)
    }
}

#[test]
fn double_pendulum_energy_methods() {
    let p = DoublePendulum { m1: 1.0, m2: 0.5, l1: 1.2, l2: 0.8 };
    for s in [[0.3, -0.2, 1.0, 0.5], [1.5, 0.7, -0.3, 2.0], [0.0, 3.0, 0.1, -0.1]] {
        let f = |s: &[f64]| p.energy(&[s[0], s[1], s[2], s[3]]);
        let (v, g) = p.energy_grad(&s);
        assert!((v - f(&s)).abs() < 1e-12);
        check_gradient(f, &s, &g.s, Tolerance::default()).unwrap();
    }
}

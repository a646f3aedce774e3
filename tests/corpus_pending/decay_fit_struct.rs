// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/estimation.rs (inside `mod decay_fit_struct { .. }`) once it passes.
//
// Domain: estimation
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Next blocker, verified by rewriting the first locally (`let a = p.a;` etc.): passes
// Oracle: closed form Σ 2r·(e, −a t e, 1) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/decay_fit_struct.rs:26:9

use tapeless::{differentiate, Differentiable};

/// Parameters of y = a·exp(−k t) + c.
#[derive(Clone, Copy, Debug, Differentiable)]
pub struct Decay {
    pub a: f64,
    pub k: f64,
    pub c: f64,
}

#[differentiate(wrt(p))]
pub fn decay_loss(p: &Decay, ts: &[f64], ys: &[f64]) -> f64 {
    let Decay { a, k, c } = *p;
    ts.iter()
        .zip(ys)
        .map(|(t, y)| {
            let r = a * (-k * t).exp() + c - y;
            r * r
        })
        .sum()
}

#[test]
fn decay_fit_with_destructured_struct() {
    let ts = [0.0, 0.5, 1.0, 2.0, 4.0];
    let ys = [3.0, 2.1, 1.6, 0.9, 0.55];
    for p in [Decay { a: 2.5, k: 0.7, c: 0.4 }, Decay { a: 1.0, k: 0.1, c: 0.0 }, Decay { a: 3.2, k: 1.5, c: 0.6 }] {
        let (v, g) = decay_loss_grad(&p, &ts, &ys);
        assert!((v - decay_loss(&p, &ts, &ys)).abs() < 1e-12);
        // Closed form: Σ 2r·(e, −a t e, 1) with e = exp(−k t).
        let (mut da, mut dk, mut dc) = (0.0, 0.0, 0.0);
        for (t, y) in ts.iter().zip(&ys) {
            let e = (-p.k * t).exp();
            let r = p.a * e + p.c - y;
            da += 2.0 * r * e;
            dk += 2.0 * r * (-p.a * t * e);
            dc += 2.0 * r;
        }
        assert!((g.p.a - da).abs() < 1e-10 && (g.p.k - dk).abs() < 1e-10 && (g.p.c - dc).abs() < 1e-10);
    }
}

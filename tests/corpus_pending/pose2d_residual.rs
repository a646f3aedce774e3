// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/robotics.rs (inside `mod pose2d_residual { .. }`) once it passes.
//
// Domain: robotics
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): tuple-returning float method (sin_cos)
// Next blocker, verified by rewriting the first locally (`let xa = a[0];` etc.): rejected: `sin_cos` has no rule
// Oracle: central differences over both poses at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/pose2d_residual.rs:21:9

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Pose-graph odometry residual between 2-D poses [x, y, θ], with the angle wrapped.
#[differentiate(wrt(a, b))]
pub fn odometry_residual(a: [f64; 3], b: [f64; 3], measured: [f64; 3]) -> f64 {
    let [xa, ya, ta] = a;
    let [xb, yb, tb] = b;
    let (s, c) = ta.sin_cos();
    let dx = c * (xb - xa) + s * (yb - ya);
    let dy = -s * (xb - xa) + c * (yb - ya);
    let e = tb - ta - measured[2];
    let dt = e.sin().atan2(e.cos());
    (dx - measured[0]).powi(2) + (dy - measured[1]).powi(2) + dt * dt
}

#[test]
fn pose2d_residual() {
    let measured = [1.0, 0.1, 0.2];
    for t in [[0.0, 0.0, 0.1, 1.1, 0.3, 0.4], [0.5, -0.2, 2.0, 0.0, 1.0, 2.5], [1.0, 1.0, -1.0, 2.0, 0.5, 2.9]] {
        let f = |t: &[f64]| odometry_residual([t[0], t[1], t[2]], [t[3], t[4], t[5]], measured);
        let (v, g) = odometry_residual_grad([t[0], t[1], t[2]], [t[3], t[4], t[5]], measured);
        assert!((v - f(&t)).abs() < 1e-12);
        let analytic = [g.a[0], g.a[1], g.a[2], g.b[0], g.b[1], g.b[2]];
        check_gradient(f, &t, &analytic, Tolerance::default()).unwrap();
    }
}

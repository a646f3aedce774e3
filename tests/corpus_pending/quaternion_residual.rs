// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/robotics.rs (inside `mod quaternion_residual { .. }`) once it passes.
//
// Domain: robotics
// Status: rejected with a clean message
// Class:  pattern: destructuring `let`
// Also uses (may block next; not verified, hidden behind the first error): array literal / array.map of active values
// Next blocker, verified by rewriting the first locally (`let w = q[0] / norm;` etc.): rejected: an array literal of active values
// Oracle: central differences over q at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: only `let name = ..` and `let name: Type = ..` are supported by #[differentiate]; destructuring patterns are not supported yet
//   --> tests/corpus_pending/quaternion_residual.rs:23:9

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Residual of rotating `v` by the normalised quaternion `q` = [w, x, y, z] against an
/// observation.
#[differentiate(wrt(q))]
pub fn rotation_residual(q: [f64; 4], v: [f64; 3], observed: [f64; 3]) -> f64 {
    let norm = q.iter().map(|c| c * c).sum::<f64>().sqrt();
    let [w, x, y, z] = q.map(|c| c / norm);
    let r = [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)],
    ];
    let mut res = 0.0;
    for i in 0..3 {
        let p: f64 = (0..3).map(|j| r[i][j] * v[j]).sum();
        res += (p - observed[i]).powi(2);
    }
    res
}

#[test]
fn quaternion_residual() {
    let v = [1.0, 0.5, -0.3];
    let observed = [0.2, 1.0, 0.1];
    for q in [[1.0, 0.1, 0.2, 0.3], [0.5, -0.5, 0.5, 0.2], [0.9, 0.0, -0.3, 0.4]] {
        let f = |q: &[f64]| rotation_residual([q[0], q[1], q[2], q[3]], v, observed);
        let (val, g) = rotation_residual_grad(q, v, observed);
        assert!((val - f(&q)).abs() < 1e-12);
        check_gradient(f, &q, &g.q, Tolerance::default()).unwrap();
    }
}

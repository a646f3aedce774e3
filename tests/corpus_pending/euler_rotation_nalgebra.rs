// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/robotics.rs (inside `mod euler_rotation_nalgebra { .. }`) once it passes.
//
// Domain: robotics
// Status: rejected with a clean message
// Class:  nalgebra op (from_fn, cholesky/solve/l(), Rotation3::from_euler_angles)
// Oracle: central differences in (roll, pitch, yaw) at 3 points; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error: function `Rotation3::from_euler_angles` has no derivative rule, and it receives a value that depends on a differentiated parameter; write it with operators and methods that have rules, or call a free function marked #[differentiate] or #[custom_vjp(rule)] that computes it
//   --> tests/corpus_pending/euler_rotation_nalgebra.rs:20:13

use nalgebra::{Rotation3, Vector3};
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Alignment error of a vector rotated by roll/pitch/yaw, through nalgebra's rotation type.
#[differentiate(wrt(roll, pitch, yaw))]
pub fn attitude_error(roll: f64, pitch: f64, yaw: f64, body: &Vector3<f64>, world: &Vector3<f64>) -> f64 {
    let r = Rotation3::from_euler_angles(roll, pitch, yaw);
    (r * body - world).norm_squared()
}

#[test]
fn euler_rotation_nalgebra() {
    let body = Vector3::new(1.0, 0.2, -0.5);
    let world = Vector3::new(0.3, 0.9, 0.1);
    for t in [[0.1, 0.2, 0.3], [-0.5, 0.4, 1.2], [1.0, -0.3, -0.8]] {
        let f = |t: &[f64]| attitude_error(t[0], t[1], t[2], &body, &world);
        let (v, g) = attitude_error_grad(t[0], t[1], t[2], &body, &world);
        assert!((v - f(&t)).abs() < 1e-12);
        check_gradient(f, &t, &[g.roll, g.pitch, g.yaw], Tolerance::default()).unwrap();
    }
}

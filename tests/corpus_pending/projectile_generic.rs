// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/physics.rs (inside `mod projectile_generic { .. }`) once it passes.
//
// Domain: physics simulation
// Status: rustc error inside generated code
// Class:  generic numeric code (T: Float)
// Oracle: central differences in (speed, angle, drag) at 3 points, f32 value; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0308]: mismatched types
//   --> tests/corpus_pending/projectile_generic.rs:18:1

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Projectile with quadratic drag, explicit Euler, generic over the float type.
#[differentiate(wrt(speed, angle, drag))]
pub fn flight<T: Float>(speed: T, angle: T, drag: T, steps: usize) -> T {
    let dt = T::from(0.01).unwrap();
    let g = T::from(9.81).unwrap();
    let (mut x, mut y) = (T::zero(), T::zero());
    let (mut vx, mut vy) = (speed * angle.cos(), speed * angle.sin());
    for _ in 0..steps {
        let v = (vx * vx + vy * vy).sqrt();
        vx = vx - drag * v * vx * dt;
        vy = vy - (g + drag * v * vy) * dt;
        x = x + vx * dt;
        y = y + vy * dt;
    }
    x + T::one() * y
}

#[test]
fn projectile_generic() {
    for t in [[20.0, 0.6, 0.01], [10.0, 1.0, 0.05], [35.0, 0.3, 0.002]] {
        let f = |t: &[f64]| flight(t[0], t[1], t[2], 100);
        let (v, g) = flight_grad(t[0], t[1], t[2], 100);
        assert!((v - f(&t)).abs() < 1e-12);
        check_gradient(f, &t, &[g.speed, g.angle, g.drag], Tolerance::default()).unwrap();
        let (v32, _) = flight_grad(t[0] as f32, t[1] as f32, t[2] as f32, 100);
        assert!((v32 as f64 - v).abs() < 1e-3 * (1.0 + v.abs()));
    }
}

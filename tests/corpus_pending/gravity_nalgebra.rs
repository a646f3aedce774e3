// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/physics.rs (inside `mod gravity_nalgebra { .. }`) once it passes.
//
// Domain: physics simulation
// Status: rustc error inside generated code
// Class:  differentiated parameter: slice of nalgebra vectors (&[Vector3<f64>])
// Oracle: closed form Σ_j m_i m_j (r_i − r_j)/|r_i − r_j|³ at 2 configurations; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0308]: mismatched types
//   --> tests/corpus_pending/gravity_nalgebra.rs:17:1

use nalgebra::Vector3;
use tapeless::differentiate;

/// Newtonian potential energy of point masses (G = 1).
#[differentiate(wrt(positions))]
pub fn gravitational_potential(positions: &[Vector3<f64>], masses: &[f64]) -> f64 {
    let mut u = 0.0;
    for i in 0..positions.len() {
        for j in 0..i {
            u -= masses[i] * masses[j] / (positions[i] - positions[j]).norm();
        }
    }
    u
}

#[test]
fn gravity_over_nalgebra_vectors() {
    let masses = [1.0, 2.0, 0.5];
    let sets = [
        vec![Vector3::new(0.0, 0.0, 0.0), Vector3::new(1.0, 0.0, 0.0), Vector3::new(0.0, 2.0, 0.5)],
        vec![Vector3::new(0.3, -0.2, 0.1), Vector3::new(-1.0, 0.5, 0.0), Vector3::new(0.5, 0.5, 1.5)],
    ];
    for positions in sets {
        let (v, g) = gravitational_potential_grad(&positions, &masses);
        assert!((v - gravitational_potential(&positions, &masses)).abs() < 1e-12);
        // Closed form: ∂U/∂r_i = Σ_j m_i m_j (r_i − r_j)/|r_i − r_j|³.
        for i in 0..3 {
            let mut expected = Vector3::zeros();
            for j in 0..3 {
                if i != j {
                    let d = positions[i] - positions[j];
                    expected += masses[i] * masses[j] * d / d.norm().powi(3);
                }
            }
            assert!((g.positions[i] - expected).norm() < 1e-10, "{} vs {}", g.positions[i], expected);
        }
    }
}

// PENDING corpus program of issue 12 (not compiled: cargo builds only tests/*.rs and what
// they `mod`). Written as a user writes it, before looking at the macro; kept unchanged.
// Move it into tests/corpus/physics.rs (inside `mod lennard_jones { .. }`) once it passes.
//
// Domain: physics simulation
// Status: rustc error inside generated code
// Class:  sub-slice (&x[a..b], &x[i+1..])
// Next blocker, verified by rewriting the first locally (`for j in (i + 1)..pos.len() { let b = pos[j]; .. }`): passes
// Oracle: closed-form pair forces and dE/dε = E/ε at 3 configurations; value vs plain
// What fails (cargo test on h-corpus at 30cd077, this file mod-ed into a test crate):
// first error: error[E0277]: the size for values of type `[[f64; 3]]` cannot be known at compilation time
//   --> tests/corpus_pending/lennard_jones.rs:17:1

use tapeless::differentiate;

/// Lennard-Jones energy of a cluster, summed over unordered pairs.
#[differentiate]
pub fn lj_energy(pos: &[[f64; 3]], epsilon: f64, sigma: f64) -> f64 {
    let mut e = 0.0;
    for (i, a) in pos.iter().enumerate() {
        for b in &pos[i + 1..] {
            let r2: f64 = a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum();
            let s6 = (sigma * sigma / r2).powi(3);
            e += 4.0 * epsilon * (s6 * s6 - s6);
        }
    }
    e
}

#[test]
fn lennard_jones_pairs() {
    let configs = [
        vec![[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.5, 1.0, 0.1], [0.4, 0.3, 1.0]],
        vec![[0.0, 0.0, 0.0], [1.5, 0.2, -0.1], [-0.3, 1.2, 0.4]],
        vec![[0.1, -0.2, 0.3], [1.0, 1.0, 1.0]],
    ];
    let (epsilon, sigma) = (1.0, 1.0);
    for pos in configs {
        let (v, g) = lj_energy_grad(&pos, epsilon, sigma);
        assert!((v - lj_energy(&pos, epsilon, sigma)).abs() < 1e-12);
        // Closed form: dE/dr_i = Σ_j 4ε(−12 s¹² + 6 s⁶)/r² · (r_i − r_j); dE/dε = E/ε.
        for i in 0..pos.len() {
            let mut force = [0.0; 3];
            for j in 0..pos.len() {
                if i == j {
                    continue;
                }
                let d: Vec<f64> = (0..3).map(|k| pos[i][k] - pos[j][k]).collect();
                let r2: f64 = d.iter().map(|x| x * x).sum();
                let s6 = (sigma * sigma / r2).powi(3);
                let coef = 4.0 * epsilon * (-12.0 * s6 * s6 + 6.0 * s6) / r2;
                for k in 0..3 {
                    force[k] += coef * d[k];
                }
            }
            for k in 0..3 {
                assert!((g.pos[i][k] - force[k]).abs() < 1e-9 * (1.0 + force[k].abs()), "{:?} vs {:?}", g.pos[i], force);
            }
        }
        assert!((g.epsilon - v / epsilon).abs() < 1e-10);
    }
}

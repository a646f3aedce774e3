//! Destructuring patterns of `for` loops and `.map(..)` closures over data (`for &(i, j) in
//! bonds`, `for (i, &(a, b)) in pairs.iter().enumerate()`, `for &[i, j] in edges`,
//! `bonds.iter().map(|&(i, j)| ..)`): the desugaring pre-pass binds the element to a fresh
//! name and destructures it at the start of the body. Each checked against the plain
//! function (value), central differences (probe) or a closed form, in f64, and in generic
//! code run in f32; `f_jvp` against `f_vjp` by the dot-product test.
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

const X: [f64; 4] = [0.3, -1.2, 0.8, 1.7];
const BONDS: [(usize, usize); 3] = [(0, 1), (1, 2), (3, 0)];

#[differentiate(wrt(x))]
fn bond_energy(x: &[f64], bonds: &[(usize, usize)]) -> f64 {
    let mut e = 0.0;
    for &(i, j) in bonds {
        e += (x[i] - x[j]).powi(2);
    }
    e
}

/// ∂/∂x_k Σ (x_i − x_j)² = Σ 2 (x_i − x_j) (δ_ki − δ_kj).
fn bond_energy_closed_form(x: &[f64], bonds: &[(usize, usize)]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for &(i, j) in bonds {
        g[i] += 2.0 * (x[i] - x[j]);
        g[j] -= 2.0 * (x[i] - x[j]);
    }
    g
}

#[test]
fn reference_tuple_pattern_over_a_slice() {
    let (value, grad) = bond_energy_grad(&X, &BONDS);
    assert_eq!(value, bond_energy(&X, &BONDS));
    let expected = bond_energy_closed_form(&X, &BONDS);
    for (g, e) in grad.x.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-14, "{g} vs {e}");
    }
    probe!(p => bond_energy, bond_energy_grad, bond_energy_vjp, [&p[..], &BONDS], [x], X);
}

#[test]
fn reference_tuple_pattern_jvp_against_vjp() {
    // ⟨w, J t⟩ = ⟨Jᵀ w, t⟩ for a scalar output: w · jvp(t) = vjp(w) · t.
    let t = [0.7, -0.2, 1.1, 0.4];
    let w = 1.3;
    let (value, tangent) = bond_energy_jvp(&X, &BONDS, &BondEnergyGrad { x: t.to_vec() });
    let (value_r, cotangent) = bond_energy_vjp(&X, &BONDS, w);
    assert_eq!(value, value_r);
    let right: f64 = cotangent.x.iter().zip(&t).map(|(a, b)| a * b).sum();
    assert!(
        (w * tangent - right).abs() < 1e-12,
        "{} vs {right}",
        w * tangent
    );
}

#[differentiate(wrt(x))]
fn bond_copied(x: &[f64], bonds: &[(usize, usize)]) -> f64 {
    let mut e = 0.0;
    for (i, j) in bonds.iter().copied() {
        e += (x[i] - x[j]).powi(2);
    }
    // Reversed: the same terms, the other way round.
    for &(i, j) in bonds.iter().rev() {
        e += x[i] * x[j].cos();
    }
    e
}

#[test]
fn tuple_pattern_over_copied_and_reversed() {
    probe!(p => bond_copied, bond_copied_grad, bond_copied_vjp, [&p[..], &BONDS], [x], X);
}

#[differentiate(wrt(x))]
fn angle_energy(x: &[f64], angles: &[(usize, usize, usize)]) -> f64 {
    let mut e = 0.0;
    for &(i, j, k) in angles {
        e += x[i] * x[j] * x[k];
    }
    e
}

#[test]
fn triple_pattern() {
    let angles = [(0, 1, 2), (1, 2, 3), (3, 3, 0)];
    probe!(p => angle_energy, angle_energy_grad, angle_energy_vjp, [&p[..], &angles], [x], X);
    // ∂/∂x_0 of x0 x1 x2 + x1 x2 x3 + x3² x0 = x1 x2 + x3².
    let (_, g) = angle_energy_grad(&X, &angles);
    assert!((g.x[0] - (X[1] * X[2] + X[3] * X[3])).abs() < 1e-14);
}

#[differentiate(wrt(x))]
fn enumerated_pairs(x: &[f64], pairs: &[(usize, usize)]) -> f64 {
    let mut e = 0.0;
    for (n, &(a, b)) in pairs.iter().enumerate() {
        e += (n as f64 + 1.0) * x[a] * x[b].sin();
    }
    for (n, (a, b)) in pairs.iter().copied().enumerate() {
        e += n as f64 * x[a].exp() * x[b];
    }
    e
}

#[test]
fn pattern_inside_enumerate() {
    probe!(p => enumerated_pairs, enumerated_pairs_grad, enumerated_pairs_vjp, [&p[..], &BONDS], [x], X);
}

#[differentiate(wrt(x))]
fn zipped_bonds(x: &[f64], bonds: &[(usize, usize)], k: &[f64]) -> f64 {
    let mut e = 0.0;
    for (&(i, j), kb) in bonds.iter().zip(k) {
        e += kb * (x[i] - x[j]).powi(2);
    }
    e
}

#[test]
fn pattern_inside_zip() {
    let k = [2.0, 0.5, 1.5];
    probe!(p => zipped_bonds, zipped_bonds_grad, zipped_bonds_vjp, [&p[..], &BONDS, &k], [x], X);
}

/// A `Vec` of data and float weights taken by value: data (`wrt(x)`).
#[differentiate(wrt(x))]
fn weighted(x: &[f64], terms: Vec<(usize, f64)>) -> f64 {
    let mut e = 0.0;
    for (i, w) in terms {
        e += w * x[i].exp();
    }
    e
}

#[test]
fn tuple_pattern_over_a_vec_of_data_and_floats() {
    let terms = vec![(0, 2.0), (2, -0.5), (0, 0.25)];
    probe!(p => weighted, weighted_grad, weighted_vjp, [&p[..], terms.clone()], [x], X);
    // ∂/∂x_0 = (2 + 0.25) e^{x_0}.
    let (_, g) = weighted_grad(&X, terms);
    assert!((g.x[0] - 2.25 * X[0].exp()).abs() < 1e-14);
    assert_eq!(g.x[1], 0.0);
}

#[differentiate(wrt(x))]
fn edges_energy(x: &[f64], edges: &[[usize; 2]]) -> f64 {
    let mut e = 0.0;
    for &[i, j] in edges {
        e += (x[i] * x[j]).cos();
    }
    e
}

#[test]
fn array_pattern_over_a_slice_of_arrays() {
    let edges = [[0, 1], [2, 3], [1, 3]];
    probe!(p => edges_energy, edges_energy_grad, edges_energy_vjp, [&p[..], &edges], [x], X);
}

#[differentiate(wrt(x))]
fn bond_map(x: &[f64], bonds: &[(usize, usize)]) -> f64 {
    bonds
        .iter()
        .map(|&(i, j)| (x[i] - x[j]).powi(2))
        .sum::<f64>()
}

#[test]
fn closure_tuple_pattern_in_map_sum() {
    let (value, grad) = bond_map_grad(&X, &BONDS);
    assert_eq!(value, bond_map(&X, &BONDS));
    let expected = bond_energy_closed_form(&X, &BONDS);
    for (g, e) in grad.x.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-14, "{g} vs {e}");
    }
    probe!(p => bond_map, bond_map_grad, bond_map_vjp, [&p[..], &BONDS], [x], X);
}

#[differentiate(wrt(x))]
fn filtered_bonds(x: &[f64], bonds: &[(usize, usize)]) -> f64 {
    let mut e = 0.0;
    for &(i, j) in bonds.iter().filter(|&&(i, j)| i < j) {
        e += x[i] * x[j];
    }
    e + bonds
        .iter()
        .fold(0.0, |acc, &(i, j)| acc + x[i] / (1.0 + x[j] * x[j]))
}

#[test]
fn pattern_with_filter_and_fold() {
    probe!(p => filtered_bonds, filtered_bonds_grad, filtered_bonds_vjp, [&p[..], &BONDS], [x], X);
}

/// A slice of float pairs read as data (`wrt(s)`): `for &(x, w) in points`.
#[differentiate(wrt(s))]
fn quadrature(points: &[(f64, f64)], s: f64) -> f64 {
    let mut total = 0.0;
    for &(x, w) in points {
        total += w * (s * x).sin();
    }
    total
}

#[test]
fn float_pairs_read_as_data() {
    let points = [(0.5, 0.3), (-1.5, 1.2), (2.0, 0.7)];
    let s = 0.9;
    let (value, grad) = quadrature_grad(&points, s);
    assert_eq!(value, quadrature(&points, s));
    // ∂/∂s Σ w sin(s x) = Σ w x cos(s x).
    let expected: f64 = points.iter().map(|&(x, w)| w * x * (s * x).cos()).sum();
    assert!((grad.s - expected).abs() < 1e-14);
    probe!(p => quadrature, quadrature_grad, quadrature_vjp, [&points, p[0]], [s], [s]);
}

#[differentiate(wrt(x))]
fn generic_bonds<T: Float + std::iter::Sum>(
    x: &[T],
    bonds: &[(usize, usize)],
    terms: &[(usize, T)],
) -> T {
    let mut e = T::zero();
    for &(i, j) in bonds {
        e = e + (x[i] - x[j]) * (x[i] - x[j]);
    }
    for &(i, w) in terms {
        e = e + w * x[i].sin();
    }
    e + bonds.iter().map(|&(i, j)| x[i] * x[j]).sum::<T>()
}

#[test]
fn generic_patterns_f64() {
    let terms = [(1, 0.5), (3, -2.0)];
    probe!(p => generic_bonds, generic_bonds_grad, generic_bonds_vjp, [&p[..], &BONDS, &terms], [x], X);
}

#[test]
fn generic_patterns_f32() {
    let x: [f32; 3] = [0.5, -1.0, 2.0];
    let bonds = [(0usize, 1usize), (1, 2)];
    let terms = [(2usize, 0.5f32)];
    let (value, g) = generic_bonds_grad(&x, &bonds, &terms);
    assert_eq!(value, generic_bonds(&x, &bonds, &terms));
    // e = (x0 − x1)² + (x1 − x2)² + 0.5 sin x2 + x0 x1 + x1 x2.
    let expected = [
        2.0 * (x[0] - x[1]) + x[1],
        -2.0 * (x[0] - x[1]) + 2.0 * (x[1] - x[2]) + x[0] + x[2],
        -2.0 * (x[1] - x[2]) + 0.5 * x[2].cos() + x[1],
    ];
    for (g, e) in g.x.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-5, "{g} vs {e}");
    }
}

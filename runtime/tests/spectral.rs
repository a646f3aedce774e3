//! The spectral rules (`runtime/src/spectral.rs`): eigenvalues of a symmetric matrix and
//! singular values. Each helper against central differences of nalgebra's own functions
//! (`symmetric_eigenvalues`, which reads A's lower triangle, so an upper entry's derivative
//! is 0; `singular_values`), on random square and rectangular, dynamic and static shapes,
//! the forward helpers against the same differences and both against each other by the
//! dot-product test; and the rules' order of the values checked to be nalgebra's.

mod support;

use nalgebra::{DMatrix, DVector, Matrix2x3, Matrix3, Matrix3x2, Vector2, Vector3};
use proptest::prelude::*;
use support::forward::{check_jvp, check_transpose};
use support::{check_dot_product, check_rule, Rng};
use tapeless_runtime::spectral::{
    singular_values_jvp, singular_values_vjp, symmetric_eigenvalues_jvp, symmetric_eigenvalues_vjp,
};

fn random(rng: &mut Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| rng.value())
}

/// The spacing of a diagonal shift that keeps the values of `E + diag(s, 2s, ..)` at least
/// 3 apart: by Weyl's inequality each eigenvalue (singular value) of the sum is within
/// ‖E‖₂ ≤ ‖S(E)‖_F ≤ √2·‖E‖_F of the shift's. A fixed spacing of 3 let two values of a 5×5
/// draw come close enough that central differences were off by 1e-6.
fn spacing(e: &DMatrix<f64>) -> f64 {
    3.0 * e.norm() + 3.0
}

/// A random matrix whose lower triangle has well-separated eigenvalues (a diagonal shift
/// by i·s, s from `spacing`, spreads them), where single eigenvalues are differentiable.
fn separated(rng: &mut Rng, n: usize) -> DMatrix<f64> {
    let mut a = random(rng, n, n);
    let s = spacing(&a);
    for i in 0..n {
        a[(i, i)] += s * i as f64;
    }
    a
}

/// A random matrix with distinct singular values away from 0 (where σ is not
/// differentiable): a shift of its leading diagonal by s, 2s, 3s, ... (`spacing`).
fn distinct_singular_values(rng: &mut Rng, rows: usize, cols: usize) -> DMatrix<f64> {
    let mut a = random(rng, rows, cols);
    let s = spacing(&a);
    for i in 0..rows.min(cols) {
        a[(i, i)] += s * (i + 1) as f64;
    }
    a
}

/// The seed of nalgebra's (unsorted) eigenvalues that is `w` on the sorted ones: the order
/// nalgebra returns may change between nearby matrices, so central differences are taken
/// of the sorted eigenvalues.
fn unsorted_seed(values: &DVector<f64>, w: &DVector<f64>) -> DVector<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut seed = DVector::zeros(values.len());
    for (rank, &i) in order.iter().enumerate() {
        seed[i] = w[rank];
    }
    seed
}

fn sorted_eigenvalues(a: &DMatrix<f64>) -> DVector<f64> {
    let mut values: Vec<f64> = a.symmetric_eigenvalues().iter().copied().collect();
    values.sort_by(f64::total_cmp);
    DVector::from_vec(values)
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(48)
}

proptest! {
    #![proptest_config(cases())]

    /// λ(S(A)): the reverse rule against central differences (upper entries get 0), the
    /// forward rule against them too, and the two by the dot-product test.
    #[test]
    fn symmetric_eigenvalues(n in 1..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = separated(&mut rng, n);
        let w = DVector::from_fn(n, |_, _| rng.nonzero());
        let seed = unsorted_seed(&a.symmetric_eigenvalues(), &w);
        let start = random(&mut rng, n, n);
        check_rule("symmetric_eigenvalues", sorted_eigenvalues, &a, &w, &start, |d| {
            symmetric_eigenvalues_vjp(d, &a, &seed)
        });
        let v = random(&mut rng, n, n);
        let tangent = symmetric_eigenvalues_jvp(&a, &v);
        // ⟨λ̇, seed⟩ is the derivative of ⟨sorted λ, w⟩ along v.
        let along = |a: &DMatrix<f64>| DVector::from_element(1, sorted_eigenvalues(a).dot(&w));
        check_jvp("symmetric_eigenvalues", along, &a, &v, &DVector::from_element(1, tangent.dot(&seed)));
        let zero = DMatrix::zeros(n, n);
        check_transpose("symmetric_eigenvalues", &v, &tangent, &seed, &zero, |d| {
            symmetric_eigenvalues_vjp(d, &a, &seed)
        });
        check_dot_product("symmetric_eigenvalues", sorted_eigenvalues, &a, &v, &w, &zero, |d| {
            symmetric_eigenvalues_vjp(d, &a, &seed)
        });
    }

    /// σ(A) of wide, tall and square matrices.
    #[test]
    fn singular_values(rows in 1..6usize, cols in 1..6usize, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let a = distinct_singular_values(&mut rng, rows, cols);
        let f = |a: &DMatrix<f64>| a.singular_values();
        let k = rows.min(cols);
        let w = DVector::from_fn(k, |_, _| rng.nonzero());
        let start = random(&mut rng, rows, cols);
        check_rule("singular_values", f, &a, &w, &start, |d| singular_values_vjp(d, &a, &w));
        let v = random(&mut rng, rows, cols);
        let tangent = singular_values_jvp(&a, &v);
        check_jvp("singular_values", f, &a, &v, &tangent);
        let zero = DMatrix::zeros(rows, cols);
        check_transpose("singular_values", &v, &tangent, &w, &zero, |d| {
            singular_values_vjp(d, &a, &w)
        });
    }
}

/// Static shapes, where nalgebra's SVD of 2 × 2 and 3 × 3 matrices takes its own paths.
#[test]
fn static_shapes() {
    let mut rng = Rng::new(7);
    for _ in 0..16 {
        let a = Matrix3::from_fn(|_, _| rng.value())
            + Matrix3::from_diagonal(&Vector3::new(3.0, 6.0, 9.0));
        let w = Vector3::from_fn(|_, _| rng.nonzero());
        let start = Matrix3::from_fn(|_, _| rng.value());
        check_rule(
            "singular_values 3x3",
            |a: &Matrix3<f64>| a.singular_values(),
            &a,
            &w,
            &start,
            |d| singular_values_vjp(d, &a, &w),
        );
        // Σ λₖ² and Σ λₖ: the same whatever the order.
        let s = a + Matrix3::from_diagonal(&Vector3::new(0.0, 3.0, 6.0));
        let squares = |a: &Matrix3<f64>| {
            let l = a.symmetric_eigenvalues();
            nalgebra::Vector2::new(l.norm_squared(), l.sum())
        };
        let (l, w2) = (s.symmetric_eigenvalues(), Vector2::new(0.7, -1.3));
        let seed = l * 2.0 * w2[0] + Vector3::repeat(w2[1]);
        check_rule("symmetric_eigenvalues 3x3", squares, &s, &w2, &start, |d| {
            symmetric_eigenvalues_vjp(d, &s, &seed)
        });
        let wide =
            Matrix2x3::from_fn(|_, _| rng.value()) + Matrix2x3::new(3.0, 0.0, 0.0, 0.0, 6.0, 0.0);
        let w2 = Vector2::from_fn(|_, _| rng.nonzero());
        let start = Matrix2x3::from_fn(|_, _| rng.value());
        check_rule(
            "singular_values 2x3",
            |a: &Matrix2x3<f64>| a.singular_values(),
            &wide,
            &w2,
            &start,
            |d| singular_values_vjp(d, &wide, &w2),
        );
        let tall = wide.transpose();
        let start = Matrix3x2::from_fn(|_, _| rng.value());
        check_rule(
            "singular_values 3x2",
            |a: &Matrix3x2<f64>| a.singular_values(),
            &tall,
            &w2,
            &start,
            |d| singular_values_vjp(d, &tall, &w2),
        );
    }
}

/// The rules read the vectors of the decomposition that computed the values, in the same
/// order: nalgebra's eigenvalues are those of `symmetric_eigen` bit for bit (one algorithm),
/// its singular values those of the SVD with vectors to rounding (the vectors' rotations
/// change the last bits), both in the same order.
#[test]
fn the_rules_order_is_nalgebras() {
    let mut rng = Rng::new(11);
    for n in 1..8 {
        let a = separated(&mut rng, n);
        let values = a.symmetric_eigenvalues();
        let eigen = a.clone().symmetric_eigen();
        assert_eq!(values.as_slice(), eigen.eigenvalues.as_slice());
        let b = distinct_singular_values(&mut rng, n, n + 2);
        let svd = nalgebra::SVD::new(b.clone(), true, true);
        for (s, t) in b.singular_values().iter().zip(svd.singular_values.iter()) {
            assert!((s - t).abs() <= 1e-13 * s.abs(), "{s} != {t}");
        }
    }
}

//! Loops whose carried vector or matrix changes its length from one iteration to the next
//! (`v = v[1..].to_vec();`, `v = v.windows(2).map(..).collect();`, a scratch vector one
//! shorter or longer than the last). Each reverse iteration's adjoint of the carried value
//! has that iteration's shape: made from the value where the reverse sweep restores it, else
//! from the length or dimensions the forward iteration kept (`runtime::carried_shape`).
//! Checked against central differences, closed forms where there are some, and `f_jvp` by
//! the dot-product test.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;
use tapeless::nalgebra::{DMatrix, DVector};

#[track_caller]
fn check(f: impl FnMut(&[f64]) -> f64, x: &[f64], g: &[f64]) {
    if let Err(e) = check_gradient(f, x, g, Tolerance::default()) {
        panic!("{e}\nanalytic {g:?}");
    }
}

#[track_caller]
fn assert_near(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (a, b) in got.iter().zip(want) {
        assert!(
            (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
            "{got:?} vs {want:?}"
        );
    }
}

const X: [f64; 9] = [0.3, 0.5, -0.7, 1.1, 0.9, 0.2, 0.4, 0.6, -0.1];
const V: [f64; 9] = [0.2, -0.4, 0.1, 0.7, -0.3, 0.5, -0.6, 0.8, 0.25];

/// ⟨∇f, v⟩ against the forward mode's directional derivative.
#[track_caller]
fn dot_test(g: &[f64], jvp: f64) {
    let dot: f64 = g.iter().zip(&V).map(|(a, b)| a * b).sum();
    assert!(
        (dot - jvp).abs() <= 1e-12 * (1.0 + dot.abs()),
        "{dot} vs {jvp}"
    );
}

// Products of neighbours, repeated: each pass is one shorter.
#[differentiate]
fn neighbour_products(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.to_vec();
    for _ in 0..3 {
        v = v.windows(2).map(|w| w[1] * w[0]).collect();
    }
    v.iter().sum()
}

#[test]
fn a_collected_window_chain_reassigned_in_a_loop() {
    let (value, g) = neighbour_products_grad(&X);
    assert_eq!(value, neighbour_products(&X));
    check(neighbour_products, &X, &g.x);
    let (_, jvp) = neighbour_products_jvp(&X, &NeighbourProductsGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// Third differences, squared: linear passes, which read the carried vector only by index.
#[differentiate]
fn third_differences(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.to_vec();
    for _ in 0..3 {
        v = v.windows(2).map(|w| w[1] - w[0]).collect();
    }
    v.iter().map(|t| t * t).sum()
}

#[test]
fn differences_of_differences_against_their_closed_form() {
    let (_, g) = third_differences_grad(&X);
    // d = D x with D's rows (-1, 3, -3, 1) shifted; ∇ = 2 Dᵀ d.
    let n = X.len() - 3;
    let mut want = vec![0.0; X.len()];
    for i in 0..n {
        let d = -X[i] + 3.0 * X[i + 1] - 3.0 * X[i + 2] + X[i + 3];
        for (j, c) in [-1.0, 3.0, -3.0, 1.0].into_iter().enumerate() {
            want[i + j] += 2.0 * c * d;
        }
    }
    assert_near(&g.x, &want);
    check(third_differences, &X, &g.x);
}

// A suffix copied at each step, read by index.
#[differentiate]
fn suffix_chain(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    while v.len() > 1 {
        s += v[0] * v[1];
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn a_suffix_copied_each_iteration() {
    let (value, g) = suffix_chain_grad(&X);
    assert_eq!(value, suffix_chain(&X));
    let want: Vec<f64> = (0..X.len())
        .map(|i| {
            let left = if i > 0 { X[i - 1] } else { 0.0 };
            let right = if i + 1 < X.len() { X[i + 1] } else { 0.0 };
            left + right
        })
        .collect();
    assert_near(&g.x, &want);
    let (_, jvp) = suffix_chain_jvp(&X, &SuffixChainGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

// The carried vector is replaced by a suffix of the parameter: the reverse sweep needs none
// of its values, only its length, which the forward iteration keeps.
#[differentiate]
fn suffix_sums(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = 0.0;
    while k < 3 {
        s += 2.0 * v[0] + v.iter().sum::<f64>();
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[test]
fn a_carried_vector_whose_values_the_reverse_sweep_does_not_need() {
    let (value, g) = suffix_sums_grad(&X);
    assert_eq!(value, suffix_sums(&X));
    // x[k] is read 2 + (k + 1) times for k < 3, then 3 times.
    let want: Vec<f64> = (0..X.len())
        .map(|i| match i {
            0..=2 => 2.0 + (i + 1) as f64,
            _ => 3.0,
        })
        .collect();
    assert_near(&g.x, &want);
    let (_, jvp) = suffix_sums_jvp(&X, &SuffixSumsGrad { x: V.to_vec() });
    dot_test(&g.x, jvp);
}

#[differentiate]
fn suffix_sums_f32(x: &[f32]) -> f32 {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = 0.0;
    while k < 2 {
        s += v[0] * v[0];
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[differentiate]
fn suffix_sums_generic<T: Float>(x: &[T]) -> T {
    let mut v = x.to_vec();
    let mut k = 0;
    let mut s = T::zero();
    while k < 2 {
        s = s + v[0] * v[0];
        k += 1;
        v = x[k..].to_vec();
    }
    s
}

#[test]
fn kept_lengths_in_f32_and_in_generic_code() {
    let x = [0.5f32, -1.5, 2.0, 3.0];
    let (_, g) = suffix_sums_f32_grad(&x);
    assert_eq!(g.x, vec![1.0, -3.0, 0.0, 0.0]);
    let (_, g) = suffix_sums_generic_grad(&x);
    assert_eq!(g.x, vec![1.0, -3.0, 0.0, 0.0]);
    let (_, g) = suffix_sums_generic_grad(&X);
    let want: Vec<f64> = (0..X.len())
        .map(|i| if i < 2 { 2.0 * X[i] } else { 0.0 })
        .collect();
    assert_near(&g.x, &want);
}

// Pascal's rule: each row one longer than the last, linear in the one before.
#[differentiate]
fn pascal(x: &[f64]) -> f64 {
    let mut row: Vec<f64> = x[..1].to_vec();
    for &xi in &x[1..] {
        let n = row.len();
        let mut next = vec![0.0; n + 1];
        next[0] = row[0];
        for j in 1..n {
            next[j] = row[j - 1] + row[j];
        }
        next[n] = row[n - 1] + xi;
        row = next;
    }
    row.iter().sum()
}

#[test]
fn a_carried_vector_one_longer_each_iteration() {
    let x = &X[..6];
    let (value, g) = pascal_grad(x);
    assert_eq!(value, pascal(x));
    check(pascal, x, &g.x);
    let (_, jvp) = pascal_jvp(x, &PascalGrad { x: V[..6].to_vec() });
    let dot: f64 = g.x.iter().zip(&V).map(|(a, b)| a * b).sum();
    assert!((dot - jvp).abs() <= 1e-12 * (1.0 + dot.abs()));
}

// A norm of pairs, halving the length each round (a reduction tree).
#[differentiate]
fn pair_norms(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.to_vec();
    while v.len() > 1 {
        let mut next = Vec::new();
        for i in 0..v.len() / 2 {
            next.push((v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1]).sqrt());
        }
        v = next;
    }
    v[0]
}

#[test]
fn a_reduction_tree_halving_its_vector() {
    let x = &X[..8];
    let (value, g) = pair_norms_grad(x);
    assert_eq!(value, pair_norms(x));
    // The tree of 2-norms is the 2-norm.
    let norm = x.iter().map(|t| t * t).sum::<f64>().sqrt();
    assert_near(&g.x, &x.iter().map(|t| t / norm).collect::<Vec<_>>());
}

// A scratch vector written by index, one shorter each round, then carried.
#[differentiate]
fn scratch_rounds(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = x.to_vec();
    let mut s = 0.0;
    while v.len() > 1 {
        let n = v.len();
        let mut scratch = vec![0.0; n - 1];
        for i in 0..n - 1 {
            scratch[i] = (v[i] * v[i + 1]).sin();
        }
        s += scratch[0];
        v = scratch;
    }
    s + v[0]
}

#[test]
fn a_scratch_vector_carried_one_shorter_each_round() {
    let x = &X[..5];
    let (value, g) = scratch_rounds_grad(x);
    assert_eq!(value, scratch_rounds(x));
    check(scratch_rounds, x, &g.x);
}

// Dynamic matrices and vectors: a leading block, one row shorter each iteration.
#[differentiate]
fn row_blocks(a: &DMatrix<f64>) -> f64 {
    let mut m = a.clone();
    let mut s = 0.0;
    while m.nrows() > 1 {
        s += m.sum();
        m = m.rows(1, m.nrows() - 1).into_owned();
    }
    s
}

#[differentiate]
fn leading_blocks(a: &DMatrix<f64>) -> f64 {
    let mut m = a.clone();
    let mut k = 1;
    let mut s = 0.0;
    while k < a.nrows() {
        s += m.sum() * k as f64;
        m = a.rows(0, a.nrows() - k).into_owned();
        k += 1;
    }
    s
}

#[differentiate]
fn shrinking_norms(x: &DVector<f64>) -> f64 {
    let mut v = x.clone();
    let mut s = 0.0;
    while v.len() > 1 {
        s += v.norm_squared();
        v = v.rows(0, v.len() - 1).into_owned();
    }
    s
}

#[test]
fn dynamic_matrices_and_vectors_of_changing_shape() {
    let a = DMatrix::from_column_slice(3, 3, &X);
    let at = |x: &[f64]| DMatrix::from_column_slice(3, 3, x);
    let (value, g) = row_blocks_grad(&a);
    assert_eq!(value, row_blocks(&a));
    // Rows 1 and 2 are summed twice, row 0 once.
    let want = DMatrix::from_fn(3, 3, |i, _| [1.0, 2.0, 2.0][i]);
    assert_near(g.a.as_slice(), want.as_slice());
    check(|x| row_blocks(&at(x)), &X, g.a.as_slice());
    // The whole matrix with weight 1, then its first two rows with weight 2.
    let (value, g) = leading_blocks_grad(&a);
    assert_eq!(value, leading_blocks(&a));
    let want = DMatrix::from_fn(3, 3, |i, _| [3.0, 3.0, 1.0][i]);
    assert_near(g.a.as_slice(), want.as_slice());
    let x = DVector::from_column_slice(&X);
    let (value, g) = shrinking_norms_grad(&x);
    assert_eq!(value, shrinking_norms(&x));
    let n = X.len();
    // x[i] is in the leading blocks of lengths max(i + 1, 2) ..= n.
    let want: Vec<f64> = (0..n)
        .map(|i| 2.0 * X[i] * (n - 1).min(n - i) as f64)
        .collect();
    assert_near(g.x.as_slice(), &want);
}

#[differentiate(hessian)]
fn suffix_products(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    let mut s = 0.0;
    while v.len() > 1 {
        s += v[0] * v[1];
        v = v[1..].to_vec();
    }
    s
}

#[test]
fn hessian_of_a_loop_whose_carried_vector_shrinks() {
    let x = &X[..4];
    let (value, _, rows) = suffix_products_hessian(x);
    assert_eq!(value, suffix_products(x));
    for (i, row) in rows.iter().enumerate() {
        let want: Vec<f64> = (0..4)
            .map(|j| if i.abs_diff(j) == 1 { 1.0 } else { 0.0 })
            .collect();
        assert_eq!(row.x, want);
    }
}

// A network whose layers have different widths: the hidden vector changes its length at
// each layer (found by the QA pass of session 30: the reverse sweep panicked in `gemv`).
#[differentiate(wrt(weights))]
fn deep_linear(weights: &[DMatrix<f64>], x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for w in weights {
        h = (w * &h).map(|t| t.tanh());
    }
    h.norm_squared()
}

// A matrix that becomes its Gram matrix (2×3, then 2×2).
#[differentiate]
fn gram_twice(a: &DMatrix<f64>) -> f64 {
    let mut m = a.clone();
    for _ in 0..2 {
        m = &m * m.transpose();
    }
    m.sum()
}

#[test]
fn layers_of_different_widths_and_a_matrix_that_changes_shape() {
    let weights = vec![
        DMatrix::from_fn(4, 3, |i, j| 0.1 * (i + 2 * j) as f64 - 0.3),
        DMatrix::from_fn(2, 4, |i, j| 0.2 * (i * j) as f64 - 0.1),
        DMatrix::from_fn(5, 2, |i, j| 0.15 * i as f64 - 0.25 * j as f64 + 0.05),
    ];
    let x = DVector::from_vec(vec![0.5, -0.2, 0.9]);
    let (value, g) = deep_linear_grad(&weights, &x);
    assert_eq!(value, deep_linear(&weights, &x));
    let flat: Vec<f64> = weights.iter().flat_map(|w| w.iter().copied()).collect();
    let unflatten = |p: &[f64]| -> Vec<DMatrix<f64>> {
        let mut at = 0;
        weights
            .iter()
            .map(|w| {
                let m = DMatrix::from_column_slice(w.nrows(), w.ncols(), &p[at..at + w.len()]);
                at += w.len();
                m
            })
            .collect()
    };
    let analytic: Vec<f64> = g.weights.iter().flat_map(|w| w.iter().copied()).collect();
    check(|p| deep_linear(&unflatten(p), &x), &flat, &analytic);

    let a = DMatrix::from_fn(2, 3, |i, j| 0.3 * i as f64 - 0.2 * j as f64 + 0.1);
    let (value, g) = gram_twice_grad(&a);
    assert_eq!(value, gram_twice(&a));
    check(
        |p| gram_twice(&DMatrix::from_column_slice(2, 3, p)),
        a.as_slice(),
        g.a.as_slice(),
    );
}

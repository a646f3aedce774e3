//! Elements read at the same index in every iteration of a loop (`x[i]` in the loop over
//! `j`, GMM's `xcentered[col]` in the loop over `row`): the reverse loop adds their
//! adjoints in a local and adds that to the element once after the loop
//! (`reverse::Slot`). Checked against closed forms, central differences and `f_jvp` by the
//! dot-product test, where the index is out of bounds in the iterations that run no inner
//! iteration, in branches, through a pullback with a data argument, where a store to the
//! same array keeps the element's adjoint in memory, and in generic code in f64 and f32.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

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

const X: [f64; 4] = [0.3, -0.5, 0.7, 1.1];
const A: [f64; 16] = [
    1.0, 0.2, -0.3, 0.4, 0.5, -1.2, 0.7, 0.1, -0.9, 0.3, 0.8, -0.2, 0.6, 0.05, -0.4, 1.5,
];
const V: [f64; 4] = [0.2, -0.4, 0.1, 0.7];

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

// xᵀ A x with A given by rows: ∇ = (A + Aᵀ) x.
#[differentiate(wrt(x))]
fn quadratic(a: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let xi = x[i];
        for j in 0..n {
            s += a[i * n + j] * x[j] * x[i] + 0.0 * xi;
        }
    }
    s
}

#[test]
fn an_element_read_in_every_iteration_of_the_inner_loop() {
    let (value, g) = quadratic_grad(&A, &X);
    assert_eq!(value, quadratic(&A, &X));
    let n = X.len();
    let want: Vec<f64> = (0..n)
        .map(|k| (0..n).map(|j| (A[k * n + j] + A[j * n + k]) * X[j]).sum())
        .collect();
    assert_near(&g.x, &want);
    check(|x| quadratic(&A, x), &X, &g.x);
    let (_, jvp) = quadratic_jvp(&A, &X, &QuadraticGrad { x: V.to_vec() });
    assert!((dot(&g.x, &V) - jvp).abs() <= 1e-12);
}

// The element read in the inner loop is x[i + 1], out of bounds for the last i, where the
// inner loop runs no iteration: the deferred addition of zero must not index it.
#[differentiate]
fn upper_pairs(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let k = i + 1;
        for j in k..n {
            s += x[k] * w[j] * x[j];
        }
    }
    s
}

#[test]
fn an_index_out_of_bounds_where_the_inner_loop_is_empty() {
    let w = [0.4, -0.2, 0.9, 0.3];
    let (value, g) = upper_pairs_grad(&X, &w);
    assert_eq!(value, upper_pairs(&X, &w));
    check(|x| upper_pairs(x, &w), &X, &g.x);
    check(|w| upper_pairs(&X, w), &w, &g.w);
    let tangent = UpperPairsGrad {
        x: V.to_vec(),
        w: vec![0.1, 0.3, -0.2, 0.5],
    };
    let (_, jvp) = upper_pairs_jvp(&X, &w, &tangent);
    let dot_g = dot(&g.x, &tangent.x) + dot(&g.w, &tangent.w);
    assert!((dot_g - jvp).abs() <= 1e-12 * (1.0 + jvp.abs()));
}

// The invariant element in both branches of an `if` inside the inner loop.
#[differentiate]
fn branches(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            if w[j] > 0.0 {
                s += x[i] * w[j] * w[i];
            } else {
                s -= (x[i] * x[j]).sin();
            }
        }
    }
    s
}

#[test]
fn the_element_read_in_branches() {
    let w = [0.4, -0.2, 0.9, -0.3];
    let (value, g) = branches_grad(&X, &w);
    assert_eq!(value, branches(&X, &w));
    check(|x| branches(x, &w), &X, &g.x);
    check(|w| branches(&X, w), &w, &g.w);
}

// A store to the array in the inner loop: its adjoint's slot is cleared there, so the
// element's adjoint stays in the array (the deferral would be wrong).
#[differentiate]
fn relax(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    let mut a = x.to_vec();
    for i in 0..n {
        for j in 0..n {
            if j != i {
                a[j] += 0.1 * a[i] * w[j];
            }
        }
    }
    a.iter().map(|v| v * v).sum()
}

#[test]
fn a_store_to_the_same_array_keeps_the_element_in_memory() {
    let w = [0.4, -0.2, 0.9, 0.3];
    let (value, g) = relax_grad(&X, &w);
    assert_eq!(value, relax(&X, &w));
    check(|x| relax(x, &w), &X, &g.x);
    check(|w| relax(&X, w), &w, &g.w);
}

// Called from another differentiated function with data for `a`: the callee's pullback
// skips the gradient of `a` the caller does not use, and the deferred addition with it.
#[differentiate]
fn weighted(a: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += a[i] * x[i] * x[j];
        }
    }
    s
}

#[differentiate(wrt(x))]
fn outer(a: &[f64], x: &[f64]) -> f64 {
    weighted(a, x) * 2.0 + weighted(x, x)
}

#[test]
fn through_a_pullback_with_a_data_argument() {
    let a = [0.4, -0.2, 0.9, 0.3];
    let (value, g) = outer_grad(&a, &X);
    assert_eq!(value, outer(&a, &X));
    check(|x| outer(&a, x), &X, &g.x);
    // ∂/∂x_k of 2 Σ a_i x_i x_j = 2 (a_k Σx + Σ a_i x_i); of Σ x_i² x_j: 2 x_k Σx + Σ x².
    let sum: f64 = X.iter().sum();
    let ax = dot(&a, &X);
    let squares = dot(&X, &X);
    let want: Vec<f64> = (0..4)
        .map(|k| 2.0 * (a[k] * sum + ax) + 2.0 * X[k] * sum + squares)
        .collect();
    assert_near(&g.x, &want);
}

// Generic: the local is typed by the element it adds to.
#[differentiate]
fn generic_quadratic<T: Float>(x: &[T]) -> T {
    let n = x.len();
    let mut s = T::zero();
    for i in 0..n {
        for j in i..n {
            s = s + x[i] * x[j] * T::from(0.5).unwrap();
        }
    }
    s
}

#[test]
fn generic_code_in_f64_and_f32() {
    let (_, g) = generic_quadratic_grad(&X);
    check(generic_quadratic, &X, &g.x);
    // Σ_{i≤j} ½ x_i x_j: ∂/∂x_k = ½ (Σ_j x_j + x_k).
    let sum: f64 = X.iter().sum();
    let want: Vec<f64> = X.iter().map(|x| 0.5 * (sum + x)).collect();
    assert_near(&g.x, &want);
    let x32: Vec<f32> = X.iter().map(|&v| v as f32).collect();
    let (_, g32) = generic_quadratic_grad(&x32);
    for (a, b) in g32.x.iter().zip(&want) {
        assert!((f64::from(*a) - b).abs() < 1e-5, "{a} vs {b}");
    }
}

// The Hessian (forward over reverse): the local is a dual number there. The increment
// `y[i] += ..` and the slot `x[i]` both appear. f = (Σx)(Σx²): ∂²f/∂x_k∂x_l =
// 2x_k + 2x_l + 2δ_kl Σx.
#[differentiate(hessian)]
fn sum_times_squares(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            y[i] += x[j] * x[i] * x[i];
        }
    }
    y.iter().sum()
}

#[test]
fn hessian_through_slots_and_increments() {
    let (value, grad, rows) = sum_times_squares_hessian(&X);
    assert_eq!(value, sum_times_squares(&X));
    check(sum_times_squares, &X, &grad.x);
    let sum: f64 = X.iter().sum();
    for (k, row) in rows.iter().enumerate() {
        let want: Vec<f64> = (0..4)
            .map(|l| 2.0 * X[k] + 2.0 * X[l] + if k == l { 2.0 * sum } else { 0.0 })
            .collect();
        for (a, b) in row.x.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "row {k}: {:?} vs {want:?}", row.x);
        }
    }
}

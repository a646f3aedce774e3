//! The nalgebra decompositions through `#[differentiate]`, as matrix-level rules:
//! `cholesky()` with `l()`, `solve` and the log-determinant through the factor's diagonal;
//! `lu()` and `qr()` solves. Each checked against central differences of the function
//! itself (which reads only the lower triangle of the matrix it factors: the inputs are not
//! symmetrised, so a perturbation above the diagonal must have derivative 0), in forward
//! mode against the gradient (⟨ẋ, ∇f⟩ = ḟ), and a Gaussian-process likelihood at n = 300
//! against central differences and the closed form ½ tr((K⁻¹ − ααᵀ) ∂K/∂θ).
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, Matrix3, RealField, Vector3};
use tapeless::check::central_difference;
use tapeless::differentiate;

/// |a − b| ≤ tolerance·max(1, |a|, |b|) for every coordinate.
#[track_caller]
fn assert_close(analytic: &[f64], numeric: &[f64], tolerance: f64) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let scale = 1f64.max(a.abs()).max(n.abs());
        assert!(
            (a - n).abs() <= tolerance * scale,
            "coordinate {i}: {a} vs {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

/// A symmetric positive definite n×n matrix, then junk written above its diagonal:
/// `cholesky` reads only the lower triangle.
fn spd_with_junk(n: usize, seed: f64) -> DMatrix<f64> {
    let b = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) as f64 * 0.37 + seed).sin());
    let mut a = &b * b.transpose() + DMatrix::identity(n, n) * n as f64;
    for j in 1..n {
        for i in 0..j {
            a[(i, j)] = (i as f64 - 2.0 * j as f64) * 0.3;
        }
    }
    a
}

fn dvector(n: usize, seed: f64) -> DVector<f64> {
    DVector::from_fn(n, |i, _| ((i * 5) as f64 * 0.41 + seed).cos())
}

/// The entries of a and then b, column-major.
fn flat(a: &DMatrix<f64>, b: &DVector<f64>) -> Vec<f64> {
    a.iter().chain(b.iter()).copied().collect()
}

fn unflat(p: &[f64], n: usize) -> (DMatrix<f64>, DVector<f64>) {
    (
        DMatrix::from_column_slice(n, n, &p[..n * n]),
        DVector::from_column_slice(&p[n * n..]),
    )
}

// ---- cholesky: bᵀA⁻¹b + ln det A, as users write it ----

#[differentiate]
fn solve_and_log_det(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().unwrap();
    let x = c.solve(b);
    let log_det = 2.0 * c.l().diagonal().map(|d| d.ln()).sum();
    x.dot(b) + log_det
}

#[test]
fn cholesky_solve_and_log_det_match_central_differences() {
    let n = 4;
    let (a, b) = (spd_with_junk(n, 0.3), dvector(n, 0.2));
    let (value, grad) = solve_and_log_det_grad(&a, &b);
    assert_eq!(value, solve_and_log_det(&a, &b));
    let numeric = central_difference(
        |p: &[f64]| {
            let (a, b) = unflat(p, n);
            solve_and_log_det(&a, &b)
        },
        &flat(&a, &b),
    );
    assert_close(&flat(&grad.a, &grad.b), &numeric, 1e-6);
    // Above the diagonal nothing is read: exactly 0. Below it, an entry stands for its
    // mirror too: twice the symmetric gradient A⁻ᵀ-terms give.
    for j in 1..n {
        for i in 0..j {
            assert_eq!(grad.a[(i, j)], 0.0);
        }
    }
    // Closed form on the symmetric matrix S: ∇_S = −xxᵀ + S⁻¹, ∇_b = 2x.
    let mut s = a.clone();
    s.fill_upper_triangle_with_lower_triangle();
    let inverse = s.clone().try_inverse().unwrap();
    let x = &inverse * &b;
    let symmetric = -&x * x.transpose() + &inverse;
    for j in 0..n {
        for i in j..n {
            let expect = if i == j {
                symmetric[(i, i)]
            } else {
                2.0 * symmetric[(i, j)]
            };
            assert!((grad.a[(i, j)] - expect).abs() < 1e-10, "({i}, {j})");
        }
    }
    assert_close(grad.b.as_slice(), (2.0 * &x).as_slice(), 1e-10);
}

#[test]
fn cholesky_forward_mode_agrees_with_the_gradient() {
    let n = 4;
    let (a, b) = (spd_with_junk(n, 0.7), dvector(n, 0.9));
    let (ta, tb) = (
        DMatrix::from_fn(n, n, |i, j| ((i + 2 * j) as f64 * 0.7).cos()),
        dvector(n, 1.3),
    );
    let (_, grad) = solve_and_log_det_grad(&a, &b);
    let (value, tangent) = solve_and_log_det_jvp(
        &a,
        &b,
        &SolveAndLogDetGrad {
            a: ta.clone(),
            b: tb.clone(),
        },
    );
    assert_eq!(value, solve_and_log_det(&a, &b));
    let expect = grad.a.dot(&ta) + grad.b.dot(&tb);
    assert!((tangent - expect).abs() < 1e-10 * (1.0 + expect.abs()));
}

// ---- `a.cholesky()` of an owned value, the factor's entries, `.iter()` of the diagonal ----

#[differentiate]
fn factor_entries(a: &DMatrix<f64>, w: f64) -> f64 {
    let scaled = a * w;
    let c = scaled.cholesky().unwrap();
    let l = c.l();
    let log_det: f64 = l.diagonal().iter().map(|d| d.ln()).sum();
    l[(2, 0)] * l[(1, 1)] + 2.0 * log_det + c.ln_determinant() * 0.5 + c.determinant().sqrt()
}

#[test]
fn cholesky_of_an_owned_value_and_its_factor_match_central_differences() {
    let n = 3;
    let (a, w) = (spd_with_junk(n, 1.1), 1.7);
    let (value, grad) = factor_entries_grad(&a, w);
    assert_eq!(value, factor_entries(&a, w));
    let mut point: Vec<f64> = a.iter().copied().collect();
    point.push(w);
    let numeric = central_difference(
        |p: &[f64]| factor_entries(&DMatrix::from_column_slice(n, n, &p[..n * n]), p[n * n]),
        &point,
    );
    let mut analytic: Vec<f64> = grad.a.iter().copied().collect();
    analytic.push(grad.w);
    assert_close(&analytic, &numeric, 1e-6);
}

// ---- a matrix right-hand side, static sizes ----

#[differentiate]
fn static_solve(a: &Matrix3<f64>, b: &Vector3<f64>) -> f64 {
    let c = a.cholesky().unwrap();
    let rhs = b * b.transpose();
    let x = c.solve(&rhs);
    x.trace() + c.solve(b).norm_squared()
}

#[test]
fn cholesky_of_static_matrices_with_a_matrix_right_hand_side() {
    let a = Matrix3::new(4.0, 9.0, -7.0, 1.0, 3.0, 5.0, 0.5, -0.2, 2.5);
    let b = Vector3::new(0.3, -1.2, 0.8);
    let (value, grad) = static_solve_grad(&a, &b);
    assert_eq!(value, static_solve(&a, &b));
    let point: Vec<f64> = a.iter().chain(b.iter()).copied().collect();
    let numeric = central_difference(
        |p: &[f64]| {
            static_solve(
                &Matrix3::from_column_slice(&p[..9]),
                &Vector3::from_column_slice(&p[9..]),
            )
        },
        &point,
    );
    let analytic: Vec<f64> = grad.a.iter().chain(grad.b.iter()).copied().collect();
    assert_close(&analytic, &numeric, 1e-6);
}

// ---- lu and qr solves ----

#[differentiate]
fn lu_and_qr(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let m = a * 2.0;
    let x = m.lu().solve(b).unwrap();
    let y = a.clone().qr().solve(&x).unwrap();
    x.dot(&y) + y.sum()
}

#[test]
fn lu_and_qr_solves_match_central_differences() {
    let n = 4;
    let (a, b) = (spd_with_junk(n, 0.4), dvector(n, 0.6));
    let (value, grad) = lu_and_qr_grad(&a, &b);
    assert_eq!(value, lu_and_qr(&a, &b));
    let numeric = central_difference(
        |p: &[f64]| {
            let (a, b) = unflat(p, n);
            lu_and_qr(&a, &b)
        },
        &flat(&a, &b),
    );
    assert_close(&flat(&grad.a, &grad.b), &numeric, 1e-6);
    let (ta, tb) = (
        DMatrix::from_fn(n, n, |i, j| ((3 * i + j) as f64 * 0.3).sin()),
        dvector(n, 2.1),
    );
    let (_, tangent) = lu_and_qr_jvp(
        &a,
        &b,
        &LuAndQrGrad {
            a: ta.clone(),
            b: tb.clone(),
        },
    );
    let expect = grad.a.dot(&ta) + grad.b.dot(&tb);
    assert!((tangent - expect).abs() < 1e-10 * (1.0 + expect.abs()));
}

// ---- generic and f32 ----

#[differentiate]
fn generic_log_det<T: RealField + Copy>(a: &DMatrix<T>, b: &DVector<T>) -> T {
    let c = a.clone().cholesky().unwrap();
    let two = T::one() + T::one();
    c.solve(b).dot(b) + two * c.l().diagonal().map(|d| d.ln()).sum()
}

#[test]
fn generic_cholesky_in_f64_and_f32() {
    let n = 5;
    let (a, b) = (spd_with_junk(n, 0.8), dvector(n, 0.1));
    let (value, grad) = generic_log_det_grad(&a, &b);
    assert_eq!(value, solve_and_log_det(&a, &b));
    let (_, reference) = solve_and_log_det_grad(&a, &b);
    assert_close(
        &flat(&grad.a, &grad.b),
        &flat(&reference.a, &reference.b),
        1e-12,
    );
    let (a32, b32) = (a.map(|v| v as f32), b.map(|v| v as f32));
    let (value32, grad32) = generic_log_det_grad(&a32, &b32);
    assert!((value32 as f64 - value).abs() < 1e-4 * value.abs().max(1.0));
    let widened: Vec<f64> = grad32
        .a
        .iter()
        .chain(grad32.b.iter())
        .map(|&v| v as f64)
        .collect();
    assert_close(&widened, &flat(&grad.a, &grad.b), 1e-3);
}

// ---- a Gaussian-process negative log marginal likelihood ----
//
// Squared-exponential kernel k(xᵢ, xⱼ) = σ²·exp(−(xᵢ − xⱼ)²/(2ℓ²)) plus noise σₙ² on the
// diagonal, parameters θ = (ln ℓ, ln σ², ln σₙ²):
// NLL = ½ yᵀK⁻¹y + ½ ln det K + (n/2) ln 2π, through the Cholesky factor.

#[differentiate(wrt(log_lengthscale, log_variance, log_noise))]
fn gp_nll(
    log_lengthscale: f64,
    log_variance: f64,
    log_noise: f64,
    x: &[f64],
    y: &DVector<f64>,
) -> f64 {
    let n = x.len();
    let lengthscale = log_lengthscale.exp();
    let variance = log_variance.exp();
    let noise = log_noise.exp();
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / lengthscale;
        variance * (-0.5 * d * d).exp()
    }) + DMatrix::identity(n, n) * noise;
    let chol = k.cholesky().unwrap();
    let alpha = chol.solve(y);
    let log_det = 2.0 * chol.l().diagonal().map(|d| d.ln()).sum();
    0.5 * y.dot(&alpha) + 0.5 * log_det + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln()
}

/// Inputs spread over [0, 10] and noisy observations of sin, deterministic.
fn gp_data(n: usize) -> (Vec<f64>, DVector<f64>) {
    let x: Vec<f64> = (0..n)
        .map(|i| 10.0 * i as f64 / n as f64 + 0.02 * (i as f64 * 1.7).sin())
        .collect();
    let y = DVector::from_fn(n, |i, _| x[i].sin() + 0.1 * (7.0 * i as f64).cos());
    (x, y)
}

/// ½ tr((K⁻¹ − ααᵀ) ∂K/∂θ) for each θ, computed here with nalgebra's inverse.
fn gp_closed_form(theta: [f64; 3], x: &[f64], y: &DVector<f64>) -> [f64; 3] {
    let n = x.len();
    let (l, s2, sn2) = (theta[0].exp(), theta[1].exp(), theta[2].exp());
    let se = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / l;
        s2 * (-0.5 * d * d).exp()
    });
    let k = &se + DMatrix::identity(n, n) * sn2;
    let inverse = k.try_inverse().unwrap();
    let alpha = &inverse * y;
    let w = &inverse - &alpha * alpha.transpose();
    let d_lengthscale = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / l;
        se[(i, j)] * d * d
    });
    let d_noise = DMatrix::identity(n, n) * sn2;
    [
        0.5 * w.dot(&d_lengthscale),
        0.5 * w.dot(&se),
        0.5 * w.dot(&d_noise),
    ]
}

#[test]
fn gaussian_process_likelihood_at_300_points() {
    let n = 300;
    let (x, y) = gp_data(n);
    let theta = [0.2f64.ln(), 1.3f64.ln(), 0.01f64.ln()];
    let (value, grad) = gp_nll_grad(theta[0], theta[1], theta[2], &x, &y);
    assert!(value.is_finite(), "NLL = {value}");
    assert_eq!(value, gp_nll(theta[0], theta[1], theta[2], &x, &y));
    let analytic = [grad.log_lengthscale, grad.log_variance, grad.log_noise];
    assert!(analytic.iter().all(|g| g.is_finite()), "{analytic:?}");
    let numeric = central_difference(|t: &[f64]| gp_nll(t[0], t[1], t[2], &x, &y), &theta);
    assert_close(&analytic, &numeric, 1e-5);
    assert_close(&analytic, &gp_closed_form(theta, &x, &y), 1e-8);
    // The determinant itself underflows here: the log-determinant through the factor's
    // diagonal is the form that stays finite.
    let mut k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / theta[0].exp();
        theta[1].exp() * (-0.5 * d * d).exp()
    });
    k += DMatrix::identity(n, n) * theta[2].exp();
    assert!(!k.determinant().ln().is_finite());
    // Forward mode: one tangent per parameter gives the gradient's components.
    for (i, expect) in analytic.iter().enumerate() {
        let mut t = GpNllGrad {
            log_lengthscale: 0.0,
            log_variance: 0.0,
            log_noise: 0.0,
        };
        match i {
            0 => t.log_lengthscale = 1.0,
            1 => t.log_variance = 1.0,
            _ => t.log_noise = 1.0,
        }
        let (_, tangent) = gp_nll_jvp(theta[0], theta[1], theta[2], &x, &y, &t);
        assert!((tangent - expect).abs() < 1e-9 * (1.0 + expect.abs()));
    }
}

/// The same likelihood generic over its float type, as num-traits code writes constants.
#[differentiate(wrt(theta))]
fn gp_nll_generic<T: RealField + Copy + std::iter::Sum>(
    theta: &[T; 3],
    x: &[T],
    y: &DVector<T>,
) -> T {
    let n = x.len();
    let half = T::from_f64(0.5).unwrap();
    let (lengthscale, variance, noise) = (theta[0].exp(), theta[1].exp(), theta[2].exp());
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / lengthscale;
        variance * (-half * d * d).exp()
    }) + DMatrix::identity(n, n) * noise;
    let chol = k.cholesky().unwrap();
    let alpha = chol.solve(y);
    let log_det: T = chol.l().diagonal().iter().map(|d| d.ln()).sum();
    half * y.dot(&alpha) + log_det
}

#[test]
fn gaussian_process_likelihood_generic_in_f64_and_f32() {
    let n = 5;
    let (x, y) = gp_data(n);
    let theta = [0.8f64.ln(), 1.1f64.ln(), 0.1f64.ln()];
    let (value, grad) = gp_nll_generic_grad(&theta, &x, &y);
    assert!(value.is_finite());
    let numeric = central_difference(
        |t: &[f64]| gp_nll_generic(&[t[0], t[1], t[2]], &x, &y),
        &theta,
    );
    assert_close(&grad.theta, &numeric, 1e-6);
    // Up to the constant, the same function as `gp_nll`: the same gradient.
    let (_, reference) = gp_nll_grad(theta[0], theta[1], theta[2], &x, &y);
    let reference = [
        reference.log_lengthscale,
        reference.log_variance,
        reference.log_noise,
    ];
    assert_close(&grad.theta, &reference, 1e-10);
    let theta32 = theta.map(|t| t as f32);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let (value32, grad32) = gp_nll_generic_grad(&theta32, &x32, &y.map(|v| v as f32));
    assert!((value32 as f64 - value).abs() < 1e-3 * value.abs().max(1.0));
    let widened = grad32.theta.map(|g| g as f64);
    assert_close(&widened, &grad.theta, 1e-3);
}

// ---- second order: the Hessian through the Cholesky rules over dual numbers ----

#[differentiate(hessian, wrt(theta))]
fn gp_nll_small(theta: &[f64; 3], x: &[f64], y: &DVector<f64>) -> f64 {
    let n = x.len();
    let (lengthscale, variance, noise) = (theta[0].exp(), theta[1].exp(), theta[2].exp());
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / lengthscale;
        variance * (-0.5 * d * d).exp()
    }) + DMatrix::identity(n, n) * noise;
    let chol = k.cholesky().unwrap();
    let alpha = chol.solve(y);
    0.5 * y.dot(&alpha) + chol.l().diagonal().map(|d| d.ln()).sum()
}

#[test]
fn gaussian_process_hessian_matches_differences_of_the_gradient() {
    let (x, y) = gp_data(6);
    let theta = [0.7f64.ln(), 1.2f64.ln(), 0.2f64.ln()];
    let (value, grad, rows) = gp_nll_small_hessian(&theta, &x, &y);
    assert_eq!(value, gp_nll_small(&theta, &x, &y));
    // Products over dual numbers sum in another order than nalgebra's f64 kernel.
    assert_close(
        &grad.theta,
        &gp_nll_small_grad(&theta, &x, &y).1.theta,
        1e-12,
    );
    for (j, row) in rows.iter().enumerate() {
        for (i, other) in rows.iter().enumerate() {
            assert!((row.theta[i] - other.theta[j]).abs() < 1e-10, "symmetry");
            let column = central_difference(
                |t: &[f64]| {
                    let mut moved = theta;
                    moved[j] = t[0];
                    gp_nll_small_grad(&moved, &x, &y).1.theta[i]
                },
                &[theta[j]],
            );
            assert!(
                (row.theta[i] - column[0]).abs() < 1e-6 * (1.0 + column[0].abs()),
                "H[{j}][{i}] = {} vs {}",
                row.theta[i],
                column[0]
            );
        }
    }
}

// ---- a vector result (f_jacobian), a decomposition in a loop and in a branch ----

#[differentiate]
fn whiten(a: &DMatrix<f64>, b: &DVector<f64>) -> DVector<f64> {
    let c = a.clone().cholesky().unwrap();
    c.solve(b) * c.l()[(0, 0)]
}

#[test]
fn jacobian_of_a_cholesky_solve_matches_central_differences() {
    let n = 3;
    let (a, b) = (spd_with_junk(n, 0.5), dvector(n, 0.3));
    let (value, rows) = whiten_jacobian(&a, &b);
    assert_eq!(value, whiten(&a, &b));
    assert_eq!(rows.len(), n);
    for (i, row) in rows.iter().enumerate() {
        let numeric = central_difference(
            |p: &[f64]| {
                let (a, b) = unflat(p, n);
                whiten(&a, &b)[i]
            },
            &flat(&a, &b),
        );
        assert_close(&flat(&row.a, &row.b), &numeric, 1e-6);
    }
}

/// Σₖ ln det(A + k·s·I) over a loop (each decomposition kept for the reverse sweep), and a
/// branch choosing which decomposition to solve with.
#[differentiate]
fn looped(a: &DMatrix<f64>, b: &DVector<f64>, s: f64) -> f64 {
    let n = a.nrows();
    let mut total = 0.0;
    for k in 0..3 {
        let shifted = a + DMatrix::identity(n, n) * (s * k as f64);
        let c = shifted.cholesky().unwrap();
        total += c.ln_determinant() + c.solve(b).dot(b);
    }
    if s > 0.0 {
        let c = a.clone().cholesky().unwrap();
        total += c.solve(b).sum();
    } else {
        total += a.clone().qr().solve(b).unwrap().sum();
    }
    total
}

#[test]
fn cholesky_in_loops_and_branches_matches_central_differences() {
    let n = 3;
    let (a, b) = (spd_with_junk(n, 0.9), dvector(n, 0.4));
    for s in [0.7, -0.1] {
        let (value, grad) = looped_grad(&a, &b, s);
        assert_eq!(value, looped(&a, &b, s));
        let mut point = flat(&a, &b);
        point.push(s);
        let numeric = central_difference(
            |p: &[f64]| {
                let (a, b) = unflat(&p[..p.len() - 1], n);
                looped(&a, &b, p[p.len() - 1])
            },
            &point,
        );
        let mut analytic = flat(&grad.a, &grad.b);
        analytic.push(grad.s);
        assert_close(&analytic, &numeric, 1e-6);
        let (ta, tb, ts) = (
            DMatrix::from_fn(n, n, |i, j| (i as f64 - j as f64) * 0.2 + 0.1),
            dvector(n, 1.9),
            0.3,
        );
        let (_, tangent) = looped_jvp(
            &a,
            &b,
            s,
            &LoopedGrad {
                a: ta.clone(),
                b: tb.clone(),
                s: ts,
            },
        );
        let expect = grad.a.dot(&ta) + grad.b.dot(&tb) + grad.s * ts;
        assert!((tangent - expect).abs() < 1e-10 * (1.0 + expect.abs()));
    }
}

// ---- the likelihood as written with the factor and triangular solves ----

/// ½‖L⁻¹y‖² + Σ ln Lᵢᵢ, and α = L⁻ᵀ(L⁻¹y) (the GP textbook's algorithm 2.1).
#[differentiate(wrt(log_lengthscale, log_variance, log_noise))]
fn gp_nll_triangular(
    log_lengthscale: f64,
    log_variance: f64,
    log_noise: f64,
    x: &[f64],
    y: &DVector<f64>,
) -> f64 {
    let n = x.len();
    let (lengthscale, variance) = (log_lengthscale.exp(), log_variance.exp());
    let mut k = DMatrix::from_fn(n, n, |i, j| {
        let d = (x[i] - x[j]) / lengthscale;
        variance * (-0.5 * d * d).exp()
    });
    k += DMatrix::identity(n, n) * log_noise.exp();
    let l = k.cholesky().unwrap().l();
    let v = l.solve_lower_triangular(y).unwrap();
    let alpha = l.tr_solve_lower_triangular(&v).unwrap();
    let log_det: f64 = l.diagonal().iter().map(|d| d.ln()).sum();
    0.25 * v.norm_squared() + 0.25 * y.dot(&alpha) + log_det
}

#[test]
fn gaussian_process_likelihood_through_triangular_solves() {
    let n = 40;
    let (x, y) = gp_data(n);
    let theta = [0.5f64.ln(), 1.3f64.ln(), 0.05f64.ln()];
    let (value, grad) = gp_nll_triangular_grad(theta[0], theta[1], theta[2], &x, &y);
    assert_eq!(
        value,
        gp_nll_triangular(theta[0], theta[1], theta[2], &x, &y)
    );
    // The same function as `gp_nll` up to its constant: ½yᵀK⁻¹y + ½ ln det K.
    let (_, reference) = gp_nll_grad(theta[0], theta[1], theta[2], &x, &y);
    let analytic = [grad.log_lengthscale, grad.log_variance, grad.log_noise];
    let expect = [
        reference.log_lengthscale,
        reference.log_variance,
        reference.log_noise,
    ];
    assert_close(&analytic, &expect, 1e-9);
    let numeric = central_difference(
        |t: &[f64]| gp_nll_triangular(t[0], t[1], t[2], &x, &y),
        &theta,
    );
    assert_close(&analytic, &numeric, 1e-6);
}

#[differentiate]
fn upper_solve(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let u = a.transpose();
    u.solve_upper_triangular(b).unwrap().dot(b)
}

#[test]
fn upper_triangular_solve_reads_one_triangle() {
    let n = 4;
    let (a, b) = (spd_with_junk(n, 0.2), dvector(n, 0.8));
    let (value, grad) = upper_solve_grad(&a, &b);
    assert_eq!(value, upper_solve(&a, &b));
    let numeric = central_difference(
        |p: &[f64]| {
            let (a, b) = unflat(p, n);
            upper_solve(&a, &b)
        },
        &flat(&a, &b),
    );
    assert_close(&flat(&grad.a, &grad.b), &numeric, 1e-6);
    for j in 1..n {
        for i in 0..j {
            assert_eq!(grad.a[(i, j)], 0.0, "({i}, {j}) is not read");
        }
    }
}

// ---- `.expect("..")` where users write it instead of `.unwrap()` ----

#[differentiate]
fn with_expect(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let c = a.clone().cholesky().expect("a is positive definite");
    let x = a.clone().lu().solve(b).expect("a is invertible");
    let inverse = a.clone().try_inverse().expect("a is invertible");
    let l = c.l();
    let y = l.solve_lower_triangular(b).expect("a nonzero diagonal");
    c.solve(&x).dot(&y) + inverse.trace()
}

#[test]
fn expect_is_unwrap_with_the_users_message() {
    let n = 3;
    let (a, b) = (spd_with_junk(n, 1.4), dvector(n, 0.6));
    let (value, grad) = with_expect_grad(&a, &b);
    assert_eq!(value, with_expect(&a, &b));
    let numeric = central_difference(
        |p: &[f64]| {
            let (a, b) = unflat(p, n);
            with_expect(&a, &b)
        },
        &flat(&a, &b),
    );
    assert_close(&flat(&grad.a, &grad.b), &numeric, 1e-6);
    // The forward sweep panics with the user's message where the function does.
    let singular = DMatrix::from_element(n, n, 1.0);
    let panic = std::panic::catch_unwind(|| with_expect_grad(&singular, &b))
        .expect_err("not positive definite");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied());
    assert_eq!(message, Some("a is positive definite"));
}

// ---- a user's own methods named like a decomposition's stay the user's ----

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Damper {
    c: f64,
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct System {
    damper: Damper,
    k: f64,
}

#[differentiate]
impl Damper {
    /// A method named `solve`, called on a field: the user's, not the Cholesky rule.
    #[differentiate]
    pub fn solve(&self, x: f64) -> f64 {
        self.c * x * x
    }

    /// `l` and `ln_determinant` on `self`.
    #[differentiate]
    pub fn l(&self) -> f64 {
        self.c.exp()
    }

    #[differentiate]
    pub fn ln_determinant(&self) -> f64 {
        self.l() + self.solve(2.0)
    }
}

#[differentiate]
impl System {
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        self.damper.solve(x) + self.k * self.damper.ln_determinant()
    }
}

#[test]
fn methods_named_like_a_decompositions_are_the_users() {
    let s = System {
        damper: Damper { c: 0.3 },
        k: 1.5,
    };
    let (value, grad) = s.energy_grad(0.7);
    assert_eq!(value, s.energy(0.7));
    // E = c x² + k (eᶜ + 4c).
    assert!((grad.x - 2.0 * 0.3 * 0.7).abs() < 1e-12);
    assert!((grad.self_.k - (0.3f64.exp() + 1.2)).abs() < 1e-12);
    assert!((grad.self_.damper.c - (0.49 + 1.5 * (0.3f64.exp() + 4.0))).abs() < 1e-12);
}

// ---- a call of a differentiated function that decomposes (split mode: its pullback keeps
// the decomposition for the caller's reverse sweep) ----

#[differentiate]
fn outer(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let scaled = a * 1.5;
    let inner = solve_and_log_det(&scaled, b);
    inner * inner + whiten(a, b).sum()
}

#[test]
fn calls_of_functions_that_decompose_match_central_differences() {
    let n = 3;
    let (a, b) = (spd_with_junk(n, 0.15), dvector(n, 1.1));
    let (value, grad) = outer_grad(&a, &b);
    assert_eq!(value, outer(&a, &b));
    let numeric = central_difference(
        |p: &[f64]| {
            let (a, b) = unflat(p, n);
            outer(&a, &b)
        },
        &flat(&a, &b),
    );
    assert_close(&flat(&grad.a, &grad.b), &numeric, 1e-6);
    let (ta, tb) = (
        DMatrix::from_fn(n, n, |i, j| ((i * j) as f64 * 0.4).cos()),
        dvector(n, 0.5),
    );
    let (_, tangent) = outer_jvp(
        &a,
        &b,
        &OuterGrad {
            a: ta.clone(),
            b: tb.clone(),
        },
    );
    let expect = grad.a.dot(&ta) + grad.b.dot(&tb);
    assert!((tangent - expect).abs() < 1e-10 * (1.0 + expect.abs()));
}

//! Closures passed to nalgebra's `from_fn` and `zip_map` that read differentiated values, as
//! users write them: a Gaussian-process kernel matrix, a weighted residual, a Vandermonde
//! matrix, a static rotation built entry by entry. Each gradient against central
//! differences (or a closed form) in `f64` and `f32`, `f_jvp` against ⟨v, ∇f⟩, and generic
//! versions.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, Matrix2, RealField, Vector3};
use tapeless::check::central_difference;
use tapeless::differentiate;

fn assert_close(what: &str, analytic: &[f64], numeric: &[f64], tolerance: f64) {
    assert_eq!(analytic.len(), numeric.len(), "{what}");
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a - n).abs() <= tolerance * (1.0 + n.abs()),
            "{what}, coordinate {i}: {a} vs central differences {n}"
        );
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The sum of a squared-exponential kernel matrix's entries weighted by `alpha`.
#[differentiate]
fn kernel_quadratic(x: &[f64], alpha: &DVector<f64>, ell: f64, sigma: f64) -> f64 {
    let n = x.len();
    let k = DMatrix::from_fn(n, n, |i, j| {
        let d = x[i] - x[j];
        sigma * sigma * (-d * d / (2.0 * ell * ell)).exp()
    });
    alpha.dot(&(k * alpha))
}

/// A residual weighted entry by entry, with a scale captured from the parameters.
#[differentiate]
fn weighted_residual(a: &DVector<f64>, b: &DVector<f64>, w: &DVector<f64>, scale: f64) -> f64 {
    let r = a.zip_map(b, |p, q| scale * (p - q));
    let weighted = r.zip_map(w, |r, w| r * r * w.exp());
    weighted.sum()
}

/// A least-squares polynomial fit: the Vandermonde matrix of the sample points.
#[differentiate]
fn polynomial_fit(t: &DVector<f64>, coefficients: &DVector<f64>, y: &DVector<f64>) -> f64 {
    let degree = coefficients.len();
    let v = DMatrix::from_fn(t.len(), degree, |i, j| t[i].powi(j as i32));
    let r = v * coefficients - y;
    r.norm_squared()
}

/// A rotation by `theta` built entry by entry, applied to a point.
#[differentiate]
fn rotated_distance(theta: f64, p: &Vector3<f64>) -> f64 {
    let r = Matrix2::from_fn(|i, j| match (i, j) {
        (0, 0) | (1, 1) => theta.cos(),
        (0, 1) => -theta.sin(),
        _ => theta.sin(),
    });
    let q = DVector::from_fn(2, |i, _| p[i] * p[2]);
    let moved = r * q;
    moved[0] - 0.5 * moved[1]
}

#[differentiate]
fn soft_product(a: f64, b: f64) -> f64 {
    a * b.tanh()
}

/// `zip_map` with function paths: a float method and a differentiated function.
#[differentiate]
fn elementwise_functions(x: &DVector<f64>, y: &DVector<f64>) -> f64 {
    let upper = x.zip_map(y, f64::max);
    upper.zip_map(x, soft_product).sum()
}

#[test]
fn zip_map_with_function_paths() {
    let (x, y) = ([0.3, -0.8, 1.1], [0.5, -0.9, 0.2]);
    let point: Vec<f64> = x.iter().chain(&y).copied().collect();
    let v = |s: &[f64]| DVector::from_column_slice(s);
    let f = |p: &[f64]| elementwise_functions(&v(&p[..3]), &v(&p[3..]));
    let (value, g) = elementwise_functions_grad(&v(&x), &v(&y));
    assert_eq!(value, f(&point));
    // Closed form: Σ max(xᵢ, yᵢ)·tanh(xᵢ); no ties at this point.
    for i in 0..3 {
        let t = x[i].tanh();
        let m = x[i].max(y[i]);
        let (dx, dy) = if x[i] > y[i] { (t, 0.0) } else { (0.0, t) };
        assert!((g.x[i] - (dx + m * (1.0 - t * t))).abs() < 1e-12);
        assert!((g.y[i] - dy).abs() < 1e-12);
    }
    let analytic: Vec<f64> = g.x.iter().chain(g.y.iter()).copied().collect();
    assert_close(
        "elementwise_functions",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
}

#[test]
fn kernel_matrix_from_fn() {
    let x = [0.1, 0.7, -0.4, 1.3];
    let alpha = [0.5, -0.2, 0.8, 0.3];
    let point: Vec<f64> = x.iter().chain(&alpha).chain(&[0.9, 1.2]).copied().collect();
    let f =
        |p: &[f64]| kernel_quadratic(&p[..4], &DVector::from_column_slice(&p[4..8]), p[8], p[9]);
    let a = DVector::from_column_slice(&alpha);
    let (value, g) = kernel_quadratic_grad(&x, &a, 0.9, 1.2);
    assert_eq!(value, f(&point));
    let analytic: Vec<f64> =
        g.x.iter()
            .chain(g.alpha.iter())
            .chain(&[g.ell, g.sigma])
            .copied()
            .collect();
    assert_close(
        "kernel_quadratic",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
    // Closed form in σ: the value is σ²·(αᵀ K₁ α), so ∂/∂σ = 2·value/σ.
    assert!((g.sigma - 2.0 * value / 1.2).abs() < 1e-12);
    let direction: Vec<f64> = (0..10).map(|i| (i as f64 * 0.9).sin()).collect();
    let tangent = KernelQuadraticGrad {
        x: direction[..4].to_vec(),
        alpha: DVector::from_column_slice(&direction[4..8]),
        ell: direction[8],
        sigma: direction[9],
    };
    let (_, dy) = kernel_quadratic_jvp(&x, &a, 0.9, 1.2, &tangent);
    let expected = dot(&analytic, &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn zip_map_with_captures() {
    let (a, b, w) = ([0.3, -0.1, 0.9], [0.5, 0.4, -0.2], [0.1, -0.3, 0.2]);
    let point: Vec<f64> = a
        .iter()
        .chain(&b)
        .chain(&w)
        .chain(&[1.7])
        .copied()
        .collect();
    let v = |s: &[f64]| DVector::from_column_slice(s);
    let f = |p: &[f64]| weighted_residual(&v(&p[..3]), &v(&p[3..6]), &v(&p[6..9]), p[9]);
    let (value, g) = weighted_residual_grad(&v(&a), &v(&b), &v(&w), 1.7);
    assert_eq!(value, f(&point));
    // Closed form: ∂/∂aᵢ = 2s²(aᵢ − bᵢ)e^{wᵢ} = −∂/∂bᵢ, ∂/∂wᵢ = s²(aᵢ − bᵢ)²e^{wᵢ}.
    for i in 0..3 {
        let d = a[i] - b[i];
        let e = w[i].exp();
        assert!((g.a[i] - 2.0 * 1.7 * 1.7 * d * e).abs() < 1e-12);
        assert!((g.b[i] + 2.0 * 1.7 * 1.7 * d * e).abs() < 1e-12);
        assert!((g.w[i] - 1.7 * 1.7 * d * d * e).abs() < 1e-12);
    }
    let analytic: Vec<f64> =
        g.a.iter()
            .chain(g.b.iter())
            .chain(g.w.iter())
            .chain(&[g.scale])
            .copied()
            .collect();
    assert_close(
        "weighted_residual",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
    let direction: Vec<f64> = (0..10).map(|i| 1.0 - 0.2 * i as f64).collect();
    let tangent = WeightedResidualGrad {
        a: v(&direction[..3]),
        b: v(&direction[3..6]),
        w: v(&direction[6..9]),
        scale: direction[9],
    };
    let (_, dy) = weighted_residual_jvp(&v(&a), &v(&b), &v(&w), 1.7, &tangent);
    let expected = dot(&analytic, &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

#[test]
fn vandermonde_from_fn() {
    let t = [0.0, 0.5, 1.0, 1.5, 2.0];
    let c = [0.2, -0.4, 0.3];
    let y = DVector::from_vec(vec![0.1, 0.0, 0.3, 0.2, 0.9]);
    let point: Vec<f64> = t.iter().chain(&c).copied().collect();
    let f = |p: &[f64]| {
        polynomial_fit(
            &DVector::from_column_slice(&p[..5]),
            &DVector::from_column_slice(&p[5..]),
            &y,
        )
    };
    let (value, g) = polynomial_fit_grad(
        &DVector::from_column_slice(&t),
        &DVector::from_column_slice(&c),
        &y,
    );
    assert_eq!(value, f(&point));
    let analytic: Vec<f64> = g.t.iter().chain(g.coefficients.iter()).copied().collect();
    assert_close(
        "polynomial_fit",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
}

#[test]
fn static_matrix_from_fn() {
    let p = Vector3::new(0.4, -1.2, 1.5);
    let point = [0.3, 0.4, -1.2, 1.5];
    let f = |q: &[f64]| rotated_distance(q[0], &Vector3::new(q[1], q[2], q[3]));
    let (value, g) = rotated_distance_grad(0.3, &p);
    assert_eq!(value, f(&point));
    let analytic = [g.theta, g.p[0], g.p[1], g.p[2]];
    assert_close(
        "rotated_distance",
        &analytic,
        &central_difference(f, &point),
        1e-6,
    );
    let tangent = RotatedDistanceGrad {
        theta: 0.5,
        p: Vector3::new(-0.1, 0.2, 0.3),
    };
    let (_, dy) = rotated_distance_jvp(0.3, &p, &tangent);
    let expected = dot(&analytic, &[0.5, -0.1, 0.2, 0.3]);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
}

/// The kernel in generic code, run in `f64` and `f32`.
#[differentiate]
fn generic_kernel<T: RealField + Copy>(x: &DVector<T>, ell: T) -> T {
    let n = x.len();
    let half = T::from_f64(0.5).unwrap();
    let k = DMatrix::from_fn(n, n, |i, j| {
        (-(x[i] - x[j]) * (x[i] - x[j]) * half / ell).exp()
    });
    let shifted = x.zip_map(x, |a, b| a * b + ell);
    k.sum() + shifted.norm()
}

#[test]
fn generic_closures_in_f64_and_f32() {
    let values = [0.2, -0.5, 0.9, 0.7];
    let f = |p: &[f64]| generic_kernel(&DVector::from_column_slice(&p[..3]), p[3]);
    let numeric = central_difference(f, &values);
    let x = DVector::from_column_slice(&values[..3]);
    let (value, g) = generic_kernel_grad(&x, 0.7);
    assert_eq!(value, f(&values));
    let analytic: Vec<f64> = g.x.iter().chain(&[g.ell]).copied().collect();
    assert_close("generic_kernel (f64)", &analytic, &numeric, 1e-6);
    let direction = [0.3, -0.6, 0.1, 0.8];
    let tangent = GenericKernelGrad {
        x: DVector::from_column_slice(&direction[..3]),
        ell: direction[3],
    };
    let (_, dy) = generic_kernel_jvp(&x, 0.7, &tangent);
    let expected = dot(&analytic, &direction);
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));
    let x32 = DVector::from_iterator(3, values[..3].iter().map(|&v| v as f32));
    let (_, g32) = generic_kernel_grad(&x32, 0.7f32);
    let analytic32: Vec<f64> = g32.x.iter().chain(&[g32.ell]).map(|&v| v as f64).collect();
    assert_close("generic_kernel (f32)", &analytic32, &numeric, 2e-3);
}

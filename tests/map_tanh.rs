//! `m.map(|v| v.tanh())` is the elementwise rule of `nn::tanh` (one pass each way, the
//! adjoint reading the output: x̄ += ȳ·(1 − y²)) rather than the loop over the elements a
//! general closure is lowered to. Checked on dynamic and static matrices, views, arrays,
//! in f64, f32 and generic code, the spellings `v.tanh()`, `f64::tanh(v)` and `T::tanh(v)`,
//! in forward mode (`f_jvp` against `f_grad`) and through a Hessian; each against a closed
//! form or central differences, the value bit for bit against the function.
#![cfg(feature = "nalgebra")]
// `|v| f64::tanh(v)` is one of the spellings under test.
#![allow(clippy::redundant_closure)]

use nalgebra::{DMatrix, DVector, Matrix2x3, RealField, RowDVector};
use tapeless::check::central_difference;
use tapeless::differentiate;

fn close(what: &str, a: &[f64], b: &[f64], tolerance: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (x, y) in a.iter().zip(b) {
        let error = (x - y).abs() / x.abs().max(y.abs()).max(1.0);
        assert!(error <= tolerance, "{what}: {a:?} against {b:?}");
    }
}

/// A tanh layer and a squared error, as a network's loss is written.
#[differentiate(wrt(w, b))]
fn layer_loss(w: &DMatrix<f64>, b: &DVector<f64>, x: &DMatrix<f64>, y: &RowDVector<f64>) -> f64 {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    let h = (w * x + b * &ones).map(|v| v.tanh());
    let r = RowDVector::from_element(h.nrows(), 1.0) * h - y;
    0.5 * r.norm_squared()
}

#[test]
fn a_tanh_layer() {
    let w = DMatrix::from_fn(3, 2, |i, j| 0.4 * i as f64 - 0.3 * j as f64 + 0.1);
    let b = DVector::from_vec(vec![0.2, -0.1, 0.05]);
    let x = DMatrix::from_fn(2, 4, |i, j| (i as f64 + 1.0) * 0.3 - 0.2 * j as f64);
    let y = RowDVector::from_vec(vec![0.5, -0.3, 0.1, 0.9]);
    let (value, g) = layer_loss_grad(&w, &b, &x, &y);
    assert_eq!(value.to_bits(), layer_loss(&w, &b, &x, &y).to_bits());
    let point: Vec<f64> = w.iter().chain(b.iter()).copied().collect();
    let f = |p: &[f64]| {
        let w = DMatrix::from_column_slice(3, 2, &p[..6]);
        let b = DVector::from_column_slice(&p[6..]);
        layer_loss(&w, &b, &x, &y)
    };
    let analytic: Vec<f64> = g.w.iter().chain(g.b.iter()).copied().collect();
    close(
        "layer_loss",
        &analytic,
        &central_difference(f, &point),
        1e-7,
    );
}

/// Σ tanh(aᵢ) over a static matrix, a view and an array, in three spellings.
#[differentiate]
fn spellings(a: &Matrix2x3<f64>, s: f64) -> f64 {
    let m = (a * s).map(|v| v.tanh());
    let r = a.rows(0, 1).map(|v| f64::tanh(v));
    let pair = [a[(0, 0)] * s, a[(1, 2)]];
    let arr = pair.map(|v| v.tanh());
    m.sum() + 2.0 * r.sum() + arr[0] * arr[1]
}

#[test]
fn static_matrices_views_and_arrays() {
    let a = Matrix2x3::new(0.3, -0.5, 0.8, 1.1, -0.2, 0.4);
    let s = 0.7;
    let (value, g) = spellings_grad(&a, s);
    assert_eq!(value.to_bits(), spellings(&a, s).to_bits());
    // Closed form: ∂/∂aᵢⱼ of Σ tanh(s·a) is s·(1 − tanh²), and so on.
    let sech2 = |v: f64| 1.0 - v.tanh() * v.tanh();
    let (t0, t1) = ((a[(0, 0)] * s).tanh(), a[(1, 2)].tanh());
    let mut expected = a.map(|v| s * sech2(s * v));
    for j in 0..3 {
        expected[(0, j)] += 2.0 * sech2(a[(0, j)]);
    }
    expected[(0, 0)] += s * sech2(a[(0, 0)] * s) * t1;
    expected[(1, 2)] += t0 * sech2(a[(1, 2)]);
    let ds =
        a.iter().map(|&v| v * sech2(s * v)).sum::<f64>() + a[(0, 0)] * sech2(a[(0, 0)] * s) * t1;
    close("spellings ∂a", g.a.as_slice(), expected.as_slice(), 1e-13);
    close("spellings ∂s", &[g.s], &[ds], 1e-13);
    // Forward mode against the gradient: ⟨∇f, v⟩ for a direction v.
    let direction = SpellingsGrad {
        a: Matrix2x3::new(0.1, -0.2, 0.3, 0.05, 0.4, -0.6),
        s: 0.25,
    };
    let (jvp_value, jvp) = spellings_jvp(&a, s, &direction);
    assert_eq!(jvp_value.to_bits(), value.to_bits());
    let dot = g.a.dot(&direction.a) + g.s * direction.s;
    close("spellings jvp", &[jvp], &[dot], 1e-13);
}

#[differentiate]
fn generic_layer<T: RealField + Copy>(x: &DVector<T>, c: T) -> T {
    let h = (x * c).map(|v| T::tanh(v));
    h.dot(&h)
}

#[test]
fn generic_and_f32() {
    let x = DVector::from_vec(vec![0.3, -0.9, 1.4]);
    let c = 0.8;
    let (value, g) = generic_layer_grad(&x, c);
    assert_eq!(value, generic_layer(&x, c));
    let point: Vec<f64> = x.iter().copied().chain([c]).collect();
    let f = |p: &[f64]| generic_layer(&DVector::from_column_slice(&p[..3]), p[3]);
    let analytic: Vec<f64> = g.x.iter().copied().chain([g.c]).collect();
    close(
        "generic_layer",
        &analytic,
        &central_difference(f, &point),
        1e-7,
    );
    let x32 = x.map(|v| v as f32);
    let (value32, g32) = generic_layer_grad(&x32, 0.8_f32);
    assert_eq!(value32, generic_layer(&x32, 0.8_f32));
    let analytic32: Vec<f64> = g32
        .x
        .iter()
        .map(|&v| v as f64)
        .chain([g32.c as f64])
        .collect();
    close("generic_layer f32", &analytic32, &analytic, 1e-5);
}

/// Through a Hessian (forward over reverse on dual numbers).
#[differentiate(hessian)]
fn hessian_tanh(x: &DVector<f64>) -> f64 {
    let h = x.map(|v| v.tanh());
    h.dot(x)
}

#[test]
fn hessian_through_the_rule() {
    let x = DVector::from_vec(vec![0.4, -0.7, 1.2]);
    let (value, _, rows) = hessian_tanh_hessian(&x);
    assert_eq!(value, hessian_tanh(&x));
    // f = Σ xᵢ tanh xᵢ: diagonal Hessian 2 sech² xᵢ − 2 xᵢ tanh xᵢ sech² xᵢ.
    for (i, row) in rows.iter().enumerate() {
        for j in 0..3 {
            let v = x[i];
            let (t, s2) = (v.tanh(), 1.0 - v.tanh() * v.tanh());
            let expected = if i == j {
                2.0 * s2 - 2.0 * v * t * s2
            } else {
                0.0
            };
            close("hessian_tanh", &[row.x[j]], &[expected], 1e-12);
        }
    }
}

/// Of a vector written by index and written again after the map (the rule reads the
/// vector as it was), and of a value carried by a loop.
#[differentiate]
fn written_then_mapped(x: f64, y: f64) -> f64 {
    let mut m = DVector::zeros(3);
    m[0] = x;
    m[1] = x * y;
    m[2] = y;
    let h = m.map(|x| x.tanh());
    m[1] = 2.0;
    h.sum() * m.sum()
}

#[differentiate]
fn mapped_in_a_loop(x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    let mut h = x.clone();
    for _ in 0..3 {
        h = (&h * 1.5).map(|v| v.tanh());
        s += h.sum();
    }
    s
}

#[test]
fn arrays_written_by_index_and_loops() {
    let (value, g) = written_then_mapped_grad(0.3, -0.8);
    assert_eq!(value, written_then_mapped(0.3, -0.8));
    let f = |p: &[f64]| written_then_mapped(p[0], p[1]);
    close(
        "written_then_mapped",
        &[g.x, g.y],
        &central_difference(f, &[0.3, -0.8]),
        1e-7,
    );
    let x = DVector::from_vec(vec![0.2, -0.5, 0.9]);
    let (value, g) = mapped_in_a_loop_grad(&x);
    assert_eq!(value, mapped_in_a_loop(&x));
    let f = |p: &[f64]| mapped_in_a_loop(&DVector::from_column_slice(p));
    close(
        "mapped_in_a_loop",
        g.x.as_slice(),
        &central_difference(f, x.as_slice()),
        1e-7,
    );
}

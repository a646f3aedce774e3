//! Closures in differentiated functions: bound by `let`, capturing immutably, called
//! directly or passed to `map`; each call is differentiated as the body it stands for.
#![cfg(feature = "nalgebra")]

use nalgebra::DVector;
use tapeless::differentiate;

#[differentiate]
fn with_closure(a: f64, b: f64, xs: &[f64]) -> f64 {
    let model = |t: f64| a * (b * t).sin();
    let mut total = 0.0;
    for x in xs {
        let r = model(*x) - 1.0;
        total += r * r;
    }
    // Captures at definition: a later `a` does not change what `model` computes.
    let a = 100.0;
    total + model(0.5) + a
}

#[test]
fn a_closure_called_in_a_loop_and_after_shadowing() {
    let (a, b) = (1.3, 0.7);
    let xs = [0.1, 0.5, 2.0];
    let (value, grad) = with_closure_grad(a, b, &xs);
    assert_eq!(value, with_closure(a, b, &xs));
    let mut da = (0.5 * b).sin();
    let mut db = a * 0.5 * (0.5 * b).cos();
    for x in xs {
        let r = a * (b * x).sin() - 1.0;
        da += 2.0 * r * (b * x).sin();
        db += 2.0 * r * a * x * (b * x).cos();
    }
    assert!((grad.a - da).abs() < 1e-12, "{} vs {da}", grad.a);
    assert!((grad.b - db).abs() < 1e-12, "{} vs {db}", grad.b);
}

#[differentiate]
fn closure_in_map(v: &DVector<f64>, xs: &[f64], s: f64) -> f64 {
    let squash = |t: f64| (t * 0.5).tanh();
    let total: f64 = xs.iter().map(|x| x * s).sum();
    v.map(squash).sum() + xs.iter().map(|x| squash(*x)).sum::<f64>() * total
}

#[test]
fn closures_passed_to_map() {
    let v = DVector::from_vec(vec![0.3, -1.0, 2.0]);
    let xs = [0.5, 1.5];
    let s = 0.8;
    let (value, grad) = closure_in_map_grad(&v, &xs, s);
    assert_eq!(value, closure_in_map(&v, &xs, s));
    let d = |t: f64| 0.5 * (1.0 - (t * 0.5).tanh().powi(2));
    for i in 0..3 {
        assert!((grad.v[i] - d(v[i])).abs() < 1e-12);
    }
    let sq: f64 = xs.iter().map(|t| (t * 0.5).tanh()).sum();
    let total: f64 = xs.iter().map(|x| x * s).sum();
    assert!((grad.s - sq * (xs[0] + xs[1])).abs() < 1e-12);
    for (x, g) in xs.iter().zip(&grad.xs) {
        let expected = d(*x) * total + sq * s;
        assert!((g - expected).abs() < 1e-12);
    }
}

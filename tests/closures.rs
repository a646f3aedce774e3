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

// `.map` closures are lowered as the loop writing each element: adversarial bodies.

/// The closure's parameter named like the receiver, a body with a block, an inner loop
/// that may `break` and an `if`, and a mapped value mapped again and used twice.
#[differentiate]
fn map_bodies(v: &DVector<f64>, s: f64) -> f64 {
    let w = v.map(|v| v * v + s);
    let z = w.map(|e| {
        let mut acc = 0.0;
        for k in 0..4 {
            if acc > 2.0 {
                break;
            }
            acc += e * (k as f64 + 1.0);
        }
        if acc > 1.0 {
            acc.sin()
        } else {
            acc * acc
        }
    });
    z.sum() * w.sum()
}

/// A closure bound by `let` without captures, and an array's `map`.
#[differentiate]
fn map_named_and_array(v: &DVector<f64>, x: [f64; 3]) -> f64 {
    let f = |t: f64| t.cos() * t;
    let y = x.map(|t| (0.5 * t).exp());
    v.map(f).sum() + y[0] * y[1] - y[2]
}

/// Central differences of `f` along each coordinate of `v`.
fn central(v: &DVector<f64>, f: impl Fn(&DVector<f64>) -> f64) -> DVector<f64> {
    let h = 1e-6;
    DVector::from_fn(v.len(), |i, _| {
        let (mut up, mut down) = (v.clone(), v.clone());
        up[i] += h;
        down[i] -= h;
        (f(&up) - f(&down)) / (2.0 * h)
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn map_closures_with_loops_branches_and_shadowed_names() {
    // Elements on both sides of each branch: acc > 2 breaks early, acc ≤ 1 squares.
    for v in [
        vec![0.1, -0.3, 0.25],
        vec![0.9, 0.05, -0.6],
        vec![0.4, 0.2, 0.3],
    ] {
        let v = DVector::from_vec(v);
        let s = 0.15;
        let (value, grad) = map_bodies_grad(&v, s);
        assert_eq!(value, map_bodies(&v, s));
        let expected = central(&v, |v| map_bodies(v, s));
        for i in 0..3 {
            assert!(
                close(grad.v[i], expected[i]),
                "{} vs {}",
                grad.v[i],
                expected[i]
            );
        }
        let h = 1e-6;
        let ds = (map_bodies(&v, s + h) - map_bodies(&v, s - h)) / (2.0 * h);
        assert!(close(grad.s, ds), "{} vs {ds}", grad.s);
        // Forward mode along (v̇, ṡ) gives ⟨∇f, (v̇, ṡ)⟩.
        let tangent = MapBodiesGrad {
            v: DVector::from_vec(vec![0.5, -1.0, 2.0]),
            s: 0.3,
        };
        let (jvp_value, derivative) = map_bodies_jvp(&v, s, &tangent);
        assert_eq!(jvp_value, value);
        let expected = grad.v.dot(&tangent.v) + grad.s * tangent.s;
        assert!(close(derivative, expected), "{derivative} vs {expected}");
    }
}

#[test]
fn map_of_a_named_closure_and_of_an_array() {
    let v = DVector::from_vec(vec![0.3, -1.2, 2.0]);
    let x = [0.4, -0.7, 1.1];
    let (value, grad) = map_named_and_array_grad(&v, x);
    assert_eq!(value, map_named_and_array(&v, x));
    for i in 0..3 {
        let expected = v[i].cos() - v[i] * v[i].sin();
        assert!(close(grad.v[i], expected), "{} vs {expected}", grad.v[i]);
    }
    let y = x.map(|t| (0.5 * t).exp());
    let expected = [0.5 * y[0] * y[1], 0.5 * y[0] * y[1], -0.5 * y[2]];
    for (g, e) in grad.x.iter().zip(expected) {
        assert!(close(*g, e), "{g} vs {e}");
    }
}

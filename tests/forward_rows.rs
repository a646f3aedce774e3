//! Forward mode through the nalgebra and `nn` rows, whose forward helpers the runtime has
//! beside their VJP helpers: `f_jvp` against the gradient (⟨∇f, t⟩) and, for a vector
//! output, the dot-product identity ⟨J t, w⟩ = ⟨t, Jᵀ w⟩ with `f_vjp`.

use tapeless::differentiate;
use tapeless::nalgebra::{DMatrix, DVector, Matrix2, Vector2};
use tapeless::nn;

#[differentiate]
fn dense(w: &DVector<f64>, x: &DMatrix<f64>, b: f64) -> f64 {
    let z = x * w;
    let r = z.add_scalar(b).map(|v| v.tanh());
    r.dot(&r).sqrt() + w.norm() + x.transpose().sum() * b + nn::sigmoid(b)
}

#[differentiate]
fn layer(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x;
    nn::softmax(&z.component_mul(x))
}

#[differentiate]
fn small(a: Matrix2<f64>, v: Vector2<f64>) -> f64 {
    let inv = a.try_inverse().unwrap();
    (inv * v).norm_squared() + a.determinant()
}

fn direction(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn dense_jvp_is_the_gradient_along_the_tangent() {
    let w = DVector::from_vec(direction(1, 3));
    let x = DMatrix::from_vec(4, 3, direction(2, 12));
    let b = 0.3;
    let (value, grad) = dense_grad(&w, &x, b);
    let tangent = DenseGrad {
        w: DVector::from_vec(direction(3, 3)),
        x: DMatrix::from_vec(4, 3, direction(4, 12)),
        b: -0.7,
    };
    let (jvp_value, jvp) = dense_jvp(&w, &x, b, &tangent);
    assert_eq!(jvp_value, value);
    assert_eq!(value, dense(&w, &x, b));
    let expected = grad.w.dot(&tangent.w) + grad.x.dot(&tangent.x) + grad.b * tangent.b;
    assert!(
        (jvp - expected).abs() < 1e-12 * (1.0 + expected.abs()),
        "{jvp} vs {expected}"
    );
    // Central differences along the tangent, an independent oracle.
    let h = 1e-6;
    let at = |s: f64| {
        dense(
            &(&w + &tangent.w * s),
            &(&x + &tangent.x * s),
            b + tangent.b * s,
        )
    };
    let fd = (at(h) - at(-h)) / (2.0 * h);
    assert!((jvp - fd).abs() < 1e-6 * (1.0 + fd.abs()), "{jvp} vs {fd}");
}

#[test]
fn layer_jvp_and_vjp_are_transposes() {
    let w = DMatrix::from_vec(3, 3, direction(5, 9));
    let x = DVector::from_vec(direction(6, 3));
    let tangent = LayerGrad {
        w: DMatrix::from_vec(3, 3, direction(7, 9)),
        x: DVector::from_vec(direction(8, 3)),
    };
    let seed = DVector::from_vec(direction(9, 3));
    let (value, jt) = layer_jvp(&w, &x, &tangent);
    assert_eq!(value, layer(&w, &x));
    let (_, jtw) = layer_vjp(&w, &x, seed.clone());
    let lhs = jt.dot(&seed);
    let rhs = jtw.w.dot(&tangent.w) + jtw.x.dot(&tangent.x);
    assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
    let h = 1e-6;
    let at = |s: f64| layer(&(&w + &tangent.w * s), &(&x + &tangent.x * s));
    let fd = (at(h) - at(-h)) / (2.0 * h);
    assert!((&jt - &fd).norm() < 1e-6, "{jt} vs {fd}");
}

#[test]
fn static_matrices_inverse_and_determinant() {
    let a = Matrix2::new(2.0, 0.5, -0.3, 1.5);
    let v = Vector2::new(0.4, -1.1);
    let tangent = SmallGrad {
        a: Matrix2::new(0.1, -0.2, 0.3, 0.05),
        v: Vector2::new(-0.6, 0.9),
    };
    let (value, grad) = small_grad(a, v);
    let (jvp_value, jvp) = small_jvp(a, v, &tangent);
    assert_eq!(jvp_value, value);
    let expected = grad.a.dot(&tangent.a) + grad.v.dot(&tangent.v);
    assert!(
        (jvp - expected).abs() < 1e-12 * (1.0 + expected.abs()),
        "{jvp} vs {expected}"
    );
}

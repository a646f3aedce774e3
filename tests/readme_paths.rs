//! The README's code as a user copies it, with `nalgebra = "0.35"` (what `cargo add
//! nalgebra` gives) and through the re-export `tapeless::nalgebra`: it compiles and its
//! gradients agree with finite differences.

use nalgebra::{DMatrix, DVector, RowDVector};
use tapeless::check::{check_parameters, Tolerance};
use tapeless::{differentiate, nn, Parameters};

// ---- README, "Composition": verbatim ----

#[derive(tapeless::Differentiable, Clone)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(tapeless::Differentiable, Clone)]
struct Params {
    hidden: Layer,
    output: Layer,
}

#[differentiate]
fn layer(l: &Layer, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    &l.w * x + &l.b * &ones
}

#[differentiate(wrt(p))]
fn loss(p: &Params, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let h = nn::sigmoid(&layer(&p.hidden, x));
    nn::cross_entropy(&layer(&p.output, &h), labels)
}

/// Deterministic values in [−1, 1].
fn values(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

#[test]
fn the_readme_network_trains_on_nalgebra_0_35() {
    let mut v = values(7);
    let mut params = Params {
        hidden: Layer {
            w: DMatrix::from_fn(4, 3, |_, _| v()),
            b: DVector::from_fn(4, |_, _| v()),
        },
        output: Layer {
            w: DMatrix::from_fn(2, 4, |_, _| v()),
            b: DVector::from_fn(2, |_, _| v()),
        },
    };
    let x = DMatrix::from_fn(3, 5, |_, _| v());
    let labels = [0, 1, 1, 0, 1];
    let (value, grad) = loss_grad(&params, &x, &labels); // grad.p: Params
    check_parameters(
        |p: &Params| loss(p, &x, &labels),
        &params,
        &grad.p,
        Tolerance::default(),
    )
    .unwrap();
    params.add_scaled(-0.5, &grad.p); // one SGD step
    assert!(loss(&params, &x, &labels) < value);
}

// ---- the same types through `tapeless::nalgebra` ----

mod through_the_reexport {
    use tapeless::nalgebra::{Matrix2, Vector2};
    use tapeless::prelude::*;

    #[differentiate]
    fn energy(k: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
        0.5 * (k * x).dot(x)
    }

    #[test]
    fn static_matrices_of_the_reexport_are_differentiated() {
        let k = Matrix2::new(2.0, 0.5, 0.5, 1.0);
        let x = Vector2::new(0.3, -0.8);
        let (_, grad) = energy_grad(&k, &x);
        // ∂/∂x = ½(K + Kᵀ)x, ∂/∂K = ½ x xᵀ.
        assert!((grad.x - 0.5 * (k + k.transpose()) * x).norm() < 1e-12);
        assert!((grad.k - 0.5 * x * x.transpose()).norm() < 1e-12);
    }
}

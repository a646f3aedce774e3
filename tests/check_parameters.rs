//! `tapeless::check::check_parameters` checks generated gradients of `f32`, generic and
//! parameter-struct functions against finite differences, through `Parameters` (`len`,
//! `write_to`, `read_from`).

use nalgebra::Matrix2;
use tapeless::check::{check_parameters, Tolerance};
use tapeless::prelude::*;

#[differentiate]
fn single(x: f32, y: f32) -> f32 {
    (x * y).sin() + x.exp() / (1.0 + y * y)
}

#[differentiate]
fn generic<T: Float>(x: T, y: T) -> T {
    x.powi(3) * y.cos() + (x * y).sin()
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Model {
    w: [f64; 3],
    b: f64,
    m: Matrix2<f64>,
}

#[differentiate(wrt(p))]
fn loss(p: &Model, xs: &[f64; 3]) -> f64 {
    let mut s = p.b;
    for (i, x) in xs.iter().enumerate() {
        s += p.w[i] * x;
    }
    s * s + p.m.norm_squared() + p.m.determinant()
}

fn model() -> Model {
    Model {
        w: [0.3, -1.2, 0.8],
        b: 0.1,
        m: Matrix2::new(1.0, 0.5, -0.25, 2.0),
    }
}

#[test]
fn f32_gradients_are_checked() {
    let (x, y) = (0.4_f32, -0.9_f32);
    let (_, grad) = single_grad(x, y);
    let f = |p: &(f32, f32)| single(p.0, p.1);
    check_parameters(f, &(x, y), &(grad.x, grad.y), Tolerance { relative: 1e-3 }).unwrap();
    // A wrong gradient is caught, at its coordinate.
    let wrong = (grad.x, grad.y + 0.05);
    let mismatch = check_parameters(f, &(x, y), &wrong, Tolerance { relative: 1e-3 }).unwrap_err();
    assert_eq!(mismatch.index, 1);
}

#[test]
fn generic_gradients_are_checked_in_both_precisions() {
    let (_, grad) = generic_grad(0.7_f64, 1.3_f64);
    let f = |p: &[f64; 2]| generic(p[0], p[1]);
    check_parameters(f, &[0.7, 1.3], &[grad.x, grad.y], Tolerance::default()).unwrap();
    let (_, grad) = generic_grad(0.7_f32, 1.3_f32);
    let f = |p: &[f32; 2]| generic(p[0], p[1]);
    check_parameters(
        f,
        &[0.7, 1.3],
        &[grad.x, grad.y],
        Tolerance { relative: 1e-3 },
    )
    .unwrap();
}

#[test]
fn parameter_struct_gradients_are_checked() {
    let xs = [0.5, 2.0, -1.0];
    let p = model();
    let (_, grad) = loss_grad(&p, &xs);
    check_parameters(|p: &Model| loss(p, &xs), &p, &grad.p, Tolerance::default()).unwrap();
    // A wrong entry of the matrix is reported at its place in the flat order:
    // w (3), b (1), then m column by column.
    let mut wrong = grad.p.clone();
    wrong.m[(1, 0)] += 0.01;
    let mismatch =
        check_parameters(|p: &Model| loss(p, &xs), &p, &wrong, Tolerance::default()).unwrap_err();
    assert_eq!(mismatch.index, 5);
}

#[test]
fn parameters_flatten_and_read_back() {
    let p = model();
    assert_eq!(p.len(), 8);
    assert!(!p.is_empty());
    let mut flat = vec![0.0; p.len()];
    p.write_to(&mut flat);
    assert_eq!(flat, [0.3, -1.2, 0.8, 0.1, 1.0, -0.25, 0.5, 2.0]);
    let mut q = model();
    q.map_scalars(&mut |s| *s = 0.0);
    q.read_from(&flat);
    assert_eq!(q, p);
}

#[test]
#[should_panic(expected = "write_to: the slice's length is not the number of scalars")]
fn a_slice_of_the_wrong_length_is_refused() {
    model().write_to(&mut [0.0; 7]);
}

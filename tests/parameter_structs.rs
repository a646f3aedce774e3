//! Parameters kept in structs: `#[derive(tapeless::Differentiable)]`, field access in
//! differentiated functions, nested structs, tuples, and what optimisers need.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, RowDVector, Vector2};
use tapeless::check::central_difference;
use tapeless::{differentiate, Parameters};

fn assert_close(analytic: &[f64], numeric: &[f64]) {
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let scale = 1f64.max(a.abs()).max(n.abs());
        assert!(
            (a - n).abs() <= 1e-7 * scale,
            "coordinate {i}: {a} vs {n}\n{analytic:?}\n{numeric:?}"
        );
    }
}

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
struct Line {
    slope: f64,
    intercept: f64,
}

#[differentiate(wrt(line))]
fn squared_error(line: &Line, xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..xs.len() {
        let r = line.slope * xs[i] + line.intercept - ys[i];
        total += r * r;
    }
    total
}

#[test]
fn scalar_fields_closed_form_and_descent() {
    let xs = [0.0, 1.0, 2.0, 3.0];
    let ys = [1.0, 3.1, 4.9, 7.2];
    let line = Line {
        slope: 0.5,
        intercept: 0.2,
    };
    let (value, grad) = squared_error_grad(&line, &xs, &ys);
    assert_eq!(value, squared_error(&line, &xs, &ys));
    let r: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| line.slope * x + line.intercept - y)
        .collect();
    let d_slope: f64 = r.iter().zip(&xs).map(|(r, x)| 2.0 * r * x).sum();
    let d_intercept: f64 = r.iter().map(|r| 2.0 * r).sum();
    assert!((grad.line.slope - d_slope).abs() < 1e-12);
    assert!((grad.line.intercept - d_intercept).abs() < 1e-12);

    // Gradient descent with the derived update converges to least squares.
    let mut line = line;
    for _ in 0..2000 {
        let (_, grad) = squared_error_grad(&line, &xs, &ys);
        line.add_scaled(-0.02, &grad.line);
    }
    // Least squares for these points: slope 2.04, intercept 0.99.
    assert!((line.slope - 2.04).abs() < 1e-6, "{line:?}");
    assert!((line.intercept - 0.99).abs() < 1e-6, "{line:?}");
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
}

#[derive(tapeless::Differentiable, Clone, Debug)]
struct Mlp {
    hidden: Layer,
    output: Layer,
    temperature: f64,
}

#[differentiate]
fn forward(layer: &Layer, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = RowDVector::from_element(x.ncols(), 1.0);
    &layer.w * x + &layer.b * &ones
}

#[differentiate(wrt(p))]
fn mlp_loss(p: &Mlp, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
    let h = tapeless::nn::sigmoid(&forward(&p.hidden, x));
    let logits = forward(&p.output, &h) * p.temperature;
    tapeless::nn::cross_entropy(&logits, labels)
}

fn flatten(p: &Mlp) -> Vec<f64> {
    let mut out = Vec::new();
    for layer in [&p.hidden, &p.output] {
        out.extend(layer.w.iter());
        out.extend(layer.b.iter());
    }
    out.push(p.temperature);
    out
}

fn unflatten(q: &[f64], shape: &Mlp) -> Mlp {
    let mut p = shape.clone();
    let mut k = 0;
    let mut fill = |m: &mut [f64]| {
        for v in m {
            *v = q[k];
            k += 1;
        }
    };
    fill(p.hidden.w.as_mut_slice());
    fill(p.hidden.b.as_mut_slice());
    fill(p.output.w.as_mut_slice());
    fill(p.output.b.as_mut_slice());
    p.temperature = q[k];
    p
}

#[test]
fn nested_structs_of_matrices_through_a_helper() {
    let m = |r: usize, c: usize, s: f64| {
        DMatrix::from_fn(r, c, |i, j| ((i * 5 + j * 3) as f64 * 0.7 + s).sin())
    };
    let p = Mlp {
        hidden: Layer {
            w: m(4, 3, 0.1),
            b: DVector::from_fn(4, |i, _| 0.1 * i as f64),
        },
        output: Layer {
            w: m(3, 4, 0.9),
            b: DVector::from_fn(3, |i, _| -0.2 * i as f64),
        },
        temperature: 1.3,
    };
    let x = m(3, 6, 2.0);
    let labels = [0, 2, 1, 1, 0, 2];
    let (value, grad) = mlp_loss_grad(&p, &x, &labels);
    assert_eq!(value, mlp_loss(&p, &x, &labels));
    let numeric = central_difference(
        |q: &[f64]| mlp_loss(&unflatten(q, &p), &x, &labels),
        &flatten(&p),
    );
    assert_close(&flatten(&grad.p), &numeric);
}

#[differentiate]
fn tuple_parameter(pair: &(Vector2<f64>, f64), scale: [f64; 2]) -> f64 {
    pair.0.norm_squared() * pair.1 + scale[0] * pair.1 + scale[1]
}

#[test]
fn tuple_parameters_get_tuple_gradients() {
    let pair = (Vector2::new(1.0, 2.0), 3.0);
    let (value, grad) = tuple_parameter_grad(&pair, [0.5, 0.25]);
    assert_eq!(value, tuple_parameter(&pair, [0.5, 0.25]));
    assert_eq!(grad.pair.0, Vector2::new(6.0, 12.0));
    assert_eq!(grad.pair.1, 5.0 + 0.5);
    assert_eq!(grad.scale, [3.0, 1.0]);
}

#[test]
fn optimiser_helpers_visit_every_scalar() {
    let mut a = Line {
        slope: 1.0,
        intercept: 2.0,
    };
    let g = Line {
        slope: 10.0,
        intercept: 20.0,
    };
    a.zip_scalars(&g, &mut |p, g| *p += g * g);
    assert_eq!(
        a,
        Line {
            slope: 101.0,
            intercept: 402.0
        }
    );
    let mut count = 0;
    a.map_scalars(&mut |_| count += 1);
    assert_eq!(count, 2);
}

//! The constructs of ordinary differentiated code inside `#[differentiate(hessian)]`
//! functions (the generic copy must take each): `vec![0.0; n]`, arrays written in place,
//! `.map(..).sum()` and `.fold`, closures, `match`, `f64::max`, `while`, `nn::sigmoid`,
//! `len() as f64`, tuples, an early `return`, a parameter named `v` (like `f_hvp`'s
//! direction). Each Hessian is checked against central differences of the gradient.
#![allow(clippy::all)]

use tapeless::check::central_difference;
use tapeless::differentiate;

fn check(name: &str, rows: Vec<Vec<f64>>, grad: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) {
    for i in 0..x.len() {
        let fd = central_difference(|p: &[f64]| grad(p)[i], x);
        for j in 0..x.len() {
            let (a, b) = (rows[i][j], fd[j]);
            assert!(
                (a - b).abs() < 1e-6 * (1.0 + b.abs()),
                "{name}: H[{i}][{j}] {a} vs {b}"
            );
        }
    }
}

#[differentiate(hessian)]
fn p_vec_macro(x: &[f64]) -> f64 {
    let mut w = vec![0.0; x.len()];
    for i in 0..x.len() {
        w[i] = x[i] * x[i];
    }
    let mut s = 0.0;
    for i in 0..w.len() {
        s += w[i] * x[i];
    }
    s
}

#[differentiate(hessian)]
fn p_array_in_place(x: [f64; 3]) -> f64 {
    let mut a = [0.0; 3];
    for i in 0..3 {
        a[i] = x[i].exp() * 2.0;
    }
    a[0] * a[1] + a[2] * x[0]
}

#[differentiate(hessian)]
fn p_map_sum(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v * v).sum::<f64>() + x.iter().fold(0.0, |acc, v| acc + v.sin())
}

#[differentiate(hessian)]
fn p_closure_match(x: f64, n: i32, v: f64) -> f64 {
    let sq = |t: f64| t * t;
    let k = match n {
        0 => 1.0,
        1 => 2.0,
        _ => 3.0,
    };
    sq(x) * k + f64::max(x, v) * v
}

#[differentiate(hessian)]
fn p_while(x: f64) -> f64 {
    let mut s = x;
    let mut i = 0;
    while i < 4 {
        s = s * x + 0.5;
        i += 1;
    }
    s
}

#[differentiate(hessian)]
fn p_nn(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += tapeless::nn::sigmoid(x[i]) * (x.len() as f64);
    }
    s
}

#[differentiate(hessian)]
fn p_early_return(x: f64, y: f64) -> f64 {
    if x > 10.0 {
        return x;
    }
    let (a, b) = (x * y, y.exp());
    a * b
}

#[test]
fn hessians_of_common_constructs_match_differences_of_the_gradient() {
    let x = [0.3, -0.5, 0.8];
    let (_, _, r) = p_vec_macro_hessian(&x);
    check(
        "vec",
        r.iter().map(|r| r.x.clone()).collect(),
        |p| p_vec_macro_grad(p).1.x,
        &x,
    );
    let (_, _, r) = p_array_in_place_hessian(x);
    check(
        "array",
        r.iter().map(|r| r.x.to_vec()).collect(),
        |p| p_array_in_place_grad([p[0], p[1], p[2]]).1.x.to_vec(),
        &x,
    );
    let (_, _, r) = p_map_sum_hessian(&x);
    check(
        "map_sum",
        r.iter().map(|r| r.x.clone()).collect(),
        |p| p_map_sum_grad(p).1.x,
        &x,
    );
    let (_, _, r) = p_closure_match_hessian(0.7, 2, 0.2);
    check(
        "closure",
        r.iter().map(|r| vec![r.x, r.v]).collect(),
        |p| {
            let g = p_closure_match_grad(p[0], 2, p[1]).1;
            vec![g.x, g.v]
        },
        &[0.7, 0.2],
    );
    let (_, _, r) = p_while_hessian(0.9);
    check(
        "while",
        r.iter().map(|r| vec![r.x]).collect(),
        |p| vec![p_while_grad(p[0]).1.x],
        &[0.9],
    );
    let (_, _, r) = p_nn_hessian(&x);
    check(
        "nn",
        r.iter().map(|r| r.x.clone()).collect(),
        |p| p_nn_grad(p).1.x,
        &x,
    );
    let (_, _, r) = p_early_return_hessian(0.4, 0.6);
    check(
        "early",
        r.iter().map(|r| vec![r.x, r.y]).collect(),
        |p| {
            let g = p_early_return_grad(p[0], p[1]).1;
            vec![g.x, g.y]
        },
        &[0.4, 0.6],
    );
}

#[differentiate(hessian, max_iterations = 8)]
fn p_references(a: &[f64; 2], b: &Vec<f64>, scale: f64) -> f64 {
    let mut s = a[0] * a[1];
    for i in 0..b.len() {
        s = s * 0.5 + (b[i] * scale).tanh();
    }
    s * scale
}

#[test]
fn references_to_arrays_and_vecs_with_bounded_loops() {
    let (a, b, scale) = ([0.6, -0.2], vec![0.3, 1.1, -0.7], 0.8);
    let (value, _, rows) = p_references_hessian(&a, &b, scale);
    assert_eq!(value, p_references(&a, &b, scale));
    let flat = |r: &PReferencesGrad| {
        let mut out = r.a.to_vec();
        out.extend(&r.b);
        out.push(r.scale);
        out
    };
    let x = [a[0], a[1], b[0], b[1], b[2], scale];
    check(
        "references",
        rows.iter().map(flat).collect(),
        |p| flat(&p_references_grad(&[p[0], p[1]], &p[2..5].to_vec(), p[5]).1),
        &x,
    );
}

// QA F9 (2026-12-06): `2f64` (an integer literal with a float suffix) in a hessian function.
#[differentiate(hessian)]
fn integer_spelled_float(x: f64, y: f64) -> f64 {
    2f64 * y * x * x + 3f64 * y
}

#[test]
fn integer_spelled_float_literals() {
    let (value, grad, rows) = integer_spelled_float_hessian(0.5, -1.5);
    assert_eq!(value, integer_spelled_float(0.5, -1.5));
    // f = 2yx² + 3y: ∇f = (4xy, 2x² + 3); H = [[4y, 4x], [4x, 0]].
    assert_eq!((grad.x, grad.y), (4.0 * 0.5 * -1.5, 2.0 * 0.25 + 3.0));
    assert_eq!((rows[0].x, rows[0].y), (4.0 * -1.5, 4.0 * 0.5));
    assert_eq!((rows[1].x, rows[1].y), (4.0 * 0.5, 0.0));
}

// QA Q2 (2026-12-06): integer methods (`n.min(x.len())`, `n.max(1)`, `k.abs()`) and integer
// arithmetic in a hessian function (the generic copy named them through `Float`).
#[differentiate(hessian)]
fn integer_methods(x: &[f64], n: usize, k: i32) -> f64 {
    let m = n.min(x.len());
    let j = n.max(1) - 1;
    let a = k.abs();
    let mut s = 0.0;
    for i in 0..m {
        let w = (i.min(j) + 1) as f64;
        s += x[i] * x[i] * x[i] * (a as f64) + w * x[i] * x[0];
    }
    s
}

#[test]
fn integer_methods_in_a_hessian_function() {
    let x = [0.5, -1.0, 2.0];
    // n = 2, k = -3: m = 2, j = 1, a = 3; s = 3(x0³ + x1³) + 1·x0·x0 + 2·x1·x0.
    let (value, grad, rows) = integer_methods_hessian(&x, 2, -3);
    assert_eq!(value, integer_methods(&x, 2, -3));
    let (x0, x1) = (x[0], x[1]);
    let expected_grad = [
        9.0 * x0 * x0 + 2.0 * x0 + 2.0 * x1,
        9.0 * x1 * x1 + 2.0 * x0,
        0.0,
    ];
    let expected = [
        [18.0 * x0 + 2.0, 2.0, 0.0],
        [2.0, 18.0 * x1, 0.0],
        [0.0, 0.0, 0.0],
    ];
    for i in 0..3 {
        assert!((grad.x[i] - expected_grad[i]).abs() < 1e-12, "∇[{i}]");
        for j in 0..3 {
            assert!((rows[i].x[j] - expected[i][j]).abs() < 1e-12, "H[{i}][{j}]");
        }
    }
    check(
        "integer methods",
        rows.iter().map(|r| r.x.clone()).collect(),
        |p| integer_methods_grad(p, 2, -3).1.x,
        &x,
    );
}

// QA Q8 (2026-12-06): `t as usize` of a float parameter in a hessian function (a type
// parameter has no `as`): the value's cast, which carries no derivative.
#[differentiate(hessian)]
fn float_as_index(x: &[f64], t: f64) -> f64 {
    let i = t as usize;
    let k = (t * 2.0) as i32;
    x[i] * x[i] * t + (k as f64) * x[0] * t * t
}

#[test]
fn float_cast_to_an_integer_in_a_hessian_function() {
    let x = [0.5, -1.0, 2.0];
    let t = 1.3; // i = 1, k = 2: f = x1²·t + 2·x0·t².
    let (value, grad, rows) = float_as_index_hessian(&x, t);
    assert_eq!(value, float_as_index(&x, t));
    assert!((grad.t - (x[1] * x[1] + 4.0 * x[0] * t)).abs() < 1e-12);
    assert!((grad.x[1] - 2.0 * x[1] * t).abs() < 1e-12);
    assert!((grad.x[0] - 2.0 * t * t).abs() < 1e-12);
    // Rows: x0, x1, x2, then t.
    assert!((rows[0].t - 4.0 * t).abs() < 1e-12, "∂²/∂x0∂t");
    assert!((rows[1].x[1] - 2.0 * t).abs() < 1e-12, "∂²/∂x1²");
    assert!((rows[1].t - 2.0 * x[1]).abs() < 1e-12, "∂²/∂x1∂t");
    assert!((rows[3].t - 4.0 * x[0]).abs() < 1e-12, "∂²/∂t²");
    assert!((rows[3].x[0] - 4.0 * t).abs() < 1e-12, "∂²/∂t∂x0");
    assert_eq!(rows[2].x, vec![0.0; 3]);
}

/// Data: it derives nothing.
struct Curve {
    slope: f64,
    intercept: f64,
    degree: i32,
}

/// A struct parameter left out by `wrt(..)` is data (QA, h-hess2): its floats are constants.
#[differentiate(hessian, wrt(xs))]
fn fit(curve: &Curve, xs: &[f64], n: usize) -> f64 {
    let mut total = 0.0;
    for i in 0..n {
        let r = curve.slope * xs[i].powi(curve.degree) + curve.intercept;
        total += r * r;
    }
    total
}

#[test]
fn a_data_struct_parameter() {
    let curve = Curve {
        slope: 0.5,
        intercept: -0.25,
        degree: 2,
    };
    let xs = [1.5, -0.5];
    let (value, grad, rows) = fit_hessian(&curve, &xs, 2);
    assert_eq!(value, fit(&curve, &xs, 2));
    // f = Σ rᵢ², rᵢ = a xᵢ² + b: ∂f/∂xᵢ = 4a xᵢ rᵢ, ∂²f/∂xᵢ² = 4a rᵢ + 8a² xᵢ².
    let (a, b) = (0.5, -0.25);
    for i in 0..2 {
        let (x, r) = (xs[i], a * xs[i] * xs[i] + b);
        assert!((grad.xs[i] - 4.0 * a * x * r).abs() < 1e-12);
        assert!((rows[i].xs[i] - (4.0 * a * r + 8.0 * a * a * x * x)).abs() < 1e-12);
        assert_eq!(rows[i].xs[1 - i], 0.0);
    }
    let rows: Vec<Vec<f64>> = rows.into_iter().map(|r| r.xs).collect();
    check("fit", rows, |p: &[f64]| fit_grad(&curve, p, 2).1.xs, &xs);
}

/// A generic function with a float parameter left out by `wrt`: the parameter is the
/// function's type `T`, not a data struct (a merge of two branches once took it for one).
#[tapeless::differentiate(hessian, wrt(x))]
fn generic_with_a_constant<T: num_traits::Float>(x: T, y: T) -> T {
    x * x * y + x.sin()
}

#[test]
fn generic_function_with_a_parameter_left_out() {
    let (x, y) = (0.8_f64, 1.5_f64);
    let (_, g, rows) = generic_with_a_constant_hessian(x, y);
    assert!((g.x - (2.0 * x * y + x.cos())).abs() < 1e-14);
    assert_eq!(rows.len(), 1);
    assert!((rows[0].x - (2.0 * y - x.sin())).abs() < 1e-14);
}

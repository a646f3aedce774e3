//! `#[differentiate(hessian)]`: `f_hvp` and `f_hessian` against closed forms, central
//! differences of the gradient, symmetry, and each other; nested `f_grad` calls inside
//! differentiated functions against central differences.

#![allow(clippy::needless_range_loop)] // index loops: the form differentiated code reads best

use tapeless::check::central_difference;
use tapeless::differentiate;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs()))
}

fn assert_close(what: &str, a: f64, b: f64, tolerance: f64) {
    assert!(close(a, b, tolerance), "{what}: {a} vs {b}");
}

/// The rows of a Hessian as a dense matrix (each row a flat vector of the gradient struct).
fn dense<G>(rows: &[G], flat: impl Fn(&G) -> Vec<f64>) -> Vec<Vec<f64>> {
    rows.iter().map(flat).collect()
}

fn assert_symmetric(h: &[Vec<f64>]) {
    for i in 0..h.len() {
        assert_eq!(h[i].len(), h.len(), "a square Hessian");
        for j in 0..i {
            assert_close(
                &format!("H[{i}][{j}] = H[{j}][{i}]"),
                h[i][j],
                h[j][i],
                1e-10,
            );
        }
    }
}

/// Central differences of a gradient (flattened) at `x`: column j is ∂∇f/∂x_j.
fn hessian_by_differences(grad: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n {
        let row = central_difference(|p: &[f64]| grad(p)[i], x);
        h[i].copy_from_slice(&row);
    }
    h
}

fn assert_matrices_close(what: &str, a: &[Vec<f64>], b: &[Vec<f64>], tolerance: f64) {
    assert_eq!(a.len(), b.len(), "{what}: rows");
    for (i, (ra, rb)) in a.iter().zip(b).enumerate() {
        for (j, (x, y)) in ra.iter().zip(rb).enumerate() {
            assert_close(&format!("{what}[{i}][{j}]"), *x, *y, tolerance);
        }
    }
}

// ---- scalars: closed forms ----

#[differentiate(hessian)]
fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

#[test]
fn rosenbrock_closed_form() {
    for (x, y) in [(0.3, -0.7), (1.0, 1.0), (-1.2, 1.0)] {
        let (value, grad, rows) = rosenbrock_hessian(x, y);
        assert_eq!(value, rosenbrock(x, y));
        assert_close(
            "∂f/∂x",
            grad.x,
            -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
            1e-12,
        );
        assert_close("∂f/∂y", grad.y, 200.0 * (y - x * x), 1e-12);
        let h = [
            [2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x],
            [-400.0 * x, 200.0],
        ];
        let computed = dense(&rows, |r| vec![r.x, r.y]);
        let expected: Vec<Vec<f64>> = h.iter().map(|r| r.to_vec()).collect();
        assert_matrices_close("rosenbrock", &computed, &expected, 1e-12);
    }
}

#[differentiate(hessian)]
fn x_exp_x2(x: f64) -> f64 {
    x * (x * x).exp()
}

#[test]
fn x_exp_x_squared() {
    // f = x·e^{x²}, f′ = e^{x²}(2x² + 1), f″ = e^{x²}(4x³ + 6x).
    for x in [-0.8, 0.0, 0.4, 1.1] {
        let (value, grad, rows) = x_exp_x2_hessian(x);
        let e = (x * x).exp();
        assert_eq!(value, x_exp_x2(x));
        assert_close("f′", grad.x, e * (2.0 * x * x + 1.0), 1e-12);
        assert_eq!(rows.len(), 1);
        assert_close("f″", rows[0].x, e * (4.0 * x * x * x + 6.0 * x), 1e-12);
        // One hvp along v = 2: H·v = 2f″.
        let (_, _, hv) = x_exp_x2_hvp(x, &X_exp_x2Grad { x: 2.0 });
        assert_close("H·2", hv.x, 2.0 * e * (4.0 * x * x * x + 6.0 * x), 1e-12);
    }
}

#[allow(non_camel_case_types)]
type X_exp_x2Grad = XExpX2Grad;

#[differentiate(hessian)]
fn transcendental(a: f64, b: f64) -> f64 {
    let r = (a * a + b * b + 1.0).sqrt();
    a.sin() * b.cos() + r.ln() + a.atan2(b + 3.0) + (a / (1.0 + b * b)).tanh() + a.powf(2.5)
}

#[test]
fn transcendental_against_differences_of_the_gradient() {
    let x = [0.7, -0.4];
    let (_, _, rows) = transcendental_hessian(x[0], x[1]);
    let computed = dense(&rows, |r| vec![r.a, r.b]);
    let fd = hessian_by_differences(
        |p| {
            let g = transcendental_grad(p[0], p[1]).1;
            vec![g.a, g.b]
        },
        &x,
    );
    assert_matrices_close("transcendental", &computed, &fd, 1e-6);
    assert_symmetric(&computed);
}

// ---- slices, arrays, Vec; loops and branches ----

#[differentiate(hessian)]
fn quadratic_form(x: &[f64], a: &[f64], n: usize) -> f64 {
    // xᵀAx with A row-major n×n (data: not differentiated with wrt below).
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[i] * a[i * n + j] * x[j];
        }
    }
    s
}

#[test]
fn quadratic_form_hessian_is_a_plus_a_transposed() {
    let a = [1.0, 2.0, -1.0, 0.5, 3.0, 4.0, -2.0, 0.0, 1.5];
    let x = [0.3, -1.1, 2.0];
    let (value, grad, rows) = quadratic_form_hessian(&x, &a, 3);
    assert_eq!(value, quadratic_form(&x, &a, 3));
    // Rows: one per scalar of x, then one per scalar of a (also differentiated).
    assert_eq!(rows.len(), 12);
    for i in 0..3 {
        let expected: f64 = (0..3).map(|j| (a[i * 3 + j] + a[j * 3 + i]) * x[j]).sum();
        assert_close("∇ = (A + Aᵀ)x", grad.x[i], expected, 1e-12);
        for j in 0..3 {
            assert_close(
                "∂²/∂x∂x = A + Aᵀ",
                rows[i].x[j],
                a[i * 3 + j] + a[j * 3 + i],
                1e-12,
            );
        }
        // ∂²/∂x_i∂A_jk = δ_ij x_k + δ_ik x_j.
        for j in 0..3 {
            for k in 0..3 {
                let expected = if i == j { x[k] } else { 0.0 } + if i == k { x[j] } else { 0.0 };
                assert_close("∂²/∂x∂A", rows[i].a[j * 3 + k], expected, 1e-12);
                assert_close("∂²/∂A∂x", rows[3 + j * 3 + k].x[i], expected, 1e-12);
            }
        }
    }
    // The Hessian in A alone is zero (f is linear in A).
    assert!(rows[3..].iter().all(|r| r.a.iter().all(|v| *v == 0.0)));
}

#[differentiate(hessian, wrt(x))]
fn log_sum_exp(x: &[f64], scale: f64) -> f64 {
    let mut m = x[0];
    for v in x.iter() {
        if *v > m {
            m = *v;
        }
    }
    let mut s = 0.0;
    for v in x {
        s += ((v - m) * scale).exp();
    }
    m + s.ln() / scale
}

#[test]
fn log_sum_exp_hessian_is_diag_p_minus_ppt() {
    // With scale 1: ∇ = softmax p, H = diag(p) − ppᵀ.
    let x = vec![0.5, -0.3, 1.7, 0.9];
    let (value, grad, rows) = log_sum_exp_hessian(&x, 1.0);
    assert_eq!(value, log_sum_exp(&x, 1.0));
    let z: f64 = x.iter().map(|v| v.exp()).sum();
    let p: Vec<f64> = x.iter().map(|v| v.exp() / z).collect();
    assert_eq!(rows.len(), 4);
    for i in 0..4 {
        assert_close("softmax", grad.x[i], p[i], 1e-12);
        for j in 0..4 {
            let expected = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
            assert_close("diag(p) − ppᵀ", rows[i].x[j], expected, 1e-12);
        }
    }
}

#[differentiate(hessian)]
fn piecewise(x: [f64; 3], k: i32) -> f64 {
    let mut total = 0.0;
    for i in 0..3 {
        let v = x[i];
        let term = if v > 0.0 {
            v.powi(k) * v.exp()
        } else if v > -1.0 {
            (v * v + 1.0).ln()
        } else {
            v.cosh()
        };
        total += term * (i as f64 + 1.0);
    }
    total * x[0].sin() + x[1] * x[2]
}

#[test]
fn arrays_loops_and_branches_against_differences() {
    for x in [[0.4, -0.5, -1.6], [1.2, 0.3, -0.2]] {
        let (value, _, rows) = piecewise_hessian(x, 3);
        assert_eq!(value, piecewise(x, 3));
        let computed = dense(&rows, |r| r.x.to_vec());
        let fd = hessian_by_differences(|p| piecewise_grad([p[0], p[1], p[2]], 3).1.x.to_vec(), &x);
        assert_matrices_close("piecewise", &computed, &fd, 1e-6);
        assert_symmetric(&computed);
    }
}

#[differentiate(hessian)]
fn with_vec(w: Vec<f64>, t: f64) -> f64 {
    let mut acc = t;
    for i in 0..w.len() {
        acc = (acc * w[i]).sin() + w[i] * t;
    }
    acc * acc
}

#[test]
fn hvp_matches_hessian_times_v_and_differences() {
    let w = vec![0.4, -0.9, 1.3];
    let t = 0.6;
    let (value, grad, rows) = with_vec_hessian(w.clone(), t);
    assert_eq!(value, with_vec(w.clone(), t));
    let h = dense(&rows, |r| {
        let mut flat = r.w.clone();
        flat.push(r.t);
        flat
    });
    assert_symmetric(&h);
    let flat_grad = |p: &[f64]| {
        let g = with_vec_grad(p[..3].to_vec(), p[3]).1;
        let mut flat = g.w;
        flat.push(g.t);
        flat
    };
    let x = [w[0], w[1], w[2], t];
    assert_matrices_close("with_vec", &h, &hessian_by_differences(flat_grad, &x), 1e-6);
    // hvp along v: value and gradient as f_grad's, H·v as the rows times v.
    let v = WithVecGrad {
        w: vec![0.3, -1.0, 0.25],
        t: 2.0,
    };
    let (hvp_value, hvp_grad, hv) = with_vec_hvp(w.clone(), t, &v);
    assert_eq!(hvp_value, value);
    let (_, plain_grad) = with_vec_grad(w.clone(), t);
    for i in 0..3 {
        assert_close("gradient", hvp_grad.w[i], plain_grad.w[i], 1e-14);
        assert_close("gradient of f_hessian", grad.w[i], plain_grad.w[i], 1e-14);
    }
    let vf = [v.w[0], v.w[1], v.w[2], v.t];
    let hv_flat = [hv.w[0], hv.w[1], hv.w[2], hv.t];
    for i in 0..4 {
        let expected: f64 = (0..4).map(|j| h[i][j] * vf[j]).sum();
        assert_close("H·v", hv_flat[i], expected, 1e-12);
    }
    // And against differences of the gradient along v: (∇f(x + εv) − ∇f(x − εv))/2ε.
    let along = central_difference(
        |e: &[f64]| {
            let p: Vec<f64> = x.iter().zip(&vf).map(|(a, b)| a + e[0] * b).collect();
            flat_grad(&p)[0]
        },
        &[0.0],
    );
    assert_close("H·v by differences", hv_flat[0], along[0], 1e-6);
}

// ---- f32 ----

#[differentiate(hessian)]
fn cubic32(x: f32, y: f32) -> f32 {
    x * x * y + y.exp() * 0.5
}

#[test]
fn f32_closed_form() {
    let (x, y) = (1.5f32, -0.25f32);
    let (value, grad, rows) = cubic32_hessian(x, y);
    assert_eq!(value, cubic32(x, y));
    assert!((grad.x - 2.0 * x * y).abs() < 1e-5);
    assert!((rows[0].x - 2.0 * y).abs() < 1e-5);
    assert!((rows[0].y - 2.0 * x).abs() < 1e-5);
    assert!((rows[1].x - 2.0 * x).abs() < 1e-5);
    assert!((rows[1].y - 0.5 * y.exp()).abs() < 1e-5);
}

// ---- constants and conversions in the generic copy ----

#[differentiate(hessian)]
fn constants(x: &[f64], n: usize) -> f64 {
    use std::f64::consts::PI;
    let mean = x.iter().sum::<f64>() / n as f64;
    let mut s = f64::EPSILON;
    for v in x {
        s += (v - mean).powi(2) * f64::from(2u8) + (PI * v).sin() / std::f64::consts::E;
    }
    f64::max(s, 0.5).sqrt()
}

#[test]
fn constants_literals_and_casts() {
    let x = [0.2, 0.9, -0.4];
    let (value, _, rows) = constants_hessian(&x, 3);
    assert_eq!(value, constants(&x, 3));
    let computed = dense(&rows, |r| r.x.clone());
    let fd = hessian_by_differences(|p| constants_grad(p, 3).1.x, &x);
    assert_matrices_close("constants", &computed, &fd, 1e-6);
}

// ---- calls of other differentiated functions ----

#[differentiate(hessian)]
fn energy(a: f64, b: f64) -> f64 {
    (a - b).powi(2) * 0.5 + (a * b).cos()
}

#[differentiate(hessian)]
fn total_energy(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 1..x.len() {
        e += energy(x[i - 1], x[i]);
    }
    e + energy(x[0], 1.0)
}

#[test]
fn calls_of_hessian_functions() {
    let x = [0.3, -0.8, 1.4];
    let (value, _, rows) = total_energy_hessian(&x);
    assert_eq!(value, total_energy(&x));
    let computed = dense(&rows, |r| r.x.clone());
    let fd = hessian_by_differences(|p| total_energy_grad(p).1.x, &x);
    assert_matrices_close("total_energy", &computed, &fd, 1e-6);
    assert_symmetric(&computed);
}

// ---- nested gradients ----

#[differentiate(hessian)]
fn potential(q: &[f64]) -> f64 {
    let mut u = 0.0;
    for i in 0..q.len() {
        u += q[i].powi(4) * 0.25 - q[i] * q[i] + (q[i] * 0.5).sin();
    }
    u
}

/// A gradient step inside an objective: the loss after one step of gradient descent.
#[differentiate]
fn loss_after_step(q: &[f64], lr: f64) -> f64 {
    let (_, g) = potential_grad(q);
    let mut s = 0.0;
    for i in 0..q.len() {
        let moved = q[i] - lr * g.q[i];
        s += moved * moved;
    }
    s
}

#[test]
fn a_gradient_inside_a_differentiated_objective() {
    let q = [0.7, -1.2, 0.1];
    let lr = 0.3;
    let (value, grad) = loss_after_step_grad(&q, lr);
    assert_eq!(value, loss_after_step(&q, lr));
    let mut x = q.to_vec();
    x.push(lr);
    let fd = central_difference(|p: &[f64]| loss_after_step(&p[..3], p[3]), &x);
    for i in 0..3 {
        assert_close("∂/∂q", grad.q[i], fd[i], 1e-6);
    }
    assert_close("∂/∂lr", grad.lr, fd[3], 1e-6);
}

/// A force from a potential, used twice (once in a loop: the split form of the call).
#[differentiate]
fn work(q: &[f64], d: f64) -> f64 {
    let (u, f) = potential_grad(q);
    let mut w = u * 0.1;
    for _ in 0..2 {
        let (_, g) = potential_grad(q);
        w += g.q[0] * d + f.q[1] * g.q[2];
    }
    w
}

#[test]
fn nested_gradients_in_loops_and_with_the_value() {
    let q = [0.4, 0.9, -0.6];
    let d = 1.7;
    let (value, grad) = work_grad(&q, d);
    assert_eq!(value, work(&q, d));
    let mut x = q.to_vec();
    x.push(d);
    let fd = central_difference(|p: &[f64]| work(&p[..3], p[3]), &x);
    for i in 0..3 {
        assert_close("∂/∂q", grad.q[i], fd[i], 1e-6);
    }
    assert_close("∂/∂d", grad.d, fd[3], 1e-6);
}

#[test]
fn grad_vjp_is_seed_times_gradient_plus_hessian_times_seed() {
    let q = [0.4, 0.9, -0.6];
    let seed = PotentialGrad {
        q: vec![1.0, -2.0, 0.5],
    };
    let ((value, gradient), product) = potential_grad_vjp(&q, (3.0, seed.clone()));
    let (_, _, rows) = potential_hessian(&q);
    assert_eq!(value, potential(&q));
    for i in 0..3 {
        let expected: f64 =
            3.0 * gradient.q[i] + (0..3).map(|j| rows[i].q[j] * seed.q[j]).sum::<f64>();
        assert_close("s₀∇f + H·s₁", product.q[i], expected, 1e-12);
    }
}

#[test]
fn grad_jvp_is_the_directional_derivative_of_the_gradient() {
    let q = [0.4, 0.9, -0.6];
    let v = PotentialGrad {
        q: vec![0.5, -1.5, 2.0],
    };
    let ((value, gradient), (slope, product)) = potential_grad_jvp(&q, &v);
    assert_eq!(value, potential(&q));
    let along = |e: f64| -> Vec<f64> {
        let p: Vec<f64> = q.iter().zip(&v.q).map(|(a, b)| a + e * b).collect();
        let (value, grad) = potential_grad(&p);
        let mut out = grad.q;
        out.push(value);
        out
    };
    for i in 0..4 {
        let fd = central_difference(|e: &[f64]| along(e[0])[i], &[0.0])[0];
        let computed = if i < 3 { product.q[i] } else { slope };
        assert_close("d/dε (∇f, f)(q + εv)", computed, fd, 1e-6);
    }
    let dot: f64 = gradient.q.iter().zip(&v.q).map(|(a, b)| a * b).sum();
    assert_close("⟨∇f, v⟩", slope, dot, 1e-14);
}

// ---- generic functions: their own f_vjp runs over Dual<T> ----

#[differentiate(hessian)]
fn generic_rosenbrock<T>(x: &[T]) -> T
where
    T: num_traits::Float + num_traits::FromPrimitive,
{
    let mut s = T::zero();
    let hundred = T::from_f64(100.0).unwrap();
    for i in 0..x.len() - 1 {
        let a = T::one() - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s = s + a * a + hundred * b * b;
    }
    s
}

#[test]
fn generic_function_in_f64_and_f32() {
    let x = [0.3, -0.4, 1.2];
    let (value, _, rows) = generic_rosenbrock_hessian(&x);
    assert_eq!(value, generic_rosenbrock(&x));
    let computed = dense(&rows, |r| r.x.clone());
    let fd = hessian_by_differences(|p| generic_rosenbrock_grad(p).1.x, &x);
    assert_matrices_close("generic rosenbrock", &computed, &fd, 1e-6);
    // Closed form of the first row: ∂²/∂x₀² = 2 − 400(x₁ − x₀²) + 800x₀², ∂²/∂x₀∂x₁ = −400x₀.
    assert_close(
        "H00",
        rows[0].x[0],
        2.0 - 400.0 * (x[1] - x[0] * x[0]) + 800.0 * x[0] * x[0],
        1e-12,
    );
    assert_close("H01", rows[0].x[1], -400.0 * x[0], 1e-12);
    let x32 = [0.3f32, -0.4, 1.2];
    let (_, _, rows32) = generic_rosenbrock_hessian(&x32);
    for i in 0..3 {
        for j in 0..3 {
            let (a, b) = (f64::from(rows32[i].x[j]), computed[i][j]);
            assert!(
                (a - b).abs() < 1e-3 * (1.0 + b.abs()),
                "f32 H[{i}][{j}] {a} vs {b}"
            );
        }
    }
    let v = GenericRosenbrockGrad {
        x: vec![1.0, 0.5, -2.0],
    };
    let (_, _, hv) = generic_rosenbrock_hvp(&x, &v);
    for i in 0..3 {
        let expected: f64 = (0..3).map(|j| computed[i][j] * v.x[j]).sum();
        assert_close("generic H·v", hv.x[i], expected, 1e-12);
    }
}

#[differentiate]
fn generic_step_loss(x: &[f64], lr: f64) -> f64 {
    let (_, g) = generic_rosenbrock_grad(x);
    let mut s = 0.0;
    for i in 0..x.len() {
        let moved = x[i] - lr * g.x[i];
        s += moved * moved * (i as f64 + 1.0);
    }
    s
}

#[test]
fn nested_gradient_of_a_generic_hessian_function() {
    let x = [0.3, -0.4, 1.2];
    let (value, grad) = generic_step_loss_grad(&x, 0.01);
    assert_eq!(value, generic_step_loss(&x, 0.01));
    let fd = central_difference(|p: &[f64]| generic_step_loss(p, 0.01), &x);
    for i in 0..3 {
        assert_close("∂/∂x", grad.x[i], fd[i], 1e-6);
    }
}

// ---- Hessians of functions that contain a nested gradient (third derivatives) ----

#[differentiate(hessian)]
fn cubes(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i] * x[i];
    }
    s
}

/// QA Q7 (2026-12-06): the loss after one gradient step, itself `hessian`: its Hessian
/// differentiates `cubes_grad` twice (dual numbers of dual numbers).
#[differentiate(hessian)]
fn cubes_step_loss(x: &[f64], lr: f64) -> f64 {
    let (_, g) = cubes_grad(x);
    let mut s = 0.0;
    for i in 0..x.len() {
        let m = x[i] - lr * g.x[i];
        s += m * m;
    }
    s
}

#[test]
fn hessian_of_a_function_with_a_nested_gradient() {
    let (x, lr) = ([0.4, -0.7, 1.1], 0.2);
    let (value, grad, rows) = cubes_step_loss_hessian(&x, lr);
    assert_eq!(value, cubes_step_loss(&x, lr));
    // m_i = x_i − 3·lr·x_i²: closed forms of the gradient and the Hessian.
    let m: Vec<f64> = x.iter().map(|x| x - 3.0 * lr * x * x).collect();
    let dm: Vec<f64> = x.iter().map(|x| 1.0 - 6.0 * lr * x).collect();
    for i in 0..3 {
        assert_close("∂/∂x", grad.x[i], 2.0 * m[i] * dm[i], 1e-12);
        for j in 0..3 {
            let expected = if i == j {
                2.0 * dm[i] * dm[i] - 12.0 * lr * m[i]
            } else {
                0.0
            };
            assert_close("∂²/∂x∂x", rows[i].x[j], expected, 1e-12);
        }
        let mixed = -6.0 * x[i] * x[i] * dm[i] - 12.0 * m[i] * x[i];
        assert_close("∂²/∂x∂lr", rows[i].lr, mixed, 1e-12);
        assert_close("∂²/∂lr∂x", rows[3].x[i], mixed, 1e-12);
    }
    let d_lr: f64 = (0..3).map(|i| -6.0 * m[i] * x[i] * x[i]).sum();
    assert_close("∂/∂lr", grad.lr, d_lr, 1e-12);
    let d_lr_lr: f64 = x.iter().map(|x| 18.0 * x.powi(4)).sum();
    assert_close("∂²/∂lr²", rows[3].lr, d_lr_lr, 1e-12);
    // And against central differences of the gradient.
    let mut p = x.to_vec();
    p.push(lr);
    let flat = |r: &CubesStepLossGrad| {
        let mut out = r.x.clone();
        out.push(r.lr);
        out
    };
    let computed = dense(&rows, flat);
    let fd = hessian_by_differences(|p| flat(&cubes_step_loss_grad(&p[..3], p[3]).1), &p);
    assert_matrices_close("cubes_step_loss", &computed, &fd, 1e-6);
    assert_symmetric(&computed);
}

#[test]
fn a_nested_gradient_step_in_forward_mode() {
    // `loss_after_step` (above) through f_jvp: the nested `potential_grad` runs forward
    // as `potential_grad_jvp` (an HVP); the same directional derivative as f_grad's.
    let q = [0.7, -1.2, 0.1];
    let lr = 0.3;
    let tangent = LossAfterStepGrad {
        q: vec![0.5, 1.0, -2.0],
        lr: 0.7,
    };
    let (value, slope) = loss_after_step_jvp(&q, lr, &tangent);
    assert_eq!(value, loss_after_step(&q, lr));
    let (_, grad) = loss_after_step_grad(&q, lr);
    let dot: f64 = (0..3).map(|i| grad.q[i] * tangent.q[i]).sum::<f64>() + grad.lr * tangent.lr;
    assert_close("⟨∇f, v⟩", slope, dot, 1e-12);
    let along = |e: f64| {
        let p: Vec<f64> = (0..3).map(|i| q[i] + e * tangent.q[i]).collect();
        loss_after_step(&p, lr + e * tangent.lr)
    };
    let fd = central_difference(|e: &[f64]| along(e[0]), &[0.0])[0];
    assert_close("d/dε f(q + εv)", slope, fd, 1e-6);
}

/// QA Q4 (2026-12-06): a nested gradient of a generic `hessian` function inside a generic
/// function (which gets the bounds `generic_rosenbrock_grad` asks of `T`).
#[allow(clippy::assign_op_pattern)] // `s += ..` needs more of `T` than `Float`
#[differentiate]
fn generic_caller_step_loss<T>(x: &[T], lr: T) -> T
where
    T: num_traits::Float + num_traits::FromPrimitive,
{
    let (_, g) = generic_rosenbrock_grad(x);
    let mut s = T::zero();
    for i in 0..x.len() {
        let moved = x[i] - lr * g.x[i];
        s = s + moved * moved;
    }
    s
}

#[test]
fn nested_gradient_inside_a_generic_function() {
    let x = [0.3, -0.4, 1.2];
    let lr = 0.01;
    let (value, grad) = generic_caller_step_loss_grad(&x, lr);
    assert_eq!(value, generic_caller_step_loss(&x, lr));
    let mut p = x.to_vec();
    p.push(lr);
    let fd = central_difference(|p: &[f64]| generic_caller_step_loss(&p[..3], p[3]), &p);
    for i in 0..3 {
        assert_close("∂/∂x", grad.x[i], fd[i], 1e-6);
    }
    assert_close("∂/∂lr", grad.lr, fd[3], 1e-6);
    // The same function in f32.
    let x32 = [0.3f32, -0.4, 1.2];
    let (_, grad32) = generic_caller_step_loss_grad(&x32, 0.01f32);
    for i in 0..3 {
        let (a, b) = (f64::from(grad32.x[i]), grad.x[i]);
        assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "f32 ∂/∂x[{i}]");
    }
}

//! The functions of the golden expansions in `macros/tests/expand/`, run: each source is
//! included as written and its gradient checked against a closed form or central
//! differences, so a golden file never shows code that computes a wrong gradient.

use tapeless::check::central_difference;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + b.abs())
}

mod arrays {
    use tapeless::differentiate;
    include!("../macros/tests/expand/arrays.rs");
}

mod scratch_arrays {
    #![allow(clippy::needless_range_loop)]
    use tapeless::differentiate;
    include!("../macros/tests/expand/scratch_arrays.rs");
}

mod fused {
    #![allow(clippy::needless_range_loop)]
    use tapeless::differentiate;
    include!("../macros/tests/expand/fused.rs");
}

mod calls {
    use tapeless::differentiate;
    include!("../macros/tests/expand/calls.rs");
}

mod map_closures {
    use nalgebra::DVector;
    use tapeless::differentiate;
    include!("../macros/tests/expand/map_closures.rs");
}

mod parameter_structs {
    use tapeless::{differentiate, Differentiable};
    include!("../macros/tests/expand/parameter_structs.rs");
}

mod methods {
    use tapeless::{differentiate, Differentiable};
    include!("../macros/tests/expand/methods.rs");
}

mod generics {
    use num_traits::Float;
    use tapeless::differentiate;
    include!("../macros/tests/expand/generics.rs");
}

#[test]
fn scratch_arrays_rewritten_per_point() {
    // d = 3: the diagonal's 3 logs, then the strict lower triangle's 3 entries.
    let w = [0.2, -0.4, 0.1, 0.7, -0.3, 0.5];
    let x = [0.3, 1.1, -0.6, -0.8, 0.4, 0.9];
    let f = |w: &[f64]| scratch_arrays::scratch(w, &x, 3, 2);
    let (value, g) = scratch_arrays::scratch_grad(&w, &x, 3, 2);
    assert_eq!(value, f(&w));
    let numeric = central_difference(f, &w);
    for (a, b) in g.w.iter().zip(&numeric) {
        assert!(close(*a, *b, 1e-6), "{:?} vs {numeric:?}", g.w);
    }
}

#[test]
fn fused_loops_onto_one_mean() {
    let (x, w) = ([0.3, -0.8, 1.1, 0.45], 0.7);
    let f = |p: &[f64]| fused::mean_square(&p[..4], p[4]);
    let (value, g) = fused::mean_square_grad(&x, w);
    let point = [&x[..], &[w]].concat();
    assert_eq!(value, f(&point));
    let analytic = [&g.x[..], &[g.w]].concat();
    let numeric = central_difference(f, &point);
    for (a, b) in analytic.iter().zip(&numeric) {
        assert!(close(*a, *b, 1e-6), "{analytic:?} vs {numeric:?}");
    }
}

#[test]
fn transcendental_results_kept_for_the_replay() {
    let (a, s, xs) = ([0.2, -0.4, 0.1], [0.3, -0.1, 0.5], [0.7, -0.2, 1.3, 0.4]);
    let f = |p: &[f64]| scratch_arrays::kept(&p[..3], &p[3..6], &p[6..]);
    let (value, g) = scratch_arrays::kept_grad(&a, &s, &xs);
    let point = [&a[..], &s, &xs].concat();
    assert_eq!(value, f(&point));
    let analytic = [&g.a[..], &g.s, &g.xs].concat();
    let numeric = central_difference(f, &point);
    for (a, b) in analytic.iter().zip(&numeric) {
        assert!(close(*a, *b, 1e-6), "{analytic:?} vs {numeric:?}");
    }
}

#[test]
fn array_written_in_place_and_re_read() {
    let xs = [0.5, -1.25, 2.0, 7.0];
    let y = 1.5;
    let (value, g) = arrays::squares_then_weights_grad(&xs, y);
    assert_eq!(value, arrays::squares_then_weights(&xs, y));
    // f = y · Σ_{i<3} x_i³: ∂/∂x_i = 3 y x_i² for i < 3, 0 beyond; ∂/∂y = Σ_{i<3} x_i³.
    for (i, x) in xs.iter().enumerate() {
        let expected = if i < 3 { 3.0 * y * x * x } else { 0.0 };
        assert!(close(g.xs[i], expected, 1e-14), "xs[{i}]: {}", g.xs[i]);
    }
    let cubes: f64 = xs[..3].iter().map(|x| x * x * x).sum();
    assert!(close(g.y, cubes, 1e-14), "y: {}", g.y);
}

#[test]
fn split_mode_call() {
    let (x, y) = (0.7, -1.3);
    let (value, g) = calls::split_call_grad(x, y);
    assert_eq!(value, calls::split_call(x, y));
    // f = (x y)² + y.
    assert!(close(g.x, 2.0 * x * y * y, 1e-14), "x: {}", g.x);
    assert!(close(g.y, 2.0 * x * x * y + 1.0, 1e-14), "y: {}", g.y);
}

#[test]
fn joint_mode_calls_in_a_loop() {
    let xs = [0.5, -1.0, 2.5];
    let c = 0.25;
    let (value, g) = calls::joint_calls_grad(&xs, c);
    assert_eq!(value, calls::joint_calls(&xs, c));
    // f = Σ (x_i − c)².
    for (i, x) in xs.iter().enumerate() {
        assert!(close(g.xs[i], 2.0 * (x - c), 1e-14), "xs[{i}]: {}", g.xs[i]);
    }
    let expected_c: f64 = xs.iter().map(|x| -2.0 * (x - c)).sum();
    assert!(close(g.c, expected_c, 1e-14), "c: {}", g.c);
}

#[test]
fn recursion_with_boxed_pullbacks() {
    let (x, n) = (0.4, 9);
    let (value, g) = calls::iterate_grad(x, n);
    assert_eq!(value, calls::iterate(x, n));
    // y_k = sin(0.9 y_{k-1} + x), y_0 = x: dy_k = cos(..)(0.9 dy_{k-1} + 1), dy_0 = 1.
    let (mut y, mut dy) = (x, 1.0);
    for _ in 0..n {
        let u = 0.9 * y + x;
        (y, dy) = (u.sin(), u.cos() * (0.9 * dy + 1.0));
    }
    assert!(close(value, y, 1e-14));
    assert!(close(g.x, dy, 1e-13), "x: {} vs {dy}", g.x);
}

#[test]
fn map_closure_without_capture() {
    let v = nalgebra::DVector::from_vec(vec![0.3, -1.1, 2.0]);
    let (value, g) = map_closures::mapped_grad(&v);
    assert_eq!(value, map_closures::mapped(&v));
    for i in 0..v.len() {
        let t = v[i].tanh();
        assert!(close(g.v[i], 1.0 - t * t, 1e-14), "v[{i}]: {}", g.v[i]);
    }
}

#[test]
fn map_closure_with_a_capture() {
    let v = nalgebra::DVector::from_vec(vec![0.3, -1.1, 2.0]);
    let s = 1.75;
    let (value, g) = map_closures::mapped_capture_grad(&v, s);
    assert_eq!(value, map_closures::mapped_capture(&v, s));
    for i in 0..v.len() {
        assert!(close(g.v[i], s, 1e-14), "v[{i}]: {}", g.v[i]);
    }
    assert!(close(g.s, v.sum(), 1e-14), "s: {}", g.s);
}

#[test]
fn parameter_struct_fields() {
    let line = parameter_structs::Line {
        slope: 0.8,
        intercept: -0.3,
    };
    let (x, y) = (1.7, 0.4);
    let (value, g) = parameter_structs::line_error_grad(&line, x, y);
    assert_eq!(value, parameter_structs::line_error(&line, x, y));
    let numeric = central_difference(
        |p: &[f64]| {
            let line = parameter_structs::Line {
                slope: p[0],
                intercept: p[1],
            };
            parameter_structs::line_error(&line, p[2], p[3])
        },
        &[line.slope, line.intercept, x, y],
    );
    let ours = [g.line.slope, g.line.intercept, g.x, g.y];
    for k in 0..4 {
        assert!(
            close(ours[k], numeric[k], 1e-7),
            "{k}: {} vs {}",
            ours[k],
            numeric[k]
        );
    }
}

#[test]
fn method_with_self() {
    let spring = methods::Spring { k: 3.0, rest: 1.5 };
    let x = 2.5;
    let (value, g) = spring.energy_grad(x);
    assert_eq!(value, spring.energy(x));
    // E = ½ k (x − rest)².
    let stretch = x - spring.rest;
    assert!(close(g.x, spring.k * stretch, 1e-14), "x: {}", g.x);
    assert!(
        close(g.self_.k, 0.5 * stretch * stretch, 1e-14),
        "k: {}",
        g.self_.k
    );
    assert!(
        close(g.self_.rest, -spring.k * stretch, 1e-14),
        "rest: {}",
        g.self_.rest
    );
}

#[test]
fn methods_of_fields_in_a_loop() {
    let spring = |k: f64, rest: f64| methods::Spring { k, rest };
    let p = methods::Pair {
        left: spring(2.0, 0.5),
        right: spring(0.7, -0.3),
    };
    let xs = [0.3, -1.2, 2.0];
    let (value, g) = methods::total_energy_grad(&p, &xs);
    assert_eq!(value, methods::total_energy(&p, &xs));
    // E(x) = ½k(x − r)²: Σ E_l(x)·E_r(−x); ∂/∂k_l = Σ ½(x − r_l)²·E_r(−x).
    let e = |s: &methods::Spring, x: f64| 0.5 * s.k * (x - s.rest) * (x - s.rest);
    let dk_left: f64 = xs
        .iter()
        .map(|&x| 0.5 * (x - 0.5) * (x - 0.5) * e(&p.right, -x))
        .sum();
    let dr_right: f64 = xs.iter().map(|&x| e(&p.left, x) * -0.7 * (-x + 0.3)).sum();
    assert!(
        close(g.p.left.k, dk_left, 1e-13),
        "{} vs {dk_left}",
        g.p.left.k
    );
    assert!(
        close(g.p.right.rest, dr_right, 1e-13),
        "{} vs {dr_right}",
        g.p.right.rest
    );
}

#[test]
fn generic_float_loop() {
    let xs = [0.5_f64, -1.5, 2.0];
    let p = 2.5;
    let (value, g) = generics::power_sum_grad(&xs, p);
    assert_eq!(value, generics::power_sum(&xs, p));
    // f = Σ |x|^p: ∂/∂x = p |x|^(p−1) sign(x); ∂/∂p = Σ |x|^p ln|x|.
    for (i, x) in xs.iter().enumerate() {
        let expected = p * x.abs().powf(p - 1.0) * x.signum();
        assert!(close(g.xs[i], expected, 1e-14), "xs[{i}]: {}", g.xs[i]);
    }
    let expected_p: f64 = xs.iter().map(|x| x.abs().powf(p) * x.abs().ln()).sum();
    assert!(close(g.p, expected_p, 1e-14), "p: {}", g.p);
    // The same function at f32.
    let xs32 = [0.5_f32, -1.5, 2.0];
    let (_, g32) = generics::power_sum_grad(&xs32, 2.5_f32);
    assert!((f64::from(g32.p) - expected_p).abs() < 1e-4);
}

mod hessian {
    use tapeless::differentiate;
    include!("../macros/tests/expand/hessian.rs");
}

#[test]
fn hessian_of_a_slice_function() {
    let (x, k) = ([0.4, 1.3], 2.5);
    let (value, g, rows) = hessian::stretch_hessian(&x, k);
    assert_eq!(value, hessian::stretch(&x, k));
    // f = k·d²/2 + sin x₀ with d = x₁ − x₀.
    let d = x[1] - x[0];
    assert!(close(g.x[0], -k * d + x[0].cos(), 1e-14));
    assert!(close(g.x[1], k * d, 1e-14));
    assert!(close(g.k, d * d / 2.0, 1e-14));
    let expected = [[k - x[0].sin(), -k, -d], [-k, k, d], [-d, d, 0.0]];
    for (row, e) in rows.iter().zip(expected) {
        let flat = [row.x[0], row.x[1], row.k];
        for (a, b) in flat.iter().zip(e) {
            assert!(close(*a, b, 1e-14), "{flat:?} vs {e:?}");
        }
    }
}

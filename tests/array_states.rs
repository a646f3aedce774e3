//! Arrays reassigned whole from array literals (`s = [s[0] + dt * s[1], s[1] - dt * s[0]];`),
//! as time-stepping code keeps its state: the elements are evaluated first, then written by
//! index, so the state is an array written by index (was "an array literal is not supported
//! on values that depend on a differentiated parameter": QA session 30). Against closed
//! forms, central differences and `f_jvp` by the dot-product test.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

/// Symplectic Euler for a unit oscillator: the state is `[x, v]`.
#[differentiate]
fn oscillator(x0: f64, v0: f64, dt: f64) -> f64 {
    let mut s = [x0, v0];
    for _ in 0..50 {
        let v = s[1] - dt * s[0];
        s = [s[0] + dt * v, v];
    }
    s[0] * s[0] + 0.5 * s[1]
}

/// The state swapped by a literal that reads it, under a branch on a differentiated value.
#[differentiate]
fn swaps(a: f64, b: f64) -> f64 {
    let mut s = [a, b];
    for k in 0..5 {
        if s[0] > s[1] {
            s = [s[1], s[0] * 0.5];
        } else {
            s = [s[0] * (k as f64 + 1.0), s[1]];
        }
    }
    s[0] + 3.0 * s[1]
}

#[differentiate]
fn generic_state<T: Float>(x0: T, dt: T) -> T {
    let mut s = [x0, T::zero()];
    for _ in 0..10 {
        s = [s[0] + dt * s[1], s[1] - dt * s[0]];
    }
    s[0]
}

/// Data arrays reassigned whole beside a differentiated value.
#[differentiate(wrt(x))]
fn data_state(x: f64, n: usize) -> f64 {
    let mut order = [0usize, 1];
    let mut s = 0.0;
    for _ in 0..n {
        order = [order[1], order[0]];
        s += x * (order[0] as f64 + 1.0);
    }
    s
}

#[test]
fn state_arrays_against_differences_and_forward_mode() {
    let p = [0.7, -0.3, 0.05];
    let (value, g) = oscillator_grad(p[0], p[1], p[2]);
    assert_eq!(value, oscillator(p[0], p[1], p[2]));
    let analytic = [g.x0, g.v0, g.dt];
    check_gradient(
        |p| oscillator(p[0], p[1], p[2]),
        &p,
        &analytic,
        Tolerance::default(),
    )
    .unwrap();
    let v = [0.3, -0.8, 0.5];
    let (_, jvp) = oscillator_jvp(
        p[0],
        p[1],
        p[2],
        &OscillatorGrad {
            x0: v[0],
            v0: v[1],
            dt: v[2],
        },
    );
    let dot: f64 = analytic.iter().zip(v).map(|(a, b)| a * b).sum();
    assert!((dot - jvp).abs() < 1e-12 * (1.0 + dot.abs()));
}

#[test]
fn swapped_states_under_branches() {
    // Piecewise linear: checked against differences away from the ties.
    for (a, b) in [(2.1, 0.9), (0.4, 1.3), (-0.5, -0.7)] {
        let (value, g) = swaps_grad(a, b);
        assert_eq!(value, swaps(a, b));
        check_gradient(
            |p| swaps(p[0], p[1]),
            &[a, b],
            &[g.a, g.b],
            Tolerance::default(),
        )
        .unwrap();
    }
}

#[test]
fn generic_and_data_states() {
    // A rotation by the matrix [[1, dt], [−dt, 1]] ten times: linear in x0.
    let (value, g) = generic_state_grad(0.5f64, 0.1);
    assert!((g.x0 - value / 0.5).abs() < 1e-15);
    let (value32, g32) = generic_state_grad(0.5f32, 0.1);
    assert!((g32.x0 - value32 / 0.5).abs() < 1e-6);
    check_gradient(
        |p| generic_state(p[0], p[1]),
        &[0.5, 0.1],
        &[g.x0, g.dt],
        Tolerance::default(),
    )
    .unwrap();
    // order alternates [1, 0], [0, 1], ...: factors 2, 1, 2.
    assert_eq!(data_state_grad(1.5, 3).1.x, 5.0);
}

#[differentiate(hessian)]
fn oscillator_energy(x0: f64, v0: f64) -> f64 {
    let mut s = [x0, v0];
    for _ in 0..3 {
        s = [s[0] + 0.1 * s[1], s[1] - 0.1 * s[0]];
    }
    s[0] * s[0] + s[1] * s[1]
}

#[test]
fn hessian_of_a_state_array_loop() {
    // The map is linear, M = [[1, .1], [−.1, 1]], and M ᵀM = 1.01 I: each step scales the
    // energy by 1.01, so H = 2 · 1.01³ I.
    let (value, _, rows) = oscillator_energy_hessian(0.3, -0.2);
    assert_eq!(value, oscillator_energy(0.3, -0.2));
    let h = 2.0 * 1.01f64.powi(3);
    assert!((rows[0].x0 - h).abs() < 1e-12 && rows[0].v0.abs() < 1e-12);
    assert!((rows[1].v0 - h).abs() < 1e-12 && rows[1].x0.abs() < 1e-12);
}

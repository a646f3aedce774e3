//! Recursion (issue 12): a function calling itself, two functions calling each other, a
//! method calling itself through `self.m(..)`, in `f64`, `f32` and generic code. A call of
//! the function itself is split with a boxed pullback (its forward sweep keeps the level
//! below's reverse sweep on the heap), so every level runs its forward code once; the
//! counts below check that, with a `#[custom_vjp]` identity that counts its evaluations
//! (itself evaluated twice below the top level: a call inside a pullback other than of the
//! function itself is joint, its `f_vjp` computing its value again, so the bound is twice
//! the primal's count, where joint recursion grows with the depth).
//! Calls between two functions stay joint (the reverse sweep calls the other's `f_vjp`).
//! Oracles: closed forms, central differences, and the loop the recursion means.

use std::cell::Cell;

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::{custom_vjp, differentiate};

/// xⁿ by repeated squaring, recursively: x^(2k) = (x^k)², x^(2k+1) = x·(x^k)².
#[differentiate]
fn power(x: f64, n: u32) -> f64 {
    if n == 0 {
        1.0
    } else {
        let half = power(x, n / 2);
        if n.is_multiple_of(2) {
            half * half
        } else {
            x * half * half
        }
    }
}

#[test]
fn self_recursion_matches_the_closed_form() {
    for (x, n) in [(1.3, 5u32), (-0.7, 6), (2.0, 1), (0.4, 0)] {
        let (v, g) = power_grad(x, n);
        assert_eq!(v, power(x, n));
        assert!((v - x.powi(n as i32)).abs() < 1e-12);
        // d/dx xⁿ = n xⁿ⁻¹
        let expected = if n == 0 {
            0.0
        } else {
            n as f64 * x.powi(n as i32 - 1)
        };
        assert!((g.x - expected).abs() < 1e-12, "{} vs {expected}", g.x);
    }
}

/// The determinant by expansion along the first row, recursively on the minors (as
/// GradBench's det eval's reference does): `a` is n×n, row-major.
#[differentiate]
fn det(a: &[f64], n: usize) -> f64 {
    if n == 1 {
        return a[0];
    }
    let mut total = 0.0;
    let mut sign = 1.0;
    for j in 0..n {
        let mut minor = vec![0.0; (n - 1) * (n - 1)];
        for r in 1..n {
            let mut c = 0;
            for k in 0..n {
                if k != j {
                    minor[(r - 1) * (n - 1) + c] = a[r * n + k];
                    c += 1;
                }
            }
        }
        total += sign * a[j] * det(&minor, n - 1);
        sign = -sign;
    }
    total
}

#[test]
fn recursive_determinant_has_the_cofactor_gradient() {
    // ∂det/∂a_ij = det(A)·(A⁻¹)_ji (Jacobi's formula), checked with nalgebra.
    let a = [
        2.0, -1.0, 0.5, 0.3, 1.5, -0.2, 0.7, 0.1, 1.2, 0.0, 0.4, -0.6, 0.9, 0.2, -0.3, 1.1,
    ];
    let m = nalgebra::DMatrix::from_row_slice(4, 4, &a);
    let (v, g) = det_grad(&a, 4);
    assert!((v - m.determinant()).abs() < 1e-12);
    let inverse = m.clone().try_inverse().unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let expected = m.determinant() * inverse[(j, i)];
            assert!((g.a[i * 4 + j] - expected).abs() < 1e-12);
        }
    }
}

/// Two functions calling each other: e(n) = sin(o(n − 1))·x, o(n) = cos(e(n − 1)) + x.
#[differentiate]
fn even(n: u32, x: f64) -> f64 {
    if n == 0 {
        x
    } else {
        odd(n - 1, x).sin() * x
    }
}

#[differentiate]
fn odd(n: u32, x: f64) -> f64 {
    if n == 0 {
        x * x
    } else {
        even(n - 1, x).cos() + x
    }
}

#[test]
fn mutual_recursion_matches_central_differences() {
    for (n, x) in [(5u32, 0.4), (4, -1.1), (0, 0.3)] {
        let (v, g) = even_grad(n, x);
        assert_eq!(v, even(n, x));
        check_gradient(|p| even(n, p[0]), &[x], &[g.x], Tolerance::default()).unwrap();
        let (_, g) = odd_grad(n, x);
        check_gradient(|p| odd(n, p[0]), &[x], &[g.x], Tolerance::default()).unwrap();
    }
}

/// Generic: the continued fraction 1 + x/(1 + x/(1 + ..)), n levels deep.
#[differentiate]
fn continued<T: Float>(x: T, n: u32) -> T {
    if n == 0 {
        T::one()
    } else {
        T::one() + x / continued(x, n - 1)
    }
}

#[test]
fn generic_recursion_in_f64_and_f32() {
    for (x, n) in [(0.5, 6u32), (2.0, 3)] {
        let (v, g) = continued_grad(x, n);
        assert_eq!(v, continued(x, n));
        check_gradient(|p| continued(p[0], n), &[x], &[g.x], Tolerance::default()).unwrap();
        let (v32, g32) = continued_grad(x as f32, n);
        assert_eq!(v32, continued(x as f32, n));
        assert!((g32.x as f64 - g.x).abs() < 1e-5 * g.x.abs().max(1.0));
    }
}

/// `f32`: a recursive exponential smoothing of a slice, s(xs) = a·xs[0] + (1 − a)·s(xs[1..]).
#[differentiate]
fn smooth(xs: &[f32], a: f32) -> f32 {
    if xs.len() == 1 {
        xs[0]
    } else {
        a * xs[0] + (1.0 - a) * smooth(&xs[1..], a)
    }
}

#[test]
fn f32_recursion_on_sub_slices() {
    let xs = [0.5f32, -1.0, 2.0, 0.25];
    let a = 0.3f32;
    let (v, g) = smooth_grad(&xs, a);
    assert_eq!(v, smooth(&xs, a));
    // Closed form: ∂s/∂xs[k] = a(1 − a)^k for k < n − 1, (1 − a)^(n−1) for the last.
    for k in 0..4 {
        let expected = if k < 3 {
            a * (1.0 - a).powi(k as i32)
        } else {
            (1.0 - a).powi(3)
        };
        assert!((g.xs[k] - expected).abs() < 1e-6);
    }
    let wide: Vec<f64> = xs.iter().map(|&v| v as f64).collect();
    let fd = |p: &[f64]| {
        let x: Vec<f32> = wide.iter().map(|&v| v as f32).collect();
        smooth(&x, p[0] as f32) as f64
    };
    check_gradient(fd, &[a as f64], &[g.a as f64], Tolerance { relative: 1e-2 }).unwrap();
}

#[derive(tapeless::Differentiable, Clone)]
struct Decay {
    k: f64,
}

#[differentiate]
impl Decay {
    /// n steps of y ← cos(k·y), recursively through `self.step(..)`.
    #[differentiate]
    fn step(&self, n: u32, y: f64) -> f64 {
        if n == 0 {
            y
        } else {
            self.step(n - 1, (self.k * y).cos())
        }
    }
}

#[test]
fn a_method_calling_itself() {
    let d = Decay { k: 0.8 };
    let (v, g) = d.step_grad(4, 0.3);
    assert_eq!(v, d.step(4, 0.3));
    check_gradient(
        |p| Decay { k: p[0] }.step(4, p[1]),
        &[0.8, 0.3],
        &[g.self_.k, g.y],
        Tolerance::default(),
    )
    .unwrap();
}

/// Forward mode through recursion: `f_jvp` calls itself.
#[test]
fn forward_mode_through_recursion() {
    let (v, g) = power_grad(1.3, 7);
    let (v2, d) = power_jvp(1.3, 7, &PowerGrad { x: 2.0 });
    assert_eq!(v, v2);
    assert!((d - 2.0 * g.x).abs() < 1e-12);
    let a = [1.0, 2.0, -0.5, 0.3, 0.7, 1.1, -0.2, 0.4, 0.9];
    let (_, g) = det_grad(&a, 3);
    let dir = [0.1, -0.3, 0.2, 0.5, 0.0, 0.4, -0.1, 0.6, 0.3];
    let (_, d) = det_jvp(&a, 3, &DetGrad { a: dir.to_vec() });
    let expected: f64 = g.a.iter().zip(dir).map(|(g, v)| g * v).sum();
    assert!((d - expected).abs() < 1e-12);
}

thread_local! {
    /// How many times `tick`'s forward code ran on this thread.
    static TICKS: Cell<usize> = const { Cell::new(0) };
}

/// The identity, counting its evaluations.
#[custom_vjp(tick_rule)]
fn tick(x: f64) -> f64 {
    TICKS.with(|t| t.set(t.get() + 1));
    x
}

fn tick_rule(_x: f64, seed: f64) -> f64 {
    seed
}

/// How many times `f` evaluates `tick`, and its result.
#[allow(clippy::type_complexity)]
fn ticks<R>(f: impl FnOnce() -> R) -> (usize, R) {
    TICKS.with(|t| t.set(0));
    let r = f();
    (TICKS.with(Cell::get), r)
}

/// n steps of y ← sin(0.9·y + x), recursively: each level evaluates `tick` once.
#[differentiate]
fn iterate(x: f64, n: u32) -> f64 {
    if n == 0 {
        x
    } else {
        (0.9 * tick(iterate(x, n - 1)) + x).sin()
    }
}

/// The same steps as a loop: the oracle.
fn iterate_loop(x: f64, n: u32) -> (f64, f64) {
    let (mut y, mut dy) = (x, 1.0);
    for _ in 0..n {
        let u = 0.9 * y + x;
        (y, dy) = (u.sin(), u.cos() * (0.9 * dy + 1.0));
    }
    (y, dy)
}

#[test]
fn each_level_runs_its_forward_code_once() {
    for n in [0u32, 1, 7, 60] {
        let (primal, v) = ticks(|| iterate(0.4, n));
        assert_eq!(primal, n as usize);
        // Joint, level k was evaluated once per level above it: n(n + 1)/2 ticks and more.
        let (gradient, (v2, g)) = ticks(|| iterate_grad(0.4, n));
        assert!(gradient <= 2 * primal, "n = {n}: {gradient} ticks");
        assert_eq!(v, v2);
        let (y, dy) = iterate_loop(0.4, n);
        assert!((v - y).abs() < 1e-12);
        assert!((g.x - dy).abs() < 1e-10, "{} vs {dy}", g.x);
        let (vjp, (_, g3)) = ticks(|| iterate_vjp(0.4, n, 3.0));
        assert_eq!(vjp, gradient);
        assert!((g3.x - 3.0 * dy).abs() < 1e-9);
    }
}

/// A tree recursion, the calls in a loop: t(x, 0) = sin x, t(x, n) = ½ Σₖ t(wₖ x, n − 1).
#[differentiate]
fn tree(x: f64, n: u32) -> f64 {
    if n == 0 {
        return tick(x).sin();
    }
    let mut s = 0.0;
    for k in 0..3 {
        s += tree(x * (0.5 + 0.25 * k as f64), n - 1);
    }
    0.5 * s
}

#[test]
fn recursion_in_a_loop_runs_each_call_once() {
    for n in [0u32, 1, 4] {
        let (primal, v) = ticks(|| tree(0.8, n));
        let (gradient, (v2, g)) = ticks(|| tree_grad(0.8, n));
        assert_eq!(primal, 3usize.pow(n));
        // Joint, (n + 1)·3ⁿ.
        assert!(gradient <= 2 * primal, "n = {n}: {gradient} ticks");
        assert_eq!(v, v2);
        check_gradient(|p| tree(p[0], n), &[0.8], &[g.x], Tolerance::default()).unwrap();
        // Through a caller: the pullback of `tree` splits its own calls too.
        let (through, (_, g2)) = ticks(|| twice_tree_grad(0.8, n));
        assert!(through <= 4 * primal, "n = {n}: {through} ticks");
        assert!((g2.x - 2.0 * g.x).abs() < 1e-12 * g.x.abs().max(1.0));
    }
}

#[differentiate]
fn twice_tree(x: f64, n: u32) -> f64 {
    tree(x, n) + tree(x, n)
}

#[derive(tapeless::Differentiable, Clone)]
struct Counted {
    k: f64,
}

#[differentiate]
impl Counted {
    /// n steps of y ← k·y², recursively through `self.step(..)`, a tick per level.
    #[differentiate]
    fn step(&self, n: u32, y: f64) -> f64 {
        if n == 0 {
            y
        } else {
            let z = tick(self.k * y * y);
            self.step(n - 1, z)
        }
    }
}

#[test]
fn a_method_calling_itself_runs_each_level_once() {
    let c = Counted { k: 0.9 };
    let (primal, v) = ticks(|| c.step(12, 0.7));
    let (gradient, (v2, g)) = ticks(|| c.step_grad(12, 0.7));
    assert_eq!(primal, 12);
    assert!(gradient <= 2 * primal, "{gradient} ticks");
    assert_eq!(v, v2);
    check_gradient(
        |p| Counted { k: p[0] }.step(12, p[1]),
        &[0.9, 0.7],
        &[g.self_.k, g.y],
        Tolerance::default(),
    )
    .unwrap();
}

/// Recursion inside a loop that only accumulates (fused in `f_vjp`), through an element of
/// a slice: each call's pullback is pushed and popped in its iteration.
#[differentiate]
fn nested_sum(xs: &[f64], depth: u32) -> f64 {
    let mut s = 0.0;
    for x in xs {
        s += iterate(*x, depth) * x;
    }
    s
}

/// A recursion over an owned vector, by value (`to_vec` of the tail), with a `while` loop
/// around the call: the pullbacks on a growing stack.
#[differentiate]
fn owned_tail(v: Vec<f64>, a: f64) -> f64 {
    if v.len() < 2 {
        return v.iter().sum::<f64>() * a;
    }
    let mut k = 0;
    let mut total = 0.0;
    while k < 2 {
        total += (v[k] * a).tanh() + 0.5 * owned_tail(v[1..].to_vec(), a + 0.1 * k as f64);
        k += 1;
    }
    total
}

/// Only `x` differentiated (`wrt`), the recursion through a returned pair's first element.
#[differentiate(wrt(x))]
fn pair_recursion(x: f64, y: f64, n: u32) -> f64 {
    if n == 0 {
        x * y
    } else {
        let inner = pair_recursion(x * 0.7 + y, y, n - 1);
        inner.exp().ln_1p() + x
    }
}

#[test]
fn recursion_through_loops_owned_values_and_wrt() {
    let xs = [0.3, -0.6, 1.1, 0.2];
    let (v, g) = nested_sum_grad(&xs, 5);
    assert_eq!(v, nested_sum(&xs, 5));
    check_gradient(|p| nested_sum(p, 5), &xs, &g.xs, Tolerance::default()).unwrap();

    let w = vec![0.4, -0.2, 0.9, 0.1, 0.6];
    let (v, g) = owned_tail_grad(w.clone(), 0.8);
    assert_eq!(v, owned_tail(w.clone(), 0.8));
    let mut all = w.clone();
    all.push(0.8);
    let mut expected = g.v.clone();
    expected.push(g.a);
    let f = |p: &[f64]| owned_tail(p[..5].to_vec(), p[5]);
    check_gradient(f, &all, &expected, Tolerance::default()).unwrap();

    let (v, g) = pair_recursion_grad(0.5, 0.3, 6);
    assert_eq!(v, pair_recursion(0.5, 0.3, 6));
    check_gradient(
        |p| pair_recursion(p[0], 0.3, 6),
        &[0.5],
        &[g.x],
        Tolerance::default(),
    )
    .unwrap();
}

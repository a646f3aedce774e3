//! The gradient of scalar code allocates nothing: the forward sweep keeps its
//! intermediates in locals and the reverse sweep accumulates into locals, with no tape.
//!
//! A counting global allocator (wrapping `System`) counts the allocations made by the
//! current thread only, so the test harness's other threads cannot disturb a measurement.

use std::hint::black_box;

use tapeless::differentiate;

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{count_allocations, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The lecture example f(x) = √(x² + e^{x²}) + cos(x² + e^{x²}).
#[differentiate]
fn lecture(x: f64) -> f64 {
    let u = x * x + (x * x).exp();
    u.sqrt() + u.cos()
}

/// Several variables, compound assignment, blocks, integer data, and many methods.
#[differentiate]
fn composed(a: f64, b: f64, c: f64, n: usize) -> f64 {
    let mut acc = a.hypot(b) * c.tanh();
    acc += (a * b).sin().powi(2) - b.atan2(a + 3.0);
    acc *= 1.0 / (1.0 + (-c).exp());
    let w = {
        let t = c.mul_add(a, 0.5);
        t.exp2().sqrt() + t.max(0.0)
    };
    acc / (n as f64 + 1.0) - w.ln_1p() + a.clamp(-1.0, 1.0) * b.abs()
}

/// f32, with a cast through f64.
#[differentiate]
fn single(x: f32, y: f32) -> f32 {
    let z = (x * y).cos() + x.powf(y.abs() + 1.0);
    ((z as f64).sqrt() as f32) * y
}

/// A ReLU neuron restricted to its weight.
#[differentiate(wrt(w))]
fn neuron(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).max(0.0)
}

#[test]
fn the_counter_counts() {
    // Without this, a counter that never counts would make every test below pass.
    let (v, n) = count_allocations(|| Vec::<f64>::with_capacity(10));
    assert!(n >= 1, "Vec::with_capacity(10) was not counted");
    drop(v);
    let (s, n) = count_allocations(|| format!("{}", black_box(1.5_f64)));
    assert!(n >= 1, "format! was not counted");
    assert_eq!(s, "1.5");
    let (boxed, n) = count_allocations(|| Box::new(black_box(3.0_f64)));
    assert_eq!(n, 1);
    assert_eq!(*boxed, 3.0);
}

#[test]
fn lecture_gradient_does_not_allocate() {
    for x in [-1.5, -0.2, 0.0, 0.7, 2.0] {
        let ((value, grad), n) = count_allocations(|| lecture_grad(black_box(x)));
        assert_eq!(n, 0, "lecture_grad({x}) allocated {n} times");
        assert_eq!(value, lecture(x));
        assert!(grad.x.is_finite());

        let ((value, vjp), n) = count_allocations(|| lecture_vjp(black_box(x), black_box(-3.0)));
        assert_eq!(n, 0, "lecture_vjp({x}, -3) allocated {n} times");
        assert_eq!(value, lecture(x));
        assert!((vjp.x + 3.0 * grad.x).abs() <= 1e-12 * grad.x.abs().max(1.0));
    }
}

#[test]
fn composed_gradient_does_not_allocate() {
    for (a, b, c, n) in [
        (0.3, -1.2, 0.8, 3),
        (1.7, 0.4, -0.5, 0),
        (-0.9, 2.2, 1.1, 10),
    ] {
        let ((value, grad), count) =
            count_allocations(|| composed_grad(black_box(a), black_box(b), black_box(c), n));
        assert_eq!(count, 0, "composed_grad allocated {count} times");
        assert_eq!(value, composed(a, b, c, n));
        assert!(grad.a.is_finite() && grad.b.is_finite() && grad.c.is_finite());

        let ((value, vjp), count) =
            count_allocations(|| composed_vjp(black_box(a), black_box(b), black_box(c), n, 0.5));
        assert_eq!(count, 0, "composed_vjp allocated {count} times");
        assert_eq!(value, composed(a, b, c, n));
        assert_eq!(
            (vjp.a, vjp.b, vjp.c),
            (0.5 * grad.a, 0.5 * grad.b, 0.5 * grad.c)
        );
    }
}

#[test]
fn f32_and_wrt_gradients_do_not_allocate() {
    let ((value, grad), count) = count_allocations(|| single_grad(black_box(0.6), black_box(-1.3)));
    assert_eq!(count, 0, "single_grad allocated {count} times");
    assert_eq!(value, single(0.6, -1.3));
    assert!(grad.x.is_finite() && grad.y.is_finite());

    let ((_, vjp), count) = count_allocations(|| single_vjp(black_box(0.6), black_box(-1.3), 2.0));
    assert_eq!(count, 0, "single_vjp allocated {count} times");
    assert_eq!((vjp.x, vjp.y), (2.0 * grad.x, 2.0 * grad.y));

    let ((value, grad), count) = count_allocations(|| neuron_grad(black_box(1.5), 0.5, 2.0));
    assert_eq!(count, 0, "neuron_grad allocated {count} times");
    assert_eq!((value, grad.w), (3.5, 2.0));
    assert_eq!(value, neuron(1.5, 0.5, 2.0));

    let ((value, vjp), count) = count_allocations(|| neuron_vjp(black_box(1.5), 0.5, 2.0, 4.0));
    assert_eq!(count, 0, "neuron_vjp allocated {count} times");
    assert_eq!((value, vjp.w), (3.5, 8.0));
}

#[test]
fn many_calls_do_not_allocate() {
    // A gradient-descent loop: thousands of gradient evaluations, no allocation.
    let ((x, loss), count) = count_allocations(|| {
        let mut x = 1.0_f64;
        for _ in 0..10_000 {
            let (_, grad) = x_squared_loss_grad(black_box(x));
            x -= 0.01 * grad.x;
        }
        (x, x_squared_loss(x))
    });
    assert_eq!(count, 0, "10 000 gradient steps allocated {count} times");
    // The minimum of (x − 2)² + 1 is at x = 2.
    assert!((x - 2.0).abs() < 1e-9, "x = {x}");
    assert!((loss - 1.0).abs() < 1e-12);
}

#[differentiate]
fn x_squared_loss(x: f64) -> f64 {
    (x - 2.0).powi(2) + 1.0
}

/// Arrays written in a branch and read after it (BA's Rodrigues rotation): the reverse
/// sweep restores the branch's values from one slot each, in place (they were kept on the
/// heap, in a stack per value, though a branch runs at most once).
#[differentiate]
fn rotate_in_a_branch(r: [f64; 3], x: [f64; 3]) -> f64 {
    let sq = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    let mut y = [0.0; 3];
    if sq != 0.0 {
        let theta = sq.sqrt();
        let n = [r[0] / theta, r[1] / theta, r[2] / theta];
        let (c, s) = (theta.cos(), theta.sin());
        let dot = (n[0] * x[0] + n[1] * x[1] + n[2] * x[2]) * (1.0 - c);
        y[0] = x[0] * c + (n[1] * x[2] - n[2] * x[1]) * s + n[0] * dot;
        y[1] = x[1] * c + (n[2] * x[0] - n[0] * x[2]) * s + n[1] * dot;
        y[2] = x[2] * c + (n[0] * x[1] - n[1] * x[0]) * s + n[2] * dot;
    } else {
        y[0] = x[0] + r[1] * x[2] - r[2] * x[1];
        y[1] = x[1] + r[2] * x[0] - r[0] * x[2];
        y[2] = x[2] + r[0] * x[1] - r[1] * x[0];
    }
    y[0] / y[2] + y[1] * y[1]
}

#[test]
fn values_saved_in_a_branch_stay_in_place() {
    for (r, x) in [
        ([0.3, -0.2, 0.5], [1.0, 2.0, 4.0]),
        ([0.0, 0.0, 0.0], [0.5, -1.0, 3.0]),
    ] {
        let ((value, grad), n) = count_allocations(|| rotate_in_a_branch_grad(black_box(r), x));
        assert_eq!(n, 0, "rotate_in_a_branch_grad allocated {n} times");
        assert_eq!(value, rotate_in_a_branch(r, x));
        let point = [r[0], r[1], r[2], x[0], x[1], x[2]];
        let numeric = tapeless::check::central_difference(
            |p| rotate_in_a_branch([p[0], p[1], p[2]], [p[3], p[4], p[5]]),
            &point,
        );
        let analytic = [
            grad.r[0], grad.r[1], grad.r[2], grad.x[0], grad.x[1], grad.x[2],
        ];
        for (i, (a, b)) in analytic.iter().zip(&numeric).enumerate() {
            assert!(
                (a - b).abs() <= 1e-6 * 1f64.max(a.abs()).max(b.abs()),
                "coordinate {i} at r = {r:?}: {a} vs {b}"
            );
        }
    }
}

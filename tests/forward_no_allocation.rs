//! `f_jvp` of scalar and fixed-size code allocates nothing: one forward sweep with the
//! tangents in locals, loops carrying them in place, no tape and no stack.
//!
//! A counting global allocator (wrapping `System`) counts the allocations made by the
//! current thread only, so the test harness's other threads cannot disturb a measurement.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;

use nalgebra::{Matrix3, Vector3};
use tapeless::differentiate;

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{count_allocations, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[differentiate]
fn composed(a: f64, b: f64, c: f64, n: usize) -> f64 {
    let mut acc = a.hypot(b) * c.tanh();
    acc += (a * b).sin().powi(2) - b.atan2(a + 3.0);
    acc *= 1.0 / (1.0 + (-c).exp());
    acc / (n as f64 + 1.0) + a.clamp(-1.0, 1.0) * b.abs()
}

/// Loops with an early exit, an array written in place, a call.
#[differentiate]
fn looped(x: [f64; 4], y: f64) -> f64 {
    let mut a = [0.0; 4];
    let mut s = 0.0;
    for i in 0..4 {
        if s > 50.0 {
            break;
        }
        a[i] = x[i] * y + composed(x[i], y, 0.5, i);
        s += a[i] * a[i];
    }
    let mut k = 0;
    while k < 3 {
        s = s.sqrt() + y;
        k += 1;
    }
    s
}

#[differentiate]
fn f32_code(x: f32, y: f32) -> f32 {
    (x * y).cos() + x.powf(y.abs() + 1.0)
}

#[differentiate]
fn static_matrices(m: &Matrix3<f64>, v: Vector3<f64>) -> Vector3<f64> {
    let w = m * v;
    w.component_mul(&v).add_scalar(1.0)
}

#[test]
fn forward_mode_of_scalar_and_fixed_size_code_allocates_nothing() {
    let (_, n) = count_allocations(|| black_box(Vec::<f64>::with_capacity(3)));
    assert!(n >= 1, "the counter does not count");
    let (r, n) = count_allocations(|| {
        composed_jvp(
            black_box(0.3),
            black_box(-1.2),
            black_box(0.8),
            3,
            &ComposedGrad {
                a: 1.0,
                b: 0.5,
                c: -0.25,
            },
        )
    });
    assert_eq!(n, 0, "composed_jvp allocated");
    assert_eq!(r.0, composed(0.3, -1.2, 0.8, 3));
    let x = [0.5, -1.0, 1.5, 0.25];
    let (r, n) = count_allocations(|| {
        looped_jvp(
            black_box(x),
            black_box(0.7),
            &LoopedGrad {
                x: [1.0, 0.0, -1.0, 0.5],
                y: 2.0,
            },
        )
    });
    assert_eq!(n, 0, "looped_jvp allocated");
    assert_eq!(r.0, looped(x, 0.7));
    let (r, n) = count_allocations(|| {
        f32_code_jvp(
            black_box(0.4_f32),
            black_box(1.1),
            &F32CodeGrad { x: 1.0, y: 1.0 },
        )
    });
    assert_eq!(n, 0, "f32_code_jvp allocated");
    assert_eq!(r.0, f32_code(0.4, 1.1));
    let m = Matrix3::new(1.0, 2.0, 0.5, -1.0, 0.25, 3.0, 0.0, 1.5, -2.0);
    let v = Vector3::new(0.5, -0.25, 1.0);
    let tangent = StaticMatricesGrad {
        m: Matrix3::identity(),
        v: Vector3::new(1.0, 0.0, 2.0),
    };
    let (r, n) = count_allocations(|| static_matrices_jvp(black_box(&m), black_box(v), &tangent));
    assert_eq!(n, 0, "static_matrices_jvp allocated");
    assert_eq!(r.0, static_matrices(&m, v));
}

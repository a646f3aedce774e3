//! What `f_hvp` and `f_jacobian` allocate, counted by a global allocator (this thread's
//! allocations only): `f_hvp` of a `&[f64]` function reuses the lifted argument's and the
//! dual gradient's buffers for ∇f and H·v, so it allocates one `Vec` more than `f_grad`
//! (the lifted argument); `f_jacobian` of straight-line code with a fixed-size output runs
//! one forward sweep and allocates only the `Vec` of rows.

use tapeless::differentiate;

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{count_allocations, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[differentiate(hessian)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[differentiate]
fn polar(r: f64, theta: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = r * theta.cos();
    out[1] = r * theta.sin();
    out
}

#[test]
fn hvp_allocates_one_vec_more_than_the_gradient() {
    let x = [0.5, -1.25, 2.0, 0.75];
    let v = RosenbrockGrad {
        x: vec![1.0, -0.5, 0.25, 2.0],
    };
    let ((value, grad), grad_allocations) = count_allocations(|| rosenbrock_grad(&x));
    let ((hvp_value, hvp_grad, hv), hvp_allocations) = count_allocations(|| rosenbrock_hvp(&x, &v));
    assert_eq!(hvp_allocations, grad_allocations + 1);
    assert_eq!(hvp_value, value);
    for (a, b) in hvp_grad.x.iter().zip(&grad.x) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    }
    // H·v from the tridiagonal Hessian: H_ii = 2 − 400(x_{i+1} − 3x_i²) (+200 for i > 0),
    // H_{i,i+1} = H_{i+1,i} = −400 x_i.
    let n = x.len();
    for i in 0..n {
        let mut d = 0.0;
        if i + 1 < n {
            d += 2.0 - 400.0 * (x[i + 1] - 3.0 * x[i] * x[i]);
        }
        if i > 0 {
            d += 200.0;
        }
        let mut expected = d * v.x[i];
        if i + 1 < n {
            expected += -400.0 * x[i] * v.x[i + 1];
        }
        if i > 0 {
            expected += -400.0 * x[i - 1] * v.x[i - 1];
        }
        assert!(
            (hv.x[i] - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "(Hv)_{i}: {} vs {expected}",
            hv.x[i]
        );
    }
}

#[test]
fn jacobian_of_straight_line_code_allocates_only_its_rows() {
    let ((value, rows), allocations) = count_allocations(|| polar_jacobian(1.5, 0.25));
    assert_eq!(allocations, 1);
    assert_eq!(value, polar(1.5, 0.25));
    assert_eq!(rows.len(), 2);
    assert!((rows[1].theta - 1.5 * 0.25_f64.cos()).abs() < 1e-15);
}

#[test]
fn hessian_rows_hold_no_spare_capacity() {
    let x = [0.5, -1.25, 2.0];
    let (_, _, rows) = rosenbrock_hessian(&x);
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.x.capacity(), row.x.len(), "row {i}");
    }
    // H₀₁ = −400 x₀, symmetric.
    assert!((rows[0].x[1] + 400.0 * x[0]).abs() < 1e-9);
    assert_eq!(rows[0].x[1], rows[1].x[0]);
}

//! The forward helpers of scalars, arrays and fixed-size nalgebra matrices allocate
//! nothing (their results are values on the stack), counted by the workspace's counting
//! global allocator on the current thread.

#[path = "../../tests/support/counting_allocator.rs"]
mod counting_allocator;

use std::hint::black_box;

use counting_allocator::{count_allocations, CountingAllocator};
use nalgebra::{Matrix2x3, Matrix3, Matrix4, Vector3};
use tapeless_runtime::add_tangents;
use tapeless_runtime::elementwise::elementwise_tangent;
use tapeless_runtime::index::{copy_jvp, index2_jvp, index_jvp};
use tapeless_runtime::matrix::*;
use tapeless_runtime::nn;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn the_counter_counts() {
    // Without this, a counter that never counts would make the test below pass.
    let (v, n) = count_allocations(|| Vec::<f64>::with_capacity(10));
    assert!(n >= 1, "Vec::with_capacity(10) was not counted");
    drop(v);
}

#[test]
fn fixed_size_forward_helpers_allocate_nothing() {
    let a = black_box(Matrix3::new(
        4.0, 0.5, -0.25, 0.3, 3.0, 0.1, -0.2, 0.4, 5.0_f64,
    ));
    let t = black_box(Matrix3::new(
        0.1, 0.2, 0.3, -0.4, 0.5, -0.6, 0.7, 0.8, -0.9_f64,
    ));
    let v = black_box(Vector3::new(1.0, -2.0, 0.5_f64));
    let t_v = black_box(Vector3::new(0.25, 0.5, -1.0_f64));
    let m = black_box(Matrix2x3::new(0.5, -1.0, 1.5, 2.0, -0.25, 0.75_f64));
    let t_m = black_box(Matrix2x3::new(1.0, 0.5, -0.5, 0.25, 2.0, -1.0_f64));
    let big = black_box(Matrix4::<f64>::identity() * 3.0 + Matrix4::from_element(0.1));
    let t_big = black_box(Matrix4::from_element(0.2_f64));
    let arrays = black_box([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0_f64]]);

    let (total, n) = count_allocations(|| {
        let x = a.lu().solve(&v).unwrap();
        let y = a.try_inverse().unwrap();
        let quotient = m.component_div(&t_m);
        let mut s = 0.0;
        s += index_jvp(&1, &arrays[0]) + index2_jvp(&1, &2, &arrays);
        s += copy_jvp(&arrays)[1][0] + add_tangents(arrays, arrays)[0][2];
        s += transpose_jvp(&t_m)[(2, 1)];
        s += dot_jvp_self(&v, &t_v) + dot_jvp_rhs(&v, &t_v);
        s += norm_jvp(&v, &v.norm(), &t_v) + norm_squared_jvp(&v, &t_v);
        s += sum_jvp(&t_m) + mean_jvp(&t_m) + trace_jvp(&t);
        s += determinant_jvp(&a, &a.determinant(), &t);
        s += determinant_jvp(&big, &big.determinant(), &t_big);
        s += component_mul_jvp_self(&m, &m, &t_m)[0] + component_mul_jvp_rhs(&m, &m, &t_m)[1];
        s +=
            component_div_jvp_self(&t_m, &m, &m)[2] + component_div_jvp_rhs(&t_m, &quotient, &m)[3];
        s += add_scalar_jvp_self(&t_m)[4] + add_scalar_jvp_rhs(&m, &0.5)[5];
        s += column_jvp(&1, &t_m)[0] + row_jvp(&1, &t_m)[2];
        s += inverse_jvp(&y, &t)[(1, 2)];
        s += solve_jvp_self(&a, &x, &t)[0] + solve_jvp_b(&a, &t_v)[1];
        s += map_jvp(&m, &t_m, |x: f64, d: f64| d * x.cos())[3];
        s += add_tangents(t, t)[(2, 2)];
        s += nn::sigmoid_jvp(&0.3, &1.5) + nn::relu_jvp(&0.3, &1.5);
        s += nn::sigmoid_jvp(&nn::sigmoid(&m), &t_m)[0] + nn::relu_jvp(&nn::relu(&m), &t_m)[1];
        s += nn::softmax_jvp(&nn::softmax(&m), &t_m)[2];
        s += nn::log_sum_exp_jvp(&v, &nn::log_sum_exp(&v), &t_v);
        s += nn::cross_entropy_jvp(&m, &[1, 0, 1], &t_m);
        s += nn::mse_jvp_pred(&m, &t_m, &t_m) + nn::mse_jvp_target(&m, &t_m, &t_m);
        s += elementwise_tangent(&1.5_f32, &2.0_f32, |x, t| t * x) as f64;
        s
    });
    assert!(total.is_finite());
    assert_eq!(
        n, 0,
        "the forward helpers of fixed-size values allocated {n} times"
    );
}

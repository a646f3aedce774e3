//! Adversarial probes of the desugaring pre-pass, generic path forms, operands of unknown
//! type, hygiene and `max_iterations` loops (value bit for bit, gradient against central
//! differences, `f_vjp` linear in its seed).
#![allow(clippy::all)]

use num_traits::Float;
use tapeless::differentiate;

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

// ---- destructuring lets -------------------------------------------------------------

#[differentiate]
fn let_shadow_source(p: [f64; 2]) -> f64 {
    let [p, q] = p;
    p * q.sin()
}

#[test]
fn qa_let_array_shadowing_its_source() {
    probe!(x => let_shadow_source, let_shadow_source_grad, let_shadow_source_vjp, [[x[0], x[1]]], [p], [0.7, 1.3]);
}

#[differentiate]
fn let_swap(a: f64, b: f64) -> f64 {
    let (a, b) = (b, a);
    a * a * b
}

#[test]
fn qa_let_tuple_swap() {
    probe!(x => let_swap, let_swap_grad, let_swap_vjp, [x[0], x[1]], [a, b], [0.7, 1.3]);
}

#[differentiate]
fn let_array_swap(p: [f64; 2]) -> f64 {
    let [a, b] = p;
    let (b, a) = (a * 2.0, b);
    a * b.exp()
}

#[test]
fn qa_let_array_literal_swap() {
    probe!(x => let_array_swap, let_array_swap_grad, let_array_swap_vjp, [[x[0], x[1]]], [p], [0.7, 1.3]);
}

#[differentiate]
fn let_mut_reassigned(p: &[f64; 3]) -> f64 {
    let [mut a, b, mut c] = *p;
    for _ in 0..3 {
        a = a * b + c;
        c = c.sin();
    }
    a + c
}

#[test]
fn qa_let_mut_names_reassigned_in_loop() {
    probe!(x => let_mut_reassigned, let_mut_reassigned_grad, let_mut_reassigned_vjp, [&[x[0], x[1], x[2]]], [p], [0.7, 0.6, 0.4]);
}

#[derive(Clone, Copy)]
struct Pt {
    x: f64,
    y: f64,
}

#[differentiate(wrt(s))]
fn let_nested(s: f64, q: [[f64; 2]; 2], pt: Pt) -> f64 {
    let ([[a, b], [c, _]], Pt { x: y, y: x }) = (q, pt);
    (a * s).sin() + b * c * s + x * s * s + y
}

#[test]
fn qa_let_nested_renamed_fields_swapped() {
    probe!(x => let_nested, let_nested_grad, let_nested_vjp, [x[0], [[0.3, 0.5], [0.7, 0.9]], Pt { x: 1.5, y: -2.0 }], [s], [0.7]);
}

#[differentiate]
fn let_nested_active(x: f64, y: f64) -> f64 {
    let (s, (u, v)) = (x.sin(), (y * x, y));
    let (u, s) = (s, u);
    s * u + v
}

#[test]
fn qa_let_nested_active_then_swap() {
    probe!(p => let_nested_active, let_nested_active_grad, let_nested_active_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
}

#[differentiate]
fn let_ref_array(p: &[f64; 4]) -> f64 {
    let [a, _, c, ..] = p;
    let [_, d, ..] = *p;
    a * c + d * d
}

#[test]
fn qa_let_ref_array_with_rest() {
    probe!(x => let_ref_array, let_ref_array_grad, let_ref_array_vjp, [&[x[0], x[1], x[2], x[3]]], [p], [0.7, 1.3, -0.4, 2.0]);
}

// ---- fold / reduce / min_by / max_by ------------------------------------------------

#[differentiate]
fn fold_shadow_outer(xs: &[f64], acc: f64) -> f64 {
    xs.iter().fold(acc, |acc, &x| acc * x + acc)
}

#[test]
fn qa_fold_acc_named_like_parameter() {
    probe!(p => fold_shadow_outer, fold_shadow_outer_grad, fold_shadow_outer_vjp, [&p[..3], p[3]], [xs, acc], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn fold_element_shadows_capture(xs: &[f64], x: f64) -> f64 {
    let w = x * 2.0;
    xs.iter().fold(x, |s, &x| s + x * w)
}

#[test]
fn qa_fold_element_shadows_captured_name() {
    probe!(p => fold_element_shadows_capture, fold_element_shadows_capture_grad, fold_element_shadows_capture_vjp, [&p[..3], p[3]], [xs, x], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn fold_init_uses_acc_name(xs: &[f64], w: f64) -> f64 {
    let acc = w.exp();
    let total = xs.iter().fold(acc * 2.0, |acc, x| acc + x * acc * w);
    total + acc
}

#[test]
fn qa_fold_init_reads_outer_acc() {
    probe!(p => fold_init_uses_acc_name, fold_init_uses_acc_name_grad, fold_init_uses_acc_name_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.4]);
}

#[differentiate]
fn fold_nested(m: &[f64; 4], w: f64) -> f64 {
    (0..2).fold(0.0, |acc, i| {
        acc + (0..2).fold(w, |acc, j| acc * m[2 * i + j]).sin()
    })
}

#[test]
fn qa_fold_nested_same_acc_name() {
    probe!(p => fold_nested, fold_nested_grad, fold_nested_vjp, [&[p[0], p[1], p[2], p[3]], p[4]], [m, w], [0.5, -1.2, 0.3, 0.9, 0.4]);
}

#[differentiate]
fn fold_in_loop_and_branch(xs: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        if k % 2 == 0 {
            s += xs.iter().fold(s, |a, &x| a * w + x);
        } else {
            s = xs.iter().copied().fold(s, f64::max) * w;
        }
    }
    s
}

#[test]
fn qa_fold_in_loop_and_branch() {
    probe!(p => fold_in_loop_and_branch, fold_in_loop_and_branch_grad, fold_in_loop_and_branch_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.4]);
}

#[differentiate]
fn fold_empty(xs: &[f64], w: f64) -> f64 {
    xs.iter().fold(w * w, |a, &x| a + x)
}

#[test]
fn qa_fold_over_empty_slice() {
    probe!(p => fold_empty, fold_empty_grad, fold_empty_vjp, [&p[..0], p[0]], [w], [0.4]);
}

#[differentiate]
fn reduce_closure(xs: &[f64]) -> f64 {
    xs.iter().copied().reduce(|a, b| a * b + b).unwrap()
}

#[test]
fn qa_reduce_closure() {
    probe!(p => reduce_closure, reduce_closure_grad, reduce_closure_vjp, [&p[..]], [xs], [0.5, -1.2, 0.3, 0.4]);
    probe!(p => reduce_closure, reduce_closure_grad, reduce_closure_vjp, [&p[..]], [xs], [0.5]);
}

#[differentiate]
fn reduce_capture_shadow(xs: &[f64], b: f64) -> f64 {
    let a = b * 3.0;
    xs.iter().copied().reduce(|a, x| a + x * b).unwrap() * a
}

#[test]
fn qa_reduce_acc_shadows_outer_name() {
    probe!(p => reduce_capture_shadow, reduce_capture_shadow_grad, reduce_capture_shadow_vjp, [&p[..3], p[3]], [xs, b], [0.5, -1.2, 0.3, 0.4]);
}

#[differentiate]
fn min_by_partial(xs: &[f64]) -> f64 {
    let m = xs
        .iter()
        .copied()
        .min_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap();
    1.0 / m
}

#[test]
fn qa_min_by_partial_cmp_first_of_signed_zeros() {
    probe!(p => min_by_partial, min_by_partial_grad, min_by_partial_vjp, [&p[..]], [xs], [0.5, 0.25]);
    // partial_cmp: -0.0 == 0.0 and min_by keeps the first, 1/m keeps its sign.
    let xs = [0.0, -0.0, 1.0];
    assert_eq!(
        min_by_partial_grad(&xs).0.to_bits(),
        min_by_partial(&xs).to_bits()
    );
    let xs = [-0.0, 0.0, 1.0];
    assert_eq!(
        min_by_partial_grad(&xs).0.to_bits(),
        min_by_partial(&xs).to_bits()
    );
}

#[differentiate]
fn max_by_total(xs: &[f64]) -> f64 {
    xs.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap() * 2.0
}

#[test]
fn qa_max_by_total_cmp_distinct_values() {
    // Signed zeros and NaN differ (findings.md F8): only distinct finite values here.
    probe!(p => max_by_total, max_by_total_grad, max_by_total_vjp, [&p[..]], [xs], [0.5, 0.25, -3.0]);
}

#[differentiate]
fn max_by_ref(xs: &[f64]) -> f64 {
    let m = xs.iter().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
    m * m
}

#[test]
fn qa_max_by_over_refs() {
    probe!(p => max_by_ref, max_by_ref_grad, max_by_ref_vjp, [&p[..]], [xs], [0.5, 1.25, -3.0]);
}

#[differentiate]
fn min_by_reversed(xs: &[f64]) -> f64 {
    xs.iter()
        .copied()
        .min_by(|a, b| b.partial_cmp(a).unwrap())
        .unwrap()
        .sin()
}

#[test]
fn qa_min_by_reversed_order_is_max() {
    probe!(p => min_by_reversed, min_by_reversed_grad, min_by_reversed_vjp, [&p[..]], [xs], [0.5, 1.25, -3.0]);
}

// ---- binding match arms, if let -------------------------------------------------------

#[differentiate]
fn match_active(x: f64, y: f64) -> f64 {
    match x * y {
        n if n > 0.5 => n * n,
        n if n > 0.0 => n.sin() * x,
        n => -n * y,
    }
}

#[test]
fn qa_match_active_scrutinee_binding_arms() {
    probe!(p => match_active, match_active_grad, match_active_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
    probe!(p => match_active, match_active_grad, match_active_vjp, [p[0], p[1]], [x, y], [0.7, 0.3]);
    probe!(p => match_active, match_active_grad, match_active_vjp, [p[0], p[1]], [x, y], [0.7, -0.3]);
}

#[differentiate]
fn match_binding_shadows_param(x: f64, n: i32) -> f64 {
    match n {
        x @ 1..=3 => (x as f64) * 2.0,
        _ => x * x,
    }
}

#[test]
fn qa_match_binding_shadows_parameter() {
    probe!(p => match_binding_shadows_param, match_binding_shadows_param_grad, match_binding_shadows_param_vjp, [p[0], 2], [x], [0.7]);
    probe!(p => match_binding_shadows_param, match_binding_shadows_param_grad, match_binding_shadows_param_vjp, [p[0], 7], [x], [0.7]);
}

#[differentiate]
fn match_active_shadow(x: f64) -> f64 {
    match x.sin() {
        x if x > 0.5 => x * x,
        _ => x,
    }
}

#[test]
fn qa_match_binding_shadows_active_parameter() {
    probe!(p => match_active_shadow, match_active_shadow_grad, match_active_shadow_vjp, [p[0]], [x], [0.9]);
    probe!(p => match_active_shadow, match_active_shadow_grad, match_active_shadow_vjp, [p[0]], [x], [0.2]);
}

#[differentiate(wrt(xs))]
fn if_let_in_loop(xs: &[f64], pick: Option<usize>) -> f64 {
    let mut s = 0.0;
    for k in 0..xs.len() {
        if let Some(i) = pick {
            s += xs[i] * xs[k];
        } else {
            s += xs[k];
        }
    }
    s
}

#[test]
fn qa_if_let_in_loop() {
    probe!(p => if_let_in_loop, if_let_in_loop_grad, if_let_in_loop_vjp, [&p[..], Some(1)], [xs], [0.5, 1.25, -3.0]);
    probe!(p => if_let_in_loop, if_let_in_loop_grad, if_let_in_loop_vjp, [&p[..], None], [xs], [0.5, 1.25, -3.0]);
}

// ---- for over rev / map ----------------------------------------------------------------

#[differentiate]
fn for_rev_carried(xs: &[f64], t: f64) -> f64 {
    let mut acc = 0.0;
    for (i, &c) in xs.iter().enumerate().rev() {
        acc = acc * t + c * (i as f64 + 1.0);
    }
    acc
}

#[test]
fn qa_for_rev_enumerate_carried() {
    probe!(p => for_rev_carried, for_rev_carried_grad, for_rev_carried_vjp, [&p[..3], p[3]], [xs, t], [0.5, -1.2, 2.0, 0.8]);
}

#[differentiate]
fn for_map_rev_enum(xs: &[f64], w: f64) -> f64 {
    let mut s = 1.0;
    for e in xs.iter().map(|x| (x * w).exp()).rev() {
        s = s * e + 0.5;
    }
    s
}

#[test]
fn qa_for_map_capture_rev_enumerate() {
    probe!(p => for_map_rev_enum, for_map_rev_enum_grad, for_map_rev_enum_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.4]);
}

#[differentiate]
fn for_map_enum_rev(xs: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for (i, e) in xs.iter().map(|&x| x * w).enumerate().rev() {
        s = s * 0.5 + e * (i as f64);
    }
    s
}

#[test]
fn qa_for_map_enumerate_then_rev() {
    probe!(p => for_map_enum_rev, for_map_enum_rev_grad, for_map_enum_rev_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.4]);
}

#[differentiate]
fn for_map_path_shadow(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter().copied().map(f64::sin).rev() {
        let xs = x * 2.0;
        s = s * xs + x;
    }
    s
}

#[test]
fn qa_for_map_path_body_shadows_source() {
    probe!(p => for_map_path_shadow, for_map_path_shadow_grad, for_map_path_shadow_vjp, [&p[..]], [xs], [0.5, -1.2, 0.3]);
}

// ---- rule paths and generic path forms -----------------------------------------------

#[differentiate]
fn paths_generic<T: Float>(x: T, y: T) -> T {
    let a = T::tanh(x) * <T as Float>::sqrt(y);
    let b = Float::max(x, y) + <T as Float>::clamp(x * y, T::from(0.1).unwrap(), y);
    let c = <T as Float>::atan2(y, x) - Float::min(x * x, y);
    a + b * c + T::sin(T::cos(x)) * Float::powi(y, 3)
}

#[test]
fn qa_generic_path_forms() {
    probe!(p => paths_generic, paths_generic_grad, paths_generic_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
    probe!(p => paths_generic, paths_generic_grad, paths_generic_vjp, [p[0], p[1]], [x, y], [1.7, 0.3]);
}

#[differentiate]
fn paths_f64(a: f64, b: f64) -> f64 {
    <f64>::max(a, b) * f64::sin(a) + <f64 as Float>::exp(b) + f64::mul_add(a, b, a)
        - <f64>::hypot(a, b)
}

#[test]
fn qa_f64_qualified_paths() {
    probe!(p => paths_f64, paths_f64_grad, paths_f64_vjp, [p[0], p[1]], [a, b], [0.7, 1.3]);
    probe!(p => paths_f64, paths_f64_grad, paths_f64_vjp, [p[0], p[1]], [a, b], [1.7, -0.3]);
}

#[differentiate]
fn paths_realfield<T: nalgebra::RealField + Copy>(a: T, b: T) -> T {
    nalgebra::RealField::max(a, b) * nalgebra::ComplexField::sin(a)
        + nalgebra::RealField::min(a * b, b)
}

#[test]
fn qa_realfield_paths() {
    probe!(p => paths_realfield, paths_realfield_grad, paths_realfield_vjp, [p[0], p[1]], [a, b], [0.7, 1.3]);
    probe!(p => paths_realfield, paths_realfield_grad, paths_realfield_vjp, [p[0], p[1]], [a, b], [1.7, 0.3]);
}

#[differentiate]
fn special_path(x: f64) -> f64 {
    tapeless::special::erf(x * 0.5) * tapeless::special::erfc(x)
}

#[test]
fn qa_special_full_path() {
    probe!(p => special_path, special_path_grad, special_path_vjp, [p[0]], [x], [0.7]);
}

// ---- operands of unknown type ---------------------------------------------------------

fn scale(n: usize) -> f64 {
    1.0 / n as f64
}

#[differentiate(wrt(m))]
fn matrix_helper_scalar(m: &nalgebra::DMatrix<f64>, n: usize) -> f64 {
    let a = m * scale(n);
    let b = scale(n + 1) * m;
    let c = -(m / scale(n));
    (a.component_mul(&b) + c).sum()
}

#[test]
fn qa_matrix_times_helper_scalar() {
    let point = [0.5, -1.0, 2.0, 0.25];
    probe!(p => matrix_helper_scalar, matrix_helper_scalar_grad, matrix_helper_scalar_vjp, [&nalgebra::DMatrix::from_column_slice(2, 2, p), 3], [m], point);
}

#[differentiate]
fn ref_params(a: &f64, b: f64) -> f64 {
    a * b + -a + a % b + b / a - (*a - b) * a + b % a
}

#[test]
fn qa_ref_param_operands() {
    probe!(p => ref_params, ref_params_grad, ref_params_vjp, [&p[0], p[1]], [a, b], [0.7, 1.9]);
    probe!(p => ref_params, ref_params_grad, ref_params_vjp, [&p[0], p[1]], [a, b], [2.5, -0.9]);
}

#[differentiate]
fn generic_constants<T: Float>(x: T, y: T) -> T {
    let c = T::from(2.5).unwrap();
    let a = T::from(2.5).unwrap() + x + (x - T::from(0.5).unwrap()) * T::from(3.0).unwrap();
    let b = T::from(1.5).unwrap() / y - x / T::from(4.0).unwrap() + -T::from(2.0).unwrap() * x;
    let d = x % T::from(0.75).unwrap() + T::from(7.0).unwrap() % y - -x;
    let mut e = T::from(1.0).unwrap() - y;
    e = e * T::from(2.0).unwrap();
    e = e - c * x;
    e = e / (T::from(3.0).unwrap() - x);
    e = e % T::from(5.0).unwrap();
    a * b + d + e + c
}

#[test]
fn qa_generic_constants_in_every_operator_position() {
    probe!(p => generic_constants, generic_constants_grad, generic_constants_vjp, [p[0], p[1]], [x, y], [0.7, 1.9]);
    probe!(p => generic_constants, generic_constants_grad, generic_constants_vjp, [p[0], p[1]], [x, y], [1.1, 2.3]);
}

// ---- hygiene ---------------------------------------------------------------------------

#[differentiate]
fn hygiene_desugar(acc: &[f64], element: f64, index: f64) -> f64 {
    let __acc = acc
        .iter()
        .fold(element, |element, &index| element * index + index);
    let m = acc
        .iter()
        .copied()
        .reduce(|index, element| index + element * element)
        .unwrap();
    let mut seed = 0.0;
    for (value, rule) in acc.iter().enumerate().rev() {
        seed += rule * value as f64 * index;
    }
    __acc * m + seed
}

#[test]
fn qa_hygiene_desugar_names() {
    probe!(p => hygiene_desugar, hygiene_desugar_grad, hygiene_desugar_vjp, [&p[..3], p[3], p[4]], [acc, element, index], [0.5, -1.2, 0.3, 0.4, 0.9]);
}

#[differentiate]
fn hygiene_generic<Float: num_traits::Float>(x: Float, seed: Float) -> Float {
    #[allow(non_snake_case)]
    let T = x * seed;
    <Float as num_traits::Float>::sin(T) + Float::tanh(seed)
}

#[test]
fn qa_hygiene_type_parameter_named_float() {
    probe!(p => hygiene_generic, hygiene_generic_grad, hygiene_generic_vjp, [p[0], p[1]], [x, seed], [0.5, -1.2]);
}

#[differentiate]
fn hygiene_fields(d_x: f64, x_1: f64, saved_x: f64) -> f64 {
    let (d_x_1, x) = (d_x, x_1);
    let mut t0 = saved_x;
    for _ in 0..3 {
        t0 = t0 * x + d_x_1;
    }
    match t0 {
        d if d > 0.0 => d * saved_x,
        other => other,
    }
}

#[test]
fn qa_hygiene_gradient_field_names() {
    probe!(p => hygiene_fields, hygiene_fields_grad, hygiene_fields_vjp, [p[0], p[1], p[2]], [d_x, x_1, saved_x], [0.5, -1.2, 0.3]);
    probe!(p => hygiene_fields, hygiene_fields_grad, hygiene_fields_vjp, [p[0], p[1], p[2]], [d_x, x_1, saved_x], [0.5, 1.2, 0.3]);
}

// ---- max_iterations stacks ---------------------------------------------------------------

// The bound is on the inner loop's iterations summed over the outer ones (README).
#[differentiate(max_iterations = 9)]
fn bounded_nested(x: f64, n: usize) -> f64 {
    let mut p = x;
    for i in 0..n {
        for _ in 0..n {
            p = p * x * 0.5 + i as f64 * 0.1;
        }
    }
    p
}

#[test]
fn qa_max_iterations_nested_exactly_n() {
    for n in [0, 1, 3] {
        probe!(p => bounded_nested, bounded_nested_grad, bounded_nested_vjp, [p[0], n], [x], [0.9]);
    }
}

const TRIPS: usize = 4;

#[differentiate(max_iterations = TRIPS)]
fn bounded_break(x: f64, stop: f64) -> f64 {
    let mut p = x;
    for k in 0..TRIPS {
        if p > stop {
            break;
        }
        if k == 1 {
            continue;
        }
        p = p * p + 0.25;
    }
    let mut q = p;
    while q < 10.0 {
        q = q * q + 1.0;
        if q > 5.0 {
            return q * x;
        }
    }
    q
}

#[test]
fn qa_max_iterations_break_continue_return() {
    probe!(p => bounded_break, bounded_break_grad, bounded_break_vjp, [p[0], p[1]], [x, stop], [0.5, 100.0]);
    probe!(p => bounded_break, bounded_break_grad, bounded_break_vjp, [p[0], p[1]], [x, stop], [0.9, 0.95]);
    probe!(p => bounded_break, bounded_break_grad, bounded_break_vjp, [p[0], p[1]], [x, stop], [1.5, 0.2]);
}

#[differentiate(max_iterations = TRIPS)]
fn bounded_const_range(x: f64) -> f64 {
    let mut p = x;
    for _ in 0..TRIPS {
        p = p * p.sin() + 0.1;
    }
    p
}

#[test]
fn qa_max_iterations_equal_to_const_trip_count() {
    probe!(p => bounded_const_range, bounded_const_range_grad, bounded_const_range_vjp, [p[0]], [x], [0.9]);
}

// A qualified path through a float trait of the table keeps its rule (a qualified path
// through another trait is the user's method: ui case user-trait-method-named-like-a-float-method).
#[differentiate]
fn qualified_float_traits<T: nalgebra::RealField + Copy>(x: T, y: T) -> T {
    <T as nalgebra::ComplexField>::sin(x) * <T as nalgebra::RealField>::max(x, y) + <T>::exp(y)
}

#[differentiate]
fn qualified_num_traits<T: Float>(x: T) -> T {
    <T as num_traits::Float>::cos(x)
        + T::from(<f64 as Float>::sin(2.0)).unwrap() * <T as Float>::sqrt(x)
}

#[test]
fn qa_qualified_paths_through_float_traits() {
    probe!(p => qualified_float_traits, qualified_float_traits_grad, qualified_float_traits_vjp, [p[0], p[1]], [x, y], [0.7, 1.3]);
    probe!(p => qualified_num_traits, qualified_num_traits_grad, qualified_num_traits_vjp, [p[0]], [x], [0.7]);
}

// ---- more pre-pass shapes --------------------------------------------------------------

#[differentiate]
fn reduce_refs(xs: &[f64], w: f64) -> f64 {
    let m = *xs.iter().min_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
    let s = xs
        .iter()
        .copied()
        .reduce(|a, b| {
            let a = a * w;
            a + b
        })
        .unwrap();
    m * w + s
}

#[test]
fn qa_reduce_deref_and_block_shadowing_acc() {
    probe!(p => reduce_refs, reduce_refs_grad, reduce_refs_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.4]);
}

#[differentiate]
fn reduce_in_loop(xs: &[f64], w: f64) -> f64 {
    let mut s = w;
    for _ in 0..3 {
        s = s * xs.iter().copied().reduce(|a, b| a.max(b * s)).unwrap();
    }
    s
}

#[test]
fn qa_reduce_capturing_carried_value_in_loop() {
    probe!(p => reduce_in_loop, reduce_in_loop_grad, reduce_in_loop_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.9]);
}

#[differentiate(wrt(x))]
fn if_let_value(x: f64, opt: Option<f64>) -> f64 {
    let mut y = x.sin();
    if let Some(v) = opt {
        y = y * v + x * v * v;
    }
    let z = match opt {
        Some(x) if x > 1.0 => x * y,
        Some(v) => v + y * y,
        None => y,
    };
    z * x
}

#[test]
fn qa_if_let_and_match_option_of_f64_shadowing() {
    probe!(p => if_let_value, if_let_value_grad, if_let_value_vjp, [p[0], Some(0.5)], [x], [0.7]);
    probe!(p => if_let_value, if_let_value_grad, if_let_value_vjp, [p[0], Some(1.5)], [x], [0.7]);
    probe!(p => if_let_value, if_let_value_grad, if_let_value_vjp, [p[0], None], [x], [0.7]);
}

#[differentiate]
fn fold_map_source(xs: &[f64], w: f64) -> f64 {
    (0..xs.len())
        .map(|i| xs[i] * w)
        .fold(1.0, |acc, v| acc * v.cos() + v)
}

#[test]
fn qa_fold_over_map_of_range() {
    probe!(p => fold_map_source, fold_map_source_grad, fold_map_source_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.9]);
}

#[differentiate]
fn fold_carry_in_loop(xs: &[f64], w: f64) -> f64 {
    let mut s = w;
    for k in 0..2 {
        let acc = s * 0.5;
        s = xs.iter().fold(acc, |acc, &x| acc * s + x * k as f64);
    }
    s
}

#[test]
fn qa_fold_reading_carried_value_and_outer_acc() {
    probe!(p => fold_carry_in_loop, fold_carry_in_loop_grad, fold_carry_in_loop_vjp, [&p[..3], p[3]], [xs, w], [0.5, -1.2, 0.3, 0.9]);
}

#[differentiate]
fn let_mut_array_then_index(p: [f64; 3]) -> f64 {
    let [mut a, b, c] = p;
    a *= b;
    let mut q = [0.0; 2];
    q[0] = a;
    q[1] = c;
    let [u, v] = q;
    u * v + a
}

#[test]
fn qa_let_mut_compound_then_destructure_local_array() {
    probe!(x => let_mut_array_then_index, let_mut_array_then_index_grad, let_mut_array_then_index_vjp, [[x[0], x[1], x[2]]], [p], [0.5, -1.2, 0.3]);
}

// A binding arm's name in its guard is the scrutinee, except where the guard binds the
// same name again (a `let` in a block, a match arm): there it is the guard's own.
#[differentiate(wrt(xs))]
fn guard_shadowing(xs: &[f64], n: i32) -> f64 {
    match n {
        k if {
            let k = 5;
            k
        } > n + 3 =>
        {
            xs[0] * k as f64
        }
        k if match n + 1 {
            k if k > 3 => k,
            _ => 0,
        } > 3 =>
        {
            xs[1] * xs[0] * k as f64
        }
        _ => xs[1],
    }
}

#[test]
fn qa_guard_rebinding_the_arm_name() {
    // n = 1: the first guard is 5 > 4 (true; the scrutinee 1 > 4 would be false).
    probe!(p => guard_shadowing, guard_shadowing_grad, guard_shadowing_vjp, [&p[..], 1], [xs], [0.5, 2.0]);
    // n = 3: the first guard is 5 > 6 (false); the second is 4 > 3 (true).
    probe!(p => guard_shadowing, guard_shadowing_grad, guard_shadowing_vjp, [&p[..], 3], [xs], [0.5, 2.0]);
    let xs = [0.5, 2.0];
    assert_eq!(guard_shadowing_grad(&xs, 1).0, 0.5);
    assert_eq!(guard_shadowing_grad(&xs, 3).0, 3.0);
}

#[differentiate(max_iterations = 4)]
fn bounded_loop_exact(x: f64, limit: usize) -> f64 {
    let mut p = x;
    let mut k = 0;
    loop {
        if k == limit {
            break;
        }
        p = p * x + 0.5;
        k += 1;
    }
    for i in 0..2 {
        for j in 0..2 {
            if i + j == 1 && p > 0.3 {
                return p * x;
            }
            p = (p * 0.1).sin() * x;
        }
    }
    p
}

#[test]
fn qa_max_iterations_loop_exactly_n_and_return_from_nested() {
    // limit = 4 (exactly max_iterations) panics: findings.md F11.
    for limit in [0, 2, 3] {
        probe!(p => bounded_loop_exact, bounded_loop_exact_grad, bounded_loop_exact_vjp, [p[0], limit], [x], [0.9]);
    }
    probe!(p => bounded_loop_exact, bounded_loop_exact_grad, bounded_loop_exact_vjp, [p[0], 3], [x], [2.0]);
}

#[allow(non_snake_case)]
#[differentiate]
fn hygiene_core_names(core: f64, ordering: f64, tapeless: &[f64; 2]) -> f64 {
    let m = tapeless
        .iter()
        .copied()
        .max_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap();
    let [first, ..] = *tapeless;
    m * core + ordering * first
}

#[test]
fn qa_hygiene_names_of_paths_the_pre_pass_writes() {
    probe!(p => hygiene_core_names, hygiene_core_names_grad, hygiene_core_names_vjp, [p[0], p[1], &[p[2], p[3]]], [core, ordering, tapeless], [0.5, -1.2, 0.3, 0.9]);
}

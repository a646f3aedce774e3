//! Generic numeric code as the num-traits and nalgebra world writes it (issue 12): every
//! constant form (`T::from(c).unwrap()`, `T::from_f64(c).unwrap()`, `T::one()`, `T::zero()`,
//! `T::epsilon()`, `T::PI()`, `T::pi()`, `<T as Float>::..`), the path forms of the float
//! methods (`T::tanh(x)`, `Float::max(a, b)`), and `.sum()`/`.product()` with a `Sum`/`Product`
//! bound. Each probe is checked in `f64` against central differences (value bit for bit
//! against the untouched function) and in `f32` against the `f64` differences at the same
//! point.
#![allow(clippy::all)]

use num_traits::{Float, FloatConst, FromPrimitive, One, Zero};
use std::iter::{Product, Sum};
use tapeless::check::central_difference;
use tapeless::differentiate;

#[allow(dead_code)]
#[path = "support/probe.rs"]
mod probe;
use probe::Flat;

/// Checks `f_grad` at `x` in `f64` and in `f32`, `p` naming the flattened input inside the
/// argument expressions (a `&[f64]`, then a `&[f32]`).
macro_rules! both {
    ($p:ident => $f:ident, $g:ident, [$($a:expr),*], [$($field:ident),*], $x:expr) => {{
        let x: Vec<f64> = $x.to_vec();
        let (v, g) = {
            let $p: &[f64] = &x;
            let (v, g) = $g($($a),*);
            let mut out = Vec::new();
            $( Flat::flat(&g.$field, &mut out); )*
            (v, out)
        };
        let plain = { let $p: &[f64] = &x; $f($($a),*) };
        assert_eq!(v.to_bits(), plain.to_bits(), "{}: value {v} != {plain}", stringify!($f));
        let fd = central_difference(|$p: &[f64]| $f($($a),*), &x);
        close(stringify!($f), &g, &fd, 1e-6);
        // f32: the same point rounded, against the f64 differences there.
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let (v32, g32) = {
            let $p: &[f32] = &x32;
            let (v, g) = $g($($a),*);
            let mut out = Vec::new();
            $( Flat::flat(&g.$field, &mut out); )*
            (v, out)
        };
        let plain32 = { let $p: &[f32] = &x32; $f($($a),*) };
        assert_eq!(v32.to_bits(), plain32.to_bits(), "{} (f32): value", stringify!($f));
        let x_rounded: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
        let fd32 = central_difference(|$p: &[f64]| $f($($a),*), &x_rounded);
        close(concat!(stringify!($f), " (f32)"), &g32, &fd32, 2e-3);
    }};
}

fn close(name: &str, g: &[f64], fd: &[f64], tolerance: f64) {
    assert_eq!(g.len(), fd.len(), "{name}: gradient length");
    for (i, (a, n)) in g.iter().zip(fd).enumerate() {
        let error = (a - n).abs() / a.abs().max(n.abs()).max(1.0);
        assert!(
            error < tolerance,
            "{name}: ∂/∂x{i} = {a}, finite differences {n}\n gradient {g:?}\n numeric  {fd:?}"
        );
    }
}

// ---- constants ----

#[differentiate]
fn from_unwrap<T: Float>(x: T, y: T) -> T {
    T::from(2.5).unwrap() * x * y + x / T::from(3).unwrap() - T::from(0.5).unwrap()
}

#[test]
fn constant_from_unwrap() {
    both!(p => from_unwrap, from_unwrap_grad, [p[0], p[1]], [x, y], [0.7, -1.3]);
}

#[differentiate]
fn from_f64_unwrap<T: Float + FromPrimitive>(x: T) -> T {
    let half = T::from_f64(0.5).unwrap();
    half * x * x + T::from_f64(3.0).unwrap() * x + T::from_i32(2).unwrap()
}

#[test]
fn constant_from_f64_unwrap() {
    both!(p => from_f64_unwrap, from_f64_unwrap_grad, [p[0]], [x], [0.9]);
}

#[differentiate]
fn one_and_zero<T: Float>(x: T, y: T) -> T {
    let mut s = T::zero();
    s = s + x * y;
    (T::one() + s).ln() + T::one() / (T::one() + x * x)
}

#[test]
fn constant_one_and_zero() {
    both!(p => one_and_zero, one_and_zero_grad, [p[0], p[1]], [x, y], [0.4, 1.7]);
}

#[differentiate]
fn one_zero_traits<T: Float>(x: T) -> T {
    // The traits' own paths: `One::one()`, `<T as Zero>::zero()`.
    let one: T = One::one();
    x * x + one + <T as Zero>::zero()
}

#[test]
fn constant_one_zero_trait_paths() {
    both!(p => one_zero_traits, one_zero_traits_grad, [p[0]], [x], [1.3]);
}

#[differentiate]
fn epsilon<T: Float>(x: T, y: T) -> T {
    (x * x + y * y + T::epsilon()).sqrt() + <T as Float>::epsilon() * x
}

#[test]
fn constant_epsilon() {
    both!(p => epsilon, epsilon_grad, [p[0], p[1]], [x, y], [0.6, -0.8]);
}

#[differentiate]
fn pi_float_const<T: Float + FloatConst>(x: T) -> T {
    (T::PI() * x).sin() + T::E().ln() * x + <T as FloatConst>::FRAC_PI_2() * x
}

#[test]
fn constant_float_const_pi() {
    both!(p => pi_float_const, pi_float_const_grad, [p[0]], [x], [0.3]);
}

#[differentiate]
fn literals_where_rust_allows<T: Float>(x: T, n: i32) -> T {
    // Integer literals as exponents and counts, comparisons against converted literals.
    let mut y = x.powi(3) + x.powi(n);
    for _ in 0..2 {
        y = y * x;
    }
    if x > T::from(0.5).unwrap() {
        y
    } else {
        -y
    }
}

#[test]
fn constant_literals() {
    both!(p => literals_where_rust_allows, literals_where_rust_allows_grad, [p[0], 2], [x], [0.8]);
    both!(p => literals_where_rust_allows, literals_where_rust_allows_grad, [p[0], 2], [x], [0.2]);
}

// ---- path forms of the float methods ----

#[differentiate]
fn path_unary<T: Float>(x: T) -> T {
    T::sin(x)
        + T::cos(x)
        + T::tan(x)
        + T::tanh(x)
        + T::sqrt(x)
        + T::exp(x)
        + T::ln(x)
        + T::sinh(x)
        + T::cosh(x)
        + T::atan(x)
        + T::asin(x)
        + T::acos(x)
        + T::cbrt(x)
        + T::recip(x)
        + T::abs(x)
        + T::log10(x)
        + T::log2(x)
        + T::exp2(x)
        + T::exp_m1(x)
        + T::ln_1p(x)
        + T::asinh(x)
        + T::atanh(x)
        + T::to_degrees(x)
        + T::to_radians(x)
}

#[test]
fn path_forms_unary() {
    both!(p => path_unary, path_unary_grad, [p[0]], [x], [0.45]);
}

#[differentiate]
fn path_binary<T: Float>(x: T, y: T) -> T {
    T::max(x, y)
        + Float::max(x * y, y)
        + T::min(x, y)
        + Float::min(x, T::one())
        + T::powf(x, y)
        + T::atan2(x, y)
        + T::hypot(x, y)
        + T::powi(y, 3)
        + T::log(x, y)
        + T::mul_add(x, y, x)
        + T::acosh(y + T::one())
}

#[test]
fn path_forms_binary() {
    both!(p => path_binary, path_binary_grad, [p[0], p[1]], [x, y], [0.7, 1.9]);
    both!(p => path_binary, path_binary_grad, [p[0], p[1]], [x, y], [2.1, 1.4]);
}

#[differentiate]
fn qualified_paths<T: Float>(x: T, y: T) -> T {
    <T as Float>::tanh(x) * <T as Float>::max(x, y) + <T>::sqrt(y) + Float::exp(x)
}

#[test]
fn path_forms_qualified() {
    both!(p => qualified_paths, qualified_paths_grad, [p[0], p[1]], [x, y], [0.3, 0.9]);
}

/// nalgebra's `RealField` (in its own module: with `num_traits::Float` in scope as well,
/// `T::tanh` would be ambiguous in the user's own function).
mod real_field {
    use super::{central_difference, close, Flat};
    use nalgebra::{ComplexField, RealField};
    use tapeless::differentiate;

    #[differentiate]
    fn pi_real_field<T: RealField + Copy>(x: T) -> T {
        (T::pi() * x).cos() * T::two_pi() + x * T::frac_pi_2()
    }

    #[test]
    fn constant_real_field_pi() {
        both!(p => pi_real_field, pi_real_field_grad, [p[0]], [x], [0.3]);
    }

    #[differentiate]
    fn real_field_convert<T: RealField + Copy>(x: T, y: T) -> T {
        let two: T = nalgebra::convert(2.0);
        let three = T::from_subset(&3.0);
        two * x * y + three * x.powi(2) - T::one() + T::zero()
    }

    #[test]
    fn constant_real_field_convert() {
        both!(p => real_field_convert, real_field_convert_grad, [p[0], p[1]], [x, y], [0.4, 1.1]);
    }

    #[differentiate]
    fn real_field_paths<T: RealField + Copy>(x: T, y: T) -> T {
        T::tanh(x)
            + T::sqrt(y) * x.sin()
            + RealField::max(x, y)
            + T::min(x, y)
            + x.clone().exp()
            + ComplexField::cos(y)
    }

    #[test]
    fn path_forms_real_field() {
        both!(p => real_field_paths, real_field_paths_grad, [p[0], p[1]], [x, y], [0.3, 0.9]);
    }
}

// ---- sum and product ----

#[differentiate]
fn sum_slice<T: Float + Sum>(xs: &[T]) -> T {
    xs.iter().map(|&x| x * x).sum()
}

#[test]
fn sum_of_map() {
    both!(p => sum_slice, sum_slice_grad, [p], [xs], [0.5, -1.5, 2.0]);
}

#[differentiate]
fn sum_turbofish<T: Float + Sum>(xs: &[T]) -> T {
    let s = xs.iter().copied().sum::<T>();
    let t: T = xs.iter().map(|x| x.sin()).sum();
    s * t + xs.iter().map(|&x| x).sum::<T>()
}

#[test]
fn sum_with_turbofish() {
    both!(p => sum_turbofish, sum_turbofish_grad, [p], [xs], [0.5, -1.5, 2.0]);
}

#[differentiate]
fn product_slice<T: Float + Product>(xs: &[T]) -> T {
    let p: T = xs.iter().copied().product();
    p + xs.iter().map(|x| x.cos()).product::<T>()
}

#[test]
fn product_of_map() {
    both!(p => product_slice, product_slice_grad, [p], [xs], [0.5, -1.5, 2.0]);
}

// ---- the signatures of argmin-testfunctions (`T: Float + FromPrimitive + Sum`) ----
// Written with indexing where the crate destructures (`let [x1, x2] = *param;`: patterns
// are another change); each against its closed-form gradient through central differences.

#[differentiate]
fn rosenbrock<T: Float + FromPrimitive + Sum>(param: &[T]) -> T {
    let a = T::from_f64(1.0).unwrap();
    let b = T::from_f64(100.0).unwrap();
    (0..param.len() - 1)
        .map(|i| (a - param[i]).powi(2) + b * (param[i + 1] - param[i].powi(2)).powi(2))
        .sum()
}

#[test]
fn argmin_rosenbrock() {
    both!(p => rosenbrock, rosenbrock_grad, [p], [param], [-1.2, 1.0, 0.5]);
    // The closed form at (x, y): (−2(1 − x) − 400x(y − x²), 200(y − x²)).
    let (x, y) = (0.3, -0.4);
    let (_, g) = rosenbrock_grad(&[x, y]);
    let expected = [
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    ];
    close("rosenbrock closed form", &g.param, &expected, 1e-12);
}

#[differentiate]
fn rosenbrock_loop<T: Float + FromPrimitive>(param: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..param.len() - 1 {
        let t = param[i + 1] - param[i] * param[i];
        s = s + T::from_f64(100.0).unwrap() * t * t + (T::one() - param[i]).powi(2);
    }
    s
}

#[test]
fn argmin_rosenbrock_loop() {
    both!(p => rosenbrock_loop, rosenbrock_loop_grad, [p], [param], [-1.2, 1.0, 0.5, 0.9]);
}

#[differentiate]
fn rastrigin<T: Float + FromPrimitive + Sum>(param: &[T]) -> T {
    let a = T::from_f64(10.0).unwrap();
    let n = T::from_usize(param.len()).unwrap();
    a * n
        + param
            .iter()
            .map(|&x| x.powi(2) - a * (T::from_f64(2.0 * std::f64::consts::PI).unwrap() * x).cos())
            .sum()
}

#[test]
fn argmin_rastrigin() {
    both!(p => rastrigin, rastrigin_grad, [p], [param], [0.3, -1.1, 2.4]);
}

#[differentiate]
fn ackley<T: Float + FloatConst + FromPrimitive + Sum>(param: &[T]) -> T {
    let a = T::from_f64(20.0).unwrap();
    let b = T::from_f64(0.2).unwrap();
    let c = T::from_f64(2.0 * std::f64::consts::PI).unwrap();
    let n = T::from_usize(param.len()).unwrap();
    let squares: T = param.iter().map(|&x| x.powi(2)).sum();
    let cosines: T = param.iter().map(|&x| (c * x).cos()).sum();
    -a * (-b * (squares / n).sqrt()).exp() - (cosines / n).exp() + a + T::E()
}

#[test]
fn argmin_ackley() {
    both!(p => ackley, ackley_grad, [p], [param], [0.3, -1.1, 2.4]);
}

#[differentiate]
fn sphere<T: Float + Sum>(param: &[T]) -> T {
    param.iter().map(|x| x.powi(2)).sum()
}

#[test]
fn argmin_sphere() {
    both!(p => sphere, sphere_grad, [p], [param], [0.3, -1.1, 2.4]);
}

#[differentiate]
fn beale<T: Float + FromPrimitive>(param: &[T]) -> T {
    let x1 = param[0];
    let x2 = param[1];
    (T::from_f64(1.5).unwrap() - x1 + x1 * x2).powi(2)
        + (T::from_f64(2.25).unwrap() - x1 + x1 * x2.powi(2)).powi(2)
        + (T::from_f64(2.625).unwrap() - x1 + x1 * x2.powi(3)).powi(2)
}

#[test]
fn argmin_beale() {
    both!(p => beale, beale_grad, [p], [param], [1.1, 0.4]);
}

#[differentiate]
fn booth<T: Float + FromPrimitive>(param: &[T]) -> T {
    let x1 = param[0];
    let x2 = param[1];
    (x1 + T::from_f64(2.0).unwrap() * x2 - T::from_f64(7.0).unwrap()).powi(2)
        + (T::from_f64(2.0).unwrap() * x1 + x2 - T::from_f64(5.0).unwrap()).powi(2)
}

#[test]
fn argmin_booth() {
    both!(p => booth, booth_grad, [p], [param], [0.5, 2.5]);
    // Closed form: (10x + 8y − 34, 8x + 10y − 38).
    let (_, g) = booth_grad(&[0.5, 2.5]);
    close(
        "booth closed form",
        &g.param,
        &[5.0 + 20.0 - 34.0, 4.0 + 25.0 - 38.0],
        1e-12,
    );
}

#[differentiate]
fn himmelblau<T: Float + FromPrimitive>(param: &[T]) -> T {
    let x1 = param[0];
    let x2 = param[1];
    (x1.powi(2) + x2 - T::from_f64(11.0).unwrap()).powi(2)
        + (x1 + x2.powi(2) - T::from_f64(7.0).unwrap()).powi(2)
}

#[test]
fn argmin_himmelblau() {
    both!(p => himmelblau, himmelblau_grad, [p], [param], [1.5, -0.5]);
}

#[differentiate]
fn styblinski_tang<T: Float + FromPrimitive + Sum>(param: &[T]) -> T {
    T::from_f64(0.5).unwrap()
        * param
            .iter()
            .map(|&x| {
                x.powi(4) - T::from_f64(16.0).unwrap() * x.powi(2) + T::from_f64(5.0).unwrap() * x
            })
            .sum()
}

#[test]
fn argmin_styblinski_tang() {
    both!(p => styblinski_tang, styblinski_tang_grad, [p], [param], [0.3, -1.1, 2.4]);
}

//! Every scalar row of the rule table (`macros/src/rules.rs`) in a Hessian: the float
//! methods (by method and by path, `f64::name(x)`), the operators, `sin_cos`, the
//! `special` functions, the `nn` activations of scalars and the `libm` calls, each in a
//! `#[differentiate(hessian)]` function of two `f64`s where the rule's value flows on
//! (multiplied by other active values, so a value whose tangent the Hessian's dual-number
//! copy dropped shows) and where its second derivative counts: for a unary g,
//! h(x, y) = g(xy)·g(x) + y·g(y). Oracle: central differences of the gradient (`f_grad`),
//! at two or three points away from kinks; the value against the plain function, the
//! Hessian's gradient against `f_grad`, symmetry, and `f_hvp` against the rows. A handful
//! of rows in `f32` against the `f64` Hessian.
//!
//! The second section: the rows of nalgebra values in Hessians (fixed-size `Matrix3` and
//! `Vector3` with respect to both, a third vector data), against the same oracle.
//!
//! This closes the class of session 32's silent wrong Hessian (`special::erf`, `erfc`,
//! `sinc` computed their values in `f64` inside the Hessian's copy, dropping the tangent:
//! the Hessian of erf(x)² was −1.14 where it is 0.0986): a row whose dual-number copy is
//! wrong fails here even when its gradient and `f_jvp` are right.
//!
//! Left out: the cast row (`x as f64` of a float value is taken as a conversion of data in
//! a `hessian` function, as the README says), and the element, slice, tuple and field rows
//! (forms, not scalar rows; `tests/hessian_constructs.rs`).

// User-style code: index loops over a dense Hessian, and `a.clone().lu()` of a `Copy`
// matrix as the README writes decompositions.
#![allow(clippy::needless_range_loop, clippy::clone_on_copy)]
// The functions `#[differentiate]` generates beside `h` that a test does not call
// (`h_grad_vjp`, `h_jvp_vjp`) are never reported unused, in `macro_rules!` expansions too.
#![deny(dead_code)]

use std::cmp::Ordering;

use nalgebra::{Matrix3, Rotation3, Vector3};
use tapeless::check::central_difference;
use tapeless::differentiate;
use tapeless::nn;
use tapeless::special;

/// Relative error against a reference, scaled by max(1, |reference|).
fn error(got: f64, reference: f64) -> f64 {
    (got - reference).abs() / reference.abs().max(1.0)
}

/// Whether the value of `f_hessian` or `f_hvp` is the plain function's: bit for bit, except
/// for `libm`'s functions (rows `libm_*`), whose value the Hessian's copy of the function
/// (generic in the float type) computes with the float methods instead of `libm`'s, as
/// `tests/libm_calls.rs` says (`f_grad` keeps `libm`'s values bit for bit).
fn same_value(row: &str, got: f64, plain: f64) -> bool {
    match row.contains("::libm_") {
        true => error(got, plain) < 1e-15,
        false => got == plain,
    }
}

/// One Hessian, flattened: the value, the gradient and the rows of `f_hessian`, and one
/// `f_hvp` (its direction and H·v).
struct Computed {
    value: f64,
    gradient: Vec<f64>,
    rows: Vec<Vec<f64>>,
    direction: Vec<f64>,
    hvp: Vec<f64>,
}

/// Checks a Hessian at `point` against central differences of the gradient `gradient`
/// (each row i is ∂(∇f)ᵢ/∂p), with the value `plain` of the plain function.
fn check(
    row: &str,
    point: &[f64],
    plain: f64,
    computed: Computed,
    gradient: impl Fn(&[f64]) -> Vec<f64>,
) {
    let n = point.len();
    assert!(
        same_value(row, computed.value, plain),
        "{row} at {point:?}: f_hessian's value is {}, the function's {plain}",
        computed.value
    );
    let reference = gradient(point);
    for i in 0..n {
        assert!(
            error(computed.gradient[i], reference[i]) < 1e-12,
            "{row} at {point:?}: f_hessian's ∂/∂#{i} is {}, f_grad's {}",
            computed.gradient[i],
            reference[i]
        );
    }
    assert_eq!(computed.rows.len(), n, "{row}: one row per scalar");
    for i in 0..n {
        let differences = central_difference(|p: &[f64]| gradient(p)[i], point);
        for j in 0..n {
            let got = computed.rows[i][j];
            assert!(
                error(got, differences[j]) < 1e-6,
                "{row} at {point:?}: H[{i}][{j}] is {got}, differences of the gradient give {}",
                differences[j]
            );
            assert!(
                error(got, computed.rows[j][i]) < 1e-10,
                "{row} at {point:?}: H[{i}][{j}] = {got} but H[{j}][{i}] = {}",
                computed.rows[j][i]
            );
        }
        let product: f64 = (0..n)
            .map(|j| computed.rows[i][j] * computed.direction[j])
            .sum();
        assert!(
            error(computed.hvp[i], product) < 1e-12,
            "{row} at {point:?}: f_hvp's (H·v)[{i}] is {}, the rows give {product}",
            computed.hvp[i]
        );
    }
}

/// The direction of the `f_hvp` checks: a different weight per argument.
const DIRECTION: [f64; 2] = [0.7, -1.3];

/// A `#[differentiate(hessian)]` function `h(x, y)` in a module `$name`, and its test at
/// the given points.
macro_rules! row {
    ($name:ident, |$x:ident, $y:ident| $body:expr, $($point:expr),+ $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[differentiate(hessian)]
            pub fn h($x: f64, $y: f64) -> f64 {
                $body
            }

            #[test]
            fn hessian() {
                for point in [$($point),+] {
                    let [a, b]: [f64; 2] = point;
                    let (value, g, rows) = h_hessian(a, b);
                    let direction = HGrad { $x: DIRECTION[0], $y: DIRECTION[1] };
                    let (hvp_value, hvp_gradient, hv) = h_hvp(a, b, &direction);
                    assert!(same_value(module_path!(), hvp_value, h(a, b)), "value of f_hvp: {hvp_value}");
                    assert_eq!([hvp_gradient.$x, hvp_gradient.$y], [g.$x, g.$y], "gradient of f_hvp");
                    let computed = Computed {
                        value,
                        gradient: vec![g.$x, g.$y],
                        rows: rows.iter().map(|r| vec![r.$x, r.$y]).collect(),
                        direction: DIRECTION.to_vec(),
                        hvp: vec![hv.$x, hv.$y],
                    };
                    let gradient = |p: &[f64]| {
                        let (value, g) = h_grad(p[0], p[1]);
                        assert_eq!(value, h(p[0], p[1]), "value of f_grad");
                        vec![g.$x, g.$y]
                    };
                    check(module_path!(), &point, h(a, b), computed, gradient);
                }
            }
        }
    };
}

/// A unary float method g, by method and by path: h = g(xy)·g(x) + y·g(y).
macro_rules! unary {
    ($name:ident, $method:ident, $($point:expr),+ $(,)?) => {
        row!($name, |x, y| {
            let a = (x * y).$method();
            a * f64::$method(x) + y * y.$method()
        }, $($point),+);
    };
}

/// A unary float method whose derivative is zero: its value multiplies active values,
/// h = xy·g(xy) + x²·g(y), whose Hessian holds g's values.
macro_rules! constant {
    ($name:ident, $method:ident, $($point:expr),+ $(,)?) => {
        row!($name, |x, y| x * y * (x * y).$method() + x * x * f64::$method(y), $($point),+);
    };
}

/// A `libm` function of one argument: h = g(xy)·g(x) + y·g(y).
macro_rules! libm_unary {
    ($name:ident, $function:ident, $($point:expr),+ $(,)?) => {
        row!($name, |x, y| {
            let a = libm::$function(x * y);
            a * libm::$function(x) + y * libm::$function(y)
        }, $($point),+);
    };
}

/// A runtime module's function of a scalar (`special::erf`, `nn::sigmoid`).
macro_rules! module_unary {
    ($name:ident, $module:ident :: $function:ident, $($point:expr),+ $(,)?) => {
        row!($name, |x, y| {
            let a = $module::$function(x * y);
            a * $module::$function(x) + y * $module::$function(y)
        }, $($point),+);
    };
}

// Points: anywhere (none of x, y, xy near an integer, a half-integer, 0 or π/2).
const P1: [f64; 2] = [0.7, -1.3];
const P2: [f64; 2] = [1.4, 0.6];
const P3: [f64; 2] = [-0.8, -1.1];
// Inside (−1, 1).
const UNIT1: [f64; 2] = [0.5, -0.6];
const UNIT2: [f64; 2] = [-0.3, 0.8];
// Positive.
const POS1: [f64; 2] = [1.3, 0.6];
const POS2: [f64; 2] = [0.4, 2.2];
// Above 1 (acosh).
const ABOVE1: [f64; 2] = [1.3, 1.7];
const ABOVE2: [f64; 2] = [2.1, 1.2];

// ---- Float methods of one argument ----
unary!(sin, sin, P1, P2, P3);
unary!(cos, cos, P1, P2, P3);
unary!(tan, tan, P1, P2, P3);
unary!(asin, asin, UNIT1, UNIT2);
unary!(acos, acos, UNIT1, UNIT2);
unary!(atan, atan, P1, P2, P3);
unary!(sinh, sinh, P1, P2, P3);
unary!(cosh, cosh, P1, P2, P3);
unary!(tanh, tanh, P1, P2, P3);
unary!(asinh, asinh, P1, P2, P3);
unary!(acosh, acosh, ABOVE1, ABOVE2);
unary!(atanh, atanh, UNIT1, UNIT2);
unary!(exp, exp, P1, P2, P3);
unary!(exp2, exp2, P1, P2, P3);
unary!(exp_m1, exp_m1, P1, P2, P3);
unary!(ln, ln, POS1, POS2);
unary!(ln_1p, ln_1p, POS1, POS2, UNIT1);
unary!(log10, log10, POS1, POS2);
unary!(log2, log2, POS1, POS2);
unary!(sqrt, sqrt, POS1, POS2);
unary!(cbrt, cbrt, P1, P2, P3);
unary!(recip, recip, P1, P2, P3);
unary!(abs, abs, P1, P2, P3);
unary!(to_degrees, to_degrees, P1, P2);
unary!(to_radians, to_radians, P1, P2);
unary!(fract, fract, P1, P2, P3);

// ---- Float methods whose derivative is zero, and the tests ----
constant!(signum, signum, P1, P2, P3);
constant!(floor, floor, P1, P2, P3);
constant!(ceil, ceil, P1, P2, P3);
constant!(round, round, P1, P2, P3);
// `round_ties_even` (an `inherent` row, not in `num_traits::Float`): the Hessian's copy calls
// `Real::round_ties_even` (was rustc's E0599 inside generated code, found by this file).
constant!(round_ties_even, round_ties_even, P1, P2, P3);
constant!(trunc, trunc, P1, P2, P3);
row!(
    is_nan,
    |x, y| if (x * y).is_nan() { x } else { x * x * y.sin() },
    P1,
    P2
);
row!(
    is_finite,
    |x, y| if f64::is_finite(x * y) {
        x * x * y.sin()
    } else {
        y
    },
    P1,
    P2
);
row!(
    is_infinite,
    |x, y| if (x * y).is_infinite() {
        x
    } else {
        x * x * y.sin()
    },
    P1,
    P2
);
row!(
    is_normal,
    |x, y| if (x * y).is_normal() {
        x * x * y.sin()
    } else {
        y
    },
    P1,
    P2
);
row!(
    is_sign_positive,
    |x, y| if (x * y).is_sign_positive() {
        x * x * y.sin()
    } else {
        x * y.exp()
    },
    P1,
    P2
);
row!(
    is_sign_negative,
    |x, y| if f64::is_sign_negative(x * y) {
        x * x * y.sin()
    } else {
        x * y.exp()
    },
    P1,
    P2
);
row!(
    total_cmp,
    |x, y| match x.total_cmp(&y) {
        Ordering::Less => x * x * y.sin(),
        _ => x * y.exp(),
    },
    P1,
    [0.3, 0.9]
);
row!(
    partial_cmp,
    |x, y| if x.partial_cmp(&y) == Some(Ordering::Less) {
        x * x * y.sin()
    } else {
        x * y.exp()
    },
    P1,
    [0.3, 0.9]
);

// ---- Float methods of two and three arguments, both arguments active ----
row!(
    log,
    |x, y| (x * y).log(y) * x.log(2.5) + y * f64::log(x, y),
    [1.3, 2.5],
    [0.4, 0.6],
    [2.0, 1.7]
);
row!(
    powf,
    |x, y| (x * y).powf(y) * x.powf(1.5) + f64::powf(y, x),
    [1.3, 0.7],
    [0.4, 2.1]
);
row!(
    powi,
    |x, y| (x * y).powi(3) * x.powi(-2) + y * f64::powi(y, 4),
    [1.3, -0.7],
    [-0.4, 2.1]
);
row!(
    atan2,
    |x, y| (x * y).atan2(x) * y.atan2(x + 1.0) + f64::atan2(y, x),
    [0.6, 0.9],
    [-0.6, 0.4],
    [1.2, -0.8]
);
row!(
    hypot,
    |x, y| (x * y).hypot(x) * y.hypot(1.5) + f64::hypot(y, x),
    [0.6, 0.9],
    [-0.6, 0.4]
);
// Each point takes other branches: (xy vs x, x vs y, y vs x/2).
row!(
    max,
    |x, y| (x * y).max(x) * x.max(y) + y * f64::max(y, 0.5 * x),
    [0.6, 0.9],
    [2.0, -0.5],
    [1.5, 2.0]
);
row!(
    min,
    |x, y| (x * y).min(x) * x.min(y) + y * f64::min(y, 0.5 * x),
    [0.6, 0.9],
    [2.0, -0.5],
    [1.5, 2.0]
);
// Inside, above and below the interval (and the bounds active).
row!(
    clamp,
    |x, y| (x * y).clamp(x - 1.0, y + 1.0) * x + y * f64::clamp(y, -0.5, x),
    [0.6, 0.9],
    [2.0, 1.5],
    [0.5, -1.2]
);
row!(
    mul_add,
    |x, y| (x * y).mul_add(x, y) * x.mul_add(y, 0.5) + f64::mul_add(y, y, x),
    P1,
    P2
);
// `x.sin_cos()` is lowered to `(x.sin(), x.cos())`.
row!(
    sin_cos,
    |x, y| {
        let (s, c) = (x * y).sin_cos();
        s * c * x + y * s
    },
    P1,
    P2
);

// ---- Operators ----
row!(
    add,
    |x, y| {
        let s = x + y;
        s * s * x
    },
    P1,
    P2
);
row!(
    sub,
    |x, y| {
        let d = x - y;
        d * d * y
    },
    P1,
    P2
);
row!(mul, |x, y| x * y * x * y * y, P1, P2);
row!(
    div,
    |x, y| {
        let q = x / y;
        q * q + y / x
    },
    P1,
    P2
);
row!(
    rem,
    |x, y| {
        let r = (3.0 * x * y) % y;
        r * r * x
    },
    [2.3, 0.9],
    [1.7, 0.7]
);
row!(
    neg,
    |x, y| {
        let n = -(x * y);
        n * n * x + -y
    },
    P1,
    P2
);

// ---- Functions of runtime modules, of scalars ----
module_unary!(special_erf, special::erf, P1, P2, P3, [0.0, 0.5]);
module_unary!(special_erfc, special::erfc, P1, P2, P3);
module_unary!(special_sinc, special::sinc, P1, P2, P3, [0.1, 0.0]);
module_unary!(nn_sigmoid, nn::sigmoid, P1, P2, P3);
module_unary!(nn_relu, nn::relu, P2, [1.2, 0.5], [-0.7, -0.4]);
module_unary!(nn_tanh, nn::tanh, P1, P2, P3);

// ---- `libm`'s functions (each the float method or special function it computes) ----
libm_unary!(libm_sin, sin, P1, P2);
libm_unary!(libm_cos, cos, P1, P2);
libm_unary!(libm_tan, tan, P1, P2);
libm_unary!(libm_asin, asin, UNIT1, UNIT2);
libm_unary!(libm_acos, acos, UNIT1, UNIT2);
libm_unary!(libm_atan, atan, P1, P2);
libm_unary!(libm_sinh, sinh, P1, P2);
libm_unary!(libm_cosh, cosh, P1, P2);
libm_unary!(libm_tanh, tanh, P1, P2);
libm_unary!(libm_asinh, asinh, P1, P2);
libm_unary!(libm_acosh, acosh, ABOVE1, ABOVE2);
libm_unary!(libm_atanh, atanh, UNIT1, UNIT2);
libm_unary!(libm_exp, exp, P1, P2);
libm_unary!(libm_exp2, exp2, P1, P2);
libm_unary!(libm_expm1, expm1, P1, P2);
libm_unary!(libm_log, log, POS1, POS2);
libm_unary!(libm_log1p, log1p, POS1, UNIT1);
libm_unary!(libm_log2, log2, POS1, POS2);
libm_unary!(libm_log10, log10, POS1, POS2);
libm_unary!(libm_sqrt, sqrt, POS1, POS2);
libm_unary!(libm_cbrt, cbrt, P1, P2);
libm_unary!(libm_fabs, fabs, P1, P3);
libm_unary!(libm_erf, erf, P1, P2);
libm_unary!(libm_erfc, erfc, P1, P2);
row!(
    libm_floor_ceil_round_trunc,
    |x, y| x * y * libm::floor(x * y)
        + x * x * libm::ceil(y)
        + y * y * libm::round(x)
        + x * y * libm::trunc(x - 2.0 * y),
    P1,
    P2,
    P3
);
row!(
    libm_atan2,
    |x, y| libm::atan2(x * y, x) * libm::atan2(y, x + 1.0),
    [0.6, 0.9],
    [-0.6, 0.4]
);
row!(
    libm_pow,
    |x, y| libm::pow(x * y, y) * libm::pow(x, 1.5),
    [1.3, 0.7],
    [0.4, 2.1]
);
row!(
    libm_hypot,
    |x, y| libm::hypot(x * y, x) * libm::hypot(y, 1.5),
    [0.6, 0.9],
    [-0.6, 0.4]
);
row!(
    libm_fmax_fmin,
    |x, y| libm::fmax(x * y, x) * libm::fmin(x, y) + y * libm::fmin(y * y, x),
    [0.6, 0.9],
    [2.0, -0.5],
    [1.5, 2.0]
);

// ---- f32: the same function in f32 and f64, the f32 Hessian against the f64 one ----

/// `double` and `single`, one body in f64 and f32; `double` against differences of its
/// gradient, `single` against `double` at the same (f32) point.
macro_rules! single {
    ($name:ident, |$x:ident, $y:ident| $body:expr, $($point:expr),+ $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[differentiate(hessian)]
            pub fn double($x: f64, $y: f64) -> f64 {
                $body
            }

            #[differentiate(hessian)]
            pub fn single($x: f32, $y: f32) -> f32 {
                $body
            }

            #[test]
            fn hessian_in_f32() {
                for point in [$($point),+] {
                    let [a, b]: [f32; 2] = point;
                    let (value, g, rows) = single_hessian(a, b);
                    assert_eq!(value, single(a, b), "value of f_hessian in f32");
                    let (a64, b64) = (f64::from(a), f64::from(b));
                    let (value64, g64, rows64) = double_hessian(a64, b64);
                    let direction = DoubleGrad { $x: DIRECTION[0], $y: DIRECTION[1] };
                    let (_, _, hv) = double_hvp(a64, b64, &direction);
                    let gradient = |p: &[f64]| {
                        let (_, g) = double_grad(p[0], p[1]);
                        vec![g.$x, g.$y]
                    };
                    let computed = Computed {
                        value: value64,
                        gradient: vec![g64.$x, g64.$y],
                        rows: rows64.iter().map(|r| vec![r.$x, r.$y]).collect(),
                        direction: DIRECTION.to_vec(),
                        hvp: vec![hv.$x, hv.$y],
                    };
                    check(module_path!(), &[a64, b64], double(a64, b64), computed, gradient);
                    let got = [[rows[0].$x, rows[0].$y], [rows[1].$x, rows[1].$y]];
                    let want = [[rows64[0].$x, rows64[0].$y], [rows64[1].$x, rows64[1].$y]];
                    for i in 0..2 {
                        let (gi, wi) = ([g.$x, g.$y][i], [g64.$x, g64.$y][i]);
                        assert!(error(f64::from(gi), wi) < 1e-4, "{} ∂/∂#{i}: f32 {gi}, f64 {wi}", module_path!());
                        for j in 0..2 {
                            assert!(
                                error(f64::from(got[i][j]), want[i][j]) < 1e-3,
                                "{} at {point:?}: f32 H[{i}][{j}] is {}, f64 {}",
                                module_path!(),
                                got[i][j],
                                want[i][j]
                            );
                        }
                    }
                }
            }
        }
    };
}

single!(
    single_sin_exp,
    |x, y| (x * y).sin() * x.exp() + y * y.cos(),
    [0.7, -1.3],
    [1.4, 0.6]
);
single!(
    single_ln_sqrt,
    |x, y| (x * y).ln() * x.sqrt() + y * y.cbrt(),
    [1.3, 0.6],
    [0.4, 2.2]
);
single!(
    single_powf_atan2,
    |x, y| (x * y).powf(y) * x.atan2(y) + y.hypot(x),
    [1.3, 0.7],
    [0.4, 2.1]
);
single!(
    single_tanh_mul_add,
    |x, y| (x * y).tanh() * x.mul_add(y, 0.5) + y * y.max(x),
    [0.7, -1.3],
    [1.4, 0.6]
);
single!(
    single_special,
    |x, y| special::erf(x * y) * special::sinc(x) + y * special::erfc(y),
    [0.7, -1.3],
    [1.4, 0.6]
);
single!(
    single_nn,
    |x, y| nn::sigmoid(x * y) * nn::tanh(x) + y * nn::relu(y),
    [0.7, 1.3],
    [1.4, -0.6]
);

/// `libm`'s `f32` functions (names ending in `f`) against the `f64` ones.
#[differentiate(hessian)]
fn libm_single(x: f32, y: f32) -> f32 {
    libm::expf(x * y) * libm::powf(x, y) + y * libm::erff(y) * libm::sinf(x)
}

#[differentiate(hessian)]
fn libm_double(x: f64, y: f64) -> f64 {
    libm::exp(x * y) * libm::pow(x, y) + y * libm::erf(y) * libm::sin(x)
}

#[test]
fn libm_single_against_double() {
    for [a, b] in [[1.3_f32, 0.7], [0.4, -1.1]] {
        let (value, _, rows) = libm_single_hessian(a, b);
        assert_eq!(value, libm_single(a, b));
        let (a64, b64) = (f64::from(a), f64::from(b));
        let (value64, g64, rows64) = libm_double_hessian(a64, b64);
        let (_, _, hv) = libm_double_hvp(
            a64,
            b64,
            &LibmDoubleGrad {
                x: DIRECTION[0],
                y: DIRECTION[1],
            },
        );
        let gradient = |p: &[f64]| {
            let (_, g) = libm_double_grad(p[0], p[1]);
            vec![g.x, g.y]
        };
        check(
            "libm_double",
            &[a64, b64],
            libm_double(a64, b64),
            Computed {
                value: value64,
                gradient: vec![g64.x, g64.y],
                rows: rows64.iter().map(|r| vec![r.x, r.y]).collect(),
                direction: DIRECTION.to_vec(),
                hvp: vec![hv.x, hv.y],
            },
            gradient,
        );
        for i in 0..2 {
            let got = [rows[i].x, rows[i].y];
            let want = [rows64[i].x, rows64[i].y];
            for j in 0..2 {
                assert!(
                    error(f64::from(got[j]), want[j]) < 1e-3,
                    "libm f32 H[{i}][{j}] is {}, f64 {}",
                    got[j],
                    want[j]
                );
            }
        }
    }
}

// ---- nalgebra rows in Hessians ----

/// The point: a (column-major; its lower triangle is symmetric positive definite, with
/// distinct eigenvalues and singular values, and the matrix is invertible), then v.
const MATRIX_POINT: [f64; 12] = [
    4.0, 0.5, -0.1, 0.3, 3.0, 0.6, -0.2, 0.4, 5.0, 0.5, -0.7, 0.3,
];
/// The direction of the `f_hvp` checks.
const MATRIX_DIRECTION: [f64; 12] = [
    0.3, -0.1, 0.7, 0.2, -0.4, 0.6, 0.25, 0.1, -0.5, 0.8, -0.2, 0.45,
];
/// Data (not differentiated).
const W: [f64; 3] = [0.2, 1.1, -0.4];

fn split(p: &[f64]) -> (Matrix3<f64>, Vector3<f64>) {
    (
        Matrix3::from_column_slice(&p[..9]),
        Vector3::from_column_slice(&p[9..12]),
    )
}

/// A `#[differentiate(hessian, wrt(a, v))]` function of a `Matrix3` `a`, a `Vector3` `v`
/// and a data vector `w`, and its test: the 12×12 Hessian (a's entries in column-major
/// order, then v's) against central differences of the gradient.
macro_rules! matrix_row {
    ($name:ident, |$a:ident, $v:ident, $w:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[differentiate(hessian, wrt($a, $v))]
            pub fn h($a: &Matrix3<f64>, $v: &Vector3<f64>, $w: &Vector3<f64>) -> f64 {
                $body
            }

            fn flat(g: &HGrad) -> Vec<f64> {
                g.$a.iter().chain(g.$v.iter()).copied().collect()
            }

            #[test]
            fn hessian() {
                let w = Vector3::from_column_slice(&W);
                let (a, v) = split(&MATRIX_POINT);
                let (value, g, rows) = h_hessian(&a, &v, &w);
                let (da, dv) = split(&MATRIX_DIRECTION);
                let (hvp_value, _, hv) = h_hvp(&a, &v, &w, &HGrad { $a: da, $v: dv });
                assert_eq!(hvp_value, h(&a, &v, &w), "value of f_hvp");
                let gradient = |p: &[f64]| {
                    let (a, v) = split(p);
                    let (value, g) = h_grad(&a, &v, &w);
                    assert_eq!(value, h(&a, &v, &w), "value of f_grad");
                    flat(&g)
                };
                let computed = Computed {
                    value,
                    gradient: flat(&g),
                    rows: rows.iter().map(flat).collect(),
                    direction: MATRIX_DIRECTION.to_vec(),
                    hvp: flat(&hv),
                };
                check(
                    module_path!(),
                    &MATRIX_POINT,
                    h(&a, &v, &w),
                    computed,
                    gradient,
                );
            }
        }
    };
}

matrix_row!(m_norm, |a, v, w| v.norm() * a.norm() + w.norm() * v[0]);
matrix_row!(m_norm_squared, |a, v, w| v.norm_squared()
    * a.norm_squared().sqrt()
    + w[0]);
matrix_row!(m_dot, |a, v, w| v.dot(v) * a.dot(a).ln() + v.dot(w));
matrix_row!(m_normalize, |a, v, w| {
    let u = v.normalize();
    u[0] * a[(0, 0)] + u[2] * u[1] + u.dot(w)
});
matrix_row!(m_cross, |a, v, w| {
    let z = a * v;
    let c = v.cross(&z);
    c[0] * c[1] + c.dot(w) + c.norm()
});
matrix_row!(m_transpose, |a, v, w| {
    let t = a.transpose();
    (t * v).dot(&(a * v)) + t[(0, 1)] * w[0]
});
matrix_row!(m_sum_mean_trace, |a, v, w| a.sum() * v.mean()
    + a.trace() * a.trace() * v.sum()
    + w.sum());
matrix_row!(m_determinant, |a, v, w| {
    let d = a.determinant();
    d * d.ln() * v[0] + w[1] * d
});
matrix_row!(m_component_mul_div, |a, v, w| {
    let p = v.component_mul(v);
    let q = v.component_div(&(p.add_scalar(1.0)));
    p.dot(&q) + a.component_mul(a).sum() * q[1] + w[2]
});
matrix_row!(m_add_scalar, |a, v, w| v
    .add_scalar(a[(1, 1)])
    .norm_squared()
    * a[(0, 0)]
    + w[0]);
matrix_row!(m_views, |a, v, w| {
    let c = a.column(1).dot(&a.column(0));
    let r = a.row(2).sum();
    let f = a.fixed_view::<2, 2>(1, 0).norm_squared();
    let s = a.rows(0, 2).sum() * a.columns(1, 2).sum();
    c * r + f * v[0] + s * v.fixed_rows::<2>(1).sum() + w[0]
});
matrix_row!(m_owned_copies, |a, v, w| {
    let top = a.rows(0, 1).into_owned();
    let b = a.clone();
    let c = a.column(2).clone_owned();
    (top * v).sum() * b[(1, 1)] + c.norm_squared() * v[2] + w[0]
});
matrix_row!(m_diagonal_map, |a, v, w| a.diagonal().map(|d| d.ln()).sum()
    * v[0]
    + v.map(|x| x.sin()).dot(w));
matrix_row!(m_matrix_product, |a, v, w| {
    let y = a * a * v;
    y.dot(&y) + (a.transpose() * a).trace() * v[1] + y.dot(w)
});
matrix_row!(m_try_inverse, |a, v, w| {
    let inverse = a.clone().try_inverse().unwrap();
    (inverse * v).dot(v) + inverse.sum() * v[1] + (inverse * w).sum()
});
matrix_row!(m_lu_solve, |a, v, w| {
    let x = a.clone().lu().solve(v).unwrap();
    x.norm_squared() + x[0] * v[1] + x.dot(w)
});
matrix_row!(m_qr_solve, |a, v, w| {
    let x = a.clone().qr().solve(v).unwrap();
    x.norm_squared() + x[2] * v[0] + x.dot(w)
});
matrix_row!(m_cholesky, |a, v, w| {
    let c = a.clone().cholesky().unwrap();
    let x = c.solve(v);
    x.dot(v) + c.ln_determinant() * v[1] + c.l()[(2, 1)] * c.determinant() + x.dot(w)
});
matrix_row!(m_triangular_solves, |a, v, w| {
    let l = a.solve_lower_triangular(v).unwrap();
    let u = a.solve_upper_triangular(v).unwrap();
    let t = a.tr_solve_lower_triangular(w).unwrap();
    l.dot(&u) + t.norm_squared() * v[0]
});
// Σ ln λ and Σ exp(0.3λ): functions of the spectrum whatever order nalgebra gives it in.
matrix_row!(m_symmetric_eigenvalues, |a, v, w| {
    let lambda = a.symmetric_eigenvalues();
    lambda.map(|l| l.ln()).sum() + lambda.map(|l| (0.3 * l).exp()).sum() * v[0] + w[0]
});
matrix_row!(m_singular_values, |a, v, w| {
    let sigma = a.singular_values();
    sigma[0] * sigma[2] * v[1] + sigma.map(|s| s.ln()).sum() + w[0]
});
matrix_row!(m_from_euler_angles, |a, v, w| {
    let r = Rotation3::from_euler_angles(v[0], v[1] * a[(0, 0)], v[2]);
    let u = r * (a * w);
    let q = r.transpose() * r * v;
    u[0] * u[1] + u[2] + q.dot(w)
});
matrix_row!(m_rotation_new, |a, v, w| {
    let r = Rotation3::new(v * a[(0, 1)]);
    let u = r * (a * w);
    u[0] * u[1] + u[2] + (Rotation3::from_scaled_axis(*v) * w).dot(v)
});
matrix_row!(m_nn, |a, v, w| {
    let s = nn::softmax(&(a * v));
    s[1] * v[0]
        + nn::log_sum_exp(v) * a[(1, 0)]
        + nn::mse(&(a * v), w)
        + nn::cross_entropy(a, &[1, 0, 2])
});

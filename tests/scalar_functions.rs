//! Scalar functions through `#[differentiate]`:
//!
//! * (a) every supported float method and operator, in method form (`x.sin()`) and
//!   associated-function form (`f64::sin(x)`), checked against central finite differences
//!   at random points of its domain;
//! * (b) the same for `f32`, whose gradient must agree with the `f64` one to ~1e-5;
//! * (c) the language features a differentiated body may use;
//! * (d) larger composed functions of several variables.

use proptest::prelude::*;
use tapeless::check::{central_difference, check_gradient, relative_error, Tolerance};
use tapeless::differentiate;

/// Fails the property test case when `analytic` is not the gradient of `f` at `x`.
fn assert_gradient<F>(f: F, x: &[f64], analytic: &[f64]) -> Result<(), TestCaseError>
where
    F: FnMut(&[f64]) -> f64,
{
    check_gradient(f, x, analytic, Tolerance::default())
        .map_err(|mismatch| TestCaseError::fail(format!("{mismatch} at x = {x:?}")))
}

/// Fails when `actual` and `expected` differ by more than `tolerance` (relative, absolute
/// below 1).
fn assert_close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    let error = relative_error(actual, expected);
    assert!(
        error <= tolerance,
        "{what}: got {actual:e}, expected {expected:e} (relative error {error:e})"
    );
}

/// A number whose magnitude is in `[lo, hi]`, of either sign.
fn magnitude(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo..=hi, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
}

/// `k + offset` for an integer `k` in `[-9, 9]` and `offset` in `[lo, hi]`: points at a
/// distance from the jumps of `floor`, `round`, ... that finite differences can respect.
fn off_integer(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (-9..=9_i32, lo..=hi).prop_map(|(k, offset)| f64::from(k) + offset)
}

/// At least `cases` cases (more if `PROPTEST_CASES` asks for more), and room for the
/// rejections of `prop_assume!`, which keeps points away from kinks and jumps.
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: cases.max(default.cases),
        max_global_rejects: 1 << 20,
        ..default
    }
}

fn seed() -> impl Strategy<Value = f64> {
    -10.0..10.0_f64
}

// =======================================================================================
// (a) + (b): one-argument float methods.
//
// For each method the macro declares, in a module named after it,
//   method(x: f64) = x.m(),  assoc(x: f64) = f64::m(x),
//   method32(x: f32) = x.m(), assoc32(x: f32) = f32::m(x),
// and checks at random points of `$domain` that
//   * each `_grad` returns the plain function's value,
//   * the f64 gradients agree with central differences (relative error < 1e-6),
//   * `_vjp(x, s)` is `s` times the gradient,
//   * the f32 gradients agree with the f64 gradient at the same point to 1e-5.
// =======================================================================================

macro_rules! unary_methods {
    ($($m:ident in $domain:expr;)*) => {$(
        mod $m {
            use super::*;

            #[differentiate]
            pub fn method(x: f64) -> f64 {
                x.$m()
            }

            #[differentiate]
            pub fn assoc(x: f64) -> f64 {
                f64::$m(x)
            }

            #[differentiate]
            pub fn method32(x: f32) -> f32 {
                x.$m()
            }

            #[differentiate]
            pub fn assoc32(x: f32) -> f32 {
                f32::$m(x)
            }

            proptest! {
                #[test]
                fn gradient_matches_finite_differences(x in $domain, s in seed()) {
                    let (value, grad) = method_grad(x);
                    prop_assert_eq!(value, method(x));
                    prop_assert_eq!(value, x.$m());
                    assert_gradient(|p| method(p[0]), &[x], &[grad.x])?;

                    let (value, assoc_grad) = assoc_grad(x);
                    prop_assert_eq!(value, assoc(x));
                    prop_assert_eq!(assoc_grad.x, grad.x);
                    assert_gradient(|p| assoc(p[0]), &[x], &[assoc_grad.x])?;

                    let (value, vjp) = method_vjp(x, s);
                    prop_assert_eq!(value, method(x));
                    assert_close("method vjp", vjp.x, s * grad.x, 1e-14);
                    let (_, vjp) = assoc_vjp(x, s);
                    assert_close("assoc vjp", vjp.x, s * grad.x, 1e-14);
                }

                #[test]
                fn f32_gradient_agrees_with_f64(x in $domain) {
                    let x32 = x as f32;
                    let reference = method_grad(f64::from(x32)).1.x;
                    let (value, grad) = method32_grad(x32);
                    prop_assert_eq!(value, method32(x32));
                    assert_close("f32 method", f64::from(grad.x), reference, 1e-5);
                    let (value, grad) = assoc32_grad(x32);
                    prop_assert_eq!(value, assoc32(x32));
                    assert_close("f32 assoc", f64::from(grad.x), reference, 1e-5);
                    let (_, vjp) = method32_vjp(x32, 0.5);
                    prop_assert_eq!(vjp.x, 0.5 * method32_grad(x32).1.x);
                }
            }
        }
    )*};
}

unary_methods! {
    sin in -6.0..6.0_f64;
    cos in -6.0..6.0_f64;
    tan in -1.4..1.4_f64;
    asin in -0.9..0.9_f64;
    acos in -0.9..0.9_f64;
    atan in -10.0..10.0_f64;
    sinh in -5.0..5.0_f64;
    cosh in -5.0..5.0_f64;
    tanh in -5.0..5.0_f64;
    asinh in -10.0..10.0_f64;
    acosh in 1.1..10.0_f64;
    atanh in -0.9..0.9_f64;
    exp in -5.0..5.0_f64;
    exp2 in -5.0..5.0_f64;
    exp_m1 in -5.0..5.0_f64;
    ln in 0.1..10.0_f64;
    ln_1p in -0.9..10.0_f64;
    log10 in 0.1..10.0_f64;
    log2 in 0.1..10.0_f64;
    sqrt in 0.1..10.0_f64;
    cbrt in magnitude(0.1, 10.0);
    recip in magnitude(0.1, 10.0);
    abs in magnitude(0.01, 10.0);
    signum in magnitude(0.02, 10.0);
    to_degrees in -10.0..10.0_f64;
    to_radians in -100.0..100.0_f64;
    fract in off_integer(0.05, 0.95);
    floor in off_integer(0.05, 0.95);
    ceil in off_integer(0.05, 0.95);
    trunc in off_integer(0.05, 0.95);
    round in off_integer(-0.45, 0.45);
}

/// The piecewise-constant methods have a zero derivative wherever it exists: their
/// gradients must be exactly 0, not just close to the finite-difference estimate.
#[test]
fn piecewise_constant_methods_have_zero_gradient() {
    for x in [-7.3, -2.5, -0.4, 0.3, 1.5, 2.0, 8.9] {
        let grads = [
            floor::method_grad(x).1.x,
            floor::assoc_grad(x).1.x,
            ceil::method_grad(x).1.x,
            ceil::assoc_grad(x).1.x,
            round::method_grad(x).1.x,
            round::assoc_grad(x).1.x,
            trunc::method_grad(x).1.x,
            trunc::assoc_grad(x).1.x,
            signum::method_grad(x).1.x,
            signum::assoc_grad(x).1.x,
        ];
        assert_eq!(grads, [0.0; 10], "at x = {x}");
        // `fract` = x − trunc x has derivative 1 (almost everywhere).
        assert_eq!(fract::method_grad(x).1.x, 1.0);
    }
}

// =======================================================================================
// (a) + (b): methods with several arguments and the operators.
// =======================================================================================

#[differentiate]
fn log_method(x: f64, base: f64) -> f64 {
    x.log(base)
}

#[differentiate]
fn log_assoc(x: f64, base: f64) -> f64 {
    f64::log(x, base)
}

#[differentiate]
fn powf_method(x: f64, n: f64) -> f64 {
    x.powf(n)
}

#[differentiate]
fn powf_assoc(x: f64, n: f64) -> f64 {
    f64::powf(x, n)
}

#[differentiate]
fn powi_method(x: f64, n: i32) -> f64 {
    x.powi(n)
}

#[differentiate]
fn powi_assoc(x: f64, n: i32) -> f64 {
    f64::powi(x, n)
}

#[differentiate]
fn atan2_method(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

#[differentiate]
fn atan2_assoc(y: f64, x: f64) -> f64 {
    f64::atan2(y, x)
}

#[differentiate]
fn hypot_method(a: f64, b: f64) -> f64 {
    a.hypot(b)
}

#[differentiate]
fn hypot_assoc(a: f64, b: f64) -> f64 {
    f64::hypot(a, b)
}

#[differentiate]
fn max_method(a: f64, b: f64) -> f64 {
    a.max(b)
}

#[differentiate]
fn max_assoc(a: f64, b: f64) -> f64 {
    f64::max(a, b)
}

#[differentiate]
fn min_method(a: f64, b: f64) -> f64 {
    a.min(b)
}

#[differentiate]
fn min_assoc(a: f64, b: f64) -> f64 {
    f64::min(a, b)
}

#[differentiate]
fn clamp_method(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[differentiate]
fn clamp_assoc(x: f64, lo: f64, hi: f64) -> f64 {
    f64::clamp(x, lo, hi)
}

#[differentiate]
fn mul_add_method(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

#[differentiate]
fn mul_add_assoc(a: f64, b: f64, c: f64) -> f64 {
    f64::mul_add(a, b, c)
}

#[differentiate]
fn add(a: f64, b: f64) -> f64 {
    a + b
}

#[differentiate]
fn sub(a: f64, b: f64) -> f64 {
    a - b
}

#[differentiate]
fn mul(a: f64, b: f64) -> f64 {
    a * b
}

#[differentiate]
fn div(a: f64, b: f64) -> f64 {
    a / b
}

#[differentiate]
fn rem(a: f64, b: f64) -> f64 {
    a % b
}

#[differentiate]
fn neg(a: f64) -> f64 {
    -a
}

/// Checks a two-argument function's `_grad` against its plain version and finite
/// differences, and evaluates to the gradient as `[f64; 2]`.
macro_rules! check_binary {
    ($f:ident, $f_grad:ident, $a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        let (value, grad) = $f_grad(a, b);
        prop_assert_eq!(value, $f(a, b));
        let fields: [f64; 2] = grad_fields(&grad);
        assert_gradient(|p| $f(p[0], p[1]), &[a, b], &fields)?;
        fields
    }};
}

/// The fields of a two-parameter gradient struct, in declaration order.
trait Fields2 {
    fn fields(&self) -> [f64; 2];
}

macro_rules! fields2 {
    ($($ty:ident { $a:ident, $b:ident })*) => {$(
        impl Fields2 for $ty {
            fn fields(&self) -> [f64; 2] {
                [self.$a, self.$b]
            }
        }
    )*};
}

fields2! {
    LogMethodGrad { x, base }
    LogAssocGrad { x, base }
    PowfMethodGrad { x, n }
    PowfAssocGrad { x, n }
    Atan2MethodGrad { y, x }
    Atan2AssocGrad { y, x }
    HypotMethodGrad { a, b }
    HypotAssocGrad { a, b }
    MaxMethodGrad { a, b }
    MaxAssocGrad { a, b }
    MinMethodGrad { a, b }
    MinAssocGrad { a, b }
    AddGrad { a, b }
    SubGrad { a, b }
    MulGrad { a, b }
    DivGrad { a, b }
    RemGrad { a, b }
}

fn grad_fields<G: Fields2>(grad: &G) -> [f64; 2] {
    grad.fields()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn log_with_a_base(x in 0.1..10.0_f64, base in prop_oneof![0.1..0.7_f64, 1.5..10.0_f64]) {
        let m = check_binary!(log_method, log_method_grad, x, base);
        let a = check_binary!(log_assoc, log_assoc_grad, x, base);
        prop_assert_eq!(m, a);
        // Closed form: ∂/∂x = 1/(x ln b), ∂/∂b = −ln x/(b ln² b).
        assert_close("∂x log_b x", m[0], 1.0 / (x * base.ln()), 1e-12);
        assert_close("∂b log_b x", m[1], -x.ln() / (base * base.ln() * base.ln()), 1e-12);
    }

    #[test]
    fn powf_both_arguments(x in 0.1..5.0_f64, n in -3.0..3.0_f64) {
        let m = check_binary!(powf_method, powf_method_grad, x, n);
        let a = check_binary!(powf_assoc, powf_assoc_grad, x, n);
        prop_assert_eq!(m, a);
        assert_close("∂x xⁿ", m[0], n * x.powf(n - 1.0), 1e-12);
        assert_close("∂n xⁿ", m[1], x.powf(n) * x.ln(), 1e-12);
    }

    #[test]
    fn powi_with_integer_exponent(x in magnitude(0.1, 3.0), n in -4..=6_i32) {
        let (value, grad) = powi_method_grad(x, n);
        prop_assert_eq!(value, powi_method(x, n));
        // The gradient struct has no field for the integer exponent.
        let PowiMethodGrad { x: dx } = grad;
        assert_gradient(|p| powi_method(p[0], n), &[x], &[dx])?;
        let (value, grad) = powi_assoc_grad(x, n);
        prop_assert_eq!(value, powi_assoc(x, n));
        let PowiAssocGrad { x: dx_assoc } = grad;
        prop_assert_eq!(dx_assoc, dx);
        assert_close("∂x xⁿ", dx, f64::from(n) * x.powi(n - 1), 1e-12);
    }

    #[test]
    fn atan2_away_from_the_origin_and_the_cut(y in -5.0..5.0_f64, x in -5.0..5.0_f64) {
        prop_assume!(y.hypot(x) > 0.1);
        // atan2 jumps by 2π across the negative x axis.
        prop_assume!(!(x < 0.0 && y.abs() < 0.05));
        let m = check_binary!(atan2_method, atan2_method_grad, y, x);
        let a = check_binary!(atan2_assoc, atan2_assoc_grad, y, x);
        prop_assert_eq!(m, a);
        let r2 = x * x + y * y;
        assert_close("∂y atan2", m[0], x / r2, 1e-12);
        assert_close("∂x atan2", m[1], -y / r2, 1e-12);
    }

    #[test]
    fn hypot_away_from_the_origin(a in -5.0..5.0_f64, b in -5.0..5.0_f64) {
        prop_assume!(a.hypot(b) > 0.1);
        let m = check_binary!(hypot_method, hypot_method_grad, a, b);
        let n = check_binary!(hypot_assoc, hypot_assoc_grad, a, b);
        prop_assert_eq!(m, n);
        let r = a.hypot(b);
        assert_close("∂a hypot", m[0], a / r, 1e-12);
        assert_close("∂b hypot", m[1], b / r, 1e-12);
    }

    #[test]
    fn max_and_min_away_from_ties(a in -5.0..5.0_f64, b in -5.0..5.0_f64) {
        prop_assume!((a - b).abs() > 0.05);
        let hi = check_binary!(max_method, max_method_grad, a, b);
        prop_assert_eq!(hi, check_binary!(max_assoc, max_assoc_grad, a, b));
        let lo = check_binary!(min_method, min_method_grad, a, b);
        prop_assert_eq!(lo, check_binary!(min_assoc, min_assoc_grad, a, b));
        if a > b {
            prop_assert_eq!((hi, lo), ([1.0, 0.0], [0.0, 1.0]));
        } else {
            prop_assert_eq!((hi, lo), ([0.0, 1.0], [1.0, 0.0]));
        }
    }

    #[test]
    fn clamp_inside_and_outside(x in -10.0..10.0_f64, lo in -5.0..0.0_f64, hi in 0.1..5.0_f64) {
        prop_assume!((x - lo).abs() > 0.05 && (x - hi).abs() > 0.05);
        let expected = if x < lo {
            [0.0, 1.0, 0.0]
        } else if x > hi {
            [0.0, 0.0, 1.0]
        } else {
            [1.0, 0.0, 0.0]
        };
        let (value, grad) = clamp_method_grad(x, lo, hi);
        prop_assert_eq!(value, clamp_method(x, lo, hi));
        let fields = [grad.x, grad.lo, grad.hi];
        assert_gradient(|p| clamp_method(p[0], p[1], p[2]), &[x, lo, hi], &fields)?;
        prop_assert_eq!(fields, expected);

        let (value, grad) = clamp_assoc_grad(x, lo, hi);
        prop_assert_eq!(value, clamp_assoc(x, lo, hi));
        let fields = [grad.x, grad.lo, grad.hi];
        assert_gradient(|p| clamp_assoc(p[0], p[1], p[2]), &[x, lo, hi], &fields)?;
        prop_assert_eq!(fields, expected);
    }

    #[test]
    fn mul_add_all_three_arguments(a in -5.0..5.0_f64, b in -5.0..5.0_f64, c in -5.0..5.0_f64) {
        let (value, grad) = mul_add_method_grad(a, b, c);
        prop_assert_eq!(value, a.mul_add(b, c));
        prop_assert_eq!([grad.a, grad.b, grad.c], [b, a, 1.0]);
        assert_gradient(|p| mul_add_method(p[0], p[1], p[2]), &[a, b, c], &[grad.a, grad.b, grad.c])?;
        let (value, grad) = mul_add_assoc_grad(a, b, c);
        prop_assert_eq!(value, mul_add_assoc(a, b, c));
        prop_assert_eq!([grad.a, grad.b, grad.c], [b, a, 1.0]);
    }

    #[test]
    fn arithmetic_operators(a in -10.0..10.0_f64, b in magnitude(0.1, 10.0)) {
        prop_assert_eq!(check_binary!(add, add_grad, a, b), [1.0, 1.0]);
        prop_assert_eq!(check_binary!(sub, sub_grad, a, b), [1.0, -1.0]);
        prop_assert_eq!(check_binary!(mul, mul_grad, a, b), [b, a]);
        let d = check_binary!(div, div_grad, a, b);
        assert_close("∂a a/b", d[0], 1.0 / b, 1e-15);
        assert_close("∂b a/b", d[1], -a / (b * b), 1e-14);
        let (value, grad) = neg_grad(a);
        prop_assert_eq!((value, grad.a), (-a, -1.0));
        assert_gradient(|p| neg(p[0]), &[a], &[grad.a])?;
    }

    #[test]
    fn remainder_away_from_its_jumps(
        b in magnitude(1.0, 3.0),
        k in -2..=2_i32,
        offset in 0.05..0.95_f64,
    ) {
        // a % b = a − b·trunc(a/b) jumps where a/b is an integer: put a/b at k + offset.
        let a = b * (f64::from(k) + offset);
        let q = (a / b).fract().abs();
        prop_assert!(q > 0.04 && q < 0.96);
        let r = check_binary!(rem, rem_grad, a, b);
        prop_assert_eq!(r, [1.0, -(a / b).trunc()]);
    }
}

// =======================================================================================
// (b) f32 functions of several variables.
// =======================================================================================

#[differentiate]
fn mixed32(x: f32, y: f32) -> f32 {
    let s = (x * y).sin() + x.exp() / y - y.sqrt() * x.powi(2);
    let t = x.atan2(y) + x.hypot(y).ln() + y.powf(x) + y.log(3.0);
    let u = x.max(y) * x.min(y) + x.mul_add(y, 0.5) + x.clamp(-1.0, 1.0) * x.tanh();
    s * 0.5 + t - u / (2.0 + y)
}

#[differentiate]
fn mixed64(x: f64, y: f64) -> f64 {
    let s = (x * y).sin() + x.exp() / y - y.sqrt() * x.powi(2);
    let t = x.atan2(y) + x.hypot(y).ln() + y.powf(x) + y.log(3.0);
    let u = x.max(y) * x.min(y) + x.mul_add(y, 0.5) + x.clamp(-1.0, 1.0) * x.tanh();
    s * 0.5 + t - u / (2.0 + y)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn f32_gradient_agrees_with_f64(x in -2.0..2.0_f64, y in 0.5..3.0_f64) {
        let (x32, y32) = (x as f32, y as f32);
        // Away from the kinks of max/min (x = y) and clamp (x = ±1).
        prop_assume!((x32 - y32).abs() > 0.05 && (x32.abs() - 1.0).abs() > 0.05);
        let (x, y) = (f64::from(x32), f64::from(y32));
        let (value64, g64) = mixed64_grad(x, y);
        let (value32, g32) = mixed32_grad(x32, y32);
        prop_assert_eq!(value32, mixed32(x32, y32));
        assert_close("f32 value", f64::from(value32), value64, 1e-5);
        assert_close("f32 ∂x", f64::from(g32.x), g64.x, 1e-5);
        assert_close("f32 ∂y", f64::from(g32.y), g64.y, 1e-5);
        assert_gradient(|p| mixed64(p[0], p[1]), &[x, y], &[g64.x, g64.y])?;
        let (_, vjp) = mixed32_vjp(x32, y32, 4.0);
        prop_assert_eq!((vjp.x, vjp.y), (4.0 * g32.x, 4.0 * g32.y));
    }
}

// =======================================================================================
// (c) Language features.
// =======================================================================================

/// Shadowing of locals and of a parameter.
/// f = (sin(xy) + x)·x / y.
#[differentiate]
#[allow(clippy::let_and_return)]
fn shadowing(x: f64, y: f64) -> f64 {
    let z = x * y;
    let z = z.sin() + x;
    let x = z * x;
    let z = x / y;
    z
}

#[test]
fn shadowing_versions_are_distinct() {
    for (x, y) in [(0.3, 1.7), (-1.2, 0.4), (2.0, -3.0)] {
        let (value, grad) = shadowing_grad(x, y);
        let s = (x * y).sin() + x;
        assert_eq!(value, shadowing(x, y));
        // ∂x = ((y cos(xy) + 1)x + s)/y, ∂y = x² cos(xy)/y − s·x/y².
        let dx = ((y * (x * y).cos() + 1.0) * x + s) / y;
        let dy = x * x * (x * y).cos() / y - s * x / (y * y);
        assert_close("∂x", grad.x, dx, 1e-13);
        assert_close("∂y", grad.y, dy, 1e-13);
    }
}

/// `let mut` with every compound assignment.
/// f = (x + y² − sin x)·y / (x + 2).
#[differentiate]
fn compound_assignment(x: f64, y: f64) -> f64 {
    let mut acc = x;
    acc += y * y;
    acc -= x.sin();
    acc *= y;
    acc /= x + 2.0;
    acc
}

/// Plain reassignment of a `let mut`: f = √(4x² + y).
#[differentiate]
fn reassignment(x: f64, y: f64) -> f64 {
    let mut v = x * 2.0;
    v = v * v + y;
    v = v.sqrt();
    v
}

/// A `mut` parameter reassigned in place: f = (x·y + y)². It lives in a module with
/// `#![deny(warnings)]`-like strictness: the generated functions must not warn.
#[deny(unused_mut)]
mod mut_param {
    use tapeless::differentiate;

    #[differentiate]
    #[allow(clippy::assign_op_pattern)]
    pub fn mut_parameter(mut x: f64, y: f64) -> f64 {
        x = x * y;
        x += y;
        x *= x;
        x
    }
}
use mut_param::{mut_parameter, mut_parameter_grad};

proptest! {
    #[test]
    fn compound_assignments_follow_the_chain_rule(x in 0.0..3.0_f64, y in -3.0..3.0_f64) {
        let (value, grad) = compound_assignment_grad(x, y);
        prop_assert_eq!(value, compound_assignment(x, y));
        let n = x + y * y - x.sin();
        let dx = y * ((1.0 - x.cos()) * (x + 2.0) - n) / ((x + 2.0) * (x + 2.0));
        let dy = (x + 3.0 * y * y - x.sin()) / (x + 2.0);
        assert_close("∂x", grad.x, dx, 1e-12);
        assert_close("∂y", grad.y, dy, 1e-12);
        assert_gradient(|p| compound_assignment(p[0], p[1]), &[x, y], &[grad.x, grad.y])?;
    }

    #[test]
    fn reassignment_follows_the_chain_rule(x in -3.0..3.0_f64, y in 0.1..3.0_f64) {
        let (value, grad) = reassignment_grad(x, y);
        prop_assert_eq!(value, reassignment(x, y));
        let r = (4.0 * x * x + y).sqrt();
        assert_close("∂x", grad.x, 4.0 * x / r, 1e-13);
        assert_close("∂y", grad.y, 0.5 / r, 1e-13);
    }

    #[test]
    fn mut_parameter_rebinding(x in -3.0..3.0_f64, y in -3.0..3.0_f64) {
        let (value, grad) = mut_parameter_grad(x, y);
        let q = x * y + y;
        prop_assert_eq!(value, mut_parameter(x, y));
        assert_close("∂x", grad.x, 2.0 * q * y, 1e-13);
        assert_close("∂y", grad.y, 2.0 * q * (x + 1.0), 1e-13);
    }
}

/// Blocks as values, with inner lets, nesting, and shadowing inside the block.
/// With q = xy + 1: f = e^{2q} − 2q + y.
#[differentiate]
fn block_expressions(x: f64, y: f64) -> f64 {
    let a = {
        let t = x * y;
        t + 1.0
    };
    let b = {
        let x = a * 2.0;
        {
            let inner = x.exp();
            inner - x
        }
    };
    b + { y }
}

#[test]
fn block_expressions_are_values() {
    for (x, y) in [(0.5, -0.25), (-0.8, 0.9), (0.0, 0.3)] {
        let (value, grad) = block_expressions_grad(x, y);
        assert_eq!(value, block_expressions(x, y));
        let q = x * y + 1.0;
        let k = 2.0 * (2.0 * q).exp() - 2.0;
        assert_close("∂x", grad.x, k * y, 1e-13);
        assert_close("∂y", grad.y, k * x + 1.0, 1e-13);
    }
}

/// Parentheses, a final `return`, and unary minus on a subexpression.
#[differentiate]
#[allow(clippy::needless_return)]
fn parens_and_return(x: f64, y: f64) -> f64 {
    let z = -(x * (y + 1.0));
    return (z) * (-x);
}

#[test]
fn parens_and_final_return() {
    // f = x²(y + 1): ∂x = 2x(y + 1), ∂y = x².
    let (value, grad) = parens_and_return_grad(1.5, 2.0);
    assert_eq!(value, parens_and_return(1.5, 2.0));
    assert_eq!(value, 6.75);
    assert_eq!((grad.x, grad.y), (9.0, 2.25));
}

/// A local `const` item and a `std::f64::consts` path.
#[differentiate]
fn constants(x: f64) -> f64 {
    const K: f64 = 2.5;
    const HALF: f64 = K / 5.0;
    K * x * x + (std::f64::consts::PI * x).sin() * HALF + 1.0e-3
}

#[test]
fn constants_are_not_differentiated() {
    use std::f64::consts::PI;
    for x in [-1.3, 0.0, 0.25, 2.0] {
        let (value, grad) = constants_grad(x);
        assert_eq!(value, constants(x));
        // ∂x = 5x + (π/2)·cos(πx).
        assert_close("∂x", grad.x, 5.0 * x + 0.5 * PI * (PI * x).cos(), 1e-14);
    }
}

/// An integer parameter used through `as f64`, with integer arithmetic on it.
#[differentiate]
fn integer_parameter(x: f64, n: usize) -> f64 {
    let k = n as f64;
    x.powf(k) / ((2 * n + 1) as f64)
}

proptest! {
    #[test]
    fn integer_parameter_is_data(x in 0.1..3.0_f64, n in 1..8_usize) {
        let (value, grad) = integer_parameter_grad(x, n);
        prop_assert_eq!(value, integer_parameter(x, n));
        // No field for `n`: this pattern is exhaustive.
        let IntegerParameterGrad { x: dx } = grad;
        let k = n as f64;
        assert_close("∂x xᵏ/(2n+1)", dx, k * x.powf(k - 1.0) / (2.0 * k + 1.0), 1e-13);
    }
}

/// f64 → f32 → f64: the gradient flows through both casts.
#[differentiate]
fn narrowing_cast(x: f64) -> f64 {
    let y = x as f32;
    let z = y * y * 3.0;
    z as f64 + x
}

/// f32 → f64 → f32.
#[differentiate]
fn widening_cast(x: f32) -> f32 {
    let y = x as f64;
    (y.sin() * y) as f32
}

#[test]
fn casts_between_float_types() {
    for x in [-2.0_f64, -0.5, 0.75, 3.0] {
        // ∂x = 6x + 1, exactly representable here in f32.
        let (value, grad) = narrowing_cast_grad(x);
        assert_eq!(value, narrowing_cast(x));
        assert_eq!(grad.x, 6.0 * x + 1.0);

        let x32 = x as f32;
        let (value, grad) = widening_cast_grad(x32);
        assert_eq!(value, widening_cast(x32));
        let xd = f64::from(x32);
        assert_close(
            "∂x sin(x)·x",
            f64::from(grad.x),
            xd.sin() + xd * xd.cos(),
            1e-6,
        );
    }
}

/// A float parameter the body never reads: gradient 0.
#[differentiate]
#[allow(unused_variables)]
fn unused_parameter(x: f64, y: f64) -> f64 {
    x * 2.0
}

#[test]
fn unused_parameter_has_zero_gradient() {
    let (value, grad) = unused_parameter_grad(1.25, 7.0);
    assert_eq!(value, 2.5);
    assert_eq!(value, unused_parameter(1.25, 7.0));
    assert_eq!((grad.x, grad.y), (2.0, 0.0));
}

/// One parameter read many times: its adjoint accumulates every use.
#[differentiate]
fn many_uses(x: f64) -> f64 {
    x * x * x + x * x.sin() + x / (1.0 + x * x) + x.exp() * x - x + x
}

proptest! {
    #[test]
    fn adjoint_accumulates_over_uses(x in -3.0..3.0_f64) {
        let (value, grad) = many_uses_grad(x);
        prop_assert_eq!(value, many_uses(x));
        let d = 1.0 + x * x;
        let expected =
            3.0 * x * x + x.sin() + x * x.cos() + (1.0 - x * x) / (d * d) + x.exp() * (1.0 + x);
        assert_close("∂x", grad.x, expected, 1e-12);
    }
}

/// Returning a parameter unchanged.
#[differentiate]
fn identity(x: f64) -> f64 {
    x
}

/// Returning another parameter, with `return`.
#[differentiate]
#[allow(unused_variables, clippy::needless_return)]
fn second(x: f64, y: f64) -> f64 {
    return y;
}

/// Returning a constant: the gradient is zero.
#[differentiate]
#[allow(unused_variables)]
fn constant(x: f64) -> f64 {
    4.5
}

/// The parameter is used, but only in a value that does not reach the result: gradient 0.
#[differentiate]
fn constant_after_work(x: f64) -> f64 {
    let unused = x.sin() * 3.0;
    assert!(unused.is_finite());
    -1.0
}

#[test]
fn trivial_bodies() {
    assert_eq!(
        (
            identity(3.5),
            second(1.0, 2.0),
            constant(3.0),
            constant_after_work(0.7)
        ),
        (3.5, 2.0, 4.5, -1.0)
    );
    assert_eq!(identity_grad(3.5), (3.5, IdentityGrad { x: 1.0 }));
    assert_eq!(identity_vjp(3.5, -2.0), (3.5, IdentityGrad { x: -2.0 }));
    assert_eq!(second_grad(1.0, 2.0), (2.0, SecondGrad { x: 0.0, y: 1.0 }));
    assert_eq!(constant_grad(3.0), (4.5, ConstantGrad { x: 0.0 }));
    assert_eq!(constant_vjp(3.0, 9.0), (4.5, ConstantGrad { x: 0.0 }));
    assert_eq!(
        constant_after_work_grad(0.7),
        (-1.0, ConstantAfterWorkGrad { x: 0.0 })
    );
}

/// A `&f64` parameter: dereferenced, through auto-deref, and in `&f64 * &f64`.
#[differentiate]
fn by_reference(x: &f64, y: f64) -> f64 {
    *x * y + (*x).sin() + x.cos() + x * x
}

#[test]
fn reference_parameter_gets_an_owned_gradient() {
    let x = 0.8;
    let (value, grad) = by_reference_grad(&x, 1.5);
    assert_eq!(value, by_reference(&x, 1.5));
    // The field is an owned f64.
    let dx: f64 = grad.x;
    // ∂x = y + cos x − sin x + 2x.
    assert_close("∂x", dx, 1.5 + x.cos() - x.sin() + 2.0 * x, 1e-15);
    assert_eq!(grad.y, x);
}

/// `wrt(w)`: only `w` is differentiated.
#[differentiate(wrt(w))]
fn neuron_w(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).tanh()
}

/// `wrt(w, b)`: `x` is data.
#[differentiate(wrt(w, b))]
fn neuron_wb(w: f64, b: f64, x: f64) -> f64 {
    (w * x + b).tanh()
}

proptest! {
    #[test]
    fn wrt_restricts_the_gradient(w in -2.0..2.0_f64, b in -2.0..2.0_f64, x in -2.0..2.0_f64) {
        let t = (w * x + b).tanh();
        let dz = 1.0 - t * t;

        let (value, grad) = neuron_w_grad(w, b, x);
        prop_assert_eq!(value, neuron_w(w, b, x));
        // Exhaustive pattern and struct literal: `NeuronWGrad` has only the field `w`.
        let NeuronWGrad { w: dw } = grad;
        prop_assert_eq!(grad, NeuronWGrad { w: dw });
        assert_close("∂w", dw, dz * x, 1e-14);

        let (value, grad) = neuron_wb_grad(w, b, x);
        prop_assert_eq!(value, neuron_wb(w, b, x));
        let NeuronWbGrad { w: dw2, b: db } = grad;
        prop_assert_eq!(dw2, dw);
        assert_close("∂b", db, dz, 1e-14);

        let (_, vjp) = neuron_wb_vjp(w, b, x, 3.0);
        assert_close("vjp ∂w", vjp.w, 3.0 * dw, 1e-14);
        assert_close("vjp ∂b", vjp.b, 3.0 * db, 1e-14);
    }
}

#[test]
fn wrt_struct_literal_names_only_the_listed_fields() {
    // Compiles only because `NeuronWGrad` has exactly one field.
    let literal = NeuronWGrad { w: 1.0 };
    assert_eq!(literal.w, 1.0);
    let literal = NeuronWbGrad { w: 1.0, b: 2.0 };
    assert_eq!((literal.w, literal.b), (1.0, 2.0));
}

/// `println!` and `assert!` inside a differentiated function run in `_grad` too.
#[differentiate]
fn with_macros(x: f64) -> f64 {
    assert!(x > 0.0, "x must be positive, got {x}");
    let y = x.ln();
    println!("with_macros: ln({x}) = {y}");
    assert_eq!(y, x.ln());
    debug_assert!(y.is_finite());
    y * x
}

#[test]
fn macros_pass_through() {
    let (value, grad) = with_macros_grad(2.0);
    assert_eq!(value, with_macros(2.0));
    // d/dx x ln x = ln x + 1.
    assert_close("∂x", grad.x, 2.0_f64.ln() + 1.0, 1e-15);
}

#[test]
#[should_panic(expected = "x must be positive")]
fn assert_runs_in_the_gradient() {
    let _ = with_macros_grad(-1.0);
}

/// A plain function the macro knows nothing about, of integers only.
fn scale(n: usize) -> f64 {
    1.0 / (n as f64 + 1.0)
}

/// Calling `scale` on inactive data is allowed: its result is a constant.
#[differentiate]
fn scaled(x: f64, n: usize) -> f64 {
    x * x * scale(n)
}

#[test]
fn unknown_function_of_inactive_data() {
    for n in [0, 1, 4] {
        let (value, grad) = scaled_grad(3.0, n);
        assert_eq!(value, scaled(3.0, n));
        assert_close("∂x", grad.x, 6.0 * scale(n), 1e-15);
    }
}

/// Piecewise-constant functions contribute nothing: the only nonzero term of f′ is
/// floor(x), from the factor `x` of floor(x)·x; floor, round, signum, ceil and trunc
/// themselves add nothing.
#[differentiate]
fn staircase(x: f64) -> f64 {
    x.floor() * x + x.round() + x.signum() * x.ceil() + x.trunc() - f64::floor(x * 2.0)
}

proptest! {
    #[test]
    fn piecewise_constant_parts_have_no_adjoint(x in off_integer(0.05, 0.45)) {
        let (value, grad) = staircase_grad(x);
        prop_assert_eq!(value, staircase(x));
        prop_assert_eq!(grad.x, x.floor());
        assert_gradient(|p| staircase(p[0]), &[x], &[grad.x])?;
    }
}

/// Conventions at ties and at zero (runtime/src/scalar.rs): `max`/`min`/`clamp` split the
/// adjoint evenly between tied arguments, `abs` has derivative 0 at 0, `hypot` 0 at the
/// origin.
#[test]
fn conventions_at_ties_and_zero() {
    for t in [-1.5, 0.0, 2.0] {
        assert_eq!(max_method_grad(t, t), (t, MaxMethodGrad { a: 0.5, b: 0.5 }));
        assert_eq!(max_assoc_grad(t, t), (t, MaxAssocGrad { a: 0.5, b: 0.5 }));
        assert_eq!(min_method_grad(t, t), (t, MinMethodGrad { a: 0.5, b: 0.5 }));
        assert_eq!(min_assoc_grad(t, t), (t, MinAssocGrad { a: 0.5, b: 0.5 }));
    }
    assert_eq!(abs::method_grad(0.0), (0.0, abs::MethodGrad { x: 0.0 }));
    assert_eq!(abs::assoc_grad(-0.0).1.x, 0.0);
    assert_eq!(abs::method_grad(-2.0).1.x, -1.0);
    assert_eq!(abs::method_grad(2.0).1.x, 1.0);

    // clamp at its lower and upper bounds.
    let (value, grad) = clamp_method_grad(-1.0, -1.0, 1.0);
    assert_eq!(value, -1.0);
    assert_eq!((grad.x, grad.lo, grad.hi), (0.5, 0.5, 0.0));
    let (value, grad) = clamp_method_grad(1.0, -1.0, 1.0);
    assert_eq!(value, 1.0);
    assert_eq!((grad.x, grad.lo, grad.hi), (0.5, 0.0, 0.5));

    assert_eq!(
        hypot_method_grad(0.0, 0.0),
        (0.0, HypotMethodGrad { a: 0.0, b: 0.0 })
    );
}

// =======================================================================================
// (d) Larger composed functions, checked against central differences.
// =======================================================================================

/// Four variables, most of the supported operations, shadowing, blocks and compound
/// assignment. Smooth for a > 0.2 (atan2 away from its cut) and a ≠ b (max).
#[differentiate]
fn composed(a: f64, b: f64, c: f64, d: f64) -> f64 {
    let r = a.hypot(b);
    let theta = b.atan2(a);
    let mut acc = r * theta.cos() + (c * d).sin().powi(2);
    acc += (a * a + 1.0).ln() * d.tanh();
    let gate = 1.0 / (1.0 + (-c).exp());
    acc *= gate;
    let w = {
        let t = c.mul_add(d, 0.5);
        t.exp2().sqrt()
    };
    acc -= w / (1.0 + b * b);
    acc += (1.0 + a * a).powf(d * 0.3) + f64::cbrt(b * c + 5.0);
    let acc = acc / (2.0 + c.cos()) + d.atan() * a.max(b);
    let s = (acc * 0.1).sinh() + f64::cosh(d * 0.5) - (a / 3.0).asin() + (b * 0.2).acos();
    s * std::f64::consts::PI + (a * a + b * b + 1.0).log10() - (c * c + 1.0).log2()
        + (d * 0.25).atanh()
        + (a * a + 2.0).acosh()
        + c.asinh() * d.exp_m1()
        + (a * 0.5).ln_1p() / b.cosh()
        + a.to_degrees() * 0.01
        + (b.to_radians() * 7.0).tan()
        + (a + 4.0).log(c * c + 2.0)
        + (d - 5.0).recip() * a.abs()
}

/// Two variables, deep nesting of the chain rule.
#[differentiate]
fn nested(x: f64, y: f64) -> f64 {
    let u = (x * y).sin().exp().ln_1p().sqrt();
    let v = (x - y).tanh().atan().cosh();
    let mut w = u * v;
    w /= 1.0 + (x * x + y * y).sqrt();
    w -= (x.powi(3) - y).abs() % 5.0 * 0.0;
    w + x.min(y).exp() * 0.1
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn composed_matches_central_differences(
        a in 0.2..2.0_f64,
        b in -2.0..2.0_f64,
        c in -2.0..2.0_f64,
        d in -2.0..2.0_f64,
        s in seed(),
    ) {
        prop_assume!((a - b).abs() > 0.05);
        let (value, grad) = composed_grad(a, b, c, d);
        prop_assert!(value.is_finite());
        prop_assert_eq!(value, composed(a, b, c, d));
        let fields = [grad.a, grad.b, grad.c, grad.d];
        assert_gradient(|p| composed(p[0], p[1], p[2], p[3]), &[a, b, c, d], &fields)?;

        let (value, vjp) = composed_vjp(a, b, c, d, s);
        prop_assert_eq!(value, composed(a, b, c, d));
        // `s` times the gradient, up to rounding: each contribution is scaled and rounded,
        // so cancelling contributions (of size up to ~100 here) leave an error of a few
        // ulps of |s|·100, whatever the size of the result.
        for (v, g) in [vjp.a, vjp.b, vjp.c, vjp.d].into_iter().zip(fields) {
            let bound = 1e-12 * s.abs().max(1.0) * g.abs().max(1.0);
            prop_assert!((v - s * g).abs() <= bound, "vjp {} vs {}·{}", v, s, g);
        }
    }

    #[test]
    fn nested_matches_central_differences(x in -2.0..2.0_f64, y in -2.0..2.0_f64) {
        prop_assume!((x - y).abs() > 0.05);
        let (value, grad) = nested_grad(x, y);
        prop_assert_eq!(value, nested(x, y));
        assert_gradient(|p| nested(p[0], p[1]), &[x, y], &[grad.x, grad.y])?;
        // The same check done by hand with `central_difference`.
        let numeric = central_difference(|p| nested(p[0], p[1]), &[x, y]);
        prop_assert!(relative_error(numeric[0], grad.x) < 1e-6);
        prop_assert!(relative_error(numeric[1], grad.y) < 1e-6);
    }
}

// Regressions found by review: a polynomial written with `powi(0)` must not get a NaN
// gradient at 0 (0·0⁻¹ = 0·∞), and a three-way `clamp` tie must not create adjoint.
#[differentiate]
fn polynomial_with_zeroth_power(x: f64) -> f64 {
    1.5 * x.powi(0) + 2.0 * x.powi(1) + 3.0 * x.powi(2)
}

#[test]
fn zeroth_power_polynomial_has_a_finite_gradient_at_zero() {
    // d/dx (1.5 + 2x + 3x²) = 2 + 6x.
    for x in [0.0, 1.0, -0.5] {
        let (value, grad) = polynomial_with_zeroth_power_grad(x);
        assert_eq!(value, polynomial_with_zeroth_power(x));
        assert!(
            (grad.x - (2.0 + 6.0 * x)).abs() < 1e-12,
            "at {x}: {}",
            grad.x
        );
    }
}

#[differentiate]
fn clamp_all_three(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[test]
fn clamp_three_way_tie_conserves_the_adjoint() {
    let (value, grad) = clamp_all_three_grad(1.0, 1.0, 1.0);
    assert_eq!(value, clamp_all_three(1.0, 1.0, 1.0));
    assert!((grad.x + grad.lo + grad.hi - 1.0).abs() < 1e-15, "{grad:?}");
}

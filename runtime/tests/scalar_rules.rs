//! Every VJP rule of `tapeless_runtime::scalar` against five-point central differences.
//!
//! A rule for `y = f(args)` and argument `arg` must *accumulate* `ȳ·∂f/∂arg` into the
//! adjoint it is given. Each property test starts that adjoint at a random nonzero `d0`,
//! calls the rule with a random seed `ȳ` at a random point of `f`'s domain (kept away from
//! kinks, poles and branch cuts by more than the difference stencil's reach, 2h ≈ 1.5e-3 ·
//! max(1, |x|)), and checks `(adjoint − d0) ≈ ȳ · ∂f/∂arg` to a relative error below 1e-6.
//!
//! A rule reads only the primal values its derivative needs, in the order of the macro's
//! rule table (`macros/src/rules.rs`), so every invocation below spells them out:
//! `div_vjp_rhs(b, y)` is called as `scalar::div_vjp_rhs(d_b, &b, &y, &d_y)`. The names are
//! the arguments in order (`x` for the one argument of a unary rule; `a`, `b`, `c`
//! otherwise, whatever the method calls them) and `y`, the output. Listing them in the
//! table's order is what makes these tests check the table and the runtime against each
//! other: a swapped pair of same-typed values fails the finite-difference comparison.
//!
//! The forward helpers (`sin_jvp`, `log_jvp_base`, ...) come from the same derivative as the
//! VJP helpers: the last section checks each against central differences along a random
//! tangent, and against the VJP helper of the same argument with the dot-product identity
//! ⟨J v, w⟩ = ⟨v, Jᵀ w⟩.
//!
//! The conventions at points where the derivative is undefined (the table at the top of
//! `scalar.rs`) are checked by deterministic tests at the end, and the `f32` instantiation
//! of the rules is compared with the `f64` one.

use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::TestCaseError;
use tapeless_runtime::check::{central_difference, relative_error};
use tapeless_runtime::scalar;

/// Largest accepted `|analytic − numeric| / max(1, |analytic|, |numeric|)` in `f64`.
const TOLERANCE: f64 = 1e-6;

/// Tolerance of comparisons that go through `f32` arithmetic (≈ 64 f32 ulps).
const F32_TOLERANCE: f64 = 1e-5;

/// Minimum distance kept between the arguments of `max`/`min`/`clamp` (and from the
/// integers for `fract`, from 0 for `abs`): more than the stencil's reach, 2h ≤ 7.4e-3
/// for |x| ≤ 5.
const GAP: f64 = 0.02;

// ---------------------------------------------------------------------------------------
// Strategies.

/// The seed ȳ.
fn seed() -> impl Strategy<Value = f64> {
    -3.0..3.0f64
}

/// The initial value of the adjoint, never zero, so that `=` instead of `+=` is caught.
fn start() -> impl Strategy<Value = f64> {
    away_from_zero(0.1, 5.0)
}

/// |x| between `lo` and `hi`, either sign.
fn away_from_zero(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    Union::new([-hi..-lo, lo..hi])
}

/// Moderate magnitudes.
fn moderate() -> std::ops::Range<f64> {
    -5.0..5.0
}

/// Bases of `log` away from 1 (where ln b = 0 is a pole).
fn log_base() -> impl Strategy<Value = f64> {
    Union::new([0.1..0.8, 1.25..5.0])
}

/// Two moderate values at least [`GAP`] apart (no tie: max/min are smooth around them).
fn distinct_pair() -> impl Strategy<Value = (f64, f64)> {
    (moderate(), moderate()).prop_filter("tie", |(a, b)| (a - b).abs() > GAP)
}

/// `(x, lo, hi)` with lo < hi and x at least [`GAP`] from both bounds: below, inside or
/// above the interval.
fn clamp_args() -> impl Strategy<Value = (f64, f64, f64)> {
    (moderate(), moderate(), moderate())
        .prop_map(|(x, a, b)| (x, a.min(b), a.max(b)))
        .prop_filter("tie", |&(x, lo, hi)| {
            hi - lo > GAP && (x - lo).abs() > GAP && (x - hi).abs() > GAP
        })
}

/// Points of atan2(a, b) away from the origin and from the branch cut (a = 0, b < 0).
fn atan2_args() -> impl Strategy<Value = (f64, f64)> {
    (moderate(), moderate()).prop_filter("origin or branch cut", |&(a, b)| {
        a.hypot(b) > 0.3 && (b > 0.0 || a.abs() > 0.05)
    })
}

/// Points of hypot away from the origin (its kink).
fn hypot_args() -> impl Strategy<Value = (f64, f64)> {
    (moderate(), moderate()).prop_filter("origin", |&(a, b)| a.hypot(b) > 0.1)
}

/// x at least [`GAP`] from the integers (fract jumps there).
fn off_integer() -> impl Strategy<Value = f64> {
    (-5..5i32, GAP..1.0 - GAP).prop_map(|(n, t)| f64::from(n) + t)
}

/// `(a, b)` for `a % b`, which jumps where a/b is an integer: |b| ≥ 0.5 and a/b = n + t
/// with t ∈ [0.1, 0.9]. The stencil moves a/b by at most 0.02 (|a/b| < 6), so it never
/// crosses a jump.
fn rem_args() -> impl Strategy<Value = (f64, f64)> {
    (away_from_zero(0.5, 5.0), -6..6i32, 0.1..0.9f64)
        .prop_map(|(b, n, t)| ((f64::from(n) + t) * b, b))
}

// ---------------------------------------------------------------------------------------
// The check.

/// Runs `rule(d_arg, y)` on an adjoint that starts at `d0` and checks that it added
/// `ȳ · ∂f/∂point[wrt]` (by central differences), where `y = f(point)`.
fn check_partial(
    f: impl Fn(&[f64]) -> f64,
    point: &[f64],
    wrt: usize,
    d_y: f64,
    d0: f64,
    rule: impl FnOnce(&mut f64, &f64),
) -> Result<(), TestCaseError> {
    let y = f(point);
    let mut d_arg = d0;
    rule(&mut d_arg, &y);
    let analytic = d_arg - d0;
    let numeric = d_y * central_difference(&f, point)[wrt];
    let error = relative_error(analytic, numeric);
    prop_assert!(
        error < TOLERANCE,
        "at {point:?} (w.r.t. #{wrt}, ȳ = {d_y}, d0 = {d0}): rule added {analytic:e}, \
         finite differences give {numeric:e} (relative error {error:e})"
    );
    Ok(())
}

/// The harness itself: a rule that overwrites instead of accumulating, drops the seed or
/// has the wrong sign must fail `check_partial`.
#[test]
fn the_check_rejects_wrong_rules() {
    let (x, d_y, d0) = (0.7_f64, 1.5, 2.0);
    let check =
        |rule: fn(&mut f64, &f64)| check_partial(|p| p[0].sin(), &[x], 0, d_y, d0, rule).is_ok();
    assert!(check(|d, _| *d += 1.5 * 0.7_f64.cos()));
    assert!(!check(|d, _| *d = 1.5 * 0.7_f64.cos()));
    assert!(!check(|d, _| *d += 0.7_f64.cos()));
    assert!(!check(|d, _| *d -= 1.5 * 0.7_f64.cos()));
}

/// `primal!(point, y; name)`: a reference to the primal value `name` reads, where `point`
/// holds the arguments in order and `y` is a reference to the output.
#[rustfmt::skip]
macro_rules! primal {
    ($point:ident, $y:expr; x) => { &$point[0] };
    ($point:ident, $y:expr; a) => { &$point[0] };
    ($point:ident, $y:expr; b) => { &$point[1] };
    ($point:ident, $y:expr; c) => { &$point[2] };
    ($point:ident, $y:expr; y) => { $y };
}

/// `unary!(rule(reads..), f, domain)`: `scalar::rule`, reading `reads..` (`x` and/or `y`),
/// is the VJP of `y = f(x)` for x in `domain`.
macro_rules! unary {
    ($rule:ident($($read:ident),*), $f:expr, $domain:expr) => {
        proptest! {
            #[test]
            fn $rule(x in $domain, d_y in seed(), d0 in start()) {
                let point = [x];
                check_partial(|p| $f(p[0]), &point, 0, d_y, d0, |d, y| {
                    let _ = y; // not every rule reads the output
                    scalar::$rule(d, $(primal!(point, y; $read),)* &d_y)
                })?;
            }
        }
    };
}

/// `binary!(rule(reads..), f, wrt, domain)`: `scalar::rule`, reading `reads..` (`a`, `b`,
/// `y`), is the VJP of `y = f(a, b)` w.r.t. argument number `wrt` (0 = a, 1 = b) for
/// `(a, b)` in `domain`.
macro_rules! binary {
    ($rule:ident($($read:ident),*), $f:expr, $wrt:expr, $domain:expr) => {
        proptest! {
            #[test]
            fn $rule((a, b) in $domain, d_y in seed(), d0 in start()) {
                let point = [a, b];
                check_partial(|p| $f(p[0], p[1]), &point, $wrt, d_y, d0, |d, y| {
                    let _ = y; // not every rule reads the output
                    scalar::$rule(d, $(primal!(point, y; $read),)* &d_y)
                })?;
            }
        }
    };
}

/// `ternary!(rule(reads..), f, wrt, domain)`: as [`binary!`] for `y = f(a, b, c)`.
macro_rules! ternary {
    ($rule:ident($($read:ident),*), $f:expr, $wrt:expr, $domain:expr) => {
        proptest! {
            #[test]
            fn $rule((a, b, c) in $domain, d_y in seed(), d0 in start()) {
                let point = [a, b, c];
                check_partial(|p| $f(p[0], p[1], p[2]), &point, $wrt, d_y, d0, |d, y| {
                    let _ = y; // not every rule reads the output
                    scalar::$rule(d, $(primal!(point, y; $read),)* &d_y)
                })?;
            }
        }
    };
}

/// Two moderate values.
fn any_pair() -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    (moderate(), moderate())
}

/// Three moderate values.
fn any_triple() -> (
    std::ops::Range<f64>,
    std::ops::Range<f64>,
    std::ops::Range<f64>,
) {
    (moderate(), moderate(), moderate())
}

/// A moderate value and one at least 0.1 from zero (a divisor).
fn divisor_pair() -> impl Strategy<Value = (f64, f64)> {
    (moderate(), away_from_zero(0.1, 5.0))
}

// ---------------------------------------------------------------------------------------
// One-argument rules.

unary!(neg_vjp(), f64::neg, moderate());
unary!(sin_vjp(x), f64::sin, moderate());
unary!(cos_vjp(x), f64::cos, moderate());
unary!(tan_vjp(y), f64::tan, -1.4..1.4);
unary!(asin_vjp(x), f64::asin, -0.95..0.95);
unary!(acos_vjp(x), f64::acos, -0.95..0.95);
unary!(atan_vjp(x), f64::atan, moderate());
unary!(sinh_vjp(x), f64::sinh, moderate());
unary!(cosh_vjp(x), f64::cosh, moderate());
unary!(tanh_vjp(y), f64::tanh, moderate());
unary!(asinh_vjp(x), f64::asinh, moderate());
unary!(acosh_vjp(x), f64::acosh, 1.05..5.0);
unary!(atanh_vjp(x), f64::atanh, -0.95..0.95);
unary!(exp_vjp(y), f64::exp, moderate());
unary!(exp2_vjp(y), f64::exp2, moderate());
unary!(exp_m1_vjp(y), f64::exp_m1, moderate());
unary!(ln_vjp(x), f64::ln, 0.05..5.0);
unary!(ln_1p_vjp(x), f64::ln_1p, -0.95..5.0);
unary!(log10_vjp(x), f64::log10, 0.05..5.0);
unary!(log2_vjp(x), f64::log2, 0.05..5.0);
unary!(sqrt_vjp(y), f64::sqrt, 0.05..5.0);
unary!(cbrt_vjp(y), f64::cbrt, away_from_zero(0.1, 5.0));
unary!(recip_vjp(y), f64::recip, away_from_zero(0.1, 5.0));
unary!(abs_vjp(x), f64::abs, away_from_zero(GAP, 5.0));
unary!(to_degrees_vjp(), f64::to_degrees, moderate());
unary!(to_radians_vjp(), f64::to_radians, moderate());
unary!(fract_vjp(), f64::fract, off_integer());
unary!(identity_vjp(), std::convert::identity, moderate());

// ---------------------------------------------------------------------------------------
// Two-argument rules.

binary!(add_vjp_lhs(), f64::add, 0, any_pair());
binary!(add_vjp_rhs(), f64::add, 1, any_pair());
binary!(sub_vjp_lhs(), f64::sub, 0, any_pair());
binary!(sub_vjp_rhs(), f64::sub, 1, any_pair());
binary!(mul_vjp_lhs(b), f64::mul, 0, any_pair());
binary!(mul_vjp_rhs(a), f64::mul, 1, any_pair());
binary!(div_vjp_lhs(b), f64::div, 0, divisor_pair());
binary!(div_vjp_rhs(b, y), f64::div, 1, divisor_pair());
binary!(rem_vjp_lhs(), f64::rem, 0, rem_args());
binary!(rem_vjp_rhs(a, b), f64::rem, 1, rem_args());
binary!(powf_vjp_self(a, b), f64::powf, 0, (0.1..5.0, -3.0..3.0));
binary!(powf_vjp_n(a, y), f64::powf, 1, (0.1..5.0, -3.0..3.0));
binary!(log_vjp_self(a, b), f64::log, 0, (0.05..5.0, log_base()));
binary!(log_vjp_base(b, y), f64::log, 1, (0.05..5.0, log_base()));
binary!(atan2_vjp_self(a, b), f64::atan2, 0, atan2_args());
binary!(atan2_vjp_other(a, b), f64::atan2, 1, atan2_args());
binary!(hypot_vjp_self(a, y), f64::hypot, 0, hypot_args());
binary!(hypot_vjp_other(b, y), f64::hypot, 1, hypot_args());
binary!(max_vjp_self(a, b), f64::max, 0, distinct_pair());
binary!(max_vjp_other(a, b), f64::max, 1, distinct_pair());
binary!(min_vjp_self(a, b), f64::min, 0, distinct_pair());
binary!(min_vjp_other(a, b), f64::min, 1, distinct_pair());

// ---------------------------------------------------------------------------------------
// Three-argument rules (`a.mul_add(b, c)` names its arguments self, a, b; `x.clamp(lo, hi)`
// self, min, max).

ternary!(mul_add_vjp_self(b), f64::mul_add, 0, any_triple());
ternary!(mul_add_vjp_a(a), f64::mul_add, 1, any_triple());
ternary!(mul_add_vjp_b(), f64::mul_add, 2, any_triple());
ternary!(clamp_vjp_self(a, b, c), f64::clamp, 0, clamp_args());
ternary!(clamp_vjp_min(a, b, c), f64::clamp, 1, clamp_args());
ternary!(clamp_vjp_max(a, b, c), f64::clamp, 2, clamp_args());

// ---------------------------------------------------------------------------------------
// Rules with a non-differentiable argument or mixed precision.

proptest! {
    /// y = xⁿ with an integer n (x kept away from 0 for negative n).
    #[test]
    fn powi_vjp(x in away_from_zero(0.2, 5.0), n in -5..=5i32, d_y in seed(), d0 in start()) {
        check_partial(|p| p[0].powi(n), &[x], 0, d_y, d0, |d, _| {
            scalar::powi_vjp(d, &x, &n, &d_y)
        })?;
    }

    /// y = x as f32: the derivative of the staircase x ↦ (x as f32) as f64 is 1 up to
    /// f32 rounding, so the comparison uses the f32 tolerance.
    #[test]
    fn cast_vjp_f64_to_f32(x in moderate(), d_y in -3.0..3.0f32, d0 in start()) {
        let mut d_x = d0;
        scalar::cast_vjp::<f64, f32>(&mut d_x, &d_y);
        let numeric = f64::from(d_y) * central_difference(|p| f64::from(p[0] as f32), &[x])[0];
        let error = relative_error(d_x - d0, numeric);
        prop_assert!(error < 1e-3, "{x}: added {}, expected {numeric} ({error:e})", d_x - d0);
        // The f64 adjoint holds every f32 seed exactly.
        let mut exact = 0.0_f64;
        scalar::cast_vjp::<f64, f32>(&mut exact, &d_y);
        prop_assert_eq!(exact, f64::from(d_y));
    }

    /// The forward helper of the conversion f32 → f64 is the transpose of its VJP helper:
    /// ⟨jvp(ẋ), w⟩ = ⟨ẋ, vjp(w)⟩, and it is the derivative 1 (exact in f64).
    #[test]
    fn cast_jvp_is_the_transposed_vjp(t_x in -3.0..3.0f32, w in -3.0..3.0f64) {
        let forward: f64 = scalar::cast_jvp::<f32, f64>(&t_x);
        prop_assert_eq!(forward, f64::from(t_x));
        let mut back = 0.0_f32;
        scalar::cast_vjp::<f32, f64>(&mut back, &w);
        let lhs = forward * w;
        let rhs = f64::from(t_x) * f64::from(back);
        prop_assert!((lhs - rhs).abs() <= 1e-6 * (1.0 + lhs.abs()), "{lhs} vs {rhs}");
    }

    /// y = x as f64 for an f32 x: the adjoint goes back to f32.
    #[test]
    fn cast_vjp_f32_to_f64(
        x in -5.0..5.0f32, d_y in -3.0..3.0f64, d0 in start().prop_map(|d| d as f32),
    ) {
        let mut d_x = d0;
        scalar::cast_vjp::<f32, f64>(&mut d_x, &d_y);
        // The identity of the embedding: x̄ += ȳ, rounded to f32.
        let error = relative_error(f64::from(d_x) - f64::from(d0), d_y);
        prop_assert!(error < F32_TOLERANCE, "{x}: added {}, expected {d_y}", d_x - d0);
        // A seed representable in f32 comes through exactly.
        let representable = f64::from(d_y as f32);
        let mut exact = 0.0_f32;
        scalar::cast_vjp::<f32, f64>(&mut exact, &representable);
        prop_assert_eq!(f64::from(exact), representable);
    }
}

// ---------------------------------------------------------------------------------------
// The f32 instantiation agrees with the f64 one to f32 precision.

/// For each `rule(reads..), method, lo, hi`: maps `u ∈ [0, 1)` into `[lo, hi)`, rounds to
/// f32, and compares the adjoint accumulated by the f32 rule with the f64 rule at the same
/// point.
macro_rules! f32_agrees_unary {
    ($u:expr, $d_y:expr, $d0:expr;
     $($rule:ident($($read:ident),*), $f:expr, $lo:expr, $hi:expr;)*) => {$({
        let x = ($lo + $u * ($hi - $lo)) as f32;
        let (point, y) = ([x], $f(x));
        let _ = (&point, &y); // not every rule reads them
        let mut d32 = $d0;
        scalar::$rule::<f32>(&mut d32, $(primal!(point, &y; $read),)* &$d_y);
        let x64 = f64::from(x);
        let (point, y) = ([x64], $f(x64));
        let _ = (&point, &y);
        let mut d64 = f64::from($d0);
        scalar::$rule::<f64>(&mut d64, $(primal!(point, &y; $read),)* &f64::from($d_y));
        let error = relative_error(f64::from(d32), d64);
        prop_assert!(
            error < F32_TOLERANCE,
            "{} at {x}: f32 {d32}, f64 {d64} ({error:e})", stringify!($rule)
        );
    })*};
}

/// As [`f32_agrees_unary!`] for two-argument rules, with `a` and `b` each mapped into
/// its own range.
macro_rules! f32_agrees_binary {
    ($u:expr, $v:expr, $d_y:expr, $d0:expr;
     $($rule:ident($($read:ident),*), $f:expr, ($alo:expr, $ahi:expr), ($blo:expr, $bhi:expr);)*)
    => {$({
        let a = ($alo + $u * ($ahi - $alo)) as f32;
        let b = ($blo + $v * ($bhi - $blo)) as f32;
        let (point, y) = ([a, b], $f(a, b));
        let _ = (&point, &y); // not every rule reads them
        // The operator rules (`mul_vjp_lhs`, ...) are generic over all their argument
        // types (they serve matrices too), so the instantiation comes from the arguments.
        let mut d32: f32 = $d0;
        scalar::$rule(&mut d32, $(primal!(point, &y; $read),)* &$d_y);
        let (a64, b64) = (f64::from(a), f64::from(b));
        let (point, y) = ([a64, b64], $f(a64, b64));
        let _ = (&point, &y);
        let mut d64: f64 = f64::from($d0);
        scalar::$rule(&mut d64, $(primal!(point, &y; $read),)* &f64::from($d_y));
        let error = relative_error(f64::from(d32), d64);
        prop_assert!(
            error < F32_TOLERANCE,
            "{} at ({a}, {b}): f32 {d32}, f64 {d64} ({error:e})", stringify!($rule)
        );
    })*};
}

proptest! {
    #[test]
    fn f32_unary_rules_agree_with_f64(u in 0.0..1.0f64, d_y in -3.0..3.0f32, d0 in -5.0..5.0f32) {
        use num_traits::Float;
        f32_agrees_unary! { u, d_y, d0;
            neg_vjp(), Neg::neg, -5.0, 5.0;
            sin_vjp(x), Float::sin, -5.0, 5.0;
            cos_vjp(x), Float::cos, -5.0, 5.0;
            tan_vjp(y), Float::tan, -1.4, 1.4;
            asin_vjp(x), Float::asin, -0.95, 0.95;
            acos_vjp(x), Float::acos, -0.95, 0.95;
            atan_vjp(x), Float::atan, -5.0, 5.0;
            sinh_vjp(x), Float::sinh, -5.0, 5.0;
            cosh_vjp(x), Float::cosh, -5.0, 5.0;
            tanh_vjp(y), Float::tanh, -5.0, 5.0;
            asinh_vjp(x), Float::asinh, -5.0, 5.0;
            acosh_vjp(x), Float::acosh, 1.05, 5.0;
            atanh_vjp(x), Float::atanh, -0.95, 0.95;
            exp_vjp(y), Float::exp, -5.0, 5.0;
            exp2_vjp(y), Float::exp2, -5.0, 5.0;
            exp_m1_vjp(y), Float::exp_m1, -5.0, 5.0;
            ln_vjp(x), Float::ln, 0.05, 5.0;
            ln_1p_vjp(x), Float::ln_1p, -0.95, 5.0;
            log10_vjp(x), Float::log10, 0.05, 5.0;
            log2_vjp(x), Float::log2, 0.05, 5.0;
            sqrt_vjp(y), Float::sqrt, 0.05, 5.0;
            cbrt_vjp(y), Float::cbrt, 0.1, 5.0;
            recip_vjp(y), Float::recip, 0.1, 5.0;
            abs_vjp(x), Float::abs, -5.0, 5.0;
            to_degrees_vjp(), Float::to_degrees, -5.0, 5.0;
            to_radians_vjp(), Float::to_radians, -5.0, 5.0;
            fract_vjp(), Float::fract, -5.0, 5.0;
            identity_vjp(), core::convert::identity, -5.0, 5.0;
        }
    }

    #[test]
    fn f32_binary_rules_agree_with_f64(
        u in 0.0..1.0f64, v in 0.0..1.0f64, d_y in -3.0..3.0f32, d0 in -5.0..5.0f32,
    ) {
        use num_traits::Float;
        f32_agrees_binary! { u, v, d_y, d0;
            add_vjp_lhs(), |a, b| a + b, (-5.0, 5.0), (-5.0, 5.0);
            add_vjp_rhs(), |a, b| a + b, (-5.0, 5.0), (-5.0, 5.0);
            sub_vjp_lhs(), |a, b| a - b, (-5.0, 5.0), (-5.0, 5.0);
            sub_vjp_rhs(), |a, b| a - b, (-5.0, 5.0), (-5.0, 5.0);
            mul_vjp_lhs(b), |a, b| a * b, (-5.0, 5.0), (-5.0, 5.0);
            mul_vjp_rhs(a), |a, b| a * b, (-5.0, 5.0), (-5.0, 5.0);
            div_vjp_lhs(b), |a, b| a / b, (-5.0, 5.0), (0.1, 5.0);
            div_vjp_rhs(b, y), |a, b| a / b, (-5.0, 5.0), (0.1, 5.0);
            rem_vjp_lhs(), |a, b| a % b, (2.6, 2.9), (1.0, 1.1);
            rem_vjp_rhs(a, b), |a, b| a % b, (2.6, 2.9), (1.0, 1.1);
            powf_vjp_self(a, b), Float::powf, (0.1, 5.0), (-3.0, 3.0);
            powf_vjp_n(a, y), Float::powf, (0.1, 5.0), (-3.0, 3.0);
            log_vjp_self(a, b), Float::log, (0.05, 5.0), (1.25, 5.0);
            log_vjp_base(b, y), Float::log, (0.05, 5.0), (1.25, 5.0);
            atan2_vjp_self(a, b), Float::atan2, (-5.0, 5.0), (0.3, 5.0);
            atan2_vjp_other(a, b), Float::atan2, (-5.0, 5.0), (0.3, 5.0);
            hypot_vjp_self(a, y), Float::hypot, (-5.0, 5.0), (0.3, 5.0);
            hypot_vjp_other(b, y), Float::hypot, (-5.0, 5.0), (0.3, 5.0);
            max_vjp_self(a, b), Float::max, (-5.0, 5.0), (-5.0, 5.0);
            max_vjp_other(a, b), Float::max, (-5.0, 5.0), (-5.0, 5.0);
            min_vjp_self(a, b), Float::min, (-5.0, 5.0), (-5.0, 5.0);
            min_vjp_other(a, b), Float::min, (-5.0, 5.0), (-5.0, 5.0);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Conventions where the derivative is undefined (the table at the top of scalar.rs).

/// Seeds for the deterministic tests, including negative, tiny and large ones.
const SEEDS: [f64; 6] = [1.0, -1.0, 0.375, -2.5, 1e-300, 1e300];

/// Runs a rule on a fresh adjoint starting at `d0 = 0.75` and returns what it added.
fn added(rule: impl FnOnce(&mut f64)) -> f64 {
    let d0 = 0.75;
    let mut d = d0;
    rule(&mut d);
    d - d0
}

#[test]
fn abs_at_zero_has_derivative_zero() {
    for x in [0.0, -0.0_f64] {
        for d_y in SEEDS {
            let mut d = 0.75;
            scalar::abs_vjp(&mut d, &x, &d_y);
            assert_eq!(
                d, 0.75,
                "abs_vjp at {x:?} with ȳ = {d_y} changed the adjoint"
            );
        }
    }
}

#[test]
fn max_and_min_ties_split_the_adjoint_evenly() {
    for x in [-2.0, 0.0, 3.5_f64] {
        for d_y in SEEDS {
            let shares = [
                ("max self", added(|d| scalar::max_vjp_self(d, &x, &x, &d_y))),
                (
                    "max other",
                    added(|d| scalar::max_vjp_other(d, &x, &x, &d_y)),
                ),
                ("min self", added(|d| scalar::min_vjp_self(d, &x, &x, &d_y))),
                (
                    "min other",
                    added(|d| scalar::min_vjp_other(d, &x, &x, &d_y)),
                ),
            ];
            for (name, share) in shares {
                assert!(
                    relative_error(share, d_y / 2.0) < 1e-15,
                    "{name} at the tie {x}, ȳ = {d_y}: got {share}, expected ȳ/2"
                );
            }
            let max_total = shares[0].1 + shares[1].1;
            let min_total = shares[2].1 + shares[3].1;
            assert!(
                relative_error(max_total, d_y) < 1e-15,
                "max total {max_total} ≠ ȳ {d_y}"
            );
            assert!(
                relative_error(min_total, d_y) < 1e-15,
                "min total {min_total} ≠ ȳ {d_y}"
            );
        }
    }
}

#[test]
fn clamp_ties_split_the_adjoint_evenly_with_the_bound() {
    let (lo, hi) = (-1.0, 2.0_f64);
    for d_y in SEEDS {
        for (x, tied_bound) in [(lo, "min"), (hi, "max")] {
            let d_self = added(|d| scalar::clamp_vjp_self(d, &x, &lo, &hi, &d_y));
            let d_min = added(|d| scalar::clamp_vjp_min(d, &x, &lo, &hi, &d_y));
            let d_max = added(|d| scalar::clamp_vjp_max(d, &x, &lo, &hi, &d_y));
            let (d_tied, d_other) = if tied_bound == "min" {
                (d_min, d_max)
            } else {
                (d_max, d_min)
            };
            let context = format!("clamp({x}, {lo}, {hi}), ȳ = {d_y}");
            assert!(
                relative_error(d_self, d_y / 2.0) < 1e-15,
                "{context}: x̄ got {d_self}"
            );
            assert!(
                relative_error(d_tied, d_y / 2.0) < 1e-15,
                "{context}: {tied_bound} got {d_tied}"
            );
            assert_eq!(d_other, 0.0, "{context}: the untied bound got {d_other}");
            let total = d_self + d_min + d_max;
            assert!(
                relative_error(total, d_y) < 1e-15,
                "{context}: total {total} ≠ ȳ"
            );
        }
    }
}

#[test]
fn hypot_at_the_origin_has_derivative_zero() {
    for (a, b) in [(0.0_f64, 0.0_f64), (-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0)] {
        let y = a.hypot(b);
        for d_y in SEEDS {
            let d_a = added(|d| scalar::hypot_vjp_self(d, &a, &y, &d_y));
            let d_b = added(|d| scalar::hypot_vjp_other(d, &b, &y, &d_y));
            assert_eq!((d_a, d_b), (0.0, 0.0), "hypot at ({a:?}, {b:?}), ȳ = {d_y}");
        }
    }
}

#[test]
fn powf_exponent_adjoint_is_zero_where_the_power_is_zero() {
    // 0ⁿ = 0 for n > 0, where ȳ·y·ln x is 0·(−∞); the limit from x > 0 is 0.
    for n in [0.5, 1.0, 2.0, 3.7_f64] {
        let (x, y) = (0.0, 0.0_f64.powf(n));
        assert_eq!(y, 0.0);
        for d_y in SEEDS {
            let d_n = added(|d| scalar::powf_vjp_n(d, &x, &y, &d_y));
            assert_eq!(d_n, 0.0, "powf_vjp_n at x = 0, n = {n}, ȳ = {d_y}");
        }
        // The limit: the exponent's adjoint shrinks towards 0 as x → 0⁺.
        let near = |x: f64| {
            let mut d_n = 0.0;
            scalar::powf_vjp_n(&mut d_n, &x, &x.powf(n), &1.0);
            d_n.abs()
        };
        assert!(
            near(1e-12) < near(1e-6) && near(1e-6) < near(1e-3),
            "n = {n}"
        );
    }
}

#[test]
fn sqrt_and_cbrt_at_zero_follow_ieee() {
    // ȳ/0 = ±∞ with the sign of ȳ; 0/0 = NaN.
    for d_y in [1.0, -2.0_f64] {
        let d_sqrt = added(|d| scalar::sqrt_vjp(d, &0.0_f64.sqrt(), &d_y));
        let d_cbrt = added(|d| scalar::cbrt_vjp(d, &0.0_f64.cbrt(), &d_y));
        for got in [d_sqrt, d_cbrt] {
            assert!(
                got.is_infinite() && got.signum() == d_y.signum(),
                "ȳ = {d_y}: {got}"
            );
        }
    }
    assert!(added(|d| scalar::sqrt_vjp(d, &0.0, &0.0)).is_nan());
    assert!(added(|d| scalar::cbrt_vjp(d, &0.0, &0.0)).is_nan());
}

#[test]
fn clamp_three_way_tie_splits_the_adjoint_in_thirds() {
    for d_y in SEEDS {
        let (x, lo, hi) = (1.0_f64, 1.0, 1.0);
        let d_self = added(|d| scalar::clamp_vjp_self(d, &x, &lo, &hi, &d_y));
        let d_min = added(|d| scalar::clamp_vjp_min(d, &x, &lo, &hi, &d_y));
        let d_max = added(|d| scalar::clamp_vjp_max(d, &x, &lo, &hi, &d_y));
        for share in [d_self, d_min, d_max] {
            assert!(relative_error(share, d_y / 3.0) < 1e-15, "{share} ≠ ȳ/3");
        }
        assert!(relative_error(d_self + d_min + d_max, d_y) < 1e-15);
    }
}

#[test]
fn zeroth_powers_have_derivative_zero_even_at_zero() {
    // x⁰ = 1 is constant: its derivative is 0 everywhere, where n·xⁿ⁻¹ would give 0·∞.
    for x in [0.0_f64, -0.0, 1.5, -2.0] {
        let d = added(|d| scalar::powi_vjp(d, &x, &0, &1.0));
        assert_eq!(d, 0.0, "powi(0) at {x}");
        let d = added(|d| scalar::powf_vjp_self(d, &x, &0.0, &1.0));
        assert_eq!(d, 0.0, "powf(0) at {x}");
    }
    // And the exponent's adjoint at x = 0 is 0 by convention, here at n = 0 (y = 0⁰ = 1).
    let d = added(|d| scalar::powf_vjp_n(d, &0.0, &1.0, &1.0));
    assert_eq!(d, 0.0);
}

#[test]
fn atan2_at_the_origin_is_nan() {
    // 0/0: the direction of the origin is undefined, and the rule says so.
    for (a, b) in [(0.0_f64, 0.0_f64), (-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0)] {
        for d_y in SEEDS {
            let d_a = added(|d| scalar::atan2_vjp_self(d, &a, &b, &d_y));
            let d_b = added(|d| scalar::atan2_vjp_other(d, &a, &b, &d_y));
            assert!(
                d_a.is_nan() && d_b.is_nan(),
                "atan2 at ({a:?}, {b:?}): {d_a}, {d_b}"
            );
        }
    }
}

#[test]
fn rules_that_read_nothing_add_exactly_the_seed() {
    // No rounding: x̄ += ±ȳ bit for bit, for seeds where `0.75 ± ȳ` is exact.
    for d_y in [1.0, -1.0, 0.375, -2.5, 1024.0_f64] {
        for (name, rule, sign) in [
            (
                "add_vjp_lhs",
                scalar::add_vjp_lhs::<f64, f64> as fn(&mut f64, &f64),
                1.0,
            ),
            ("add_vjp_rhs", scalar::add_vjp_rhs::<f64, f64>, 1.0),
            ("sub_vjp_lhs", scalar::sub_vjp_lhs::<f64, f64>, 1.0),
            ("sub_vjp_rhs", scalar::sub_vjp_rhs::<f64, f64>, -1.0),
            ("rem_vjp_lhs", scalar::rem_vjp_lhs::<f64>, 1.0),
            ("mul_add_vjp_b", scalar::mul_add_vjp_b::<f64>, 1.0),
            ("neg_vjp", scalar::neg_vjp::<f64>, -1.0),
            ("identity_vjp", scalar::identity_vjp::<f64>, 1.0),
            ("fract_vjp", scalar::fract_vjp::<f64>, 1.0),
        ] {
            assert_eq!(added(|d| rule(d, &d_y)), sign * d_y, "{name}, ȳ = {d_y}");
        }
    }
}

#[test]
fn max_and_min_with_a_nan_follow_the_value() {
    // `f64::max(NaN, b)` is `b`: the derivative goes to `b` alone, as the value does.
    let (nan, b, d_y) = (f64::NAN, 2.0_f64, 1.5_f64);
    assert_eq!(nan.max(b), b);
    assert_eq!(added(|d| scalar::max_vjp_self(d, &nan, &b, &d_y)), 0.0);
    assert_eq!(added(|d| scalar::max_vjp_other(d, &nan, &b, &d_y)), d_y);
    assert_eq!(added(|d| scalar::min_vjp_self(d, &b, &nan, &d_y)), d_y);
    assert_eq!(added(|d| scalar::min_vjp_other(d, &b, &nan, &d_y)), 0.0);
}

// ---------------------------------------------------------------------------------------
// JVP helpers: every rule written with `scalar_rules!` has one, listed in
// `scalar::cases::CASES` beside its VJP helpers (all in f64).

/// Points inside the domain of the primitive `name`, away from its kinks (the same domains
/// as the VJP tests above); `None` for a name without one, which fails
/// `every_rule_has_a_domain`.
fn domain(name: &str) -> Option<BoxedStrategy<Vec<f64>>> {
    fn one(s: impl Strategy<Value = f64> + 'static) -> BoxedStrategy<Vec<f64>> {
        s.prop_map(|x| vec![x]).boxed()
    }
    fn two(s: impl Strategy<Value = (f64, f64)> + 'static) -> BoxedStrategy<Vec<f64>> {
        s.prop_map(|(a, b)| vec![a, b]).boxed()
    }
    Some(match name {
        "sin" | "cos" | "atan" | "sinh" | "cosh" | "tanh" | "asinh" | "exp" | "exp2" | "exp_m1"
        | "to_degrees" | "to_radians" | "identity" => one(moderate()),
        "tan" => one(-1.4..1.4f64),
        "asin" | "acos" | "atanh" => one(-0.9..0.9f64),
        "acosh" => one(1.1..5.0f64),
        "ln" | "log10" | "log2" | "sqrt" => one(0.1..5.0f64),
        "ln_1p" => one(-0.9..5.0f64),
        "cbrt" | "recip" => one(away_from_zero(0.1, 5.0)),
        "abs" => one(away_from_zero(GAP, 5.0)),
        "fract" => one(off_integer()),
        "erf" | "erfc" => one(-3.0..3.0f64),
        // Positive arguments on both sides of the recurrence's threshold (x = 10), and
        // negative ones between the poles (the reflection).
        "ln_gamma" | "gamma" | "digamma" => {
            one(prop_oneof![0.05..14.0f64, -2.9..-2.1f64, -0.9..-0.1f64])
        }
        // Both sides of the series' threshold (|x| = ½) and 0 itself.
        "sinc" => one(prop_oneof![-8.0..8.0f64, -0.6..0.6f64, Just(0.0)]),
        "rem" => two(rem_args()),
        "powf" => two((0.2..3.0f64, -3.0..3.0f64)),
        "powi" => two((away_from_zero(0.2, 3.0), -3..5i32).prop_map(|(x, n)| (x, f64::from(n)))),
        "log" => two((0.1..5.0f64, log_base())),
        "atan2" => two(atan2_args()),
        "hypot" => two(hypot_args()),
        "max" | "min" => two(distinct_pair()),
        "mul_add" => (moderate(), moderate(), moderate())
            .prop_map(|(a, b, c)| vec![a, b, c])
            .boxed(),
        "clamp" => clamp_args().prop_map(|(x, lo, hi)| vec![x, lo, hi]).boxed(),
        _ => return None,
    })
}

/// A rule added to `scalar_rules!` without a domain here would go untested.
#[test]
fn every_rule_has_a_domain() {
    for case in scalar::cases::CASES {
        assert!(
            domain(case.name).is_some(),
            "no test domain for `{}`",
            case.name
        );
    }
}

/// Runs `check` on random points of every rule's domain, with random tangents and seeds.
fn for_every_rule(
    check: impl Fn(&scalar::cases::Case, &[f64], &[f64], f64) -> Result<(), TestCaseError>,
) {
    for case in scalar::cases::CASES {
        let Some(points) = domain(case.name) else {
            continue; // reported by `every_rule_has_a_domain`
        };
        let tangents = proptest::collection::vec(-2.0..2.0f64, case.differentiable);
        let mut runner = proptest::test_runner::TestRunner::default();
        if let Err(failure) = runner.run(&(points, tangents, seed()), |(x, v, w)| {
            check(case, &x, &v, w)
        }) {
            panic!("`{}`: {failure}", case.name);
        }
    }
}

/// Each forward helper (one per differentiable argument) against central differences of y
/// along that argument.
#[test]
fn every_jvp_matches_central_differences() {
    for_every_rule(|case, x, v, _| {
        for (i, &t) in v.iter().enumerate() {
            let along = |p: &[f64]| {
                let mut args = x.to_vec();
                args[i] = p[0];
                (case.value)(&args)
            };
            let numeric = central_difference(along, &x[i..=i])[0] * t;
            let analytic = (case.jvp)(x, i, t);
            let error = relative_error(analytic, numeric);
            prop_assert!(
                error < TOLERANCE,
                "at {x:?}, argument {i} along {t}: JVP gives {analytic:e}, finite differences {numeric:e}"
            );
        }
        Ok(())
    })
}

/// The dot-product test ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ between each forward helper and the VJP
/// helper of the same argument (which starts from a zero adjoint here: it accumulates).
#[test]
fn every_jvp_is_the_transpose_of_its_vjp() {
    for_every_rule(|case, x, v, w| {
        let mut adjoints = vec![0.0; case.differentiable];
        (case.vjp)(x, w, &mut adjoints);
        for (i, &t) in v.iter().enumerate() {
            let forward = (case.jvp)(x, i, t) * w;
            let reverse = adjoints[i] * t;
            prop_assert!(
                relative_error(forward, reverse) < 1e-12,
                "at {x:?}, argument {i}, v = {t}, w = {w}: ⟨Jv, w⟩ = {forward:e}, ⟨v, Jᵀw⟩ = {reverse:e}"
            );
        }
        Ok(())
    })
}

/// The uniform entries agree with the named helpers (a spot check of the registry).
#[test]
fn the_case_list_calls_the_named_helpers() {
    let find = |name: &str| {
        scalar::cases::CASES
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case `{name}`"))
    };
    let (x, t) = (0.7_f64, 1.25_f64);
    assert_eq!((find("sin").jvp)(&[x], 0, t), scalar::sin_jvp(&x, &t));
    assert_eq!((find("sin").jvp)(&[x], 0, t), t * x.cos());
    let (a, b) = (1.5_f64, 0.5_f64);
    let y = a.log(b);
    assert_eq!(
        (find("log").jvp)(&[a, b], 0, t),
        scalar::log_jvp_self(&a, &b, &t)
    );
    assert_eq!(
        (find("log").jvp)(&[a, b], 1, 2.0),
        scalar::log_jvp_base(&b, &y, &2.0)
    );
    assert!((find("log").jvp)(&[a, b], 2, 2.0).is_nan());
    // d(x³)/dx at 2 is 12.
    assert_eq!(scalar::powi_jvp(&2.0_f64, &3, &1.0), 12.0);
    assert_eq!(find("powi").arity, 2);
    assert_eq!(find("powi").differentiable, 1);
}

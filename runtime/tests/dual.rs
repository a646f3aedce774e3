//! Every method of `Dual<f64>` against central differences: the tangent of `f(x + tε)`
//! must be f′(x)·t (for two arguments, the directional derivative along (tₐ, t_b)), at
//! random points of each function's domain kept away from kinks and poles, with random
//! tangents. The value must be the plain function's, bit for bit.

use num_traits::{Float, FloatConst, NumCast};
use proptest::prelude::*;
use tapeless_runtime::check::{central_difference, relative_error};
use tapeless_runtime::{special, Dual};

type D = Dual<f64>;

const TOLERANCE: f64 = 1e-6;

/// (name, domain, plain function, dual function) of a unary method.
type Unary = (&'static str, (f64, f64), fn(f64) -> f64, fn(D) -> D);

fn unary() -> Vec<Unary> {
    vec![
        ("sin", (-3.0, 3.0), f64::sin, D::sin),
        ("cos", (-3.0, 3.0), f64::cos, D::cos),
        ("tan", (-1.4, 1.4), f64::tan, D::tan),
        ("asin", (-0.9, 0.9), f64::asin, D::asin),
        ("acos", (-0.9, 0.9), f64::acos, D::acos),
        ("atan", (-3.0, 3.0), f64::atan, D::atan),
        ("sinh", (-3.0, 3.0), f64::sinh, D::sinh),
        ("cosh", (-3.0, 3.0), f64::cosh, D::cosh),
        ("tanh", (-3.0, 3.0), f64::tanh, D::tanh),
        ("asinh", (-3.0, 3.0), f64::asinh, D::asinh),
        ("acosh", (1.1, 4.0), f64::acosh, D::acosh),
        ("atanh", (-0.9, 0.9), f64::atanh, D::atanh),
        ("exp", (-3.0, 3.0), f64::exp, D::exp),
        ("exp2", (-3.0, 3.0), f64::exp2, D::exp2),
        ("exp_m1", (-3.0, 3.0), f64::exp_m1, D::exp_m1),
        ("ln", (0.1, 5.0), f64::ln, D::ln),
        ("ln_1p", (-0.8, 5.0), f64::ln_1p, D::ln_1p),
        ("log10", (0.1, 5.0), f64::log10, D::log10),
        ("log2", (0.1, 5.0), f64::log2, D::log2),
        ("sqrt", (0.1, 5.0), f64::sqrt, D::sqrt),
        ("cbrt", (0.1, 5.0), f64::cbrt, D::cbrt),
        ("recip", (0.2, 5.0), f64::recip, D::recip),
        ("abs", (0.1, 5.0), f64::abs, D::abs),
        ("abs (negative)", (-5.0, -0.1), f64::abs, D::abs),
        ("to_degrees", (-3.0, 3.0), f64::to_degrees, D::to_degrees),
        ("to_radians", (-3.0, 3.0), f64::to_radians, D::to_radians),
        ("fract", (0.1, 0.9), f64::fract, D::fract),
        ("neg", (-3.0, 3.0), |x| -x, |x| -x),
        ("powi 3", (-3.0, 3.0), |x| x.powi(3), |x| x.powi(3)),
        ("powi -2", (0.3, 3.0), |x| x.powi(-2), |x| x.powi(-2)),
        (
            "sin_cos.0",
            (-3.0, 3.0),
            |x| x.sin_cos().0,
            |x| x.sin_cos().0,
        ),
        (
            "sin_cos.1",
            (-3.0, 3.0),
            |x| x.sin_cos().1,
            |x| x.sin_cos().1,
        ),
        ("floor", (0.1, 0.9), f64::floor, D::floor),
        ("round", (0.1, 0.4), f64::round, D::round),
        // The special functions, computed in `f64` for floats, carry their derivatives.
        ("special::erf", (-2.5, 2.5), special::erf, special::erf::<D>),
        (
            "special::erfc",
            (-2.5, 2.5),
            special::erfc,
            special::erfc::<D>,
        ),
        (
            "special::sinc",
            (-4.0, 4.0),
            special::sinc,
            special::sinc::<D>,
        ),
        (
            "special::sinc_derivative",
            (-4.0, 4.0),
            special::sinc_derivative,
            special::sinc_derivative::<D>,
        ),
        (
            "special::ln_gamma",
            (0.2, 9.0),
            special::ln_gamma,
            special::ln_gamma::<D>,
        ),
        (
            "special::ln_gamma (negative)",
            (-1.8, -1.2),
            special::ln_gamma,
            special::ln_gamma::<D>,
        ),
        (
            "special::gamma",
            (0.2, 6.0),
            special::gamma,
            special::gamma::<D>,
        ),
        (
            "special::digamma",
            (0.2, 9.0),
            special::digamma,
            special::digamma::<D>,
        ),
    ]
}

/// (name, domain of each argument, plain function, dual function) of a binary method.
type Binary = (
    &'static str,
    (f64, f64),
    (f64, f64),
    fn(f64, f64) -> f64,
    fn(D, D) -> D,
);

fn binary() -> Vec<Binary> {
    vec![
        ("add", (-3.0, 3.0), (-3.0, 3.0), |a, b| a + b, |a, b| a + b),
        ("sub", (-3.0, 3.0), (-3.0, 3.0), |a, b| a - b, |a, b| a - b),
        ("mul", (-3.0, 3.0), (-3.0, 3.0), |a, b| a * b, |a, b| a * b),
        ("div", (-3.0, 3.0), (0.3, 3.0), |a, b| a / b, |a, b| a / b),
        ("rem", (0.1, 0.9), (1.0, 2.0), |a, b| a % b, |a, b| a % b),
        ("powf", (0.2, 3.0), (-2.0, 2.0), f64::powf, D::powf),
        ("log", (0.2, 3.0), (1.5, 4.0), f64::log, D::log),
        ("atan2", (-3.0, 3.0), (0.3, 3.0), f64::atan2, D::atan2),
        ("hypot", (0.2, 3.0), (-3.0, -0.2), f64::hypot, D::hypot),
        ("max (a wins)", (2.0, 3.0), (-1.0, 1.0), f64::max, D::max),
        ("max (b wins)", (-1.0, 1.0), (2.0, 3.0), f64::max, D::max),
        ("min (a wins)", (-1.0, 1.0), (2.0, 3.0), f64::min, D::min),
        ("min (b wins)", (2.0, 3.0), (-1.0, 1.0), f64::min, D::min),
        (
            "abs_sub",
            (2.0, 3.0),
            (-1.0, 1.0),
            |a, b| (a - b).max(0.0),
            D::abs_sub,
        ),
        (
            "copysign",
            (0.2, 3.0),
            (-3.0, -0.2),
            f64::copysign,
            D::copysign,
        ),
        (
            "add_assign",
            (-3.0, 3.0),
            (-3.0, 3.0),
            |a, b| a + b,
            |mut a, b| {
                a += b;
                a
            },
        ),
        (
            "mul_assign",
            (-3.0, 3.0),
            (-3.0, 3.0),
            |a, b| a * b,
            |mut a, b| {
                a *= b;
                a
            },
        ),
        (
            "div_assign",
            (-3.0, 3.0),
            (0.3, 3.0),
            |a, b| a / b,
            |mut a, b| {
                a /= b;
                a
            },
        ),
        (
            "sub_assign",
            (-3.0, 3.0),
            (0.3, 3.0),
            |a, b| a - b,
            |mut a, b| {
                a -= b;
                a
            },
        ),
    ]
}

fn lerp(range: (f64, f64), u: f64) -> f64 {
    range.0 + (range.1 - range.0) * u
}

proptest! {
    #[test]
    fn unary_tangents(u in 0.0..1.0f64, t in -2.0..2.0f64) {
        for (name, domain, plain, dual) in unary() {
            let x = lerp(domain, u);
            let y = dual(Dual::new(x, t));
            prop_assert_eq!(y.value.to_bits(), plain(x).to_bits(), "{}: value", name);
            let fd = central_difference(|p: &[f64]| plain(p[0]), &[x])[0] * t;
            prop_assert!(relative_error(y.tangent, fd) < TOLERANCE, "{}: tangent {} vs {}", name, y.tangent, fd);
        }
    }

    #[test]
    fn binary_tangents(u in 0.0..1.0f64, w in 0.0..1.0f64, ta in -2.0..2.0f64, tb in -2.0..2.0f64) {
        for (name, da, db, plain, dual) in binary() {
            let (a, b) = (lerp(da, u), lerp(db, w));
            let y = dual(Dual::new(a, ta), Dual::new(b, tb));
            prop_assert_eq!(y.value.to_bits(), plain(a, b).to_bits(), "{}: value", name);
            let g = central_difference(|p: &[f64]| plain(p[0], p[1]), &[a, b]);
            let fd = g[0] * ta + g[1] * tb;
            prop_assert!(relative_error(y.tangent, fd) < TOLERANCE, "{}: tangent {} vs {}", name, y.tangent, fd);
        }
    }

    #[test]
    fn ternary_tangents(a in -2.0..2.0f64, b in -2.0..2.0f64, c in -2.0..2.0f64, lo in -3.0..-2.5f64, hi in 2.5..3.0f64, t in proptest::array::uniform3(-2.0..2.0f64)) {
        let y = Dual::new(a, t[0]).mul_add(Dual::new(b, t[1]), Dual::new(c, t[2]));
        prop_assert_eq!(y.value, a.mul_add(b, c));
        let g = central_difference(|p: &[f64]| p[0].mul_add(p[1], p[2]), &[a, b, c]);
        let fd = g[0] * t[0] + g[1] * t[1] + g[2] * t[2];
        prop_assert!(relative_error(y.tangent, fd) < TOLERANCE, "mul_add");
        // clamp inside the bounds, then with x below lo (the tangent is lo's).
        for x in [a, lo - 1.0] {
            let y = Float::clamp(Dual::new(x, t[0]), Dual::new(lo, t[1]), Dual::new(hi, t[2]));
            let g = central_difference(|p: &[f64]| p[0].clamp(p[1], p[2]), &[x, lo, hi]);
            let fd = g[0] * t[0] + g[1] * t[1] + g[2] * t[2];
            prop_assert!(relative_error(y.tangent, fd) < TOLERANCE, "clamp at {}", x);
        }
    }
}

#[test]
fn constants_and_conversions_have_no_tangent() {
    assert_eq!(D::PI(), Dual::new(std::f64::consts::PI, 0.0));
    assert_eq!(D::PI().tangent, 0.0);
    assert_eq!(
        <D as NumCast>::from(3).map(|d| (d.value, d.tangent)),
        Some((3.0, 0.0))
    );
    assert_eq!(D::epsilon().value, f64::EPSILON);
    let sum: D = [Dual::new(1.0, 2.0), Dual::new(3.0, 4.0)].iter().sum();
    assert_eq!((sum.value, sum.tangent), (4.0, 6.0));
    let product: D = [Dual::new(2.0, 1.0), Dual::new(3.0, 0.0)]
        .into_iter()
        .product();
    assert_eq!((product.value, product.tangent), (6.0, 3.0));
}

#[test]
fn comparisons_read_the_value() {
    assert!(Dual::new(1.0, 5.0) < Dual::new(2.0, -5.0));
    assert_eq!(Dual::new(1.0, 5.0), Dual::new(1.0, -5.0));
    assert!(Dual::new(f64::NAN, 0.0).is_nan());
}

#[test]
fn nested_duals_give_second_derivatives() {
    // (x + ε₁)(x + ε₂) in Dual<Dual<f64>>: the ε₁ε₂ part of eˣ·sin x is its second
    // derivative eˣ·2cos x.
    let x = 0.7;
    let d = Dual::new(Dual::new(x, 1.0), Dual::new(1.0, 0.0));
    let y = d.exp() * d.sin();
    assert!((y.tangent.tangent - x.exp() * 2.0 * x.cos()).abs() < 1e-12);
    assert!((y.value.value - x.exp() * x.sin()).abs() < 1e-15);
}

/// The special functions in nested dual numbers: second and third derivatives against
/// central differences of the first and second (the Hessian of a function with a nested
/// gradient runs over `Dual<Dual<f64>>`). Through 0, where sinc's derivatives are series.
#[test]
fn nested_duals_of_the_special_functions() {
    type D2 = Dual<Dual<f64>>;
    type D3 = Dual<Dual<Dual<f64>>>;
    type Case = (&'static str, fn(D) -> D, fn(D2) -> D2, fn(D3) -> D3);
    let second = |f: fn(D2) -> D2, x: f64| {
        f(Dual::new(Dual::new(x, 1.0), Dual::new(1.0, 0.0)))
            .tangent
            .tangent
    };
    let third = |f: fn(D3) -> D3, x: f64| {
        let one = Dual::new(Dual::new(1.0, 0.0), Dual::new(0.0, 0.0));
        let d = Dual::new(Dual::new(Dual::new(x, 1.0), Dual::new(1.0, 0.0)), one);
        f(d).tangent.tangent.tangent
    };
    let first = |f: fn(D) -> D, x: f64| f(Dual::new(x, 1.0)).tangent;
    let cases: [Case; 3] = [
        ("erf", special::erf, special::erf, special::erf),
        ("erfc", special::erfc, special::erfc, special::erfc),
        ("sinc", special::sinc, special::sinc, special::sinc),
    ];
    let gammas: [Case; 2] = [
        (
            "ln_gamma",
            special::ln_gamma,
            special::ln_gamma,
            special::ln_gamma,
        ),
        ("gamma", special::gamma, special::gamma, special::gamma),
    ];
    for (name, f1, f2, f3) in gammas {
        for x in [0.4, 1.0, 2.7, 9.9, 10.1, 13.0, -0.3, -1.6] {
            let fd2 = central_difference(|p: &[f64]| first(f1, p[0]), &[x])[0];
            let got2 = second(f2, x);
            assert!(
                (got2 - fd2).abs() < 1e-7 * (1.0 + fd2.abs()),
                "{name}'' at {x}: {got2} vs {fd2}"
            );
            let fd3 = central_difference(|p: &[f64]| second(f2, p[0]), &[x])[0];
            let got3 = third(f3, x);
            assert!(
                (got3 - fd3).abs() < 1e-5 * (1.0 + fd3.abs()),
                "{name}''' at {x}: {got3} vs {fd3}"
            );
        }
    }
    for (name, f1, f2, f3) in cases {
        for x in [-1.3, -0.2, 0.0, 0.3, 0.9, 2.1] {
            let fd2 = central_difference(|p: &[f64]| first(f1, p[0]), &[x])[0];
            let got2 = second(f2, x);
            assert!(
                (got2 - fd2).abs() < 1e-8,
                "{name}'' at {x}: {got2} vs {fd2}"
            );
            let fd3 = central_difference(|p: &[f64]| second(f2, p[0]), &[x])[0];
            let got3 = third(f3, x);
            assert!(
                (got3 - fd3).abs() < 1e-6,
                "{name}''' at {x}: {got3} vs {fd3}"
            );
        }
    }
    // sinc″(0) = −1/3, sinc‴(0) = 0.
    assert!((second(special::sinc, 0.0) + 1.0 / 3.0).abs() < 1e-15);
    assert!(third(special::sinc, 0.0).abs() < 1e-15);
}

/// ψ and ψ′ at points where they are known in closed form: ψ(1) = −γ, ψ(½) = −γ − 2 ln 2,
/// ψ(n + 1) = ψ(n) + 1/n, ψ′(1) = π²/6, ψ′(½) = π²/2; and ψ′(x) + ψ′(1 − x) = π²/sin²(πx).
#[test]
fn digamma_and_trigamma_at_known_values() {
    use std::f64::consts::{LN_2, PI};
    let euler = 0.577_215_664_901_532_9_f64;
    let close = |a: f64, b: f64| (a - b).abs() < 2e-15 * (1.0 + b.abs());
    assert!(close(special::digamma(1.0), -euler));
    assert!(close(special::digamma(0.5), -euler - 2.0 * LN_2));
    assert!(close(special::digamma(4.0), -euler + 1.0 + 0.5 + 1.0 / 3.0));
    assert!(close(
        special::digamma(20.0),
        special::digamma(19.0) + 1.0 / 19.0
    ));
    assert!(close(special::trigamma(1.0), PI * PI / 6.0));
    assert!(close(special::trigamma(0.5), PI * PI / 2.0));
    for x in [0.3, -0.7, -2.4] {
        let s = (PI * x).sin();
        assert!(close(
            special::trigamma(x) + special::trigamma(1.0 - x),
            PI * PI / (s * s)
        ));
    }
}

#[test]
fn lift_and_split_round_trip() {
    use tapeless_runtime::dual::{lift, lift_constant, split};
    let xs = [1.0, 2.0];
    let lifted = lift(&xs[..], &vec![3.0, 4.0]);
    assert_eq!(split(lifted), (vec![1.0, 2.0], vec![3.0, 4.0]));
    let array = lift_constant(&[[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(split(array).1, [[0.0, 0.0], [0.0, 0.0]]);
    assert_eq!(split(lift(&5.0f32, &1.5)), (5.0, 1.5));
}

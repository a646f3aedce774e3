//! One call per row of the macro's rule table (`macros/src/rules.rs`), in generic
//! functions (`T: RealField + Copy` and `T: num_traits::Float`), differentiated in both
//! modes and run in `f64` and `f32`: the gradient (`f_grad`) against central differences of
//! the plain function in `f64`, the forward mode (`f_jvp`) in one direction against the
//! directional central difference, and the two modes against each other by the dot-product
//! identity ⟨ẏ, 1⟩ = ⟨v, ∇f⟩. A row whose runtime helpers, generic bounds or generic
//! spelling drifted fails to compile here, and a helper whose math drifted fails its check.
//!
//! Element reads, sub-slices, copies, tuples, shape queries and fields are checked the same
//! way in generic functions of a slice (`slice_row!`) and of a parameter struct (`field`).
//!
//! Rows that a generic function cannot write are left out: `round_ties_even`,
//! `total_cmp` and `partial_cmp` are in neither `RealField` nor `num_traits::Float`, and
//! `to_degrees`, `to_radians` and the `is_*` tests are not in `RealField` (they are
//! checked under `Float` only); `x as T` is not Rust, so the cast row is not either. The
//! `nn` activations of scalars need the bound their plain function needs
//! (`T: Elementwise<Output = T>`), the `special` functions `T: Real`. The rows of matrices
//! and the `nn` functions of matrices are checked the same way in generic functions of
//! nalgebra values by `generic_matrix_rows.rs`.
//! `macros/src/rules.rs` has a test that every row appears here or is one of these.

// Each case is written as the row it tests: `x.clone()` of a `Copy` float is the clone row,
// and `p = p * v` is the multiplication (`*=` is not in `num_traits::Float`).
#![allow(clippy::clone_on_copy, clippy::assign_op_pattern)]

use nalgebra::RealField;
use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;
use tapeless::nn;
use tapeless::runtime::Elementwise;
use tapeless::{special, Real};

/// Checks a gradient (computed in `f64` or `f32`, given as `f64`s) against central
/// differences of the plain function in `f64`.
fn check(
    row: &str,
    variant: &str,
    point: &[f64],
    plain: impl Fn(&[f64]) -> f64,
    gradient: Vec<f64>,
    tolerance: f64,
) {
    let numeric = central_difference(&plain, point);
    assert_eq!(gradient.len(), numeric.len(), "{row} ({variant})");
    for (i, (a, n)) in gradient.iter().zip(&numeric).enumerate() {
        let error = (a - n).abs() / n.abs().max(1.0);
        assert!(
            error < tolerance,
            "{row} ({variant}) at {point:?}: ∂/∂#{i} is {a}, central differences give {n}"
        );
    }
}

/// Checks a forward-mode tangent `dy` (in `f64` or `f32`, given as `f64`) of the direction
/// `v` against the directional central difference ⟨∇f, v⟩ of the plain function in `f64`,
/// and against the gradient of the same precision, `gradient`: ⟨ẏ, 1⟩ = ⟨v, ∇f⟩.
fn check_forward(
    row: &str,
    variant: &str,
    point: &[f64],
    plain: impl Fn(&[f64]) -> f64,
    (dy, v, gradient): (f64, &[f64], Vec<f64>),
    tolerance: f64,
) {
    let numeric = central_difference(&plain, point);
    let directional: f64 = numeric.iter().zip(v).map(|(n, v)| n * v).sum();
    let error = (dy - directional).abs() / directional.abs().max(1.0);
    assert!(
        error < tolerance,
        "{row} ({variant}) at {point:?} in direction {v:?}: ẏ is {dy}, central differences give {directional}"
    );
    let adjoint: f64 = gradient.iter().zip(v).map(|(g, v)| g * v).sum();
    let error = (dy - adjoint).abs() / adjoint.abs().max(1.0);
    assert!(
        error < tolerance,
        "{row} ({variant}) at {point:?} in direction {v:?}: ẏ is {dy}, ⟨v, ∇f⟩ is {adjoint}"
    );
}

/// The direction of the forward-mode checks: a different weight per argument, so that a
/// tangent given to the wrong argument shows.
const DIRECTION: [f64; 3] = [0.7, -1.3, 0.45];

/// The test `$test` of one generic function `$f` (with its `$grad`, its `$jvp` and its
/// gradient struct `$Grad`) at the given points, in both modes.
macro_rules! tests_of {
    ($test:ident, $f:ident, $grad:ident, $jvp:ident, $Grad:ident, $x:tt, $($point:tt),+) => {
        #[test]
        fn $test() {
            $(tests_of!(@at $f, $grad, $jvp, $Grad, $x, $point);)+
        }
    };
    (@at $f:ident, $grad:ident, $jvp:ident, $Grad:ident, [$($x:ident),+], [$($v:expr),+]) => {
        let point: &[f64] = &[$($v),+];
        let plain = |p: &[f64]| {
            let &[$($x),+] = p else { return f64::NAN };
            $f::<f64>($($x),+)
        };
        let &[$($x),+] = point else { return };
        let row = module_path!();
        let (value, g) = $grad::<f64>($($x),+);
        assert_eq!(value, $f::<f64>($($x),+), "value of {row}");
        let gradient = vec![$(g.$x),+];
        check(row, "f64", point, &plain, gradient.clone(), 1e-6);
        let v = &DIRECTION[..point.len()];
        let mut weights = v.iter().copied();
        let tangent = $Grad::<f64> { $($x: weights.next().unwrap_or(0.0)),+ };
        let (value, dy) = $jvp::<f64>($($x,)+ &tangent);
        assert_eq!(value, $f::<f64>($($x),+), "value of {row}'s f_jvp");
        check_forward(row, "f64 forward", point, &plain, (dy, v, gradient), 1e-6);

        let (_, g) = $grad::<f32>($($x as f32),+);
        let gradient = vec![$(f64::from(g.$x)),+];
        check(row, "f32", point, &plain, gradient.clone(), 1e-4);
        let mut weights = v.iter().map(|w| *w as f32);
        let tangent = $Grad::<f32> { $($x: weights.next().unwrap_or(0.0)),+ };
        let (_, dy) = $jvp::<f32>($($x as f32,)+ &tangent);
        check_forward(row, "f32 forward", point, &plain, (f64::from(dy), v, gradient), 1e-4);
    };
}

/// A row in both generic forms. A row that is one method call `x.name(args..)` is also
/// written by path, as `T::name(x, args..)` under `RealField` and `<T as Float>::name(x,
/// args..)` under `Float`.
macro_rules! row {
    ($name:ident, [$($extra:tt)*], |$($x:ident),+| $recv:ident . $method:ident ( $($arg:expr),* ), $($point:tt),+) => {
        row!(@module $name, [$($extra)*], |$($x),+| $recv.$method($($arg),*), [
            #[differentiate]
            pub fn real_path<T: RealField + Copy $($extra)*>($($x: T),+) -> T {
                T::$method($recv $(, $arg)*)
            }

            #[differentiate]
            pub fn float_path<T: Float $($extra)*>($($x: T),+) -> T {
                <T as Float>::$method($recv $(, $arg)*)
            }

            tests_of!(in_real_field_by_path, real_path, real_path_grad, real_path_jvp, RealPathGrad, [$($x),+], $($point),+);
            tests_of!(in_float_by_path, float_path, float_path_grad, float_path_jvp, FloatPathGrad, [$($x),+], $($point),+);
        ], $($point),+);
    };
    ($name:ident, $(not_by_path,)? [$($extra:tt)*], |$($x:ident),+| $body:expr, $($point:tt),+) => {
        row!(@module $name, [$($extra)*], |$($x),+| $body, [], $($point),+);
    };
    (@module $name:ident, [$($extra:tt)*], |$($x:ident),+| $body:expr, [$($by_path:tt)*], $($point:tt),+) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[differentiate]
            pub fn real<T: RealField + Copy $($extra)*>($($x: T),+) -> T {
                $body
            }

            #[differentiate]
            pub fn float<T: Float $($extra)*>($($x: T),+) -> T {
                $body
            }

            tests_of!(in_real_field, real, real_grad, real_jvp, RealGrad, [$($x),+], $($point),+);
            tests_of!(in_float, float, float_grad, float_jvp, FloatGrad, [$($x),+], $($point),+);

            $($by_path)*
        }
    };
}

/// A row that only `num_traits::Float` has.
macro_rules! float_row {
    ($name:ident, |$($x:ident),+| $body:expr, $($point:tt),+) => {
        mod $name {
            use super::*;

            #[differentiate]
            pub fn float<T: Float>($($x: T),+) -> T {
                $body
            }

            tests_of!(in_float, float, float_grad, float_jvp, FloatGrad, [$($x),+], $($point),+);
        }
    };
}

// Float methods.
row!(sin, [], |x| x.sin(), [0.7], [-1.9]);
row!(cos, [], |x| x.cos(), [0.7], [-1.9]);
row!(tan, [], |x| x.tan(), [0.5], [-1.1]);
row!(asin, [], |x| x.asin(), [0.3], [-0.6]);
row!(acos, [], |x| x.acos(), [0.3], [-0.6]);
row!(atan, [], |x| x.atan(), [0.7], [-2.5]);
row!(sinh, [], |x| x.sinh(), [0.7], [-1.5]);
row!(cosh, [], |x| x.cosh(), [0.7], [-1.5]);
row!(tanh, [], |x| x.tanh(), [0.7], [-1.5]);
row!(asinh, [], |x| x.asinh(), [0.7], [-1.5]);
row!(acosh, [], |x| x.acosh(), [1.7], [3.0]);
row!(atanh, [], |x| x.atanh(), [0.4], [-0.7]);
row!(exp, [], |x| x.exp(), [0.7], [-1.5]);
row!(exp2, [], |x| x.exp2(), [0.7], [-1.5]);
row!(exp_m1, [], |x| x.exp_m1(), [0.7], [-1.5]);
row!(ln, [], |x| x.ln(), [1.3], [0.2]);
row!(ln_1p, [], |x| x.ln_1p(), [0.4], [-0.5]);
row!(log10, [], |x| x.log10(), [1.3], [0.2]);
row!(log2, [], |x| x.log2(), [1.3], [0.2]);
row!(sqrt, [], |x| x.sqrt(), [1.3], [0.2]);
row!(cbrt, [], |x| x.cbrt(), [1.3], [-0.4]);
row!(recip, [], |x| x.recip(), [1.3], [-0.4]);
// Not by path: `T::abs` is ambiguous under `RealField` (`ComplexField::abs` and
// `Signed::abs`) in Rust itself.
row!(abs, not_by_path, [], |x| x.abs(), [1.3], [-0.4]);
row!(fract, [], |x| x.fract(), [1.3], [-0.4]);
float_row!(to_degrees, |x| x.to_degrees(), [1.3]);
float_row!(to_radians, |x| x.to_radians(), [1.3]);
row!(log, [], |x, b| x.log(b), [1.3, 2.5], [0.4, 0.5]);
row!(powf, [], |x, n| x.powf(n), [1.3, 0.7], [0.4, -1.5]);
row!(powi, [], |x| x.powi(3), [1.3], [-0.4]);
row!(atan2, [], |a, b| a.atan2(b), [0.6, 0.9], [-0.6, 0.4]);
row!(hypot, [], |a, b| a.hypot(b), [0.6, 0.9], [-0.6, 0.4]);
row!(max, [], |a, b| a.max(b), [0.6, 0.9], [0.9, 0.6]);
row!(min, [], |a, b| a.min(b), [0.6, 0.9], [0.9, 0.6]);
row!(
    clamp,
    [],
    |x, lo, hi| x.clamp(lo, hi),
    [0.5, 0.2, 0.9],
    [0.1, 0.2, 0.9],
    [1.1, 0.2, 0.9]
);
row!(mul_add, [], |a, b, c| a.mul_add(b, c), [0.6, 0.9, -0.3]);
// Rows whose derivative is zero: the result is data, multiplied into an active value.
row!(signum, [], |x| x * x.signum(), [1.3], [-0.4]);
row!(floor, [], |x| x * x.floor(), [1.3], [-0.4]);
row!(ceil, [], |x| x * x.ceil(), [1.3], [-0.4]);
row!(round, [], |x| x * x.round(), [1.3], [-0.4]);
row!(trunc, [], |x| x * x.trunc(), [1.3], [-0.4]);
row!(
    is_finite,
    [],
    |x| if x.is_finite() { x * x } else { x },
    [1.3]
);
row!(
    is_sign_positive,
    [],
    |x| if x.is_sign_positive() { x * x } else { x },
    [1.3],
    [-0.4]
);
row!(
    is_sign_negative,
    [],
    |x| if x.is_sign_negative() { x * x } else { x },
    [1.3],
    [-0.4]
);
float_row!(is_nan, |x| if x.is_nan() { x } else { x * x }, [1.3]);
float_row!(
    is_infinite,
    |x| if x.is_infinite() { x } else { x * x },
    [1.3]
);
float_row!(is_normal, |x| if x.is_normal() { x * x } else { x }, [1.3]);

// Operators.
row!(add, [], |a, b| a + b, [0.6, 0.9]);
row!(sub, [], |a, b| a - b, [0.6, 0.9]);
row!(mul, [], |a, b| a * b, [0.6, 0.9]);
row!(div, [], |a, b| a / b, [0.6, 0.9]);
float_row!(rem, |a, b| a % b, [2.3, 0.9]);
row!(neg, [], |a| -a, [0.6]);

// Functions of runtime modules, of scalars.
row!(nn_sigmoid, [+ Elementwise<Output = T>], |x| nn::sigmoid(x), [0.7], [-1.5]);
row!(nn_relu, [+ Elementwise<Output = T>], |x| nn::relu(x), [0.7], [-1.5]);
row!(nn_tanh, [+ Elementwise<Output = T>], |x| nn::tanh(x), [0.7], [-1.5]);
row!(special_erf, [+ Real], |x| special::erf(x), [0.7], [-1.5]);
row!(special_erfc, [+ Real], |x| special::erfc(x) * x, [0.7], [-1.5]);
row!(special_sinc, [+ Real], |x| special::sinc(x), [0.7], [-1.5], [0.2], [0.0]);
row!(special_ln_gamma, [+ Real], |x| special::ln_gamma(x * x + x * x * x * x + x), [0.7], [-1.5], [3.2]);
row!(special_gamma, [+ Real], |x| special::gamma(x) * x, [0.7], [2.5], [-1.5]);
row!(special_digamma, [+ Real], |x| special::digamma(x), [0.7], [4.5], [-1.5], [12.0]);

/// The test `$test` of one generic function `$f` of a slice `$xs` (with its `$grad`, its
/// `$jvp` and its gradient struct `$Grad`) at the given points, in both modes.
macro_rules! slice_tests_of {
    ($test:ident, $f:ident, $grad:ident, $jvp:ident, $Grad:ident, $xs:ident, $($point:expr),+) => {
        #[test]
        fn $test() {
            $(
                let point: &[f64] = &$point;
                let row = module_path!();
                let plain = |p: &[f64]| $f::<f64>(p);
                let (value, g) = $grad::<f64>(point);
                assert_eq!(value, $f::<f64>(point), "value of {row}");
                check(row, "f64", point, &plain, g.$xs.clone(), 1e-6);
                let v: Vec<f64> = (0..point.len())
                    .map(|i| DIRECTION[i % 3] + 0.1 * i as f64)
                    .collect();
                let (value, dy) = $jvp::<f64>(point, &$Grad { $xs: v.clone() });
                assert_eq!(value, $f::<f64>(point), "value of {row}'s f_jvp");
                check_forward(row, "f64 forward", point, &plain, (dy, &v, g.$xs), 1e-6);

                let point32: Vec<f32> = point.iter().map(|x| *x as f32).collect();
                let (_, g) = $grad::<f32>(&point32);
                let gradient: Vec<f64> = g.$xs.iter().map(|g| f64::from(*g)).collect();
                check(row, "f32", point, &plain, gradient.clone(), 1e-4);
                let v32: Vec<f32> = v.iter().map(|w| *w as f32).collect();
                let (_, dy) = $jvp::<f32>(&point32, &$Grad { $xs: v32 });
                check_forward(row, "f32 forward", point, &plain, (f64::from(dy), &v, gradient), 1e-4);
            )+
        }
    };
}

/// A row of element reads, sub-slices, copies and tuples: a generic function of a slice,
/// in both generic forms.
macro_rules! slice_row {
    ($name:ident, |$xs:ident| $body:expr, $($point:expr),+) => {
        mod $name {
            use super::*;

            #[differentiate]
            pub fn real<T: RealField + Copy>($xs: &[T]) -> T {
                $body
            }

            #[differentiate]
            pub fn float<T: Float>($xs: &[T]) -> T {
                $body
            }

            slice_tests_of!(in_real_field, real, real_grad, real_jvp, RealGrad, $xs, $($point),+);
            slice_tests_of!(in_float, float, float_grad, float_jvp, FloatGrad, $xs, $($point),+);
        }
    };
}

// Element reads, sub-slices, copies, tuples and shape queries.
slice_row!(index, |xs| xs[0] * xs[1] + xs[2], [0.6, -0.9, 1.3]);
slice_row!(
    index2,
    |xs| {
        let m = [[xs[0], xs[1]], [xs[2], xs[0]]];
        m[1][0] * m[0][1] + m[1][1]
    },
    [0.6, -0.9, 1.3]
);
slice_row!(
    index3,
    |xs| {
        let mut c = [[[T::zero(); 2]; 1]; 2];
        c[0][0][1] = xs[1];
        c[1][0][0] = xs[2] * xs[0];
        c[1][0][1] = xs[0];
        c[1][0][0] * c[0][0][1] + c[1][0][1]
    },
    [0.6, -0.9, 1.3]
);
slice_row!(
    sub_slice,
    |xs| {
        let tail = &xs[1..];
        tail[0] * tail[1] * xs[0]
    },
    [0.6, -0.9, 1.3]
);
slice_row!(
    to_vec,
    |xs| {
        let tail = xs[1..].to_vec();
        let array = [xs[0] * xs[2], xs[1]];
        let pair = array.to_vec();
        tail[0] * tail[1] * xs[0] + pair[0] * pair[1]
    },
    [0.6, -0.9, 1.3]
);
slice_row!(
    copy,
    |xs| {
        let mut a = [T::zero(); 2];
        a[0] = xs[0] * xs[2];
        a[1] = xs[1];
        let b = a;
        b[0] * b[1]
    },
    [0.6, -0.9, 1.3]
);
slice_row!(
    deref,
    |xs| {
        let mut p = xs[0];
        for v in xs.iter() {
            p = p * *v;
        }
        p
    },
    [0.6, -0.9, 1.3]
);
slice_row!(clone, |xs| xs[0].clone() * xs[1], [0.6, -0.9]);
slice_row!(
    tuple,
    |xs| {
        let t = (xs[0], xs[1] * xs[2]);
        t.0 * t.1
    },
    [0.6, -0.9, 1.3]
);
slice_row!(len, |xs| xs[0] * xs[xs.len() - 1], [0.6, -0.9, 1.3]);
slice_row!(
    is_empty,
    |xs| if xs.is_empty() { xs[0] } else { xs[0] * xs[1] },
    [0.6, -0.9]
);

/// `p.a`: the field row, of a parameter struct generic over its float type.
mod field {
    use super::*;

    #[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
    pub struct Pair<T> {
        pub a: T,
        pub b: T,
    }

    #[differentiate]
    pub fn real<T: RealField + Copy>(p: &Pair<T>, x: T) -> T {
        p.a * x + p.b * p.b
    }

    #[differentiate]
    pub fn float<T: Float>(p: &Pair<T>, x: T) -> T {
        p.a * x + p.b * p.b
    }

    /// Both modes of `real` and `float` at (a, b, x), flattened in that order.
    macro_rules! field_tests_of {
        ($test:ident, $f:ident, $grad:ident, $jvp:ident, $Grad:ident) => {
            #[test]
            fn $test() {
                for point in [[0.6, -0.9, 1.3], [-1.1, 0.4, 0.2]] {
                    let row = module_path!();
                    let plain = |q: &[f64]| $f::<f64>(&Pair { a: q[0], b: q[1] }, q[2]);
                    let p = Pair {
                        a: point[0],
                        b: point[1],
                    };
                    let (value, g) = $grad(&p, point[2]);
                    assert_eq!(value, $f(&p, point[2]), "value of {row}");
                    let gradient = vec![g.p.a, g.p.b, g.x];
                    check(row, "f64", &point, plain, gradient.clone(), 1e-6);
                    let v = DIRECTION;
                    let tangent = $Grad {
                        p: Pair { a: v[0], b: v[1] },
                        x: v[2],
                    };
                    let (value, dy) = $jvp(&p, point[2], &tangent);
                    assert_eq!(value, $f(&p, point[2]), "value of {row}'s f_jvp");
                    check_forward(row, "f64 forward", &point, plain, (dy, &v, gradient), 1e-6);

                    let p = Pair {
                        a: point[0] as f32,
                        b: point[1] as f32,
                    };
                    let (_, g) = $grad(&p, point[2] as f32);
                    let gradient: Vec<f64> = [g.p.a, g.p.b, g.x].map(f64::from).to_vec();
                    check(row, "f32", &point, plain, gradient.clone(), 1e-4);
                    let tangent = $Grad {
                        p: Pair {
                            a: v[0] as f32,
                            b: v[1] as f32,
                        },
                        x: v[2] as f32,
                    };
                    let (_, dy) = $jvp(&p, point[2] as f32, &tangent);
                    check_forward(
                        row,
                        "f32 forward",
                        &point,
                        plain,
                        (f64::from(dy), &v, gradient),
                        1e-4,
                    );
                }
            }
        };
    }

    field_tests_of!(in_real_field, real, real_grad, real_jvp, RealGrad);
    field_tests_of!(in_float, float, float_grad, float_jvp, FloatGrad);
}

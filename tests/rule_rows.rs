//! One call per row of the macro's rule table (`macros/src/rules.rs`), in generic
//! functions (`T: RealField + Copy` and `T: num_traits::Float`), differentiated in both
//! modes and run in `f64` and `f32`: the gradient (`f_grad`) against central differences of
//! the plain function in `f64`, the forward mode (`f_jvp`) in one direction against the
//! directional central difference, and the two modes against each other by the dot-product
//! identity ⟨ẏ, 1⟩ = ⟨v, ∇f⟩. A row whose runtime helpers, generic bounds or generic
//! spelling drifted fails to compile here, and a helper whose math drifted fails its check.
//!
//! Rows that a generic function cannot write are left out: `round_ties_even`,
//! `total_cmp` and `partial_cmp` are in neither `RealField` nor `num_traits::Float`, and
//! `to_degrees`, `to_radians` and the `is_*` tests are not in `RealField` (they are
//! checked under `Float` only). The `nn` activations of scalars need the bound their plain
//! function needs (`T: Elementwise<Output = T>`). The rows of matrices and the `nn` functions
//! of matrices are checked in `f64`/`f32` by `matrix_functions.rs`: a generic function of
//! nalgebra values (`v: &DVector<T>`) is not supported yet (its gradient struct needs
//! bounds the macro does not add).
//! `macros/src/rules.rs` has a test that every float method row appears here.

use nalgebra::RealField;
use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;
use tapeless::nn;
use tapeless::runtime::Elementwise;

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

/// A row in both generic forms.
macro_rules! row {
    ($name:ident, [$($extra:tt)*], |$($x:ident),+| $body:expr, $($point:tt),+) => {
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
row!(abs, [], |x| x.abs(), [1.3], [-0.4]);
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

// Functions of runtime modules, of scalars (`special::erf` in `special_functions.rs`).
row!(nn_sigmoid, [+ Elementwise<Output = T>], |x| nn::sigmoid(x), [0.7], [-1.5]);
row!(nn_relu, [+ Elementwise<Output = T>], |x| nn::relu(x), [0.7], [-1.5]);
row!(nn_tanh, [+ Elementwise<Output = T>], |x| nn::tanh(x), [0.7], [-1.5]);

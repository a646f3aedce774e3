//! The checks of forward (JVP) helpers.
//!
//! A forward helper of argument `x` of `y = f(.., x, ..)` returns J·ẋ, the directional
//! derivative of `f` along the tangent ẋ. [`check_jvp`] compares it, coordinate by
//! coordinate, with the five-point central difference of t ↦ f(x + t·ẋ); [`check_transpose`]
//! checks it against the VJP helper of the same argument with the dot-product identity
//! ⟨J·ẋ, w⟩ = ⟨ẋ, Jᵀ·w⟩, where Jᵀ·w is what the VJP adds into a zero adjoint with seed w.

use super::{inner, Flat, TOLERANCE};
use tapeless_runtime::check::{central_difference, relative_error};

/// Largest accepted relative error of the dot-product identity: both sides are analytic,
/// so only rounding separates them.
pub const TRANSPOSE_TOLERANCE: f64 = 1e-10;

impl<T: Flat> Flat for Vec<T> {
    fn flat(&self) -> Vec<f64> {
        self.iter().flat_map(Flat::flat).collect()
    }
    fn set_flat(&mut self, coordinates: &[f64]) {
        let mut rest = coordinates;
        for e in self.iter_mut() {
            let n = e.flat().len();
            e.set_flat(&rest[..n]);
            rest = &rest[n..];
        }
        assert!(rest.is_empty(), "too many coordinates");
    }
}

impl<T: Flat, const N: usize> Flat for [T; N] {
    fn flat(&self) -> Vec<f64> {
        self.iter().flat_map(Flat::flat).collect()
    }
    fn set_flat(&mut self, coordinates: &[f64]) {
        let mut rest = coordinates;
        for e in self.iter_mut() {
            let n = e.flat().len();
            e.set_flat(&rest[..n]);
            rest = &rest[n..];
        }
        assert!(rest.is_empty(), "too many coordinates");
    }
}

/// Checks that `tangent`, what a JVP helper returned at `x` for the tangent `v`, is the
/// directional derivative of `f` at `x` along `v` in every coordinate of the output, to a
/// relative error below [`TOLERANCE`].
#[track_caller]
pub fn check_jvp<X: Flat, Y: Flat>(name: &str, f: impl Fn(&X) -> Y, x: &X, v: &X, tangent: &Y) {
    let (x0, direction) = (x.flat(), v.flat());
    assert_eq!(x0.len(), direction.len(), "{name}: the tangent's shape");
    let along = |t: f64| {
        let moved: Vec<f64> = x0.iter().zip(&direction).map(|(a, b)| a + t * b).collect();
        let mut point = x.clone();
        point.set_flat(&moved);
        f(&point).flat()
    };
    let analytic = tangent.flat();
    let outputs = along(0.0).len();
    assert_eq!(
        analytic.len(),
        outputs,
        "{name}: the tangent has {} coordinates, the output {outputs}",
        analytic.len()
    );
    for (k, &a) in analytic.iter().enumerate() {
        let numeric = central_difference(|t| along(t[0])[k], &[0.0])[0];
        let error = relative_error(a, numeric);
        assert!(
            error < TOLERANCE,
            "{name}: output coordinate {k}: the JVP gives {a:e}, finite differences \
             {numeric:e} (relative error {error:e})\njvp: {analytic:?}"
        );
    }
}

/// The dot-product identity ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩ between a JVP helper's result `tangent`
/// (for the tangent `v`) and the VJP helper of the same argument, run by `vjp` on an
/// adjoint that starts at `zero`, with the seed `w`.
#[track_caller]
pub fn check_transpose<G: Flat, Y: Flat>(
    name: &str,
    v: &G,
    tangent: &Y,
    w: &Y,
    zero: &G,
    vjp: impl FnOnce(&mut G),
) {
    let jv_w = inner(&tangent.flat(), &w.flat());
    let mut adjoint = zero.clone();
    vjp(&mut adjoint);
    let v_jtw = inner(&v.flat(), &adjoint.flat());
    let error = relative_error(jv_w, v_jtw);
    assert!(
        error < TRANSPOSE_TOLERANCE,
        "{name}: ⟨Jv, w⟩ = {jv_w:e} (forward) but ⟨v, Jᵀw⟩ = {v_jtw:e} (reverse), relative \
         error {error:e}"
    );
}

/// Both checks of the forward helper of argument `x`: `tangent` (what it returned for the
/// tangent `t_x`) against central differences of `f`, and against the VJP helper of the
/// same argument, run by `vjp` on a zero adjoint shaped like `x`, with the seed `w`.
#[track_caller]
pub fn check_forward<X: Flat, Y: Flat>(
    name: &str,
    f: impl Fn(&X) -> Y,
    x: &X,
    t_x: &X,
    tangent: &Y,
    w: &Y,
    vjp: impl FnOnce(&mut X),
) {
    check_jvp(name, f, x, t_x, tangent);
    let mut zero = x.clone();
    zero.set_flat(&vec![0.0; x.flat().len()]);
    check_transpose(name, t_x, tangent, w, &zero, vjp);
}

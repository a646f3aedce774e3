//! Checks one generated program against the dual-number oracle ([`super::dual`]).
//!
//! Shared by `tests/fuzz.rs` (the programs committed in `generated.rs`) and
//! `examples/fuzz.rs` (programs generated into a temporary crate), which include this
//! file by path.
//!
//! For each point drawn from the program's domain:
//! - the value of `f_grad` and of `f_vjp` is bit-for-bit the plain function's;
//! - the oracle's value is bit-for-bit the plain function's too (else the oracle, not
//!   tapeless, is wrong: reported as such);
//! - each gradient entry equals the oracle's (one forward pass per input) to
//!   [`TOLERANCE`] relative to `max(1, |oracle|)` (`f32` programs: [`TOLERANCE_F32`]);
//!   where they disagree, central differences give a second opinion that goes into the
//!   report (the verdict stays "wrong gradient": the oracle is exact on the path taken);
//!   the one exception is the README's overflow convention: an entry that is NaN where the
//!   oracle's is finite, at a point where the oracle computed a value or local derivative
//!   that is not finite (reverse mode's 0 · ∞ = NaN), is counted, not failed, and the
//!   point's remaining checks are skipped ([`check`] returns the count);
//! - `f_vjp` is linear in the seed: seeds 2 and −0.375 give 2 and −0.375 × the gradient to
//!   [`TOLERANCE`] (not bit for bit even for 2, though scaling by a power of two is exact:
//!   an adjoint that underflows is rounded to the subnormal grid, where 0.4 of the smallest
//!   subnormal rounds to 0 and 0.8 of it to 1, so seed 1 may give −0 where seed 2 gives +0
//!   or a last subnormal digit more; the fuzzer's p57639, seed 14);
//! - forward mode: `f_jvp`'s value is bit-for-bit the plain function's, and along a tangent
//!   `v` drawn like the points its tangent is ⟨∇f, v⟩ of `f_grad` to [`TOLERANCE`] (the
//!   dot-product test ⟨J·v, 1⟩ = ⟨v, Jᵀ·1⟩ between forward and reverse mode).

use super::dual::{take_nonfinite, Dual, Dual32};

/// A generated program, called through adapters on flat vectors: the parameters in
/// declaration order, an array, slice or `Vec` as its elements.
pub struct Program {
    pub name: &'static str,
    /// The number of scalar inputs.
    pub dim: usize,
    /// Each input is drawn from this union of intervals.
    pub domain: &'static [(f64, f64)],
    /// An `f32` program: inputs are rounded to `f32`, the oracle is `oracle32`.
    pub single: bool,
    /// The plain function.
    pub value: fn(&[f64]) -> f64,
    /// `f_grad`, its gradient flattened like the inputs.
    pub grad: fn(&[f64]) -> (f64, Vec<f64>),
    /// `f_vjp` with the given seed.
    pub vjp: fn(&[f64], f64) -> (f64, Vec<f64>),
    /// `f_jvp` with the given tangent (flattened like the inputs): the value and ⟨∇f, v⟩.
    pub jvp: fn(&[f64], &[f64]) -> (f64, f64),
    /// The same program over dual numbers (`f64` programs).
    pub oracle: fn(&[Dual]) -> Dual,
    /// The same program over `f32` dual numbers (`f32` programs).
    pub oracle32: fn(&[Dual32]) -> Dual32,
}

/// A program whose oracle is never called (the other precision's).
pub fn no_oracle(_: &[Dual]) -> Dual {
    Dual::c(f64::NAN)
}

/// See [`no_oracle`].
pub fn no_oracle32(_: &[Dual32]) -> Dual32 {
    Dual32::c(f32::NAN)
}

/// Allowed `|tapeless − oracle| / max(1, |oracle|)`.
pub const TOLERANCE: f64 = 1e-9;
/// The same for `f32` programs.
pub const TOLERANCE_F32: f64 = 2e-3;

/// What is wrong with a program, if anything.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// `f_grad`/`f_vjp` return another value than the plain function.
    WrongValue(String),
    /// The gradient disagrees with the oracle.
    WrongGradient(String),
    /// `f_vjp` is not linear in the seed.
    NotLinear(String),
    /// `f_jvp`'s tangent is not ⟨∇f, v⟩ (forward and reverse mode disagree).
    WrongTangent(String),
    /// `f_grad` or `f_vjp` panics where the plain function does not.
    Panic(String),
    /// The plain function panics or is not finite: a generator bug.
    BadProgram(String),
    /// The oracle's value is not the plain function's: an oracle bug.
    BadOracle(String),
}

impl Failure {
    /// A short class name for counts.
    pub fn class(&self) -> &'static str {
        match self {
            Failure::WrongValue(_) => "wrong value",
            Failure::WrongGradient(_) => "wrong gradient",
            Failure::NotLinear(_) => "vjp not linear",
            Failure::WrongTangent(_) => "jvp disagrees with vjp",
            Failure::Panic(_) => "panic",
            Failure::BadProgram(_) => "generator bug",
            Failure::BadOracle(_) => "oracle bug",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Failure::WrongValue(s)
            | Failure::WrongGradient(s)
            | Failure::NotLinear(s)
            | Failure::WrongTangent(s)
            | Failure::Panic(s)
            | Failure::BadProgram(s)
            | Failure::BadOracle(s) => s,
        }
    }
}

/// SplitMix64, for the sample points.
pub struct Points(u64);

impl Points {
    pub fn new(seed: u64) -> Self {
        Points(seed)
    }

    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A point drawn uniformly (by length) from a union of intervals.
    pub fn point_in(&mut self, domain: &[(f64, f64)]) -> f64 {
        let total: f64 = domain.iter().map(|(lo, hi)| hi - lo).sum();
        let mut r = self.unit() * total;
        for &(lo, hi) in domain {
            if r < hi - lo {
                return lo + r;
            }
            r -= hi - lo;
        }
        domain[domain.len() - 1].1
    }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// `|a − b| ≤ tol · max(1, |b|)`; equal infinities and two NaNs agree.
fn close(a: f64, b: f64, tol: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= tol * b.abs().max(1.0)
}

fn panic_message(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// `f(x)`, or the panic's message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(panic_message)
}

/// The oracle's value and gradient at `x`, and whether it computed a value or local
/// derivative that is not finite on the way.
fn oracle(p: &Program, x: &[f64]) -> (f64, Vec<f64>, bool) {
    take_nonfinite();
    let mut value = f64::NAN;
    let mut grad = Vec::with_capacity(p.dim);
    for k in 0..p.dim {
        if p.single {
            let xs: Vec<Dual32> = (0..p.dim)
                .map(|j| Dual32::var(x[j] as f32, if j == k { 1.0 } else { 0.0 }))
                .collect();
            let y = (p.oracle32)(&xs);
            value = f64::from(y.v);
            grad.push(f64::from(y.d));
        } else {
            let xs: Vec<Dual> = (0..p.dim)
                .map(|j| Dual::var(x[j], if j == k { 1.0 } else { 0.0 }))
                .collect();
            let y = (p.oracle)(&xs);
            value = y.v;
            grad.push(y.d);
        }
    }
    (value, grad, take_nonfinite())
}

/// Central differences of the plain function, for the report of a disagreement.
fn central(p: &Program, x: &[f64]) -> Vec<f64> {
    let h = if p.single { 1e-3 } else { 1e-6 };
    (0..p.dim)
        .map(|k| {
            let mut a = x.to_vec();
            let mut b = x.to_vec();
            a[k] += h;
            b[k] -= h;
            ((p.value)(&a) - (p.value)(&b)) / (2.0 * h)
        })
        .collect()
}

/// Checks `p` at `points` points; the first failure found, if any, else the number of
/// points whose gradient is NaN by the overflow convention (see the module's doc).
pub fn check(p: &Program, rng: &mut Points, points: usize) -> Result<usize, Failure> {
    let tol = if p.single { TOLERANCE_F32 } else { TOLERANCE };
    let mut convention = 0;
    'points: for _ in 0..points {
        let mut x: Vec<f64> = (0..p.dim).map(|_| rng.point_in(p.domain)).collect();
        if p.single {
            x.iter_mut().for_each(|v| *v = f64::from(*v as f32));
        }
        let at = || format!("{} at {x:?}", p.name);
        let value = guarded(|| (p.value)(&x)).map_err(|m| {
            Failure::BadProgram(format!("{}: the plain function panics: {m}", at()))
        })?;
        if !value.is_finite() {
            return Err(Failure::BadProgram(format!("{}: value {value}", at())));
        }
        let (v, grad) = guarded(|| (p.grad)(&x))
            .map_err(|m| Failure::Panic(format!("{}: _grad panics: {m}", at())))?;
        if !same(v, value) {
            return Err(Failure::WrongValue(format!(
                "{}: _grad returns the value {v:e}, the function {value:e}",
                at()
            )));
        }
        let (ov, og, overflowed) = oracle(p, &x);
        if !same(ov, value) {
            return Err(Failure::BadOracle(format!(
                "{}: the oracle's value is {ov:e}, the function's {value:e}",
                at()
            )));
        }
        if overflowed && (0..p.dim).any(|k| grad[k].is_nan() && og[k].is_finite()) {
            let agree = |k: usize| grad[k].is_nan() || close(grad[k], og[k], tol);
            if (0..p.dim).all(agree) {
                convention += 1;
                continue 'points;
            }
        }
        for k in 0..p.dim {
            if !close(grad[k], og[k], tol) {
                let cd = central(p, &x);
                return Err(Failure::WrongGradient(format!(
                    "{}: d/dx[{k}] is {:e}, the oracle says {:e} (central differences {:e})",
                    at(),
                    grad[k],
                    og[k],
                    cd[k]
                )));
            }
        }
        let (v2, g2) = guarded(|| (p.vjp)(&x, 2.0))
            .map_err(|m| Failure::Panic(format!("{}: _vjp panics: {m}", at())))?;
        if !same(v2, value) {
            return Err(Failure::WrongValue(format!(
                "{}: _vjp returns the value {v2:e}, the function {value:e}",
                at()
            )));
        }
        let (_, g3) = guarded(|| (p.vjp)(&x, -0.375))
            .map_err(|m| Failure::Panic(format!("{}: _vjp panics: {m}", at())))?;
        for k in 0..p.dim {
            if !close(g2[k], 2.0 * grad[k], tol) || !close(g3[k], -0.375 * grad[k], tol) {
                return Err(Failure::NotLinear(format!(
                    "{}: d/dx[{k}]: gradient {:e}, vjp(2) {:e}, vjp(-0.375) {:e}",
                    at(),
                    grad[k],
                    g2[k],
                    g3[k]
                )));
            }
        }
        let v: Vec<f64> = (0..p.dim).map(|_| rng.point_in(&[(-1.0, 1.0)])).collect();
        let (v4, tangent) = guarded(|| (p.jvp)(&x, &v))
            .map_err(|m| Failure::Panic(format!("{}: _jvp panics: {m}", at())))?;
        if !same(v4, value) {
            return Err(Failure::WrongValue(format!(
                "{}: _jvp returns the value {v4:e}, the function {value:e}",
                at()
            )));
        }
        let reverse: f64 = grad.iter().zip(&v).map(|(g, v)| g * v).sum();
        let scale: f64 = grad.iter().zip(&v).map(|(g, v)| (g * v).abs()).sum();
        if !(tangent == reverse || (tangent - reverse).abs() <= tol * scale.max(1.0)) {
            return Err(Failure::WrongTangent(format!(
                "{}: along {v:?}, _jvp gives {tangent:e}, ⟨∇f, v⟩ of _grad {reverse:e}",
                at()
            )));
        }
    }
    Ok(convention)
}

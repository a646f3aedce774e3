//! The fuzzer's oracle: forward-mode dual numbers, written here and sharing nothing with
//! tapeless. A `Dual` carries a value and one tangent; every operation computes its value
//! exactly as the plain float code does (so values are bit-for-bit those of the plain
//! function) and its tangent by the textbook derivative. One forward pass per input,
//! seeded with the unit tangent of that input, gives the exact derivative along the path
//! the program takes (no step size, no kink problems).
//!
//! At points where a derivative is undefined, the tangents follow the conventions the
//! README documents for tapeless (`abs'(0) = 0`, ties of `max`/`min`/`clamp` split evenly,
//! `hypot` 0 at the origin, the exponent's derivative of `powf` 0 where the power is 0),
//! so that a disagreement is a bug and not a convention.
//!
//! `Dual` is over `f64`, `Dual32` over `f32` (for the `f32` programs), both from one macro.
//!
//! Every operation also records whether a value or a local derivative it computed is not
//! finite (an overflow, `exp(800)`; [`take_nonfinite`]). Reverse mode multiplies such a
//! local derivative by the adjoint, which may be an exact zero on the path taken: IEEE
//! gives 0 · ∞ = NaN where this oracle, which never forms that product, gives 0. That is
//! the convention the README documents, and the harness tells it apart from a bug by
//! this record.

use std::cell::Cell;

thread_local! {
    static NONFINITE: Cell<bool> = const { Cell::new(false) };
}

/// Whether an operation on this thread computed a value or local derivative that is not
/// finite since the last call; clears the record.
pub fn take_nonfinite() -> bool {
    NONFINITE.with(|c| c.replace(false))
}

/// `x`, recording whether it is finite.
fn note<F: Into<f64> + Copy>(x: F) -> F {
    if !x.into().is_finite() {
        NONFINITE.with(|c| c.set(true));
    }
    x
}

macro_rules! dual_type {
    ($name:ident, $f:ident) => {
        #[derive(Clone, Copy, Debug)]
        pub struct $name {
            /// The value.
            pub v: $f,
            /// The tangent (derivative along the seeded direction).
            pub d: $f,
        }

        impl $name {
            /// A constant.
            pub fn c(v: $f) -> Self {
                $name { v, d: 0.0 }
            }

            /// A variable with tangent `d`.
            pub fn var(v: $f, d: $f) -> Self {
                $name { v: note(v), d }
            }

            /// `f(v)` with derivative `df` at `v`.
            fn chain(self, v: $f, df: $f) -> Self {
                $name {
                    v: note(note(v)),
                    d: note(df) * self.d,
                }
            }

            pub fn sin(self) -> Self {
                self.chain(self.v.sin(), self.v.cos())
            }
            pub fn cos(self) -> Self {
                self.chain(self.v.cos(), -self.v.sin())
            }
            pub fn tan(self) -> Self {
                let c = self.v.cos();
                self.chain(self.v.tan(), 1.0 / (c * c))
            }
            pub fn asin(self) -> Self {
                self.chain(self.v.asin(), 1.0 / (1.0 - self.v * self.v).sqrt())
            }
            pub fn acos(self) -> Self {
                self.chain(self.v.acos(), -1.0 / (1.0 - self.v * self.v).sqrt())
            }
            pub fn atan(self) -> Self {
                self.chain(self.v.atan(), 1.0 / (1.0 + self.v * self.v))
            }
            pub fn sinh(self) -> Self {
                self.chain(self.v.sinh(), self.v.cosh())
            }
            pub fn cosh(self) -> Self {
                self.chain(self.v.cosh(), self.v.sinh())
            }
            pub fn tanh(self) -> Self {
                let t = self.v.tanh();
                self.chain(t, 1.0 - t * t)
            }
            pub fn asinh(self) -> Self {
                self.chain(self.v.asinh(), 1.0 / (self.v * self.v + 1.0).sqrt())
            }
            pub fn acosh(self) -> Self {
                self.chain(self.v.acosh(), 1.0 / (self.v * self.v - 1.0).sqrt())
            }
            pub fn atanh(self) -> Self {
                self.chain(self.v.atanh(), 1.0 / (1.0 - self.v * self.v))
            }
            pub fn exp(self) -> Self {
                let e = self.v.exp();
                self.chain(e, e)
            }
            pub fn exp2(self) -> Self {
                let e = self.v.exp2();
                self.chain(e, e * core::$f::consts::LN_2)
            }
            pub fn exp_m1(self) -> Self {
                self.chain(self.v.exp_m1(), self.v.exp())
            }
            pub fn ln(self) -> Self {
                self.chain(self.v.ln(), 1.0 / self.v)
            }
            pub fn ln_1p(self) -> Self {
                self.chain(self.v.ln_1p(), 1.0 / (1.0 + self.v))
            }
            pub fn log10(self) -> Self {
                self.chain(self.v.log10(), 1.0 / (self.v * core::$f::consts::LN_10))
            }
            pub fn log2(self) -> Self {
                self.chain(self.v.log2(), 1.0 / (self.v * core::$f::consts::LN_2))
            }
            /// log_b(x) = ln x / ln b.
            pub fn log(self, b: Self) -> Self {
                let (lx, lb) = (self.v.ln(), b.v.ln());
                $name {
                    v: note(self.v.log(b.v)),
                    d: self.d / (self.v * lb) - b.d * lx / (b.v * lb * lb),
                }
            }
            pub fn sqrt(self) -> Self {
                let s = self.v.sqrt();
                self.chain(s, 0.5 / s)
            }
            pub fn cbrt(self) -> Self {
                let c = self.v.cbrt();
                self.chain(c, 1.0 / (3.0 * c * c))
            }
            pub fn powi(self, n: i32) -> Self {
                let df = if n == 0 {
                    0.0
                } else {
                    n as $f * self.v.powi(n - 1)
                };
                self.chain(self.v.powi(n), df)
            }
            pub fn powf(self, e: Self) -> Self {
                let p = self.v.powf(e.v);
                let de = if p == 0.0 { 0.0 } else { note(p * self.v.ln()) };
                let dx = if e.d == 0.0 && self.d == 0.0 {
                    0.0
                } else {
                    note(e.v * self.v.powf(e.v - 1.0))
                };
                // A zero tangent contributes nothing, even where its factor is not finite.
                let term = |t: $f, f: $f| if t == 0.0 { 0.0 } else { t * f };
                $name {
                    v: note(p),
                    d: term(self.d, dx) + term(e.d, de),
                }
            }
            pub fn recip(self) -> Self {
                self.chain(self.v.recip(), -1.0 / (self.v * self.v))
            }
            pub fn abs(self) -> Self {
                let s = if self.v > 0.0 {
                    1.0
                } else if self.v < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                self.chain(self.v.abs(), s)
            }
            pub fn signum(self) -> Self {
                self.chain(self.v.signum(), 0.0)
            }
            pub fn floor(self) -> Self {
                self.chain(self.v.floor(), 0.0)
            }
            pub fn ceil(self) -> Self {
                self.chain(self.v.ceil(), 0.0)
            }
            pub fn round(self) -> Self {
                self.chain(self.v.round(), 0.0)
            }
            pub fn trunc(self) -> Self {
                self.chain(self.v.trunc(), 0.0)
            }
            pub fn fract(self) -> Self {
                self.chain(self.v.fract(), 1.0)
            }
            pub fn to_degrees(self) -> Self {
                self.chain(self.v.to_degrees(), (180.0 as $f) / core::$f::consts::PI)
            }
            pub fn to_radians(self) -> Self {
                self.chain(self.v.to_radians(), core::$f::consts::PI / 180.0)
            }
            pub fn max(self, o: Self) -> Self {
                let v = self.v.max(o.v);
                let d = if self.v > o.v {
                    self.d
                } else if self.v < o.v {
                    o.d
                } else {
                    0.5 * (self.d + o.d)
                };
                $name { v: note(v), d }
            }
            pub fn min(self, o: Self) -> Self {
                let v = self.v.min(o.v);
                let d = if self.v < o.v {
                    self.d
                } else if self.v > o.v {
                    o.d
                } else {
                    0.5 * (self.d + o.d)
                };
                $name { v: note(v), d }
            }
            pub fn clamp(self, lo: Self, hi: Self) -> Self {
                self.max(lo).min(hi)
            }
            pub fn atan2(self, x: Self) -> Self {
                let r = note(self.v * self.v + x.v * x.v);
                $name {
                    v: note(self.v.atan2(x.v)),
                    d: (x.v * self.d - self.v * x.d) / r,
                }
            }
            pub fn hypot(self, o: Self) -> Self {
                let h = self.v.hypot(o.v);
                let d = if h == 0.0 {
                    0.0
                } else {
                    (self.v * self.d + o.v * o.d) / h
                };
                $name { v: note(h), d }
            }
            pub fn mul_add(self, a: Self, b: Self) -> Self {
                $name {
                    v: note(self.v.mul_add(a.v, b.v)),
                    d: self.d * a.v + self.v * a.d + b.d,
                }
            }
        }

        impl PartialEq for $name {
            fn eq(&self, o: &Self) -> bool {
                self.v == o.v
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, o: &Self) -> Option<core::cmp::Ordering> {
                self.v.partial_cmp(&o.v)
            }
        }

        impl core::ops::Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                $name {
                    v: note(-self.v),
                    d: -self.d,
                }
            }
        }

        impl core::ops::Add for $name {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                $name {
                    v: note(self.v + o.v),
                    d: self.d + o.d,
                }
            }
        }

        impl core::ops::Sub for $name {
            type Output = Self;
            fn sub(self, o: Self) -> Self {
                $name {
                    v: note(self.v - o.v),
                    d: self.d - o.d,
                }
            }
        }

        impl core::ops::Mul for $name {
            type Output = Self;
            fn mul(self, o: Self) -> Self {
                $name {
                    v: note(self.v * o.v),
                    d: self.d * o.v + self.v * o.d,
                }
            }
        }

        impl core::ops::Div for $name {
            type Output = Self;
            fn div(self, o: Self) -> Self {
                $name {
                    v: note(self.v / o.v),
                    d: (self.d * o.v - self.v * o.d) / note(o.v * o.v),
                }
            }
        }

        impl core::ops::Rem for $name {
            type Output = Self;
            /// x % y = x − trunc(x / y)·y: derivative 1 in x, −trunc(x / y) in y.
            fn rem(self, o: Self) -> Self {
                $name {
                    v: note(self.v % o.v),
                    d: self.d - (self.v / o.v).trunc() * o.d,
                }
            }
        }

        // `&Dual` operands, as `.iter()` hands them out.
        impl core::ops::Mul<$name> for &$name {
            type Output = $name;
            fn mul(self, o: $name) -> $name {
                *self * o
            }
        }

        impl core::ops::Add<$name> for &$name {
            type Output = $name;
            fn add(self, o: $name) -> $name {
                *self + o
            }
        }

        impl core::ops::Sub<$name> for &$name {
            type Output = $name;
            fn sub(self, o: $name) -> $name {
                *self - o
            }
        }

        impl core::ops::AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                *self = *self + o;
            }
        }

        impl core::ops::SubAssign for $name {
            fn sub_assign(&mut self, o: Self) {
                *self = *self - o;
            }
        }

        impl core::ops::MulAssign for $name {
            fn mul_assign(&mut self, o: Self) {
                *self = *self * o;
            }
        }

        impl core::ops::DivAssign for $name {
            fn div_assign(&mut self, o: Self) {
                *self = *self / o;
            }
        }

        impl core::ops::RemAssign for $name {
            fn rem_assign(&mut self, o: Self) {
                *self = *self % o;
            }
        }

        impl core::iter::Sum for $name {
            fn sum<I: Iterator<Item = Self>>(it: I) -> Self {
                // Starts from -0.0 as `f64`'s `Sum` does, so values stay bit-for-bit equal.
                it.fold($name::c(-0.0), |a, b| a + b)
            }
        }

        impl<'a> core::iter::Sum<&'a $name> for $name {
            fn sum<I: Iterator<Item = &'a Self>>(it: I) -> Self {
                it.copied().sum()
            }
        }

        impl core::iter::Product for $name {
            fn product<I: Iterator<Item = Self>>(it: I) -> Self {
                it.fold($name::c(1.0), |a, b| a * b)
            }
        }

        impl<'a> core::iter::Product<&'a $name> for $name {
            fn product<I: Iterator<Item = &'a Self>>(it: I) -> Self {
                it.copied().product()
            }
        }
    };
}

dual_type!(Dual, f64);
dual_type!(Dual32, f32);

pub fn polar(r: f64, theta: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = r * theta.cos();
    out[1] = r * theta.sin();
    out
}
///The gradient of [`polar`]: one field per differentiated parameter, made by [`polar_grad`] and [`polar_vjp`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolarGrad {
    ///∂polar/∂r.
    pub r: f64,
    ///∂polar/∂theta.
    pub theta: f64,
}
impl PolarGrad {
    /// The gradient of each parameter, in order (for differentiated callers).
    #[doc(hidden)]
    #[inline(always)]
    #[allow(clippy::unused_unit)]
    pub fn __tapeless_arguments(self) -> (f64, f64) {
        (self.r, self.theta)
    }
}
impl<Scalar: ::tapeless::Real> ::tapeless::Parameters<Scalar> for PolarGrad
where
    f64: ::tapeless::Parameters<Scalar>,
{
    fn add_scaled(&mut self, alpha: Scalar, other: &Self) {
        ::tapeless::Parameters::add_scaled(&mut self.r, alpha, &other.r);
        ::tapeless::Parameters::add_scaled(&mut self.theta, alpha, &other.theta);
    }
    fn zip_scalars<F: FnMut(&mut Scalar, Scalar)>(&mut self, other: &Self, f: &mut F) {
        ::tapeless::Parameters::zip_scalars(&mut self.r, &other.r, f);
        ::tapeless::Parameters::zip_scalars(&mut self.theta, &other.theta, f);
    }
    fn map_scalars<F: FnMut(&mut Scalar)>(&mut self, f: &mut F) {
        ::tapeless::Parameters::map_scalars(&mut self.r, f);
        ::tapeless::Parameters::map_scalars(&mut self.theta, f);
    }
    fn for_each_scalar<F: FnMut(Scalar)>(&self, f: &mut F) {
        ::tapeless::Parameters::for_each_scalar(&self.r, f);
        ::tapeless::Parameters::for_each_scalar(&self.theta, f);
    }
}
///The value of [`polar`] and `seed` times its gradient (the vector-Jacobian product): the forward sweep of `polar` followed by its reverse sweep.
#[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
pub fn polar_vjp(r: f64, theta: f64, seed: [f64; 2]) -> ([f64; 2], PolarGrad) {
    let _ = polar;
    let mut out: [f64; 2] = [0.0; 2];
    let t0 = theta.cos();
    let t1 = r * t0;
    out[0] = t1;
    let t2 = theta.sin();
    let t3 = r * t2;
    out[1] = t3;
    let mut d_r = ::tapeless::__private::zero_adjoint(&r);
    let mut d_theta = ::tapeless::__private::zero_adjoint(&theta);
    let mut d_out = seed;
    let mut d_t3 = -0.0;
    ::tapeless::__private::store_vjp(&mut d_t3, &mut d_out[1]);
    ::tapeless::__private::mul_vjp_lhs(&mut d_r, &t2, &d_t3);
    let mut d_t2 = -0.0;
    ::tapeless::__private::mul_vjp_rhs(&mut d_t2, &r, &d_t3);
    ::tapeless::__private::sin_vjp(&mut d_theta, &theta, &d_t2);
    let mut d_t1 = -0.0;
    ::tapeless::__private::store_vjp(&mut d_t1, &mut d_out[0]);
    ::tapeless::__private::mul_vjp_lhs(&mut d_r, &t0, &d_t1);
    let mut d_t0 = -0.0;
    ::tapeless::__private::mul_vjp_rhs(&mut d_t0, &r, &d_t1);
    ::tapeless::__private::cos_vjp(&mut d_theta, &theta, &d_t0);
    (
        out,
        PolarGrad {
            r: d_r,
            theta: d_theta,
        },
    )
}
#[doc(hidden)]
#[allow(
    unused_variables,
    unused_mut,
    unused_parens,
    unused_braces,
    unreachable_code,
    clippy::all
)]
pub fn __polar_pullback<'__tapeless>(
    r: f64,
    theta: f64,
    needs: [bool; 2usize],
) -> ([f64; 2], impl ::core::ops::FnOnce([f64; 2]) -> PolarGrad + '__tapeless) {
    let mut out: [f64; 2] = [0.0; 2];
    let t0 = theta.cos();
    let t1 = r * t0;
    out[0] = t1;
    let t2 = theta.sin();
    let t3 = r * t2;
    out[1] = t3;
    let value = ::core::clone::Clone::clone(&out);
    (
        value,
        move |seed: [f64; 2]| -> PolarGrad {
            let mut d_r = ::tapeless::__private::zero_adjoint(&r);
            let mut d_theta = ::tapeless::__private::zero_adjoint(&theta);
            let mut d_out = seed;
            let mut d_t3 = -0.0;
            ::tapeless::__private::store_vjp(&mut d_t3, &mut d_out[1]);
            if needs[0usize] {
                ::tapeless::__private::mul_vjp_lhs(&mut d_r, &t2, &d_t3);
            }
            let mut d_t2 = -0.0;
            ::tapeless::__private::mul_vjp_rhs(&mut d_t2, &r, &d_t3);
            if needs[1usize] {
                ::tapeless::__private::sin_vjp(&mut d_theta, &theta, &d_t2);
            }
            let mut d_t1 = -0.0;
            ::tapeless::__private::store_vjp(&mut d_t1, &mut d_out[0]);
            if needs[0usize] {
                ::tapeless::__private::mul_vjp_lhs(&mut d_r, &t0, &d_t1);
            }
            let mut d_t0 = -0.0;
            ::tapeless::__private::mul_vjp_rhs(&mut d_t0, &r, &d_t1);
            if needs[1usize] {
                ::tapeless::__private::cos_vjp(&mut d_theta, &theta, &d_t0);
            }
            PolarGrad {
                r: d_r,
                theta: d_theta,
            }
        },
    )
}
///The value of [`polar`] and its Jacobian: one row per component of the value (in storage order, column-major for a matrix), row `i` the gradient of component `i` (see [`PolarGrad`]), computed by one reverse sweep (`polar_vjp`) per component.
#[allow(clippy::all)]
pub fn polar_jacobian(
    r: f64,
    theta: f64,
) -> ([f64; 2], ::tapeless::__private::Vec<PolarGrad>) {
    let value = polar(r, theta);
    let rows = ::tapeless::__private::reverse_rows(
        &value,
        |seed| polar_vjp(r, theta, seed).1,
    );
    (value, rows)
}
pub fn squares<T: Float>(x: &[T]) -> Vec<T> {
    let mut out = vec![T::zero(); x.len()];
    for i in 0..x.len() {
        out[i] = x[i] * x[i];
    }
    out
}
///The gradient of [`squares`]: one field per differentiated parameter, made by [`squares_grad`] and [`squares_vjp`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SquaresGrad<T: Float> {
    ///∂squares/∂x.
    pub x: ::tapeless::__private::Vec<T>,
}
impl<T: Float> SquaresGrad<T> {
    /// The gradient of each parameter, in order (for differentiated callers).
    #[doc(hidden)]
    #[inline(always)]
    #[allow(clippy::unused_unit)]
    pub fn __tapeless_arguments(self) -> (::tapeless::__private::Vec<T>,) {
        (self.x,)
    }
}
impl<T: Float, Scalar: ::tapeless::Real> ::tapeless::Parameters<Scalar>
for SquaresGrad<T>
where
    ::tapeless::__private::Vec<T>: ::tapeless::Parameters<Scalar>,
{
    fn add_scaled(&mut self, alpha: Scalar, other: &Self) {
        ::tapeless::Parameters::add_scaled(&mut self.x, alpha, &other.x);
    }
    fn zip_scalars<F: FnMut(&mut Scalar, Scalar)>(&mut self, other: &Self, f: &mut F) {
        ::tapeless::Parameters::zip_scalars(&mut self.x, &other.x, f);
    }
    fn map_scalars<F: FnMut(&mut Scalar)>(&mut self, f: &mut F) {
        ::tapeless::Parameters::map_scalars(&mut self.x, f);
    }
    fn for_each_scalar<F: FnMut(Scalar)>(&self, f: &mut F) {
        ::tapeless::Parameters::for_each_scalar(&self.x, f);
    }
}
///The value of [`squares`] and `seed` times its gradient (the vector-Jacobian product): the forward sweep of `squares` followed by its reverse sweep.
#[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
pub fn squares_vjp<T: Float>(x: &[T], seed: Vec<T>) -> (Vec<T>, SquaresGrad<T>)
where
    T: ::tapeless::Real + ::tapeless::runtime::FixedZero
        + ::tapeless::Differentiable<Grad = T> + ::tapeless::Accumulate
        + for<'__tapeless_operand> ::tapeless::__private::Operand<
            '__tapeless_operand,
            Out = T,
        >,
    T: ::tapeless::runtime::ElementwiseAdjoint,
    ::tapeless::__private::Rule: ::tapeless::__private::MulVjpLhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::MulVjpRhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::DivVjpLhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::DivVjpRhs<T, T, T, T>,
{
    let _ = squares::<T>;
    let t0 = T::zero();
    let t1 = x.len();
    let mut out: Vec<T> = ::tapeless::__private::vec![t0; t1];
    let t2 = x.len();
    for i in 0..t2 {
        let t3 = x[i];
        let t4 = t3 * t3;
        out[i] = t4;
    }
    let mut d_x = ::tapeless::__private::zeros_like(x);
    let mut d_out = seed;
    for i in (0..t2).rev() {
        let t3 = ::tapeless::__private::read(x, i);
        let mut d_t4 = ::tapeless::__private::zero();
        ::tapeless::__private::store_vjp(&mut d_t4, &mut d_out[i]);
        let mut d_t3 = ::tapeless::__private::zero();
        ::tapeless::__private::mul_vjp_lhs(&mut d_t3, &t3, &d_t4);
        ::tapeless::__private::mul_vjp_rhs(&mut d_t3, &t3, &d_t4);
        ::tapeless::__private::index_vjp(&mut d_x, &i, &d_t3);
    }
    (out, SquaresGrad { x: d_x })
}
#[doc(hidden)]
#[allow(
    unused_variables,
    unused_mut,
    unused_parens,
    unused_braces,
    unreachable_code,
    clippy::all
)]
pub fn __squares_pullback<'__tapeless, T: Float>(
    x: &'__tapeless [T],
    needs: [bool; 1usize],
) -> (Vec<T>, impl ::core::ops::FnOnce(Vec<T>) -> SquaresGrad<T> + '__tapeless)
where
    T: ::tapeless::Real + ::tapeless::runtime::FixedZero
        + ::tapeless::Differentiable<Grad = T> + ::tapeless::Accumulate
        + for<'__tapeless_operand> ::tapeless::__private::Operand<
            '__tapeless_operand,
            Out = T,
        >,
    T: ::tapeless::runtime::ElementwiseAdjoint,
    ::tapeless::__private::Rule: ::tapeless::__private::MulVjpLhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::MulVjpRhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::DivVjpLhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::DivVjpRhs<T, T, T, T>,
{
    let t0 = T::zero();
    let t1 = x.len();
    let mut out: Vec<T> = ::tapeless::__private::vec![t0; t1];
    let t2 = x.len();
    for i in 0..t2 {
        let t3 = x[i];
        let t4 = t3 * t3;
        out[i] = t4;
    }
    let value = ::core::clone::Clone::clone(&out);
    (
        value,
        move |seed: Vec<T>| -> SquaresGrad<T> {
            let mut d_x = ::tapeless::__private::zeros_like(x);
            let mut d_out = seed;
            for i in (0..t2).rev() {
                let t3 = ::tapeless::__private::read(x, i);
                let mut d_t4 = ::tapeless::__private::zero();
                ::tapeless::__private::store_vjp(&mut d_t4, &mut d_out[i]);
                let mut d_t3 = ::tapeless::__private::zero();
                ::tapeless::__private::mul_vjp_lhs(&mut d_t3, &t3, &d_t4);
                ::tapeless::__private::mul_vjp_rhs(&mut d_t3, &t3, &d_t4);
                if needs[0usize] {
                    ::tapeless::__private::index_vjp(&mut d_x, &i, &d_t3);
                }
            }
            SquaresGrad { x: d_x }
        },
    )
}
///The value of [`squares`] and its Jacobian: one row per component of the value (in storage order, column-major for a matrix), row `i` the gradient of component `i` (see [`SquaresGrad`]), computed by one reverse sweep (`squares_vjp`) per component.
#[allow(clippy::all)]
pub fn squares_jacobian<T: Float>(
    x: &[T],
) -> (Vec<T>, ::tapeless::__private::Vec<SquaresGrad<T>>)
where
    T: ::tapeless::Real + ::tapeless::runtime::FixedZero
        + ::tapeless::Differentiable<Grad = T> + ::tapeless::Accumulate
        + for<'__tapeless_operand> ::tapeless::__private::Operand<
            '__tapeless_operand,
            Out = T,
        >,
    T: ::tapeless::runtime::ElementwiseAdjoint,
    ::tapeless::__private::Rule: ::tapeless::__private::MulVjpLhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::MulVjpRhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::DivVjpLhs<T, T, T>,
    ::tapeless::__private::Rule: ::tapeless::__private::DivVjpRhs<T, T, T, T>,
{
    let value = squares::<T>(x);
    let rows = ::tapeless::__private::reverse_rows(
        &value,
        |seed| squares_vjp::<T>(x, seed).1,
    );
    (value, rows)
}

//! Rules of nalgebra's 3-D rotations (feature `nalgebra`): `Rotation3::from_euler_angles`
//! and products with a rotation (`r * v`, `r * m`, `r1 * r2`).
//!
//! A rotation's adjoint and tangent are the 3 × 3 matrices of its entries (`Matrix3<T>`):
//! R̄ is ∂L/∂R read entrywise, as for any matrix, so a rotation's product rules are the
//! matrix ones with `r.matrix()` in place of `r`, and `r.transpose()` (a rotation) has
//! the matrix transpose's rule, which reads no primal value.
//!
//! `from_euler_angles(roll, pitch, yaw)` is R = R_z(yaw) R_y(pitch) R_x(roll), as nalgebra
//! builds it; each angle's derivative is that product with its factor differentiated
//! (∂R/∂roll = R_z R_y R_x′), and its adjoint the entrywise product ⟨R̄, ∂R/∂θ⟩.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, Matrix3, OMatrix, Rotation3, U3};

use crate::adjoint::Differentiable;
use crate::ops::{MulJvpLhs, MulJvpRhs, MulVjpLhs, MulVjpRhs, Rule};
use crate::Real;

/// A rotation's gradient is the matrix of its entries.
impl<T: Real> Differentiable for Rotation3<T> {
    type Grad = Matrix3<T>;

    #[inline(always)]
    fn zeros_like(&self) -> Matrix3<T> {
        Matrix3::from_element(T::zero())
    }

    #[inline(always)]
    fn zero_adjoint(&self) -> Matrix3<T> {
        Matrix3::from_element(-T::zero())
    }
}

/// R_x(θ) (or its derivative in θ when `derivative`), and likewise about y and z.
fn about_x<T: Real>(theta: T, derivative: bool) -> Matrix3<T> {
    let (s, c) = theta.sin_cos();
    let (o, z) = (T::one(), T::zero());
    if derivative {
        Matrix3::new(z, z, z, z, -s, -c, z, c, -s)
    } else {
        Matrix3::new(o, z, z, z, c, -s, z, s, c)
    }
}

fn about_y<T: Real>(theta: T, derivative: bool) -> Matrix3<T> {
    let (s, c) = theta.sin_cos();
    let (o, z) = (T::one(), T::zero());
    if derivative {
        Matrix3::new(-s, z, c, z, z, z, -c, z, -s)
    } else {
        Matrix3::new(c, z, s, z, o, z, -s, z, c)
    }
}

fn about_z<T: Real>(theta: T, derivative: bool) -> Matrix3<T> {
    let (s, c) = theta.sin_cos();
    let (o, z) = (T::one(), T::zero());
    if derivative {
        Matrix3::new(-s, -c, z, c, -s, z, z, z, z)
    } else {
        Matrix3::new(c, -s, z, s, c, z, z, z, o)
    }
}

/// ∂R/∂θ for the angle at `which` (0 roll, 1 pitch, 2 yaw).
fn partial<T: Real>(roll: T, pitch: T, yaw: T, which: usize) -> Matrix3<T> {
    about_z(yaw, which == 2) * about_y(pitch, which == 1) * about_x(roll, which == 0)
}

/// ⟨R̄, ∂R/∂θ⟩, summed in a fixed order.
fn frobenius<T: Real>(a: &Matrix3<T>, b: &Matrix3<T>) -> T {
    a.iter()
        .zip(b.iter())
        .fold(T::zero(), |s, (x, y)| s + *x * *y)
}

/// R = from_euler_angles(roll, pitch, yaw): roll̄ += ⟨R̄, R_z R_y R_x′⟩. Reads the angles.
#[inline]
pub fn from_euler_angles_vjp_roll<T: Real>(
    d_roll: &mut T,
    roll: &T,
    pitch: &T,
    yaw: &T,
    d_y: &Matrix3<T>,
) {
    *d_roll += frobenius(d_y, &partial(*roll, *pitch, *yaw, 0));
}

/// R = from_euler_angles(roll, pitch, yaw): pitch̄ += ⟨R̄, R_z R_y′ R_x⟩. Reads the angles.
#[inline]
pub fn from_euler_angles_vjp_pitch<T: Real>(
    d_pitch: &mut T,
    roll: &T,
    pitch: &T,
    yaw: &T,
    d_y: &Matrix3<T>,
) {
    *d_pitch += frobenius(d_y, &partial(*roll, *pitch, *yaw, 1));
}

/// R = from_euler_angles(roll, pitch, yaw): yaw̄ += ⟨R̄, R_z′ R_y R_x⟩. Reads the angles.
#[inline]
pub fn from_euler_angles_vjp_yaw<T: Real>(
    d_yaw: &mut T,
    roll: &T,
    pitch: &T,
    yaw: &T,
    d_y: &Matrix3<T>,
) {
    *d_yaw += frobenius(d_y, &partial(*roll, *pitch, *yaw, 2));
}

/// Ṙ = (R_z R_y R_x′)·roll̇.
#[inline]
pub fn from_euler_angles_jvp_roll<T: Real>(roll: &T, pitch: &T, yaw: &T, t: &T) -> Matrix3<T> {
    partial(*roll, *pitch, *yaw, 0) * *t
}

/// Ṙ = (R_z R_y′ R_x)·pitcḣ.
#[inline]
pub fn from_euler_angles_jvp_pitch<T: Real>(roll: &T, pitch: &T, yaw: &T, t: &T) -> Matrix3<T> {
    partial(*roll, *pitch, *yaw, 1) * *t
}

/// Ṙ = (R_z′ R_y R_x)·yaẇ.
#[inline]
pub fn from_euler_angles_jvp_yaw<T: Real>(roll: &T, pitch: &T, yaw: &T, t: &T) -> Matrix3<T> {
    partial(*roll, *pitch, *yaw, 2) * *t
}

/// Y = R·B (B: 3 × C, a vector or a matrix; or a rotation, whose adjoint is a `Matrix3`):
/// B̄ += Rᵀ·Ȳ.
impl<T: Real, C: Dim> MulVjpRhs<OMatrix<T, U3, C>, Rotation3<T>, OMatrix<T, U3, C>> for Rule
where
    DefaultAllocator: Allocator<U3, C>,
{
    #[inline(always)]
    fn mul_vjp_rhs(d_b: &mut OMatrix<T, U3, C>, a: &Rotation3<T>, d_y: &OMatrix<T, U3, C>) {
        *d_b += a.matrix().transpose() * d_y;
    }
}

/// Y = A·R (A a rotation or a 3 × 3 matrix, R a rotation): Ā += Ȳ·Rᵀ.
impl<T: Real> MulVjpLhs<Matrix3<T>, Rotation3<T>, Matrix3<T>> for Rule {
    #[inline(always)]
    fn mul_vjp_lhs(d_a: &mut Matrix3<T>, b: &Rotation3<T>, d_y: &Matrix3<T>) {
        *d_a += d_y * b.matrix().transpose();
    }
}

/// Y = R·B: Ẏ = R·Ḃ.
impl<T: Real, C: Dim> MulJvpRhs<OMatrix<T, U3, C>, Rotation3<T>, OMatrix<T, U3, C>> for Rule
where
    DefaultAllocator: Allocator<U3, C>,
{
    #[inline(always)]
    fn mul_jvp_rhs(a: &Rotation3<T>, t_b: &OMatrix<T, U3, C>) -> OMatrix<T, U3, C> {
        a.matrix() * t_b
    }
}

/// Y = A·R (R a rotation): Ẏ = Ȧ·R.
impl<T: Real> MulJvpLhs<Matrix3<T>, Rotation3<T>, Matrix3<T>> for Rule {
    #[inline(always)]
    fn mul_jvp_lhs(b: &Rotation3<T>, t_a: &Matrix3<T>) -> Matrix3<T> {
        t_a * b.matrix()
    }
}

/// A rotation in arithmetic is taken by reference, as a matrix is (see `ops::Operand`).
impl<'a, T: 'a> crate::ops::Operand<'a> for Rotation3<T> {
    type Out = &'a Self;
    #[inline(always)]
    fn by_operand(&'a self) -> &'a Self {
        self
    }
}

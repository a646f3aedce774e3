//! Rules of nalgebra's 3-D rotations (feature `nalgebra`): `Rotation3::from_euler_angles`,
//! `Rotation3::new` (= `from_scaled_axis`, the exponential map of an axis-angle vector) and
//! products with a rotation (`r * v`, `r * m`, `r1 * r2`).
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
use nalgebra::{DefaultAllocator, Dim, Matrix3, OMatrix, Rotation3, Vector3, U3};

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

/// The coefficients of Rodrigues' formula R(ω) = I + a·K + b·K² (K = [ω]×, θ = |ω|) and
/// of its derivative, as functions of θ²: a = sin θ/θ, b = (1 − cos θ)/θ², and
/// c = a′(θ)/θ, d = b′(θ)/θ (so ȧ = c·(ω·ω̇), ḃ = d·(ω·ω̇)).
///
/// Below θ = ½ each is its Taylor series in θ² (eight terms: the first omitted one is under
/// 1e-19 there), so it is exact at ω = 0 and carries derivatives of every order when `T`
/// is a dual number; above, the closed forms, whose cancellation costs at most ~10 ulp at
/// θ = ½.
fn rodrigues<T: Real>(theta2: T) -> [T; 4] {
    if theta2 < T::constant(0.25) {
        // a = Σ (−θ²)^k/(2k+1)!, b = Σ (−θ²)^k/(2k+2)!, c = Σ_{k≥1} 2k(−1)^k θ^(2k−2)/(2k+1)!,
        // d = Σ_{k≥1} 2k(−1)^k θ^(2k−2)/(2k+2)!.
        let (mut a, mut b, mut c, mut d) = (T::zero(), T::zero(), T::zero(), T::zero());
        let mut power = T::one(); // (−θ²)^k
        let mut previous = T::one(); // (−θ²)^(k−1)·(−1): the power c and d take at k
        for k in 0..8 {
            let f = factorial(2 * k + 1);
            let g = f * T::constant((2 * k + 2) as f64);
            a += power / f;
            b += power / g;
            if k > 0 {
                let two_k = T::constant((2 * k) as f64);
                c += two_k * previous / f;
                d += two_k * previous / g;
            }
            previous = -power;
            power *= -theta2;
        }
        [a, b, c, d]
    } else {
        let theta = theta2.sqrt();
        let (s, co) = theta.sin_cos();
        let a = s / theta;
        let b = (T::one() - co) / theta2;
        let c = (theta * co - s) / (theta2 * theta);
        let d = (theta * s - T::two() * (T::one() - co)) / (theta2 * theta2);
        [a, b, c, d]
    }
}

/// n! in `T`.
fn factorial<T: Real>(n: usize) -> T {
    (2..=n).fold(T::one(), |f, k| f * T::constant(k as f64))
}

/// [ω]×, the cross-product matrix: [ω]× v = ω × v.
fn cross_matrix<T: Real>(w: &Vector3<T>) -> Matrix3<T> {
    let z = T::zero();
    Matrix3::new(z, -w[2], w[1], w[2], z, -w[0], -w[1], w[0], z)
}

/// `Rotation3::new(ω)` (`from_scaled_axis`): nalgebra's value for `f32` and `f64`, and over
/// dual numbers that value with the JVP as its tangent (see
/// [`Real::rotation_from_scaled_axis`]). A `hessian` function's generic copy calls this
/// one: nalgebra's own takes an identity branch at ω = 0, where a tangent would be lost.
#[inline]
pub fn from_scaled_axis<T: Real>(axisangle: Vector3<T>) -> Rotation3<T> {
    T::rotation_from_scaled_axis(axisangle)
}

/// Rodrigues' formula R = I + aK + bK² in `T`'s own arithmetic, valid at ω = 0: the
/// default of [`Real::rotation_from_scaled_axis`] for a float type nalgebra does not know.
pub(crate) fn rodrigues_rotation<T: Real>(axisangle: Vector3<T>) -> Rotation3<T> {
    let [a, b, _, _] = rodrigues(axisangle.dot(&axisangle));
    let k = cross_matrix(&axisangle);
    Rotation3::from_matrix_unchecked(Matrix3::identity() + k * a + k * k * b)
}

/// Over dual numbers: the value's rotation, and the JVP along the tangents, computed in
/// `T`'s arithmetic (so nested duals carry every order).
pub(crate) fn dual_rotation<T: Real>(
    axisangle: Vector3<crate::Dual<T>>,
) -> Rotation3<crate::Dual<T>> {
    let value = axisangle.map(|d| d.value);
    let tangent = from_scaled_axis_jvp(&value, &axisangle.map(|d| d.tangent));
    let r = T::rotation_from_scaled_axis(value);
    Rotation3::from_matrix_unchecked(Matrix3::from_fn(|i, j| {
        crate::Dual::new(r[(i, j)], tangent[(i, j)])
    }))
}

/// Ṙ = c(ω·ω̇)K + a·K̇ + d(ω·ω̇)K² + b(K̇K + KK̇), K̇ = [ω̇]×.
#[inline]
pub fn from_scaled_axis_jvp<T: Real>(axisangle: &Vector3<T>, t: &Vector3<T>) -> Matrix3<T> {
    let [a, b, c, d] = rodrigues(axisangle.dot(axisangle));
    let (k, k_dot) = (cross_matrix(axisangle), cross_matrix(t));
    let s = axisangle.dot(t);
    k * (c * s) + k_dot * a + k * k * (d * s) + (k_dot * k + k * k_dot) * b
}

/// R = from_scaled_axis(ω): ω̄ᵢ += ⟨R̄, ∂R/∂ωᵢ⟩, each partial the JVP along eᵢ. Reads ω.
#[inline]
pub fn from_scaled_axis_vjp<T: Real>(
    d_axisangle: &mut Vector3<T>,
    axisangle: &Vector3<T>,
    d_y: &Matrix3<T>,
) {
    for i in 0..3 {
        let e = Vector3::from_fn(|j, _| if i == j { T::one() } else { T::zero() });
        d_axisangle[i] += frobenius(d_y, &from_scaled_axis_jvp(axisangle, &e));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Rodrigues' formula against nalgebra's, on both sides of the series' edge and at 0.
    #[test]
    fn rodrigues_is_nalgebras_rotation() {
        for w in [
            Vector3::new(0.0, 0.0, 0.0),
            Vector3::new(1e-9, 0.0, -2e-9),
            Vector3::new(1e-3, 2e-3, -1e-3),
            Vector3::new(0.2, -0.3, 0.35),
            Vector3::new(0.3, -0.3, 0.2),
            Vector3::new(1.5, 0.7, -2.0),
            Vector3::new(-3.0, 0.1, 0.2),
        ] {
            let (ours, theirs) = (rodrigues_rotation(w), Rotation3::new(w));
            let error = (ours.matrix() - theirs.matrix()).abs().max();
            assert!(error < 2e-15, "{w:?}: {error:e}");
        }
    }
}

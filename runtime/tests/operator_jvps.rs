//! The forward helpers of the operators (`ops`): `add_jvp_lhs`, ..., `div_jvp_rhs`, for
//! scalars and (feature `nalgebra`) every matrix case, each against central differences
//! along a random tangent and against the VJP helper of the same argument with the
//! dot-product identity ⟨J v, w⟩ = ⟨v, Jᵀ w⟩.

use nalgebra::{DMatrix, Matrix2x3, Matrix3x2, OMatrix};
use tapeless_runtime::scalar::*;

/// A deterministic stream of values in [-2, 2), away from zero by 0.25 (divisors).
struct Values(u64);

impl Values {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        let v = 3.5 * unit - 1.75;
        v + 0.25 * v.signum()
    }

    fn matrix(&mut self, rows: usize, cols: usize) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |_, _| self.next())
    }
}

const H: f64 = 1e-5;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * 1.0_f64.max(a.abs()).max(b.abs())
}

/// Scalars: each helper against the central difference of the operator along its argument,
/// and against its VJP helper.
#[test]
fn scalar_operator_jvps() {
    let mut values = Values(7);
    for _ in 0..200 {
        let (a, b, t, w) = (values.next(), values.next(), values.next(), values.next());
        let y = a / b;
        type Rule = (
            &'static str,
            fn(f64, f64) -> f64,
            f64, // jvp of a
            f64, // jvp of b
            f64, // vjp of a
            f64, // vjp of b
        );
        let vjp = |f: &dyn Fn(&mut f64)| {
            let mut d = 0.0;
            f(&mut d);
            d
        };
        let rules: [Rule; 4] = [
            (
                "add",
                |a, b| a + b,
                add_jvp_lhs(&0.0f64, &t),
                add_jvp_rhs(&0.0f64, &t),
                vjp(&|d| add_vjp_lhs(d, &w)),
                vjp(&|d| add_vjp_rhs(d, &w)),
            ),
            (
                "sub",
                |a, b| a - b,
                sub_jvp_lhs(&0.0f64, &t),
                sub_jvp_rhs(&0.0f64, &t),
                vjp(&|d| sub_vjp_lhs(d, &w)),
                vjp(&|d| sub_vjp_rhs(d, &w)),
            ),
            (
                "mul",
                |a, b| a * b,
                mul_jvp_lhs(&b, &t),
                mul_jvp_rhs(&a, &t),
                vjp(&|d| mul_vjp_lhs(d, &b, &w)),
                vjp(&|d| mul_vjp_rhs(d, &a, &w)),
            ),
            (
                "div",
                |a, b| a / b,
                div_jvp_lhs(&b, &t),
                div_jvp_rhs(&b, &y, &t),
                vjp(&|d| div_vjp_lhs(d, &b, &w)),
                vjp(&|d| div_vjp_rhs(d, &b, &y, &w)),
            ),
        ];
        for (name, f, jvp_a, jvp_b, vjp_a, vjp_b) in rules {
            let numeric_a = (f(a + H * t, b) - f(a - H * t, b)) / (2.0 * H);
            let numeric_b = (f(a, b + H * t) - f(a, b - H * t)) / (2.0 * H);
            assert!(
                close(jvp_a, numeric_a, 1e-6),
                "{name} lhs at ({a}, {b}): {jvp_a} vs {numeric_a}"
            );
            assert!(
                close(jvp_b, numeric_b, 1e-6),
                "{name} rhs at ({a}, {b}): {jvp_b} vs {numeric_b}"
            );
            assert!(close(jvp_a * w, t * vjp_a, 1e-12), "{name} lhs dot product");
            assert!(close(jvp_b * w, t * vjp_b, 1e-12), "{name} rhs dot product");
        }
        let negated = neg_jvp(&t);
        assert_eq!(negated, -t);
        assert!(close(negated * w, t * vjp(&|d| neg_vjp(d, &w)), 1e-12));
    }
}

/// ⟨a, b⟩ of two matrices of the same shape.
fn inner<R: nalgebra::Dim, C: nalgebra::Dim>(a: &OMatrix<f64, R, C>, b: &OMatrix<f64, R, C>) -> f64
where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
{
    a.dot(b)
}

/// Matrix products and quotients: every case of `*` and `/` that the VJP helpers have.
#[test]
fn matrix_operator_jvps() {
    let mut values = Values(11);
    for (r, k, c) in [(1, 1, 1), (2, 3, 4), (3, 1, 2), (4, 4, 1)] {
        let (a, b) = (values.matrix(r, k), values.matrix(k, c));
        let (t_a, t_b) = (values.matrix(r, k), values.matrix(k, c));
        let w = values.matrix(r, c);
        // C = A·B.
        let jvp_a: DMatrix<f64> = mul_jvp_lhs(&b, &t_a);
        let jvp_b: DMatrix<f64> = mul_jvp_rhs(&a, &t_b);
        let numeric_a = ((&a + &t_a * H) * &b - (&a - &t_a * H) * &b) / (2.0 * H);
        let numeric_b = (&a * (&b + &t_b * H) - &a * (&b - &t_b * H)) / (2.0 * H);
        assert!((&jvp_a - numeric_a).amax() < 1e-8);
        assert!((&jvp_b - numeric_b).amax() < 1e-8);
        let (mut d_a, mut d_b) = (DMatrix::zeros(r, k), DMatrix::zeros(k, c));
        mul_vjp_lhs(&mut d_a, &b, &w);
        mul_vjp_rhs(&mut d_b, &a, &w);
        assert!(close(inner(&jvp_a, &w), inner(&t_a, &d_a), 1e-12));
        assert!(close(inner(&jvp_b, &w), inner(&t_b, &d_b), 1e-12));
        // Scalar·matrix, matrix·scalar and matrix/scalar, with s scalar.
        let (s, t_s) = (values.next(), values.next());
        let lhs: DMatrix<f64> = mul_jvp_lhs(&b, &t_s);
        let rhs: DMatrix<f64> = mul_jvp_rhs(&s, &t_b);
        assert!((lhs - &b * t_s).amax() < 1e-15);
        assert!((&rhs - &t_b * s).amax() < 1e-15);
        let w_b = values.matrix(k, c);
        let (mut d_s, mut d_b) = (0.0, DMatrix::zeros(k, c));
        mul_vjp_lhs(&mut d_s, &b, &w_b);
        mul_vjp_rhs(&mut d_b, &s, &w_b);
        let lhs: DMatrix<f64> = mul_jvp_lhs(&b, &t_s);
        assert!(close(inner(&lhs, &w_b), t_s * d_s, 1e-12));
        assert!(close(inner(&rhs, &w_b), inner(&t_b, &d_b), 1e-12));
        let lhs: DMatrix<f64> = mul_jvp_lhs(&s, &t_b); // B·s, B's contribution
        let rhs: DMatrix<f64> = mul_jvp_rhs(&b, &t_s); // B·s, s's contribution
        assert!((&lhs - &t_b * s).amax() < 1e-15);
        assert!((&rhs - &b * t_s).amax() < 1e-15);
        let y = &b / s;
        let quotient: DMatrix<f64> = div_jvp_lhs(&s, &t_b);
        let divisor: DMatrix<f64> = div_jvp_rhs(&s, &y, &t_s);
        let numeric = (&b / (s + H * t_s) - &b / (s - H * t_s)) / (2.0 * H);
        assert!((&quotient - &t_b / s).amax() < 1e-15);
        assert!((&divisor - numeric).amax() < 1e-6);
        let (mut d_b, mut d_s) = (DMatrix::zeros(k, c), 0.0);
        div_vjp_lhs(&mut d_b, &s, &w_b);
        div_vjp_rhs(&mut d_s, &s, &y, &w_b);
        assert!(close(inner(&quotient, &w_b), inner(&t_b, &d_b), 1e-12));
        assert!(close(inner(&divisor, &w_b), t_s * d_s, 1e-12));
        // + − and unary −.
        let sum: DMatrix<f64> = add_jvp_lhs(&t_a, &t_a);
        let difference: DMatrix<f64> = sub_jvp_rhs(&t_a, &t_a);
        assert_eq!(sum, t_a);
        assert_eq!(difference, -&t_a);
        assert_eq!(neg_jvp(&t_a), -&t_a);
    }
    // Static shapes: the product of a 2×3 and a 3×2 is 2×2.
    let a = Matrix2x3::from_fn(|i, j| (i + 2 * j) as f64 - 1.5);
    let b = Matrix3x2::from_fn(|i, j| (2 * i + j) as f64 * 0.5);
    let t = Matrix2x3::from_fn(|i, j| (i * j) as f64 + 0.25);
    let t_b = Matrix3x2::from_fn(|i, j| (i + j) as f64 - 0.75);
    let product: nalgebra::Matrix2<f64> = mul_jvp_lhs(&b, &t);
    assert_eq!(product, t * b);
    let product: nalgebra::Matrix2<f64> = mul_jvp_rhs(&a, &t_b);
    assert_eq!(product, a * t_b);
}

//! One call per nalgebra row of the rule table (`macros/src/rules.rs`: the methods of
//! matrices and the `nn` functions of vectors) in a function generic over its float type
//! (`T: RealField + Copy`), differentiated in both modes and run in `f64` and `f32`: the
//! gradient against central differences of the plain function in `f64`, and `f_jvp` in one
//! direction against ⟨v, ∇f⟩ (the dot-product identity between the modes). Each function
//! takes a 2×2 matrix `a` and a 3-vector `v` (only the entries a row reads matter).

use nalgebra::{DMatrix, DVector, RealField, Rotation3, Vector3};
use tapeless::check::central_difference;
use tapeless::differentiate;
use tapeless::nn;

/// The point: a = [[0.9, -0.3], [0.4, 1.2]] (column-major), v = (0.5, -0.7, 0.3).
const POINT: [f64; 7] = [0.9, 0.4, -0.3, 1.2, 0.5, -0.7, 0.3];
/// A direction for `f_jvp`.
const DIRECTION: [f64; 7] = [0.3, -0.1, 0.7, 0.2, -0.4, 0.6, 0.25];

fn split<T: RealField + Copy>(p: &[T]) -> (DMatrix<T>, DVector<T>) {
    (
        DMatrix::from_column_slice(2, 2, &p[..4]),
        DVector::from_column_slice(&p[4..7]),
    )
}

macro_rules! row {
    ($test:ident, $f:ident, $grad:ident, $jvp:ident, $g:ident, |$a:ident, $v:ident| $body:expr) => {
        row!($test, $f, $grad, $jvp, $g, [RealField + Copy], |$a, $v| $body);
    };
    ($test:ident, $f:ident, $grad:ident, $jvp:ident, $g:ident, [$($bound:tt)*], |$a:ident, $v:ident| $body:expr) => {
        #[differentiate]
        fn $f<T: $($bound)*>($a: &DMatrix<T>, $v: &DVector<T>) -> T {
            $body
        }

        #[test]
        fn $test() {
            let plain = |p: &[f64]| {
                let (a, v) = split(p);
                $f(&a, &v)
            };
            let numeric = central_difference(&plain, &POINT);
            // f64
            let (a, v) = split(&POINT);
            let (value, g) = $grad(&a, &v);
            assert_eq!(value, $f(&a, &v), "{}: value", stringify!($f));
            let flat: Vec<f64> = g.a.iter().chain(g.v.iter()).copied().collect();
            for (i, (x, n)) in flat.iter().zip(&numeric).enumerate() {
                assert!(
                    (x - n).abs() < 1e-6 * (1.0 + n.abs()),
                    "{} ∂/∂#{i}: {x} vs central differences {n}",
                    stringify!($f)
                );
            }
            let (da, dv) = split(&DIRECTION);
            let (_, dy) = $jvp(&a, &v, &$g { a: da, v: dv });
            let adjoint: f64 = flat.iter().zip(&DIRECTION).map(|(g, d)| g * d).sum();
            assert!(
                (dy - adjoint).abs() < 1e-10 * (1.0 + adjoint.abs()),
                "{}: ẏ = {dy}, ⟨v, ∇f⟩ = {adjoint}",
                stringify!($f)
            );
            // f32
            let point: Vec<f32> = POINT.iter().map(|&x| x as f32).collect();
            let (a, v) = split(&point);
            let (_, g) = $grad(&a, &v);
            let flat: Vec<f32> = g.a.iter().chain(g.v.iter()).copied().collect();
            for (x, n) in flat.iter().zip(&numeric) {
                assert!((*x as f64 - n).abs() < 2e-3 * (1.0 + n.abs()), "{} (f32)", stringify!($f));
            }
        }
    };
}

row!(
    transpose,
    r_transpose,
    r_transpose_grad,
    r_transpose_jvp,
    RTransposeGrad,
    |a, v| {
        let t = a.transpose();
        t[(0, 1)] * v[0] + t[(1, 0)]
    }
);
row!(dot, r_dot, r_dot_grad, r_dot_jvp, RDotGrad, |a, v| v.dot(v)
    + a.dot(a));
row!(norm, r_norm, r_norm_grad, r_norm_jvp, RNormGrad, |a, v| v
    .norm()
    * a.norm());
row!(
    norm_squared,
    r_norm_squared,
    r_norm_squared_grad,
    r_norm_squared_jvp,
    RNormSquaredGrad,
    |a, v| v.norm_squared() + a.norm_squared() * v[1]
);
row!(
    normalize,
    r_normalize,
    r_normalize_grad,
    r_normalize_jvp,
    RNormalizeGrad,
    |a, v| {
        let u = v.normalize();
        u[0] * a[(0, 0)] + u[2]
    }
);
row!(
    cross,
    r_cross,
    r_cross_grad,
    r_cross_jvp,
    RCrossGrad,
    |a, v| {
        let w = v.map(|x| x * x);
        let c = v.cross(&w);
        c[0] + c[1] * c[2] + a[(0, 0)]
    }
);
row!(sum, r_sum, r_sum_grad, r_sum_jvp, RSumGrad, |a, v| a.sum()
    * v.sum());
row!(mean, r_mean, r_mean_grad, r_mean_jvp, RMeanGrad, |a, v| a
    .mean()
    + v.mean() * v[0]);
row!(
    trace,
    r_trace,
    r_trace_grad,
    r_trace_jvp,
    RTraceGrad,
    |a, v| a.trace() * v[2]
);
row!(
    determinant,
    r_determinant,
    r_determinant_grad,
    r_determinant_jvp,
    RDeterminantGrad,
    |a, v| a.determinant() + v[0]
);
row!(
    component_mul,
    r_component_mul,
    r_component_mul_grad,
    r_component_mul_jvp,
    RComponentMulGrad,
    |a, v| v.component_mul(v).sum() + a.component_mul(a).sum()
);
row!(
    component_div,
    r_component_div,
    r_component_div_grad,
    r_component_div_jvp,
    RComponentDivGrad,
    |a, v| {
        let w = v.add_scalar(T::one() + T::one());
        v.component_div(&w).sum() + a[(0, 0)]
    }
);
row!(
    add_scalar,
    r_add_scalar,
    r_add_scalar_grad,
    r_add_scalar_jvp,
    RAddScalarGrad,
    |a, v| v.add_scalar(a[(1, 1)]).norm_squared()
);
row!(
    column,
    r_column,
    r_column_grad,
    r_column_jvp,
    RColumnGrad,
    |a, v| a.column(1).dot(&a.column(0)) + v[1]
);
row!(row, r_row, r_row_grad, r_row_jvp, RRowGrad, |a, v| a
    .row(0)
    .sum()
    * v[0]);
row!(rows, r_rows, r_rows_grad, r_rows_jvp, RRowsGrad, |a, v| a
    .rows(1, 1)
    .sum()
    * v.rows(1, 2).norm_squared());
row!(
    fixed_rows,
    r_fixed_rows,
    r_fixed_rows_grad,
    r_fixed_rows_jvp,
    RFixedRowsGrad,
    |a, v| a.fixed_rows::<1>(0).dot(&a.fixed_rows::<1>(1)) * v.fixed_rows::<2>(1).sum()
);
row!(
    columns,
    r_columns,
    r_columns_grad,
    r_columns_jvp,
    RColumnsGrad,
    |a, v| (a.columns(1, 1) * a.columns(0, 1).transpose()).sum() + v[0]
);
row!(
    fixed_columns,
    r_fixed_columns,
    r_fixed_columns_grad,
    r_fixed_columns_jvp,
    RFixedColumnsGrad,
    |a, v| a.fixed_columns::<1>(1).norm() * v[2]
);
row!(
    fixed_view,
    r_fixed_view,
    r_fixed_view_grad,
    r_fixed_view_jvp,
    RFixedViewGrad,
    |a, v| a.fixed_view::<1, 2>(1, 0).sum() * v.fixed_view::<2, 1>(0, 0).norm()
);
row!(view, r_view, r_view_grad, r_view_jvp, RViewGrad, |a, v| a
    .view((0, 1), (2, 1))
    .norm_squared()
    * v.view((1, 0), (2, 1)).sum());
row!(
    into_owned,
    r_into_owned,
    r_into_owned_grad,
    r_into_owned_jvp,
    RIntoOwnedGrad,
    |a, v| {
        let top = a.rows(0, 1).into_owned();
        (top * v.rows(0, 2)).sum() * a[(1, 1)]
    }
);
row!(
    clone_owned,
    r_clone_owned,
    r_clone_owned_grad,
    r_clone_owned_jvp,
    RCloneOwnedGrad,
    |a, v| a.column(1).clone_owned().norm_squared() + v.clone_owned().sum()
);
row!(
    clone,
    r_clone,
    r_clone_grad,
    r_clone_jvp,
    RCloneGrad,
    |a, v| {
        let b = a.clone();
        b.sum() + v.clone().norm_squared()
    }
);
row!(map, r_map, r_map_grad, r_map_jvp, RMapGrad, |a, v| v
    .map(|x| x.sin())
    .sum()
    + a.map(|x| x * x).sum());
row!(
    matrix_product,
    r_matrix_product,
    r_matrix_product_grad,
    r_matrix_product_jvp,
    RMatrixProductGrad,
    |a, v| {
        let y = a * a.column(0);
        (a * a).sum() + y.dot(&y) + v[0]
    }
);
row!(
    inverse,
    r_inverse,
    r_inverse_grad,
    r_inverse_jvp,
    RInverseGrad,
    |a, v| a.clone().try_inverse().unwrap().sum() * v[0]
);
row!(
    solve,
    r_solve,
    r_solve_grad,
    r_solve_jvp,
    RSolveGrad,
    |a, v| a.clone().lu().solve(&a.column(1)).unwrap().sum() * v[1]
);
row!(
    qr_solve,
    r_qr_solve,
    r_qr_solve_grad,
    r_qr_solve_jvp,
    RQrSolveGrad,
    |a, v| a.clone().qr().solve(&a.column(1)).unwrap().sum() * v[1]
);
// `cholesky` reads the lower triangle of `a` (SPD there): a[(0, 1)] has derivative 0.
row!(
    cholesky,
    r_cholesky,
    r_cholesky_grad,
    r_cholesky_jvp,
    RCholeskyGrad,
    |a, v| {
        let c = a.clone().cholesky().unwrap();
        c.l()[(1, 0)] * v[0] + c.l()[(1, 1)]
    }
);
row!(l, r_l, r_l_grad, r_l_jvp, RLGrad, |a, v| a
    .clone()
    .cholesky()
    .unwrap()
    .l()
    .sum()
    * v[1]);
row!(
    cholesky_solve,
    r_cholesky_solve,
    r_cholesky_solve_grad,
    r_cholesky_solve_jvp,
    RCholeskySolveGrad,
    |a, v| a.clone().cholesky().unwrap().solve(&a.column(1)).sum() * v[1]
);
row!(
    ln_determinant,
    r_ln_determinant,
    r_ln_determinant_grad,
    r_ln_determinant_jvp,
    RLnDeterminantGrad,
    |a, v| a.clone().cholesky().unwrap().ln_determinant() * v[2]
);
row!(
    cholesky_determinant,
    r_cholesky_determinant,
    r_cholesky_determinant_grad,
    r_cholesky_determinant_jvp,
    RCholeskyDeterminantGrad,
    |a, v| a.clone().cholesky().unwrap().determinant() * v[2]
);
// Each triangular solve reads one triangle of `a` (the other has derivative 0).
row!(
    solve_lower_triangular,
    r_solve_lower_triangular,
    r_solve_lower_triangular_grad,
    r_solve_lower_triangular_jvp,
    RSolveLowerTriangularGrad,
    |a, v| a.solve_lower_triangular(&a.column(1)).unwrap().sum() * v[1]
);
row!(
    solve_upper_triangular,
    r_solve_upper_triangular,
    r_solve_upper_triangular_grad,
    r_solve_upper_triangular_jvp,
    RSolveUpperTriangularGrad,
    |a, v| a.solve_upper_triangular(&a.column(0)).unwrap().sum() * v[1]
);
row!(
    tr_solve_lower_triangular,
    r_tr_solve_lower_triangular,
    r_tr_solve_lower_triangular_grad,
    r_tr_solve_lower_triangular_jvp,
    RTrSolveLowerTriangularGrad,
    |a, v| a.tr_solve_lower_triangular(&a.column(1)).unwrap().sum() * v[2]
);
row!(
    diagonal,
    r_diagonal,
    r_diagonal_grad,
    r_diagonal_jvp,
    RDiagonalGrad,
    |a, v| a.diagonal().map(|d| d * d).sum() * v[0]
);
row!(
    symmetric_eigenvalues,
    r_symmetric_eigenvalues,
    r_symmetric_eigenvalues_grad,
    r_symmetric_eigenvalues_jvp,
    RSymmetricEigenvaluesGrad,
    // Σλ² and Σλ: whatever order nalgebra gives them in.
    |a, v| {
        let lambda = a.symmetric_eigenvalues();
        lambda.norm_squared() + lambda.sum() * v[0]
    }
);
row!(
    singular_values,
    r_singular_values,
    r_singular_values_grad,
    r_singular_values_jvp,
    RSingularValuesGrad,
    |a, v| a.singular_values()[0] * v[1] + a.singular_values().sum()
);
row!(
    softmax,
    r_softmax,
    r_softmax_grad,
    r_softmax_jvp,
    RSoftmaxGrad,
    [RealField + Copy + tapeless::Real],
    |a, v| nn::softmax(v)[1] + a[(0, 0)]
);
row!(
    log_sum_exp,
    r_log_sum_exp,
    r_log_sum_exp_grad,
    r_log_sum_exp_jvp,
    RLogSumExpGrad,
    [RealField + Copy + tapeless::Real],
    |a, v| nn::log_sum_exp(v) * a[(1, 0)]
);
row!(
    mse,
    r_mse,
    r_mse_grad,
    r_mse_jvp,
    RMseGrad,
    [RealField + Copy + tapeless::Real],
    |a, v| nn::mse(v, v) + nn::mse(a, a)
);
row!(
    cross_entropy,
    r_cross_entropy,
    r_cross_entropy_grad,
    r_cross_entropy_jvp,
    RCrossEntropyGrad,
    [RealField + Copy + tapeless::Real],
    |a, v| nn::cross_entropy(a, &[1, 0]) + v[0]
);
// Shape queries: data read from a differentiated value.
row!(
    nrows,
    r_nrows,
    r_nrows_grad,
    r_nrows_jvp,
    RNrowsGrad,
    |a, v| v[a.nrows()] * a[(0, 0)]
);
row!(
    ncols,
    r_ncols,
    r_ncols_grad,
    r_ncols_jvp,
    RNcolsGrad,
    |a, v| v[a.ncols() - 1] * a[(1, 1)]
);
row!(
    shape,
    r_shape,
    r_shape_grad,
    r_shape_jvp,
    RShapeGrad,
    |a, v| {
        let (r, c) = a.shape();
        v[r + c - 2] + a[(0, 1)]
    }
);
row!(
    rotation_new,
    r_rotation_new,
    r_rotation_new_grad,
    r_rotation_new_jvp,
    RRotationNewGrad,
    |a, v| {
        let w = Vector3::new(v[0] * a[(0, 1)], v[1], v[2] * a[(1, 0)]);
        let u = Rotation3::new(w) * Vector3::new(a[(0, 0)], v[1], a[(1, 1)]);
        u[0] * u[1] + u[2]
    }
);
row!(
    rotation_from_scaled_axis,
    r_rotation_from_scaled_axis,
    r_rotation_from_scaled_axis_grad,
    r_rotation_from_scaled_axis_jvp,
    RRotationFromScaledAxisGrad,
    [tapeless::Real + RealField + Copy],
    |a, v| {
        let w = Vector3::new(v[0] * a[(0, 1)], v[1], v[2] * a[(1, 0)]);
        let r = Rotation3::from_scaled_axis(w);
        let q = tapeless::runtime::rotation::from_scaled_axis(w * a[(1, 1)]);
        let u = (r * q) * Vector3::new(a[(0, 0)], v[1], a[(1, 1)]);
        u[0] * u[1] + u[2]
    }
);
row!(
    from_euler_angles,
    r_from_euler_angles,
    r_from_euler_angles_grad,
    r_from_euler_angles_jvp,
    RFromEulerAnglesGrad,
    |a, v| {
        let r = Rotation3::from_euler_angles(v[0], a[(0, 1)], v[2] * a[(1, 0)]);
        let u = r * Vector3::new(a[(0, 0)], v[1], a[(1, 1)]);
        u[0] * u[1] + u[2]
    }
);

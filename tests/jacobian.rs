//! `f_jacobian`: the value (bit for bit the function's) and one gradient struct per output
//! component, in storage order. Every entry is checked against central differences of the
//! plain function (an independent oracle), and the closed forms where they are short.
#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, RealField, SVector, Vector3};
use tapeless::check::{check_gradient, Tolerance};
use tapeless::runtime::jacobian::{forward_rows, reverse_rows};
use tapeless::{differentiate, Differentiable, JacobianOutput, Parameters};

/// Checks each row of a Jacobian against central differences of `f` at `x`: `f` maps the
/// inputs flattened in the gradient struct's order (fields in declaration order, each in
/// storage order) to the output's components in storage order.
fn check_rows<G: Parameters<f64>>(rows: &[G], x: &[f64], mut f: impl FnMut(&[f64]) -> Vec<f64>) {
    let m = f(x).len();
    assert_eq!(rows.len(), m, "one row per output component");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), x.len(), "row {i} has one entry per input scalar");
        let mut analytic = vec![0.0; row.len()];
        row.write_to(&mut analytic);
        if let Err(mismatch) = check_gradient(|p| f(p)[i], x, &analytic, Tolerance::default()) {
            panic!("row {i}: {mismatch}");
        }
    }
}

fn flat<P: Parameters<f64>>(p: &P) -> Vec<f64> {
    let mut out = vec![0.0; p.len()];
    p.write_to(&mut out);
    out
}

// ---------------------------------------------------------------- arrays: polar coordinates

#[differentiate]
fn polar(r: f64, theta: f64) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = r * theta.cos();
    out[1] = r * theta.sin();
    out
}

#[test]
fn polar_coordinates_array_output() {
    let (r, theta) = (1.7, 0.6);
    let (value, rows): ([f64; 2], Vec<PolarGrad>) = polar_jacobian(r, theta);
    assert_eq!(value, polar(r, theta));
    // ∂(x, y)/∂(r, θ) = [[cos θ, −r sin θ], [sin θ, r cos θ]].
    let expected = [
        [theta.cos(), -r * theta.sin()],
        [theta.sin(), r * theta.cos()],
    ];
    for (row, expected) in rows.iter().zip(expected) {
        assert!((row.r - expected[0]).abs() < 1e-15);
        assert!((row.theta - expected[1]).abs() < 1e-15);
    }
    check_rows(&rows, &[r, theta], |p| polar(p[0], p[1]).to_vec());
}

// ---------------------------------------------------------------- Vec: a cumulative sum

#[differentiate]
fn cumulative_sum(x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    let mut total = 0.0;
    for i in 0..x.len() {
        total += x[i] * x[i];
        out[i] = total;
    }
    out
}

#[test]
fn cumulative_sum_of_squares_vec_output() {
    let x = [0.5, -1.25, 2.0, 0.75];
    let (value, rows) = cumulative_sum_jacobian(&x);
    assert_eq!(value, cumulative_sum(&x));
    // ∂out_i/∂x_j = 2 x_j for j ≤ i, else 0.
    for (i, row) in rows.iter().enumerate() {
        for (j, &d) in row.x.iter().enumerate() {
            let expected = if j <= i { 2.0 * x[j] } else { 0.0 };
            assert_eq!(d, expected, "entry ({i}, {j})");
        }
    }
    check_rows(&rows, &x, cumulative_sum);
}

#[test]
fn an_empty_output_has_no_rows() {
    let (value, rows) = cumulative_sum_jacobian(&[]);
    assert!(value.is_empty());
    assert!(rows.is_empty());
}

// ---------------------------------------------------------------- DVector: an affine-tanh layer

#[differentiate]
fn layer(w: &DMatrix<f64>, b: &DVector<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x + b;
    z.map(|v| v.tanh())
}

#[test]
fn affine_tanh_layer_dvector_output() {
    let w = DMatrix::from_row_slice(3, 2, &[0.3, -0.8, 1.1, 0.4, -0.5, 0.9]);
    let b = DVector::from_vec(vec![0.1, -0.2, 0.05]);
    let x = DVector::from_vec(vec![0.7, -1.3]);
    let (value, rows) = layer_jacobian(&w, &b, &x);
    assert_eq!(value, layer(&w, &b, &x));
    // ∂y_i/∂x = (1 − y_i²) W_i·, ∂y_i/∂b = (1 − y_i²) e_i, ∂y_i/∂W_kj = (1 − y_i²) δ_ik x_j.
    for (i, row) in rows.iter().enumerate() {
        let s = 1.0 - value[i] * value[i];
        for j in 0..2 {
            assert!((row.x[j] - s * w[(i, j)]).abs() < 1e-14);
            for k in 0..3 {
                let expected = if k == i { s * x[j] } else { 0.0 };
                assert!((row.w[(k, j)] - expected).abs() < 1e-14);
            }
        }
        for k in 0..3 {
            assert!((row.b[k] - if k == i { s } else { 0.0 }).abs() < 1e-14);
        }
    }
    let mut point = flat(&w);
    point.extend(flat(&b));
    point.extend(flat(&x));
    check_rows(&rows, &point, |p| {
        let w = DMatrix::from_column_slice(3, 2, &p[..6]);
        let b = DVector::from_column_slice(&p[6..9]);
        let x = DVector::from_column_slice(&p[9..]);
        layer(&w, &b, &x).as_slice().to_vec()
    });
}

// ---------------------------------------------------------------- SVector, by value

#[differentiate]
fn weighted(a: &Vector3<f64>, b: SVector<f64, 3>, s: f64) -> SVector<f64, 3> {
    a.component_mul(&b) * s + b
}

#[test]
fn static_vector_output() {
    let a = Vector3::new(0.5, -1.5, 2.0);
    let b = SVector::<f64, 3>::new(1.25, 0.75, -0.5);
    let s = 1.5;
    let (value, rows) = weighted_jacobian(&a, b, s);
    assert_eq!(value, weighted(&a, b, s));
    let mut point = flat(&a);
    point.extend(flat(&b));
    point.push(s);
    check_rows(&rows, &point, |p| {
        let a = Vector3::from_column_slice(&p[..3]);
        let b = SVector::<f64, 3>::from_column_slice(&p[3..6]);
        weighted(&a, b, p[6]).as_slice().to_vec()
    });
}

// ---------------------------------------------------------------- DMatrix: column-major rows

#[differentiate]
fn outer(u: &DVector<f64>, v: &DVector<f64>) -> DMatrix<f64> {
    u * v.transpose()
}

#[test]
fn matrix_output_rows_are_in_column_major_order() {
    let u = DVector::from_vec(vec![1.5, -0.5]);
    let v = DVector::from_vec(vec![2.0, 0.25, -1.0]);
    let (value, rows) = outer_jacobian(&u, &v);
    assert_eq!(value, outer(&u, &v));
    assert_eq!(rows.len(), 6);
    // Component c is entry (c % 2, c / 2): ∂(u_r v_k)/∂u = v_k e_r, ∂/∂v = u_r e_k.
    for (c, row) in rows.iter().enumerate() {
        let (r, k) = (c % 2, c / 2);
        for i in 0..2 {
            assert_eq!(row.u[i], if i == r { v[k] } else { 0.0 }, "component {c}");
        }
        for j in 0..3 {
            assert_eq!(row.v[j], if j == k { u[r] } else { 0.0 }, "component {c}");
        }
    }
    let mut point = flat(&u);
    point.extend(flat(&v));
    check_rows(&rows, &point, |p| {
        let u = DVector::from_column_slice(&p[..2]);
        let v = DVector::from_column_slice(&p[2..]);
        outer(&u, &v).as_slice().to_vec()
    });
}

// ---------------------------------------------------------------- owned arguments are cloned

#[differentiate]
fn shifted(v: DVector<f64>, shift: f64) -> DVector<f64> {
    v.map(|x| (x + shift).exp())
}

#[test]
fn owned_arguments_are_passed_to_each_sweep() {
    let v = DVector::from_vec(vec![0.1, -0.4, 0.3]);
    let (value, rows) = shifted_jacobian(v.clone(), 0.2);
    assert_eq!(value, shifted(v.clone(), 0.2));
    let mut point = flat(&v);
    point.push(0.2);
    check_rows(&rows, &point, |p| {
        let v = DVector::from_column_slice(&p[..3]);
        shifted(v, p[3]).as_slice().to_vec()
    });
}

// ---------------------------------------------------------------- f32

#[differentiate]
fn rotate32(x: [f32; 2], angle: f32) -> [f32; 2] {
    let (c, s) = (angle.cos(), angle.sin());
    let mut out = [0.0; 2];
    out[0] = c * x[0] - s * x[1];
    out[1] = s * x[0] + c * x[1];
    out
}

#[test]
fn f32_rows() {
    let (x, angle) = ([0.8_f32, -0.3], 0.4_f32);
    let (value, rows) = rotate32_jacobian(x, angle);
    assert_eq!(value, rotate32(x, angle));
    let (c, s) = (angle.cos(), angle.sin());
    let expected = [
        ([c, -s], -s * x[0] - c * x[1]),
        ([s, c], c * x[0] - s * x[1]),
    ];
    for (row, (dx, dangle)) in rows.iter().zip(expected) {
        assert!((row.x[0] - dx[0]).abs() < 1e-6 && (row.x[1] - dx[1]).abs() < 1e-6);
        assert!((row.angle - dangle).abs() < 1e-6);
    }
}

// ---------------------------------------------------------------- a generic function

#[differentiate]
fn squares_and_product<T: RealField + Copy>(x: &[T]) -> Vec<T> {
    let mut out = vec![T::zero(); x.len() + 1];
    let mut product = T::one();
    for i in 0..x.len() {
        out[i] = x[i] * x[i];
        product *= x[i];
    }
    out[x.len()] = product;
    out
}

#[test]
fn generic_function_in_f64_and_f32() {
    let x = [1.5, -0.5, 2.0];
    let (value, rows) = squares_and_product_jacobian(&x);
    assert_eq!(value, squares_and_product(&x));
    check_rows(&rows, &x, squares_and_product);
    let x32 = [1.5_f32, -0.5, 2.0];
    let (value, rows) = squares_and_product_jacobian(&x32);
    assert_eq!(value, squares_and_product(&x32));
    // The last row is the product's gradient: x_j ↦ Π_{k≠j} x_k.
    assert_eq!(rows[3].x, vec![-1.0, 3.0, -0.75]);
}

// ---------------------------------------------------------------- a method

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Projectile {
    speed: f64,
    angle: f64,
}

#[differentiate]
impl Projectile {
    #[differentiate]
    fn position(&self, t: f64) -> [f64; 2] {
        let g = 9.81;
        let mut out = [0.0; 2];
        out[0] = self.speed * self.angle.cos() * t;
        out[1] = self.speed * self.angle.sin() * t - 0.5 * g * t * t;
        out
    }
}

#[test]
fn method_rows_hold_the_gradient_of_self() {
    let p = Projectile {
        speed: 12.0,
        angle: 0.7,
    };
    let t = 0.9;
    let (value, rows): ([f64; 2], Vec<ProjectilePositionGrad>) = p.position_jacobian(t);
    assert_eq!(value, p.position(t));
    check_rows(&rows, &[p.speed, p.angle, t], |q| {
        let p = Projectile {
            speed: q[0],
            angle: q[1],
        };
        p.position(q[2]).to_vec()
    });
    // ∂x/∂speed = cos(angle)·t.
    assert!((rows[0].self_.speed - p.angle.cos() * t).abs() < 1e-15);
}

// ---------------------------------------------------------------- wrt(..) and data

#[differentiate(wrt(x))]
fn scaled_powers(x: &[f64], a: f64, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for i in 0..x.len() {
        out[i] = a * x[i].powi(n as i32);
    }
    out
}

#[test]
fn wrt_restricts_each_row_to_the_named_parameters() {
    let x = [0.5, 1.5];
    let (value, rows) = scaled_powers_jacobian(&x, 2.0, 3);
    assert_eq!(value, scaled_powers(&x, 2.0, 3));
    // Each row is a `ScaledPowersGrad { x }`: the struct has no field for `a` or `n`.
    let ScaledPowersGrad { x: first } = &rows[0];
    assert_eq!(first.len(), 2);
    check_rows(&rows, &x, |p| scaled_powers(p, 2.0, 3));
}

// ---------------------------------------------------------------- parameter structs

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Affine {
    w: [f64; 2],
    b: f64,
}

#[differentiate]
fn affine_features(p: &Affine, x: f64) -> [f64; 3] {
    let z = p.w[0] * x + p.w[1] * x * x + p.b;
    let mut out = [0.0; 3];
    out[0] = z;
    out[1] = z.sin();
    out[2] = z * x;
    out
}

#[test]
fn parameter_struct_rows() {
    let p = Affine {
        w: [0.4, -0.3],
        b: 0.2,
    };
    let x = 1.3;
    let (value, rows) = affine_features_jacobian(&p, x);
    assert_eq!(value, affine_features(&p, x));
    check_rows(&rows, &[p.w[0], p.w[1], p.b, x], |q| {
        let p = Affine {
            w: [q[0], q[1]],
            b: q[2],
        };
        affine_features(&p, q[3]).to_vec()
    });
}

// ---------------------------------------------------------------- an alias of an output type

type Point = [f64; 2];

#[differentiate]
fn on_circle(theta: f64) -> Point {
    let mut out = [0.0; 2];
    out[0] = theta.cos();
    out[1] = theta.sin();
    out
}

#[test]
fn an_alias_of_a_vector_output_has_a_jacobian_through_the_runtime_trait() {
    let (value, rows) = on_circle_jacobian(0.3);
    assert_eq!(value, on_circle(0.3));
    assert_eq!(rows[0].theta, -(0.3_f64.sin()));
    assert_eq!(rows[1].theta, 0.3_f64.cos());
}

// ---------------------------------------------------------------- gradient structs are parameters

#[test]
fn gradient_structs_implement_parameters() {
    let (_, mut grad) = layer_vjp(
        &DMatrix::from_element(2, 2, 1.0),
        &DVector::from_element(2, 0.5),
        &DVector::from_element(2, -1.0),
        DVector::from_element(2, 1.0),
    );
    assert_eq!(grad.len(), 4 + 2 + 2);
    let before = flat(&grad);
    let other = grad.clone();
    grad.add_scaled(-0.5, &other);
    let after = flat(&grad);
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(*a, 0.5 * b);
    }
    // The order is the fields' (declaration) order, each in storage order.
    let mut read = LayerGrad {
        w: DMatrix::zeros(2, 2),
        b: DVector::zeros(2),
        x: DVector::zeros(2),
    };
    read.read_from(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    assert_eq!(
        read.w,
        DMatrix::from_column_slice(2, 2, &[1.0, 2.0, 3.0, 4.0])
    );
    assert_eq!(read.b.as_slice(), &[5.0, 6.0]);
    assert_eq!(read.x.as_slice(), &[7.0, 8.0]);
}

// ---------------------------------------------------------------- nested outputs

#[differentiate]
fn corners(center: &Vector3<f64>, half: f64) -> [[f64; 3]; 2] {
    let mut out = [[0.0; 3]; 2];
    for k in 0..3 {
        out[0][k] = center[k] - half * half;
        out[1][k] = center[k] * half;
    }
    out
}

#[differentiate]
fn points(x: &[f64]) -> Vec<Vector3<f64>> {
    let mut out = vec![Vector3::zeros(); x.len()];
    for i in 0..x.len() {
        out[i] = Vector3::new(1.0, 2.0, 3.0) * x[i].sin();
    }
    out
}

#[test]
fn arrays_of_arrays_have_rows_element_by_element() {
    let center = Vector3::new(0.5, -1.0, 2.0);
    let (value, rows) = corners_jacobian(&center, 0.75);
    assert_eq!(value, corners(&center, 0.75));
    assert_eq!(rows.len(), 6);
    let mut point = flat(&center);
    point.push(0.75);
    check_rows(&rows, &point, |p| {
        let out = corners(&Vector3::from_column_slice(&p[..3]), p[3]);
        out.iter().flatten().copied().collect()
    });
}

#[test]
fn vecs_of_static_vectors_have_rows_element_by_element() {
    let x = [0.3, -1.1];
    let (value, rows) = points_jacobian(&x);
    assert_eq!(value, points(&x));
    check_rows(&rows, &x, |p| {
        points(p).iter().flat_map(|v| v.iter().copied()).collect()
    });
}

// ---------------------------------------------------------------- forward rows = reverse rows

#[differentiate]
fn affine3(a: &Vector3<f64>, b: SVector<f64, 3>, s: f64) -> SVector<f64, 3> {
    a * s + b * (s * s)
}

#[differentiate]
fn scaled_matrix(m: &DMatrix<f64>, s: f64) -> DMatrix<f64> {
    m * (s * s) - m * s
}

/// The rows by forward sweeps (one `f_jvp` per input scalar) and by reverse sweeps (one
/// `f_vjp` per output component) agree within `tolerance`, relative to
/// max(1, |entry|); `f_jacobian`'s rows are, bit for bit, those of the path with fewer
/// sweeps: forward when the inputs have fewer scalars than the output has components.
fn assert_forward_equals_reverse<S, O, G>(
    value: &O,
    mut zero: impl FnMut() -> G,
    vjp: impl FnMut(O) -> G,
    jvp: impl FnMut(&G) -> O,
    jacobian_rows: &[G],
    tolerance: f64,
) where
    S: tapeless::Real,
    O: JacobianOutput<Scalar = S>,
    G: Parameters<S>,
{
    let forward = forward_rows(value, &mut zero, jvp);
    let reverse = reverse_rows(value, vjp);
    assert_eq!(forward.len(), value.components());
    assert_eq!(reverse.len(), value.components());
    let flat_rows = |rows: &[G]| -> Vec<Vec<f64>> {
        rows.iter()
            .map(|row| {
                let mut out = vec![0.0; row.len()];
                row.write_to(&mut out);
                out
            })
            .collect()
    };
    let (forward, reverse) = (flat_rows(&forward), flat_rows(&reverse));
    for (i, (f, r)) in forward.iter().zip(&reverse).enumerate() {
        assert_eq!(f.len(), r.len());
        for (k, (a, b)) in f.iter().zip(r).enumerate() {
            assert!(
                (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0),
                "entry ({i}, {k}): forward {a:e}, reverse {b:e}"
            );
        }
    }
    let n = zero().len();
    let chosen = if n < value.components() {
        &forward
    } else {
        &reverse
    };
    assert_eq!(&flat_rows(jacobian_rows), chosen, "n = {n}");
}

#[test]
fn forward_rows_equal_reverse_rows_for_every_output_family() {
    // Array, n = 2 = m.
    let (value, rows) = polar_jacobian(1.7, 0.6);
    assert_forward_equals_reverse(
        &value,
        || PolarGrad { r: 0.0, theta: 0.0 },
        |seed| polar_vjp(1.7, 0.6, seed).1,
        |tangent| polar_jvp(1.7, 0.6, tangent).1,
        &rows,
        1e-12,
    );
    // Vec with a loop.
    let x = [0.5, -1.25, 2.0, 0.75];
    let (value, rows) = cumulative_sum_jacobian(&x);
    assert_forward_equals_reverse(
        &value,
        || CumulativeSumGrad { x: vec![0.0; 4] },
        |seed| cumulative_sum_vjp(&x, seed).1,
        |tangent| cumulative_sum_jvp(&x, tangent).1,
        &rows,
        1e-12,
    );
    // DVector, n = 11 > m = 3.
    let w = DMatrix::from_row_slice(3, 2, &[0.3, -0.8, 1.1, 0.4, -0.5, 0.9]);
    let b = DVector::from_vec(vec![0.1, -0.2, 0.05]);
    let xv = DVector::from_vec(vec![0.7, -1.3]);
    let (value, rows) = layer_jacobian(&w, &b, &xv);
    assert_forward_equals_reverse(
        &value,
        || LayerGrad {
            w: DMatrix::zeros(3, 2),
            b: DVector::zeros(3),
            x: DVector::zeros(2),
        },
        |seed| layer_vjp(&w, &b, &xv, seed).1,
        |tangent| layer_jvp(&w, &b, &xv, tangent).1,
        &rows,
        1e-12,
    );
    // SVector by value.
    let a = Vector3::new(0.5, -1.5, 2.0);
    let bs = SVector::<f64, 3>::new(1.25, 0.75, -0.5);
    let (value, rows) = affine3_jacobian(&a, bs, 1.5);
    assert_eq!(value, affine3(&a, bs, 1.5));
    assert_forward_equals_reverse(
        &value,
        || Affine3Grad {
            a: Vector3::zeros(),
            b: SVector::zeros(),
            s: 0.0,
        },
        |seed| affine3_vjp(&a, bs, 1.5, seed).1,
        |tangent| affine3_jvp(&a, bs, 1.5, tangent).1,
        &rows,
        1e-12,
    );
    // component_mul, and a transpose: n = 5 < m = 6 takes the forward path.
    let (value, rows) = weighted_jacobian(&a, bs, 1.5);
    assert_forward_equals_reverse(
        &value,
        || WeightedGrad {
            a: Vector3::zeros(),
            b: SVector::zeros(),
            s: 0.0,
        },
        |seed| weighted_vjp(&a, bs, 1.5, seed).1,
        |tangent| weighted_jvp(&a, bs, 1.5, tangent).1,
        &rows,
        1e-12,
    );
    let u = DVector::from_vec(vec![1.5, -0.5]);
    let v = DVector::from_vec(vec![2.0, 0.25, -1.0]);
    let (value, rows) = outer_jacobian(&u, &v);
    assert_forward_equals_reverse(
        &value,
        || OuterGrad {
            u: DVector::zeros(2),
            v: DVector::zeros(3),
        },
        |seed| outer_vjp(&u, &v, seed).1,
        |tangent| outer_jvp(&u, &v, tangent).1,
        &rows,
        1e-12,
    );
    // DMatrix, column-major.
    let m = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 0.25, 1.5, -0.75]);
    let (value, rows) = scaled_matrix_jacobian(&m, 0.8);
    assert_eq!(value, scaled_matrix(&m, 0.8));
    let mut point = flat(&m);
    point.push(0.8);
    check_rows(&rows, &point, |p| {
        let m = DMatrix::from_column_slice(2, 3, &p[..6]);
        scaled_matrix(&m, p[6]).as_slice().to_vec()
    });
    assert_forward_equals_reverse(
        &value,
        || ScaledMatrixGrad {
            m: DMatrix::zeros(2, 3),
            s: 0.0,
        },
        |seed| scaled_matrix_vjp(&m, 0.8, seed).1,
        |tangent| scaled_matrix_jvp(&m, 0.8, tangent).1,
        &rows,
        1e-12,
    );
}

#[test]
fn forward_rows_equal_reverse_rows_for_f32_generics_methods_wrt_and_structs() {
    // f32.
    let (value, rows) = rotate32_jacobian([0.8, -0.3], 0.4);
    assert_forward_equals_reverse(
        &value,
        || Rotate32Grad {
            x: [0.0; 2],
            angle: 0.0,
        },
        |seed| rotate32_vjp([0.8, -0.3], 0.4, seed).1,
        |tangent| rotate32_jvp([0.8, -0.3], 0.4, tangent).1,
        &rows,
        1e-6,
    );
    // Generic, n = 3 < m = 4: forward.
    let x = [1.5, -0.5, 2.0];
    let (value, rows) = squares_and_product_jacobian(&x);
    assert_forward_equals_reverse(
        &value,
        || SquaresAndProductGrad { x: vec![0.0; 3] },
        |seed| squares_and_product_vjp(&x, seed).1,
        |tangent| squares_and_product_jvp(&x, tangent).1,
        &rows,
        1e-12,
    );
    // A method.
    let p = Projectile {
        speed: 12.0,
        angle: 0.7,
    };
    let (value, rows) = p.position_jacobian(0.9);
    assert_forward_equals_reverse(
        &value,
        || ProjectilePositionGrad {
            self_: Projectile {
                speed: 0.0,
                angle: 0.0,
            },
            t: 0.0,
        },
        |seed| p.position_vjp(0.9, seed).1,
        |tangent| p.position_jvp(0.9, tangent).1,
        &rows,
        1e-12,
    );
    // wrt(x) with data.
    let x = [0.5, 1.5];
    let (value, rows) = scaled_powers_jacobian(&x, 2.0, 3);
    assert_forward_equals_reverse(
        &value,
        || ScaledPowersGrad { x: vec![0.0; 2] },
        |seed| scaled_powers_vjp(&x, 2.0, 3, seed).1,
        |tangent| scaled_powers_jvp(&x, 2.0, 3, tangent).1,
        &rows,
        1e-12,
    );
    // A parameter struct.
    let q = Affine {
        w: [0.4, -0.3],
        b: 0.2,
    };
    let (value, rows) = affine_features_jacobian(&q, 1.3);
    assert_forward_equals_reverse(
        &value,
        || AffineFeaturesGrad {
            p: Affine {
                w: [0.0; 2],
                b: 0.0,
            },
            x: 0.0,
        },
        |seed| affine_features_vjp(&q, 1.3, seed).1,
        |tangent| affine_features_jvp(&q, 1.3, tangent).1,
        &rows,
        1e-12,
    );
    // An alias, n = 1 < m = 2: forward.
    let (value, rows) = on_circle_jacobian(0.3);
    assert_forward_equals_reverse(
        &value,
        || OnCircleGrad { theta: 0.0 },
        |seed| on_circle_vjp(0.3, seed).1,
        |tangent| on_circle_jvp(0.3, tangent).1,
        &rows,
        1e-12,
    );
    // Nested outputs, forward.
    let center = Vector3::new(0.5, -1.0, 2.0);
    let (value, rows) = corners_jacobian(&center, 0.75);
    assert_forward_equals_reverse(
        &value,
        || CornersGrad {
            center: Vector3::zeros(),
            half: 0.0,
        },
        |seed| corners_vjp(&center, 0.75, seed).1,
        |tangent| corners_jvp(&center, 0.75, tangent).1,
        &rows,
        1e-12,
    );
}

// ---------------------------------------------------------------- hygiene and owned `self`

/// Parameters named like the generated code's locals and closures' parameters.
#[differentiate]
fn named_like_locals(seed: f64, tangent: &[f64], value: f64, rows: usize) -> Vec<f64> {
    let mut out = vec![0.0; tangent.len()];
    for i in 0..tangent.len() {
        out[i] = seed * tangent[i] + value * (rows as f64);
    }
    out
}

#[test]
fn parameters_named_like_the_generated_locals_stay_the_users() {
    let tangent = [0.5, -2.0, 1.5];
    let (value, rows) = named_like_locals_jacobian(1.25, &tangent, -0.5, 3);
    assert_eq!(value, named_like_locals(1.25, &tangent, -0.5, 3));
    // n = 5 ≥ m = 3: reverse sweeps; ∂out_i/∂seed = tangent_i, ∂/∂value = rows.
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.seed, tangent[i]);
        assert_eq!(row.value, 3.0);
    }
    check_rows(&rows, &[1.25, 0.5, -2.0, 1.5, -0.5], |p| {
        named_like_locals(p[0], &p[1..4], p[4], 3)
    });
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Arm {
    length: f64,
}

#[differentiate]
impl Arm {
    /// `self` by value: each sweep takes a clone.
    #[differentiate]
    fn tip(self, angle: f64) -> [f64; 2] {
        let mut out = [0.0; 2];
        out[0] = self.length * angle.cos();
        out[1] = self.length * angle.sin();
        out
    }
}

#[test]
fn a_method_taking_self_by_value() {
    let arm = Arm { length: 2.5 };
    let (value, rows) = arm.clone().tip_jacobian(0.4);
    assert_eq!(value, arm.clone().tip(0.4));
    check_rows(&rows, &[2.5, 0.4], |p| {
        Arm { length: p[0] }.tip(p[1]).to_vec()
    });
}

// ------------------------------------- one forward sweep shared by the rows' reverse sweeps

/// Straight-line code with a branch: `f_jacobian` runs the forward sweep once and the
/// reverse sweep once per component (each from zero adjoints).
#[differentiate]
#[allow(unused_assignments)]
fn branchy(x: &[f64; 3], s: f64) -> [f64; 3] {
    let r2 = x[0] * x[0] + x[1] * x[1];
    let mut a = 0.0;
    if r2 > 1.0 {
        let r = r2.sqrt();
        a = x[2] * r.sin() / r;
    } else {
        a = x[2] * (1.0 - r2 / 6.0);
    }
    let mut out = [0.0; 3];
    out[0] = a * s;
    out[1] = x[0] / x[2] + a;
    out[2] = s * s * x[1];
    out
}

/// A `Vec` output (shape known only from the value) of straight-line code.
#[differentiate]
#[allow(clippy::let_and_return)]
fn pair_vec(a: f64, b: f64) -> Vec<f64> {
    let v = vec![a * b.exp(), a / b, b * b];
    v
}

#[test]
fn shared_forward_sweep_rows_are_the_vjps_of_the_unit_seeds() {
    for (x, s) in [([1.5, -0.5, 2.0], 0.75), ([0.25, 0.5, -1.25], -2.0)] {
        let (value, rows) = branchy_jacobian(&x, s);
        assert_eq!(value, branchy(&x, s));
        for (i, row) in rows.iter().enumerate() {
            let mut seed = [0.0; 3];
            seed[i] = 1.0;
            assert_eq!(*row, branchy_vjp(&x, s, seed).1, "row {i}");
        }
        check_rows(&rows, &[x[0], x[1], x[2], s], |p| {
            branchy(&[p[0], p[1], p[2]], p[3]).to_vec()
        });
        // ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ between f_jvp and the rows.
        let v = BranchyGrad {
            x: [0.3, -1.1, 0.7],
            s: 0.9,
        };
        let w = [1.25, -0.5, 2.0];
        let (_, jv) = branchy_jvp(&x, s, &v);
        let left: f64 = jv.iter().zip(&w).map(|(a, b)| a * b).sum();
        let right: f64 = rows
            .iter()
            .zip(&w)
            .map(|(row, wi)| {
                wi * flat(row)
                    .iter()
                    .zip(flat(&v))
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
            })
            .sum();
        assert!(
            (left - right).abs() < 1e-12 * left.abs().max(1.0),
            "{left} vs {right}"
        );
    }
}

#[test]
fn shared_forward_sweep_with_a_vec_output() {
    let (a, b) = (1.5, 0.5);
    let (value, rows) = pair_vec_jacobian(a, b);
    assert_eq!(value, pair_vec(a, b));
    // ∂/∂(a, b): [e^b, a e^b], [1/b, −a/b²], [0, 2b].
    let expected = [
        [b.exp(), a * b.exp()],
        [1.0 / b, -a / (b * b)],
        [0.0, 2.0 * b],
    ];
    assert_eq!(rows.len(), 3);
    for (row, expected) in rows.iter().zip(expected) {
        assert!((row.a - expected[0]).abs() < 1e-14, "{row:?}");
        assert!((row.b - expected[1]).abs() < 1e-14, "{row:?}");
    }
    check_rows(&rows, &[a, b], |p| pair_vec(p[0], p[1]));
}

// ------------------------------------------- values saved in a branch, shared by the rows

// A rotation by θ = |r| (Rodrigues in the plane, as BA's residual writes it): `cos θ` and
// `sin θ` are computed in a branch, so the reverse sweep restores them; `f_jacobian` runs
// one forward sweep and one reverse sweep per row, which read them in place.
#[differentiate]
fn rotated(r: f64, p: &[f64; 2]) -> [f64; 2] {
    let sq = r * r;
    let mut c = 1.0;
    let mut s = r;
    if sq != 0.0 {
        let theta = sq.sqrt();
        c = theta.cos();
        s = theta.sin() * r / theta;
    }
    let mut out = [0.0; 2];
    out[0] = c * p[0] - s * p[1];
    out[1] = s * p[0] + c * p[1];
    out
}

#[test]
fn rows_share_the_values_a_branch_saved() {
    for r in [0.7, -0.4, 0.0] {
        let p = [0.3, -1.2];
        let (value, rows) = rotated_jacobian(r, &p);
        assert_eq!(value, rotated(r, &p));
        // Each row again by its own reverse sweep.
        for (i, row) in rows.iter().enumerate() {
            let mut seed = [0.0; 2];
            seed[i] = 1.0;
            let (_, alone) = rotated_vjp(r, &p, seed);
            assert_eq!((row.r, row.p), (alone.r, alone.p), "r = {r}, row {i}");
        }
        if r != 0.0 {
            let x = [r, p[0], p[1]];
            check_rows(&rows, &x, |q| rotated(q[0], &[q[1], q[2]]).to_vec());
        }
    }
}

//! Adversarial QA of first contributions (`rules::First`): adjoints of vectors, matrices and
//! values of non-`Copy` kind declared by `mul_vjp_*_first`, `component_mul_vjp_*_first` and
//! the activations' `*_vjp_first`. Each function is checked against central differences
//! (value bit for bit, VJP linear in its seed) through `probe!`, or against closed forms,
//! the dot-product identity (f_jvp vs f_vjp), and differences of the gradient (Hessians).

// Written as users write it: `let r = ..; r`, a `&Vec<DVector<f64>>` parameter.
#![allow(
    clippy::needless_range_loop,
    clippy::eq_op,
    clippy::op_ref,
    clippy::let_and_return,
    clippy::ptr_arg
)]

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

use nalgebra::{
    DMatrix, DVector, Matrix2, Matrix2x3, Matrix3, RealField, RowDVector, SMatrix, Vector2, Vector3,
};
use probe::Flat;
use tapeless::check::central_difference;
use tapeless::{differentiate, nn};

impl Flat for Matrix2<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}
impl Flat for Matrix3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}
impl Flat for Matrix2x3<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}
impl Flat for SMatrix<f64, 3, 2> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}
impl Flat for RowDVector<f64> {
    fn flat(&self, out: &mut Vec<f64>) {
        out.extend(self.iter().copied());
    }
}

const P: [f64; 12] = [
    0.4, -0.7, 1.1, 0.3, 0.9, -0.5, 0.2, 0.6, -0.1, 0.35, -0.45, 0.8,
];

fn dm(r: usize, c: usize, p: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(r, c, &p[..r * c])
}
fn dv(p: &[f64]) -> DVector<f64> {
    DVector::from_column_slice(p)
}

// ---------------------------------------------------------------------------------------
// The same value on both sides.

/// `w ∘ w` of an intermediate used nowhere else.
#[differentiate]
fn cm_self(v: &DVector<f64>) -> f64 {
    let w = v.map(|e| e.sin() + 0.5);
    let s = w.component_mul(&w);
    s.sum()
}

/// `&b * &b` of an intermediate square matrix.
#[differentiate]
fn mm_self(a: &DMatrix<f64>) -> f64 {
    let b = a.map(|e| e * 1.5 - 0.1);
    let c = &b * &b;
    c.sum()
}

/// `&b * b.transpose()` and `b.transpose() * &b`.
#[differentiate]
fn gram(a: &DMatrix<f64>) -> f64 {
    let b = a.map(|e| e.cos());
    let c = &b * b.transpose();
    let d = b.transpose() * &b;
    c.sum() + d.norm_squared()
}

/// The parameter itself on both sides: `v ∘ v`, `a·a` of parameters.
#[differentiate]
fn params_self(a: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let s = v.component_mul(v);
    let c = a * a;
    let y = &c * v;
    s.sum() + y.sum()
}

/// `(b·b)·b`: three uses of b, the first met a product.
#[differentiate]
fn cube(a: &DMatrix<f64>) -> f64 {
    let b = a * 0.7;
    let b2 = &b * &b;
    let b3 = &b2 * &b;
    b3.sum() + b2.sum()
}

// ---------------------------------------------------------------------------------------
// Several uses; the first the reverse sweep meets is a product or activation.

#[differentiate]
fn several_uses(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = w * x;
    let a = h.sum();
    let n = h.norm();
    let s = nn::sigmoid(&h);
    let g = s.component_mul(&h);
    let z = w.transpose() * &g;
    a + n + z.norm_squared()
}

/// The activation is the last use of `h`, earlier ones a product and a component product.
#[differentiate]
fn activation_last(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = w * x;
    let p = w.transpose() * &h;
    let q = h.component_mul(&h);
    let r = nn::relu(&h);
    let t = nn::tanh(&h);
    p.sum() + q.sum() + r.sum() + t.sum()
}

/// `x.tanh()` of a scalar call result (an owned value of unknown kind) used twice.
#[differentiate]
fn scalar_sq(x: f64) -> f64 {
    x * x + 0.3
}

#[differentiate]
fn call_result_scalar(x: f64, a: &DMatrix<f64>) -> f64 {
    let s = scalar_sq(x);
    let t = s.tanh();
    let m = a * s;
    let u = s * t;
    m.sum() + u + t
}

// ---------------------------------------------------------------------------------------
// Loops.

/// Loop-carried `h = tanh(w·h)`.
#[differentiate]
fn rnn(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..n {
        h = nn::tanh(&(w * &h));
    }
    h.sum()
}

/// `a` made before the loop, its only uses products inside the loop.
#[differentiate]
fn outside_value_in_loop(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let a = w * 2.0;
    let mut s = 0.0;
    for i in 0..n {
        let y = &a * x;
        s += y[i % 2] * y[0];
    }
    s
}

/// The same in a `while` loop, with an activation of a value made before it.
#[differentiate]
fn outside_value_in_while(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let a = w.map(|e| e * 0.5);
    let h = &a * x;
    let mut s = 0.0;
    let mut i = 0;
    while i < n {
        let y = &a * x;
        let z = nn::sigmoid(&h);
        s += y.dot(&z) * (i as f64 + 1.0);
        i += 1;
    }
    s
}

/// A body value used by a product and a component product and a sum in the body, with
/// the carried value used both as a product operand and an activation input.
#[differentiate]
fn loop_body_mix(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    let mut acc = 0.0;
    for k in 0..n {
        let z = w * &h;
        let a = nn::sigmoid(&z);
        let g = a.component_mul(&z);
        acc += g.sum() + z.sum() * 0.1;
        h = nn::tanh(&h) + &g * (0.5 / (k as f64 + 1.0));
    }
    acc + h.norm_squared()
}

/// A loop that breaks early, with a matrix product in its body.
#[differentiate]
fn loop_with_break(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for k in 0..n {
        if k == 2 {
            break;
        }
        let z = w * &h;
        h = z.component_mul(&h);
    }
    h.sum()
}

/// A matrix (not vector) carried: `m = sigmoid(m·a)`.
#[differentiate]
fn matrix_carried(a: &DMatrix<f64>, m0: &DMatrix<f64>, n: usize) -> f64 {
    let mut m = m0.clone();
    for _ in 0..n {
        let p = &m * a;
        m = nn::sigmoid(&p);
    }
    m.sum()
}

/// A nested loop with a product in the inner body.
#[differentiate]
fn nested_loops(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..2 {
            let y = w * &h;
            s += y[j] * (i as f64 + 1.0);
        }
        h = w * &h * 0.5;
    }
    s
}

// ---------------------------------------------------------------------------------------
// Branches.

/// `h`'s only uses are in the branches: its adjoint's first contribution is in a branch.
#[differentiate]
fn branch_only_uses(w: &DMatrix<f64>, x: &DVector<f64>, flag: bool) -> f64 {
    let h = w * x;
    let r = if flag {
        h.component_mul(&h).sum()
    } else {
        nn::sigmoid(&h).sum()
    };
    r
}

/// One branch uses `h` by a product, the other not at all.
#[differentiate]
fn branch_one_side(w: &DMatrix<f64>, x: &DVector<f64>, flag: bool) -> f64 {
    let h = w.map(|e| e * e);
    let r = if flag { (&h * x).sum() } else { x.sum() };
    r
}

/// `match` arms, each a different first rule.
#[differentiate]
fn match_arms(w: &DMatrix<f64>, x: &DVector<f64>, k: usize) -> f64 {
    let h = w * x;
    let r = match k {
        0 => nn::relu(&h).sum(),
        1 => (w.transpose() * &h).sum(),
        2 => nn::tanh(&h).dot(&h),
        _ => h.component_mul(&h.map(|e| e + 1.0)).sum(),
    };
    r
}

/// Branches inside a loop.
#[differentiate]
fn branch_in_loop(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for k in 0..n {
        let z = w * &h;
        if k % 2 == 0 {
            h = nn::tanh(&z);
        } else {
            h = z.component_mul(&h);
        }
    }
    h.sum()
}

// ---------------------------------------------------------------------------------------
// Closures.

#[differentiate]
fn closure_product(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let layer = |v: &DVector<f64>| nn::tanh(&(w * v));
    let a = layer(x);
    let b = layer(&a);
    b.sum() + a.dot(&b)
}

#[differentiate]
fn map_closure(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = w * x;
    let s = h.map(|e| e * e * 0.5);
    let t = h.zip_map(&s, |a, b| a * b);
    let u = nn::sigmoid(&t);
    u.sum() + s.sum()
}

// ---------------------------------------------------------------------------------------
// Static and mixed dimensions, views, transposes.

#[differentiate]
fn statics(m: &Matrix2<f64>, v: &Vector2<f64>, r: &Matrix2x3<f64>, u: &Vector3<f64>) -> f64 {
    let a = m * v;
    let b = a.component_mul(&a);
    let c = r * u;
    let d = nn::sigmoid(&c);
    let e = m * m;
    let f = r.transpose() * &b;
    b.sum() + d.dot(&a) + e.sum() + f.norm_squared()
}

#[differentiate]
fn smatrix(m: &SMatrix<f64, 3, 2>, u: &Vector2<f64>) -> f64 {
    let y = m * u;
    let t = nn::tanh(&y);
    let z = m.transpose() * &t;
    let q = z.component_mul(u);
    q.sum() + t.sum()
}

/// A dynamic matrix times a `Vector3`, a `Matrix2x3` times a dynamic matrix.
#[differentiate]
fn mixed(d: &DMatrix<f64>, v: &Vector3<f64>, s: &Matrix2x3<f64>) -> f64 {
    let y = d * v;
    let z = s * d.transpose();
    let t = nn::relu(&y);
    let w = z * &y;
    t.sum() + w.norm_squared()
}

/// A `Vector3` intermediate times a dynamic matrix (the adjoint `Vector3`, the other side
/// dynamic).
#[differentiate]
fn mixed_static_intermediate(d: &DMatrix<f64>, v: &Vector3<f64>) -> f64 {
    let u = v.map(|e| e.exp());
    let y = d * u;
    let z = u.component_mul(v);
    y.sum() + z.sum()
}

#[differentiate]
fn views(m: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let c = m.column(1);
    let p = m * c;
    let top = m.rows(0, 2);
    let q = top * x;
    let f = m.fixed_view::<2, 2>(1, 1);
    let g = f * f;
    let t = nn::tanh(&c);
    p.sum() + q.norm_squared() + g.sum() + t.sum()
}

/// A view variable whose first contribution is an activation, then a product.
#[differentiate]
fn view_activation_first(m: &DMatrix<f64>) -> f64 {
    let c = m.column(0);
    let u = &c * 2.0;
    let t = nn::sigmoid(&c);
    let w = c.component_mul(&c);
    t.sum() + u.sum() + w.sum()
}

#[differentiate]
fn rows_and_transposes(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let r = x.transpose();
    let s = &r * a;
    let q = &s * x;
    let o = x.transpose() * a * x;
    let ones = RowDVector::from_element(3, 1.0);
    let z = &ones * a.transpose();
    q[0] + o[0] + s.component_mul(&r).sum() + z.sum()
}

// ---------------------------------------------------------------------------------------
// Scalars and matrices.

#[differentiate]
fn scalar_times_matrix(m: &DMatrix<f64>, s: f64) -> f64 {
    let a = 2.0 * m;
    let b = &a * s;
    let c = s * &b;
    let n = m.norm();
    let d = n * &c;
    let e = &d * n;
    e.sum() + a.sum()
}

/// A matrix scaled by a generic scalar (an owned value).
#[differentiate]
fn generic_scalar_matrix<T: RealField + Copy>(m: &DMatrix<T>, s: T) -> T {
    let a = m * s;
    let t = s.tanh();
    let b = a.component_mul(m) * t;
    let c = s * t;
    b.sum() + c * s
}

/// Generic scalars used in a product on both sides.
#[differentiate]
fn generic_scalars<T: RealField + Copy>(x: T, y: T) -> T {
    let a = x * y;
    let b = a * a;
    let c = b.tanh();
    c * a + x * x
}

/// Generic matrices with every first rule.
#[differentiate]
fn generic_all<T: RealField + Copy + tapeless::Real>(w: &DMatrix<T>, x: &DVector<T>) -> T {
    let z = w * x;
    let h = nn::sigmoid(&z);
    let r = nn::relu(&z);
    let t = nn::tanh(&h);
    let g = h.component_mul(&h);
    let q = w.transpose() * &g;
    (q.sum() + r.sum()) * t.sum()
}

// ---------------------------------------------------------------------------------------
// f32.

#[differentiate]
fn in_f32(w: &DMatrix<f32>, x: &DVector<f32>) -> f32 {
    let z = w * x;
    let h = nn::tanh(&z);
    let g = h.component_mul(&z);
    (w.transpose() * g).sum()
}

// ---------------------------------------------------------------------------------------
// Calls, structs, methods.

#[differentiate]
fn layer(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x;
    nn::sigmoid(&z)
}

#[differentiate]
fn calls(w: &DMatrix<f64>, v: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let h = layer(w, x);
    let y = v * &h;
    let g = h.component_mul(&h);
    y.sum() + g.sum()
}

#[differentiate]
fn calls_in_loop(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..n {
        let a = layer(w, &h);
        h = w * &a;
    }
    h.sum()
}

/// A call result multiplied, used only by the product.
#[differentiate]
fn layer_matrix(w: &DMatrix<f64>, x: &DMatrix<f64>) -> DMatrix<f64> {
    let z = w * x;
    nn::tanh(&z)
}

#[differentiate]
fn call_matrix_result(w: &DMatrix<f64>, x: &DMatrix<f64>) -> f64 {
    let h = layer_matrix(w, x);
    let p = &h * h.transpose();
    let q = nn::relu(&layer_matrix(w, &h));
    p.sum() + q.sum()
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Net {
    w1: DMatrix<f64>,
    w2: DMatrix<f64>,
    b: DVector<f64>,
}

#[differentiate(wrt(p))]
fn net_loss(p: &Net, x: &DVector<f64>) -> f64 {
    let h = nn::sigmoid(&(&p.w1 * x + &p.b));
    let o = &p.w2 * &h;
    let g = o.component_mul(&o);
    let r = nn::tanh(&(p.w1.transpose() * &h));
    g.sum() + r.sum()
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Model {
    w: DMatrix<f64>,
    v: DVector<f64>,
}

#[differentiate]
impl Model {
    #[differentiate]
    fn forward(&self, x: &DVector<f64>) -> DVector<f64> {
        let z = &self.w * x;
        nn::relu(&z).component_mul(&self.v)
    }

    #[differentiate]
    fn loss(&self, x: &DVector<f64>) -> f64 {
        let y = self.forward(x);
        let q = &self.w * &y;
        let s = y.component_mul(&y);
        q.sum() + s.sum()
    }

    #[differentiate(wrt(self))]
    fn only_self(&self, x: &DVector<f64>) -> f64 {
        let z = &self.w * x;
        let t = nn::tanh(&z);
        let u = self.w.transpose() * &t;
        u.dot(x) + t.dot(&self.v)
    }
}

// ---------------------------------------------------------------------------------------
// Hessian, forward mode, Jacobians, vector seeds.

#[differentiate(hessian)]
fn hess(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    let z = nn::tanh(&y);
    let g = z.component_mul(&y);
    let s = nn::sigmoid(&g);
    let t = a.transpose() * &s;
    t.dot(x) + z.dot(&z)
}

#[differentiate(hessian)]
fn hess_static(m: &Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    let y = m * x;
    let z = y.component_mul(&y);
    let r = m * m;
    let t = nn::sigmoid(&z);
    t.sum() + r.sum() * x[0]
}

#[differentiate(hessian)]
fn hess_loop(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..n {
        h = nn::tanh(&(w * &h));
    }
    h.dot(&h)
}

#[differentiate]
fn vector_out(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let z = w * x;
    let h = nn::sigmoid(&z);
    let g = h.component_mul(&z);
    let r = nn::relu(&(w * &g.rows(0, 3).clone_owned()));
    w.transpose() * nn::tanh(&r) + g.rows(0, 3).clone_owned()
}

#[differentiate]
fn matrix_out(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let c = a * b;
    let d = nn::tanh(&c);
    let e = d.component_mul(&c);
    &e * e.transpose() + (a * 2.0) * b
}

// =======================================================================================
// Tests.

const W9: [f64; 9] = [0.4, -0.7, 1.1, 0.3, 0.9, -0.5, 0.2, 0.6, -0.1];
const X3: [f64; 3] = [0.2, -0.6, 0.8];

fn w9x3() -> Vec<f64> {
    [&W9[..], &X3[..]].concat()
}

#[test]
fn same_value_on_both_sides() {
    probe!(p => cm_self, cm_self_grad, cm_self_vjp, [&dv(p)], [v], X3);
    probe!(p => mm_self, mm_self_grad, mm_self_vjp, [&dm(3, 3, p)], [a], W9);
    probe!(p => gram, gram_grad, gram_vjp, [&dm(2, 3, p)], [a], P[..6]);
    probe!(p => params_self, params_self_grad, params_self_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, v], w9x3());
    probe!(p => cube, cube_grad, cube_vjp, [&dm(3, 3, p)], [a], W9);
}

#[test]
fn several_uses_first_met_is_a_rule() {
    probe!(p => several_uses, several_uses_grad, several_uses_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());
    probe!(p => activation_last, activation_last_grad, activation_last_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());
    probe!(p => call_result_scalar, call_result_scalar_grad, call_result_scalar_vjp,
        [p[0], &dm(2, 2, &p[1..])], [x, a], [0.3, 0.1, -0.2, 0.5, 0.7]);
}

#[test]
fn loops() {
    for n in [0, 1, 2, 4] {
        probe!(p => rnn, rnn_grad, rnn_vjp, [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
        probe!(p => outside_value_in_loop, outside_value_in_loop_grad, outside_value_in_loop_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
        probe!(p => outside_value_in_while, outside_value_in_while_grad, outside_value_in_while_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
        probe!(p => loop_body_mix, loop_body_mix_grad, loop_body_mix_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
        probe!(p => loop_with_break, loop_with_break_grad, loop_with_break_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
        probe!(p => matrix_carried, matrix_carried_grad, matrix_carried_vjp,
            [&dm(2, 2, &p[..4]), &dm(3, 2, &p[4..10]), n], [a, m0], P[..10]);
        probe!(p => nested_loops, nested_loops_grad, nested_loops_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
        probe!(p => branch_in_loop, branch_in_loop_grad, branch_in_loop_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
    }
}

#[test]
fn branches() {
    for flag in [true, false] {
        probe!(p => branch_only_uses, branch_only_uses_grad, branch_only_uses_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), flag], [w, x], w9x3());
        probe!(p => branch_one_side, branch_one_side_grad, branch_one_side_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), flag], [w, x], w9x3());
    }
    for k in 0..4 {
        probe!(p => match_arms, match_arms_grad, match_arms_vjp,
            [&dm(2, 3, &p[..6]), &dv(&p[6..9]), k], [w, x], P[..9]);
    }
}

#[test]
fn closures() {
    probe!(p => closure_product, closure_product_grad, closure_product_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());
    probe!(p => map_closure, map_closure_grad, map_closure_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());
}

#[test]
fn static_mixed_views_transposes() {
    probe!(p => statics, statics_grad, statics_vjp,
        [&Matrix2::from_column_slice(&p[..4]), &Vector2::new(p[4], p[5]),
         &Matrix2x3::from_column_slice(&p[6..12]), &Vector3::new(p[12], p[13], p[14])],
        [m, v, r, u], [&P[..], &X3[..]].concat());
    probe!(p => smatrix, smatrix_grad, smatrix_vjp,
        [&SMatrix::<f64, 3, 2>::from_column_slice(&p[..6]), &Vector2::new(p[6], p[7])],
        [m, u], P[..8]);
    probe!(p => mixed, mixed_grad, mixed_vjp,
        [&dm(4, 3, &p[..12]), &Vector3::new(p[12], p[13], p[14]), &Matrix2x3::from_column_slice(&p[15..21])],
        [d, v, s], [&P[..], &X3[..], &P[..6]].concat());
    probe!(p => mixed_static_intermediate, mixed_static_intermediate_grad, mixed_static_intermediate_vjp,
        [&dm(2, 3, &p[..6]), &Vector3::new(p[6], p[7], p[8])], [d, v], P[..9]);
    probe!(p => views, views_grad, views_vjp, [&dm(3, 3, &p[..9]), &dv(&p[9..])], [m, x], w9x3());
    probe!(p => view_activation_first, view_activation_first_grad, view_activation_first_vjp,
        [&dm(3, 2, p)], [m], P[..6]);
    probe!(p => rows_and_transposes, rows_and_transposes_grad, rows_and_transposes_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, x], w9x3());
}

#[test]
fn scalars_and_matrices() {
    probe!(p => scalar_times_matrix, scalar_times_matrix_grad, scalar_times_matrix_vjp,
        [&dm(2, 3, &p[..6]), p[6]], [m, s], P[..7]);
    probe!(p => generic_scalar_matrix, generic_scalar_matrix_grad, generic_scalar_matrix_vjp,
        [&dm(2, 3, &p[..6]), p[6]], [m, s], P[..7]);
    probe!(p => generic_scalars, generic_scalars_grad, generic_scalars_vjp, [p[0], p[1]], [x, y], [0.7, -0.4]);
    probe!(p => generic_all, generic_all_grad, generic_all_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());
}

#[test]
fn f32_matches_f64_closed_form() {
    let w = dm(3, 3, &W9);
    let x = dv(&X3);
    let w32 = w.map(|v| v as f32);
    let x32 = x.map(|v| v as f32);
    let (v32, g32) = in_f32_grad(&w32, &x32);
    // The same function in f64 through generic_all-like code, by central differences.
    let f64_value = |p: &[f64]| {
        let w = dm(3, 3, &p[..9]);
        let x = dv(&p[9..]);
        let z = &w * &x;
        let h = z.map(|v| v.tanh());
        let g = h.component_mul(&z);
        (w.transpose() * g).sum()
    };
    let fd = central_difference(f64_value, &w9x3());
    assert!((f64::from(v32) - f64_value(&w9x3())).abs() < 1e-5);
    let mut flat = Vec::new();
    for v in g32.w.iter().chain(g32.x.iter()) {
        flat.push(f64::from(*v));
    }
    for (a, b) in flat.iter().zip(&fd) {
        assert!(
            (a - b).abs() < 1e-4 * b.abs().max(1.0),
            "{flat:?} vs {fd:?}"
        );
    }
}

#[test]
fn calls_structs_methods() {
    probe!(p => calls, calls_grad, calls_vjp,
        [&dm(3, 3, &p[..9]), &dm(2, 3, &p[9..15]), &dv(&p[15..])], [w, v, x],
        [&W9[..], &P[..6], &X3[..]].concat());
    for n in [0, 1, 3] {
        probe!(p => calls_in_loop, calls_in_loop_grad, calls_in_loop_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
    }
    probe!(p => call_matrix_result, call_matrix_result_grad, call_matrix_result_vjp,
        [&dm(2, 2, &p[..4]), &dm(2, 3, &p[4..10])], [w, x], P[..10]);
}

fn net(p: &[f64]) -> Net {
    Net {
        w1: dm(3, 2, &p[..6]),
        w2: dm(2, 3, &p[6..12]),
        b: dv(&p[12..15]),
    }
}

fn net_flat(n: &Net) -> Vec<f64> {
    let mut out = Vec::new();
    n.w1.flat(&mut out);
    n.w2.flat(&mut out);
    n.b.flat(&mut out);
    out
}

fn model(p: &[f64]) -> Model {
    Model {
        w: dm(3, 3, &p[..9]),
        v: dv(&p[9..12]),
    }
}

fn model_flat(m: &Model) -> Vec<f64> {
    let mut out = Vec::new();
    m.w.flat(&mut out);
    m.v.flat(&mut out);
    out
}

fn fd_check(name: &str, g: &[f64], fd: &[f64]) {
    assert_eq!(g.len(), fd.len(), "{name}");
    for (i, (a, b)) in g.iter().zip(fd).enumerate() {
        let e = (a - b).abs() / a.abs().max(b.abs()).max(1.0);
        assert!(
            e < 1e-6,
            "{name}: component {i}: {a} vs finite differences {b}\n{g:?}\n{fd:?}"
        );
    }
}

#[test]
fn parameter_structs_and_methods() {
    let x = dv(&[0.3, -0.8]);
    let p0 = [&P[..], &X3[..]].concat();
    let (v, g) = net_loss_grad(&net(&p0), &x);
    assert_eq!(v.to_bits(), net_loss(&net(&p0), &x).to_bits());
    let fd = central_difference(|p| net_loss(&net(p), &x), &p0);
    fd_check("net_loss", &net_flat(&g.p), &fd);
    let (_, gs) = net_loss_vjp(&net(&p0), &x, -1.5);
    fd_check(
        "net_loss_vjp",
        &net_flat(&gs.p),
        &fd.iter().map(|v| -1.5 * v).collect::<Vec<_>>(),
    );

    let x = dv(&X3);
    let (v, g) = model(&P).loss_grad(&x);
    assert_eq!(v.to_bits(), model(&P).loss(&x).to_bits());
    let mut fd = central_difference(|p| model(p).loss(&x), &P);
    fd.extend(central_difference(|p| model(&P).loss(&dv(p)), &X3));
    let mut flat = model_flat(&g.self_);
    g.x.flat(&mut flat);
    fd_check("Model::loss", &flat, &fd);

    let (v, g) = model(&P).only_self_grad(&x);
    assert_eq!(v.to_bits(), model(&P).only_self(&x).to_bits());
    let fd = central_difference(|p| model(p).only_self(&x), &P);
    fd_check("Model::only_self", &model_flat(&g.self_), &fd);
}

fn hess_check(name: &str, x0: &[f64], grad: impl Fn(&[f64]) -> Vec<f64>, rows: Vec<Vec<f64>>) {
    let n = x0.len();
    assert_eq!(rows.len(), n, "{name}: rows");
    for i in 0..n {
        let h = 1e-5;
        let mut xp = x0.to_vec();
        let mut xm = x0.to_vec();
        xp[i] += h;
        xm[i] -= h;
        let gp = grad(&xp);
        let gm = grad(&xm);
        for j in 0..n {
            let fd = (gp[j] - gm[j]) / (2.0 * h);
            let a = rows[i][j];
            assert!(
                (a - fd).abs() < 1e-6 * a.abs().max(fd.abs()).max(1.0),
                "{name}: H[{i}][{j}] = {a}, differences of the gradient {fd}"
            );
        }
    }
}

#[test]
fn hessians() {
    let x0 = [&P[..6], &X3[..]].concat();
    let grad = |p: &[f64]| {
        let (_, g) = hess_grad(&dm(2, 3, &p[..6]), &dv(&p[6..]));
        let mut out = Vec::new();
        g.a.flat(&mut out);
        g.x.flat(&mut out);
        out
    };
    let (v, g, rows) = hess_hessian(&dm(2, 3, &x0[..6]), &dv(&x0[6..]));
    assert_eq!(
        v.to_bits(),
        hess(&dm(2, 3, &x0[..6]), &dv(&x0[6..])).to_bits()
    );
    let fd = central_difference(|p| hess(&dm(2, 3, &p[..6]), &dv(&p[6..])), &x0);
    let mut gf = Vec::new();
    g.a.flat(&mut gf);
    g.x.flat(&mut gf);
    fd_check("hess gradient", &gf, &fd);
    let rows: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            r.a.flat(&mut out);
            r.x.flat(&mut out);
            out
        })
        .collect();
    hess_check("hess", &x0, grad, rows);

    let x0 = P[..6].to_vec();
    let grad = |p: &[f64]| {
        let (_, g) = hess_static_grad(
            &Matrix2::from_column_slice(&p[..4]),
            &Vector2::new(p[4], p[5]),
        );
        let mut out = Vec::new();
        g.m.flat(&mut out);
        g.x.flat(&mut out);
        out
    };
    let (_, _, rows) = hess_static_hessian(
        &Matrix2::from_column_slice(&x0[..4]),
        &Vector2::new(x0[4], x0[5]),
    );
    let rows: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            r.m.flat(&mut out);
            r.x.flat(&mut out);
            out
        })
        .collect();
    hess_check("hess_static", &x0, grad, rows);

    for n in [0, 1, 3] {
        let x0 = w9x3();
        let grad = |p: &[f64]| {
            let (_, g) = hess_loop_grad(&dm(3, 3, &p[..9]), &dv(&p[9..]), n);
            let mut out = Vec::new();
            g.w.flat(&mut out);
            g.x.flat(&mut out);
            out
        };
        let (_, _, rows) = hess_loop_hessian(&dm(3, 3, &x0[..9]), &dv(&x0[9..]), n);
        let rows: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| {
                let mut out = Vec::new();
                r.w.flat(&mut out);
                r.x.flat(&mut out);
                out
            })
            .collect();
        hess_check("hess_loop", &x0, grad, rows);
        let fd = central_difference(|p| hess_loop(&dm(3, 3, &p[..9]), &dv(&p[9..]), n), &x0);
        let (_, g) = hess_loop_grad(&dm(3, 3, &x0[..9]), &dv(&x0[9..]), n);
        let mut gf = Vec::new();
        g.w.flat(&mut gf);
        g.x.flat(&mut gf);
        fd_check("hess_loop grad", &gf, &fd);
    }
}

#[test]
fn forward_mode_dot_product_identity_and_jacobians() {
    // vector_out: R^(3x3 + 3) -> R^3.
    let w = dm(3, 3, &W9);
    let x = dv(&X3);
    let tw = dm(3, 3, &[0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9]);
    let tx = dv(&[0.5, -0.25, 1.0]);
    let seed = dv(&[1.5, -0.5, 2.0]);
    let (y, jv) = vector_out_jvp(
        &w,
        &x,
        &VectorOutGrad {
            w: tw.clone(),
            x: tx.clone(),
        },
    );
    assert_eq!(y, vector_out(&w, &x));
    let (y2, jtw) = vector_out_vjp(&w, &x, seed.clone());
    assert_eq!(y2, y);
    let lhs = jv.dot(&seed);
    let rhs = jtw.w.dot(&tw) + jtw.x.dot(&tx);
    assert!(
        (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );
    // Against central differences of the function along the tangent.
    let h = 1e-6;
    let fp = vector_out(&(&w + &tw * h), &(&x + &tx * h));
    let fm = vector_out(&(&w - &tw * h), &(&x - &tx * h));
    let fd = (fp - fm) / (2.0 * h);
    assert!(
        (&fd - &jv).norm() < 1e-6 * fd.norm().max(1.0),
        "{fd} vs {jv}"
    );
    // Jacobian rows against vjp with unit seeds.
    let (yj, rows) = vector_out_jacobian(&w, &x);
    assert_eq!(yj, y);
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        let mut e = DVector::zeros(3);
        e[i] = 1.0;
        let (_, g) = vector_out_vjp(&w, &x, e);
        assert!(
            (&row.w - &g.w).norm() < 1e-12 && (&row.x - &g.x).norm() < 1e-12,
            "row {i}"
        );
    }

    // matrix_out: matrices in, matrix out.
    let a = dm(2, 3, &P[..6]);
    let b = dm(3, 2, &P[6..12]);
    let ta = dm(2, 3, &[0.3, -0.1, 0.2, 0.5, -0.4, 0.1]);
    let tb = dm(3, 2, &[-0.2, 0.6, 0.1, 0.3, 0.2, -0.7]);
    let s = dm(2, 2, &[1.0, -2.0, 0.5, 3.0]);
    let (y, jv) = matrix_out_jvp(
        &a,
        &b,
        &MatrixOutGrad {
            a: ta.clone(),
            b: tb.clone(),
        },
    );
    assert_eq!(y, matrix_out(&a, &b));
    let (_, jt) = matrix_out_vjp(&a, &b, s.clone());
    let lhs = jv.dot(&s);
    let rhs = jt.a.dot(&ta) + jt.b.dot(&tb);
    assert!(
        (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );
    let fp = matrix_out(&(&a + &ta * h), &(&b + &tb * h));
    let fm = matrix_out(&(&a - &ta * h), &(&b - &tb * h));
    let fd = (fp - fm) / (2.0 * h);
    assert!(
        (&fd - &jv).norm() < 1e-6 * fd.norm().max(1.0),
        "{fd} vs {jv}"
    );
    let (_, rows) = matrix_out_jacobian(&a, &b);
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        let mut e = DMatrix::zeros(2, 2);
        e[i] = 1.0;
        let (_, g) = matrix_out_vjp(&a, &b, e);
        assert!(
            (&row.a - &g.a).norm() < 1e-12 && (&row.b - &g.b).norm() < 1e-12,
            "row {i}"
        );
    }

    // Scalar functions' f_jvp against f_grad.
    let wf = dm(3, 3, &W9);
    let (v, g) = several_uses_grad(&wf, &x);
    let (vj, d) = several_uses_jvp(
        &wf,
        &x,
        &SeveralUsesGrad {
            w: tw.clone(),
            x: tx.clone(),
        },
    );
    assert_eq!(v.to_bits(), vj.to_bits());
    let expect = g.w.dot(&tw) + g.x.dot(&tx);
    assert!(
        (d - expect).abs() < 1e-12 * expect.abs().max(1.0),
        "{d} vs {expect}"
    );
    for n in [0, 1, 3] {
        let (v, g) = rnn_grad(&wf, &x, n);
        let (vj, d) = rnn_jvp(
            &wf,
            &x,
            n,
            &RnnGrad {
                w: tw.clone(),
                x: tx.clone(),
            },
        );
        assert_eq!(v.to_bits(), vj.to_bits());
        let expect = g.w.dot(&tw) + g.x.dot(&tx);
        assert!(
            (d - expect).abs() < 1e-12 * expect.abs().max(1.0),
            "{d} vs {expect}"
        );
    }
    let m2 = Matrix2::from_column_slice(&P[..4]);
    let (v, g) = statics_grad(
        &m2,
        &Vector2::new(0.3, 0.4),
        &Matrix2x3::from_column_slice(&P[4..10]),
        &Vector3::new(0.1, 0.2, 0.3),
    );
    let t = StaticsGrad {
        m: Matrix2::new(0.1, 0.2, 0.3, 0.4),
        v: Vector2::new(-0.5, 0.5),
        r: Matrix2x3::from_column_slice(&[0.1, -0.1, 0.2, -0.2, 0.3, -0.3]),
        u: Vector3::new(1.0, 0.0, -1.0),
    };
    let (vj, d) = statics_jvp(
        &m2,
        &Vector2::new(0.3, 0.4),
        &Matrix2x3::from_column_slice(&P[4..10]),
        &Vector3::new(0.1, 0.2, 0.3),
        &t,
    );
    assert_eq!(v.to_bits(), vj.to_bits());
    let expect = g.m.dot(&t.m) + g.v.dot(&t.v) + g.r.dot(&t.r) + g.u.dot(&t.u);
    assert!(
        (d - expect).abs() < 1e-12 * expect.abs().max(1.0),
        "{d} vs {expect}"
    );
}

// =======================================================================================
// Batch 2.

/// A vector written by index, then multiplied at two versions.
#[differentiate]
fn written_in_place_products(x: &DVector<f64>, a: &DMatrix<f64>) -> f64 {
    let mut m = DMatrix::zeros(2, 2);
    m[(0, 0)] = x[0] * x[1];
    m[(0, 1)] = x[2];
    let p1 = &m * &m;
    m[(1, 1)] = x[1].sin();
    m[(1, 0)] = x[0];
    let p2 = &m * a;
    let t = nn::tanh(&m);
    p1.sum() + p2.norm_squared() + t.sum()
}

/// A tuple destructured from a call, both parts multiplied together.
#[differentiate]
fn pair(a: &DMatrix<f64>) -> (DMatrix<f64>, DMatrix<f64>) {
    (a * 2.0, a.map(|e| e.sin()))
}

#[differentiate]
fn tuple_parts(a: &DMatrix<f64>) -> f64 {
    let (b, c) = pair(a);
    let d = &b * &c;
    let e = c.component_mul(&c);
    d.sum() + e.sum()
}

/// A Cholesky factor, a solve, each multiplied.
#[differentiate]
fn cholesky_products(a: &DMatrix<f64>, b: &DVector<f64>) -> f64 {
    let s = a * a.transpose() + DMatrix::identity(3, 3);
    let c = s.cholesky().unwrap();
    let l = c.l();
    let ll = &l * l.transpose();
    let x = c.solve(b);
    let y = &x * 2.0;
    let z = nn::sigmoid(&x);
    ll.sum() + y.dot(&z)
}

/// A view taken in a loop, its adjoint first from a product.
#[differentiate]
fn views_in_loop(m: &DMatrix<f64>, w: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        let c = m.column(j);
        let y = w * c;
        let q = c.component_mul(&c);
        s += y.sum() * q.sum();
    }
    s
}

/// `a ∘ aᵀ` and `v3 ∘ dvec` (dimensions of different kinds).
#[differentiate]
fn component_mixed(a: &DMatrix<f64>, v: &Vector3<f64>, d: &DVector<f64>) -> f64 {
    let b = a.map(|e| e + 0.1);
    let c = b.component_mul(&b.transpose());
    let e = v.map(|t| t * 1.5);
    let f = d.map(|t| t.exp());
    let g = e.component_mul(&f);
    let h = f.component_mul(&e);
    c.sum() + g.sum() + h.norm()
}

/// An activation inside a closure taking a reference, and the closure passed to `.map`.
#[differentiate]
fn closure_activation(x: &DVector<f64>, w: &DMatrix<f64>) -> f64 {
    let act = |v: &DVector<f64>| nn::sigmoid(v);
    let a = act(x);
    let b = act(&(w * &a));
    let s: f64 = (0..3).map(|i| (w * &b)[i] * x[i]).sum();
    a.dot(&b) + s
}

/// `from_fn` reading a product, then multiplied.
#[differentiate]
fn from_fn_product(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    let m = DMatrix::from_fn(3, 3, |i, j| y[i] * y[j]);
    let p = &m * &y;
    p.sum()
}

/// A `&f64` parameter and a generic `x.tanh()` of an owned scalar.
#[differentiate]
fn ref_scalar(x: &f64, m: &DMatrix<f64>) -> f64 {
    let t = x.tanh();
    let y = m * *x;
    let z = nn::sigmoid(*x);
    t * y.sum() + z
}

#[differentiate]
fn generic_tanh<T: RealField + Copy>(x: T, y: T) -> T {
    let a = x.tanh();
    let b = a * y;
    let c = b.tanh();
    c + a * x
}

/// A row vector through activations and products.
#[differentiate]
fn row_vectors(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let r = x.transpose();
    let s = nn::sigmoid(&r);
    let t = &s * a;
    let u = nn::tanh(&t);
    let v = u.component_mul(&s);
    (v * x)[0] + t.sum()
}

/// A normalized vector multiplied, a clone multiplied with the original.
#[differentiate]
fn normalized_and_clones(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let n = x.normalize();
    let p = a * &n;
    let b = a.clone();
    let c = &b * a;
    let d = a.clone_owned();
    let e = d.component_mul(a);
    p.sum() + c.sum() + e.sum()
}

/// `max_iterations` (stacks in place) with a carried matrix.
#[differentiate(max_iterations = 8)]
fn bounded_rnn(w: &DMatrix<f64>, x: &DVector<f64>, n: usize) -> f64 {
    let mut h = x.clone();
    for _ in 0..n {
        let z = w * &h;
        h = nn::tanh(&z).component_mul(&h);
    }
    h.sum()
}

/// A `while` loop that stops on a value, products inside.
#[differentiate]
fn while_on_value(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    let mut k = 0;
    while h.norm() < 5.0 && k < 10 {
        let z = w * &h;
        h = nn::relu(&z) + &h * 1.2;
        k += 1;
    }
    h.sum()
}

/// An early `return` inside a branch after a product.
#[differentiate]
fn early_return(w: &DMatrix<f64>, x: &DVector<f64>, stop: bool) -> f64 {
    let h = w * x;
    if stop {
        return nn::tanh(&h).sum();
    }
    let g = h.component_mul(&h);
    (w.transpose() * g).sum()
}

/// Scalar hessian (generic copy: scalars are owned values) with products and activations.
#[differentiate(hessian)]
fn hess_scalars(x: f64, y: f64) -> f64 {
    let a = x * y;
    let t = a.tanh();
    let s = nn::sigmoid(x);
    let r = nn::relu(y - 0.1);
    t * a + s * y + r * x
}

/// A Hessian nested inside a gradient.
#[differentiate(hessian)]
fn inner_energy(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let y = a * x;
    let t = nn::tanh(&y);
    t.component_mul(&y).sum()
}

#[differentiate(wrt(a, x))]
fn outer_of_gradient(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let (_, g) = inner_energy_grad(a, x);
    let z = a * &g.x;
    z.norm_squared() + g.a.sum()
}

/// A static-vector result with activations: f_jacobian, f_jvp, f_vjp.
#[differentiate]
fn static_out(m: &Matrix2<f64>, v: &Vector2<f64>) -> Vector2<f64> {
    let y = m * v;
    let t = nn::tanh(&y);
    let g = t.component_mul(&y);
    m.transpose() * g + nn::sigmoid(&(m * m * v))
}

/// Generic over the float with static matrices.
#[differentiate]
fn generic_static<T: RealField + Copy + tapeless::Real>(m: &Matrix2<T>, v: &Vector2<T>) -> T {
    let y = m * v;
    let g = y.component_mul(&y);
    let s = nn::sigmoid(&g);
    let mm = m * m;
    s.sum() + mm.sum()
}

#[test]
fn written_in_place_tuples_decompositions() {
    probe!(p => written_in_place_products, written_in_place_products_grad, written_in_place_products_vjp,
        [&dv(&p[..3]), &dm(2, 2, &p[3..7])], [x, a], P[..7]);
    probe!(p => tuple_parts, tuple_parts_grad, tuple_parts_vjp, [&dm(2, 2, p)], [a], P[..4]);
    probe!(p => cholesky_products, cholesky_products_grad, cholesky_products_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, b], w9x3());
}

#[test]
fn views_closures_rows() {
    probe!(p => views_in_loop, views_in_loop_grad, views_in_loop_vjp,
        [&dm(3, 2, &p[..6]), &dm(2, 3, &p[6..12])], [m, w], P);
    probe!(p => component_mixed, component_mixed_grad, component_mixed_vjp,
        [&dm(2, 2, &p[..4]), &Vector3::new(p[4], p[5], p[6]), &dv(&p[7..10])], [a, v, d], P[..10]);
    probe!(p => closure_activation, closure_activation_grad, closure_activation_vjp,
        [&dv(&p[9..]), &dm(3, 3, &p[..9])], [w, x], w9x3());
    probe!(p => from_fn_product, from_fn_product_grad, from_fn_product_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, x], w9x3());
    probe!(p => ref_scalar, ref_scalar_grad, ref_scalar_vjp, [&p[0], &dm(2, 2, &p[1..])], [x, m], P[..5]);
    probe!(p => generic_tanh, generic_tanh_grad, generic_tanh_vjp, [p[0], p[1]], [x, y], [0.3, -0.8]);
    probe!(p => row_vectors, row_vectors_grad, row_vectors_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, x], w9x3());
    probe!(p => normalized_and_clones, normalized_and_clones_grad, normalized_and_clones_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, x], w9x3());
}

#[test]
fn more_loops_and_exits() {
    for n in [0, 1, 3, 8] {
        probe!(p => bounded_rnn, bounded_rnn_grad, bounded_rnn_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), n], [w, x], w9x3());
    }
    probe!(p => while_on_value, while_on_value_grad, while_on_value_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());
    for stop in [true, false] {
        probe!(p => early_return, early_return_grad, early_return_vjp,
            [&dm(3, 3, &p[..9]), &dv(&p[9..]), stop], [w, x], w9x3());
    }
}

#[test]
fn hessians_2() {
    let x0 = [0.35, 0.7];
    let grad = |p: &[f64]| {
        let (_, g) = hess_scalars_grad(p[0], p[1]);
        vec![g.x, g.y]
    };
    let (v, _, rows) = hess_scalars_hessian(x0[0], x0[1]);
    assert_eq!(v.to_bits(), hess_scalars(x0[0], x0[1]).to_bits());
    let rows = rows.iter().map(|r| vec![r.x, r.y]).collect();
    hess_check("hess_scalars", &x0, grad, rows);
    let fd = central_difference(|p| hess_scalars(p[0], p[1]), &x0);
    fd_check("hess_scalars grad", &grad(&x0), &fd);

    probe!(p => outer_of_gradient, outer_of_gradient_grad, outer_of_gradient_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [a, x], w9x3());
}

#[test]
fn static_results_and_generic_static() {
    let m = Matrix2::from_column_slice(&P[..4]);
    let v = Vector2::new(0.3, -0.9);
    let tm = Matrix2::new(0.2, -0.1, 0.4, 0.3);
    let tv = Vector2::new(-0.5, 0.25);
    let s = Vector2::new(1.5, -2.0);
    let (y, jv) = static_out_jvp(&m, &v, &StaticOutGrad { m: tm, v: tv });
    assert_eq!(y, static_out(&m, &v));
    let (_, jt) = static_out_vjp(&m, &v, s);
    let lhs = jv.dot(&s);
    let rhs = jt.m.dot(&tm) + jt.v.dot(&tv);
    assert!(
        (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );
    let h = 1e-6;
    let fd = (static_out(&(m + tm * h), &(v + tv * h)) - static_out(&(m - tm * h), &(v - tv * h)))
        / (2.0 * h);
    assert!((fd - jv).norm() < 1e-6, "{fd} vs {jv}");
    let (_, rows) = static_out_jacobian(&m, &v);
    for (i, row) in rows.iter().enumerate() {
        let mut e = Vector2::zeros();
        e[i] = 1.0;
        let (_, g) = static_out_vjp(&m, &v, e);
        assert!(
            (row.m - g.m).norm() < 1e-12 && (row.v - g.v).norm() < 1e-12,
            "row {i}"
        );
    }
    probe!(p => generic_static, generic_static_grad, generic_static_vjp,
        [&Matrix2::from_column_slice(&p[..4]), &Vector2::new(p[4], p[5])], [m, v], P[..6]);
    let m32 = m.map(|e| e as f32);
    let v32 = v.map(|e| e as f32);
    let (a, g32) = generic_static_grad(&m32, &v32);
    let (b, g64) = generic_static_grad(&m, &v);
    assert!((f64::from(a) - b).abs() < 1e-5);
    for (p, q) in g32.m.iter().zip(g64.m.iter()) {
        assert!((f64::from(*p) - q).abs() < 1e-4);
    }
}

fn dot_identity<G>(name: &str, d_jvp: f64, g: &G, t: &G, inner: impl Fn(&G, &G) -> f64) {
    let expect = inner(g, t);
    assert!(
        (d_jvp - expect).abs() < 1e-12 * expect.abs().max(1.0),
        "{name}: f_jvp {d_jvp} vs <grad, tangent> {expect}"
    );
}

#[test]
fn forward_mode_on_views_mixed_and_loops() {
    let m = dm(3, 3, &W9);
    let x = dv(&X3);
    let tm = dm(3, 3, &[0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9]);
    let tx = dv(&[0.5, -0.25, 1.0]);
    let (v, g) = views_grad(&m, &x);
    let (vj, d) = views_jvp(
        &m,
        &x,
        &ViewsGrad {
            m: tm.clone(),
            x: tx.clone(),
        },
    );
    assert_eq!(v.to_bits(), vj.to_bits());
    dot_identity(
        "views",
        d,
        &g,
        &ViewsGrad {
            m: tm.clone(),
            x: tx.clone(),
        },
        |a, b| a.m.dot(&b.m) + a.x.dot(&b.x),
    );

    let m32 = dm(3, 2, &P[..6]);
    let t32 = dm(3, 2, &[0.3, 0.1, -0.2, 0.5, 0.4, -0.6]);
    let (_, g) = view_activation_first_grad(&m32);
    let (_, d) = view_activation_first_jvp(&m32, &ViewActivationFirstGrad { m: t32.clone() });
    dot_identity("view_activation_first", d, &g.m, &t32, |a, b| a.dot(b));

    for n in [0, 1, 3] {
        let (_, g) = loop_body_mix_grad(&m, &x, n);
        let (_, d) = loop_body_mix_jvp(
            &m,
            &x,
            n,
            &LoopBodyMixGrad {
                w: tm.clone(),
                x: tx.clone(),
            },
        );
        dot_identity(
            "loop_body_mix",
            d,
            &g,
            &LoopBodyMixGrad {
                w: tm.clone(),
                x: tx.clone(),
            },
            |a, b| a.w.dot(&b.w) + a.x.dot(&b.x),
        );
        let (_, g) = branch_in_loop_grad(&m, &x, n);
        let (_, d) = branch_in_loop_jvp(
            &m,
            &x,
            n,
            &BranchInLoopGrad {
                w: tm.clone(),
                x: tx.clone(),
            },
        );
        dot_identity(
            "branch_in_loop",
            d,
            &g,
            &BranchInLoopGrad {
                w: tm.clone(),
                x: tx.clone(),
            },
            |a, b| a.w.dot(&b.w) + a.x.dot(&b.x),
        );
    }
    let d43 = dm(4, 3, &P);
    let td = dm(4, 3, &[0.1; 12]);
    let v3 = Vector3::new(0.2, -0.3, 0.4);
    let s23 = Matrix2x3::from_column_slice(&P[..6]);
    let t = MixedGrad {
        d: td.clone(),
        v: Vector3::new(0.5, 0.5, -1.0),
        s: Matrix2x3::from_element(0.2),
    };
    let (_, g) = mixed_grad(&d43, &v3, &s23);
    let (_, d) = mixed_jvp(&d43, &v3, &s23, &t);
    dot_identity("mixed", d, &g, &t, |a, b| {
        a.d.dot(&b.d) + a.v.dot(&b.v) + a.s.dot(&b.s)
    });
    let sm = SMatrix::<f64, 3, 2>::from_column_slice(&P[..6]);
    let t = SmatrixGrad {
        m: SMatrix::<f64, 3, 2>::from_element(0.3),
        u: Vector2::new(1.0, -1.0),
    };
    let (_, g) = smatrix_grad(&sm, &Vector2::new(0.3, 0.4));
    let (_, d) = smatrix_jvp(&sm, &Vector2::new(0.3, 0.4), &t);
    dot_identity("smatrix", d, &g, &t, |a, b| a.m.dot(&b.m) + a.u.dot(&b.u));
    let (_, g) = row_vectors_grad(&m, &x);
    let t = RowVectorsGrad {
        a: tm.clone(),
        x: tx.clone(),
    };
    let (_, d) = row_vectors_jvp(&m, &x, &t);
    dot_identity("row_vectors", d, &g, &t, |a, b| {
        a.a.dot(&b.a) + a.x.dot(&b.x)
    });
    let (_, g) = hess_scalars_grad(0.3, 0.8);
    let (_, d) = hess_scalars_jvp(0.3, 0.8, &HessScalarsGrad { x: 1.5, y: -0.5 });
    dot_identity("hess_scalars", d, &(g.x, g.y), &(1.5, -0.5), |a, b| {
        a.0 * b.0 + a.1 * b.1
    });
}

// =======================================================================================
// Batch 3: slices and Vecs of vectors, products inside iterator closures and `from_fn`,
// empty shapes, a generic impl block.

#[differentiate(wrt(w, xs))]
fn slice_of_vectors(w: &DMatrix<f64>, xs: &[DVector<f64>]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let v = &xs[i];
        let y = w * v;
        let t = nn::tanh(v);
        s += y.dot(&t) + v.component_mul(v).sum();
    }
    s
}

#[differentiate]
fn vec_iter(w: &DMatrix<f64>, xs: &Vec<DVector<f64>>) -> f64 {
    let mut s = 0.0;
    for v in xs.iter() {
        let y = w * v;
        s += nn::sigmoid(&y).sum();
    }
    s
}

#[differentiate]
fn iter_map_product(w: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let s: f64 = (0..3)
        .map(|i| {
            let z = w * x;
            let t = nn::tanh(&z);
            t[i] * z[i]
        })
        .sum();
    let m = DMatrix::from_fn(3, 3, |i, j| (w * x)[i] * x[j]);
    s + (&m * x).sum()
}

#[differentiate]
fn empty_inner(a: &DMatrix<f64>, x: &DVector<f64>, b: &DMatrix<f64>) -> f64 {
    let h = a.map(|e| e * 2.0);
    let y = &h * x;
    let c = b.map(|e| e + 1.0);
    let z = &h * &c;
    let s = nn::sigmoid(&z);
    y.sum() + s.sum() + h.component_mul(&h).sum()
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Cell<T: RealField + Copy> {
    pub w: Matrix2<T>,
    pub u: Vector2<T>,
}

#[differentiate]
impl<T: RealField + Copy + tapeless::Real> Cell<T> {
    #[differentiate]
    fn run(&self, x: &Vector2<T>, n: usize) -> T {
        let mut h = *x;
        for _ in 0..n {
            let z = self.w * h;
            h = nn::tanh(&z).component_mul(&self.u) + h;
        }
        let q = self.w * self.w;
        h.sum() + q.sum()
    }
}

#[test]
fn slices_iterators_empty_generic_impl() {
    probe!(p => slice_of_vectors, slice_of_vectors_grad, slice_of_vectors_vjp,
        [&dm(2, 2, &p[..4]), &[dv(&p[4..6]), dv(&p[6..8])]], [w, xs], P[..8]);
    probe!(p => vec_iter, vec_iter_grad, vec_iter_vjp,
        [&dm(2, 2, &p[..4]), &vec![dv(&p[4..6]), dv(&p[6..8])]], [w, xs], P[..8]);
    probe!(p => iter_map_product, iter_map_product_grad, iter_map_product_vjp,
        [&dm(3, 3, &p[..9]), &dv(&p[9..])], [w, x], w9x3());

    let a = DMatrix::<f64>::zeros(2, 0);
    let x = DVector::<f64>::zeros(0);
    let b = DMatrix::<f64>::zeros(0, 3);
    let (v, g) = empty_inner_grad(&a, &x, &b);
    assert_eq!(v.to_bits(), empty_inner(&a, &x, &b).to_bits());
    assert_eq!(v, 6.0 * 0.5);
    assert_eq!(g.a.shape(), (2, 0));
    assert_eq!(g.x.len(), 0);
    assert_eq!(g.b.shape(), (0, 3));

    let cell: Cell<f64> = Cell {
        w: Matrix2::new(0.3, -0.2, 0.5, 0.1),
        u: Vector2::new(0.7, -0.4),
    };
    let x = Vector2::new(0.2, 0.9);
    let p0 = [0.3, 0.5, -0.2, 0.1, 0.7, -0.4, 0.2, 0.9];
    for n in [0, 1, 3] {
        let (v, g) = cell.run_grad(&x, n);
        assert_eq!(v.to_bits(), cell.run(&x, n).to_bits());
        let f = |p: &[f64]| {
            Cell {
                w: Matrix2::from_column_slice(&p[..4]),
                u: Vector2::new(p[4], p[5]),
            }
            .run(&Vector2::new(p[6], p[7]), n)
        };
        let fd = central_difference(f, &p0);
        let mut gv: Vec<f64> = g.self_.w.iter().copied().collect();
        gv.extend(g.self_.u.iter());
        gv.extend(g.x.iter());
        fd_check("Cell::run", &gv, &fd);
    }
}

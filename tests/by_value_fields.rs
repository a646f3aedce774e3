//! A parameter struct taken by value (`p: H`): its fields are read as copies, so a call
//! on a field (`p.a.f(s)`, `free_f(&p.a, s)`) borrows a value of the function, not of the
//! caller. In a loop or a branch the call's pullback must not outlive that copy (it is
//! split only where its arguments outlive the stack of pullbacks), and `&p.a` passes a
//! reference, as written. Found by an adversarial pass (rustc errors in generated code:
//! E0716 for the method, a regression of methods of fields being split; E0308 for the free
//! function). Also `to_vec()` of an array taken by value (a `Vec`, not a scalar). Oracle:
//! central differences.

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
pub struct U {
    w: f64,
}

#[differentiate]
impl U {
    #[differentiate]
    pub fn f(&self, x: f64) -> f64 {
        (self.w * x).sin()
    }
}

#[derive(tapeless::Differentiable, Clone)]
pub struct H {
    a: U,
    c: f64,
}

#[differentiate]
fn method_in_a_loop(p: H, x: f64) -> f64 {
    let mut s = x;
    for _ in 0..3 {
        s = p.a.f(s) * p.c;
    }
    s
}

#[differentiate]
fn method_in_a_branch(p: H, x: f64) -> f64 {
    if x > 0.0 {
        p.a.f(x) * p.c
    } else {
        p.a.f(-x)
    }
}

#[differentiate]
fn free_f(u: &U, x: f64) -> f64 {
    (u.w * x).sin()
}

#[differentiate]
fn free_call_in_a_loop(p: H, x: f64) -> f64 {
    let mut s = x;
    for _ in 0..3 {
        s = free_f(&p.a, s) * p.c;
    }
    s + free_f(&p.a, x)
}

/// At the top level: a field method, a free function of `&p.a`.
#[differentiate]
fn borrowed_scalar_field(p: H, x: f64) -> f64 {
    x * p.c + p.a.f(p.c) + free_f(&p.a, x)
}

#[differentiate]
fn array_to_vec(x: [f64; 3]) -> f64 {
    let v = x.to_vec();
    v[0] * v[1] + v[2].sin()
}

fn h(q: &[f64]) -> H {
    H {
        a: U { w: q[0] },
        c: q[1],
    }
}

#[test]
fn calls_on_fields_of_a_struct_taken_by_value() {
    type Plain = fn(H, f64) -> f64;
    type Grad = fn(H, f64) -> (f64, (f64, f64, f64));
    let cases: [(Plain, Grad); 4] = [
        (method_in_a_loop, |p, x| {
            let (v, g) = method_in_a_loop_grad(p, x);
            (v, (g.p.a.w, g.p.c, g.x))
        }),
        (method_in_a_branch, |p, x| {
            let (v, g) = method_in_a_branch_grad(p, x);
            (v, (g.p.a.w, g.p.c, g.x))
        }),
        (free_call_in_a_loop, |p, x| {
            let (v, g) = free_call_in_a_loop_grad(p, x);
            (v, (g.p.a.w, g.p.c, g.x))
        }),
        (borrowed_scalar_field, |p, x| {
            let (v, g) = borrowed_scalar_field_grad(p, x);
            (v, (g.p.a.w, g.p.c, g.x))
        }),
    ];
    for (k, (plain, grad)) in cases.iter().enumerate() {
        for point in [[0.7, 0.9, 0.3], [-1.2, 0.4, -0.8]] {
            let (value, (dw, dc, dx)) = grad(h(&point), point[2]);
            assert_eq!(value, plain(h(&point), point[2]), "case {k}");
            let f = |q: &[f64]| plain(h(q), q[2]);
            check_gradient(f, &point, &[dw, dc, dx], Tolerance::default())
                .unwrap_or_else(|e| panic!("case {k}: {e}"));
        }
    }
}

#[test]
fn to_vec_of_an_array_taken_by_value() {
    let x = [0.4, -1.3, 0.8];
    let (value, g) = array_to_vec_grad(x);
    assert_eq!(value, array_to_vec(x));
    let f = |q: &[f64]| array_to_vec([q[0], q[1], q[2]]);
    check_gradient(f, &x, &g.x, Tolerance::default()).unwrap();
}

/// A tuple struct's field: `p.0.f(x)` is a method of a field like `p.a.f(x)`.
#[derive(tapeless::Differentiable, Clone)]
pub struct Wrapped(U, f64);

#[differentiate]
fn tuple_struct_field(p: &Wrapped, x: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        s += p.0.f(x + k as f64) * p.1;
    }
    s
}

#[test]
fn a_method_of_a_tuple_struct_field() {
    let point = [0.6, -0.4, 0.9];
    let w = |q: &[f64]| Wrapped(U { w: q[0] }, q[1]);
    let (value, g) = tuple_struct_field_grad(&w(&point), point[2]);
    assert_eq!(value, tuple_struct_field(&w(&point), point[2]));
    let f = |q: &[f64]| tuple_struct_field(&w(q), q[2]);
    check_gradient(f, &point, &[g.p.0.w, g.p.1, g.x], Tolerance::default()).unwrap();
}

// A call's gradient as the first contribution to an argument's adjoint
// (`first_argument`): moved when its type is the adjoint's (a matrix, a vector), converted
// when it is not (a local array passed to a slice parameter gets a `Vec` back).

#[differentiate]
fn weighted(xs: &[f64], w: f64) -> f64 {
    xs.iter().map(|x| (w * x).sin()).sum()
}

#[differentiate]
fn array_into_slice_parameter(x: f64, y: f64) -> f64 {
    let a = [x * y, x + y, y.exp()];
    weighted(&a, 0.7) * x
}

#[differentiate]
fn row_norm(m: &nalgebra::DMatrix<f64>) -> f64 {
    (m * m.transpose()).trace()
}

#[differentiate]
fn matrix_into_a_call(a: &nalgebra::DMatrix<f64>, s: f64) -> f64 {
    let b = a * s;
    let c = b.map(|v| v.tanh());
    row_norm(&c) + row_norm(&b)
}

#[test]
fn call_gradients_as_first_contributions() {
    let (value, g) = array_into_slice_parameter_grad(0.4, -0.9);
    assert_eq!(value, array_into_slice_parameter(0.4, -0.9));
    let f = |q: &[f64]| array_into_slice_parameter(q[0], q[1]);
    check_gradient(f, &[0.4, -0.9], &[g.x, g.y], Tolerance::default()).unwrap();

    let a = nalgebra::DMatrix::from_fn(3, 2, |i, j| 0.3 * i as f64 - 0.4 * j as f64 + 0.1);
    let (value, g) = matrix_into_a_call_grad(&a, 1.3);
    assert_eq!(value, matrix_into_a_call(&a, 1.3));
    let mut point: Vec<f64> = a.iter().copied().collect();
    point.push(1.3);
    let mut grad: Vec<f64> = g.a.iter().copied().collect();
    grad.push(g.s);
    let f = |q: &[f64]| {
        let m = nalgebra::DMatrix::from_column_slice(3, 2, &q[..6]);
        matrix_into_a_call(&m, q[6])
    };
    check_gradient(f, &point, &grad, Tolerance::default()).unwrap();
}

/// An array of vectors taken by value, its elements read by reference (`xs[0]`: a view of
/// the function's own array): a pullback's closure takes them again from its copy of the
/// array instead of capturing a borrow of the function's local (E0515 before; found by an
/// adversarial pass). Called from a loop, through the pullback of a loop too.
#[differentiate]
fn array_of_vectors(w: &nalgebra::DMatrix<f64>, xs: [nalgebra::Vector3<f64>; 2]) -> f64 {
    let a = w * xs[0];
    a.sum() + xs[1].sum() * xs[0].norm()
}

#[differentiate(wrt(w))]
fn array_of_vectors_in_a_loop(w: &nalgebra::DMatrix<f64>, n: usize) -> f64 {
    let mut total = 0.0;
    for k in 0..n {
        let s = k as f64 + 1.0;
        let xs = [
            nalgebra::Vector3::new(s, 0.5, -0.25),
            nalgebra::Vector3::new(0.1, s, 2.0),
        ];
        total += array_of_vectors(w, xs).sin();
    }
    total
}

#[test]
fn elements_of_an_array_of_vectors_taken_by_value() {
    use nalgebra::{DMatrix, Vector3};
    let p = [
        0.4, -0.7, 1.1, 0.3, 0.9, -0.5, 0.2, 0.6, -0.1, 0.8, -0.3, 0.5,
    ];
    let args = |p: &[f64]| {
        (
            DMatrix::from_column_slice(2, 3, &p[..6]),
            [
                Vector3::from_column_slice(&p[6..9]),
                Vector3::from_column_slice(&p[9..]),
            ],
        )
    };
    let (w, xs) = args(&p);
    let (value, g) = array_of_vectors_grad(&w, xs);
    assert_eq!(value.to_bits(), array_of_vectors(&w, xs).to_bits());
    let mut analytic: Vec<f64> = g.w.iter().copied().collect();
    analytic.extend(g.xs.iter().flat_map(|v| v.iter().copied()));
    let f = |p: &[f64]| {
        let (w, xs) = args(p);
        array_of_vectors(&w, xs)
    };
    check_gradient(f, &p, &analytic, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    for n in [0, 1, 3] {
        let (value, g) = array_of_vectors_in_a_loop_grad(&w, n);
        assert_eq!(value.to_bits(), array_of_vectors_in_a_loop(&w, n).to_bits());
        let analytic: Vec<f64> = g.w.iter().copied().collect();
        let f = |p: &[f64]| array_of_vectors_in_a_loop(&DMatrix::from_column_slice(2, 3, p), n);
        check_gradient(f, &p[..6], &analytic, Tolerance::default())
            .unwrap_or_else(|e| panic!("n = {n}: {e}"));
    }
}

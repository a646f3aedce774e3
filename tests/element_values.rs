//! Elements of slices whose elements are read by reference (data enums, structs, rows,
//! vectors), used as values: passed by value to a differentiated function, bound by `let`,
//! compared, matched, and read as places (`&xs[i]`, `xs[i].w`, `xs[i].norm()`). An element
//! used as a value is a copy, as in the source (was `&Mode` where `Mode` was expected, a rustc
//! error inside the generated code: QA session 30).
// Elements read by index, as the point of the tests.
#![allow(clippy::needless_range_loop)]

use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;
use tapeless::nalgebra::DVector;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Single,
    Double,
}

#[differentiate(wrt(x))]
fn scaled(x: f64, mode: Mode) -> f64 {
    match mode {
        Mode::Single => x * x,
        Mode::Double => 2.0 * x * x,
    }
}

#[differentiate(wrt(x))]
fn passed_by_value(x: f64, modes: &[Mode]) -> f64 {
    scaled(x, modes[0]) + scaled(x, modes[1])
}

#[differentiate(wrt(x))]
fn bound_by_let(x: f64, modes: &[Mode]) -> f64 {
    let m = modes[1];
    scaled(x, m)
}

#[differentiate(wrt(x))]
fn compared_and_matched(x: f64, modes: &[Mode]) -> f64 {
    let a = if modes[1] == Mode::Double { 3.0 * x } else { x };
    let b = match modes[0] {
        Mode::Single => x,
        Mode::Double => 2.0 * x,
    };
    a + b
}

#[differentiate(wrt(x))]
fn in_a_loop(x: f64, modes: &[Mode]) -> f64 {
    let mut s = 0.0;
    for i in 0..modes.len() {
        s += scaled(x * i as f64, modes[i]);
    }
    s
}

#[test]
fn data_elements_passed_bound_compared_and_matched() {
    let modes = [Mode::Single, Mode::Double];
    let x = 1.5;
    // x² + 2x², 2x², 3x + x.
    assert_eq!(passed_by_value_grad(x, &modes).1.x, 6.0 * x);
    assert_eq!(bound_by_let_grad(x, &modes).1.x, 4.0 * x);
    assert_eq!(compared_and_matched_grad(x, &modes).1.x, 4.0);
    // (0·x)² + 2(1·x)².
    assert_eq!(in_a_loop_grad(x, &modes).1.x, 4.0 * x);
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Layer {
    pub w: f64,
    pub v: Vec<f64>,
}

// Fields of struct elements and the element by reference, in a loop and after it.
#[differentiate]
fn layers(ls: &[Layer], x: f64) -> f64 {
    let mut h = x;
    for i in 0..ls.len() {
        h = (ls[i].w * h + ls[i].v[0]).tanh();
    }
    let l = &ls[0];
    h + l.w + ls[1].v.iter().sum::<f64>()
}

#[differentiate]
fn sum_of(r: &[f64]) -> f64 {
    r.iter().sum()
}

// Rows and vectors by reference: bound, indexed twice, receivers, passed by reference.
#[differentiate]
fn rows_and_vectors(xs: &[Vec<f64>], vs: &[DVector<f64>]) -> f64 {
    let r = &xs[0];
    r[0] * xs[1][1] + vs[0].norm() + vs[1].dot(&vs[0]) + sum_of(&xs[1])
}

#[test]
fn struct_rows_and_vector_elements_as_places() {
    let ls = vec![
        Layer {
            w: 0.5,
            v: vec![0.1],
        },
        Layer {
            w: -0.3,
            v: vec![0.2, 0.3],
        },
    ];
    let (value, g) = layers_grad(&ls, 0.7);
    assert_eq!(value, layers(&ls, 0.7));
    let p = [0.5, 0.1, -0.3, 0.2, 0.3, 0.7];
    let f = |p: &[f64]| {
        let ls = vec![
            Layer {
                w: p[0],
                v: vec![p[1]],
            },
            Layer {
                w: p[2],
                v: vec![p[3], p[4]],
            },
        ];
        layers(&ls, p[5])
    };
    let analytic = [
        g.ls[0].w,
        g.ls[0].v[0],
        g.ls[1].w,
        g.ls[1].v[0],
        g.ls[1].v[1],
        g.x,
    ];
    check_gradient(f, &p, &analytic, Tolerance::default()).unwrap();

    let xs = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    let vs = vec![
        DVector::from_vec(vec![1.0, 2.0]),
        DVector::from_vec(vec![0.5, 0.25]),
    ];
    let (value, g) = rows_and_vectors_grad(&xs, &vs);
    assert_eq!(value, rows_and_vectors(&xs, &vs));
    assert_eq!(g.xs, vec![vec![4.0, 0.0], vec![1.0, 2.0]]);
    let n = 5f64.sqrt();
    assert_eq!(g.vs[1].as_slice(), &[1.0, 2.0]);
    let want = [1.0 / n + 0.5, 2.0 / n + 0.25];
    for (a, b) in g.vs[0].iter().zip(want) {
        assert!((a - b).abs() < 1e-15);
    }
}

// Containers that are fields of a parameter struct: their elements' type is not in the
// function's signature, so they are read by reference, and copied where used as values
// (was `Layer: Copy` / `cannot move out of index`, rustc errors inside the generated code:
// QA session 30).
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Unit {
    pub w: f64,
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Net {
    pub units: Vec<Unit>,
    pub vs: Vec<DVector<f64>>,
    pub rows: Vec<Vec<f64>>,
    pub scale: Vec<f64>,
}

#[differentiate]
fn net_loss(net: &Net, x: f64) -> f64 {
    let mut h = x;
    for unit in &net.units {
        h = (unit.w * h).tanh();
    }
    for i in 0..net.units.len() {
        h += net.units[i].w * net.scale[i];
    }
    let mut s = net.vs[0].norm() * h + net.units[0].w;
    for r in &net.rows {
        s += r[0] * r[1];
    }
    for &c in net.scale.iter() {
        s += c * c;
    }
    for c in &net.scale {
        s += c * x;
    }
    s + net.scale.iter().map(|c| c.exp()).sum::<f64>()
}

fn net_of(p: &[f64]) -> Net {
    Net {
        units: vec![Unit { w: p[0] }, Unit { w: p[1] }],
        vs: vec![DVector::from_vec(vec![p[2], p[3]])],
        rows: vec![vec![p[4], p[5]], vec![p[6], p[7]]],
        scale: vec![p[8], p[9]],
    }
}

#[test]
fn elements_of_containers_in_fields() {
    let p = [0.5, -0.3, 1.0, 2.0, 0.1, 0.2, 0.3, 0.4, 0.7, -0.6, 0.9];
    let net = net_of(&p);
    let (value, g) = net_loss_grad(&net, p[10]);
    assert_eq!(value, net_loss(&net, p[10]));
    let analytic = [
        g.net.units[0].w,
        g.net.units[1].w,
        g.net.vs[0][0],
        g.net.vs[0][1],
        g.net.rows[0][0],
        g.net.rows[0][1],
        g.net.rows[1][0],
        g.net.rows[1][1],
        g.net.scale[0],
        g.net.scale[1],
        g.x,
    ];
    check_gradient(
        |p| net_loss(&net_of(p), p[10]),
        &p,
        &analytic,
        Tolerance::default(),
    )
    .unwrap();
    // Closed forms of the parts that are linear: the rows' products.
    assert_eq!(g.net.rows[1], vec![p[7], p[6]]);
    // Forward mode by the dot-product test.
    let v = [0.2, -0.4, 0.1, 0.7, -0.3, 0.5, -0.6, 0.8, 0.25, -0.15, 0.35];
    let tangent = NetLossGrad {
        net: net_of(&v),
        x: v[10],
    };
    let (_, jvp) = net_loss_jvp(&net, p[10], &tangent);
    let dot: f64 = analytic.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!(
        (dot - jvp).abs() < 1e-12 * (1.0 + dot.abs()),
        "{dot} vs {jvp}"
    );
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Weights<T> {
    pub w: Vec<T>,
    pub units: Vec<Unit>,
}

#[differentiate]
fn generic_fields<T: num_traits::Float>(p: &Weights<T>, x: T) -> T {
    let mut s = T::zero();
    for i in 0..p.w.len() {
        s = s + p.w[i] * x + p.w[i].sin();
    }
    for w in &p.w {
        s = s + *w * *w;
    }
    s
}

#[test]
fn elements_of_generic_containers_in_fields() {
    let p = Weights {
        w: vec![0.5f64, -1.5],
        units: vec![],
    };
    let x = 0.25f64;
    let (value, g) = generic_fields_grad(&p, x);
    assert_eq!(value, generic_fields(&p, x));
    let want: Vec<f64> = p.w.iter().map(|w| x + w.cos() + 2.0 * w).collect();
    assert_eq!(g.p.w, want);
    assert_eq!(g.x, p.w.iter().sum::<f64>());
    let p32 = Weights {
        w: vec![0.5f32],
        units: vec![],
    };
    assert_eq!(
        generic_fields_grad(&p32, 2.0).1.p.w,
        vec![2.0 + 0.5f32.cos() + 1.0]
    );
}

// Methods of the user's own type called on elements of a slice or `Vec` of it: in a loop, by
// index, in a zip of an iterator chain (was "method `log_pdf` has no derivative rule": QA
// session 30).
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Gauss {
    pub mu: f64,
    pub log_sigma: f64,
}

#[differentiate]
impl Gauss {
    #[differentiate]
    pub fn log_pdf(&self, x: f64) -> f64 {
        let z = (x - self.mu) / self.log_sigma.exp();
        -0.5 * z * z - self.log_sigma
    }
}

#[differentiate]
fn methods_on_elements(gs: &[Gauss], more: Vec<Gauss>, weights: &[f64], x: f64) -> f64 {
    let mut s = 0.0;
    for g in gs {
        s += g.log_pdf(x);
    }
    s += gs[1].log_pdf(2.0 * x);
    let weighted: f64 = more
        .iter()
        .zip(weights)
        .map(|(g, w)| w * g.log_pdf(x))
        .sum();
    s + weighted
}

#[test]
fn methods_of_ones_own_type_on_elements() {
    let p = [0.1, -0.2, 1.5, 0.3, -0.7, 0.05, 0.4];
    let gauss = |p: &[f64], k: usize| Gauss {
        mu: p[2 * k],
        log_sigma: p[2 * k + 1],
    };
    let f = |p: &[f64]| {
        methods_on_elements(&[gauss(p, 0), gauss(p, 1)], vec![gauss(p, 2)], &[0.6], p[6])
    };
    let (value, g) = methods_on_elements_grad(
        &[gauss(&p, 0), gauss(&p, 1)],
        vec![gauss(&p, 2)],
        &[0.6],
        p[6],
    );
    assert_eq!(value, f(&p));
    let analytic = [
        g.gs[0].mu,
        g.gs[0].log_sigma,
        g.gs[1].mu,
        g.gs[1].log_sigma,
        g.more[0].mu,
        g.more[0].log_sigma,
        g.x,
    ];
    check_gradient(f, &p, &analytic, Tolerance::default()).unwrap();
}

//! `#[differentiate]` on methods: the `impl` block is marked, and so are the methods to
//! differentiate; the gradient of `self` is the field `self_`, of type `Self`.

use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone, Debug, PartialEq)]
pub struct Spring {
    k: f64,
    rest: f64,
}

#[differentiate]
impl Spring {
    pub fn new(k: f64, rest: f64) -> Self {
        Spring { k, rest }
    }

    /// E(x) = ½ k (x − rest)².
    #[differentiate]
    pub fn energy(&self, x: f64) -> f64 {
        let stretch = x - self.rest;
        0.5 * self.k * stretch * stretch
    }

    /// Only the position: `self` is left out.
    #[differentiate(wrt(x))]
    pub fn force(&self, x: f64) -> f64 {
        -self.k * (x - self.rest) + energy_of(self.k, x)
    }
}

#[differentiate]
fn energy_of(k: f64, x: f64) -> f64 {
    k * x.sin()
}

#[test]
fn method_gradients_include_self() {
    let s = Spring::new(3.0, 1.5);
    let x = 2.5;
    let (value, grad) = s.energy_grad(x);
    assert_eq!(value, s.energy(x));
    assert_eq!(grad.x, 3.0 * (x - 1.5));
    assert_eq!(grad.self_.k, 0.5 * (x - 1.5) * (x - 1.5));
    assert_eq!(grad.self_.rest, -3.0 * (x - 1.5));
    let _: SpringEnergyGrad = s.energy_vjp(x, 2.0).1;
}

#[test]
fn wrt_on_a_method() {
    let s = Spring::new(3.0, 1.5);
    let (value, grad) = s.force_grad(0.4);
    assert_eq!(value, s.force(0.4));
    assert_eq!(grad.x, -3.0 + 3.0 * 0.4f64.cos());
    // Only `x`: the struct has no `self_` field.
    let SpringForceGrad { x: _ } = grad;
}

/// `#[custom_vjp(rule)]` on a method of a marked block: the rule takes `&Self`, the other
/// parameters and the seed, and returns the gradient of `self` (a `Self`) and of the others.
#[derive(tapeless::Differentiable, Clone)]
pub struct Softplus {
    scale: f64,
}

#[differentiate]
impl Softplus {
    /// s·ln(1 + eˣ), computed stably; its derivative comes from `softplus_rule`.
    #[tapeless::custom_vjp(softplus_rule)]
    pub fn apply(&self, x: f64) -> f64 {
        let stable = if x > 30.0 { x } else { x.exp().ln_1p() };
        self.scale * stable
    }

    #[differentiate]
    pub fn loss(&self, x: f64) -> f64 {
        let y = self.apply(x * x);
        y * y
    }
}

fn softplus_rule(s: &Softplus, x: f64, seed: f64) -> (Softplus, f64) {
    let value = if x > 30.0 { x } else { x.exp().ln_1p() };
    let sigmoid = 1.0 / (1.0 + (-x).exp());
    (
        Softplus {
            scale: seed * value,
        },
        seed * s.scale * sigmoid,
    )
}

#[test]
fn custom_vjp_on_a_method() {
    let s = Softplus { scale: 1.5 };
    let (value, grad) = s.apply_grad(0.4);
    assert_eq!(value, s.apply(0.4));
    assert_eq!(grad.self_.scale, 0.4f64.exp().ln_1p());
    assert_eq!(grad.x, 1.5 / (1.0 + (-0.4f64).exp()));
    // Through a differentiated method calling it: L = (s·sp(x²))², against the closed form.
    for x in [0.3, -1.2, 2.0] {
        let (value, grad) = s.loss_grad(x);
        assert_eq!(value, s.loss(x));
        let sp = (x * x).exp().ln_1p();
        let sigma = 1.0 / (1.0 + (-(x * x)).exp());
        let y = 1.5 * sp;
        assert!((grad.x - 2.0 * y * 1.5 * sigma * 2.0 * x).abs() < 1e-12);
        assert!((grad.self_.scale - 2.0 * y * sp).abs() < 1e-12);
    }
}

/// `p.layer.forward(x)` and `self.layer.forward(x)`: a differentiated method of a field's
/// type, split in reverse mode (its pullback kept from `p.layer.__forward_pullback(x, ..)`;
/// inside another function's pullback, joint through `forward_vjp`) and called through its
/// forward entry point `__forward_jvp_arguments` in forward mode.
#[derive(tapeless::Differentiable, Clone)]
pub struct Dense {
    w: f64,
    b: f64,
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Net {
    hidden: Dense,
    out: Dense,
}

#[differentiate]
impl Dense {
    #[differentiate]
    pub fn forward(&self, x: f64) -> f64 {
        (self.w * x + self.b).tanh()
    }
}

#[differentiate]
impl Net {
    #[differentiate]
    pub fn predict(&self, x: f64) -> f64 {
        let h = self.hidden.forward(x);
        self.out.forward(h) + 0.5 * self.hidden.forward(2.0 * x)
    }
}

#[differentiate]
fn net_loss(p: &Net, x: f64, y: f64) -> f64 {
    let e = p.out.forward(p.hidden.forward(x)) - y;
    e * e
}

fn net(q: &[f64]) -> Net {
    Net {
        hidden: Dense { w: q[0], b: q[1] },
        out: Dense { w: q[2], b: q[3] },
    }
}

#[test]
fn methods_of_fields() {
    use tapeless::check::{check_gradient, Tolerance};
    let q = [0.7, -0.2, 1.3, 0.1];
    let flat = |g: &Net| [g.hidden.w, g.hidden.b, g.out.w, g.out.b];
    for x in [0.4, -1.1] {
        let (value, grad) = net_loss_grad(&net(&q), x, 0.3);
        assert_eq!(value, net_loss(&net(&q), x, 0.3));
        check_gradient(
            |p| net_loss(&net(p), x, 0.3),
            &q,
            &flat(&grad.p),
            Tolerance::default(),
        )
        .unwrap();
        let fd = |p: &[f64]| net_loss(&net(&q), p[0], 0.3);
        check_gradient(fd, &[x], &[grad.x], Tolerance::default()).unwrap();
        let (value, grad) = net(&q).predict_grad(x);
        assert_eq!(value, net(&q).predict(x));
        check_gradient(
            |p| net(p).predict(x),
            &q,
            &flat(&grad.self_),
            Tolerance::default(),
        )
        .unwrap();
        let fd = |p: &[f64]| net(&q).predict(p[0]);
        check_gradient(fd, &[x], &[grad.x], Tolerance::default()).unwrap();
    }
    // f_jvp (one forward sweep through the fields' methods) agrees with ⟨∇f, v⟩.
    let v = NetLossGrad {
        p: net(&[1.0, 0.5, -0.3, 2.0]),
        x: 0.7,
        y: 0.0,
    };
    let (_, grad) = net_loss_grad(&net(&q), 0.4, 0.3);
    let (_, d) = net_loss_jvp(&net(&q), 0.4, 0.3, &v);
    let expected = flat(&grad.p)
        .iter()
        .zip(flat(&v.p))
        .map(|(g, v)| g * v)
        .sum::<f64>()
        + grad.x * 0.7;
    assert!((d - expected).abs() < 1e-12);
}

/// A vector result through methods of fields: its `f_jvp` exists only as a forward sweep
/// (a non-scalar output has no reverse-sweep fallback). Dot-product test against `f_vjp`.
#[differentiate]
fn net_pair(p: &Net, x: f64) -> [f64; 2] {
    let h = p.hidden.forward(x);
    [p.out.forward(h), h * x]
}

#[test]
fn methods_of_fields_in_forward_mode_of_a_vector_result() {
    let q = [0.7, -0.2, 1.3, 0.1];
    let x = 0.4;
    let v = NetPairGrad {
        p: net(&[1.0, 0.5, -0.3, 2.0]),
        x: 0.7,
    };
    let (value, jv) = net_pair_jvp(&net(&q), x, &v);
    assert_eq!(value, net_pair(&net(&q), x));
    let w = [0.9, -1.7];
    let (_, g) = net_pair_vjp(&net(&q), x, w);
    let flat = |g: &Net| [g.hidden.w, g.hidden.b, g.out.w, g.out.b];
    let lhs = jv[0] * w[0] + jv[1] * w[1];
    let rhs = flat(&g.p)
        .iter()
        .zip(flat(&v.p))
        .map(|(a, b)| a * b)
        .sum::<f64>()
        + g.x * v.x;
    assert!(
        (lhs - rhs).abs() < 1e-12,
        "⟨Jv, w⟩ = {lhs}, ⟨v, Jᵀw⟩ = {rhs}"
    );
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Counted {
    w: f64,
}

#[differentiate]
impl Counted {
    #[differentiate]
    pub fn forward(&self, x: f64) -> f64 {
        (self.w * x).sin()
    }
}

#[derive(tapeless::Differentiable, Clone)]
pub struct Stack {
    first: Counted,
    second: Counted,
}

/// Field methods in a loop (their pullbacks on stacks), in a branch and at the top level.
#[differentiate]
fn stacked_loss(p: &Stack, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs {
        let h = p.first.forward(*x);
        if h > 0.0 {
            s += p.second.forward(h) * h;
        } else {
            s -= h;
        }
    }
    s + p.second.forward(s)
}

/// Through a caller: inside `stacked_loss`'s pullback the field methods are joint.
#[differentiate]
fn twice_stacked(p: &Stack, xs: &[f64]) -> f64 {
    stacked_loss(p, xs) * stacked_loss(p, xs)
}

#[test]
fn methods_of_fields_split_in_loops_and_branches() {
    use tapeless::check::{check_gradient, Tolerance};
    let xs = [0.4, -0.9, 1.3, 0.2, -0.1];
    let stack = |q: &[f64]| Stack {
        first: Counted { w: q[0] },
        second: Counted { w: q[1] },
    };
    let q = [0.8, -1.1];
    let (value, g) = stacked_loss_grad(&stack(&q), &xs);
    assert_eq!(value, stacked_loss(&stack(&q), &xs));
    check_gradient(
        |p| stacked_loss(&stack(p), &xs),
        &q,
        &[g.p.first.w, g.p.second.w],
        Tolerance::default(),
    )
    .unwrap();
    check_gradient(
        |p| stacked_loss(&stack(&q), p),
        &xs,
        &g.xs,
        Tolerance::default(),
    )
    .unwrap();
    let (value2, g2) = twice_stacked_grad(&stack(&q), &xs);
    assert_eq!(value2, value * value);
    assert!((g2.p.first.w - 2.0 * value * g.p.first.w).abs() < 1e-12);
    assert!((g2.p.second.w - 2.0 * value * g.p.second.w).abs() < 1e-12);
}

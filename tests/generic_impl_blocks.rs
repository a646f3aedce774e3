//! Generic `impl` blocks: `#[differentiate] impl<T: Float> Spring<T> { .. }` with marked
//! methods, as the num-traits and nalgebra worlds write them. The methods' gradients
//! (`self_` and the other parameters) against closed forms and central differences in `f64`
//! and `f32`, and `f_jvp` against ⟨v, ∇f⟩.

use nalgebra::{Matrix2, RealField, Vector2};
use num_traits::Float;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Spring<T> {
    pub k: T,
    pub rest: T,
}

#[differentiate]
impl<T: Float> Spring<T> {
    pub fn new(k: T, rest: T) -> Self {
        Spring { k, rest }
    }

    /// ½·k·(x − rest)².
    #[differentiate]
    pub fn energy(&self, x: T) -> T {
        let half = T::from(0.5).unwrap();
        let d = x - self.rest;
        half * self.k * d * d
    }

    /// The energies of several positions, through `self.energy(..)`.
    #[differentiate]
    pub fn total(&self, xs: &[T]) -> T {
        let mut s = T::zero();
        for &x in xs {
            s = s + self.energy(x);
        }
        s
    }
}

#[test]
fn spring_energy_in_f64_and_f32() {
    let s = Spring::new(2.0, 0.5);
    let (value, g) = s.energy_grad(1.25);
    assert_eq!(value, s.energy(1.25));
    // Closed form: ∂/∂k = d²/2, ∂/∂rest = −k·d, ∂/∂x = k·d with d = 0.75.
    assert!((g.self_.k - 0.28125).abs() < 1e-12);
    assert!((g.self_.rest + 1.5).abs() < 1e-12);
    assert!((g.x - 1.5).abs() < 1e-12);
    let tangent = SpringEnergyGrad {
        self_: Spring::new(0.3, -0.2),
        x: 0.7,
    };
    let (_, dy) = s.energy_jvp(1.25, &tangent);
    let expected = 0.3 * g.self_.k - 0.2 * g.self_.rest + 0.7 * g.x;
    assert!((dy - expected).abs() < 1e-12);

    let s32 = Spring::new(2.0f32, 0.5);
    let (value, g) = s32.energy_grad(1.25);
    assert_eq!(value, s32.energy(1.25));
    assert_eq!([g.self_.k, g.self_.rest, g.x], [0.28125, -1.5, 1.5]);
}

#[test]
fn spring_total_calls_a_method_of_the_block() {
    let xs = [0.1, 0.9, 1.7];
    let s = Spring::new(1.5, 0.4);
    let (value, g) = s.total_grad(&xs);
    assert_eq!(value, s.total(&xs));
    let point = [1.5, 0.4, 0.1, 0.9, 1.7];
    let numeric = central_difference(|p: &[f64]| Spring::new(p[0], p[1]).total(&p[2..]), &point);
    let analytic: Vec<f64> = [g.self_.k, g.self_.rest]
        .into_iter()
        .chain(g.xs.iter().copied())
        .collect();
    for (a, n) in analytic.iter().zip(&numeric) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {numeric:?}"
        );
    }
}

/// A dense layer generic over its float type, with nalgebra fields.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Layer<T: RealField + Copy> {
    pub w: Matrix2<T>,
    pub b: Vector2<T>,
}

#[differentiate]
impl<T> Layer<T>
where
    T: RealField + Copy,
{
    /// Σ tanh(W·x + b).
    #[differentiate]
    pub fn forward(&self, x: &Vector2<T>) -> T {
        let z = self.w * x + self.b;
        z.map(|v| v.tanh()).sum()
    }

    /// A loss over a batch of inputs.
    #[differentiate]
    pub fn loss(&self, batch: &[Vector2<T>], scale: T) -> T {
        let mut total = T::zero();
        for x in batch {
            total += self.forward(x);
        }
        total * scale
    }
}

#[test]
fn generic_layer_in_f64_and_f32() {
    let layer = Layer {
        w: Matrix2::new(0.5, -0.3, 0.8, 0.1),
        b: Vector2::new(0.2, -0.4),
    };
    let batch = vec![Vector2::new(0.3, -0.6), Vector2::new(1.1, 0.4)];
    let (value, g) = layer.loss_grad(&batch, 0.5);
    assert_eq!(value, layer.loss(&batch, 0.5));
    let point: Vec<f64> = layer
        .w
        .iter()
        .chain(layer.b.iter())
        .chain(batch.iter().flat_map(|x| x.iter()))
        .chain(&[0.5])
        .copied()
        .collect();
    let plain = |p: &[f64]| {
        let l = Layer {
            w: Matrix2::from_column_slice(&p[..4]),
            b: Vector2::new(p[4], p[5]),
        };
        let batch = [Vector2::new(p[6], p[7]), Vector2::new(p[8], p[9])];
        l.loss(&batch, p[10])
    };
    let numeric = central_difference(plain, &point);
    let analytic: Vec<f64> = g
        .self_
        .w
        .iter()
        .chain(g.self_.b.iter())
        .chain(g.batch.iter().flat_map(|x| x.iter()))
        .chain(&[g.scale])
        .copied()
        .collect();
    for (a, n) in analytic.iter().zip(&numeric) {
        assert!(
            (a - n).abs() < 1e-6 * (1.0 + n.abs()),
            "{analytic:?} vs {numeric:?}"
        );
    }
    let direction: Vec<f64> = (0..11).map(|i| (i as f64 * 0.6).cos()).collect();
    let tangent = LayerLossGrad {
        self_: Layer {
            w: Matrix2::from_column_slice(&direction[..4]),
            b: Vector2::new(direction[4], direction[5]),
        },
        batch: vec![
            Vector2::new(direction[6], direction[7]),
            Vector2::new(direction[8], direction[9]),
        ],
        scale: direction[10],
    };
    let (_, dy) = layer.loss_jvp(&batch, 0.5, &tangent);
    let expected: f64 = analytic.iter().zip(&direction).map(|(a, d)| a * d).sum();
    assert!((dy - expected).abs() < 1e-10 * (1.0 + expected.abs()));

    let layer32 = Layer {
        w: layer.w.map(|v| v as f32),
        b: layer.b.map(|v| v as f32),
    };
    let batch32: Vec<Vector2<f32>> = batch.iter().map(|x| x.map(|v| v as f32)).collect();
    let (_, g32) = layer32.loss_grad(&batch32, 0.5f32);
    let analytic32: Vec<f64> = g32
        .self_
        .w
        .iter()
        .chain(g32.self_.b.iter())
        .chain(g32.batch.iter().flat_map(|x| x.iter()))
        .chain(&[g32.scale])
        .map(|&v| v as f64)
        .collect();
    for (a, n) in analytic32.iter().zip(&numeric) {
        assert!((a - n).abs() < 2e-3 * (1.0 + n.abs()));
    }
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Poly<T> {
    pub c: Vec<T>,
}

#[differentiate]
impl<T: Float> Poly<T> {
    /// Horner's rule.
    #[differentiate]
    pub fn eval(&self, x: T) -> T {
        let mut acc = T::zero();
        for &c in self.c.iter().rev() {
            acc = acc * x + c;
        }
        acc
    }

    /// A vector result: its Jacobian.
    #[differentiate]
    pub fn values(&self, x: T) -> Vec<T> {
        let v = vec![self.eval(x), self.eval(x + T::one())];
        v
    }

    /// A method with a type parameter of its own beside the block's.
    #[differentiate(wrt(self))]
    pub fn scaled<U: Float>(&self, x: T, s: U) -> T {
        self.eval(x) * T::from(s).unwrap()
    }
}

#[test]
fn generic_block_with_jacobian_and_method_generics() {
    let p = Poly {
        c: vec![1.0, 2.0, 3.0],
    };
    let (value, rows) = p.values_jacobian(0.5);
    assert_eq!(value, p.values(0.5));
    // Closed form: ∂p(x)/∂c = (1, x, x²), ∂p(x)/∂x = c₁ + 2c₂x.
    for (row, x) in rows.iter().zip([0.5, 1.5]) {
        assert_eq!(row.self_.c, vec![1.0, x, x * x]);
        assert!((row.x - (2.0 + 6.0 * x)).abs() < 1e-12);
    }
    let (value, g) = p.scaled_grad(0.5, 2.0f32);
    assert_eq!(value, p.scaled(0.5, 2.0f32));
    assert_eq!(g.self_.c, vec![2.0, 1.0, 0.5]);
    let p32 = Poly {
        c: vec![1.0f32, 2.0, 3.0],
    };
    let (_, g) = p32.eval_grad(0.5);
    assert_eq!(g.self_.c, vec![1.0, 0.5, 0.25]);
    assert_eq!(g.x, 5.0);
}

/// `#[custom_vjp(rule)]` on a method of a generic block.
#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Softplus<T> {
    pub scale: T,
}

#[differentiate]
impl<T: Float> Softplus<T> {
    /// s·ln(1 + eˣ); its derivative comes from `softplus_rule`.
    #[tapeless::custom_vjp(softplus_rule)]
    pub fn apply(&self, x: T) -> T {
        self.scale * x.exp().ln_1p()
    }

    #[differentiate]
    pub fn loss(&self, x: T) -> T {
        let y = self.apply(x * x);
        y * y
    }
}

fn softplus_rule<T: Float>(s: &Softplus<T>, x: T, seed: T) -> (Softplus<T>, T) {
    let sigmoid = T::one() / (T::one() + (-x).exp());
    (
        Softplus {
            scale: seed * x.exp().ln_1p(),
        },
        seed * s.scale * sigmoid,
    )
}

#[test]
fn custom_rule_on_a_method_of_a_generic_block() {
    let s = Softplus { scale: 1.5 };
    for x in [0.3, -1.2, 2.0] {
        let (value, g) = s.loss_grad(x);
        assert_eq!(value, s.loss(x));
        // Closed form: L = (s·sp(x²))².
        let sp = (x * x).exp().ln_1p();
        let sigma = 1.0 / (1.0 + (-(x * x)).exp());
        let y = 1.5 * sp;
        assert!((g.x - 2.0 * y * 1.5 * sigma * 2.0 * x).abs() < 1e-12);
        assert!((g.self_.scale - 2.0 * y * sp).abs() < 1e-12);
    }
    let s32 = Softplus { scale: 1.5f32 };
    let (_, g) = s32.loss_grad(0.3f32);
    let sp = 0.09f64.exp().ln_1p();
    assert!((f64::from(g.self_.scale) - 2.0 * 1.5 * sp * sp).abs() < 1e-5);
}

/// A generic `#[custom_vjp]` function called by a generic differentiated function: its
/// forward mode goes through its gradient, which asks `T: Parameters<T>` of the caller too.
#[tapeless::custom_vjp(softplus_free_rule)]
fn softplus_free<T: Float>(x: T) -> T {
    x.exp().ln_1p()
}

fn softplus_free_rule<T: Float>(x: T, seed: T) -> T {
    seed / (T::one() + (-x).exp())
}

#[differentiate]
fn softplus_squared<T: Float>(x: T) -> T {
    let y = softplus_free(x * x);
    y * y
}

#[test]
fn generic_custom_rule_in_both_modes() {
    let x = 0.7;
    let sp = (x * x).exp().ln_1p();
    let sigma = 1.0 / (1.0 + (-(x * x)).exp());
    let expected = 2.0 * sp * sigma * 2.0 * x;
    let (value, g) = softplus_squared_grad(x);
    assert_eq!(value, softplus_squared(x));
    assert!((g.x - expected).abs() < 1e-12);
    let (_, dy) = softplus_squared_jvp(x, &SoftplusSquaredGrad { x: 0.5 });
    assert!((dy - 0.5 * expected).abs() < 1e-12);
    let (_, g) = softplus_squared_grad(0.7f32);
    assert!((f64::from(g.x) - expected).abs() < 1e-5);
}

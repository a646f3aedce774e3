//! Forward mode through methods that call other methods (`self.m(..)`): each method has a
//! hidden forward entry point for callers, `__m_jvp_arguments`, so a method's `f_jvp` is one
//! forward sweep whatever its output (before, a scalar output fell back to a reverse sweep
//! and other outputs had no `f_jvp`). Checked against central differences along the
//! tangent and against ⟨∇f, t⟩ from the reverse sweep.

use tapeless::check::central_difference;
use tapeless::differentiate;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * 1f64.max(a.abs()).max(b.abs())
}

#[derive(tapeless::Differentiable, Debug, Clone, PartialEq, Default)]
struct Chain {
    a: f64,
    b: [f64; 2],
}

#[differentiate]
impl Chain {
    #[differentiate]
    fn link(&self, x: f64) -> f64 {
        self.a * x * x + self.b[0] * x.sin() + self.b[1]
    }

    /// A vector output built from another method, in a loop.
    #[differentiate]
    fn profile(&self, xs: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; xs.len()];
        for i in 0..xs.len() {
            out[i] = self.link(xs[i]) * self.a;
        }
        out
    }

    /// Two levels of calls, in a branch.
    #[differentiate]
    fn energy(&self, xs: &[f64]) -> f64 {
        let p = self.profile(xs);
        let mut e = 0.0;
        for v in p.iter() {
            if *v > 0.0 {
                e += v * v;
            } else {
                e += self.link(*v);
            }
        }
        e
    }

    /// Differentiated with respect to `x` only: `self` passes no tangent.
    #[differentiate(wrt(x))]
    fn at(&self, x: f64) -> [f64; 2] {
        let mut out = [0.0; 2];
        out[0] = self.link(x);
        out[1] = self.link(2.0 * x) * x;
        out
    }
}

fn point(p: &[f64]) -> Chain {
    Chain {
        a: p[0],
        b: [p[1], p[2]],
    }
}

#[test]
fn a_vector_valued_method_calling_a_method_has_a_forward_sweep() {
    let c = Chain {
        a: 0.7,
        b: [0.3, -1.2],
    };
    let xs = [0.5, -0.4, 1.3, 0.2];
    let t = ChainProfileGrad {
        self_: Chain {
            a: 0.2,
            b: [-0.5, 1.0],
        },
        xs: vec![1.0, 0.3, -0.7, 0.25],
    };
    let (value, tangent) = c.profile_jvp(&xs, &t);
    assert_eq!(value, c.profile(&xs));
    let direction = [0.2, -0.5, 1.0, 1.0, 0.3, -0.7, 0.25];
    let base = [0.7, 0.3, -1.2, 0.5, -0.4, 1.3, 0.2];
    for (i, ti) in tangent.iter().enumerate() {
        let along = |h: &[f64]| {
            let p: Vec<f64> = base
                .iter()
                .zip(&direction)
                .map(|(b, d)| b + h[0] * d)
                .collect();
            point(&p).profile(&p[3..])[i]
        };
        let numeric = central_difference(along, &[0.0])[0];
        assert!(close(*ti, numeric, 1e-8), "output {i}: {ti} vs {numeric}");
    }
}

#[test]
fn a_scalar_method_through_two_levels_of_calls_agrees_with_its_gradient() {
    let c = Chain {
        a: 0.7,
        b: [0.3, -1.2],
    };
    let xs = [0.5, -0.4, 1.3, 0.2];
    let t = ChainEnergyGrad {
        self_: Chain {
            a: 0.2,
            b: [-0.5, 1.0],
        },
        xs: vec![1.0, 0.3, -0.7, 0.25],
    };
    let (value, derivative) = c.energy_jvp(&xs, &t);
    assert_eq!(value, c.energy(&xs));
    let (_, g) = c.energy_grad(&xs);
    let expected = g.self_.a * 0.2
        + g.self_.b[0] * -0.5
        + g.self_.b[1] * 1.0
        + g.xs.iter().zip(&t.xs).map(|(a, b)| a * b).sum::<f64>();
    assert!(
        close(derivative, expected, 1e-12),
        "{derivative} vs {expected}"
    );
}

#[test]
fn a_method_left_out_of_self_calls_methods_without_a_self_tangent() {
    let c = Chain {
        a: 0.7,
        b: [0.3, -1.2],
    };
    let (value, tangent) = c.at_jvp(0.9, &ChainAtGrad { x: 1.0 });
    assert_eq!(value, c.at(0.9));
    for (i, ti) in tangent.iter().enumerate() {
        let numeric = central_difference(|x| c.at(x[0])[i], &[0.9])[0];
        assert!(close(*ti, numeric, 1e-8), "output {i}");
    }
}

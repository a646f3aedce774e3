//! Calls without a derivative rule whose result only decides something that carries no
//! derivative: a branch condition (`if self.persistence() >= 1.0`), an index, a cast to an
//! integer. The call is made on the primal values and needs no rule (issue 12). Each
//! gradient against a closed form (or central differences) on both sides of the branch, in
//! `f64`, `f32` and a generic `impl<T: Float>` block, and `f_jvp` against ⟨v, ∇f⟩.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;

#[path = "support/close.rs"]
mod close;
use close::close;

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Pair {
    pub a: f64,
    pub b: f64,
}

#[differentiate]
impl Pair {
    /// a² + b·x, or the constant 10 when a + b ≥ 1 (decided by an unmarked method).
    #[differentiate]
    pub fn guarded(&self, x: f64) -> f64 {
        if self.total() >= 1.0 {
            return 10.0;
        }
        self.a * self.a + self.b * x
    }

    /// a·x² when the unmarked `Self::ratio(a, b)` is below 2, else b·x: the helper's
    /// result goes through a comparison and a `let`.
    #[differentiate]
    pub fn switched(&self, x: f64) -> f64 {
        let r = Self::ratio(self.a, self.b);
        let small = r < 2.0;
        if small {
            self.a * x * x
        } else {
            self.b * x
        }
    }

    /// Σ a·xᵢ over the xᵢ the unmarked `self.keeps(xᵢ)` keeps, inside a loop.
    #[differentiate]
    pub fn kept_sum(&self, xs: &[f64]) -> f64 {
        let mut s = 0.0;
        for &x in xs {
            if self.keeps(x) {
                s += self.a * x;
            }
        }
        s
    }

    /// The unmarked method's result as an index: table[k]·a where k comes from b.
    #[differentiate]
    pub fn bucketed(&self, table: &[f64]) -> f64 {
        let k = self.bucket(table.len());
        table[k] * self.a
    }

    pub fn total(&self) -> f64 {
        self.a + self.b
    }

    pub fn ratio(a: f64, b: f64) -> f64 {
        a / b
    }

    pub fn keeps(&self, x: f64) -> bool {
        x * self.b > 0.0
    }

    pub fn bucket(&self, n: usize) -> usize {
        ((self.b.abs() * 10.0) as usize).min(n - 1)
    }
}

fn pair(p: &[f64]) -> Pair {
    Pair { a: p[0], b: p[1] }
}

#[test]
fn a_method_in_a_branch_condition() {
    // Inside: a + b < 1, so a² + b·x.
    let (p, x) = (Pair { a: 0.3, b: 0.4 }, 1.5);
    let (v, g) = p.guarded_grad(x);
    assert_eq!(v, p.guarded(x));
    close(
        "inside",
        &[g.self_.a, g.self_.b, g.x],
        &[2.0 * 0.3, 1.5, 0.4],
        1e-14,
    );
    let t = PairGuardedGrad {
        self_: Pair { a: 0.2, b: -0.7 },
        x: 1.1,
    };
    let (v2, dv) = p.guarded_jvp(x, &t);
    assert_eq!(v2, v);
    close(
        "jvp",
        &[dv],
        &[0.2 * g.self_.a - 0.7 * g.self_.b + 1.1 * g.x],
        1e-14,
    );
    // Outside: the constant, whose gradient is zero.
    let q = Pair { a: 0.6, b: 0.5 };
    let (v, g) = q.guarded_grad(x);
    assert_eq!(v, 10.0);
    assert_eq!([g.self_.a, g.self_.b, g.x], [0.0, 0.0, 0.0]);
    let (_, dv) = q.guarded_jvp(x, &t);
    assert_eq!(dv, 0.0);
}

#[test]
fn an_associated_function_through_a_let_and_a_comparison() {
    let x = 0.7;
    // r = a/b = 0.5 < 2: a·x², gradient (x², 0, 2·a·x).
    let p = Pair { a: 0.5, b: 1.0 };
    let (v, g) = p.switched_grad(x);
    assert_eq!(v, p.switched(x));
    close(
        "small",
        &[g.self_.a, g.self_.b, g.x],
        &[x * x, 0.0, 2.0 * 0.5 * x],
        1e-14,
    );
    // r = 3: b·x, gradient (0, x, b).
    let q = Pair { a: 3.0, b: 1.0 };
    let (_, g) = q.switched_grad(x);
    close("large", &[g.self_.a, g.self_.b, g.x], &[0.0, x, 1.0], 1e-14);
    let t = PairSwitchedGrad {
        self_: Pair { a: -0.4, b: 0.9 },
        x: 0.3,
    };
    for s in [&p, &q] {
        let (_, g) = s.switched_grad(x);
        let (_, dv) = s.switched_jvp(x, &t);
        close(
            "jvp",
            &[dv],
            &[-0.4 * g.self_.a + 0.9 * g.self_.b + 0.3 * g.x],
            1e-14,
        );
    }
}

#[test]
fn a_method_in_a_condition_inside_a_loop() {
    let xs = [1.0, -2.0, 0.5, 3.0, -0.25];
    for p in [[0.7, 1.3], [0.7, -0.4]] {
        let s = pair(&p);
        let (v, g) = s.kept_sum_grad(&xs);
        assert_eq!(v, s.kept_sum(&xs));
        // ∂/∂a = Σ of the kept xᵢ (those with xᵢ·b > 0); ∂/∂xᵢ = a for those.
        let kept: Vec<bool> = xs.iter().map(|x| x * p[1] > 0.0).collect();
        let da: f64 = xs
            .iter()
            .zip(&kept)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x)
            .sum();
        let dxs: Vec<f64> = kept.iter().map(|&k| if k { p[0] } else { 0.0 }).collect();
        close("a, b", &[g.self_.a, g.self_.b], &[da, 0.0], 1e-14);
        close("xs", &g.xs, &dxs, 1e-14);
        let t = PairKeptSumGrad {
            self_: Pair { a: 0.5, b: 2.0 },
            xs: vec![0.1, 0.2, -0.3, 0.4, 0.5],
        };
        let (_, dv) = s.kept_sum_jvp(&xs, &t);
        let expected = 0.5 * da + t.xs.iter().zip(&dxs).map(|(a, b)| a * b).sum::<f64>();
        close("jvp", &[dv], &[expected], 1e-14);
    }
}

#[test]
fn a_method_giving_an_index() {
    let table = [1.0, 2.0, 4.0, 8.0, 16.0];
    let s = Pair { a: 0.75, b: 0.23 };
    let (v, g) = s.bucketed_grad(&table);
    assert_eq!(v, s.bucketed(&table));
    // k = 2: table[2]·a, so ∂/∂a = 4, ∂/∂b = 0, ∂/∂table[2] = a.
    close("self", &[g.self_.a, g.self_.b], &[4.0, 0.0], 1e-14);
    close("table", &g.table, &[0.0, 0.0, 0.75, 0.0, 0.0], 1e-14);
}

/// `libm::tgamma` has no rule; in a condition it needs none.
#[differentiate]
pub fn gamma_gate(x: f64) -> f64 {
    if libm::tgamma(x) > 2.0 {
        x * x
    } else {
        3.0 * x
    }
}

#[test]
fn a_libm_function_without_a_rule_in_a_condition() {
    // Γ(4) = 6 > 2: x²; Γ(2.5) ≈ 1.33: 3x.
    assert_eq!(gamma_gate_grad(4.0).1.x, 8.0);
    assert_eq!(gamma_gate_grad(2.5).1.x, 3.0);
    let f = |p: &[f64]| gamma_gate(p[0]);
    for x in [4.0, 2.5] {
        check_gradient(f, &[x], &[gamma_gate_grad(x).1.x], Tolerance::default()).unwrap();
        let (_, dv) = gamma_gate_jvp(x, &GammaGateGrad { x: 0.5 });
        assert_eq!(dv, 0.5 * gamma_gate_grad(x).1.x);
    }
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Garch32 {
    pub omega: f32,
    pub alpha: f32,
    pub beta: f32,
}

#[differentiate]
impl Garch32 {
    /// The corpus's GARCH(1,1) likelihood in `f32`.
    #[differentiate]
    pub fn nll(&self, returns: &[f32]) -> f32 {
        if self.persistence() >= 1.0 {
            return 1e10;
        }
        let mut var = self.omega / (1.0 - self.alpha - self.beta);
        let mut nll = 0.0;
        for &r in returns {
            nll += 0.5 * (var.ln() + r * r / var);
            var = self.omega + self.alpha * r * r + self.beta * var;
        }
        nll
    }

    pub fn persistence(&self) -> f32 {
        self.alpha + self.beta
    }
}

#[test]
fn garch_in_f32() {
    let returns = [1.0f32, -2.0, 1.5, -3.0, 0.5];
    let p = |x: &[f64]| Garch32 {
        omega: x[0] as f32,
        alpha: x[1] as f32,
        beta: x[2] as f32,
    };
    let x = [0.4, 0.1, 0.8];
    let (v, g) = p(&x).nll_grad(&returns);
    assert_eq!(v, p(&x).nll(&returns));
    // The same likelihood in f64, by central differences.
    let r64: Vec<f64> = returns.iter().map(|&r| r as f64).collect();
    let f = |x: &[f64]| {
        let mut var = x[0] / (1.0 - x[1] - x[2]);
        let mut nll = 0.0;
        for &r in &r64 {
            nll += 0.5 * (var.ln() + r * r / var);
            var = x[0] + x[1] * r * r + x[2] * var;
        }
        nll
    };
    let numeric = tapeless::check::central_difference(f, &x);
    let got = [
        g.self_.omega as f64,
        g.self_.alpha as f64,
        g.self_.beta as f64,
    ];
    close("f32 gradient", &got, &numeric, 1e-3);
    let (bad, gb) = p(&[0.4, 0.5, 0.6]).nll_grad(&returns);
    assert_eq!((bad, gb.self_.alpha), (1e10, 0.0));
}

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct Clip<T> {
    pub scale: T,
    pub limit: T,
}

#[differentiate]
impl<T: Float> Clip<T> {
    /// scale·x, or limit when |scale·x| passes it (decided by an unmarked generic method).
    #[differentiate]
    pub fn apply(&self, x: T) -> T {
        if self.exceeds(x) {
            self.limit
        } else {
            self.scale * x
        }
    }

    pub fn exceeds(&self, x: T) -> bool {
        (self.scale * x).abs() > self.limit
    }
}

#[test]
fn a_generic_impl_block() {
    let c = Clip {
        scale: 2.0,
        limit: 3.0,
    };
    // 2·1 = 2 < 3: scale·x, gradient (x, 0, scale).
    let (_, g) = c.apply_grad(1.0);
    close(
        "inside",
        &[g.self_.scale, g.self_.limit, g.x],
        &[1.0, 0.0, 2.0],
        0.0,
    );
    // 2·2 = 4 > 3: limit, gradient (0, 1, 0).
    let (_, g) = c.apply_grad(2.0);
    close(
        "outside",
        &[g.self_.scale, g.self_.limit, g.x],
        &[0.0, 1.0, 0.0],
        0.0,
    );
    let t = ClipApplyGrad {
        self_: Clip {
            scale: 0.5,
            limit: -1.0,
        },
        x: 0.25,
    };
    for x in [1.0, 2.0] {
        let (_, g) = c.apply_grad(x);
        let (_, dv) = c.apply_jvp(x, &t);
        close(
            "jvp",
            &[dv],
            &[0.5 * g.self_.scale - g.self_.limit + 0.25 * g.x],
            1e-15,
        );
    }
    let c32 = Clip {
        scale: 2.0f32,
        limit: 3.0,
    };
    let (_, g) = c32.apply_grad(1.0);
    assert_eq!([g.self_.scale, g.self_.limit, g.x], [1.0, 0.0, 2.0]);
    let (_, g) = c32.apply_grad(2.0);
    assert_eq!([g.self_.scale, g.self_.limit, g.x], [0.0, 1.0, 0.0]);
}

/// A free generic function whose condition calls an unmarked free generic function.
pub fn outside_band<T: Float>(x: T, lo: T) -> bool {
    x < lo
}

#[differentiate]
pub fn banded<T: Float>(x: T, lo: T) -> T {
    if outside_band(x, lo) {
        lo * lo
    } else {
        x * lo
    }
}

#[test]
fn a_free_generic_function_in_a_condition() {
    // Outside: lo², gradient (0, 2·lo); inside: x·lo, gradient (lo, x).
    let (_, g) = banded_grad(0.5, 1.0);
    close("outside", &[g.x, g.lo], &[0.0, 2.0], 0.0);
    let (_, g) = banded_grad(1.5, 1.0);
    close("inside", &[g.x, g.lo], &[1.0, 1.5], 0.0);
    let (_, g32) = banded_grad(1.5f32, 1.0);
    assert_eq!([g32.x, g32.lo], [1.0, 1.5]);
    let (_, dv) = banded_jvp(1.5, 1.0, &BandedGrad { x: 0.2, lo: -0.5 });
    close("jvp", &[dv], &[0.2 * 1.0 - 0.5 * 1.5], 1e-15);
}

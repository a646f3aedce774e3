//! `#[custom_vjp(rule, jvp = forward_rule)]`: a hand-written forward rule beside the
//! reverse one. `f_jvp` calls it (so a function with a non-scalar output has forward mode),
//! differentiated callers' forward sweeps go through it, and `f_jacobian` may use it. Each
//! is checked against central differences and, between the two rules, with the
//! dot-product test ⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩.

use tapeless::check::central_difference;
use tapeless::{custom_vjp, differentiate};

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * 1f64.max(a.abs()).max(b.abs())
}

// ---- a scalar function of two scalars ----

/// The hypotenuse through `f64::hypot` (no overflow), with both rules by hand.
#[custom_vjp(hyp_rule, jvp = hyp_forward)]
fn hyp(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

fn hyp_rule(x: f64, y: f64, seed: f64) -> (f64, f64) {
    let r = x.hypot(y);
    (seed * x / r, seed * y / r)
}

fn hyp_forward(x: f64, y: f64, dx: f64, dy: f64) -> f64 {
    (x * dx + y * dy) / x.hypot(y)
}

#[differentiate]
fn uses_hyp(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        s += hyp(x * k as f64 + 1.0, y) * x;
    }
    s
}

#[test]
fn a_scalar_forward_rule_is_f_jvp_and_its_callers_use_it() {
    let (value, derivative) = hyp_jvp(3.0, 4.0, &HypGrad { x: 1.0, y: 2.0 });
    assert_eq!(value, 5.0);
    assert!(close(derivative, (3.0 + 8.0) / 5.0, 1e-15));

    let (x, y) = (0.7, -1.3);
    let (tx, ty) = (0.4, 1.1);
    let (value, derivative) = uses_hyp_jvp(x, y, &UsesHypGrad { x: tx, y: ty });
    assert_eq!(value, uses_hyp(x, y));
    let numeric = central_difference(|p| uses_hyp(p[0], p[1]), &[x, y]);
    assert!(close(derivative, numeric[0] * tx + numeric[1] * ty, 1e-8));
    let (_, grad) = uses_hyp_grad(x, y);
    assert!(close(derivative, grad.x * tx + grad.y * ty, 1e-12));
}

// ---- a vector-valued function: forward mode only through its forward rule ----

/// Prefix sums scaled by `s`: out[i] = s · Σ_{j≤i} v[j].
#[custom_vjp(scaled_prefix_rule, jvp = scaled_prefix_forward)]
fn scaled_prefix(v: &[f64], s: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(v.len());
    let mut acc = 0.0;
    for x in v {
        acc += x;
        out.push(s * acc);
    }
    out
}

fn scaled_prefix_rule(v: &[f64], s: f64, seed: Vec<f64>) -> (Vec<f64>, f64) {
    let n = v.len();
    let mut dv = vec![0.0; n];
    let mut tail = 0.0;
    for i in (0..n).rev() {
        tail += seed[i];
        dv[i] = s * tail;
    }
    let mut acc = 0.0;
    let mut ds = 0.0;
    for i in 0..n {
        acc += v[i];
        ds += seed[i] * acc;
    }
    (dv, ds)
}

fn scaled_prefix_forward(v: &[f64], s: f64, dv: &[f64], ds: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(v.len());
    let (mut acc, mut dacc) = (0.0, 0.0);
    for (x, dx) in v.iter().zip(dv) {
        acc += x;
        dacc += dx;
        out.push(ds * acc + s * dacc);
    }
    out
}

#[differentiate]
fn prefix_energy(v: &[f64], s: f64) -> f64 {
    let p = scaled_prefix(v, s);
    let mut e = 0.0;
    for x in p.iter() {
        e += x.sin();
    }
    e
}

#[test]
fn a_vector_valued_forward_rule_gives_f_jvp_and_passes_the_dot_product_test() {
    let v = [0.3, -1.2, 0.8, 2.0];
    let s = 0.6;
    let dv = [1.0, 0.5, -0.25, 0.1];
    let ds = -0.7;
    let (value, tangent) = scaled_prefix_jvp(
        &v,
        s,
        &ScaledPrefixGrad {
            v: dv.to_vec(),
            s: ds,
        },
    );
    assert_eq!(value, scaled_prefix(&v, s));
    // J·v by central differences along (dv, ds), one output at a time.
    for (i, t) in tangent.iter().enumerate() {
        let along = |t: &[f64]| {
            let moved: Vec<f64> = v.iter().zip(&dv).map(|(x, d)| x + t[0] * d).collect();
            scaled_prefix(&moved, s + t[0] * ds)[i]
        };
        let numeric = central_difference(along, &[0.0])[0];
        assert!(close(*t, numeric, 1e-8), "output {i}");
    }
    // ⟨J·t, w⟩ = ⟨t, Jᵀ·w⟩ between the forward and the reverse rule.
    let w = vec![0.2, -0.9, 0.4, 1.3];
    let (_, back) = scaled_prefix_vjp(&v, s, w.clone());
    let lhs: f64 = tangent.iter().zip(&w).map(|(a, b)| a * b).sum();
    let rhs: f64 = back.v.iter().zip(&dv).map(|(a, b)| a * b).sum::<f64>() + back.s * ds;
    assert!(close(lhs, rhs, 1e-12), "{lhs} vs {rhs}");
}

#[test]
fn a_caller_of_a_vector_valued_custom_function_has_forward_mode() {
    let v = [0.3, -1.2, 0.8, 2.0];
    let s = 0.6;
    let dv = vec![1.0, 0.5, -0.25, 0.1];
    let ds = -0.7;
    let (value, derivative) = prefix_energy_jvp(
        &v,
        s,
        &PrefixEnergyGrad {
            v: dv.clone(),
            s: ds,
        },
    );
    assert_eq!(value, prefix_energy(&v, s));
    let (_, grad) = prefix_energy_grad(&v, s);
    let expected: f64 = grad.v.iter().zip(&dv).map(|(a, b)| a * b).sum::<f64>() + grad.s * ds;
    assert!(
        close(derivative, expected, 1e-12),
        "{derivative} vs {expected}"
    );
    let mut point = v.to_vec();
    point.push(s);
    let numeric = central_difference(|p| prefix_energy(&p[..4], p[4]), &point);
    let along: f64 = numeric[..4]
        .iter()
        .zip(&dv)
        .map(|(a, b)| a * b)
        .sum::<f64>()
        + numeric[4] * ds;
    assert!(close(derivative, along, 1e-8));
}

#[cfg(feature = "alloc")]
#[test]
fn the_jacobian_of_a_custom_function_agrees_in_both_directions() {
    // Two inputs' worth of scalars (n = 5) against four outputs: whichever direction
    // f_jacobian picks, each row must be the reverse rule's gradient of that output.
    let v = [0.3, -1.2, 0.8, 2.0];
    let s = 0.6;
    let (value, rows) = scaled_prefix_jacobian(&v, s);
    assert_eq!(value, scaled_prefix(&v, s));
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        let mut seed = vec![0.0; 4];
        seed[i] = 1.0;
        let (_, g) = scaled_prefix_vjp(&v, s, seed);
        for (a, b) in row.v.iter().zip(&g.v) {
            assert!(close(*a, *b, 1e-14), "row {i}");
        }
        assert!(close(row.s, g.s, 1e-14), "row {i}");
    }
}

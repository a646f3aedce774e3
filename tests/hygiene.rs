//! Hygiene: the macros introduce locals, parameters, helper functions and generic
//! parameters of their own (`seed`, `value`, `rule`, `needs`, `step`, `k`, `d_x`, `t0`,
//! `x_1`, `saved_x`, `d_x_next`, `gradients`, the pullbacks' closures, ...). A user's name
//! equal to any of them must mean the user's value, in every item the macros emit: free
//! functions with loops, stacks and branches, split-mode and joint-mode calls, custom
//! rules, methods, derived structs and generic functions. Each is checked against central
//! differences (and its value bit for bit, its `f_vjp` linear in the seed).
#![allow(
    non_snake_case,
    unused_variables,
    unused_mut,
    unused_assignments,
    clippy::all
)]

use tapeless::{custom_vjp, differentiate, Differentiable};

#[macro_use]
#[path = "support/probe.rs"]
mod probe;

// ---- #[custom_vjp] -------------------------------------------------------------------------

/// The repro: parameters named like the rule's generated locals.
#[custom_vjp(square_rule)]
fn square(value: f64) -> f64 {
    value * value
}

fn square_rule(value: f64, seed: f64) -> f64 {
    2.0 * value * seed
}

#[test]
fn custom_vjp_parameter_named_value() {
    assert_eq!(square_grad(3.0), (9.0, SquareGrad { value: 6.0 }));
    probe!(p => square, square_grad, square_vjp, [p[0]], [value], [3.0]);
}

#[custom_vjp(product_rule)]
fn product(rule: f64, seed: f64, value: f64, needs: i32) -> f64 {
    rule * seed * value * f64::from(needs)
}

fn product_rule(rule: f64, seed: f64, value: f64, needs: i32, d: f64) -> (f64, f64, f64) {
    let n = f64::from(needs);
    (
        d * seed * value * n,
        d * rule * value * n,
        d * rule * seed * n,
    )
}

#[test]
fn custom_vjp_parameters_named_rule_seed_value_needs() {
    probe!(p => product, product_grad, product_vjp, [p[0], p[1], p[2], 2], [rule, seed, value], [1.5, -0.5, 2.0]);
}

/// A differentiated caller of both custom rules, in split mode (top level) and joint mode
/// (in a loop), with its own locals named like the generated ones.
#[differentiate]
fn calls_custom(value: f64, seed: f64) -> f64 {
    let rule = square(value);
    let mut gradients = rule;
    for step in 0..2 {
        gradients += product(value, seed, rule, 3);
    }
    gradients
}

#[test]
fn differentiated_caller_of_custom_rules() {
    probe!(p => calls_custom, calls_custom_grad, calls_custom_vjp, [p[0], p[1]], [value, seed], [0.7, -1.3]);
}

// ---- #[differentiate] free functions -------------------------------------------------------

/// Straight-line code: parameters and locals named like the adjoints, temporaries,
/// versions and the seed.
#[differentiate]
fn straight(seed: f64, d_seed: f64, t0: f64) -> f64 {
    let t1 = seed * d_seed + t0.sin();
    let seed_1 = t1 * seed;
    let d_t1 = seed_1.exp() * t0;
    let value = d_t1 + t1;
    let needs = value * d_seed;
    let k = needs.tanh();
    let seed = k * seed_1;
    seed + value
}

#[test]
fn straight_line_names() {
    probe!(p => straight, straight_grad, straight_vjp, [p[0], p[1], p[2]], [seed, d_seed, t0], [0.4, -0.7, 1.1]);
}

/// A loop that saves a carried value (`p *= x` reads `p`), so it has a stack, a step
/// counter and `d_p_next`; the user's names are those names.
#[differentiate]
fn looped(x: f64, saved_p: f64, d_p_next: f64, step: usize) -> f64 {
    let mut p = saved_p;
    let mut d_p = d_p_next;
    let mut saved_x = 1.0;
    for k in 0..step {
        p *= x + d_p;
        d_p = d_p * x + p.sin();
        saved_x *= p;
    }
    let mut x_1 = x;
    let mut steps = 0;
    while steps < step {
        x_1 = x_1 * 0.5 + d_p.cos();
        steps += 1;
        if x_1 > 10.0 {
            break;
        }
    }
    p + d_p + saved_x + x_1
}

#[test]
fn loop_with_stacks_names() {
    probe!(p => looped, looped_grad, looped_vjp, [p[0], p[1], p[2], 3], [x, saved_p, d_p_next], [0.6, 0.9, -0.4]);
}

/// Branches on active and data conditions, merges, early returns, a `match` (its
/// scrutinee is a generated local), and slices read in loops (`i`, `element`).
#[differentiate]
fn branches(value: f64, seed: &[f64], scrutinee: i32) -> f64 {
    let mut d_value = value;
    if value > 0.0 {
        d_value = value * value;
    } else {
        d_value = -value;
    }
    let element = match scrutinee {
        1 => d_value.sin(),
        _ => d_value.cos(),
    };
    let mut i = 0.0;
    for t0 in seed.iter() {
        i += t0 * element;
        if i > 100.0 {
            return i;
        }
    }
    let total: f64 = seed.iter().map(|value| value * d_value).sum();
    i + total
}

#[test]
fn branch_and_loop_names() {
    for (x, m) in [(0.8, 1), (-0.6, 2)] {
        probe!(p => branches, branches_grad, branches_vjp, [p[0], &p[1..4], m], [value, seed], [x, 0.3, -1.2, 0.5]);
    }
}

/// A helper called in split mode (top level) and joint mode (in a branch and a loop).
#[differentiate]
fn helper(seed: f64, needs: f64) -> f64 {
    seed * needs.sin()
}

#[differentiate]
fn caller(seed: f64, needs: f64, gradients: f64) -> f64 {
    let t0_pullback = helper(seed, needs);
    let value = helper(gradients, t0_pullback);
    let mut d_value = value;
    if seed > 0.0 {
        d_value += helper(needs, seed);
    }
    for step in 0..2 {
        d_value += helper(d_value, gradients);
    }
    d_value + t0_pullback
}

#[test]
fn split_and_joint_call_names() {
    for x in [0.7, -0.7] {
        probe!(p => caller, caller_grad, caller_vjp, [p[0], p[1], p[2]], [seed, needs, gradients], [x, 1.2, -0.4]);
    }
}

/// A local array written by index and read back (saved reads, copies at calls).
#[differentiate]
fn arrays(x: f64, saved_a: f64) -> f64 {
    let mut a = [0.0; 3];
    let mut a_copy = 0.0;
    for k in 0..3 {
        a[k] = x * (k as f64) + saved_a;
        a_copy += a[k] * a[k];
        a[k] = a[k] * x;
    }
    a[0] + a[1] * a[2] + a_copy + helper(a[1], saved_a)
}

#[test]
fn array_names() {
    probe!(p => arrays, arrays_grad, arrays_vjp, [p[0], p[1]], [x, saved_a], [0.8, -0.3]);
}

// ---- methods --------------------------------------------------------------------------------

#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Weights {
    seed: f64,
    value: f64,
}

#[differentiate]
impl Weights {
    #[differentiate]
    pub fn energy(&self, seed: f64, value: f64) -> f64 {
        let needs = self.seed * seed;
        let t0 = needs * value + self.value.sin();
        let mut d_self = t0;
        for step in 0..2 {
            d_self = d_self * self.value + seed;
        }
        d_self + t0
    }
}

#[test]
fn method_names() {
    let energy = |p: &[f64]| {
        Weights {
            seed: p[0],
            value: p[1],
        }
        .energy(p[2], p[3])
    };
    let grad = |p: &[f64]| {
        let (v, g) = Weights {
            seed: p[0],
            value: p[1],
        }
        .energy_grad(p[2], p[3]);
        (v, vec![g.self_.seed, g.self_.value, g.seed, g.value])
    };
    let vjp = |p: &[f64], d: f64| {
        let (v, g) = Weights {
            seed: p[0],
            value: p[1],
        }
        .energy_vjp(p[2], p[3], d);
        (v, vec![g.self_.seed, g.self_.value, g.seed, g.value])
    };
    probe::check("energy", &[0.5, -0.8, 1.3, 0.4], energy, grad, vjp);
}

// ---- derived structs -------------------------------------------------------------------------

/// Field names equal to the generated trait methods' parameters, and a generic parameter
/// named like the generic parameters of those methods.
#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Layer<F> {
    alpha: F,
    other: F,
    f: F,
    __TapelessScalar: F,
}

#[differentiate]
fn layer_loss(layer: &Layer<f64>, x: f64) -> f64 {
    layer.alpha * x + layer.other.sin() * layer.f + layer.__TapelessScalar * x * x
}

#[test]
fn derived_struct_names() {
    let layer = |p: &[f64]| Layer {
        alpha: p[0],
        other: p[1],
        f: p[2],
        __TapelessScalar: p[3],
    };
    let flat = |g: &Layer<f64>, dx: f64| vec![g.alpha, g.other, g.f, g.__TapelessScalar, dx];
    probe::check(
        "layer_loss",
        &[0.5, -0.8, 1.3, 0.4, 0.9],
        |p| layer_loss(&layer(p), p[4]),
        |p| {
            let (v, g) = layer_loss_grad(&layer(p), p[4]);
            (v, flat(&g.layer, g.x))
        },
        |p, d| {
            let (v, g) = layer_loss_vjp(&layer(p), p[4], d);
            (v, flat(&g.layer, g.x))
        },
    );
    // `Parameters` through the derived impl: a gradient step on every field.
    let mut w = layer(&[1.0, 2.0, 3.0, 4.0]);
    tapeless::Parameters::add_scaled(&mut w, -0.5, &layer(&[2.0, 2.0, 2.0, 2.0]));
    assert_eq!(w, layer(&[0.0, 1.0, 2.0, 3.0]));
}

// ---- generic functions -----------------------------------------------------------------------

#[differentiate]
fn generic<T: tapeless::Real>(seed: T, value: T) -> T {
    let t0 = seed * value;
    let mut d_t0 = t0;
    for step in 0..2 {
        d_t0 = d_t0 * seed + value.sin();
    }
    d_t0 + t0
}

#[test]
fn generic_function_names() {
    probe!(p => generic, generic_grad, generic_vjp, [p[0], p[1]], [seed, value], [0.9, -0.4]);
}

/// A generic parameter named like the derive's own scalar parameter, and a format string
/// naming variables whose versions the generated code renames.
#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Pair<Scalar> {
    a: Scalar,
    b: Scalar,
}

#[differentiate]
fn pair_loss(pair: &Pair<f64>, seed: f64) -> f64 {
    let mut t0 = pair.a * seed;
    t0 = t0 * pair.b;
    println!("{t0} {seed}");
    t0 + seed
}

#[test]
fn generic_parameter_named_scalar_and_format_captures() {
    let pair = |p: &[f64]| Pair { a: p[0], b: p[1] };
    probe::check(
        "pair_loss",
        &[0.5, -0.8, 1.3],
        |p| pair_loss(&pair(p), p[2]),
        |p| {
            let (v, g) = pair_loss_grad(&pair(p), p[2]);
            (v, vec![g.pair.a, g.pair.b, g.seed])
        },
        |p, d| {
            let (v, g) = pair_loss_vjp(&pair(p), p[2], d);
            (v, vec![g.pair.a, g.pair.b, g.seed])
        },
    );
    let mut w = pair(&[1.0, 2.0]);
    tapeless::Parameters::add_scaled(&mut w, 2.0, &pair(&[1.0, 1.0]));
    assert_eq!(w, pair(&[3.0, 4.0]));
}

/// A generic function with a lifetime named like nothing the generated bounds may use.
#[differentiate]
fn generic_with_lifetime<'o, T: tapeless::Real>(xs: &'o [T], seed: T) -> T {
    let mut t0 = seed;
    for x in xs.iter() {
        t0 = t0 * *x + seed.sin();
    }
    t0
}

#[test]
fn generic_function_with_a_lifetime() {
    probe!(p => generic_with_lifetime, generic_with_lifetime_grad, generic_with_lifetime_vjp, [&p[..2], p[2]], [xs, seed], [0.5, -0.8, 1.3]);
}

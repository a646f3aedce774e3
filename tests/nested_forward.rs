//! A forward-mode derivative inside a differentiated function: `h_jvp(..)` of a
//! `#[differentiate(hessian)]` function is itself differentiable, in reverse mode (its VJP,
//! s₀·∇h + s₁·H·t, through `h_jvp_vjp`) and in forward mode (`h_jvp_jvp`), so an objective
//! may contain a directional derivative computed in forward mode (GradBench's particle and
//! saddle with an inner forward derivative). Checked against central differences of the
//! plain objective.

// Index loops, as numeric code writes them.
#![allow(clippy::needless_range_loop)]

use tapeless::check::central_difference;
use tapeless::differentiate;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * 1f64.max(a.abs()).max(b.abs())
}

#[differentiate(hessian)]
fn potential(x: f64, y: f64) -> f64 {
    (x * y).sin() + x * x * y + (0.5 * y).exp()
}

/// ∂potential/∂x by an inner forward sweep, then used in an outer objective.
#[differentiate]
fn force_energy(x: f64, y: f64, w: f64) -> f64 {
    let (v, dx) = potential_jvp(x, y, &PotentialGrad { x: 1.0, y: 0.0 });
    w * dx * dx + v
}

fn force_energy_plain(x: f64, y: f64, w: f64) -> f64 {
    // ∂potential/∂x written out: y·cos(xy) + 2xy.
    let dx = y * (x * y).cos() + 2.0 * x * y;
    w * dx * dx + potential(x, y)
}

#[differentiate(hessian)]
fn bowl(p: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..p.len() {
        s += (i as f64 + 1.0) * p[i] * p[i] * p[i] + p[i].cos();
    }
    s
}

/// One step of descent along a fixed direction, with the slope from an inner forward sweep.
#[differentiate(wrt(p, rate))]
fn line_step(p: &[f64], rate: f64, direction: &BowlGrad) -> f64 {
    let (_, slope) = bowl_jvp(p, direction);
    let mut q = vec![0.0; 3];
    for i in 0..3 {
        q[i] = p[i] - rate * slope;
    }
    bowl(&q)
}

#[test]
fn the_outer_gradient_of_an_inner_forward_derivative() {
    for (x, y, w) in [(0.3, -0.8, 1.5), (1.1, 0.4, -0.7)] {
        let expected = force_energy_plain(x, y, w);
        let (value, g) = force_energy_grad(x, y, w);
        assert!(close(value, expected), "{value} vs {expected}");
        let numeric = central_difference(|p| force_energy_plain(p[0], p[1], p[2]), &[x, y, w]);
        assert!(close(g.x, numeric[0]), "x: {} vs {}", g.x, numeric[0]);
        assert!(close(g.y, numeric[1]), "y: {} vs {}", g.y, numeric[1]);
        assert!(close(g.w, numeric[2]), "w: {} vs {}", g.w, numeric[2]);
    }
}

#[test]
fn the_outer_tangent_of_an_inner_forward_derivative() {
    let (x, y, w) = (0.3, -0.8, 1.5);
    let t = ForceEnergyGrad {
        x: 0.5,
        y: -1.0,
        w: 0.25,
    };
    let (value, derivative) = force_energy_jvp(x, y, w, &t);
    assert!(close(value, force_energy_plain(x, y, w)));
    let numeric = central_difference(|p| force_energy_plain(p[0], p[1], p[2]), &[x, y, w]);
    let expected = numeric[0] * t.x + numeric[1] * t.y + numeric[2] * t.w;
    assert!(close(derivative, expected), "{derivative} vs {expected}");
}

#[test]
fn an_inner_forward_slope_over_a_slice() {
    let plain = |p: &[f64], rate: f64| {
        let slope: f64 = p
            .iter()
            .zip([1.0, -1.0, 0.5])
            .enumerate()
            .map(|(i, (x, d))| d * (3.0 * (i as f64 + 1.0) * x * x - x.sin()))
            .sum();
        let q: Vec<f64> = p.iter().map(|x| x - rate * slope).collect();
        bowl(&q)
    };
    let p = [0.4, -0.3, 0.9];
    let rate = 0.1;
    let direction = BowlGrad {
        p: vec![1.0, -1.0, 0.5],
    };
    let (value, g) = line_step_grad(&p, rate, &direction);
    assert!(close(value, plain(&p, rate)));
    let numeric = central_difference(|v| plain(&v[..3], v[3]), &[p[0], p[1], p[2], rate]);
    for i in 0..3 {
        assert!(
            close(g.p[i], numeric[i]),
            "p[{i}]: {} vs {}",
            g.p[i],
            numeric[i]
        );
    }
    assert!(close(g.rate, numeric[3]));
    let (_, derivative) = line_step_jvp(
        &p,
        rate,
        &direction,
        &LineStepGrad {
            p: vec![1.0, 0.0, -2.0],
            rate: 0.5,
        },
    );
    let expected = numeric[0] - 2.0 * numeric[2] + 0.5 * numeric[3];
    assert!(close(derivative, expected), "{derivative} vs {expected}");
}

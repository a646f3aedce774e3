// A loop that carries an accumulator: the reverse loop replays the range backwards and
// recomputes what the rules read (`x[i]`, `a`, `b`); nothing is saved per iteration.
#[differentiate]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

// `p *= x` reads the carried value: it is saved at the start of each iteration.
#[differentiate]
fn power(x: f64, n: usize) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    p
}

// Branches are reversed as branches on the same condition.
#[differentiate]
fn piecewise(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else if x < 1.0 {
        x * x
    } else {
        2.0 * x - 1.0
    }
}

// Explicit Euler steps of a damped spring: the rules read the carried position and
// velocity, so both are saved once per step (16 bytes), into stacks allocated once because
// the trip count is known when the loop starts.
#[differentiate]
fn spring(k: f64, c: f64, v0: f64) -> f64 {
    let dt = 0.01;
    let mut x = 1.0;
    let mut v = v0;
    for _ in 0..1000 {
        let a = -k * x - c * v;
        v += dt * a;
        x += dt * v;
    }
    (x - 0.3) * (x - 0.3)
}

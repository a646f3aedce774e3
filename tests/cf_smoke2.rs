use tapeless::check::central_difference;
use tapeless::differentiate;

fn close(a: &[f64], b: &[f64]) {
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-6 * (1.0 + x.abs()), "{a:?} vs {b:?}");
    }
}

#[differentiate]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    let mut k = 0;
    while k < 20 {
        x = 0.5 * (x + a / x);
        k += 1;
    }
    x
}

#[differentiate]
fn first_big(xs: &[f64], t: f64) -> f64 {
    for i in 0..xs.len() {
        if xs[i] * t > 1.0 {
            return xs[i] * xs[i] * t;
        }
    }
    t
}

#[differentiate]
fn skip_negatives(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        if *x < 0.0 {
            continue;
        }
        s += x * x;
        if s > 10.0 {
            break;
        }
    }
    s
}

#[differentiate]
fn matvec(m: &[[f64; 3]; 3], v: &[f64; 3]) -> f64 {
    let mut y = [0.0; 3];
    for i in 0..3 {
        for j in 0..3 {
            y[i] += m[i][j] * v[j];
        }
    }
    y[0] * y[1] + y[2].sin()
}

#[differentiate]
fn cumsum(xs: &[f64]) -> f64 {
    let mut c = vec![0.0; xs.len()];
    c[0] = xs[0];
    for i in 1..xs.len() {
        c[i] = c[i - 1] + xs[i];
    }
    let mut total = 0.0;
    for i in 0..c.len() {
        total += c[i] * c[i];
    }
    total
}

#[differentiate]
fn sums(xs: &[f64], ys: &[f64]) -> f64 {
    let a = xs.iter().map(|v| v * v).sum::<f64>();
    let b: f64 = xs.iter().zip(ys.iter()).map(|(p, q)| p * q).sum();
    let c: f64 = ys.iter().sum();
    a + b * c
}

#[differentiate]
fn by_mode(x: f64, mode: u8) -> f64 {
    match mode {
        0 => x * x,
        1 | 2 => x.sin(),
        _ => {
            let y = x * 3.0;
            y.exp()
        }
    }
}

#[differentiate]
fn softmax_nll(z: &[f64], label: usize) -> f64 {
    let mut m = z[0];
    for i in 1..z.len() {
        if z[i] > m {
            m = z[i];
        }
    }
    let mut s = 0.0;
    for v in z.iter() {
        s += (v - m).exp();
    }
    m + s.ln() - z[label]
}

#[differentiate]
fn damped_spring(k: f64, c: f64, v0: f64) -> f64 {
    let dt = 0.001;
    let mut x = 1.0;
    let mut v = v0;
    for _ in 0..1000 {
        let a = -k * x - c * v;
        v += dt * a;
        x += dt * v;
    }
    (x - 0.3) * (x - 0.3)
}

#[test]
fn smoke2() {
    let (v, g) = newton_sqrt_grad(2.0);
    assert!((v - 2.0f64.sqrt()).abs() < 1e-12);
    assert!((g.a - 0.5 / 2.0f64.sqrt()).abs() < 1e-9, "{}", g.a);

    let xs = [0.3, 0.9, 1.7, 2.0];
    let (v, g) = first_big_grad(&xs, 0.8);
    assert_eq!(v, first_big(&xs, 0.8));
    let mut p = xs.to_vec();
    p.push(0.8);
    let fd = central_difference(|q| first_big(&q[..4], q[4]), &p);
    let mut ad = g.xs.clone();
    ad.push(g.t);
    close(&ad, &fd);

    let xs = [1.0, -2.0, 2.5, 1.5, 3.0];
    let (v, g) = skip_negatives_grad(&xs);
    assert_eq!(v, skip_negatives(&xs));
    close(&g.xs, &central_difference(skip_negatives, &xs));

    let m = [[1.0, 2.0, 0.5], [0.1, -1.0, 0.3], [0.7, 0.2, 0.9]];
    let v3 = [0.4, -0.6, 1.1];
    let (val, g) = matvec_grad(&m, &v3);
    assert_eq!(val, matvec(&m, &v3));
    let mut p: Vec<f64> = m.iter().flatten().copied().collect();
    p.extend(v3);
    let f = |q: &[f64]| {
        let mm = [[q[0], q[1], q[2]], [q[3], q[4], q[5]], [q[6], q[7], q[8]]];
        matvec(&mm, &[q[9], q[10], q[11]])
    };
    let mut ad: Vec<f64> = g.m.iter().flatten().copied().collect();
    ad.extend(g.v);
    close(&ad, &central_difference(f, &p));

    let xs = [0.5, -1.0, 2.0, 0.25];
    let (v, g) = cumsum_grad(&xs);
    assert_eq!(v, cumsum(&xs));
    close(&g.xs, &central_difference(cumsum, &xs));

    let (xs, ys) = ([0.5, -1.0, 2.0], [1.5, 0.5, -0.5]);
    let (v, g) = sums_grad(&xs, &ys);
    assert_eq!(v, sums(&xs, &ys));
    let f = |q: &[f64]| sums(&q[..3], &q[3..]);
    let mut ad = g.xs.clone();
    ad.extend(&g.ys);
    close(&ad, &central_difference(f, &[0.5, -1.0, 2.0, 1.5, 0.5, -0.5]));

    for mode in 0..4 {
        let (v, g) = by_mode_grad(0.7, mode);
        assert_eq!(v, by_mode(0.7, mode));
        close(&[g.x], &central_difference(|q| by_mode(q[0], mode), &[0.7]));
    }

    let z = [0.5, 2.0, -1.0, 1.0];
    let (v, g) = softmax_nll_grad(&z, 2);
    assert_eq!(v, softmax_nll(&z, 2));
    close(&g.z, &central_difference(|q| softmax_nll(q, 2), &z));

    let (v, g) = damped_spring_grad(4.0, 0.5, 0.2);
    assert_eq!(v, damped_spring(4.0, 0.5, 0.2));
    close(&[g.k, g.c, g.v0], &central_difference(|q| damped_spring(q[0], q[1], q[2]), &[4.0, 0.5, 0.2]));
}

#[test]
fn skip_debug() {
    let xs = [1.0, -2.0, 2.5, 1.5, 3.0];
    println!("{}", skip_negatives(&xs));
    println!("{:?}", central_difference(skip_negatives, &xs));
    println!("{:?}", skip_negatives_grad(&xs));
}

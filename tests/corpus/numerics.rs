//! Corpus of issue 12, numerical methods: programs written as users write them, each with an
//! independent oracle (a closed form derived by hand, or central differences) and a check
//! of the value against the untouched function.

mod babylonian_sqrt {
    use tapeless::differentiate;

    /// √a by Newton (Babylonian) iteration until the residual is small.
    #[differentiate]
    pub fn babylonian_sqrt(a: f64) -> f64 {
        let mut y = if a > 1.0 { a } else { 1.0 };
        while (y * y - a).abs() > 1e-12 * a {
            y = 0.5 * (y + a / y);
        }
        y
    }

    #[test]
    fn babylonian_sqrt_derivative() {
        for a in [2.0, 10.0, 0.3] {
            let (v, g) = babylonian_sqrt_grad(a);
            assert!((v - babylonian_sqrt(a)).abs() < 1e-15);
            // The derivative of the converged iterate is that of √a: 1/(2√a), up to the
            // (quadratically small) error of the last step.
            assert!(
                (g.a - 0.5 / a.sqrt()).abs() < 1e-8,
                "{} vs {}",
                g.a,
                0.5 / a.sqrt()
            );
        }
    }
}

mod linear_interp_table {
    use tapeless::differentiate;

    /// Piecewise-linear interpolation in a uniform table on [0, 1]; both the table values
    /// and the query point are differentiated.
    #[differentiate]
    pub fn interp(table: &[f64], x: f64) -> f64 {
        let n = table.len() - 1;
        let s = x * n as f64;
        let i = (s.floor() as usize).min(n - 1);
        let t = s - i as f64;
        (1.0 - t) * table[i] + t * table[i + 1]
    }

    #[test]
    fn linear_interpolation() {
        let table = [0.0, 1.0, 4.0, 9.0, 16.0];
        for x in [0.1, 0.45, 0.8] {
            let (v, g) = interp_grad(&table, x);
            assert!((v - interp(&table, x)).abs() < 1e-12);
            // Closed form: slope of the cell times n; weights (1 − t, t) on its two ends.
            let s = x * 4.0;
            let i = s.floor() as usize;
            let t = s - i as f64;
            assert!((g.x - 4.0 * (table[i + 1] - table[i])).abs() < 1e-12);
            for k in 0..5 {
                let w = if k == i {
                    1.0 - t
                } else if k == i + 1 {
                    t
                } else {
                    0.0
                };
                assert!((g.table[k] - w).abs() < 1e-12, "{:?}", g.table);
            }
        }
    }
}

mod trapezoid_closure {
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// ∫₀¹ a·exp(−b t²) dt by the trapezoid rule on a uniform grid, the integrand a closure.
    #[differentiate]
    pub fn integral(a: f64, b: f64, n: usize) -> f64 {
        let f = |t: f64| a * (-b * t * t).exp();
        let h = 1.0 / n as f64;
        let ys: Vec<f64> = (0..=n).map(|i| f(i as f64 * h)).collect();
        ys.windows(2).map(|w| 0.5 * h * (w[0] + w[1])).sum()
    }

    #[test]
    fn trapezoid_with_closure() {
        for t in [[1.0, 0.5], [2.0, 2.0], [-0.5, 0.1]] {
            let f = |t: &[f64]| integral(t[0], t[1], 64);
            let (v, g) = integral_grad(t[0], t[1], 64);
            assert!((v - f(&t)).abs() < 1e-12);
            check_gradient(f, &t, &[g.a, g.b], Tolerance::default()).unwrap();
        }
    }
}

mod chebyshev_recursive {
    use tapeless::differentiate;

    /// Chebyshev polynomial T_n(x) by its three-term recursion, written recursively.
    #[differentiate]
    pub fn chebyshev(n: u32, x: f64) -> f64 {
        match n {
            0 => 1.0,
            1 => x,
            n => 2.0 * x * chebyshev(n - 1, x) - chebyshev(n - 2, x),
        }
    }

    #[test]
    fn chebyshev_recursion() {
        // Closed form on [−1, 1]: T_n(cos θ) = cos nθ, so T_n′(x) = n sin(nθ)/sin θ.
        for (n, x) in [(3u32, 0.3), (5, -0.7), (6, 0.55)] {
            let (v, g) = chebyshev_grad(n, x);
            assert!((v - chebyshev(n, x)).abs() < 1e-12);
            let th = f64::acos(x);
            assert!((v - (n as f64 * th).cos()).abs() < 1e-12);
            let expected = n as f64 * (n as f64 * th).sin() / th.sin();
            assert!((g.x - expected).abs() < 1e-10, "{} vs {}", g.x, expected);
        }
    }
}

mod horner_recursive_slice {
    use tapeless::differentiate;

    /// p(x) = c0 + x (c1 + x (c2 + ...)) by recursion on the tail slice.
    #[differentiate]
    pub fn horner(coeffs: &[f64], x: f64) -> f64 {
        if coeffs.is_empty() {
            0.0
        } else {
            coeffs[0] + x * horner(&coeffs[1..], x)
        }
    }

    #[test]
    fn horner_recursive_on_sub_slices() {
        for (c, x) in [
            (vec![1.0, -2.0, 0.5, 3.0], 0.7),
            (vec![0.3, 0.0, 1.0], -1.5),
            (vec![2.0], 4.0),
        ] {
            let (v, g) = horner_grad(&c, x);
            assert!((v - horner(&c, x)).abs() < 1e-12);
            // Closed form: ∂p/∂c_k = x^k, ∂p/∂x = Σ k c_k x^(k−1).
            let dx: f64 = c
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, ck)| k as f64 * ck * x.powi(k as i32 - 1))
                .sum();
            assert!((g.x - dx).abs() < 1e-10);
            for k in 0..c.len() {
                assert!((g.coeffs[k] - x.powi(k as i32)).abs() < 1e-10);
            }
        }
    }
}

//! Corpus of issue 12, optimisation test functions (in the style of a published test-function
//! crate, generic over `T: Float + FromPrimitive + Sum`): programs written as users write them,
//! each with an independent oracle (a closed form derived by hand, or central differences) and
//! a check of the value against the untouched function.
// The oracles index the gradient by coordinate, as the test-function crate's tests do.
#![allow(clippy::needless_range_loop)]

mod sphere {
    use num_traits::{Float, FromPrimitive};
    use std::iter::Sum;
    use tapeless::differentiate;

    /// Sphere function Σ x², as optimisation test-function crates write it.
    #[differentiate]
    pub fn sphere<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        param.iter().map(|x| x.powi(2)).sum()
    }

    #[test]
    fn sphere_gradient() {
        for x in [
            vec![1.0, -2.0, 0.5],
            vec![0.0, 0.0],
            vec![3.0, 0.1, -0.7, 2.2],
        ] {
            let (v, g) = sphere_grad(&x);
            assert!((v - sphere(&x)).abs() < 1e-12);
            for k in 0..x.len() {
                assert!((g.param[k] - 2.0 * x[k]).abs() < 1e-12);
            }
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let (_, g32) = sphere_grad(&x32);
            assert!((g32.param[0] as f64 - 2.0 * x[0]).abs() < 1e-5);
        }
    }
}

mod rastrigin {
    use num_traits::{Float, FloatConst, FromPrimitive};
    use std::iter::Sum;
    use tapeless::differentiate;

    /// Rastrigin function with parameter a.
    #[differentiate(wrt(param))]
    pub fn rastrigin_a<T>(param: &[T], a: T) -> T
    where
        T: Float + FromPrimitive + Sum + FloatConst,
    {
        a * T::from_usize(param.len()).unwrap()
            + param
                .iter()
                .map(|&x| x.powi(2) - a * (T::from_f64(2.0).unwrap() * T::PI() * x).cos())
                .sum()
    }

    #[test]
    fn rastrigin_gradient() {
        for x in [vec![0.3, -1.2], vec![2.5, 0.1, -0.4], vec![0.0, 1.0]] {
            let (v, g) = rastrigin_a_grad(&x, 10.0);
            assert!((v - rastrigin_a(&x, 10.0)).abs() < 1e-12);
            for k in 0..x.len() {
                let tau = 2.0 * std::f64::consts::PI;
                let e = 2.0 * x[k] + 10.0 * tau * (tau * x[k]).sin();
                assert!((g.param[k] - e).abs() < 1e-9, "{:?}", g.param);
            }
        }
    }
}

mod ackley {
    use num_traits::{Float, FloatConst, FromPrimitive};
    use std::iter::Sum;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Ackley function with parameters a, b, c.
    #[differentiate(wrt(param))]
    pub fn ackley_abc<T>(param: &[T], a: T, b: T, c: T) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        let num1 = T::from_f64(1.0).unwrap();
        let n = T::from_usize(param.len()).unwrap();
        -a * (-b * ((num1 / n) * param.iter().map(|x| x.powi(2)).sum()).sqrt()).exp()
            - ((num1 / n) * param.iter().map(|x| (c * *x).cos()).sum()).exp()
            + a
            + num1.exp()
    }

    /// Ackley with the usual a = 20, b = 0.2, c = 2π.
    #[differentiate]
    pub fn ackley<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum + FloatConst,
    {
        ackley_abc(
            param,
            T::from_f64(20.0).unwrap(),
            T::from_f64(0.2).unwrap(),
            T::from_f64(2.0).unwrap() * T::PI(),
        )
    }

    #[test]
    fn ackley_gradient() {
        for x in [vec![0.5, -0.3], vec![1.5, 2.0, -0.7], vec![-3.0, 0.2]] {
            let (v, g) = ackley_grad(&x);
            assert!((v - ackley(&x)).abs() < 1e-12);
            check_gradient(|x: &[f64]| ackley(x), &x, &g.param, Tolerance::default()).unwrap();
        }
    }
}

mod griewank {
    use num_traits::{Float, FromPrimitive};
    use std::iter::{Product, Sum};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Griewank function.
    #[differentiate]
    pub fn griewank<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum + Product,
    {
        T::one() + param.iter().map(|x| x.powi(2)).sum::<T>() / T::from_f64(4000.0).unwrap()
            - param
                .iter()
                .enumerate()
                .map(|(i, &x)| (x / T::from_usize(i + 1).unwrap().sqrt()).cos())
                .product::<T>()
    }

    #[test]
    fn griewank_gradient() {
        for x in [
            vec![1.0, -2.0],
            vec![10.0, 3.0, -5.0],
            vec![0.3, 0.4, 0.5, 0.6],
        ] {
            let (v, g) = griewank_grad(&x);
            assert!((v - griewank(&x)).abs() < 1e-12);
            check_gradient(|x: &[f64]| griewank(x), &x, &g.param, Tolerance::default()).unwrap();
        }
    }
}

mod styblinski_tang {
    use num_traits::{Float, FromPrimitive};
    use std::iter::Sum;
    use tapeless::differentiate;

    /// Styblinski–Tang function.
    #[differentiate]
    pub fn styblinski_tang<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        let n05 = T::from_f64(0.5).unwrap();
        let n16 = T::from_f64(16.0).unwrap();
        let n5 = T::from_f64(5.0).unwrap();
        n05 * param
            .iter()
            .map(|x| x.powi(4) - n16 * x.powi(2) + n5 * *x)
            .sum()
    }

    #[test]
    fn styblinski_tang_gradient() {
        for x in [vec![-2.9, 1.0], vec![0.3, -0.4, 2.2], vec![0.0, 5.0]] {
            let (v, g) = styblinski_tang_grad(&x);
            assert!((v - styblinski_tang(&x)).abs() < 1e-12);
            for k in 0..x.len() {
                let e = 0.5 * (4.0 * x[k].powi(3) - 32.0 * x[k] + 5.0);
                assert!((g.param[k] - e).abs() < 1e-10, "{:?}", g.param);
            }
        }
    }
}

mod zakharov {
    use num_traits::{Float, FromPrimitive};
    use std::iter::Sum;
    use tapeless::differentiate;

    /// Zakharov function.
    #[differentiate]
    pub fn zakharov<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        let n05 = T::from_f64(0.5).unwrap();
        let sum1: T = param.iter().map(|x| x.powi(2)).sum();
        let sum2: T = param
            .iter()
            .enumerate()
            .map(|(i, x)| n05 * T::from_usize(i + 1).unwrap() * *x)
            .sum();
        sum1 + sum2.powi(2) + sum2.powi(4)
    }

    #[test]
    fn zakharov_gradient() {
        for x in [
            vec![0.5, -0.2, 0.1],
            vec![1.0, 1.0],
            vec![-0.3, 0.4, 0.2, -0.1],
        ] {
            let (v, g) = zakharov_grad(&x);
            assert!((v - zakharov(&x)).abs() < 1e-12);
            let s2: f64 = x
                .iter()
                .enumerate()
                .map(|(i, x)| 0.5 * (i + 1) as f64 * x)
                .sum();
            for k in 0..x.len() {
                let e = 2.0 * x[k] + (2.0 * s2 + 4.0 * s2.powi(3)) * 0.5 * (k + 1) as f64;
                assert!((g.param[k] - e).abs() < 1e-10, "{:?}", g.param);
            }
        }
    }
}

mod beale {
    use num_traits::{Float, FromPrimitive};
    use tapeless::differentiate;

    /// Beale function on [x1, x2].
    #[differentiate]
    pub fn beale<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        (T::from_f64(1.5).unwrap() - x1 + x1 * x2).powi(2)
            + (T::from_f64(2.25).unwrap() - x1 + x1 * x2.powi(2)).powi(2)
            + (T::from_f64(2.625).unwrap() - x1 + x1 * x2.powi(3)).powi(2)
    }

    #[test]
    fn beale_gradient() {
        for [x, y] in [[1.0, 0.5], [3.0, 0.4], [-1.0, 1.5]] {
            let (v, g) = beale_grad(&[x, y]);
            assert!((v - beale(&[x, y])).abs() < 1e-12);
            let a = 1.5 - x + x * y;
            let b = 2.25 - x + x * y * y;
            let c = 2.625 - x + x * y * y * y;
            let dx = 2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y * y * y - 1.0);
            let dy = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y * y;
            assert!(
                (g.param[0] - dx).abs() < 1e-10 && (g.param[1] - dy).abs() < 1e-10,
                "{:?}",
                g.param
            );
        }
    }
}

mod booth {
    use num_traits::{Float, FromPrimitive};
    use tapeless::differentiate;

    /// Booth function on [x1, x2].
    #[differentiate]
    pub fn booth<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        (x1 + T::from_f64(2.0).unwrap() * x2 - T::from_f64(7.0).unwrap()).powi(2)
            + (T::from_f64(2.0).unwrap() * x1 + x2 - T::from_f64(5.0).unwrap()).powi(2)
    }

    #[test]
    fn booth_gradient() {
        for [x, y] in [[1.0, 3.0], [0.0, 0.0], [-2.0, 4.5]] {
            let (v, g) = booth_grad(&[x, y]);
            assert!((v - booth(&[x, y])).abs() < 1e-12);
            let (u, w) = (x + 2.0 * y - 7.0, 2.0 * x + y - 5.0);
            assert!((g.param[0] - (2.0 * u + 4.0 * w)).abs() < 1e-12);
            assert!((g.param[1] - (4.0 * u + 2.0 * w)).abs() < 1e-12);
        }
    }
}

mod goldstein_price {
    use num_traits::{Float, FromPrimitive};
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Goldstein–Price function on [x1, x2].
    #[differentiate]
    pub fn goldsteinprice<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        let n1 = T::from_f64(1.0).unwrap();
        let n2 = T::from_f64(2.0).unwrap();
        let n3 = T::from_f64(3.0).unwrap();
        let n6 = T::from_f64(6.0).unwrap();
        let n12 = T::from_f64(12.0).unwrap();
        let n14 = T::from_f64(14.0).unwrap();
        let n18 = T::from_f64(18.0).unwrap();
        let n19 = T::from_f64(19.0).unwrap();
        let n27 = T::from_f64(27.0).unwrap();
        let n30 = T::from_f64(30.0).unwrap();
        let n32 = T::from_f64(32.0).unwrap();
        let n36 = T::from_f64(36.0).unwrap();
        let n48 = T::from_f64(48.0).unwrap();
        (n1 + (x1 + x2 + n1).powi(2)
            * (n19 - n14 * (x1 + x2) + n3 * (x1.powi(2) + x2.powi(2)) + n6 * x1 * x2))
            * (n30
                + (n2 * x1 - n3 * x2).powi(2)
                    * (n18 - n32 * x1 + n12 * x1.powi(2) + n48 * x2 - n36 * x1 * x2
                        + n27 * x2.powi(2)))
    }

    #[test]
    fn goldstein_price_gradient() {
        for x in [[0.3, -0.8], [-1.0, 0.5], [1.2, 0.2]] {
            let (v, g) = goldsteinprice_grad(&x);
            assert!((v - goldsteinprice(&x)).abs() < 1e-9 * v.abs());
            check_gradient(
                |x: &[f64]| goldsteinprice(&[x[0], x[1]]),
                &x,
                &g.param,
                Tolerance::default(),
            )
            .unwrap();
        }
    }
}

mod himmelblau {
    use num_traits::{Float, FromPrimitive};
    use tapeless::differentiate;

    /// Himmelblau function on [x1, x2].
    #[differentiate]
    pub fn himmelblau<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        let n7 = T::from_f64(7.0).unwrap();
        let n11 = T::from_f64(11.0).unwrap();
        (x1.powi(2) + x2 - n11).powi(2) + (x1 + x2.powi(2) - n7).powi(2)
    }

    #[test]
    fn himmelblau_gradient() {
        for [x, y] in [[3.0, 2.0], [0.5, -1.0], [-2.8, 3.1]] {
            let (v, g) = himmelblau_grad(&[x, y]);
            assert!((v - himmelblau(&[x, y])).abs() < 1e-12);
            let (u, w) = (x * x + y - 11.0, x + y * y - 7.0);
            assert!((g.param[0] - (4.0 * x * u + 2.0 * w)).abs() < 1e-10);
            assert!((g.param[1] - (2.0 * u + 4.0 * y * w)).abs() < 1e-10);
        }
    }
}

mod matyas {
    use num_traits::{Float, FromPrimitive};
    use tapeless::differentiate;

    /// Matyas function on [x1, x2].
    #[differentiate]
    pub fn matyas<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        T::from_f64(0.26).unwrap() * (x1.powi(2) + x2.powi(2))
            - T::from_f64(0.48).unwrap() * x1 * x2
    }

    #[test]
    fn matyas_gradient() {
        for [x, y] in [[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]] {
            let (v, g) = matyas_grad(&[x, y]);
            assert!((v - matyas(&[x, y])).abs() < 1e-12);
            assert!((g.param[0] - (0.52 * x - 0.48 * y)).abs() < 1e-12);
            assert!((g.param[1] - (0.52 * y - 0.48 * x)).abs() < 1e-12);
        }
    }
}

mod mccormick {
    use num_traits::{Float, FromPrimitive};
    use tapeless::differentiate;

    /// McCormick function on [x1, x2].
    #[differentiate]
    pub fn mccormick<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        (x1 + x2).sin() + (x1 - x2).powi(2) - T::from_f64(1.5).unwrap() * x1
            + T::from_f64(2.5).unwrap() * x2
            + T::from_f64(1.0).unwrap()
    }

    #[test]
    fn mccormick_gradient() {
        for [x, y] in [[-0.5, -1.5], [1.0, 2.0], [3.0, -2.0]] {
            let (v, g) = mccormick_grad(&[x, y]);
            assert!((v - mccormick(&[x, y])).abs() < 1e-12);
            let c = (x + y).cos();
            assert!((g.param[0] - (c + 2.0 * (x - y) - 1.5)).abs() < 1e-12);
            assert!((g.param[1] - (c - 2.0 * (x - y) + 2.5)).abs() < 1e-12);
        }
    }
}

mod three_hump_camel {
    use num_traits::{Float, FromPrimitive};
    use tapeless::differentiate;

    /// Three-hump camel function on [x1, x2].
    #[differentiate]
    pub fn three_hump_camel<T>(param: &[T; 2]) -> T
    where
        T: Float + FromPrimitive,
    {
        let [x1, x2] = *param;
        T::from_f64(2.0).unwrap() * x1.powi(2) - T::from_f64(1.05).unwrap() * x1.powi(4)
            + x1.powi(6) / T::from_f64(6.0).unwrap()
            + x1 * x2
            + x2.powi(2)
    }

    #[test]
    fn three_hump_camel_gradient() {
        for [x, y] in [[1.0, -0.5], [-1.7, 0.8], [0.2, 2.0]] {
            let (v, g) = three_hump_camel_grad(&[x, y]);
            assert!((v - three_hump_camel(&[x, y])).abs() < 1e-12);
            let dx = 4.0 * x - 4.2 * x.powi(3) + x.powi(5) + y;
            assert!((g.param[0] - dx).abs() < 1e-10 && (g.param[1] - (x + 2.0 * y)).abs() < 1e-10);
        }
    }
}

mod levy {
    use num_traits::{Float, FloatConst, FromPrimitive};
    use std::iter::Sum;
    use tapeless::check::{check_gradient, Tolerance};
    use tapeless::differentiate;

    /// Lévy function.
    #[differentiate]
    pub fn levy<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum + FloatConst,
    {
        let plen = param.len();
        let n1 = T::from_f64(1.0).unwrap();
        let n2 = T::from_f64(2.0).unwrap();
        let n4 = T::from_f64(4.0).unwrap();
        let n10 = T::from_f64(10.0).unwrap();
        let pi = T::PI();
        let w = |x: T| n1 + (x - n1) / n4;
        let w1 = w(param[0]);
        let wd = w(param[plen - 1]);
        (pi * w1).sin().powi(2)
            + param[1..plen - 1]
                .iter()
                .map(|&x| {
                    let wi = w(x);
                    (wi - n1).powi(2) * (n1 + n10 * (pi * wi + n1).sin().powi(2))
                })
                .sum()
            + (wd - n1).powi(2) * (n1 + (n2 * pi * wd).sin().powi(2))
    }

    #[test]
    fn levy_gradient() {
        for x in [
            vec![0.5, -1.0, 2.0],
            vec![1.5, 0.3, -0.4, 3.0],
            vec![-2.0, 0.7, 1.1],
        ] {
            let (v, g) = levy_grad(&x);
            assert!((v - levy(&x)).abs() < 1e-12);
            check_gradient(|x: &[f64]| levy(x), &x, &g.param, Tolerance::default()).unwrap();
        }
    }
}

mod rosenbrock {
    use num_traits::{Float, FromPrimitive};
    use std::iter::Sum;
    use tapeless::differentiate;

    /// Multidimensional Rosenbrock function with parameters a and b.
    #[differentiate(wrt(param))]
    pub fn rosenbrock_ab<T>(param: &[T], a: T, b: T) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        param
            .iter()
            .zip(param.iter().skip(1))
            .map(|(&xi, &xi1)| (a - xi).powi(2) + b * (xi1 - xi.powi(2)).powi(2))
            .sum()
    }

    /// Rosenbrock with the usual a = 1, b = 100.
    #[differentiate]
    pub fn rosenbrock<T>(param: &[T]) -> T
    where
        T: Float + FromPrimitive + Sum,
    {
        rosenbrock_ab(
            param,
            T::from_f64(1.0).unwrap(),
            T::from_f64(100.0).unwrap(),
        )
    }

    #[test]
    fn rosenbrock_gradient() {
        for x in [
            vec![-1.2, 1.0],
            vec![0.5, 0.3, -0.7],
            vec![1.0, 1.0, 1.0, 1.0],
        ] {
            let (v, g) = rosenbrock_grad(&x);
            assert!((v - rosenbrock(&x)).abs() < 1e-12);
            let n = x.len();
            for i in 0..n {
                let mut e = 0.0;
                if i + 1 < n {
                    e += -2.0 * (1.0 - x[i]) - 400.0 * x[i] * (x[i + 1] - x[i] * x[i]);
                }
                if i > 0 {
                    e += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
                }
                assert!((g.param[i] - e).abs() < 1e-10, "{:?}", g.param);
            }
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let (v32, _) = rosenbrock_grad(&x32);
            assert!((v32 as f64 - v).abs() < 1e-4 * (1.0 + v.abs()));
        }
    }
}

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

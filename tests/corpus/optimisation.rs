//! Corpus of issue 12, optimisation test functions (in the style of a published test-function
//! crate): programs written as users write them, each with an independent oracle (a closed
//! form derived by hand, or central differences) and a check of the value against the
//! untouched function.

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

//! Float methods on fields of a struct generic over its float type, read through a
//! reference (`c.s.exp()` for `c: &C<T>`, `self.s.exp()` in a generic `impl`): in generic
//! code the method is named through `Float`, and the field is passed to it by value, as
//! the method call's auto-dereference passes it (was `expected T, found &T`, a rustc error
//! inside the generated code: QA session 30). Against closed forms and central differences.

use num_traits::Float;
use tapeless::check::{check_gradient, Tolerance};
use tapeless::differentiate;
use tapeless::nalgebra::RealField;

#[derive(tapeless::Differentiable, Clone, Debug)]
pub struct C<T> {
    pub s: T,
    pub m: T,
}

#[differentiate]
fn methods_of_fields<T: Float>(c: &C<T>) -> T {
    c.s.exp() + c.m.powf(c.s)
}

#[differentiate]
fn path_calls_of_fields<T: Float>(c: &C<T>) -> T {
    T::exp(c.s) * c.m
}

#[differentiate]
fn real_field<T: RealField + Copy>(c: &C<T>, x: T) -> T {
    (c.s * x).sin() + c.m.exp()
}

#[differentiate]
fn over_a_slice<T: Float>(cs: &[C<T>], x: T) -> T {
    let mut s = T::zero();
    for c in cs {
        s = s + (c.s * x).exp() * c.m.tanh();
    }
    s
}

#[differentiate]
impl<T: Float> C<T> {
    /// The log-density of a normal with mean `m` and log standard deviation `s`, up to a
    /// constant.
    #[differentiate]
    pub fn log_pdf(&self, x: T) -> T {
        let sigma = self.s.exp();
        let z = (x - self.m) / sigma;
        -z * z / T::from(2.0).unwrap() - self.s
    }
}

#[test]
fn float_methods_on_fields_through_a_reference() {
    let (s, m) = (0.5f64, 1.5f64);
    let c = C { s, m };
    let g = methods_of_fields_grad(&c).1.c;
    assert!((g.s - (s.exp() + m.powf(s) * m.ln())).abs() < 1e-15);
    assert!((g.m - s * m.powf(s - 1.0)).abs() < 1e-15);
    let g = path_calls_of_fields_grad(&c).1.c;
    assert_eq!((g.s, g.m), (s.exp() * m, s.exp()));
    let x = 0.3;
    let g = real_field_grad(&c, x).1.c;
    assert_eq!((g.s, g.m), ((s * x).cos() * x, m.exp()));
    let f32_c = C { s: 0.5f32, m: 1.5 };
    let g = path_calls_of_fields_grad(&f32_c).1.c;
    assert_eq!((g.s, g.m), (0.5f32.exp() * 1.5, 0.5f32.exp()));
}

#[test]
fn generic_fields_in_a_loop_and_in_a_method_against_differences() {
    let cs = vec![C { s: 0.5, m: 1.5 }, C { s: -0.2, m: 0.4 }];
    let (value, g) = over_a_slice_grad(&cs, 0.3);
    assert_eq!(value, over_a_slice(&cs, 0.3));
    let f = |p: &[f64]| {
        let cs = vec![C { s: p[0], m: p[1] }, C { s: p[2], m: p[3] }];
        over_a_slice(&cs, p[4])
    };
    let analytic = [g.cs[0].s, g.cs[0].m, g.cs[1].s, g.cs[1].m, g.x];
    check_gradient(
        f,
        &[0.5, 1.5, -0.2, 0.4, 0.3],
        &analytic,
        Tolerance::default(),
    )
    .unwrap();

    let c = C { s: 0.5, m: 1.5 };
    let (value, g) = c.log_pdf_grad(0.7);
    assert_eq!(value, c.log_pdf(0.7));
    let f = |p: &[f64]| C { s: p[0], m: p[1] }.log_pdf(p[2]);
    let analytic = [g.self_.s, g.self_.m, g.x];
    check_gradient(f, &[0.5, 1.5, 0.7], &analytic, Tolerance::default()).unwrap();
}

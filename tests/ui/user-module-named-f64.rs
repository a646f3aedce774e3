// A module named `f64` shadows the float type in paths: here `f64::sin` is the user's
// function, not the float method whose rule `#[differentiate]` would use for it. The
// generated code checks the path against `core::primitive::f64::sin`: a compile error at
// the call.
use core::primitive::f64 as float;
use tapeless::differentiate;

#[allow(non_snake_case)]
mod f64 {
    pub fn sin(x: super::float) -> super::float {
        x * x
    }
}

#[differentiate]
fn f(x: float) -> float {
    f64::sin(x)
}

fn main() {}

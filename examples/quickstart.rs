//! The first worked example of the matrix-calculus lectures, differentiated by
//! `#[differentiate]` and checked against its closed form.
//!
//! Run with `cargo run --example quickstart`.

use tapeless::differentiate;

/// f(x) = √(x² + e^{x²}) + cos(x² + e^{x²})
#[differentiate]
fn f(x: f64) -> f64 {
    let u = x * x + (x * x).exp();
    u.sqrt() + u.cos()
}

/// ∇ 3x²(2y + 7) = (6x(2y + 7), 6x²)
#[differentiate]
fn g(x: f64, y: f64) -> f64 {
    3.0 * x.powi(2) * (2.0 * y + 7.0)
}

fn main() {
    let x = 0.7;
    let (value, grad) = f_grad(x);
    assert_eq!(value, f(x), "f_grad returns the value of f");
    // Closed form: u = x² + e^{x²}, u' = 2x(1 + e^{x²}), f' = u'(1/(2√u) − sin u).
    let u = x * x + (x * x).exp();
    let closed_form = 2.0 * x * (1.0 + (x * x).exp()) * (0.5 / u.sqrt() - u.sin());
    println!("f(x)  = sqrt(x^2 + e^(x^2)) + cos(x^2 + e^(x^2)) at x = {x}");
    println!("value = {value:.12}");
    println!("df/dx = {:.12}   (closed form {closed_form:.12})", grad.x);

    let (value, grad) = g_grad(1.5, -2.0);
    assert_eq!(value, g(1.5, -2.0));
    println!();
    println!("g(x, y) = 3x^2(2y + 7) at (1.5, -2.0)");
    println!("value = {value}");
    println!(
        "grad  = ({}, {})   (closed form ({}, {}))",
        grad.x,
        grad.y,
        6.0 * 1.5 * (2.0 * -2.0 + 7.0),
        6.0 * 1.5 * 1.5
    );
}

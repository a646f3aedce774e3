// A function marked #[differentiate] inside another function's body is called on a
// differentiated value by a function defined beside it. Generated code cannot look up the
// items of a function body, so `g_vjp` is not visible to `f`'s derivative: the error is at
// the call, and says that a marked function must be defined at a module's top level.
// The fix: move `g` (or both) to the module's top level.
use tapeless::differentiate;

fn main() {
    #[differentiate]
    fn g(t: f64) -> f64 {
        t * t + 1.0
    }

    #[differentiate]
    fn f(x: f64) -> f64 {
        g(2.0 * x) + x
    }

    let _ = f_grad(1.0);
}

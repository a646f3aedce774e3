// Forward mode does not handle this function yet (a call of a method, `self.scale(x)`: methods
// have no forward entry point for callers), and its output is not a scalar, so `f_jvp` has no
// reverse-sweep fallback: the function still builds and has `f_grad`/`f_vjp`, and only
// calling `f_jvp` is an error.
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Spring {
    k: f64,
}

#[differentiate]
impl Spring {
    #[differentiate]
    fn scale(&self, x: f64) -> f64 {
        self.k * x
    }

    #[differentiate]
    fn pair(&self, x: f64) -> Vec<f64> {
        let a = self.scale(x);
        let mut out = vec![0.0; 2];
        out[0] = a;
        out[1] = x;
        out
    }
}

fn main() {
    let s = Spring { k: 2.0 };
    let _ = s.pair_vjp(0.5, vec![1.0, 0.0]);
    let _ = s.pair_jvp(0.5, &SpringPairGrad { self_: Spring { k: 1.0 }, x: 0.0 });
}

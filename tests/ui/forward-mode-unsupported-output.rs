// Forward mode does not handle this function yet (a call of a method of a field,
// `self.spring.scale(x)`, goes through its `_vjp` only), and its output is a tuple, neither
// a scalar nor vector-like, so `f_jvp` has no reverse-sweep fallback: the function still
// builds and has `f_vjp`, and only calling `f_jvp` is an error.
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Spring {
    k: f64,
}

#[derive(tapeless::Differentiable, Clone)]
struct Model {
    spring: Spring,
}

#[differentiate]
impl Spring {
    #[differentiate]
    fn scale(&self, x: f64) -> f64 {
        self.k * x
    }
}

#[differentiate]
impl Model {
    #[differentiate]
    fn pair(&self, x: f64) -> (f64, f64) {
        let a = self.spring.scale(x);
        (a, x)
    }
}

fn main() {
    let m = Model { spring: Spring { k: 2.0 } };
    let _ = m.pair_vjp(0.5, (1.0, 0.0));
    let t = ModelPairGrad { self_: Model { spring: Spring { k: 1.0 } }, x: 0.0 };
    let _ = m.pair_jvp(0.5, &t);
}

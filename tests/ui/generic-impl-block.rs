// A generic `impl` block is not differentiated yet: one error at its type parameter, and
// the block's methods stay as written (no further errors from generated code).
use num_traits::Float;
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Spring<T> {
    k: T,
}

#[differentiate]
impl<T: Float> Spring<T> {
    #[differentiate]
    fn energy(&self, x: T) -> T {
        self.k * x * x
    }
}

fn main() {
    let _ = Spring { k: 2.0 }.energy(1.0);
}

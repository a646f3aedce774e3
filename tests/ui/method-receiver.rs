// A method (`&self`) is differentiated: methods are not supported yet; write a free
// function that takes the value as a parameter.
use tapeless::differentiate;

struct Model {
    scale: f64,
}

impl Model {
    #[differentiate]
    fn f(&self, x: f64) -> f64 {
        self.scale * x
    }
}

fn main() {
    let _ = Model { scale: 1.0 }.f(1.0);
}

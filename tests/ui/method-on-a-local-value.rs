// `l.forward(h)` on a local copy: a differentiated method is called on `self`, a field
// (`p.layer.forward(h)`), a parameter of its type or an element of a slice of it
// (`layers[0].forward(h)`, `for l in layers { l.forward(h) }`).
use tapeless::differentiate;

#[derive(tapeless::Differentiable, Clone)]
struct Dense {
    w: f64,
}

#[differentiate]
impl Dense {
    #[differentiate]
    fn forward(&self, x: f64) -> f64 {
        (self.w * x).tanh()
    }
}

#[differentiate]
fn f(layers: &[Dense], x: f64) -> f64 {
    let l = layers[0].clone();
    l.forward(x)
}

fn main() {}

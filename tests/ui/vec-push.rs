// `Vec::new()` with `push` of differentiated values: a vector whose length grows is not
// differentiated; allocate it with its length and write by index (`let mut v = vec![0.0; n];
// v[i] = ..;`), or collect a mapped chain (`let v: Vec<f64> = x.iter().map(|a| a * a).collect();`).
use tapeless::differentiate;

#[differentiate]
fn f(x: &[f64]) -> f64 {
    let mut v = Vec::new();
    for a in x {
        v.push(a * a);
    }
    v.iter().sum()
}

fn main() {}

use tapeless::differentiate;

#[differentiate(wrt(x))]
fn smallest_by_key(x: &[f64], key: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..key.len()).collect();
    order.sort_by(|&i, &j| key[i].partial_cmp(&key[j]).unwrap());
    x[order[0]] * 2.0
}

fn main() {}

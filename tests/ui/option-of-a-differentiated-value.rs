use tapeless::differentiate;

#[differentiate]
fn first_hit(x: f64) -> f64 {
    let hit = if x > 0.0 { Some(x) } else { None };
    match hit {
        Some(t) => t * t,
        None => 0.0,
    }
}

fn main() {}

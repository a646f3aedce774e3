//! A `map` before a `zip` (`xs.iter().map(f).zip(ys)`), as the unseen corpus's FIR filter
//! writes it (`signal.windows(k).map(|w| ..).zip(target)`): the chain it means is
//! `xs.iter().zip(ys).map(|(a, b)| (f(a), b))`. Oracles: closed forms, central
//! differences, `f_jvp` against `f_vjp`; generic code in f32.

#[path = "support/close.rs"]
mod support;

use support::close;
use tapeless::check::central_difference;
use tapeless::differentiate;

#[differentiate(wrt(xs))]
fn scaled_dot(xs: &[f64], ys: &[f64]) -> f64 {
    xs.iter()
        .map(|x| x * x)
        .zip(ys)
        .map(|(a, b)| a * b)
        .sum::<f64>()
}

#[test]
fn a_map_then_a_zip_in_closed_form() {
    let (xs, ys) = ([0.5, -1.5, 2.0], [1.0, 0.25, -0.5, 9.0]);
    let (value, g) = scaled_dot_grad(&xs, &ys);
    assert_eq!(value, scaled_dot(&xs, &ys));
    let want: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| 2.0 * x * y).collect();
    close("scaled_dot", &g.xs, &want, 1e-15);
}

/// The squared error of a FIR filter's valid-mode output: a window's dot product with the
/// reversed taps, then zipped with the target.
#[differentiate(wrt(taps))]
fn fir_loss(taps: &[f64], signal: &[f64], target: &[f64]) -> f64 {
    signal
        .windows(taps.len())
        .map(|w| {
            w.iter()
                .zip(taps.iter().rev())
                .map(|(x, h)| x * h)
                .sum::<f64>()
        })
        .zip(target)
        .map(|(y, t)| (y - t).powi(2))
        .sum()
}

#[test]
fn a_fir_filter_against_differences_and_forward_mode() {
    let signal = [0.0, 1.0, 0.5, -0.3, 0.8, 1.2, -0.7, 0.1, 0.4];
    let taps = [0.5, 0.3, -0.1];
    let target = [0.2, 0.6, 0.1, 0.3, 0.9, 0.2, -0.3];
    let (value, g) = fir_loss_grad(&taps, &signal, &target);
    assert_eq!(value, fir_loss(&taps, &signal, &target));
    let fd = central_difference(|q| fir_loss(q, &signal, &target), &taps);
    close("fir", &g.taps, &fd, 1e-8);
    let t = vec![0.3, -1.1, 0.7];
    let (_, dy) = fir_loss_jvp(&taps, &signal, &target, &FirLossGrad { taps: t.clone() });
    let dot: f64 = t.iter().zip(&g.taps).map(|(a, b)| a * b).sum();
    assert!((dy - dot).abs() < 1e-12 * (1.0 + dot.abs()));
}

/// A pattern in the mapped closure, an `enumerate` after the zip, generic in f32.
#[differentiate]
fn weighted<T: num_traits::Float + std::iter::Sum>(xs: &[T], ws: &[T]) -> T {
    xs.iter()
        .map(|&x| x.exp())
        .zip(ws.iter())
        .enumerate()
        .map(|(i, (e, &w))| e * w * T::from(i + 1).unwrap())
        .sum()
}

#[test]
fn generic_code_in_f32_and_f64() {
    let (xs, ws) = ([0.1, -0.4, 0.3], [2.0, 0.5, -1.0]);
    let (_, g) = weighted_grad(&xs, &ws);
    let fd_x = central_difference(|q| weighted(q, &ws), &xs);
    close("weighted xs", &g.xs, &fd_x, 1e-8);
    let fd_w = central_difference(|q| weighted(&xs, q), &ws);
    close("weighted ws", &g.ws, &fd_w, 1e-8);
    let (x32, w32) = (xs.map(|v| v as f32), ws.map(|v| v as f32));
    let (_, g32) = weighted_grad(&x32, &w32);
    let g32: Vec<f64> = g32.xs.iter().map(|&v| f64::from(v)).collect();
    close("weighted f32", &g32, &fd_x, 1e-5);
}

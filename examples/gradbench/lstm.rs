//! GradBench's `lstm` (ADBench's LSTM; reference `cpp/gradbench/evals/lstm.hpp`): l layers
//! of diagonal LSTM cells predicting each next character (b bits) of a sequence of c; the
//! objective is the mean negative log-likelihood. `jacobian` is its gradient with respect
//! to `main_params` (row by row) followed by `extra_params`.

// Index loops, as the reference writes them; the state is copied into a `vec!` by a loop,
// the form of local array that `#[differentiate]` writes by index.
#![allow(
    clippy::needless_range_loop,
    clippy::manual_memcpy,
    clippy::too_many_arguments
)]

use serde_json::{json, Value};
use tapeless::differentiate;

use crate::protocol::{field, matrix, unknown, Runs};

#[differentiate]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `main_params` holds, per layer, 4b weights then 4b biases (gates forget, input, output,
/// change); `extra_params` the input weights, output weights and output biases (b each);
/// `state` per layer b hidden then b cell values; `sequence` c characters of b bits.
#[differentiate(wrt(main_params, extra_params))]
pub fn objective(
    main_params: &[f64],
    extra_params: &[f64],
    state: &[f64],
    sequence: &[f64],
    l: usize,
    c: usize,
    b: usize,
) -> f64 {
    let mut st = vec![0.0; 2 * l * b];
    for i in 0..2 * l * b {
        st[i] = state[i];
    }
    let mut ypred = vec![0.0; b];
    let mut total = 0.0;
    for t in 0..c - 1 {
        // lstm_predict: the input scaled by the input weights, through every layer.
        for i in 0..b {
            ypred[i] = sequence[t * b + i] * extra_params[i];
        }
        for layer in 0..l {
            let w = layer * 8 * b;
            let bias = w + 4 * b;
            let hidden = layer * 2 * b;
            let cell = hidden + b;
            for i in 0..b {
                // Layer 0 reads the scaled input, the others the hidden state just computed below.
                let input = if layer == 0 {
                    ypred[i]
                } else {
                    st[hidden - 2 * b + i]
                };
                let forget = sigmoid(input * main_params[w + i] + main_params[bias + i]);
                let ingate =
                    sigmoid(st[hidden + i] * main_params[w + b + i] + main_params[bias + b + i]);
                let outgate =
                    sigmoid(input * main_params[w + 2 * b + i] + main_params[bias + 2 * b + i]);
                let change = (st[hidden + i] * main_params[w + 3 * b + i]
                    + main_params[bias + 3 * b + i])
                    .tanh();
                st[cell + i] = st[cell + i] * forget + ingate * change;
                st[hidden + i] = outgate * st[cell + i].tanh();
            }
        }
        let last = (l - 1) * 2 * b;
        for i in 0..b {
            ypred[i] = st[last + i] * extra_params[b + i] + extra_params[2 * b + i];
        }
        // ADBench's log-sum-exp, with its "+ 2".
        let mut sum = 0.0;
        for i in 0..b {
            sum += ypred[i].exp();
        }
        let lse = (sum + 2.0).ln();
        for i in 0..b {
            total += sequence[(t + 1) * b + i] * (ypred[i] - lse);
        }
    }
    -total / ((c - 1) * b) as f64
}

struct Input {
    main_params: Vec<f64>,
    extra_params: Vec<f64>,
    state: Vec<f64>,
    sequence: Vec<f64>,
    l: usize,
    c: usize,
    b: usize,
}

fn parse(input: &Value) -> Result<Input, String> {
    let (main_params, rows, width) = matrix(field(input, "main_params")?)?;
    let (extra_params, extra_rows, extra_width) = matrix(field(input, "extra_params")?)?;
    let (state, state_rows, state_width) = matrix(field(input, "state")?)?;
    let (sequence, c, seq_width) = matrix(field(input, "sequence")?)?;
    let (l, b) = (rows / 2, width / 4);
    let shapes_agree = rows == 2 * l
        && l > 0
        && width == 4 * b
        && (extra_rows, extra_width) == (3, b)
        && (state_rows, state_width) == (2 * l, b)
        && seq_width == b
        && c >= 2;
    if !shapes_agree {
        return Err("lstm: the shapes of the parameters, state and sequence disagree".into());
    }
    Ok(Input {
        main_params,
        extra_params,
        state,
        sequence,
        l,
        c,
        b,
    })
}

pub fn run(function: &str, input: &Value, runs: &mut Runs) -> Result<Value, String> {
    let p = parse(input)?;
    match function {
        "objective" => Ok(json!(runs.time(|| {
            objective(
                &p.main_params,
                &p.extra_params,
                &p.state,
                &p.sequence,
                p.l,
                p.c,
                p.b,
            )
        }))),
        "jacobian" => {
            let g = runs.time(|| {
                objective_grad(
                    &p.main_params,
                    &p.extra_params,
                    &p.state,
                    &p.sequence,
                    p.l,
                    p.c,
                    p.b,
                )
                .1
            });
            let mut out = g.main_params;
            out.extend(g.extra_params);
            Ok(json!(out))
        }
        _ => Err(unknown("lstm", function)),
    }
}

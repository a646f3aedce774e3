"""h-qa6: random loop programs rich in kept transcendentals (for, while, loop, nested loops,
branches, continue/break/return, hessian, max_iterations, an f32 twin), printed as one test
file that checks each against its plain value (bits), central differences (with a smaller-step
retry near kinks), f_jvp against <grad, v>, f_hvp against differences of the gradient, and
the f32 twin against the f64 gradient. Usage: python3 tests/support/kept_gen.py SEED COUNT >
tests/qa6_gen.rs && cargo test --test qa6_gen -- --nocapture | grep BAD (then delete the file)."""
import random, sys
seed = int(sys.argv[1]); count = int(sys.argv[2])
R = random.Random(seed)
UN = ["({}).sin()", "({}).cos()", "({}).tanh()", "({}).atan()", "(0.3 * ({}).tanh()).exp()",
      "(({0}) * ({0}) + 0.5).sqrt()", "(({0}) * ({0}) + 1.0).ln()", "(({0}) * ({0})).ln_1p()",
      "({}).asinh()", "(0.5 * ({}).tanh()).sinh()", "(({0}) * ({0}) + 0.5).powf(0.7)",
      "({}).atan2(1.5)", "({}).hypot(0.7)", "(0.5 * ({}).tanh()).cosh()", "(0.2 * ({}).tanh()).exp_m1()"]
def atom(vars_):
    return R.choice(vars_)
def expr(vars_, d=0):
    r = R.random()
    if d > 2 or r < 0.3:
        a = atom(vars_)
        if R.random() < 0.3:
            return f"{a} * {R.choice(['0.5','1.3','-0.7','0.9'])}"
        return a
    if r < 0.7:
        f = R.choice(UN)
        e = expr(vars_, d + 1)
        return f.format(e)
    op = R.choice(["+", "-", "*"])
    return f"({expr(vars_, d+1)} {op} {expr(vars_, d+1)})"
class G:
    def __init__(self):
        self.n = 0
        self.lines = []
    def fresh(self):
        self.n += 1
        return f"t{self.n}"
    def emit(self, ind, s):
        self.lines.append("    " * ind + s)
    def block(self, ind, vars_, idx, depth, in_loop):
        k = R.randint(1, 3)
        for _ in range(k):
            c = R.random()
            if c < 0.35:
                t = self.fresh()
                self.emit(ind, f"let {t} = {expr(vars_)};")
                vars_ = vars_ + [t]
                self.emit(ind, f"s = 0.6 * s + ({R.choice(vars_)}) * {t} * 0.3;")
            elif c < 0.5 and depth < 2:
                th = R.choice(["0.0", "0.2", "-0.3"])
                self.emit(ind, f"if {R.choice(idx)} > {th} {{")
                self.block(ind + 1, vars_, idx, depth + 1, in_loop)
                self.emit(ind, "} else {")
                self.block(ind + 1, vars_, idx, depth + 1, in_loop)
                self.emit(ind, "}")
            elif c < 0.7 and depth < 2:
                self.loop(ind, vars_, depth)
            elif c < 0.8 and in_loop:
                kw = R.choice(["continue", "break", "return s * 0.5 + " + R.choice(vars_)])
                th = R.choice(["0.5", "0.7"])
                self.emit(ind, f"if {R.choice(idx)} > {th} {{")
                t = self.fresh()
                self.emit(ind + 1, f"let {t} = {expr(vars_)};")
                self.emit(ind + 1, f"s = s * 0.5 + {t};")
                self.emit(ind + 1, f"{kw};")
                self.emit(ind, "}")
            else:
                self.emit(ind, f"s = 0.7 * s + 0.3 * {expr(vars_)};")
    def loop(self, ind, vars_, depth):
        kind = R.choice(["for", "for", "while", "loop", "nested"])
        if kind in ("for", "nested"):
            v = "i" if depth == 0 else f"j{depth}"
            rng = "0..a.len()" if depth == 0 or kind == "for" else f"0..{R.choice(['2', 'a.len()'])}"
            self.emit(ind, f"for {v} in {rng} {{")
            x = f"a[{v}]"
            self.block(ind + 1, vars_ + [x], [x, "s"], depth + 1, True)
            self.emit(ind, "}")
        elif kind == "while":
            c = f"k{depth}_{self.n}"
            self.emit(ind, f"let mut {c} = 0;")
            self.emit(ind, f"while {c} < a.len() {{")
            x = f"a[{c}]"
            self.emit(ind + 1, f"let x{c} = {x};")
            self.emit(ind + 1, f"{c} += 1;")
            self.block(ind + 1, vars_ + [f"x{c}"], [f"x{c}", "s"], depth + 1, True)
            self.emit(ind, "}")
        else:
            c = f"m{depth}_{self.n}"
            self.emit(ind, f"let mut {c} = 0;")
            self.emit(ind, "loop {")
            self.emit(ind + 1, f"if {c} >= a.len() {{")
            self.emit(ind + 2, "break;")
            self.emit(ind + 1, "}")
            self.emit(ind + 1, f"let x{c} = a[{c}];")
            self.emit(ind + 1, f"{c} += 1;")
            self.block(ind + 1, vars_ + [f"x{c}"], [f"x{c}", "s"], depth + 1, True)
            self.emit(ind, "}")
out = ["#![allow(clippy::all, unused_mut, unused_variables, unused_assignments)]",
       "use tapeless::check::central_difference;", "use tapeless::differentiate;", ""]
tests = []
for p in range(count):
    g = G()
    g.emit(1, "let mut s = 0.1f64;")
    g.loop(1, ["s", "a[0]"], 0)
    if R.random() < 0.5:
        g.loop(1, ["s", "a[0]"], 0)
    hess = R.random() < 0.25
    bounded = R.random() < 0.3
    opts = [o for o, on in (("hessian", hess), ("max_iterations = 300", bounded)) if on]
    out.append("#[differentiate" + (("(" + ", ".join(opts) + ")") if opts else "") + "]")
    out.append(f"fn p{p}(a: &[f64]) -> f64 {{")
    out += g.lines
    out.append("    s")
    out.append("}")
    out.append("")
    body = "\n".join(g.lines).replace("0.1f64", "0.1f32")
    out.append("#[differentiate" + ("(max_iterations = 300)" if bounded else "") + "]")
    out.append(f"fn q{p}(a: &[f32]) -> f32 {{")
    out.append(body)
    out.append("    s")
    out.append("}")
    out.append("")
    tests.append((p, hess))
out.append("fn check(name: &str, f: &dyn Fn(&[f64]) -> f64, g: &dyn Fn(&[f64]) -> (f64, Vec<f64>), j: &dyn Fn(&[f64], Vec<f64>) -> (f64, f64), x: &[f64]) -> Option<String> {")
out.append("""    let v = f(x);
    let (gv, ga) = g(x);
    if gv.to_bits() != v.to_bits() { return Some(format!("{name} {x:?}: value {gv} vs {v}")); }
    let fd = central_difference(f, x);
    let dir: Vec<f64> = (0..x.len()).map(|i| (i as f64 * 1.3 + 0.4).sin()).collect();
    let (jv, dy) = j(x, dir.clone());
    if jv.to_bits() != v.to_bits() { return Some(format!("{name} {x:?}: jvp value")); }
    let e: f64 = ga.iter().zip(&dir).map(|(a, b)| a * b).sum();
    if (dy - e).abs() > 1e-9 * (1.0 + e.abs()) { return Some(format!("{name} {x:?}: jvp {dy} vs {e}")); }
    for i in 0..x.len() {
        if (ga[i] - fd[i]).abs() > 1e-5 * (1.0 + fd[i].abs()) {
            // A kink near x: accept when smaller steps agree with the gradient.
            let small: Vec<f64> = [1e-6, 1e-7].iter().map(|h| { let mut p = x.to_vec(); p[i] += h; let mut m = x.to_vec(); m[i] -= h; (f(&p) - f(&m)) / (2.0 * h) }).collect();
            if small.iter().all(|s| (ga[i] - s).abs() <= 1e-5 * (1.0 + s.abs())) { continue; }
            return Some(format!("{name} {x:?}: d{i} {} vs fd {} (small steps {small:?})", ga[i], fd[i]));
        }
    }
    None
}""")
out.append("#[test]\nfn gen() {\n    let mut bad = Vec::new();")
for p, hess in tests:
    out.append(f"    for x in [vec![0.33, -0.47, 0.81, 0.13], vec![0.93, 0.27, -0.41, 0.63], vec![0.41, -0.23], vec![0.17, 0.58, -0.36, 0.74, -0.12, 0.49]] {{")
    out.append(f"        if let Some(m) = check(\"p{p}\", &|x: &[f64]| p{p}(x), &|x: &[f64]| {{ let (v, g) = p{p}_grad(x); (v, g.a) }}, &|x: &[f64], d: Vec<f64>| p{p}_jvp(x, &P{p}Grad {{ a: d }}), &x) {{ bad.push(m); }}")
    if hess:
        out.append(f"        let dir: Vec<f64> = (0..x.len()).map(|i| (i as f64 * 0.7 + 0.1).cos()).collect();")
        out.append(f"        let (_, _, hv) = p{p}_hvp(&x, &P{p}Grad {{ a: dir.clone() }});")
        out.append(f"        let h = 1e-5; let xp: Vec<f64> = x.iter().zip(&dir).map(|(a, d)| a + h * d).collect(); let xm: Vec<f64> = x.iter().zip(&dir).map(|(a, d)| a - h * d).collect();")
        out.append(f"        let (gp, gm) = (p{p}_grad(&xp).1.a, p{p}_grad(&xm).1.a);")
        out.append(f"        for i in 0..x.len() {{ let fd = (gp[i] - gm[i]) / (2.0 * h); if (hv.a[i] - fd).abs() > 1e-4 * (1.0 + fd.abs()) {{ bad.push(format!(\"p{p} {{x:?}} hvp {{i}}: {{}} vs {{fd}}\", hv.a[i])); }} }}")
    out.append(f"        let xf: Vec<f32> = x.iter().map(|v| *v as f32).collect();")
    out.append(f"        let (vf, gf) = q{p}_grad(&xf);")
    out.append(f"        if vf.to_bits() != q{p}(&xf).to_bits() {{ bad.push(format!(\"q{p} value\")); }}")
    out.append(f"        let xd: Vec<f64> = xf.iter().map(|v| f64::from(*v)).collect();")
    out.append(f"        let (vd, gd) = p{p}_grad(&xd);")
    out.append(f"        if vd.abs() < 1e6 {{ for i in 0..x.len() {{ if (f64::from(gf.a[i]) - gd.a[i]).abs() > 2e-3 * (1.0 + gd.a[i].abs()) {{ bad.push(format!(\"q{p} {{x:?}} d{{i}}: f32 {{}} vs f64 {{}}\", gf.a[i], gd.a[i])); }} }} }}")
    out.append("    }")
out.append("    for b in &bad { println!(\"BAD {b}\"); }")
out.append("    assert!(bad.is_empty(), \"{} bad\", bad.len());\n}")
print("\n".join(out))

//! A `#![no_std] #![no_main]` program for x86_64 Linux that calls generated gradients and
//! exits with status 0 when they match their closed forms (1 otherwise). Linked with
//! `-nostartfiles -nostdlib` (see `.ci/run`): it has no `std`, no C library and no
//! allocator, so it links only if the gradients need none of them.
#![no_std]
#![no_main]
// C's memory functions below keep C's contracts; index loops mirror the math.
#![allow(clippy::missing_safety_doc, clippy::needless_range_loop)]

use nalgebra::{Matrix2, Vector2};
use tapeless_no_std_consumer::*;

fn close(a: f64, b: f64) -> bool {
    let scale = if b < 0.0 { -b } else { b };
    let d = a - b;
    (if d < 0.0 { -d } else { d }) <= 1e-9 * (1.0 + scale)
}

fn checks() -> bool {
    let (_, g) = power_grad(1.1, 10);
    let mut ok = close(g.x, 10.0 * libm::pow(1.1, 9.0));

    // p = x³ + 2x² + 3x + 4: ∂p/∂x = 3x² + 4x + 3, ∂p/∂c = (x³, x², x, 1).
    let (_, g) = horner_grad(&[1.0, 2.0, 3.0, 4.0], 0.5);
    ok &= close(g.x, 0.75 + 2.0 + 3.0);
    ok &= close(g.c[0], 0.125) && close(g.c[1], 0.25) && close(g.c[2], 0.5) && close(g.c[3], 1.0);

    let (_, g) = scalar_grad(0.3, -0.7);
    // ∂/∂x: y·cos(xy) + e^{x/2}/2/(1+y²); ∂/∂y: x·cos(xy) − 2y·e^{x/2}/(1+y²)².
    let (x, y) = (0.3_f64, -0.7_f64);
    let (e, q) = (libm::exp(x / 2.0), 1.0 + y * y);
    ok &= close(g.x, y * libm::cos(x * y) + e / 2.0 / q);
    ok &= close(g.y, x * libm::cos(x * y) - 2.0 * y * e / (q * q));
    let (value, gl) = scalar_libm_grad(x, y);
    ok &= value.to_bits() == scalar_libm(x, y).to_bits();
    ok &= close(gl.x, g.x) && close(gl.y, g.y);

    let (_, g) = rosenbrock_grad(&[0.5, -0.2, 1.1, 0.9]);
    let xs = [0.5, -0.2, 1.1, 0.9];
    let mut expected = [0.0; 4];
    for i in 0..3 {
        let b = xs[i + 1] - xs[i] * xs[i];
        expected[i] += -2.0 * (1.0 - xs[i]) - 400.0 * xs[i] * b;
        expected[i + 1] += 200.0 * b;
    }
    for i in 0..4 {
        ok &= close(g.x[i], expected[i]);
    }

    // The spring's gradient against forward-mode derivatives propagated by hand.
    let (k, c, v0) = (4.0, 0.3, -0.5);
    let (_, g) = spring_grad(k, c, v0);
    let (mut x, mut v) = (1.0, v0);
    // d(x, v)/d(k, c, v0), as [dk, dc, dv0] for x and for v.
    let (mut dx, mut dv) = ([0.0; 3], [0.0, 0.0, 1.0]);
    for _ in 0..STEPS {
        let a = -k * x - c * v;
        let da = [
            -x - k * dx[0] - c * dv[0],
            -k * dx[1] - v - c * dv[1],
            -k * dx[2] - c * dv[2],
        ];
        for j in 0..3 {
            dx[j] += 0.01 * dv[j];
            dv[j] += 0.01 * da[j];
        }
        x += 0.01 * v;
        v += 0.01 * a;
    }
    ok &= close(g.k, 2.0 * x * dx[0] + 2.0 * v * dv[0]);
    ok &= close(g.c, 2.0 * x * dx[1] + 2.0 * v * dv[1]);
    ok &= close(g.v0, 2.0 * x * dx[2] + 2.0 * v * dv[2]);

    // (Ax)·x + det A: ∂/∂A = x xᵀ + cof(A), ∂/∂x = (A + Aᵀ) x.
    let a = Matrix2::new(1.0, 2.0, -0.5, 3.0);
    let xv = Vector2::new(0.7, -1.1);
    let (_, g) = quadratic_grad(&a, &xv);
    let cof = Matrix2::new(3.0, 0.5, -2.0, 1.0);
    let da = xv * xv.transpose() + cof;
    let dx = (a + a.transpose()) * xv;
    for i in 0..2 {
        ok &= close(g.x[i], dx[i]);
        for j in 0..2 {
            ok &= close(g.a[(i, j)], da[(i, j)]);
        }
    }

    // p = (n + 1) x: ∂/∂x = (n + 1)(1, 2).
    let (_, g) = drift_grad(&xv, 7);
    ok &= close(g.x[0], 8.0) && close(g.x[1], 16.0);
    ok
}

/// Ends the process (Linux `exit_group`), the only system call this program makes.
fn exit(code: i32) -> ! {
    // SAFETY: `exit_group` takes one integer argument and does not return.
    unsafe {
        core::arch::asm!("syscall", in("rax") 231, in("rdi") code, options(noreturn));
    }
}

// The entry point (`-nostartfiles`: no C runtime calls `main`). The kernel enters `_start`
// with the stack 16-byte aligned, not as after a `call`: realign, then call `main`.
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "and rsp, -16",
    "call {main}",
    "ud2",
    main = sym main,
);

extern "C" fn main() -> ! {
    exit(if checks() { 0 } else { 1 })
}

// Without a C library, the memory functions the compiler calls are defined here, byte by
// byte (volatile, so the loops are not turned back into calls of themselves).

/// `memset`.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, value: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller passes `n` writable bytes at `dst`.
        unsafe { dst.add(i).write_volatile(value as u8) };
    }
    dst
}

/// `memcpy` (the regions do not overlap).
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller passes `n` readable bytes at `src`, `n` writable at `dst`.
        unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
    }
    dst
}

/// `memmove` (the regions may overlap).
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) < (src as usize) {
        // SAFETY: as for `memcpy`; copying forwards is safe when `dst` is below `src`.
        unsafe { memcpy(dst, src, n) }
    } else {
        for i in (0..n).rev() {
            // SAFETY: as for `memcpy`; backwards when `dst` is above `src`.
            unsafe { dst.add(i).write_volatile(src.add(i).read_volatile()) };
        }
        dst
    }
}

/// `memcmp`.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller passes `n` readable bytes at `a` and at `b`.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// `bcmp`.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: as for `memcmp`.
    unsafe { memcmp(a, b, n) }
}

/// The prebuilt `core` refers to the unwinding personality even under `panic = "abort"`;
/// it is never called.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(101)
}

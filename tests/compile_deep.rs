//! Long and deeply nested filter expressions (issue 12) through the C entry `pkt_compile`: the
//! seeded cases of the filter crate's test (crates/pkt-bpf/tests/compile_deep.rs, which checks
//! the Rust API on 64 KiB stacks and compares moderate sizes with libpcap) are compiled by
//! `pkt_compile` on threads with 256 KiB stacks, unoptimized and optimized. Each gives the
//! program `pkt::filter::compile::compile` gives, or its error: `-EINVAL`, or `-E2BIG` exactly
//! when the program is too long, with `pkt_errmsg()` saying what the Rust API says; never a
//! crash or a caught panic.
//!
//! ```sh
//! cargo test --test compile_deep -- --nocapture
//! COMPILE_DEEP_SEED=7 cargo test --release --test compile_deep -- --nocapture
//! ```

#[path = "../crates/pkt-bpf/tests/compile_deep/cases.rs"]
#[allow(dead_code)]
mod cases;

use cases::{cases, on_stack, seed, Case};
use pkt::ffi::{pkt_compile, pkt_errmsg, pkt_free_prog, PKT_COMPILE_OPTIMIZE};
use pkt::filter::compile::{compile, CompileError, Flags, DLT_EN10MB};
use pkt::filter::Insn;
use std::ffi::{CStr, CString};
use std::time::Instant;

const STACK: usize = 256 * 1024;

/// What `pkt_compile` said: the program, or -errno and pkt_errmsg().
fn c_compile(text: &str, flags: u32) -> Result<Vec<Insn>, (i32, String)> {
    let c = CString::new(text).unwrap();
    let mut p = std::ptr::null_mut();
    let mut n = 0usize;
    // SAFETY: a NUL-terminated string and writable out-pointers.
    let rc = unsafe { pkt_compile(c.as_ptr(), DLT_EN10MB, 0, flags, &mut p, &mut n) };
    if rc != 0 {
        // SAFETY: pkt_errmsg returns this thread's NUL-terminated message.
        let msg = unsafe { CStr::from_ptr(pkt_errmsg()) }
            .to_string_lossy()
            .into_owned();
        return Err((rc, msg));
    }
    // SAFETY: `p` holds `n` instructions from pkt_compile; freed right after the copy.
    let prog = unsafe { std::slice::from_raw_parts(p.cast::<Insn>(), n) }.to_vec();
    // SAFETY: `p` came from pkt_compile.
    unsafe { pkt_free_prog(p) };
    Ok(prog)
}

/// Compiles `text` with `pkt_compile` and with the Rust API, unoptimized and optimized, and
/// checks that they agree; returns the C entry's answers.
fn check(c: &Case) -> Vec<Result<usize, i32>> {
    let mut outs = Vec::new();
    for optimize in [false, true] {
        let text = c.text.clone();
        let (ours, theirs) = on_stack(STACK, move || {
            let flags = Flags {
                optimize,
                live: false,
                savefile: false,
                swapped: false,
            };
            let ours: Result<Vec<Insn>, CompileError> = compile(&text, DLT_EN10MB, 0, flags);
            let c_flags = if optimize { PKT_COMPILE_OPTIMIZE } else { 0 };
            (ours, c_compile(&text, c_flags))
        });
        let what = format!("{} (optimize {optimize})", c.name);
        match (&ours, &theirs) {
            (Ok(p), Ok(q)) => assert_eq!(p, q, "{what}: the C entry gives another program"),
            (Err(e), Err((rc, cm))) => {
                let want = if e.is_too_long() {
                    -libc::E2BIG
                } else {
                    -libc::EINVAL
                };
                assert_eq!(
                    *rc, want,
                    "{what}: pkt_compile returned {rc}: {cm} (Rust API: {e})"
                );
                assert!(cm.contains(&e.to_string()), "{what}: {cm:?} does not say {e}");
                assert!(!cm.contains("internal error"), "{what}: {cm}");
            }
            _ => panic!("{what}: the Rust API says {ours:?}, the C entry {theirs:?}"),
        }
        outs.push(theirs.map(|p| p.len()).map_err(|(rc, _)| rc));
    }
    outs
}

#[test]
fn long_and_deep_expressions_through_pkt_compile() {
    let started = Instant::now();
    for c in cases(seed()) {
        let t = Instant::now();
        let outs = check(&c);
        println!(
            "{:<34} {:>8} bytes {:>7.3} s | O0: {:?} | O1: {:?}",
            c.name,
            c.text.len(),
            t.elapsed().as_secs_f64(),
            outs[0],
            outs[1]
        );
    }
    println!(
        "compile_deep (pkt_compile): all cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

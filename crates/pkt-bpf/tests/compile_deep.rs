//! Long and deeply nested filter expressions (issue 12): the compiler must never overflow the
//! stack, whatever the input. Expressions of 10^4 to 10^5 terms (chains of `and`/`or`,
//! arithmetic chains in relations) and nesting up to and beyond the limit (parentheses, `not`s,
//! unary minus, nested `and`/`or`, nested id lists) are compiled through
//! `pkt_bpf::compile::compile` on threads with 64 KiB stacks: each gives a valid program or an
//! error with a position, never a crash or a caught panic. Moderate sizes (1000 terms, 1000
//! levels) are compared with libpcap's `pcap_compile` (tests/compile_diff/pcap_ref.c, built
//! here as by tests/compile_diff.rs): same answer, and where the programs differ, the same
//! verdict on every packet of the differential test's corpus. The cases are in
//! compile_deep/cases.rs; libpkt's tests/compile_deep.rs runs them through its C entry
//! `pkt_compile`.
//!
//! ```sh
//! cargo test -p pkt-bpf --test compile_deep -- --nocapture
//! COMPILE_DEEP_SEED=7 cargo test --release -p pkt-bpf --test compile_deep -- --nocapture
//! ```

#[path = "compile_diff/packets.rs"]
#[allow(dead_code)]
mod packets;

#[path = "compile_deep/cases.rs"]
mod cases;

use cases::*;
use pkt_bpf::compile::{compile, Flags, DLT_EN10MB};
use pkt_bpf::{run, validate, Insn};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One compilation's outcome for the checks: the program, or the error's text.
type Outcome = Result<Vec<Insn>, String>;

/// Compiles `text` unoptimized and optimized (on a 64 KiB stack) and checks every answer;
/// returns the (unoptimized, optimized) outcomes.
fn check(c: &Case) -> (Outcome, Outcome) {
    let mut outs = Vec::new();
    for optimize in [false, true] {
        let text = c.text.clone();
        let ours = on_stack(SMALL_STACK, move || {
            compile(
                &text,
                DLT_EN10MB,
                0,
                Flags {
                    optimize,
                    live: false,
                    savefile: false,
                    swapped: false,
                },
            )
            .map_err(|e| (e.to_string(), e.is_too_long()))
        });
        let what = format!("{} (optimize {optimize})", c.name);
        match &ours {
            Ok(p) => {
                assert!(validate(p).is_ok(), "{what}: invalid program");
                assert!(p.len() <= 4096, "{what}: {} instructions", p.len());
            }
            Err((m, too_long)) => {
                assert!(m.starts_with("position "), "{what}: {m}");
                assert!(!m.contains("internal error"), "{what}: {m}");
                assert_eq!(*too_long, m.contains("program too long"), "{what}: {m}");
            }
        }
        outs.push(ours.map_err(|(m, _)| m));
    }
    let opt = outs.pop().unwrap();
    let plain = outs.pop().unwrap();
    let err = |o: &Outcome| o.as_ref().err().cloned().unwrap_or_default();
    match c.want {
        Want::Program => {
            assert!(
                plain.is_ok() || err(&plain).contains("program too long"),
                "{}: {}",
                c.name,
                err(&plain)
            );
            assert!(opt.is_ok(), "{}: {}", c.name, err(&opt));
        }
        Want::Optimized => assert!(opt.is_ok(), "{}: {}", c.name, err(&opt)),
        Want::TooDeep => {
            for o in [&plain, &opt] {
                assert!(
                    err(o).contains(&format!("nested too deeply (more than {MAX_DEPTH} levels)")),
                    "{}: {o:?}",
                    c.name
                );
            }
        }
        Want::Error => assert!(plain.is_err() && opt.is_err(), "{}: accepted", c.name),
        Want::Any => {}
    }
    (plain, opt)
}

fn summary(o: &Outcome) -> String {
    match o {
        Ok(p) => format!("{} insns", p.len()),
        Err(m) => m.chars().take(90).collect(),
    }
}

#[test]
fn long_and_deep_expressions_never_crash() {
    let started = Instant::now();
    for c in cases(seed()) {
        let t = Instant::now();
        let (plain, opt) = check(&c);
        println!(
            "{:<34} {:>8} bytes {:>7.3} s | O0: {} | O1: {}",
            c.name,
            c.text.len(),
            t.elapsed().as_secs_f64(),
            summary(&plain),
            summary(&opt)
        );
    }
    println!(
        "compile_deep: all cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The smallest stack the compiler is documented to need (libpkt's `pkt_compile`, 64 KiB): the
/// deepest accepted nesting and a long chain compile on it.
#[test]
fn deepest_nesting_on_a_small_stack() {
    for (text, optimize) in [
        (wrap("(", "tcp", ")", MAX_DEPTH), true),
        (wrap("not ", "udp", "", MAX_DEPTH), false),
        (format!("ip[0] = {}", wrap("(", "1", ")", MAX_DEPTH)), true),
        (format!("ip[0] = {}", vec!["1"; 15_000].join("+")), true),
    ] {
        let r = on_stack(SMALL_STACK, move || {
            compile(
                &text,
                DLT_EN10MB,
                0,
                Flags {
                    optimize,
                    live: false,
                    savefile: false,
                    swapped: false,
                },
            )
            .map(|p| p.len())
        });
        assert!(r.is_ok(), "{r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// libpcap, for moderate sizes.
// ---------------------------------------------------------------------------------------------

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Builds tests/compile_diff/pcap_ref.c (as tests/compile_diff.rs does).
fn pcap_ref() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile_deep");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("pcap_ref");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile_diff/pcap_ref.c");
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&bin)
        .arg(&src)
        .arg("-lpcap")
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot build pcap_ref (apt-get install libpcap-dev): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(bin)
}

/// libpcap's answers (dead EN10MB handle, snaplen 262144), one per expression.
fn libpcap(bin: &Path, exprs: &[String], optimize: bool) -> Vec<Result<Vec<Insn>, String>> {
    let file = bin.with_file_name(format!("exprs-O{}.txt", u8::from(optimize)));
    std::fs::write(&file, exprs.join("\n") + "\n").unwrap();
    let out = Command::new(bin)
        .args(["dead", "1", "262144", if optimize { "1" } else { "0" }])
        .arg(&file)
        .output()
        .expect("run pcap_ref");
    assert!(
        out.status.success(),
        "pcap_ref: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refs: Vec<_> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            if let Some(m) = l.strip_prefix("ERR ") {
                return Err(m.to_owned());
            }
            let n: Vec<u32> = l[3..].split(' ').map(|x| x.parse().unwrap()).collect();
            Ok(n[1..]
                .chunks(4)
                .map(|c| Insn {
                    code: c[0] as u16,
                    jt: c[1] as u8,
                    jf: c[2] as u8,
                    k: c[3],
                })
                .collect())
        })
        .collect();
    assert_eq!(refs.len(), exprs.len());
    refs
}

/// Moderate sizes of the same shapes, compared with libpcap. Needs libpcap-dev and root (the
/// comparison runs in a network namespace of its own, as tests/compile_diff.rs does, though
/// these expressions name no host); skipped without them, except with CI=true.
#[test]
fn moderate_sizes_equal_libpcap() {
    let bin = match pcap_ref() {
        Ok(b) => b,
        Err(why) => {
            assert!(!ci(), "{why}");
            return eprintln!("compile_deep libpcap: SKIPPED: {why}");
        }
    };
    // SAFETY: unshare(CLONE_NEWNET) changes only the calling thread's network namespace.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        let why = format!(
            "unshare(CLONE_NEWNET): {} (needs root)",
            std::io::Error::last_os_error()
        );
        assert!(!ci(), "{why}");
        return eprintln!("compile_deep libpcap: SKIPPED: {why}");
    }
    let mut r = Rng(SEED ^ 1);
    let r = &mut r;
    let mut exprs = vec![
        wrap("(", "tcp", ")", 1000),
        wrap("(", "port 80", ")", 1000),
        wrap("not ", "udp", "", 1000),
        wrap("not ", "udp", "", 1001),
        wrap("! ", "host 10.0.0.1", "", 999),
        format!("ip[0] = {}", wrap("(", "1", ")", 1000)),
        format!("len = {}", wrap("-", "1", "", 1000)),
        format!("port {}", wrap("(", "80", ")", 1000)),
        format!("ip[0] = {}", vec!["1"; 1000].join("+")),
        format!("len > {}", vec!["1"; 1000].join("*")),
        format!("ip[0] & {} != 0", vec!["255"; 1000].join("&")),
        format!("ip[0] = {}", vec!["1"; 16].join("^")),
        format!("ip[0] = {}", vec!["1"; 17].join("^")),
        vec!["tcp"; 1000].join(" and "),
        vec!["udp"; 1000].join(" or "),
        format!(
            "port {}",
            (0..100).map(|i| i.to_string()).collect::<Vec<_>>().join(" or ")
        ),
    ];
    for _ in 0..4 {
        let n = r.range(100, 300);
        exprs.push(chain(r, n, &["and", "or", "&&", "||"]));
        let n = r.range(300, 1000);
        let num = ["1", "3", "255"][r.below(3)];
        exprs.push(format!("ip[0] = {}", arith_chain(r, n, ARITH_OPS, num)));
        let d = r.range(100, 300);
        exprs.push(nested(r, d));
        let n = r.range(100, 300);
        exprs.push(walk(r, n, 1000));
    }
    let corpus = packets::corpus().en10mb;
    let (mut same, mut equivalent, mut both_reject, mut too_long) = (0, 0, 0, 0);
    for optimize in [false, true] {
        let t = Instant::now();
        let refs = libpcap(&bin, &exprs, optimize);
        println!(
            "compile_deep libpcap: optimize {optimize}: {:.1} s",
            t.elapsed().as_secs_f64()
        );
        for (e, theirs) in exprs.iter().zip(refs) {
            let e2 = e.clone();
            let ours = on_stack(SMALL_STACK, move || {
                compile(
                    &e2,
                    DLT_EN10MB,
                    0,
                    Flags {
                        optimize,
                        live: false,
                        savefile: false,
                        swapped: false,
                    },
                )
            });
            let short: String = e.chars().take(60).collect();
            let what = format!("{short}... ({} bytes, optimize {optimize})", e.len());
            match (ours, theirs) {
                (Ok(p), Ok(q)) if p == q => same += 1,
                (Ok(p), Ok(q)) => {
                    assert!(validate(&q).is_ok(), "{what}: libpcap's program is invalid");
                    for pk in &corpus {
                        assert_eq!(
                            run(&p, &pk.data, &pk.meta),
                            run(&q, &pk.data, &pk.meta),
                            "{what}: verdicts differ on {}",
                            pk.desc
                        );
                    }
                    equivalent += 1;
                }
                // Both too long for the kernel (ours does not optimize more than 12000 blocks).
                (Err(m), Ok(q)) => {
                    assert!(
                        (m.msg.contains("program too long") || m.msg.contains("too complex"))
                            && q.len() > 4096,
                        "{what}: ours refuses ({m}), libpcap gives {} instructions",
                        q.len()
                    );
                    too_long += 1;
                }
                (Ok(_), Err(m)) => panic!("{what}: ours accepts, libpcap refuses: {m}"),
                (Err(_), Err(_)) => both_reject += 1,
            }
        }
    }
    println!(
        "compile_deep libpcap: {} expressions x 2: same program {same}, same verdicts {equivalent}, both reject {both_reject}, too long for the kernel {too_long}",
        exprs.len()
    );
}

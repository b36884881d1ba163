//! Long and deeply nested filter expressions (issue 12): the compiler must never overflow the
//! stack, whatever the input. Expressions of 10^4 to 10^5 terms (chains of `and`/`or`,
//! arithmetic chains in relations) and nesting up to and beyond the limit (parentheses, `not`s,
//! unary minus, nested `and`/`or`, nested id lists) are compiled on threads with 64 KiB and
//! 256 KiB stacks, through `pkt::filter::compile::compile` and through the C entry
//! `pkt_compile`: each gives a valid program or an error with a position (`-EINVAL` or
//! `-E2BIG`), never a crash or a caught panic. Moderate sizes (1000 terms, 1000 levels) are
//! compared with libpcap's `pcap_compile` (tests/compile_diff/pcap_ref.c, built here as by
//! tests/compile_diff.rs): same answer, and where the programs differ, the same verdict on
//! every packet of the differential test's corpus.
//!
//! ```sh
//! cargo test --test compile_deep -- --nocapture
//! COMPILE_DEEP_SEED=7 cargo test --release --test compile_deep -- --nocapture
//! ```

#[path = "compile_diff/packets.rs"]
#[allow(dead_code)]
mod packets;

use pkt::ffi::{pkt_compile, pkt_errmsg, pkt_free_prog, PKT_COMPILE_OPTIMIZE};
use pkt::filter::compile::{compile, Flags, DLT_EN10MB};
use pkt::filter::{run, validate, Insn};
use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The deepest nesting the compiler accepts (src/filter/compile/parser.rs).
const MAX_DEPTH: usize = 10_000;
const SEED: u64 = 0x6465_6570_0000_0012;
const SMALL_STACK: usize = 64 * 1024;
const STACK: usize = 256 * 1024;

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const PRIMS: &[&str] = &[
    "tcp",
    "udp",
    "ip",
    "ip6",
    "arp",
    "icmp",
    "port 80",
    "tcp port 443",
    "src port 53",
    "host 10.0.0.1",
    "dst net 10.1.0.0/16",
    "ip[0] = 69",
    "ip[2:2] > 40",
    "len > 100",
    "ether broadcast",
    "tcp[13] & 2 != 0",
];
const ARITH_OPS: &[&str] = &["+", "-", "*", "&", "|"];

/// What an expression must give, besides never crashing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    /// A program, with and without optimizing (or an error that the program is too long).
    Program,
    /// A program when optimized.
    Optimized,
    /// An error about the nesting.
    TooDeep,
    /// Any error.
    Error,
    /// A program or an error: only no crash.
    Any,
}

struct Case {
    name: String,
    text: String,
    want: Want,
}

fn case(name: impl Into<String>, text: String, want: Want) -> Case {
    Case {
        name: name.into(),
        text,
        want,
    }
}

fn chain(rng: &mut Rng, n: usize, ops: &[&str]) -> String {
    let mut s = String::with_capacity(n * 12);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
            s.push_str(rng.pick(ops));
            s.push(' ');
        }
        s.push_str(rng.pick(PRIMS));
    }
    s
}

fn arith_chain(rng: &mut Rng, n: usize, ops: &[&str], num: &str) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            // `1-1` would be one token (an id), as in libpcap's scanner.
            match rng.pick(ops) {
                "-" => s.push_str(" - "),
                op => s.push_str(op),
            }
        }
        s.push_str(num);
    }
    s
}

fn wrap(open: &str, inner: &str, close: &str, d: usize) -> String {
    format!("{}{inner}{}", open.repeat(d), close.repeat(d))
}

/// `(p1 and (p2 or (p3 and ... p)))`, `d` levels of nested parentheses.
fn nested(rng: &mut Rng, d: usize) -> String {
    let mut s = String::new();
    for i in 0..d {
        s.push('(');
        s.push_str(rng.pick(PRIMS));
        s.push_str(if i % 2 == 0 { " and " } else { " or " });
        if rng.below(4) == 0 {
            s.push_str("not ");
        }
    }
    s.push_str(rng.pick(PRIMS));
    s.push_str(&")".repeat(d));
    s
}

/// A random walk of nesting: terms, `and`/`or`, `not`s and parentheses, at most `max` deep.
fn walk(rng: &mut Rng, terms: usize, max: usize) -> String {
    let mut s = String::new();
    let mut depth = 0;
    for i in 0..terms {
        if i > 0 {
            while depth > 0 && rng.below(3) == 0 {
                s.push(')');
                depth -= 1;
            }
            s.push_str(if rng.below(2) == 0 { " and " } else { " or " });
        }
        while depth < max && rng.below(3) != 0 {
            s.push('(');
            depth += 1;
            if rng.below(5) == 0 {
                s.push_str("not ");
            }
        }
        s.push_str(rng.pick(PRIMS));
    }
    s.push_str(&")".repeat(depth));
    s
}

/// The seeded cases: chains of 10^4..10^5 terms and nesting up to and beyond [`MAX_DEPTH`].
fn cases(seed: u64) -> Vec<Case> {
    let mut rng = Rng(seed);
    let r = &mut rng;
    let mut v = Vec::new();
    // Long flat chains. Their programs are far too long (or too complex to optimize).
    for ops in [&["and"][..], &["or"], &["and", "or", "&&", "||"]] {
        let n = r.range(10_000, 30_000);
        v.push(case(format!("chain {ops:?} x{n}"), chain(r, n, ops), Want::Error));
    }
    let n = r.range(90_000, 100_000);
    v.push(case(
        format!("tcp and x{n}"),
        vec!["tcp"; n].join(" and "),
        Want::Error,
    ));
    // Arithmetic chains: libpcap's optimizer folds the constants (`ip[0] = 1+1+...+1` is 6
    // instructions); unoptimized they are far too long.
    let n = r.range(10_000, 20_000);
    v.push(case(
        format!("ip[0] = 1+..+1 x{n}"),
        format!("ip[0] = {}", arith_chain(r, n, &["+"], "1")),
        Want::Optimized,
    ));
    let n = r.range(50_000, 100_000);
    v.push(case(
        format!("len > 1*..*1 x{n}"),
        format!("len > {}", arith_chain(r, n, &["*"], "1")),
        Want::Optimized,
    ));
    for _ in 0..2 {
        let n = r.range(10_000, 50_000);
        let num = ["1", "2", "7", "255"][r.below(4)];
        v.push(case(
            format!("arith mixed x{n}"),
            format!("ip[0] = {}", arith_chain(r, n, ARITH_OPS, num)),
            Want::Any,
        ));
    }
    v.push(case(
        "ip[0] & 255&..",
        format!("ip[0] & {} != 0", arith_chain(r, 20_000, &["&"], "255")),
        Want::Any,
    ));
    // `%` and `^` nest to the right: too many registers, or too deep.
    v.push(case(
        "1^1^..",
        format!("ip[0] = {}", arith_chain(r, 20_000, &["^"], "1")),
        Want::Error,
    ));
    // Nesting.
    for d in [1000, r.range(2000, 9000), MAX_DEPTH] {
        // A load (`ip[0]`) or a `not` inside is a level too.
        let (p, d) = if d == MAX_DEPTH {
            ("tcp", d)
        } else {
            (r.pick(PRIMS), d)
        };
        v.push(case(format!("( x{d} {p}"), wrap("(", p, ")", d), Want::Program));
        v.push(case(
            format!("not x{d} {p}"),
            wrap("not ", p, "", d),
            Want::Program,
        ));
        v.push(case(format!("! x{d} {p}"), wrap("!", p, "", d), Want::Program));
        v.push(case(
            format!("arith ( x{d}"),
            format!("ip[0] = {}", wrap("(", "1", ")", d)),
            Want::Program,
        ));
        v.push(case(
            format!("- x{d}"),
            format!("len = {}", wrap("-", "1", "", d)),
            Want::Optimized,
        ));
        v.push(case(
            format!("port ( x{d}"),
            format!("port {}", wrap("(", "80", ")", d)),
            Want::Program,
        ));
        v.push(case(
            format!("vlan ( x{d}"),
            format!("vlan {}", wrap("(", "100", ")", d)),
            Want::Program,
        ));
    }
    for d in [MAX_DEPTH + 1, r.range(20_000, 100_000)] {
        v.push(case(format!("( x{d}"), wrap("(", "tcp", ")", d), Want::TooDeep));
        v.push(case(
            format!("not x{d}"),
            wrap("not ", "tcp", "", d),
            Want::TooDeep,
        ));
        v.push(case(
            format!("arith ( x{d}"),
            format!("ip[0] = {}", wrap("(", "1", ")", d)),
            Want::TooDeep,
        ));
        v.push(case(
            format!("- x{d}"),
            format!("len = {}", wrap("-", "1", "", d)),
            Want::TooDeep,
        ));
        v.push(case(
            format!("host ( x{d}"),
            format!("host {}", wrap("(", "10.0.0.1", ")", d)),
            Want::TooDeep,
        ));
    }
    for d in [r.range(1000, 3000), r.range(4000, MAX_DEPTH / 2)] {
        v.push(case(format!("nested x{d}"), nested(r, d), Want::Any));
        // An id list nested: `host 10.0.0.1 and (10.0.0.2 or (...))`.
        let mut ids = String::from("host 10.0.0.1");
        for i in 0..d {
            write!(
                ids,
                " {} (10.{}.{}.{}",
                ["and", "or"][i % 2],
                i >> 16,
                (i >> 8) & 255,
                i & 255
            )
            .unwrap();
        }
        ids.push_str(&")".repeat(d));
        v.push(case(format!("host id list nested x{d}"), ids, Want::Any));
        let mut ports = String::from("port (80");
        for i in 0..d {
            write!(ports, " or ({}", 1 + i % 65535).unwrap();
        }
        ports.push_str(&")".repeat(d + 1));
        v.push(case(format!("port id list nested x{d}"), ports, Want::Any));
    }
    for max in [10, 100, 1000, MAX_DEPTH / 3] {
        let n = r.range(2000, 10_000);
        v.push(case(format!("walk x{n} depth {max}"), walk(r, n, max), Want::Any));
    }
    // Flat id lists of 10^4 ids.
    let ports: Vec<String> = (0..20_000).map(|i| (i % 65536).to_string()).collect();
    v.push(case(
        "port a or b or ..",
        format!("port {}", ports.join(" or ")),
        Want::Error,
    ));
    v.push(case(
        "port (a or b or ..)",
        format!("tcp and port ({})", ports.join(" or ")),
        Want::Error,
    ));
    // Garbage.
    v.push(case("( unclosed", "(".repeat(100_000), Want::Error));
    v.push(case(") x", ")".repeat(100_000), Want::Error));
    v.push(case("not alone", "not ".repeat(100_000), Want::Error));
    v.push(case("and x", "and ".repeat(100_000), Want::Error));
    v.push(case(
        "(( 1 and",
        format!("{}1 and tcp", "(".repeat(50_000)),
        Want::Error,
    ));
    v.push(case(
        "ip[ nested",
        format!("len = {}0{}", "ip[".repeat(30_000), "]".repeat(30_000)),
        Want::Any,
    ));
    v
}

/// Runs `f` on a new thread with a stack of `stack` bytes (a crash there ends the process).
fn on_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the compiler panicked")
}

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

/// One compilation's outcome for the checks: the program, or the error's text.
type Outcome = Result<Vec<Insn>, String>;

/// Compiles `text` four ways (Rust API on a 64 KiB stack, C entry on a 256 KiB stack, each
/// unoptimized and optimized) and checks every answer; returns the (unoptimized, optimized)
/// outcomes.
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
                },
            )
            .map_err(|e| e.to_string())
        });
        let text = c.text.clone();
        let flags = if optimize { PKT_COMPILE_OPTIMIZE } else { 0 };
        let theirs = on_stack(STACK, move || c_compile(&text, flags));
        let what = format!("{} (optimize {optimize})", c.name);
        match (&ours, &theirs) {
            (Ok(p), Ok(q)) => {
                assert_eq!(p, q, "{what}: the C entry gives another program");
                assert!(validate(p).is_ok(), "{what}: invalid program");
                assert!(p.len() <= 4096, "{what}: {} instructions", p.len());
            }
            (Err(m), Err((rc, cm))) => {
                assert!(m.starts_with("position "), "{what}: {m}");
                assert!(
                    *rc == -libc::EINVAL || *rc == -libc::E2BIG,
                    "{what}: pkt_compile returned {rc}: {cm}"
                );
                assert!(cm.contains(m.as_str()), "{what}: {cm:?} does not say {m:?}");
                assert!(!cm.contains("internal error"), "{what}: {cm}");
                assert_eq!(
                    *rc == -libc::E2BIG,
                    m.contains("program too long"),
                    "{what}: {rc} {m}"
                );
            }
            _ => panic!("{what}: the Rust API says {ours:?}, the C entry {theirs:?}"),
        }
        outs.push(ours);
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
    let seed = std::env::var("COMPILE_DEEP_SEED").map_or(SEED, |s| s.parse().expect("COMPILE_DEEP_SEED"));
    let started = Instant::now();
    for c in cases(seed) {
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

/// The smallest stack the compiler is documented to need (src/ffi/compile.rs): the deepest
/// accepted nesting and a long chain compile on it.
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

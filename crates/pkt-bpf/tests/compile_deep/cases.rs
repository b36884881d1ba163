//! The seeded long and deeply nested filter expressions of issue 12, shared by the Rust API's
//! test (crates/pkt-bpf/tests/compile_deep.rs) and the C entry's (tests/compile_deep.rs of
//! libpkt, `pkt_compile`), which include this file as a module.

use std::fmt::Write as _;

/// The deepest nesting the compiler accepts (src/compile/parser.rs).
pub const MAX_DEPTH: usize = 10_000;
pub const SEED: u64 = 0x6465_6570_0000_0012;
/// The smallest stack the compiler is documented to need (libpkt's `pkt_compile`).
pub const SMALL_STACK: usize = 64 * 1024;

/// splitmix64.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

pub const PRIMS: &[&str] = &[
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
pub const ARITH_OPS: &[&str] = &["+", "-", "*", "&", "|"];

/// What an expression must give, besides never crashing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Want {
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

pub struct Case {
    pub name: String,
    pub text: String,
    pub want: Want,
}

pub fn case(name: impl Into<String>, text: String, want: Want) -> Case {
    Case {
        name: name.into(),
        text,
        want,
    }
}

pub fn chain(rng: &mut Rng, n: usize, ops: &[&str]) -> String {
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

pub fn arith_chain(rng: &mut Rng, n: usize, ops: &[&str], num: &str) -> String {
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

pub fn wrap(open: &str, inner: &str, close: &str, d: usize) -> String {
    format!("{}{inner}{}", open.repeat(d), close.repeat(d))
}

/// `(p1 and (p2 or (p3 and ... p)))`, `d` levels of nested parentheses.
pub fn nested(rng: &mut Rng, d: usize) -> String {
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
pub fn walk(rng: &mut Rng, terms: usize, max: usize) -> String {
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
pub fn cases(seed: u64) -> Vec<Case> {
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
pub fn on_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the compiler panicked")
}

/// The seed of [`cases`]: `COMPILE_DEEP_SEED`, else [`SEED`].
pub fn seed() -> u64 {
    std::env::var("COMPILE_DEEP_SEED").map_or(SEED, |s| s.parse().expect("COMPILE_DEEP_SEED"))
}

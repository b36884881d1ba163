//! Differential test of libpkt's filter compiler (`pkt_bpf::compile`) against libpcap
//! (issue 6). libpcap is a test-only reference: `tests/compile_diff/pcap_ref.c` is built here
//! with `cc ... -lpcap` and prints libpcap's programs; libpkt never links libpcap.
//!
//! For every expression of `tests/compile_diff/exprs/*.txt`, every link type (EN10MB,
//! LINUX_SLL, LINUX_SLL2, RAW) and optimize off/on: both compilers reject it, or both accept it
//! and both programs, run by `pkt_bpf::run`, give the same result on every packet of the
//! generated corpus (`tests/compile_diff/packets.rs`). libpcap's offline form is the one it
//! compiles for a `pcap_open_dead` handle of that link type (on Linux it takes
//! `inbound`/`outbound`/`ifindex` as ancillary loads, run with the packets' `Meta`); its savefile
//! handle must give the same programs except that it refuses those. Every program of ours passes
//! `pkt_bpf::validate`. Expressions of `tests/compile_diff/invalid.txt` are rejected by both.
//! The live form (EN10MB, `pcap_activate` on a veth in a network namespace) is compared on the
//! live packet corpus (outer VLAN tag in metadata), and the kernel must accept our programs; it
//! needs root and is skipped without it. `names` compares `tests/compile_diff/names.txt`
//! (`gateway`, names from /etc/ethers, /etc/hosts and /etc/networks) in a private mount
//! namespace whose /etc has test entries (root too).
//!
//! Self-check (runs without the compiler too): libpcap's programs are run by `pkt_bpf::run`,
//! by libpcap's own `bpf_filter` (in pcap_ref) and by a small model with libpcap's and the
//! kernel's semantics (`tests/compile_diff/model.rs`); disagreements not explained by known
//! kernel/libpcap differences fail. See tests/compile_diff/README.md.
//!
//!   cargo test -p pkt-bpf --test compile_diff -- --nocapture
//!   COMPILE_DIFF_QUICK=1 cargo test -p pkt-bpf --test compile_diff   (fewer truncated packets)
//!
//! Every test runs in a network namespace of its own (`isolate`), so that host names never
//! reach the machine's DNS server: that needs root. Without root, libpcap-dev or `cc` the test
//! is skipped with a message, except with CI=true, where that is a failure. Full reports go to
//! `target/tmp/compile_diff/report-*.txt`.

#[path = "compile_diff/corpus.rs"]
mod corpus;
#[path = "compile_diff/disasm.rs"]
mod disasm;
#[path = "compile_diff/links.rs"]
mod links;
#[path = "compile_diff/model.rs"]
mod model;
#[path = "compile_diff/packets.rs"]
mod packets;
#[path = "compile_diff/random.rs"]
mod random;

use corpus::{corpus_exprs, dir, env_u64, read_exprs, Expr};
use packets::Packet;
use pkt_bpf::{run, validate, Insn, Meta, SKF_AD_OFF};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

const DLT_EN10MB: u16 = 1;
const DLT_RAW: u16 = 12;
const LINKTYPE_RAW: u16 = 101;
const DLT_LINUX_SLL: u16 = 113;
const DLT_LINUX_SLL2: u16 = 276;
const SNAPLEN: u32 = 262144;
/// Detailed reports printed per run (all of them go to the report file).
const PRINTED_REPORTS: usize = 25;
/// Differing packets shown per mismatching (expression, configuration).
const PACKETS_PER_REPORT: usize = 4;

// ---------------------------------------------------------------------------------------------
// The one call into libpkt's compiler.
// ---------------------------------------------------------------------------------------------

/// Compiles with libpkt: `None` while `pkt_bpf::compile` does not exist (the harness then
/// runs its self-check only). This is the only function that names the compiler.
fn ours(
    expr: &str,
    linktype: u16,
    snaplen: u32,
    optimize: bool,
    live: bool,
) -> Option<Result<Vec<Insn>, String>> {
    ours_flags(
        expr,
        linktype,
        snaplen,
        pkt_bpf::compile::Flags {
            optimize,
            live,
            savefile: false,
            swapped: false,
        },
    )
}

/// [`ours`] with every flag.
fn ours_flags(
    expr: &str,
    linktype: u16,
    snaplen: u32,
    flags: pkt_bpf::compile::Flags,
) -> Option<Result<Vec<Insn>, String>> {
    Some(
        pkt_bpf::compile::compile(expr, linktype, snaplen, flags)
            .map_err(|e| format!("at {}: {}", e.pos, e.msg)),
    )
}

// ---------------------------------------------------------------------------------------------
// Corpus files.
// ---------------------------------------------------------------------------------------------

fn work_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile_diff");
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------------------------
// pcap_ref: build and run.
// ---------------------------------------------------------------------------------------------

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (returns) with a message, or fails under CI=true.
fn skip(why: &str) {
    if ci() {
        panic!("CI=true: {why}");
    }
    eprintln!("compile_diff: SKIPPED: {why}");
}

/// Moves the calling test thread (and the processes it starts: pcap_ref, `unshare`) into a
/// network namespace of its own with only a loopback that is down. Both compilers resolve host
/// names through the system resolver; a name that is not in /etc/hosts would otherwise become
/// a DNS query to the machine's name server. In the namespace it fails at once, for both alike.
/// Needs root (CAP_SYS_ADMIN); `Err` says why it could not be done.
fn isolate() -> Result<(), String> {
    // SAFETY: unshare(CLONE_NEWNET) changes only the calling thread's network namespace.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0 {
        Ok(())
    } else {
        Err(format!(
            "unshare(CLONE_NEWNET): {} (needs root: host names must not reach the machine's DNS server)",
            std::io::Error::last_os_error()
        ))
    }
}

/// Builds pcap_ref once per process; `Err` says why it could not be built. A test process
/// re-executed by the `names` test gets the parent's binary in COMPILE_DIFF_PCAP_REF.
fn pcap_ref() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os(PCAP_REF_ENV) {
            return Ok(PathBuf::from(bin));
        }
        let bin = work_dir().join("pcap_ref");
        let src = dir().join("pcap_ref.c");
        let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&bin)
            .arg(&src)
            .arg("-lpcap")
            .output()
            .map_err(|e| format!("cannot run cc: {e} (install gcc and libpcap-dev)"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot build pcap_ref (is libpcap-dev installed? apt-get install libpcap-dev):\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(bin)
    })
    .clone()
}

/// libpcap's answer for one expression.
#[derive(Clone, Debug)]
enum Ref {
    /// The program and, if packets were given, `bpf_filter`'s result on each.
    Ok(Vec<Insn>, Vec<u32>),
    Err(String),
}

/// Writes `exprs` (and `packets`) to files, runs `pcap_ref ARGS... EXPRS [PACKETS]` (inside
/// `netns` if given) and parses its answers, one per expression.
fn run_ref(
    tag: &str,
    args: &[&str],
    exprs: &[Expr],
    packets: Option<&[Packet]>,
    netns: Option<&str>,
) -> Vec<Ref> {
    run_ref_netmask(tag, args, exprs, packets, netns, PCAP_NETMASK_UNKNOWN)
}

/// libpcap's `PCAP_NETMASK_UNKNOWN`.
const PCAP_NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// [`run_ref`] with `pcap_compile`'s netmask argument (host byte order, as it takes it).
fn run_ref_netmask(
    tag: &str,
    args: &[&str],
    exprs: &[Expr],
    packets: Option<&[Packet]>,
    netns: Option<&str>,
    netmask: u32,
) -> Vec<Ref> {
    let bin = pcap_ref().expect("pcap_ref was built");
    let wd = work_dir();
    let efile = wd.join(format!("exprs-{tag}.txt"));
    let mut text = String::new();
    for e in exprs {
        assert!(!e.text.contains('\n'));
        text.push_str(&e.text);
        text.push('\n');
    }
    std::fs::write(&efile, text).unwrap();
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    cmd.args(args).arg(&efile);
    cmd.env("PCAP_REF_NETMASK", format!("{netmask:#x}"));
    if let Some(pkts) = packets {
        let pfile = wd.join(format!("packets-{tag}.txt"));
        let mut text = String::new();
        for p in pkts {
            let hex: String = p.data.iter().map(|b| format!("{b:02x}")).collect();
            writeln!(text, "{} {}", p.wirelen, if hex.is_empty() { "-" } else { &hex }).unwrap();
        }
        std::fs::write(&pfile, text).unwrap();
        cmd.arg(&pfile);
    }
    let out = cmd.output().expect("run pcap_ref");
    assert!(
        out.status.success(),
        "pcap_ref {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines().peekable();
    let mut refs = Vec::with_capacity(exprs.len());
    while let Some(line) = lines.next() {
        if let Some(msg) = line.strip_prefix("ERR ") {
            refs.push(Ref::Err(msg.to_owned()));
            continue;
        }
        let nums: Vec<u32> = line
            .strip_prefix("OK ")
            .unwrap_or_else(|| panic!("pcap_ref: unexpected line {line:?}"))
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        let prog: Vec<Insn> = nums[1..]
            .chunks(4)
            .map(|c| Insn {
                code: c[0] as u16,
                jt: c[1] as u8,
                jf: c[2] as u8,
                k: c[3],
            })
            .collect();
        assert_eq!(prog.len(), nums[0] as usize);
        let mut verdicts = Vec::new();
        if packets.is_some() {
            let r = lines.next().expect("an R line after OK");
            verdicts = r
                .strip_prefix('R')
                .unwrap()
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect();
        }
        refs.push(Ref::Ok(prog, verdicts));
    }
    assert_eq!(
        refs.len(),
        exprs.len(),
        "pcap_ref answered {} of {} expressions",
        refs.len(),
        exprs.len()
    );
    refs
}

/// libpcap's offline answers for one configuration: its program for a `pcap_open_dead` handle
/// (`dead`; for LINKTYPE_RAW 101, which `pcap_open_dead` does not know, DLT_RAW 12), the
/// reference, run over `packets`. Also asks a savefile handle (`file`) of the same link type and
/// checks the two agree except where the savefile handle refuses `inbound`/`outbound`/`ifindex`
/// ("... when reading savefiles", noted): a dead handle on Linux emits them as ancillary loads.
fn offline_ref(
    tag: &str,
    linktype: u16,
    snaplen: u32,
    optimize: bool,
    exprs: &[Expr],
    packets: Option<&[Packet]>,
    rep: &mut Report,
) -> Vec<Ref> {
    let o = u8::from(optimize).to_string();
    let snap = snaplen.to_string();
    // pcap_open_dead knows neither LINKTYPE_RAW (101) nor OpenBSD's DLT_RAW (14); a savefile
    // of LINKTYPE 14 is refused, one of 101 is DLT_RAW.
    let dead_lt = if matches!(linktype, LINKTYPE_RAW | links::DLT_RAW_OPENBSD) {
        DLT_RAW
    } else {
        linktype
    };
    let file_lt = if linktype == links::DLT_RAW_OPENBSD {
        LINKTYPE_RAW
    } else {
        linktype
    };
    let dead = run_ref(
        &format!("{tag}-dead"),
        &["dead", &dead_lt.to_string(), &snap, &o],
        exprs,
        packets,
        None,
    );
    let file = run_ref(
        &format!("{tag}-file"),
        &["file", &file_lt.to_string(), &snap, &o],
        exprs,
        None,
        None,
    );
    for ((e, d), f) in exprs.iter().zip(&dead).zip(&file) {
        let head = format!("{} `{}` [{tag}]", e.origin, e.text);
        match (d, f) {
            (Ref::Ok(a, _), Ref::Ok(b, _)) if a == b => {}
            (Ref::Err(_), Ref::Err(_)) => {}
            // On NULL, LOOP and ENC a savefile's `ip6` tests the BSDs' address families, a dead
            // handle Linux's: the `links` test compares our savefile form with this one.
            // (the optimizer may then also find one of them constant false).
            _ if matches!(linktype, links::DLT_NULL | links::DLT_LOOP | links::DLT_ENC)
                && !matches!(f, Ref::Err(m) if m.contains("when reading savefiles")) => {}
            (_, Ref::Err(msg)) if msg.contains("when reading savefiles") => {
                rep.savefile_only.push(format!(
                    "{head}: savefile handle: {msg}; dead handle: {}",
                    match d {
                        Ref::Ok(p, _) => format!("{} instructions", p.len()),
                        Ref::Err(m) => m.clone(),
                    }
                ));
            }
            _ => {
                rep.selfcheck += 1;
                rep.detail(format!(
                    "SELF-CHECK {head}: libpcap's dead and savefile handles differ otherwise than on \
                     inbound/outbound/ifindex:\n  dead: {d:?}\n  file: {f:?}"
                ));
            }
        }
    }
    dead
}

// ---------------------------------------------------------------------------------------------
// Comparison.
// ---------------------------------------------------------------------------------------------

fn lt_name(lt: u16) -> &'static str {
    match lt {
        DLT_EN10MB => "EN10MB",
        DLT_LINUX_SLL => "LINUX_SLL",
        DLT_LINUX_SLL2 => "LINUX_SLL2",
        DLT_RAW => "RAW",
        LINKTYPE_RAW => "RAW(101)",
        other => links::name(other).unwrap_or("?"),
    }
}

fn has_ancillary(prog: &[Insn]) -> bool {
    prog.iter()
        .any(|i| matches!(i.code, 0x20 | 0x28 | 0x30) && i.k >= SKF_AD_OFF)
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn meta_str(m: &Meta) -> String {
    let mut s = format!("len {} pkttype {} ifindex {}", m.len, m.pkttype, m.ifindex);
    if m.vlan_present {
        write!(s, " vlan tci {:#06x} tpid {:#06x}", m.vlan_tci, m.vlan_tpid).unwrap();
    }
    s
}

/// One offline configuration of test `test`: libpcap's answers (`offline_ref`), then ours
/// compared with them on `packets`; returns libpcap's answers.
fn offline_pass(
    test: &str,
    linktype: u16,
    snaplen: u32,
    optimize: bool,
    exprs: &[Expr],
    packets: &[Packet],
    rep: &mut Report,
) -> Vec<Ref> {
    let o = u8::from(optimize);
    let (snap_tag, snap_name) = if snaplen == SNAPLEN {
        (String::new(), String::new())
    } else {
        (format!("-s{snaplen}"), format!(" snaplen {snaplen}"))
    };
    let tag = format!("{test}-{}-O{o}{snap_tag}", lt_name(linktype));
    let refs = offline_ref(&tag, linktype, snaplen, optimize, exprs, Some(packets), rep);
    let cfg = Config {
        name: format!("{} {test} O{o}{snap_name}", lt_name(linktype)),
        linktype,
        optimize,
        live: false,
        savefile: false,
        swapped: false,
        netmask: None,
        snaplen,
        packets,
    };
    compare(&cfg, exprs, &refs, rep);
    refs
}

/// One configuration of a run: link type, flags, snaplen, and the packets it is checked on.
struct Config<'a> {
    name: String,
    linktype: u16,
    optimize: bool,
    live: bool,
    /// Ours in its savefile form (`Flags::savefile`), against libpcap's savefile handle.
    savefile: bool,
    /// With `savefile`: for a file in the other byte order (`Flags::swapped`), against
    /// libpcap's handle on such a file.
    swapped: bool,
    /// Ours with this netmask (host order, `compile_netmask`), against libpcap's compile with
    /// it; refusals must then name libpcap's cause. None: `compile` (netmask unknown).
    netmask: Option<u32>,
    snaplen: u32,
    packets: &'a [Packet],
}

/// Counts and reports of a whole run.
#[derive(Default)]
struct Report {
    /// (expression, configuration) pairs compared.
    pairs: usize,
    both_ok: usize,
    both_reject: usize,
    /// Compare the messages where both reject, for `legacy.txt` and `invalid.txt`
    /// ([`same_cause`]); how many were compared, and those where libpkt names a keyword it
    /// does not implement (not compared).
    check_causes: bool,
    causes: usize,
    causes_unimplemented: usize,
    /// Program runs compared (ours vs libpcap's, one packet each).
    runs: u64,
    selfcheck_runs: u64,
    ours_missing: bool,
    /// Mismatches by kind.
    accept_reject: usize,
    verdict: usize,
    invalid_prog: usize,
    selfcheck: usize,
    /// Per configuration: (pairs, mismatching pairs).
    per_config: BTreeMap<String, (usize, usize)>,
    details: Vec<String>,
    /// Known differences that are not failures (libpcap programs the kernel refuses, kernel vs
    /// libpcap semantics).
    notes: Vec<String>,
    /// Pairs where kernel and libpcap semantics differ on some packet.
    divergent: usize,
    /// Per expression accepted by libpcap: (text, packets matched, packets not matched) over
    /// all configurations.
    coverage: BTreeMap<String, (String, usize, usize)>,
    /// Instruction counts of accepted pairs: (ours, libpcap's).
    sizes: (u64, u64),
    /// The same over optimized pairs whose libpcap program the kernel would take (a program
    /// of libpcap's that it refuses, such as `protochain`'s backward loop, has no fair size),
    /// without `geneve` and `protochain` (programs libpcap does not optimize).
    opt_sizes: (u64, u64),
    /// Of those, pairs where ours is longer (listed in the notes).
    longer: usize,
    /// Both-reject pairs whose messages are the same text, and pairs where both report a
    /// syntax error (ours says more); the others are in the notes.
    same_message: usize,
    both_syntax: usize,
    /// Optimized kernel-valid pairs, and of those the ones whose programs are identical
    /// instruction for instruction.
    opt_pairs: usize,
    identical: usize,
    /// Where libpcap's savefile handle refuses what its dead handle (the reference) accepts.
    savefile_only: Vec<String>,
}

impl Report {
    fn detail(&mut self, s: String) {
        self.details.push(s);
    }
    fn note(&mut self, s: String) {
        self.notes.push(s);
    }
    fn failures(&self) -> usize {
        self.details.len()
    }
}

/// What `pkt_bpf::validate` says of a libpcap program.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theirs {
    Valid,
    /// Jumps backward (libpcap's protochain loop): the kernel refuses it.
    Loops,
    /// Reads a scratch word no path has written (a libpcap bug): the kernel refuses it.
    Scratch,
    /// Loads an ancillary offset the kernel does not know (libpcap's `inbound`/`ifindex` after
    /// `pppoes` on cooked or raw captures, relative to the PPP header): the kernel refuses it.
    Ancillary,
    Other,
}

fn classify(prog: &[Insn]) -> (Theirs, String) {
    match validate(prog) {
        Ok(()) => (Theirs::Valid, String::new()),
        Err(why) if why.contains("jump out of range") => (Theirs::Loops, why),
        Err(why) if why.contains("before it is written") => (Theirs::Scratch, why),
        Err(why) if why.contains("unknown ancillary load") => (Theirs::Ancillary, why),
        Err(why) => (Theirs::Other, why),
    }
}

fn packet_str(p: &Packet) -> String {
    format!(
        "  packet {}\n    {}\n    {}\n",
        p.desc,
        meta_str(&p.meta),
        hex(&p.data)
    )
}

/// Self-checks libpcap's program on every packet and returns the reference verdicts: libpcap's
/// program run by `pkt_bpf::run` (by the kernel-semantics model if `validate` refuses it).
fn reference(cfg: &Config, head: &str, theirs: &[Insn], verdicts: &[u32], rep: &mut Report) -> Vec<u32> {
    let (class, why) = classify(theirs);
    if class != Theirs::Valid {
        rep.note(format!(
            "NOTE {head}: libpcap's program fails pkt_bpf::validate ({why}; the kernel refuses it too); \
             reference = the kernel-semantics model with zeroed scratch memory"
        ));
    }
    if class == Theirs::Other {
        rep.selfcheck += 1;
        rep.detail(format!(
            "SELF-CHECK {head}: libpcap's program fails pkt_bpf::validate: {why}\n{}",
            disasm::program(theirs, "    ")
        ));
    }
    let mut out = Vec::with_capacity(cfg.packets.len());
    let (mut model_bad, mut interp_bad, mut diverge) = (String::new(), String::new(), String::new());
    let (mut n_model, mut n_interp, mut n_diverge) = (0, 0, 0);
    for (i, p) in cfg.packets.iter().enumerate() {
        let kernel = model::run(model::Sem::Kernel, theirs, &p.data, &p.meta);
        let reference = if class == Theirs::Valid {
            rep.selfcheck_runs += 1;
            let got = run(theirs, &p.data, &p.meta);
            if Some(got) != kernel {
                n_interp += 1;
                if n_interp <= PACKETS_PER_REPORT {
                    writeln!(
                        interp_bad,
                        "{}    pkt_bpf::run {got}, model {kernel:?}",
                        packet_str(p)
                    )
                    .unwrap();
                }
            }
            got
        } else {
            kernel.unwrap_or(0)
        };
        out.push(reference);
        let Some(&want) = verdicts.get(i) else { continue };
        // Uninitialised scratch words make bpf_filter's answer arbitrary.
        if class == Theirs::Scratch {
            continue;
        }
        let libpcap = model::run(model::Sem::Libpcap, theirs, &p.data, &p.meta);
        if libpcap != Some(want) {
            n_model += 1;
            if n_model <= PACKETS_PER_REPORT {
                writeln!(
                    model_bad,
                    "{}    bpf_filter {want}, libpcap model {libpcap:?}",
                    packet_str(p)
                )
                .unwrap();
            }
        } else if reference != want && !has_ancillary(theirs) {
            n_diverge += 1;
            if n_diverge <= 2 {
                writeln!(
                    diverge,
                    "{}    kernel semantics {reference}, bpf_filter {want}",
                    packet_str(p)
                )
                .unwrap();
            }
        }
    }
    if n_model > 0 {
        rep.selfcheck += 1;
        rep.detail(format!(
            "SELF-CHECK {head}: the test's libpcap model disagrees with bpf_filter on {n_model} packets (fix tests/compile_diff/model.rs)\n{model_bad}  libpcap's program:\n{}",
            disasm::program(theirs, "    ")
        ));
    }
    if n_interp > 0 {
        rep.selfcheck += 1;
        rep.detail(format!(
            "SELF-CHECK {head}: pkt_bpf::run disagrees with the kernel-semantics model on {n_interp} packets (interpreter bug in src/interp.rs?)\n{interp_bad}  libpcap's program:\n{}",
            disasm::program(theirs, "    ")
        ));
    }
    if n_diverge > 0 {
        rep.divergent += 1;
        rep.note(format!(
            "NOTE {head}: on {n_diverge} packets the kernel's semantics (X+k wraps at 32 bits, shifts mod 32) give another verdict than libpcap's bpf_filter; the reference is the kernel's\n{diverge}"
        ));
    }
    out
}

/// Compares ours with libpcap's answers for every expression in one configuration.
fn compare(cfg: &Config, exprs: &[Expr], refs: &[Ref], rep: &mut Report) {
    let mut bad_pairs = 0;
    for (e, r) in exprs.iter().zip(refs) {
        let flags = pkt_bpf::compile::Flags {
            optimize: cfg.optimize,
            live: cfg.live,
            savefile: cfg.savefile,
            swapped: cfg.swapped,
        };
        let mine = match cfg.netmask {
            Some(nm) => Some(
                pkt_bpf::compile::compile_netmask(
                    &e.text,
                    cfg.linktype,
                    cfg.snaplen,
                    flags,
                    std::net::Ipv4Addr::from(nm),
                )
                .map_err(|e| format!("at {}: {}", e.pos, e.msg)),
            ),
            None => ours_flags(&e.text, cfg.linktype, cfg.snaplen, flags),
        };
        if mine.is_none() {
            rep.ours_missing = true;
        }
        let before = rep.failures();
        rep.pairs += 1;
        let head = format!("{} `{}` [{}]", e.origin, e.text, cfg.name);
        let expected = match r {
            Ref::Ok(theirs, verdicts) => reference(cfg, &head, theirs, verdicts, rep),
            Ref::Err(_) => Vec::new(),
        };
        if let Ref::Ok(..) = r {
            let matched = expected.iter().filter(|&&v| v != 0).count();
            let c = rep
                .coverage
                .entry(e.origin.clone())
                .or_insert((e.text.clone(), 0, 0));
            c.1 += matched;
            c.2 += expected.len() - matched;
        }
        match (mine, r) {
            (None, _) => {}
            (Some(Err(mine)), Ref::Err(theirs)) => {
                rep.both_reject += 1;
                if !same_cause(&mine, theirs) {
                    rep.note(format!("MESSAGE {head}: ours \"{mine}\", libpcap's \"{theirs}\""));
                    if cfg.netmask.is_some() {
                        rep.detail(format!("CAUSE {head}: ours \"{mine}\", libpcap's \"{theirs}\""));
                    }
                } else if message(&mine) == theirs.trim() {
                    rep.same_message += 1;
                } else {
                    rep.both_syntax += 1;
                }
                check_cause(rep, e, &head, &mine, theirs);
            }
            (Some(Ok(p)), Ref::Err(msg)) => {
                rep.accept_reject += 1;
                rep.detail(format!(
                    "ACCEPT/REJECT {head}: libpcap rejects ({msg}), ours accepts:\n{}",
                    disasm::program(&p, "    ")
                ));
            }
            (Some(Err(msg)), Ref::Ok(theirs, _)) => {
                rep.accept_reject += 1;
                rep.detail(format!(
                    "ACCEPT/REJECT {head}: ours rejects ({msg}), libpcap accepts:\n{}",
                    disasm::program(theirs, "    ")
                ));
            }
            (Some(Ok(mine)), Ref::Ok(theirs, _)) => {
                rep.both_ok += 1;
                rep.sizes.0 += mine.len() as u64;
                rep.sizes.1 += theirs.len() as u64;
                // libpcap does not optimize programs with `geneve` or `protochain` (nor do
                // we); their layout differs by an instruction at times, so they are left out.
                let unoptimized = e.text.contains("geneve") || e.text.contains("protochain");
                if cfg.optimize && !unoptimized && validate(theirs).is_ok() {
                    rep.opt_sizes.0 += mine.len() as u64;
                    rep.opt_sizes.1 += theirs.len() as u64;
                    rep.opt_pairs += 1;
                    if mine == *theirs {
                        rep.identical += 1;
                    } else {
                        rep.note(format!("NOT-IDENTICAL {head}"));
                    }
                    if mine.len() > theirs.len() {
                        rep.longer += 1;
                        rep.note(format!(
                            "LONGER {head}: ours {} instructions, libpcap's {}",
                            mine.len(),
                            theirs.len()
                        ));
                    }
                }
                if let Err(why) = validate(&mine) {
                    rep.invalid_prog += 1;
                    rep.detail(format!(
                        "INVALID {head}: our program fails pkt_bpf::validate: {why}\n{}",
                        disasm::program(&mine, "    ")
                    ));
                    continue;
                }
                let mut diffs = 0;
                let mut text = String::new();
                for (p, &b) in cfg.packets.iter().zip(&expected) {
                    rep.runs += 1;
                    let a = run(&mine, &p.data, &p.meta);
                    if a != b {
                        diffs += 1;
                        if diffs <= PACKETS_PER_REPORT {
                            writeln!(text, "{}    ours {a}, libpcap {b}", packet_str(p)).unwrap();
                        }
                    }
                }
                if diffs > 0 {
                    rep.verdict += 1;
                    rep.detail(format!(
                        "VERDICT {head}: {diffs} of {} packets differ\n{text}  ours:\n{}  libpcap:\n{}",
                        cfg.packets.len(),
                        disasm::program(&mine, "    "),
                        disasm::program(theirs, "    ")
                    ));
                }
            }
        }
        if rep.failures() > before {
            bad_pairs += 1;
        }
    }
    let c = rep.per_config.entry(cfg.name.clone()).or_default();
    c.0 += exprs.len();
    c.1 += bad_pairs;
}

/// libpkt's refusal without its position (`at N: `).
fn message(ours: &str) -> &str {
    ours.split_once(": ").map_or(ours, |(_, m)| m).trim()
}

/// Whether two refusals name the same cause: libpkt's message (`at N: ...`) is libpcap's, but
/// for syntax errors, which each words its own way ("syntax error: unexpected ..." against
/// bison's "syntax error").
fn same_cause(ours: &str, theirs: &str) -> bool {
    let ours = message(ours);
    let theirs = theirs.trim();
    ours == theirs || (ours.starts_with("syntax error") && theirs.contains("syntax error"))
}

/// With `rep.check_causes`, for the files whose refusals carry libpcap's cause (`legacy.txt`,
/// `invalid.txt`): a refusal of both must name the same cause. libpkt's own "... is not
/// supported by libpkt" (a keyword it does not implement) is counted, not compared.
fn check_cause(rep: &mut Report, e: &Expr, head: &str, ours: &str, theirs: &str) {
    if !rep.check_causes || !(e.origin.starts_with("legacy.txt") || e.origin.starts_with("invalid.txt")) {
        return;
    }
    if ours.ends_with("is not supported by libpkt") {
        rep.causes_unimplemented += 1;
        return;
    }
    rep.causes += 1;
    if !same_cause(ours, theirs) {
        rep.detail(format!(
            "CAUSE {head}: both reject, for other causes: libpcap \"{}\", ours \"{ours}\"",
            theirs.trim()
        ));
    }
}

/// Prints the summary and the first reports, writes all to a file, fails on any mismatch.
fn finish(name: &str, rep: &Report, exprs: usize, packets: usize, started: Instant) {
    let path = work_dir().join(format!("report-{name}.txt"));
    let mut full = String::new();
    for d in &rep.details {
        full.push_str(d);
        full.push('\n');
    }
    std::fs::write(&path, &full).unwrap();
    let notes_path = work_dir().join(format!("notes-{name}.txt"));
    let mut notes = rep.notes.join("\n");
    if !rep.savefile_only.is_empty() {
        eprintln!(
            "compile_diff {name}: {} pairs where libpcap's savefile handle refuses inbound/outbound/ifindex \
             and its dead handle (the reference) accepts them: listed in {}",
            rep.savefile_only.len(),
            notes_path.display()
        );
        notes.push_str("\nRefused by libpcap's savefile handle, the reference is its dead handle:\n");
        for n in &rep.savefile_only {
            notes.push_str(n);
            notes.push('\n');
        }
    }
    std::fs::write(&notes_path, notes).unwrap();
    for d in rep.details.iter().take(PRINTED_REPORTS) {
        eprintln!("{d}");
    }
    if rep.details.len() > PRINTED_REPORTS {
        eprintln!(
            "... {} more reports in {}",
            rep.details.len() - PRINTED_REPORTS,
            path.display()
        );
    }
    eprintln!("compile_diff {name}: per configuration (expressions, mismatching):");
    for (c, (n, bad)) in &rep.per_config {
        eprintln!("  {c:<28} {n:>5} {bad:>5}");
    }
    if !rep.notes.is_empty() {
        eprintln!(
            "compile_diff {name}: {} notes (libpcap programs the kernel refuses, {} pairs where kernel and \
             libpcap semantics differ): {}",
            rep.notes.len(),
            rep.divergent,
            notes_path.display()
        );
    }
    let never: Vec<String> = rep
        .coverage
        .iter()
        .filter(|(_, c)| packets > 0 && (c.1 == 0 || c.2 == 0))
        .map(|(o, c)| format!("{o} `{}` ({})", c.0, if c.1 == 0 { "none" } else { "all" }))
        .collect();
    if !never.is_empty() {
        eprintln!(
            "compile_diff {name}: {} expressions match no packet or every packet of the corpus (constant \
             expressions, or weak tests): listed in {}",
            never.len(),
            notes_path.display()
        );
        let mut notes = std::fs::read_to_string(&notes_path).unwrap();
        notes.push_str("\nMatching no packet or every packet:\n");
        for n in &never {
            notes.push_str(n);
            notes.push('\n');
        }
        std::fs::write(&notes_path, notes).unwrap();
    }
    if rep.ours_missing {
        eprintln!("compile_diff {name}: pkt_bpf::compile is not wired in (fn ours): self-check only");
    }
    if rep.check_causes {
        eprintln!(
            "compile_diff {name}: refusals of both compared by cause (legacy.txt, invalid.txt): {} (and {} of keywords libpkt does not implement)",
            rep.causes, rep.causes_unimplemented
        );
    }
    eprintln!(
        "compile_diff {name}: {exprs} expressions x {} configurations = {} pairs (both accept {}, both reject {}, {} with libpcap's message, {} both a syntax error); \
         {packets} packets; {} runs compared, {} self-check runs; instructions ours {} vs libpcap {} (accepted pairs), optimized and kernel-valid ours {} vs libpcap {} \
         ({} pairs: {} longer, {} identical); mismatches: accept/reject {}, verdict {}, invalid program {}, self-check {}; {:.1} s",
        rep.per_config.len(),
        rep.pairs,
        rep.both_ok,
        rep.both_reject,
        rep.same_message,
        rep.both_syntax,
        rep.runs,
        rep.selfcheck_runs,
        rep.sizes.0,
        rep.sizes.1,
        rep.opt_sizes.0,
        rep.opt_sizes.1,
        rep.opt_pairs,
        rep.longer,
        rep.identical,
        rep.accept_reject,
        rep.verdict,
        rep.invalid_prog,
        rep.selfcheck,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        rep.identical, rep.opt_pairs,
        "compile_diff {name}: optimized programs of ours that differ from libpcap's (NOT-IDENTICAL in the notes)"
    );
    assert_eq!(
        rep.longer, 0,
        "compile_diff {name}: optimized programs of ours longer than libpcap's (LONGER in the notes)"
    );
    assert!(
        rep.details.is_empty(),
        "compile_diff {name}: {} mismatches (all in {})",
        rep.details.len(),
        path.display()
    );
}

/// The packet corpus, or with COMPILE_DIFF_QUICK=1 every whole packet and one truncated
/// packet in four (about 2.5 times faster).
fn thin(packets: Vec<Packet>) -> Vec<Packet> {
    if !std::env::var("COMPILE_DIFF_QUICK").is_ok_and(|v| v == "1") {
        return packets;
    }
    packets
        .into_iter()
        .enumerate()
        .filter(|(i, p)| !(p.desc.contains("[captured") || p.desc.contains("[truncated")) || i % 4 == 0)
        .map(|(_, p)| p)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

/// The offline form for every link type and optimize flag.
#[test]
fn offline() {
    if let Err(why) = pcap_ref().and_then(|_| isolate()) {
        return skip(&why);
    }
    let started = Instant::now();
    let exprs = corpus_exprs();
    let corpus = packets::corpus();
    let sets: [(u16, Vec<Packet>); 4] = [
        (DLT_EN10MB, thin(corpus.en10mb)),
        (DLT_LINUX_SLL, thin(corpus.sll)),
        (DLT_LINUX_SLL2, thin(corpus.sll2)),
        (DLT_RAW, thin(corpus.raw)),
    ];
    let mut rep = Report {
        check_causes: true,
        ..Report::default()
    };
    let mut npackets = 0;
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for (lt, pkts) in &sets {
        npackets += pkts.len();
        for optimize in [false, true] {
            let refs = offline_pass("offline", *lt, SNAPLEN, optimize, &exprs, pkts, &mut rep);
            *accepted.entry(lt_name(*lt).to_owned()).or_default() =
                refs.iter().filter(|r| matches!(r, Ref::Ok(..))).count();
        }
    }
    // A small snaplen (the value every accepting `ret` returns), EN10MB optimized.
    offline_pass("offline", DLT_EN10MB, 96, true, &exprs, &sets[0].1, &mut rep);
    // LINKTYPE_RAW (101), as a savefile's link type, optimized: the savefile handle of 101
    // against the dead handle of DLT_RAW (12).
    offline_pass(
        "offline",
        LINKTYPE_RAW,
        SNAPLEN,
        true,
        &exprs,
        &sets[3].1,
        &mut rep,
    );
    // LINKTYPE_RAW (101) is DLT_RAW (12) under another name: the same programs.
    for e in &exprs {
        for optimize in [false, true] {
            let a = ours(&e.text, DLT_RAW, SNAPLEN, optimize, false);
            let b = ours(&e.text, LINKTYPE_RAW, SNAPLEN, optimize, false);
            let same = match (&a, &b) {
                (Some(Ok(x)), Some(Ok(y))) => x == y,
                (Some(Err(_)), Some(Err(_))) | (None, None) => true,
                _ => false,
            };
            if !same {
                rep.accept_reject += 1;
                rep.detail(format!(
                    "LINKTYPE_RAW {} `{}` O{}: linktype 101 and 12 differ: {a:?} vs {b:?}",
                    e.origin,
                    e.text,
                    u8::from(optimize)
                ));
            }
        }
    }
    eprintln!(
        "compile_diff offline: libpcap accepts (of {}): {}; packets: {}",
        exprs.len(),
        accepted
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        sets.iter()
            .map(|(lt, p)| format!("{} {}", lt_name(*lt), p.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    finish("offline", &rep, exprs.len(), npackets, started);
}

/// The offline form on every other link type libpkt's compiler takes (issue 15: NULL, LOOP,
/// the PPP family, Cisco HDLC, raw IPv4/IPv6, OpenBSD's DLT_RAW, Token Ring, FDDI, ARCNET,
/// NFLOG, MPLS and an opaque one of the matching range), optimize off and on, on the corpus
/// framed for each (`compile_diff/links.rs`); for NULL and LOOP also the savefile form against
/// libpcap's savefile handle. `invalid.txt` must be refused on each too.
#[test]
fn links() {
    if let Err(why) = pcap_ref().and_then(|_| isolate()) {
        return skip(&why);
    }
    let started = Instant::now();
    let exprs = corpus_exprs();
    let invalid = read_exprs(&dir().join("invalid.txt"));
    let corpus = packets::corpus();
    let en10mb = thin(corpus.en10mb);
    let raw = thin(corpus.raw);
    let mut rep = Report::default();
    let mut npackets = 0;
    let mut accepted = Vec::new();
    // Every program of ours is attached to a packet socket (protocol 0: it receives nothing):
    // the kernel's checker must take it.
    let checker = KernelChecker::new();
    let mut attached = 0;
    for lt in links::ALL {
        let pkts = links::corpus(lt, &en10mb, &raw);
        npackets += pkts.len();
        let dead = if lt == links::DLT_RAW_OPENBSD { DLT_RAW } else { lt };
        let mut n = 0;
        for optimize in [false, true] {
            let refs = offline_pass("links", lt, SNAPLEN, optimize, &exprs, &pkts, &mut rep);
            n = refs.iter().filter(|r| matches!(r, Ref::Ok(..))).count();
            for e in &exprs {
                if let Some(Ok(mine)) = ours(&e.text, lt, SNAPLEN, optimize, false) {
                    attached += 1;
                    if let Err(why) = checker.accepts(&mine) {
                        rep.invalid_prog += 1;
                        rep.detail(format!(
                            "KERNEL {} `{}` [{} O{}]: the kernel refuses ours: {why}\n{}",
                            e.origin,
                            e.text,
                            lt_name(lt),
                            u8::from(optimize),
                            disasm::program(&mine, "    ")
                        ));
                    }
                }
            }
            let o = u8::from(optimize);
            let bad = run_ref(
                &format!("links-invalid-{}-O{o}", lt_name(lt)),
                &["dead", &dead.to_string(), &SNAPLEN.to_string(), &o.to_string()],
                &invalid,
                None,
                None,
            );
            let cfg = Config {
                name: format!("{} invalid O{o}", lt_name(lt)),
                linktype: lt,
                optimize,
                live: false,
                savefile: false,
                swapped: false,
                netmask: None,
                snaplen: SNAPLEN,
                packets: &[],
            };
            compare(&cfg, &invalid, &bad, &mut rep);
            if matches!(lt, links::DLT_NULL | links::DLT_LOOP | links::DLT_ENC) {
                // The savefile form, for a file in this host's byte order and in the other one.
                for swapped in [false, true] {
                    let (mode, what) = if swapped {
                        ("fileswap", "savefile swapped")
                    } else {
                        ("file", "savefile")
                    };
                    let tag = format!("links-{}-O{o}-{}", lt_name(lt), what.replace(' ', "-"));
                    let refs = run_ref(
                        &tag,
                        &[mode, &lt.to_string(), &SNAPLEN.to_string(), &o.to_string()],
                        &exprs,
                        Some(&pkts),
                        None,
                    );
                    let cfg = Config {
                        name: format!("{} {what} O{o}", lt_name(lt)),
                        linktype: lt,
                        optimize,
                        live: false,
                        savefile: true,
                        swapped,
                        netmask: None,
                        snaplen: SNAPLEN,
                        packets: &pkts,
                    };
                    compare(&cfg, &exprs, &refs, &mut rep);
                }
            }
        }
        accepted.push(format!("{} {n}/{}", lt_name(lt), pkts.len()));
    }
    eprintln!(
        "compile_diff links: libpcap accepts (of {} expressions) / packets: {}; {attached} programs of ours attached to a socket",
        exprs.len(),
        accepted.join(", ")
    );
    finish("links", &rep, exprs.len(), npackets, started);
}

/// `invalid.txt`: libpcap rejects each line for every link type (a corpus check), ours too.
#[test]
fn invalid() {
    if let Err(why) = pcap_ref().and_then(|_| isolate()) {
        return skip(&why);
    }
    let started = Instant::now();
    let exprs = read_exprs(&dir().join("invalid.txt"));
    let mut rep = Report {
        check_causes: true,
        ..Report::default()
    };
    for lt in [DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW] {
        for optimize in [false, true] {
            let o = u8::from(optimize).to_string();
            let refs = offline_ref(
                &format!("invalid-{}-O{o}", lt_name(lt)),
                lt,
                SNAPLEN,
                optimize,
                &exprs,
                None,
                &mut rep,
            );
            for (e, r) in exprs.iter().zip(&refs) {
                if let Ref::Ok(p, _) = r {
                    rep.detail(format!(
                        "CORPUS {} `{}` [{} O{o}]: libpcap accepts a line of invalid.txt:\n{}",
                        e.origin,
                        e.text,
                        lt_name(lt),
                        disasm::program(p, "    ")
                    ));
                }
            }
            let cfg = Config {
                name: format!("{} invalid O{o}", lt_name(lt)),
                linktype: lt,
                optimize,
                live: false,
                savefile: false,
                swapped: false,
                netmask: None,
                snaplen: SNAPLEN,
                packets: &[],
            };
            compare(&cfg, &exprs, &refs, &mut rep);
        }
    }
    finish("invalid", &rep, exprs.len(), 0, started);
}

/// A network namespace with a veth pair (v0, v1) up, deleted on drop.
struct Netns(String);

impl Netns {
    fn new() -> Result<Netns, String> {
        let name = format!("pktcd-{}", std::process::id());
        let ip = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("ip")
                .args(args)
                .output()
                .map_err(|e| format!("ip: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        ip(&["netns", "add", &name])?;
        let ns = Netns(name.clone());
        ip(&[
            "-n", &name, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ])?;
        for dev in ["lo", "v0", "v1"] {
            ip(&["-n", &name, "link", "set", dev, "up"])?;
        }
        Ok(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// An unbound packet socket (it receives nothing) to ask the kernel's checker about programs.
/// One socket for all: closing a packet socket waits for an RCU grace period.
struct KernelChecker(libc::c_int);

impl KernelChecker {
    fn new() -> KernelChecker {
        // SAFETY: plain socket call; the descriptor is owned by the returned value.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        assert!(fd >= 0, "socket(AF_PACKET): {}", std::io::Error::last_os_error());
        KernelChecker(fd)
    }

    /// Whether the kernel accepts `prog` (SO_ATTACH_FILTER, which replaces the previous one).
    fn accepts(&self, prog: &[Insn]) -> Result<(), String> {
        let fprog = libc::sock_fprog {
            len: prog.len() as u16,
            filter: prog.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: `fprog` points at `prog`, which outlives the call, and Insn has the layout of
        // struct sock_filter; the kernel copies the program.
        let rc = unsafe {
            libc::setsockopt(
                self.0,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                (&fprog as *const libc::sock_fprog).cast(),
                std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(format!("SO_ATTACH_FILTER: {}", std::io::Error::last_os_error()))
        }
    }
}

impl Drop for KernelChecker {
    fn drop(&mut self) {
        // SAFETY: closing the descriptor this value owns.
        unsafe { libc::close(self.0) };
    }
}

/// The live form: libpcap activated on a veth (EN10MB) in a fresh network namespace.
#[test]
fn live() {
    if let Err(why) = pcap_ref().and_then(|_| isolate()) {
        return skip(&why);
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("live form: not root (needs a network namespace and a packet socket)");
    }
    let started = Instant::now();
    let ns = match Netns::new() {
        Ok(ns) => ns,
        Err(why) => return skip(&format!("live form: cannot create a network namespace: {why}")),
    };
    let exprs = corpus_exprs();
    let pkts = thin(packets::corpus().live);
    let mut rep = Report {
        check_causes: true,
        ..Report::default()
    };
    let checker = KernelChecker::new();
    for optimize in [false, true] {
        let o = u8::from(optimize).to_string();
        let refs = run_ref(
            &format!("live-O{o}"),
            &["live", "v0", &SNAPLEN.to_string(), &o],
            &exprs,
            Some(&pkts),
            Some(&ns.0),
        );
        let cfg = Config {
            name: format!("EN10MB live O{o}"),
            linktype: DLT_EN10MB,
            optimize,
            live: true,
            savefile: false,
            swapped: false,
            netmask: None,
            snaplen: SNAPLEN,
            packets: &pkts,
        };
        compare(&cfg, &exprs, &refs, &mut rep);
        // Every program attaches to a real socket: ours must; libpcap's checks that
        // pkt_bpf::validate agrees with the kernel's checker.
        for (e, r) in exprs.iter().zip(&refs) {
            if let Ref::Ok(theirs, _) = r {
                let kernel = checker.accepts(theirs);
                let ours_says = validate(theirs);
                if kernel.is_ok() != ours_says.is_ok() {
                    rep.selfcheck += 1;
                    rep.detail(format!(
                        "SELF-CHECK {} `{}` live O{o}: the kernel says {kernel:?} of libpcap's program, pkt_bpf::validate {ours_says:?}\n{}",
                        e.origin,
                        e.text,
                        disasm::program(theirs, "    ")
                    ));
                }
            }
            if let Some(Ok(mine)) = ours(&e.text, DLT_EN10MB, SNAPLEN, optimize, true) {
                if mine.len() <= pkt_bpf::KERNEL_MAX_INSNS {
                    if let Err(why) = checker.accepts(&mine) {
                        rep.invalid_prog += 1;
                        rep.detail(format!(
                            "KERNEL {} `{}` O{o}: the kernel refuses our live program: {why}\n{}",
                            e.origin,
                            e.text,
                            disasm::program(&mine, "    ")
                        ));
                    }
                }
            }
        }
    }
    drop(ns);
    finish("live", &rep, exprs.len(), pkts.len(), started);
}

// ---------------------------------------------------------------------------------------------
// Names from /etc/ethers, /etc/hosts and /etc/networks, and `gateway`, in a private mount
// namespace.
// ---------------------------------------------------------------------------------------------

const PCAP_REF_ENV: &str = "COMPILE_DIFF_PCAP_REF";
const NAMES_NS_ENV: &str = "COMPILE_DIFF_NAMES_NS";
/// /etc/ethers inside the namespace (the real one is never touched).
const NAMES_ETHERS: &str = "# test entries (tests/compile_diff/names.txt)
00:11:22:33:44:55 gw1
02:00:00:00:00:01 gwnoip
0:1:2:3:4:5 gwshort
AA:BB:CC:DD:EE:0F gwupper
02:00:00:00:00:02 gwcomment # a comment
";
/// Lines added to /etc/hosts inside the namespace.
const NAMES_HOSTS: &str = "10.1.2.3 gw1
10.1.2.4 gw1
10.9.9.9 gwonlyhost
";
/// /etc/networks inside the namespace: glibc's reading of it (case-insensitive names and
/// aliases, numbers padded to four parts, `INADDR_NONE` for what `inet_network` refuses).
const NAMES_NETWORKS: &str = "# test entries (tests/compile_diff/names.txt)
lab-net 192.168.0.0 LabNet lab
Office-Net\t172.16   officenet
tiny 10
justname
  indented 10.1.0.0
hexnet 0x0a.0x14.0.0 # comment alias
badnet 10.08.0.0
fivepart 1.2.3.4.5
zero 0.0.0.0
dup 10.2.0.0
DUP 10.3.0.0
";
/// Runs in the namespace: an overlay of /etc on a tmpfs with the entries added, then the test
/// binary again.
const NAMES_NS_SCRIPT: &str = r#"set -e
T="$1"; shift
mount -t tmpfs tmpfs "$T"
mkdir "$T/up" "$T/work"
printf '%s' "$NAMES_ETHERS" > "$T/up/ethers"
printf '%s' "$NAMES_NETWORKS" > "$T/up/networks"
{ cat /etc/hosts; printf '%s' "$NAMES_HOSTS"; } > "$T/up/hosts"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/up,workdir=$T/work" /etc
exec "$@"
"#;

/// `tests/compile_diff/names.txt` (`gateway`, `ether host NAME`, `host NAME`, `net NAME`)
/// against libpcap, both resolving names from an /etc/ethers, /etc/hosts and /etc/networks
/// that exist only in a private mount namespace: the test re-executes itself under `unshare
/// --mount` (root), the inner run compares as the offline test does (dead handle, four link
/// types, optimize off/on).
#[test]
fn names() {
    if std::env::var_os(NAMES_NS_ENV).is_some() {
        return names_inner();
    }
    let bin = match pcap_ref().and_then(|b| isolate().map(|_| b)) {
        Ok(b) => b,
        Err(why) => return skip(&why),
    };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("names: not root (needs a private mount namespace for /etc/ethers and /etc/hosts)");
    }
    let mnt = work_dir().join("names-ns");
    std::fs::create_dir_all(&mnt).unwrap();
    let script = work_dir().join("names-ns.sh");
    std::fs::write(&script, NAMES_NS_SCRIPT).unwrap();
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        return skip("names: `unshare --mount` does not work here (util-linux, CAP_SYS_ADMIN)");
    }
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh"])
        .arg(&script)
        .arg(&mnt)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "names", "--nocapture", "--test-threads=1"])
        .env(NAMES_NS_ENV, "1")
        .env(PCAP_REF_ENV, &bin)
        .env("NAMES_ETHERS", NAMES_ETHERS)
        .env("NAMES_HOSTS", NAMES_HOSTS)
        .env("NAMES_NETWORKS", NAMES_NETWORKS)
        .output()
        .expect("run unshare");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "compile_diff names (in a mount namespace) failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}

fn names_inner() {
    let ethers = std::fs::read_to_string("/etc/ethers").unwrap_or_default();
    assert_eq!(ethers, NAMES_ETHERS, "names: not in the namespace's /etc");
    let networks = std::fs::read_to_string("/etc/networks").unwrap_or_default();
    assert_eq!(networks, NAMES_NETWORKS, "names: not in the namespace's /etc");
    let started = Instant::now();
    let exprs = read_exprs(&dir().join("names.txt"));
    let corpus = packets::corpus();
    // Frames from and to the test hosts: corpus frames with gw1's / gwnoip's MAC and IPv4
    // addresses patched in.
    let mut en10mb = thin(corpus.en10mb);
    let extra: Vec<Packet> = en10mb
        .iter()
        .filter(|p| p.data.len() >= 34 && p.data[12..14] == [0x08, 0x00])
        .step_by(7)
        .enumerate()
        .map(|(i, p)| {
            let mut q = p.clone();
            let d = &mut q.data;
            match i % 4 {
                0 => d[6..12].copy_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]),
                1 => d[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]),
                2 => d[26..30].copy_from_slice(&[10, 1, 2, 4]),
                _ => {
                    d[6..12].copy_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
                    d[30..34].copy_from_slice(&[10, 9, 9, 9]);
                }
            }
            q.desc = format!("[names: test hosts patched in] {}", q.desc);
            q
        })
        .collect();
    en10mb.extend(extra);
    // 802.11 names go through libpcap's gen_wlanhostop: plain and after radiotap.
    let wlan = links::corpus(links::DLT_IEEE802_11, &en10mb, &[]);
    let radiotap = links::corpus(links::DLT_IEEE802_11_RADIO, &en10mb, &[]);
    let sets: [(u16, Vec<Packet>); 6] = [
        (DLT_EN10MB, en10mb),
        (DLT_LINUX_SLL, thin(corpus.sll)),
        (DLT_LINUX_SLL2, thin(corpus.sll2)),
        (DLT_RAW, thin(corpus.raw)),
        (links::DLT_IEEE802_11, wlan),
        (links::DLT_IEEE802_11_RADIO, radiotap),
    ];
    let mut rep = Report::default();
    let mut accepted = 0;
    for (lt, pkts) in &sets {
        for optimize in [false, true] {
            let refs = offline_pass("names", *lt, SNAPLEN, optimize, &exprs, pkts, &mut rep);
            accepted += refs.iter().filter(|r| matches!(r, Ref::Ok(..))).count();
        }
    }
    // The namespace works only if libpcap resolved the names: `ether host gw1` on Ethernet.
    assert!(
        accepted > 0,
        "names: libpcap accepts nothing (are the names resolved?)"
    );
    finish("names", &rep, exprs.len(), sets[0].1.len(), started);
}

// ---------------------------------------------------------------------------------------------
// Netmasks.
// ---------------------------------------------------------------------------------------------

/// The netmasks of the `netmask` test, host order (as `pcap_compile` takes them): /8, /16,
/// /24, /30, 0 (what `pcap_lookupnet` gives for all interfaces) and unknown.
const NETMASKS: [u32; 6] = [
    0xff00_0000,
    0xffff_0000,
    0xffff_ff00,
    0xffff_fffc,
    0,
    PCAP_NETMASK_UNKNOWN,
];

/// `netmask.txt` (`ip broadcast`, `net N` with implicit masks) compiled with each of
/// [`NETMASKS`] by `pkt_bpf::compile::compile_netmask` and by libpcap (`pcap_compile`'s netmask
/// argument on a dead handle), EN10MB, LINUX_SLL, LINUX_SLL2 and RAW, optimize off and on: both
/// reject, or the same verdicts on the corpus; the other link types of `links` with /24, 0 and
/// unknown. Then the whole corpus with 255.255.255.0 on EN10MB optimized: the netmask changes
/// nothing else.
#[test]
fn netmask() {
    if let Err(why) = pcap_ref().and_then(|_| isolate()) {
        return skip(&why);
    }
    let started = Instant::now();
    let exprs = read_exprs(&dir().join("netmask.txt"));
    let corpus = packets::corpus();
    let en10mb = thin(corpus.en10mb);
    let raw = thin(corpus.raw);
    let mut sets: Vec<(u16, Vec<Packet>, &[u32])> = vec![
        (DLT_EN10MB, en10mb.clone(), &NETMASKS),
        (DLT_LINUX_SLL, thin(corpus.sll), &NETMASKS),
        (DLT_LINUX_SLL2, thin(corpus.sll2), &NETMASKS),
        (DLT_RAW, raw.clone(), &NETMASKS),
    ];
    const FEW: [u32; 3] = [0xffff_ff00, 0, PCAP_NETMASK_UNKNOWN];
    for lt in links::ALL {
        sets.push((lt, links::corpus(lt, &en10mb, &raw), &FEW));
    }
    let mut rep = Report::default();
    let mut npackets = 0;
    for (lt, pkts, netmasks) in &sets {
        npackets += pkts.len();
        let dead = if *lt == links::DLT_RAW_OPENBSD {
            DLT_RAW
        } else {
            *lt
        };
        for &netmask in netmasks.iter() {
            for optimize in [false, true] {
                let o = u8::from(optimize);
                let tag = format!("netmask-{}-O{o}-{netmask:08x}", lt_name(*lt));
                let args = ["dead", &dead.to_string(), &SNAPLEN.to_string(), &o.to_string()];
                let refs = run_ref_netmask(&tag, &args, &exprs, Some(pkts), None, netmask);
                let cfg = Config {
                    name: format!(
                        "{} O{o} netmask {}",
                        lt_name(*lt),
                        std::net::Ipv4Addr::from(netmask)
                    ),
                    linktype: *lt,
                    optimize,
                    live: false,
                    savefile: false,
                    swapped: false,
                    netmask: Some(netmask),
                    snaplen: SNAPLEN,
                    packets: pkts,
                };
                compare(&cfg, &exprs, &refs, &mut rep);
            }
        }
    }
    let all = corpus_exprs();
    let netmask = 0xffff_ff00;
    let args = ["dead", "1", &SNAPLEN.to_string(), "1"];
    let refs = run_ref_netmask("netmask-corpus", &args, &all, Some(&en10mb), None, netmask);
    let cfg = Config {
        name: "EN10MB O1 netmask 255.255.255.0 (corpus)".to_owned(),
        linktype: DLT_EN10MB,
        optimize: true,
        live: false,
        savefile: false,
        swapped: false,
        netmask: Some(netmask),
        snaplen: SNAPLEN,
        packets: &en10mb,
    };
    compare(&cfg, &all, &refs, &mut rep);
    finish("netmask", &rep, exprs.len(), npackets, started);
}

// ---------------------------------------------------------------------------------------------
// Measurement (bench/compile/run.sh): not a test, run with --ignored.
// ---------------------------------------------------------------------------------------------

/// Instruction counts and compile times of ours vs libpcap's optimized programs over the
/// corpus, as markdown. COMPILE_BENCH_REPS (default 200) compiles per expression for timing;
/// COMPILE_BENCH_OUT names a file for the per-expression table.
#[test]
#[ignore]
fn bench() {
    pcap_ref().expect("pcap_ref");
    isolate().expect("isolate");
    let reps: u32 = std::env::var("COMPILE_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let exprs = corpus_exprs();
    let mut summary = String::new();
    let mut per_expr = String::new();
    writeln!(summary, "| link type | expressions | libpcap insns | ours insns | ours shorter | equal | ours longer | libpcap µs/compile | ours µs/compile |").unwrap();
    writeln!(summary, "|---|---:|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    writeln!(per_expr, "| link type | expression | libpcap | ours | |").unwrap();
    writeln!(per_expr, "|---|---|---:|---:|---|").unwrap();
    let mut longer_list = Vec::new();
    let mut rejected = Vec::new();
    let mut missing = false;
    for lt in [DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW] {
        let efile = work_dir().join(format!("exprs-bench-{lt}.txt"));
        std::fs::write(
            &efile,
            exprs.iter().map(|e| format!("{}\n", e.text)).collect::<String>(),
        )
        .unwrap();
        let out = Command::new(pcap_ref().unwrap())
            .args(["bench", &lt.to_string(), &SNAPLEN.to_string(), "1"])
            .arg(&efile)
            .arg(reps.to_string())
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let (mut n, mut tot_ref, mut tot_ours, mut shorter, mut equal, mut longer) = (0, 0u64, 0u64, 0, 0, 0);
        let (mut ns_ref, mut ns_ours) = (0f64, 0f64);
        for (e, line) in exprs.iter().zip(text.lines()) {
            let Some(rest) = line.strip_prefix("T ") else {
                continue;
            };
            let mut it = rest.split(' ');
            let t_ref: f64 = it.next().unwrap().parse().unwrap();
            let len_ref: u64 = it.next().unwrap().parse().unwrap();
            let start = Instant::now();
            let mut mine = None;
            for _ in 0..reps {
                mine = ours(&e.text, lt, SNAPLEN, true, false);
            }
            let t_ours = start.elapsed().as_nanos() as f64 / f64::from(reps);
            let mine = match mine {
                None => {
                    missing = true;
                    n += 1;
                    tot_ref += len_ref;
                    ns_ref += t_ref;
                    continue;
                }
                Some(Err(msg)) => {
                    rejected.push(format!("{} `{}`: {msg}", lt_name(lt), e.text));
                    continue;
                }
                Some(Ok(p)) => p,
            };
            let len_ours = mine.len() as u64;
            n += 1;
            tot_ref += len_ref;
            tot_ours += len_ours;
            ns_ref += t_ref;
            ns_ours += t_ours;
            let flag = match len_ours.cmp(&len_ref) {
                std::cmp::Ordering::Less => {
                    shorter += 1;
                    "shorter"
                }
                std::cmp::Ordering::Equal => {
                    equal += 1;
                    ""
                }
                std::cmp::Ordering::Greater => {
                    longer += 1;
                    longer_list.push(format!(
                        "{} `{}`: libpcap {len_ref}, ours {len_ours}",
                        lt_name(lt),
                        e.text
                    ));
                    "**LONGER**"
                }
            };
            writeln!(
                per_expr,
                "| {} | `{}` | {len_ref} | {len_ours} | {flag} |",
                lt_name(lt),
                e.text.replace('|', "\\|")
            )
            .unwrap();
        }
        let div = f64::from(n.max(1)) * 1000.0;
        writeln!(
            summary,
            "| {} | {n} | {tot_ref} | {tot_ours} | {shorter} | {equal} | {longer} | {:.1} | {:.1} |",
            lt_name(lt),
            ns_ref / div,
            ns_ours / div
        )
        .unwrap();
    }
    println!("{summary}");
    if missing {
        println!("pkt_bpf::compile is not wired in (fn ours in tests/compile_diff.rs): libpcap only.");
    } else if longer_list.is_empty() {
        println!("No expression compiles longer than libpcap's.");
    } else {
        println!(
            "Longer than libpcap's ({}, the first 40; all in the per-expression table):",
            longer_list.len()
        );
        for l in longer_list.iter().take(40) {
            println!("- {l}");
        }
    }
    if !rejected.is_empty() {
        println!(
            "Accepted by libpcap, rejected by ours (left out above; {}):",
            rejected.len()
        );
        for l in &rejected {
            println!("- {l}");
        }
    }
    if let Ok(path) = std::env::var("COMPILE_BENCH_OUT") {
        std::fs::write(&path, format!("{summary}\n{per_expr}")).unwrap();
        println!("per-expression table: {path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random expressions.
// ---------------------------------------------------------------------------------------------

/// Default seed and count of `random` (COMPILE_DIFF_RANDOM_SEED, COMPILE_DIFF_RANDOM_N): about
/// 4 ms of CPU per expression in release (10,000: about 40 s), 30 ms in a debug build (CI's
/// plain `cargo test`; 1,500: about 45 s).
const RANDOM_SEED: u64 = 0x6c69_6270_6b74_0006;
const RANDOM_N: usize = if cfg!(debug_assertions) { 1500 } else { 10_000 };

/// Random expressions of issue 6's language (tests/compile_diff/random.rs), offline form, the
/// four link types, optimize off and on, same rules as `offline`: every mismatch fails.
///
///   COMPILE_DIFF_RANDOM_SEED=0x1234 COMPILE_DIFF_RANDOM_N=5000 \
///     cargo test --release -p pkt-bpf --test compile_diff random -- --nocapture
#[test]
fn random() {
    if let Err(why) = pcap_ref().and_then(|_| isolate()) {
        return skip(&why);
    }
    let started = Instant::now();
    let seed = env_u64("COMPILE_DIFF_RANDOM_SEED").unwrap_or(RANDOM_SEED);
    let n = env_u64("COMPILE_DIFF_RANDOM_N").map_or(RANDOM_N, |n| n as usize);
    // COMPILE_DIFF_RANDOM_FILE: expressions of a file instead (to shrink a reproducer).
    let exprs: Vec<Expr> = match std::env::var("COMPILE_DIFF_RANDOM_FILE") {
        Ok(f) => read_exprs(Path::new(&f)),
        Err(_) => random::exprs(seed, n),
    };
    let corpus = packets::corpus();
    let (en10mb, raw) = (thin(corpus.en10mb), thin(corpus.raw));
    let mut sets: Vec<(u16, Vec<Packet>)> = vec![
        (DLT_EN10MB, en10mb.clone()),
        (DLT_LINUX_SLL, thin(corpus.sll)),
        (DLT_LINUX_SLL2, thin(corpus.sll2)),
        (DLT_RAW, raw.clone()),
    ];
    // The other link types with a protocol field of their own (issue 15).
    for lt in [
        links::DLT_NULL,
        links::DLT_PPP,
        links::DLT_C_HDLC,
        links::DLT_SUNATM,
        links::DLT_IEEE802,
        links::DLT_FDDI,
        links::DLT_ARCNET,
        links::DLT_IPV6,
    ] {
        sets.push((lt, links::corpus(lt, &en10mb, &raw)));
    }
    let npackets = sets.iter().map(|(_, p)| p.len()).sum();
    let mut rep = Report::default();
    let mut table = String::new();
    let mut index = String::new();
    // Per configuration: verdict mismatches on truncated/short packets only, and those that
    // vanish with the packets padded (only a matter of which loads abort the program).
    let mut only: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (lt, pkts) in &sets {
        for optimize in [false, true] {
            // The name offline_pass gives the configuration.
            let name = format!("{} random O{}", lt_name(*lt), u8::from(optimize));
            let (before, first) = (rep.verdict, rep.details.len());
            let refs = offline_pass("random", *lt, SNAPLEN, optimize, &exprs, pkts, &mut rep);
            // (both accept, both reject, only libpcap rejects, only ours rejects)
            let mut c = [0usize; 4];
            for (e, r) in exprs.iter().zip(&refs) {
                let ours_rejects = matches!(ours(&e.text, *lt, SNAPLEN, optimize, false), Some(Err(_)));
                c[match (matches!(r, Ref::Err(_)), ours_rejects) {
                    (false, false) => 0,
                    (true, true) => 1,
                    (true, false) => 2,
                    (false, true) => 3,
                }] += 1;
            }
            // An index line per verdict mismatch: how many of the differing packets are
            // truncated (snaplen cuts or short on the wire).
            for d in &rep.details[first..] {
                let Some(origin) = d.strip_prefix("VERDICT ").and_then(|r| r.split(' ').next()) else {
                    continue;
                };
                let Some(i) = exprs.iter().position(|e| e.origin == origin) else {
                    continue;
                };
                let (Ref::Ok(theirs, _), Some(Ok(mine))) =
                    (&refs[i], ours(&exprs[i].text, *lt, SNAPLEN, optimize, false))
                else {
                    continue;
                };
                let valid = validate(theirs).is_ok();
                let (mut n, mut cut, mut only_ours, mut padded, mut whole) = (0, 0, 0, 0, None);
                for p in pkts {
                    let want = if valid {
                        run(theirs, &p.data, &p.meta)
                    } else {
                        model::run(model::Sem::Kernel, theirs, &p.data, &p.meta).unwrap_or(0)
                    };
                    let got = run(&mine, &p.data, &p.meta);
                    if got != want {
                        n += 1;
                        only_ours += usize::from(want == 0);
                        // Still different with the packet padded with zeros (no load beyond its
                        // end): not a matter of which loads abort the program.
                        let data = [&p.data[..], &[0; 4096][..]].concat();
                        let want = if valid {
                            run(theirs, &data, &p.meta)
                        } else {
                            model::run(model::Sem::Kernel, theirs, &data, &p.meta).unwrap_or(0)
                        };
                        padded += usize::from(run(&mine, &data, &p.meta) != want);
                        // Cut, or shorter than its headers (`IPv4 ethertype, 10 bytes only`).
                        let short = ["[truncated", "bytes only", "one byte", "RAW: empty"];
                        if (p.data.len() as u32) < p.wirelen || short.iter().any(|s| p.desc.contains(s)) {
                            cut += 1;
                        } else {
                            whole.get_or_insert(p.desc.as_str());
                        }
                    }
                }
                let o = only.entry(name.clone()).or_default();
                o.0 += usize::from(n == cut);
                o.1 += usize::from(padded == 0);
                writeln!(
                    index,
                    "{:<20} {n:>5} differ {cut:>5} truncated {only_ours:>5} only-ours-match {padded:>5} padded-differ  {origin} `{}`{}",
                    name,
                    exprs[i].text,
                    whole.map_or(String::new(), |w| format!(" (first whole packet: {w})"))
                )
                .unwrap();
            }
            writeln!(
                table,
                "  {:<22} {:>6} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10}",
                name,
                c[0],
                c[1],
                c[2],
                c[3],
                rep.verdict - before,
                only.get(&name).map_or(0, |o| o.0),
                only.get(&name).map_or(0, |o| o.1)
            )
            .unwrap();
        }
    }
    let index_path = work_dir().join("report-random-index.txt");
    std::fs::write(&index_path, &index).unwrap();
    eprintln!(
        "compile_diff random: seed {seed:#x}, {} expressions (COMPILE_DIFF_RANDOM_SEED, COMPILE_DIFF_RANDOM_N); per configuration:\n  {:<22} {:>6} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10}\n{table}",
        exprs.len(),
        "",
        "accept",
        "reject",
        "only-lib",
        "only-our",
        "verdict",
        "trunc-only",
        "abort-only"
    );
    eprintln!(
        "  (accept/reject: both do; only-lib: libpcap rejects, ours accepts; only-our: ours rejects, libpcap \
         accepts; verdict: mismatching expressions; of which trunc-only: on truncated or short packets only, \
         abort-only: none left with the packets padded with zeros (only which loads abort differs); one line \
         each in {})",
        index_path.display()
    );
    finish("random", &rep, exprs.len(), npackets, started);
}

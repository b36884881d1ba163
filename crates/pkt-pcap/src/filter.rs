//! Filters: `pcap_compile` (libpkt's compiler, whose programs are libpcap's), `pcap_setfilter`
//! (the kernel runs it; cooked captures get libpcap's `fix_program` rewrite), the user-space
//! interpreter (`bpf_filter`, `pcap_offline_filter`), `bpf_validate` and the text forms
//! (`bpf_image`, `bpf_dump`).

use std::ffi::{c_char, c_int, c_uint, CStr, CString};
use std::net::Ipv4Addr;

use pkt::filter::Insn;
use pkt_bpf::compile::{compile_netmask, cooked_to_live, Flags};

use crate::err::guard;
use crate::handle::{inner, Inner, Pcap, Source, DLT_LINUX_SLL, DLT_LINUX_SLL2};
use crate::types::*;

/// # Safety
/// `fp` is NULL or a `bpf_program` whose `bf_insns` has `bf_len` instructions.
unsafe fn program<'a>(fp: *const BpfProgram) -> Option<&'a [Insn]> {
    if fp.is_null() {
        return None;
    }
    // SAFETY: per the contract.
    let (len, insns) = unsafe { ((*fp).bf_len as usize, (*fp).bf_insns) };
    if insns.is_null() || len == 0 {
        return Some(&[]);
    }
    // SAFETY: per the contract: `len` instructions at `insns`.
    Some(unsafe { std::slice::from_raw_parts(insns.cast_const(), len) })
}

/// Fills `fp` with a malloc'd copy of `prog` (freed by `pcap_freecode`).
///
/// # Safety
/// `fp` is writable.
unsafe fn fill(fp: *mut BpfProgram, prog: &[Insn]) -> bool {
    let bytes = std::mem::size_of_val(prog).max(1);
    // SAFETY: malloc; NULL checked.
    let a = unsafe { libc::malloc(bytes) }.cast::<Insn>();
    if a.is_null() {
        return false;
    }
    // SAFETY: `a` has room for prog.len() instructions; `fp` is writable per the contract.
    unsafe {
        std::ptr::copy_nonoverlapping(prog.as_ptr(), a, prog.len());
        (*fp).bf_len = prog.len() as c_uint;
        (*fp).bf_insns = a;
    }
    true
}

/// The compiler's flags for a handle: a live capture's form (not for cooked captures, whose
/// program libpcap compiles against the cooked header and rewrites at `pcap_setfilter`), a
/// savefile's, or a dead handle's.
fn flags_for(i: &Inner, optimize: bool) -> Flags {
    let mut f = Flags {
        optimize,
        ..Flags::default()
    };
    match &i.src {
        Source::Live(_) => f.live = !(i.linktype == DLT_LINUX_SLL || i.linktype == DLT_LINUX_SLL2),
        Source::Offline(sf) => {
            f.savefile = true;
            f.swapped = sf.is_swapped();
        }
        _ => {}
    }
    f
}

/// Compiles `expr` for the handle's link type and snapshot length into `*fp` (free it with
/// `pcap_freecode`). `netmask` is the IPv4 netmask in host byte order, as libpcap takes it
/// (`PCAP_NETMASK_UNKNOWN`: `ip broadcast` is an error). Returns 0, or `PCAP_ERROR` with
/// libpcap's message in `pcap_geterr`.
///
/// # Safety
/// `p` is a handle from this library; `fp` is writable; `expr` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_compile(
    p: *mut Pcap,
    fp: *mut BpfProgram,
    expr: *const c_char,
    optimize: c_int,
    netmask: u32,
) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        if !i.activated {
            i.err.set("not-yet-activated pcap_t passed to pcap_compile");
            return PCAP_ERROR;
        }
        if fp.is_null() {
            i.err.set("NULL bpf_program pointer passed to pcap_compile");
            return PCAP_ERROR;
        }
        let text = if expr.is_null() {
            String::new()
        } else {
            // SAFETY: NUL-terminated per the contract.
            unsafe { CStr::from_ptr(expr) }.to_string_lossy().into_owned()
        };
        let Ok(linktype) = u16::try_from(i.linktype) else {
            i.err.set(&format!(
                "unknown data link type {} (min 104, max 289)",
                i.linktype
            ));
            return PCAP_ERROR;
        };
        let snaplen = i.snapshot.max(0) as u32;
        let flags = flags_for(i, optimize != 0);
        match compile_netmask(&text, linktype, snaplen, flags, Ipv4Addr::from(netmask)) {
            // SAFETY: `fp` is writable per the contract.
            Ok(prog) => match unsafe { fill(fp, &prog) } {
                true => 0,
                false => {
                    i.err.set("malloc: Cannot allocate memory");
                    PCAP_ERROR
                }
            },
            Err(e) => {
                // libpcap's grammar reports every syntax error (and the scanner's bad
                // characters) with bison's plain message; libpkt's parser says more.
                if e.msg.starts_with("syntax error") {
                    i.err.set("can't parse filter expression: syntax error");
                } else {
                    i.err.set(&e.msg);
                }
                PCAP_ERROR
            }
        }
    })
}

/// `pcap_compile` without a handle: for `linktype` and `snaplen`, as on `pcap_open_dead`.
/// Errors go nowhere (libpcap's behaviour); returns 0 or `PCAP_ERROR`.
///
/// # Safety
/// As `pcap_compile`.
#[no_mangle]
pub unsafe extern "C" fn pcap_compile_nopcap(
    snaplen: c_int,
    linktype: c_int,
    fp: *mut BpfProgram,
    expr: *const c_char,
    optimize: c_int,
    netmask: u32,
) -> c_int {
    let p = crate::handle::pcap_open_dead(linktype, snaplen);
    if p.is_null() {
        return PCAP_ERROR;
    }
    // SAFETY: `p` is ours; the rest forwarded.
    let r = unsafe { pcap_compile(p, fp, expr, optimize, netmask) };
    // SAFETY: ours, closed once.
    unsafe { crate::handle::pcap_close(p) };
    r
}

/// Frees a program from `pcap_compile` (and empties `*fp`).
///
/// # Safety
/// `fp` is NULL or a program from `pcap_compile` (or zeroed).
#[no_mangle]
pub unsafe extern "C" fn pcap_freecode(fp: *mut BpfProgram) {
    guard((), || {
        if fp.is_null() {
            return;
        }
        // SAFETY: `bf_insns` is NULL or malloc'd by `fill`; `fp` is writable.
        unsafe {
            libc::free((*fp).bf_insns.cast());
            (*fp).bf_insns = std::ptr::null_mut();
            (*fp).bf_len = 0;
        }
    })
}

/// Applies `*fp` to the handle: a live capture's kernel runs it (a cooked capture's program
/// rewritten as libpcap's `fix_program` does, or run here when the kernel cannot see the
/// fields it tests); a savefile's packets are filtered here.
///
/// # Safety
/// `p` is a handle from this library; `fp` is NULL or a valid program.
#[no_mangle]
pub unsafe extern "C" fn pcap_setfilter(p: *mut Pcap, fp: *mut BpfProgram) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        // SAFETY: per the contract.
        let Some(prog) = (unsafe { program(fp) }) else {
            i.err.set("No filter specified");
            return PCAP_ERROR;
        };
        let prog = prog.to_vec();
        // libpcap's install_bpf_program: its own (loose) check, which no instructions fail.
        if !pcap_valid(&prog) {
            i.err.set("BPF program is not valid");
            return PCAP_ERROR;
        }
        // What libpcap's check passes and the kernel's refuses (an unknown opcode, `ret x`, a
        // backward jump, a shift by 32 or more, a scratch word read before it is written):
        // libpcap warns and filters in user space, as here.
        let kernel_refuses = pkt_bpf::validate(&prog).is_err();
        match &mut i.src {
            Source::Live(h) => {
                let linktype = i.linktype;
                let cooked = i.cooked && (linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2);
                let (kernel, user) = if kernel_refuses {
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "Warning: Kernel filter failed: Invalid argument"
                    );
                    (Vec::new(), Some(prog))
                } else if !cooked {
                    (prog, None)
                } else {
                    match cooked_to_live(&prog, linktype as u16) {
                        Ok(k) => (k, None),
                        Err(_) => (Vec::new(), Some(prog)),
                    }
                };
                // libpcap filters what is in the ring, and the next packet (V2) or block (V3)
                // the kernel fills, with the new program in its own interpreter, which fails
                // every ancillary load: "inbound" on an Ethernet device drops the first
                // inbound packet after it is set. As here. (A cooked capture's program is run
                // there as written, over the cooked header libpcap builds: libpkt's run of
                // the rewritten one gives the same verdicts.)
                let backlog = (!cooked).then(|| as_pcap_userland(&kernel));
                let r = h.set_filter_backlog(
                    if kernel.is_empty() { None } else { Some(&kernel) },
                    backlog.as_deref(),
                );
                match r {
                    Ok(()) => {
                        i.user_filter = user;
                        0
                    }
                    Err(e) => {
                        i.err.set(&format!(
                            "can't attach filter: {}",
                            crate::err::strerror(e.errno().0)
                        ));
                        PCAP_ERROR
                    }
                }
            }
            Source::Offline(_) => {
                i.user_filter = Some(prog);
                0
            }
            Source::Dead => {
                i.err.set("The filter can't be set on a pcap_open_dead pcap_t");
                PCAP_ERROR
            }
            Source::Created => {
                i.err.set("This handle hasn't been activated yet");
                PCAP_ERROR_NOT_ACTIVATED
            }
        }
    })
}

/// The instructions a program given without its length can execute: jumps only go forward,
/// so everything up to the farthest instruction reachable from the first. Reads nothing past
/// that one (a valid program ends with a `ret` there).
///
/// # Safety
/// `pc` points at a program whose reachable instructions are readable.
unsafe fn reachable<'a>(pc: *const Insn) -> &'a [Insn] {
    let mut far = 0usize;
    let mut i = 0usize;
    while i <= far && i < pkt_bpf::MAX_INSNS {
        // SAFETY: `i` is reachable (<= far), so readable per the contract.
        let insn = unsafe { *pc.add(i) };
        let class = insn.code & 0x07;
        if class == pkt_bpf::BPF_RET {
            // Nothing after it unless a jump lands there.
        } else if class == pkt_bpf::BPF_JMP {
            let next = i + 1;
            if insn.code & 0xf0 == pkt_bpf::BPF_JA {
                far = far.max(next.saturating_add(insn.k as usize));
            } else {
                far = far
                    .max(next + usize::from(insn.jt))
                    .max(next + usize::from(insn.jf));
            }
        } else {
            far = far.max(i + 1);
        }
        i += 1;
    }
    let n = i.min(far + 1).min(pkt_bpf::MAX_INSNS);
    // SAFETY: instructions 0..n were read above (each reachable).
    unsafe { std::slice::from_raw_parts(pc, n) }
}

/// Runs a program over a packet as libpcap's interpreter: `buflen` bytes at `pkt` of a
/// `wirelen`-byte packet. Returns the bytes to keep (0: rejected). A NULL program accepts
/// everything (returns `u32::MAX`).
///
/// # Safety
/// `pc` is NULL or a program ending in `ret` on every path; `pkt` has `buflen` bytes.
#[no_mangle]
pub unsafe extern "C" fn bpf_filter(
    pc: *const Insn,
    pkt: *const u8,
    wirelen: c_uint,
    buflen: c_uint,
) -> c_uint {
    guard(0, || {
        if pc.is_null() {
            return u32::MAX;
        }
        // SAFETY: per the contract.
        let prog = unsafe { reachable(pc) };
        let data = if pkt.is_null() || buflen == 0 {
            &[][..]
        } else {
            // SAFETY: `buflen` bytes per the contract.
            unsafe { std::slice::from_raw_parts(pkt, buflen as usize) }
        };
        pkt_bpf::run_offline(prog, data, wirelen)
    })
}

/// Runs `*fp` over a packet as a savefile filter would: nonzero if it passes.
///
/// # Safety
/// `fp` is a valid program; `h` a header; `pkt` has `h->caplen` bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_offline_filter(
    fp: *const BpfProgram,
    h: *const PcapPkthdr,
    pkt: *const u8,
) -> c_int {
    guard(0, || {
        if h.is_null() {
            return 0;
        }
        // SAFETY: per the contract.
        let Some(prog) = (unsafe { program(fp) }) else {
            return 0;
        };
        if prog.is_empty() {
            // libpcap's interpreter on no instructions returns 0 (rejected).
            return 0;
        }
        // SAFETY: per the contract.
        let (caplen, len) = unsafe { ((*h).caplen, (*h).len) };
        let data = if pkt.is_null() || caplen == 0 {
            &[][..]
        } else {
            // SAFETY: `caplen` bytes per the contract.
            unsafe { std::slice::from_raw_parts(pkt, caplen as usize) }
        };
        // The program's return value, as libpcap's `pcap_offline_filter` (nonzero: accepted).
        pkt_bpf::run_offline(prog, data, len) as c_int
    })
}

/// libpcap's `pcap_validate_filter` (bpf_filter.c), rule for rule: at least one instruction;
/// loads of a known mode and scratch words below 16; ALU operations of a known kind and no
/// division or modulus by a constant 0; jumps of a known kind whose targets lie inside the
/// program (a `ja` offset wraps as a 32-bit sum, so a backward `ja` may pass); every `ret`
/// and every `misc` instruction accepted; the last instruction a `ret`. Looser than the
/// kernel's checker (no shift bound, no opcode check in the ret and misc classes, no
/// scratch-read-before-write check), as libpcap is.
pub(crate) fn pcap_valid(prog: &[Insn]) -> bool {
    use pkt_bpf::{BPF_JMP, BPF_MEMWORDS, BPF_RET};
    let Some(last) = prog.last() else {
        return false;
    };
    let len = prog.len() as u64;
    for (i, p) in prog.iter().enumerate() {
        let ok = match p.code & 0x07 {
            // BPF_LD, BPF_LDX: modes IMM, ABS, IND, MEM (k < 16), LEN, MSH.
            0x00 | 0x01 => match p.code & 0xe0 {
                0x00 | 0x20 | 0x40 | 0x80 | 0xa0 => true,
                0x60 => p.k < BPF_MEMWORDS,
                _ => false,
            },
            // BPF_ST, BPF_STX.
            0x02 | 0x03 => p.k < BPF_MEMWORDS,
            // BPF_ALU: ADD SUB MUL OR AND XOR LSH RSH NEG; DIV and MOD not by a constant 0.
            0x04 => match p.code & 0xf0 {
                0x00 | 0x10 | 0x20 | 0x40 | 0x50 | 0xa0 | 0x60 | 0x70 | 0x80 => true,
                0x30 | 0x90 => p.code & 0x08 != 0 || p.k != 0,
                _ => false,
            },
            c if c == BPF_JMP => {
                let from = i as u64 + 1;
                match p.code & 0xf0 {
                    // libpcap adds in u_int: the sum wraps.
                    0x00 => u64::from((from as u32).wrapping_add(p.k)) < len,
                    0x10 | 0x20 | 0x30 | 0x40 => from + u64::from(p.jt) < len && from + u64::from(p.jf) < len,
                    _ => false,
                }
            }
            // BPF_RET, BPF_MISC.
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    last.code & 0x07 == BPF_RET
}

/// `prog` as libpcap's own interpreter runs it, for the kernel's interpreter: libpcap's loads
/// have no negative offsets and no ancillary data but, for a byte load, the VLAN tag and its
/// presence; each other such load fails, which rejects the packet, so it becomes `ret #0`
/// (one instruction for one: the jumps stay as they are).
fn as_pcap_userland(prog: &[Insn]) -> Vec<Insn> {
    use pkt_bpf::{
        BPF_ABS, BPF_IND, BPF_LD, BPF_LDX, SKF_AD_OFF, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_LL_OFF,
    };
    const LDB_ABS: u16 = 0x30;
    prog.iter()
        .map(|&insn| {
            let class = insn.code & 0x07;
            let mode = insn.code & 0xe0;
            let load = (class == BPF_LD || class == BPF_LDX) && (mode == BPF_ABS || mode == BPF_IND);
            let vlan = insn.code == LDB_ABS
                && (insn.k == SKF_AD_OFF + SKF_AD_VLAN_TAG || insn.k == SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT);
            if load && insn.k >= SKF_LL_OFF && !vlan {
                Insn::stmt(pkt_bpf::BPF_RET | pkt_bpf::BPF_K, 0)
            } else {
                insn
            }
        })
        .collect()
}

/// 1 if the program is valid by libpcap's rules ([`pcap_valid`]: in bounds, ends with `ret`,
/// no division by a constant 0, ...).
///
/// # Safety
/// `f` has `len` instructions.
#[no_mangle]
pub unsafe extern "C" fn bpf_validate(f: *const Insn, len: c_int) -> c_int {
    guard(0, || {
        if f.is_null() || len < 1 {
            return 0;
        }
        // SAFETY: `len` instructions per the contract.
        let prog = unsafe { std::slice::from_raw_parts(f, len as usize) };
        c_int::from(pcap_valid(prog))
    })
}

/// libpcap's names of the ancillary loads (`SKF_AD_*` / 4).
const ANCILLARY: [&str; 16] = [
    "proto",
    "type",
    "ifidx",
    "nla",
    "nlan",
    "mark",
    "queue",
    "hatype",
    "rxhash",
    "cpu",
    "xor_x",
    "vlan_tci",
    "vlanp",
    "poff",
    "random",
    "vlan_tpid",
];
const SKF_AD_OFF: u32 = 0xffff_f000;

fn abs_operand(k: u32) -> String {
    let off = k.wrapping_sub(SKF_AD_OFF);
    if k >= SKF_AD_OFF && off < 64 && off % 4 == 0 {
        format!("[{}]", ANCILLARY[(off / 4) as usize])
    } else {
        format!("[{}]", k as i32)
    }
}

/// One instruction as libpcap's `bpf_image` writes it.
pub fn image(p: &Insn, n: i32) -> String {
    let k = p.k;
    let ks = k as i32;
    let (op, operand): (&str, String) = match p.code {
        0x06 => ("ret", format!("#{ks}")),
        0x16 => ("ret", String::new()),
        0x20 => ("ld", abs_operand(k)),
        0x28 => ("ldh", abs_operand(k)),
        0x30 => ("ldb", abs_operand(k)),
        0x80 => ("ld", "#pktlen".into()),
        0x40 => ("ld", format!("[x + {ks}]")),
        0x48 => ("ldh", format!("[x + {ks}]")),
        0x50 => ("ldb", format!("[x + {ks}]")),
        0x00 => ("ld", format!("#0x{k:x}")),
        0x01 => ("ldx", format!("#0x{k:x}")),
        0xb1 => ("ldxb", format!("4*([{ks}]&0xf)")),
        0x60 => ("ld", format!("M[{ks}]")),
        0x61 => ("ldx", format!("M[{ks}]")),
        0x02 => ("st", format!("M[{ks}]")),
        0x03 => ("stx", format!("M[{ks}]")),
        0x05 => ("ja", format!("{}", n.wrapping_add(1).wrapping_add(ks))),
        0x25 => ("jgt", format!("#0x{k:x}")),
        0x35 => ("jge", format!("#0x{k:x}")),
        0x15 => ("jeq", format!("#0x{k:x}")),
        0x45 => ("jset", format!("#0x{k:x}")),
        0x2d => ("jgt", "x".into()),
        0x3d => ("jge", "x".into()),
        0x1d => ("jeq", "x".into()),
        0x4d => ("jset", "x".into()),
        0x0c => ("add", "x".into()),
        0x1c => ("sub", "x".into()),
        0x2c => ("mul", "x".into()),
        0x3c => ("div", "x".into()),
        0x9c => ("mod", "x".into()),
        0x5c => ("and", "x".into()),
        0x4c => ("or", "x".into()),
        0xac => ("xor", "x".into()),
        0x6c => ("lsh", "x".into()),
        0x7c => ("rsh", "x".into()),
        0x04 => ("add", format!("#{ks}")),
        0x14 => ("sub", format!("#{ks}")),
        0x24 => ("mul", format!("#{ks}")),
        0x34 => ("div", format!("#{ks}")),
        0x94 => ("mod", format!("#{ks}")),
        0x54 => ("and", format!("#0x{k:x}")),
        0x44 => ("or", format!("#0x{k:x}")),
        0xa4 => ("xor", format!("#0x{k:x}")),
        0x64 => ("lsh", format!("#{ks}")),
        0x74 => ("rsh", format!("#{ks}")),
        0x84 => ("neg", String::new()),
        0x07 => ("tax", String::new()),
        0x87 => ("txa", String::new()),
        c => ("unimp", format!("0x{c:x}")),
    };
    let jmp = p.code & 0x07 == 0x05 && p.code & 0xf0 != 0x00;
    if jmp {
        format!(
            "({n:03}) {op:<8} {operand:<16} jt {}\tjf {}",
            n + 1 + i32::from(p.jt),
            n + 1 + i32::from(p.jf)
        )
    } else {
        format!("({n:03}) {op:<8} {operand}")
    }
}

thread_local! {
    static IMAGE: std::cell::RefCell<CString> = std::cell::RefCell::new(CString::default());
}

/// One instruction in libpcap's text form (thread-local storage, valid until the next call).
///
/// # Safety
/// `p` points at an instruction.
#[no_mangle]
pub unsafe extern "C" fn bpf_image(p: *const Insn, n: c_int) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        if p.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: per the contract.
        let s = image(unsafe { &*p }, n);
        let c = CString::new(s).unwrap_or_default();
        IMAGE.with(|b| {
            *b.borrow_mut() = c;
            b.borrow_mut().as_ptr().cast_mut()
        })
    })
}

/// Prints a program on standard output (C stdio, so that it interleaves with the caller's
/// output): `option` 0/1 as `tcpdump -d`, 2 as `-dd`, 3 and more as `-ddd`.
///
/// # Safety
/// `p` is a valid program.
#[no_mangle]
pub unsafe extern "C" fn bpf_dump(p: *const BpfProgram, option: c_int) {
    guard((), || {
        // SAFETY: per the contract.
        let Some(prog) = (unsafe { program(p) }) else {
            return;
        };
        let mut out = String::new();
        if option > 2 {
            out.push_str(&format!("{}\n", prog.len()));
            for i in prog {
                out.push_str(&format!("{} {} {} {}\n", i.code, i.jt, i.jf, i.k));
            }
        } else if option > 1 {
            for i in prog {
                out.push_str(&format!(
                    "{{ 0x{:x}, {}, {}, 0x{:08x} }},\n",
                    i.code, i.jt, i.jf, i.k
                ));
            }
        } else {
            for (n, i) in prog.iter().enumerate() {
                out.push_str(&image(i, n as i32));
                out.push('\n');
            }
        }
        crate::cstdio::c_stdout(&out);
    })
}

//! Classic BPF (the socket filters of Linux, tcpdump and libpcap) in safe Rust, std only:
//!
//! - [`Insn`], one instruction, laid out as Linux `struct sock_filter` (and libpcap's
//!   `struct bpf_insn`), and the opcode and ancillary-offset constants (`BPF_*`, `SKF_*`);
//! - [`validate`], the kernel's checks (`bpf_check_classic`): a program it accepts, the kernel
//!   accepts, and one it refuses comes with a reason naming the instruction ([`is_valid`]: the
//!   same verdict without the reason and without allocating, for checking at each run);
//! - [`run`], an interpreter with the semantics the kernel gives a socket filter, with the
//!   packet's metadata ([`Meta`]) for the ancillary loads, for programs run in user space;
//!   [`run_offline`], the same with libpcap's `bpf_filter()` semantics, for packets without
//!   metadata (savefiles);
//! - [`compile`], a complete compiler of filter expressions (tcpdump's language, pcap-filter(7),
//!   as libpcap 1.10 accepts it) in pure Rust, without libpcap: for Ethernet, raw IP, the
//!   Linux cooked link types, PPP, Token Ring, FDDI and the others of [`compile`]'s table, the
//!   legacy families (AppleTalk, DECnet, ISO and IS-IS, IPX, STP, NetBEUI, 802.2 LLC)
//!   included, with a netmask for `ip broadcast` ([`compile::compile_netmask`]), in the offline
//!   form (savefiles) or the live one (`AF_PACKET` sockets), optimized or not, its programs are
//!   the ones libpcap's `pcap_compile()` generates, instruction for instruction. Its differential tests compare it with libpcap
//!   on a corpus of hand-written and random expressions (identical programs but where
//!   libpcap's is one the kernel refuses: `protochain`, one `geneve` case; the same verdicts
//!   on every packet everywhere) and run its live programs in the kernel on real frames.
//!
//! It is the filter toolchain of libpkt (the `pkt` crate, which re-exports it as `pkt::filter`),
//! usable on its own: the programs go to `SO_ATTACH_FILTER`, `pcap_setfilter` or anything else
//! that takes classic BPF.
//!
//! ```
//! use pkt_bpf::compile::{compile, Flags, DLT_EN10MB};
//! use pkt_bpf::{run, validate, Meta};
//!
//! let prog = compile("tcp port 80", DLT_EN10MB, 0, Flags { optimize: true, ..Flags::default() })?;
//! assert!(validate(&prog).is_ok());
//!
//! // An Ethernet frame: IPv4, TCP from port 40000 to port 80.
//! let mut frame = vec![0u8; 54];
//! frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes()); // ethertype IPv4
//! frame[14] = 0x45; // version 4, header of 20 bytes
//! frame[16..18].copy_from_slice(&40u16.to_be_bytes()); // total length
//! frame[23] = 6; // protocol TCP
//! frame[34..36].copy_from_slice(&40000u16.to_be_bytes()); // source port
//! frame[36..38].copy_from_slice(&80u16.to_be_bytes()); // destination port
//! let meta = Meta { len: frame.len() as u32, ..Meta::default() };
//!
//! // Accepted: the program returns the snapshot length (262144 for 0).
//! assert_eq!(run(&prog, &frame, &meta), 262_144);
//! // Port 81 is not port 80.
//! frame[36..38].copy_from_slice(&81u16.to_be_bytes());
//! assert_eq!(run(&prog, &frame, &meta), 0);
//! # Ok::<(), pkt_bpf::compile::CompileError>(())
//! ```
#![forbid(unsafe_code)]

mod interp;
mod validate;

pub mod compile;

pub use interp::{run, run_offline};
pub use validate::{check_userspace, is_valid, validate};

/// One classic BPF instruction; the same layout as Linux `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }
}

/// The most instructions the kernel accepts in one classic program (`BPF_MAXINSNS`).
/// cbindgen:ignore
pub const KERNEL_MAX_INSNS: usize = 4096;
/// The most instructions libpkt accepts at all (longer programs run in user space).
/// cbindgen:ignore
pub const MAX_INSNS: usize = 1 << 16;

/// What the kernel knows about a packet besides its bytes: the inputs of the ancillary loads
/// (`SKF_AD_*`) and of `ld len`, taken from the ring's frame header and `sockaddr_ll`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Wire length (`tp_len`); what `ld #len` / `ldx #len` load.
    pub len: u32,
    /// Offset of the network header from the start of the data (`tp_net - tp_mac`), for
    /// `SKF_NET_OFF` loads.
    pub net_off: u32,
    /// Ethertype, host byte order (`SKF_AD_PROTOCOL`).
    pub protocol: u16,
    /// `PACKET_HOST`, ..., `PACKET_OUTGOING` (`SKF_AD_PKTTYPE`).
    pub pkttype: u8,
    /// `SKF_AD_IFINDEX`.
    pub ifindex: i32,
    /// ARPHRD of the interface (`SKF_AD_HATYPE`).
    pub hatype: u16,
    /// `SKF_AD_RXHASH` (0 where the ring does not carry it).
    pub rxhash: u32,
    /// Outer VLAN tag moved into metadata by the kernel (`SKF_AD_VLAN_TAG`), valid if
    /// `vlan_present`.
    pub vlan_tci: u16,
    /// `SKF_AD_VLAN_TAG_PRESENT`.
    pub vlan_present: bool,
    /// `SKF_AD_VLAN_TPID`.
    pub vlan_tpid: u16,
}

/// Opcode fields and ancillary offsets of classic BPF (linux/filter.h, linux/bpf_common.h).
/// cbindgen:ignore
mod codes {
    // Opcode fields and values (linux/filter.h, linux/bpf_common.h).
    pub const BPF_LD: u16 = 0x00;
    pub const BPF_LDX: u16 = 0x01;
    pub const BPF_ST: u16 = 0x02;
    pub const BPF_STX: u16 = 0x03;
    pub const BPF_ALU: u16 = 0x04;
    pub const BPF_JMP: u16 = 0x05;
    pub const BPF_RET: u16 = 0x06;
    pub const BPF_MISC: u16 = 0x07;
    pub const BPF_W: u16 = 0x00;
    pub const BPF_H: u16 = 0x08;
    pub const BPF_B: u16 = 0x10;
    pub const BPF_IMM: u16 = 0x00;
    pub const BPF_ABS: u16 = 0x20;
    pub const BPF_IND: u16 = 0x40;
    pub const BPF_MEM: u16 = 0x60;
    pub const BPF_LEN: u16 = 0x80;
    pub const BPF_MSH: u16 = 0xa0;
    pub const BPF_ADD: u16 = 0x00;
    pub const BPF_SUB: u16 = 0x10;
    pub const BPF_MUL: u16 = 0x20;
    pub const BPF_DIV: u16 = 0x30;
    pub const BPF_OR: u16 = 0x40;
    pub const BPF_AND: u16 = 0x50;
    pub const BPF_LSH: u16 = 0x60;
    pub const BPF_RSH: u16 = 0x70;
    pub const BPF_NEG: u16 = 0x80;
    pub const BPF_MOD: u16 = 0x90;
    pub const BPF_XOR: u16 = 0xa0;
    pub const BPF_JA: u16 = 0x00;
    pub const BPF_JEQ: u16 = 0x10;
    pub const BPF_JGT: u16 = 0x20;
    pub const BPF_JGE: u16 = 0x30;
    pub const BPF_JSET: u16 = 0x40;
    pub const BPF_K: u16 = 0x00;
    pub const BPF_X: u16 = 0x08;
    pub const BPF_A: u16 = 0x10;
    pub const BPF_TAX: u16 = 0x00;
    pub const BPF_TXA: u16 = 0x80;
    pub const BPF_MEMWORDS: u32 = 16;

    // Ancillary data offsets (linux/filter.h).
    pub const SKF_AD_OFF: u32 = (-0x1000i32) as u32;
    pub const SKF_AD_PROTOCOL: u32 = 0;
    pub const SKF_AD_PKTTYPE: u32 = 4;
    pub const SKF_AD_IFINDEX: u32 = 8;
    pub const SKF_AD_NLATTR: u32 = 12;
    pub const SKF_AD_NLATTR_NEST: u32 = 16;
    pub const SKF_AD_MARK: u32 = 20;
    pub const SKF_AD_QUEUE: u32 = 24;
    pub const SKF_AD_HATYPE: u32 = 28;
    pub const SKF_AD_RXHASH: u32 = 32;
    pub const SKF_AD_CPU: u32 = 36;
    pub const SKF_AD_ALU_XOR_X: u32 = 40;
    pub const SKF_AD_VLAN_TAG: u32 = 44;
    pub const SKF_AD_VLAN_TAG_PRESENT: u32 = 48;
    pub const SKF_AD_PAY_OFFSET: u32 = 52;
    pub const SKF_AD_RANDOM: u32 = 56;
    pub const SKF_AD_VLAN_TPID: u32 = 60;
    pub const SKF_AD_MAX: u32 = 64;
    pub const SKF_NET_OFF: u32 = (-0x100000i32) as u32;
    pub const SKF_LL_OFF: u32 = (-0x200000i32) as u32;
}
pub use codes::*;

/// Complete opcodes of every instruction the kernel accepts (`chk_code_allowed`), so the
/// validator and the interpreter can `match` on them; `A | B` in a pattern means "or".
/// cbindgen:ignore
pub(crate) mod op {
    use super::*;

    pub const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
    pub const LD_H_ABS: u16 = BPF_LD | BPF_H | BPF_ABS;
    pub const LD_B_ABS: u16 = BPF_LD | BPF_B | BPF_ABS;
    pub const LD_W_IND: u16 = BPF_LD | BPF_W | BPF_IND;
    pub const LD_H_IND: u16 = BPF_LD | BPF_H | BPF_IND;
    pub const LD_B_IND: u16 = BPF_LD | BPF_B | BPF_IND;
    pub const LD_W_LEN: u16 = BPF_LD | BPF_W | BPF_LEN;
    pub const LD_IMM: u16 = BPF_LD | BPF_IMM;
    pub const LD_MEM: u16 = BPF_LD | BPF_MEM;
    pub const LDX_W_LEN: u16 = BPF_LDX | BPF_W | BPF_LEN;
    pub const LDX_B_MSH: u16 = BPF_LDX | BPF_B | BPF_MSH;
    pub const LDX_IMM: u16 = BPF_LDX | BPF_IMM;
    pub const LDX_MEM: u16 = BPF_LDX | BPF_MEM;
    pub const ST: u16 = BPF_ST;
    pub const STX: u16 = BPF_STX;

    pub const ADD_K: u16 = BPF_ALU | BPF_ADD | BPF_K;
    pub const ADD_X: u16 = BPF_ALU | BPF_ADD | BPF_X;
    pub const SUB_K: u16 = BPF_ALU | BPF_SUB | BPF_K;
    pub const SUB_X: u16 = BPF_ALU | BPF_SUB | BPF_X;
    pub const MUL_K: u16 = BPF_ALU | BPF_MUL | BPF_K;
    pub const MUL_X: u16 = BPF_ALU | BPF_MUL | BPF_X;
    pub const DIV_K: u16 = BPF_ALU | BPF_DIV | BPF_K;
    pub const DIV_X: u16 = BPF_ALU | BPF_DIV | BPF_X;
    pub const MOD_K: u16 = BPF_ALU | BPF_MOD | BPF_K;
    pub const MOD_X: u16 = BPF_ALU | BPF_MOD | BPF_X;
    pub const AND_K: u16 = BPF_ALU | BPF_AND | BPF_K;
    pub const AND_X: u16 = BPF_ALU | BPF_AND | BPF_X;
    pub const OR_K: u16 = BPF_ALU | BPF_OR | BPF_K;
    pub const OR_X: u16 = BPF_ALU | BPF_OR | BPF_X;
    pub const XOR_K: u16 = BPF_ALU | BPF_XOR | BPF_K;
    pub const XOR_X: u16 = BPF_ALU | BPF_XOR | BPF_X;
    pub const LSH_K: u16 = BPF_ALU | BPF_LSH | BPF_K;
    pub const LSH_X: u16 = BPF_ALU | BPF_LSH | BPF_X;
    pub const RSH_K: u16 = BPF_ALU | BPF_RSH | BPF_K;
    pub const RSH_X: u16 = BPF_ALU | BPF_RSH | BPF_X;
    pub const NEG: u16 = BPF_ALU | BPF_NEG;

    pub const JA: u16 = BPF_JMP | BPF_JA;
    pub const JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
    pub const JEQ_X: u16 = BPF_JMP | BPF_JEQ | BPF_X;
    pub const JGT_K: u16 = BPF_JMP | BPF_JGT | BPF_K;
    pub const JGT_X: u16 = BPF_JMP | BPF_JGT | BPF_X;
    pub const JGE_K: u16 = BPF_JMP | BPF_JGE | BPF_K;
    pub const JGE_X: u16 = BPF_JMP | BPF_JGE | BPF_X;
    pub const JSET_K: u16 = BPF_JMP | BPF_JSET | BPF_K;
    pub const JSET_X: u16 = BPF_JMP | BPF_JSET | BPF_X;

    pub const RET_K: u16 = BPF_RET | BPF_K;
    pub const RET_A: u16 = BPF_RET | BPF_A;
    pub const TAX: u16 = BPF_MISC | BPF_TAX;
    pub const TXA: u16 = BPF_MISC | BPF_TXA;

    /// Every opcode above.
    #[cfg(test)]
    pub const ALL: [u16; 49] = [
        LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_W_IND, LD_H_IND, LD_B_IND, LD_W_LEN, LD_IMM, LD_MEM, LDX_W_LEN,
        LDX_B_MSH, LDX_IMM, LDX_MEM, ST, STX, ADD_K, ADD_X, SUB_K, SUB_X, MUL_K, MUL_X, DIV_K, DIV_X, MOD_K,
        MOD_X, AND_K, AND_X, OR_K, OR_X, XOR_K, XOR_X, LSH_K, LSH_X, RSH_K, RSH_X, NEG, JA, JEQ_K, JEQ_X,
        JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X, RET_K, RET_A, TAX, TXA,
    ];
}

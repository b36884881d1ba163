//! OpenBSD's pf log (DLT_PFLOG), as libpcap 1.10's generator models it on Linux.
//!
//! The header (`struct pfloghdr`) says how long it is in its first byte (rounded up to a
//! multiple of 4: the payload offset, kept in a scratch register that the program's first
//! statements set); its fields are at fixed offsets: address family at 1 (`ip`: 2, `ip6`:
//! Linux's AF_INET6, 10), action at 2, reason at 3, interface name at 4 (16 bytes), ruleset
//! name at 20 (16 bytes), rule number at 36, subrule number at 40, direction at 60 (`inbound`:
//! 1, `outbound`: 2). Other protocols never match.

use super::*;

const OFF_AF: u32 = 1;
const OFF_ACTION: u32 = 2;
const OFF_REASON: u32 = 3;
const OFF_IFNAME: u32 = 4;
const OFF_RULESET: u32 = 20;
const OFF_RULENR: u32 = 36;
const OFF_SUBRULENR: u32 = 40;
const OFF_DIR: u32 = 60;
/// `PFLOG_IFNAMSIZ` and `PFLOG_RULESET_NAME_SIZE`.
const NAME_SIZE: usize = 16;
const PF_IN: u32 = 1;
const PF_OUT: u32 = 2;

/// libpcap's names of pf reasons (`reason NAME`), as on Linux.
pub const REASONS: &[(&str, u32)] = &[
    ("match", 0),
    ("bad-offset", 1),
    ("fragment", 2),
    ("short", 3),
    ("normalize", 4),
    ("memory", 5),
    ("bad-timestamp", 6),
    ("congestion", 7),
    ("ip-option", 8),
    ("proto-cksum", 9),
    ("state-mismatch", 10),
    ("state-insert", 11),
    ("state-limit", 12),
    ("src-limit", 13),
    ("synproxy", 14),
];

/// libpcap's names of pf actions (`action NAME`), as on Linux.
pub const ACTIONS: &[(&str, u32)] = &[
    ("pass", 0),
    ("accept", 0),
    ("drop", 1),
    ("block", 1),
    ("scrub", 2),
    ("noscrub", 3),
    ("nat", 4),
    ("nonat", 5),
    ("binat", 6),
    ("nobinat", 7),
    ("rdr", 8),
    ("nordr", 9),
    ("synproxy-drop", 10),
];

/// `gen_load_pflog_llprefixlen`: M[pl] = X = the header's length rounded up to 4.
pub(super) fn prologue(pl: u32) -> Vec<Insn> {
    vec![
        ld(op::LD_B_ABS, 0),
        ld(op::ADD_K, 3),
        ld(op::AND_K, 0xffff_fffc),
        ld(op::ST, pl),
        ld(op::TAX, 0),
    ]
}

impl Gen {
    /// `gen_linktype` on PFLOG: the address family byte.
    pub(super) fn pflog_linktype(&mut self, p: u32) -> GResult<Node> {
        match p {
            ETHERTYPE_IP => self.cmp(Rel::LinkHdr, OFF_AF, BPF_B, AF_INET),
            ETHERTYPE_IPV6 => self.cmp(Rel::LinkHdr, OFF_AF, BPF_B, AF_INET6_LINUX),
            _ => Ok(Node::Const(false)),
        }
    }

    /// `inbound`/`outbound` on PFLOG: the direction byte.
    pub(super) fn pflog_dir(&mut self, outbound: bool) -> GResult<Node> {
        self.cmp(
            Rel::LinkHdr,
            OFF_DIR,
            BPF_B,
            if outbound { PF_OUT } else { PF_IN },
        )
    }

    fn pf_only(&self, what: &str) -> GResult<()> {
        if self.linktype == Link::Pflog {
            Ok(())
        } else {
            Err(format!("{what} supported only on PF linktype"))
        }
    }

    /// `ifname NAME` / `on NAME`: the interface name starts with NAME (libpcap compares the
    /// name's bytes, not the NUL after them).
    pub fn pf_ifname(&mut self, name: &str) -> GResult<Node> {
        self.pf_only("ifname")?;
        if name.len() >= NAME_SIZE {
            return Err(format!(
                "ifname interface names can only be {} characters",
                NAME_SIZE - 1
            ));
        }
        self.bcmp(Rel::LinkHdr, OFF_IFNAME, name.as_bytes())
    }

    /// `ruleset NAME` / `rset NAME`: the ruleset name starts with NAME.
    pub fn pf_ruleset(&mut self, name: &str) -> GResult<Node> {
        self.pf_only("ruleset")?;
        if name.len() >= NAME_SIZE {
            return Err(format!("ruleset names can only be {} characters", NAME_SIZE - 1));
        }
        self.bcmp(Rel::LinkHdr, OFF_RULESET, name.as_bytes())
    }

    /// `rnr N` / `rulenum N`.
    pub fn pf_rnr(&mut self, n: u32) -> GResult<Node> {
        self.pf_only("rnr")?;
        self.cmp(Rel::LinkHdr, OFF_RULENR, BPF_W, n)
    }

    /// `srnr N` / `subrulenum N`.
    pub fn pf_srnr(&mut self, n: u32) -> GResult<Node> {
        self.pf_only("srnr")?;
        self.cmp(Rel::LinkHdr, OFF_SUBRULENR, BPF_W, n)
    }

    /// `reason N` / `reason NAME`.
    pub fn pf_reason(&mut self, n: u32) -> GResult<Node> {
        self.pf_only("reason")?;
        self.cmp(Rel::LinkHdr, OFF_REASON, BPF_B, n)
    }

    /// `action NAME`.
    pub fn pf_action(&mut self, n: u32) -> GResult<Node> {
        self.pf_only("action")?;
        self.cmp(Rel::LinkHdr, OFF_ACTION, BPF_B, n)
    }
}

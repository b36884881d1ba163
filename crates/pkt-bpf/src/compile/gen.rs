//! The code generator: libpcap's model of where headers start (a constant part plus, after
//! some encapsulations, a variable part kept in a scratch register) and the tests of every
//! primitive, built in the order libpcap builds them so that loads happen in the same order
//! (which decides the verdict on truncated packets).

use super::ir::{Chain, Jmp, Node, JEQ, JGE, JGT, JSET};
use crate::{op, Insn, BPF_B, BPF_H, BPF_W, SKF_AD_IFINDEX, SKF_AD_OFF, SKF_AD_PKTTYPE};
use crate::{SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT};
#[path = "legacy.rs"]
pub(super) mod legacy;
use legacy::Family;

#[path = "fixed.rs"]
pub mod fixed;
#[path = "mtp.rs"]
pub mod mtp;
#[path = "pflog.rs"]
pub mod pflog;
#[path = "wlan.rs"]
pub mod wlan;
use wlan::WlanQualErr;

pub type GResult<T> = Result<T, String>;

/// Link-layer header types the generator knows (libpcap's `DLT_*` values, see [`Link::dlt`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    En10mb,
    /// Raw IP, IPv4 or IPv6 by the version nibble (DLT_RAW 12, OpenBSD's 14, LINKTYPE_RAW 101).
    Raw,
    Sll,
    Sll2,
    /// PPP with HDLC-like framing (DLT_PPP), and the PPP header inside a PPPoE session (after
    /// `pppoes`).
    Ppp,
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    Null,
    /// OpenBSD loopback: the address family in network byte order.
    Loop,
    /// PPP over serial (RFC 1662 HDLC-like framing).
    PppSerial,
    /// PPPoE session payload (the PPPoE header, no Ethernet header).
    PppEther,
    /// Cisco HDLC.
    CHdlc,
    /// Raw IPv4 only.
    Ipv4,
    /// Raw IPv6 only.
    Ipv6,
    /// Token Ring (802.5), without source routing.
    Ieee802,
    /// FDDI.
    Fddi,
    /// BSD ARCNET.
    Arcnet,
    /// Linux ARCNET.
    ArcnetLinux,
    /// SunATM: a 4-byte pseudo-header (direction and protocol type, VPI, VCI) before the AAL5
    /// PDU; `lane` makes the rest an Ethernet frame.
    SunAtm,
    /// A link type of libpcap's "matching" range (104 to 289) whose header libpcap's
    /// generator does not decode: `link[...]`, lengths and metadata only.
    Other(u16),
    /// IEEE 802.11 without a radio header.
    Ieee80211,
    /// 802.11 after a Prism (or AVS) monitor header.
    Prism,
    /// 802.11 after a radiotap header.
    Radiotap,
    /// 802.11 after an AVS monitor header.
    Avs,
    /// Per-Packet Information (802.11 inside, as libpcap takes it).
    Ppi,
    /// OpenBSD's pf log.
    Pflog,
    /// A link type with a fixed header libpcap knows the offsets of (SLIP, Juniper's,
    /// netANALYZER, MTP2, ...: `fixed.rs`).
    Fixed(u16),
}

impl Link {
    /// The link type for pcap link type `lt` (a DLT or LINKTYPE value), if the generator
    /// knows it.
    pub fn from_dlt(lt: u16) -> Option<Link> {
        // libpcap's generator has offsets or tests of its own for these, which libpkt does not
        // implement (yet): refused rather than treated as opaque.
        const OWN_CODE: [(u16, u16); 14] = [
            (107, 107),
            (109, 109),
            (114, 114),
            (120, 122),
            (130, 140),
            (164, 168),
            (178, 183),
            (194, 194),
            (197, 197),
            (200, 200),
            (226, 226),
            (232, 234),
            (238, 238),
            (240, 241),
        ];
        Some(match lt {
            0 => Link::Null,
            1 => Link::En10mb,
            6 => Link::Ieee802,
            7 => Link::Arcnet,
            9 => Link::Ppp,
            10 => Link::Fddi,
            12 | 14 | 101 => Link::Raw,
            50 => Link::PppSerial,
            51 => Link::PppEther,
            104 => Link::CHdlc,
            105 => Link::Ieee80211,
            108 => Link::Loop,
            113 => Link::Sll,
            117 => Link::Pflog,
            119 => Link::Prism,
            123 => Link::SunAtm,
            127 => Link::Radiotap,
            129 => Link::ArcnetLinux,
            163 => Link::Avs,
            192 => Link::Ppi,
            228 => Link::Ipv4,
            229 => Link::Ipv6,
            276 => Link::Sll2,
            _ if fixed::layout(lt).is_some() => Link::Fixed(lt),
            _ if OWN_CODE.iter().any(|&(a, b)| (a..=b).contains(&lt)) => return None,
            _ if (MATCHING_MIN..=MATCHING_MAX).contains(&lt) => Link::Other(lt),
            _ => return None,
        })
    }

    /// libpcap's `DLT_*` value on Linux.
    pub fn dlt(self) -> u16 {
        match self {
            Link::Null => 0,
            Link::En10mb => 1,
            Link::Ieee802 => 6,
            Link::Arcnet => 7,
            Link::Ppp => 9,
            Link::Fddi => 10,
            Link::Raw => 12,
            Link::PppSerial => 50,
            Link::PppEther => 51,
            Link::CHdlc => 104,
            Link::Loop => 108,
            Link::Sll => 113,
            Link::SunAtm => 123,
            Link::ArcnetLinux => 129,
            Link::Ipv4 => 228,
            Link::Ipv6 => 229,
            Link::Sll2 => 276,
            Link::Other(lt) | Link::Fixed(lt) => lt,
            Link::Ieee80211 => 105,
            Link::Pflog => 117,
            Link::Prism => 119,
            Link::Radiotap => 127,
            Link::Avs => 163,
            Link::Ppi => 192,
        }
    }
}

/// libpcap's range of link types that need no translation between DLT and LINKTYPE values.
pub(crate) const MATCHING_MIN: u16 = 104;
pub(crate) const MATCHING_MAX: u16 = 289;

/// Protocol qualifiers (libpcap's `Q_*` protocol values that libpkt implements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Default,
    Link,
    Ip,
    Arp,
    Rarp,
    Sctp,
    Tcp,
    Udp,
    Icmp,
    Igmp,
    Igrp,
    Pim,
    Vrrp,
    Carp,
    Ip6,
    Icmp6,
    Ah,
    Esp,
    Radio,
    /// A legacy family (AppleTalk, DECnet, ISO, IPX, ...: see `legacy.rs`).
    Legacy(Family),
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Default => "",
            Proto::Link => "link",
            Proto::Ip => "ip",
            Proto::Arp => "arp",
            Proto::Rarp => "rarp",
            Proto::Sctp => "sctp",
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Igmp => "igmp",
            Proto::Igrp => "igrp",
            Proto::Pim => "pim",
            Proto::Vrrp => "vrrp",
            Proto::Carp => "carp",
            Proto::Ip6 => "ip6",
            Proto::Icmp6 => "icmp6",
            Proto::Ah => "ah",
            Proto::Esp => "esp",
            Proto::Radio => "radio",
            Proto::Legacy(f) => f.name(),
        }
    }
}

/// Direction qualifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Default,
    Src,
    Dst,
    Or,
    And,
    /// The 802.11 qualifiers `addr1` to `addr4`, `ra`, `ta` (MAC addresses of 802.11 only).
    Addr1,
    Addr2,
    Addr3,
    Addr4,
    Ra,
    Ta,
}

/// Address-type qualifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    Default,
    Host,
    Net,
    Port,
    PortRange,
    Proto,
    ProtoChain,
    Gateway,
}

/// The qualifiers of a primitive; `None` is libpcap's `qerr` (no qualifiers to carry over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Qual {
    pub proto: Proto,
    pub dir: Dir,
    pub addr: Addr,
}

pub(crate) const ETHERTYPE_IP: u32 = 0x0800;
pub(crate) const ETHERTYPE_ARP: u32 = 0x0806;
pub(crate) const ETHERTYPE_REVARP: u32 = 0x8035;
pub(crate) const ETHERTYPE_IPV6: u32 = 0x86dd;
const ETHERTYPE_8021Q: u32 = 0x8100;
const ETHERTYPE_8021AD: u32 = 0x88a8;
const ETHERTYPE_8021QINQ: u32 = 0x9100;
const ETHERTYPE_MPLS: u32 = 0x8847;
const ETHERTYPE_PPPOED: u32 = 0x8863;
const ETHERTYPE_PPPOES: u32 = 0x8864;
const ETHERTYPE_TEB: u32 = 0x6558;
const ETHERTYPE_ATALK: u32 = 0x809b;
const ETHERTYPE_AARP: u32 = 0x80f3;
const ETHERMTU: u32 = 1500;
const LLCSAP_IP: u32 = 0x06;
const LLCSAP_ISONS: u32 = 0xfe;
const LLCSAP_NETBEUI: u32 = 0xf0;
const LLCSAP_IPX: u32 = 0xe0;
const LINUX_SLL_P_802_2: u32 = 4;
const LINUX_SLL_OUTGOING: u32 = 4;
/// The kernel's `PACKET_OUTGOING` packet type.
const PACKET_OUTGOING: u32 = 4;
pub(crate) const IPPROTO_TCP: u32 = 6;
pub(crate) const IPPROTO_UDP: u32 = 17;
pub(crate) const IPPROTO_SCTP: u32 = 132;
const IPPROTO_FRAGMENT: u32 = 44;
const GENEVE_PORT: u32 = 6081;
const AF_INET: u32 = 2;
const AF_INET6_LINUX: u32 = 10;
const ARCTYPE_IP_OLD: u32 = 240;
const ARCTYPE_ARP_OLD: u32 = 241;
const ARCTYPE_IP: u32 = 212;
const ARCTYPE_ARP: u32 = 213;
const ARCTYPE_REVARP: u32 = 214;
const ARCTYPE_ATALK: u32 = 221;
const ARCTYPE_INET6: u32 = 0xc4;

/// Where a header starts: `constant` plus, if `var`, the value in scratch register `reg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Off {
    pub(super) constant: u32,
    pub(super) var: bool,
    pub(super) reg: Option<u32>,
}

impl Off {
    pub(super) const fn at(constant: u32) -> Off {
        Off {
            constant,
            var: false,
            reg: None,
        }
    }
}

/// Which header an offset is relative to (libpcap's `e_offrel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    LinkHdr,
    /// The link-layer header before the current one (after `lane`: the SunATM header).
    PrevLinkHdr,
    LinkPl,
    /// The LLC header: the link-layer payload without `off_nl` (libpcap's `OR_LLC`).
    Llc,
    LinkType,
    PrevMplsHdr,
    TranIpv4,
    TranIpv6,
}

/// libpcap's scratch register allocator (`alloc_reg`/`free_reg`), reproduced so that
/// expressions that need too many registers fail as they do there.
#[derive(Clone, Debug, Default)]
pub struct Regs {
    used: [bool; 16],
    cur: usize,
    /// Every register ever handed out, for the initialisation of offset registers.
    pub ever: u16,
}

impl Regs {
    pub fn alloc(&mut self) -> GResult<u32> {
        for _ in 0..16 {
            if self.used[self.cur] {
                self.cur = (self.cur + 1) % 16;
            } else {
                self.used[self.cur] = true;
                self.ever |= 1 << self.cur;
                return Ok(self.cur as u32);
            }
        }
        Err("too many registers needed to evaluate expression".to_owned())
    }
    pub fn free(&mut self, r: u32) {
        self.used[r as usize] = false;
    }
}

/// Arithmetic expressions (`arth` in libpcap's grammar). As deep as the expression is long
/// (`1+1+...` is a chain of `Bin`s): walked and dropped with explicit stacks, never recursively.
pub enum Arth {
    Num(u32),
    Len,
    /// `proto[index : size]`; `pos` is where it starts, for errors.
    Load {
        proto: Proto,
        index: Box<Arth>,
        size: u32,
        pos: usize,
    },
    /// `op` is `BPF_ADD`, ... as an ALU operation code.
    Bin(u16, Box<Arth>, Box<Arth>, usize),
    Neg(Box<Arth>),
}

impl Arth {
    /// The constant of the first statement libpcap generates for this expression, if that is
    /// a `ld #k` (libpcap's division-by-zero and shift checks look only at that).
    fn leading_imm(&self) -> Option<u32> {
        let mut a = self;
        loop {
            match a {
                Arth::Num(k) => return Some(*k),
                Arth::Len => return None,
                Arth::Load { index, .. } => a = index,
                Arth::Bin(_, x, _, _) | Arth::Neg(x) => a = x,
            }
        }
    }
}

impl Drop for Arth {
    fn drop(&mut self) {
        // As `Node`'s: composite children move onto a stack, leaves stay in their place.
        fn take(a: &mut Arth, stack: &mut Vec<Arth>) {
            let mut one = |b: &mut Box<Arth>| {
                if matches!(**b, Arth::Bin(..) | Arth::Neg(_) | Arth::Load { .. }) {
                    stack.push(std::mem::replace(&mut **b, Arth::Len));
                }
            };
            match a {
                Arth::Bin(_, x, y, _) => {
                    one(x);
                    one(y);
                }
                Arth::Neg(x) | Arth::Load { index: x, .. } => one(x),
                Arth::Num(_) | Arth::Len => {}
            }
        }
        let mut stack = Vec::new();
        take(self, &mut stack);
        while let Some(mut a) = stack.pop() {
            take(&mut a, &mut stack);
        }
    }
}

/// A generated arithmetic value: statements that leave it in M[reg], and the tests that must
/// hold for it to exist (protocol checks of `ip[...]`, ...).
struct Val {
    stmts: Vec<Insn>,
    reg: u32,
    cond: Option<Node>,
}

/// libpcap's `ethertype_to_ppptype`.
fn ethertype_to_ppptype(p: u32) -> u32 {
    match p {
        ETHERTYPE_IP => 0x21,
        ETHERTYPE_IPV6 => 0x57,
        0x6003 => 0x27,
        ETHERTYPE_ATALK => 0x29,
        0x0600 => 0x25,
        LLCSAP_ISONS => 0x23,
        0x42 => 0x31,
        LLCSAP_IPX => 0x2b,
        other => other,
    }
}

fn and_opt(a: Option<Node>, b: Node) -> Node {
    match a {
        Some(a) => Node::and(a, b),
        None => b,
    }
}

fn ld(code: u16, k: u32) -> Insn {
    Insn::stmt(code, k)
}

/// Generator state for one compilation.
pub struct Gen {
    pub live: bool,
    /// libpcap's savefile handle rather than a dead one (see `Flags::savefile`).
    pub savefile: bool,
    /// With `savefile`: the file is in the other byte order (see `Flags::swapped`).
    pub swapped: bool,
    outermost: Link,
    pub(super) linktype: Link,
    pub(super) prevlinktype: Link,
    pub(super) off_linkhdr: Off,
    pub(super) off_prevlinkhdr: Off,
    pub(super) off_linkpl: Off,
    pub(super) off_linktype: Option<Off>,
    pub(super) off_nl: u32,
    pub(super) off_nl_nosnap: u32,
    label_depth: u32,
    vlan_depth: u32,
    /// Raw ATM with a pseudo-header (libpcap's `is_atm`): stays set after `lane`.
    pub(super) is_atm: bool,
    is_geneve: bool,
    pub is_vlan_vloffset: bool,
    /// Set by `protochain` and `geneve`: libpcap does not optimize such programs.
    pub no_optimize: bool,
    pub regs: Regs,
    /// Registers that some path reads before any write: initialised to 0 at the start.
    pub init_regs: Vec<u32>,
    /// The netmask for `ip broadcast`, host order ([`legacy::NETMASK_UNKNOWN`]: unknown).
    pub netmask: u32,
}

impl Gen {
    pub fn new(link: Link, live: bool) -> Gen {
        // libpcap's init_linktype: (link-layer type field, payload, off_nl, off_nl_nosnap);
        // the 802.11 family and PFLOG have variable parts (wlan.rs).
        let (lt, pl, nl, nosnap) = match link {
            Link::Ieee80211 | Link::Prism | Link::Radiotap | Link::Avs | Link::Ppi => (Some(24), 0, 8, 3),
            Link::Pflog => (Some(0), 0, 0, 0),
            Link::En10mb => (Some(12), 14, 0, 3),
            Link::Raw | Link::Ipv4 | Link::Ipv6 => (None, 0, 0, 0),
            Link::Sll => (Some(14), 16, 0, 0),
            Link::Sll2 => (Some(0), 20, 0, 0),
            Link::Ppp | Link::PppSerial | Link::CHdlc => (Some(2), 4, 0, 0),
            Link::PppEther => (Some(6), 8, 0, 0),
            Link::Null | Link::Loop => (Some(0), 4, 0, 0),
            Link::Ieee802 => (Some(14), 14, 8, 3),
            Link::Fddi => (Some(13), 13, 8, 3),
            Link::Arcnet => (Some(2), 6, 0, 0),
            Link::ArcnetLinux => (Some(4), 8, 0, 0),
            Link::SunAtm => (Some(4), 4, 8, 3),
            // No payload offset: every test that needs one fails in `linktype` first.
            Link::Other(_) => (None, 0, 0, 0),
            Link::Fixed(d) => {
                let l = fixed::layout(d).expect("a fixed layout");
                (l.linktype, l.payload, l.nl, l.nl_nosnap)
            }
        };
        let hdr = match link {
            Link::Fixed(d) => fixed::layout(d).expect("a fixed layout").hdr,
            _ => 0,
        };
        Gen {
            live,
            savefile: false,
            swapped: false,
            outermost: link,
            linktype: link,
            prevlinktype: link,
            off_linkhdr: Off {
                var: link.prefix_var(),
                ..Off::at(hdr)
            },
            off_prevlinkhdr: Off {
                var: link.prefix_var(),
                ..Off::at(hdr)
            },
            off_linkpl: Off {
                var: link.payload_var(),
                ..Off::at(pl)
            },
            off_linktype: lt.map(Off::at),
            off_nl: nl,
            off_nl_nosnap: nosnap,
            label_depth: 0,
            vlan_depth: 0,
            is_atm: link == Link::SunAtm,
            is_geneve: false,
            is_vlan_vloffset: false,
            no_optimize: false,
            regs: Regs::default(),
            init_regs: Vec::new(),
            netmask: legacy::NETMASK_UNKNOWN,
        }
    }

    /// Whether the current link-layer header has no type field (raw IP and the like): host
    /// names then resolve to IP and IPv6 tests only, as in libpcap's `gen_scode`.
    pub fn no_linktype_field(&self) -> bool {
        self.off_linktype.is_none()
    }

    /// Whether the current link type carries IEEE 802 MAC addresses (`ether host`, names from
    /// /etc/ethers), and what libpcap calls its hosts in errors.
    pub fn mac_hosts(&self) -> Option<&'static str> {
        match self.linktype {
            Link::En10mb => Some("ether"),
            l if fixed::is_netanalyzer(l) => Some("ether"),
            Link::Fixed(fixed::DLT_IP_OVER_FC) => Some("Fibre Channel"),
            Link::Fddi => Some("FDDI"),
            Link::Ieee802 => Some("token ring"),
            l if l.is_wlan() => Some("802.11"),
            _ => None,
        }
    }

    pub fn outermost(&self) -> Link {
        self.outermost
    }

    fn varpart(&mut self, which: Which) -> GResult<Option<Vec<Insn>>> {
        let off = self.off_mut(which);
        if !off.var {
            return Ok(None);
        }
        let reg = match off.reg {
            Some(r) => r,
            None => {
                let r = self.regs.alloc()?;
                self.off_mut(which).reg = Some(r);
                self.init_regs.push(r);
                r
            }
        };
        Ok(Some(vec![ld(op::LDX_MEM, reg)]))
    }

    fn off_mut(&mut self, which: Which) -> &mut Off {
        match which {
            Which::LinkHdr => &mut self.off_linkhdr,
            Which::PrevLinkHdr => &mut self.off_prevlinkhdr,
            Which::LinkPl => &mut self.off_linkpl,
            Which::LinkType => self.off_linktype.as_mut().expect("link type offset"),
        }
    }

    /// `gen_load_absoffsetrel`.
    fn load_rel(&mut self, which: Which, offset: u32, size: u16) -> GResult<Vec<Insn>> {
        let constant = self.off_mut(which).constant;
        Ok(match self.varpart(which)? {
            Some(mut s) => {
                s.push(ld(op::LD_W_IND & !0x18 | size, constant.wrapping_add(offset)));
                s
            }
            None => vec![ld(0x20 | size, constant.wrapping_add(offset))],
        })
    }

    /// `gen_loadx_iphdrlen`.
    fn loadx_iphdrlen(&mut self) -> GResult<Vec<Insn>> {
        let k = self.off_linkpl.constant.wrapping_add(self.off_nl);
        Ok(match self.varpart(Which::LinkPl)? {
            Some(mut s) => {
                s.push(ld(op::LD_B_IND, k));
                s.push(ld(op::AND_K, 0xf));
                s.push(ld(op::LSH_K, 2));
                s.push(ld(op::ADD_X, 0));
                s.push(ld(op::TAX, 0));
                s
            }
            None => vec![ld(op::LDX_B_MSH, k)],
        })
    }

    /// `gen_load_a`.
    pub fn load_a(&mut self, rel: Rel, offset: u32, size: u16) -> GResult<Vec<Insn>> {
        match rel {
            Rel::LinkHdr => self.load_rel(Which::LinkHdr, offset, size),
            Rel::PrevLinkHdr => self.load_rel(Which::PrevLinkHdr, offset, size),
            Rel::LinkPl => {
                let o = self.off_nl.wrapping_add(offset);
                self.load_rel(Which::LinkPl, o, size)
            }
            Rel::PrevMplsHdr => {
                let o = self.off_nl.wrapping_sub(4).wrapping_add(offset);
                self.load_rel(Which::LinkPl, o, size)
            }
            Rel::Llc => self.load_rel(Which::LinkPl, offset, size),
            Rel::LinkType => {
                if self.off_linktype.is_none() {
                    return Err("link-layer type filtering not implemented for this link type".into());
                }
                self.load_rel(Which::LinkType, offset, size)
            }
            Rel::TranIpv4 => {
                let mut s = self.loadx_iphdrlen()?;
                s.push(ld(
                    0x40 | size,
                    self.off_linkpl
                        .constant
                        .wrapping_add(self.off_nl)
                        .wrapping_add(offset),
                ));
                Ok(s)
            }
            Rel::TranIpv6 => {
                let o = self.off_nl.wrapping_add(40).wrapping_add(offset);
                self.load_rel(Which::LinkPl, o, size)
            }
        }
    }

    /// `gen_ncmp`: load, optionally mask, compare; `reverse` negates jgt/jge.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ncmp(
        &mut self,
        rel: Rel,
        off: u32,
        size: u16,
        mask: u32,
        jop: u16,
        reverse: bool,
        v: u32,
    ) -> GResult<Node> {
        let mut s = self.load_a(rel, off, size)?;
        if mask != 0xffff_ffff {
            s.push(ld(op::AND_K, mask));
        }
        let n = Node::test(s, Jmp::k(jop, v));
        Ok(if reverse && (jop == JGT || jop == JGE) {
            Node::not(n)
        } else {
            n
        })
    }

    pub fn cmp(&mut self, rel: Rel, off: u32, size: u16, v: u32) -> GResult<Node> {
        self.ncmp(rel, off, size, 0xffff_ffff, JEQ, false, v)
    }
    fn mcmp(&mut self, rel: Rel, off: u32, size: u16, v: u32, mask: u32) -> GResult<Node> {
        self.ncmp(rel, off, size, mask, JEQ, false, v)
    }
    fn cmp_gt(&mut self, rel: Rel, off: u32, size: u16, v: u32) -> GResult<Node> {
        self.ncmp(rel, off, size, 0xffff_ffff, JGT, false, v)
    }
    fn cmp_ge(&mut self, rel: Rel, off: u32, size: u16, v: u32) -> GResult<Node> {
        self.ncmp(rel, off, size, 0xffff_ffff, JGE, false, v)
    }
    fn cmp_le(&mut self, rel: Rel, off: u32, size: u16, v: u32) -> GResult<Node> {
        self.ncmp(rel, off, size, 0xffff_ffff, JGT, true, v)
    }

    /// `gen_bcmp`: compare bytes, last word first.
    fn bcmp(&mut self, rel: Rel, offset: u32, bytes: &[u8]) -> GResult<Node> {
        let mut size = bytes.len();
        let mut parts = Vec::new();
        while size >= 4 {
            let p = &bytes[size - 4..size];
            parts.push(self.cmp(
                rel,
                offset + size as u32 - 4,
                BPF_W,
                u32::from_be_bytes([p[0], p[1], p[2], p[3]]),
            )?);
            size -= 4;
        }
        while size >= 2 {
            let p = &bytes[size - 2..size];
            parts.push(self.cmp(
                rel,
                offset + size as u32 - 2,
                BPF_H,
                u32::from(u16::from_be_bytes([p[0], p[1]])),
            )?);
            size -= 2;
        }
        if size > 0 {
            parts.push(self.cmp(rel, offset, BPF_B, u32::from(bytes[0]))?);
        }
        Ok(Node::all(parts))
    }

    /// libpcap's description of the current link type, for errors.
    fn link_desc(&self) -> String {
        super::dlt::description(self.linktype.dlt())
    }

    // ---- link-layer types ----

    fn ether_linktype(&mut self, p: u32) -> GResult<Node> {
        match p {
            LLCSAP_ISONS | LLCSAP_IP | LLCSAP_NETBEUI => {
                let b0 = Node::not(self.cmp_gt(Rel::LinkType, 0, BPF_H, ETHERMTU)?);
                let b1 = self.cmp(Rel::Llc, 0, BPF_H, (p << 8) | p)?;
                Ok(Node::and(b0, b1))
            }
            LLCSAP_IPX | ETHERTYPE_ATALK | ETHERTYPE_AARP => self.ether_llc_linktype(p),
            _ if p <= ETHERMTU => {
                let b0 = Node::not(self.cmp_gt(Rel::LinkType, 0, BPF_H, ETHERMTU)?);
                let b1 = self.cmp(Rel::LinkType, 2, BPF_B, p)?;
                Ok(Node::and(b0, b1))
            }
            _ => self.cmp(Rel::LinkType, 0, BPF_H, p),
        }
    }

    fn sll_linktype(&mut self, p: u32) -> GResult<Node> {
        match p {
            LLCSAP_ISONS | LLCSAP_IP | LLCSAP_NETBEUI => {
                let b0 = self.cmp(Rel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
                let b1 = self.cmp(Rel::Llc, 0, BPF_H, (p << 8) | p)?;
                Ok(Node::and(b0, b1))
            }
            LLCSAP_IPX | ETHERTYPE_ATALK | ETHERTYPE_AARP => self.sll_llc_linktype(p),
            _ if p <= ETHERMTU => {
                let b0 = self.cmp(Rel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
                let k = self.off_linkpl.constant;
                let b1 = self.cmp(Rel::LinkHdr, k, BPF_B, p)?;
                Ok(Node::and(b0, b1))
            }
            _ => self.cmp(Rel::LinkType, 0, BPF_H, p),
        }
    }

    fn mpls_linktype(&mut self, p: u32) -> GResult<Node> {
        let nibble = match p {
            ETHERTYPE_IP => 0x40,
            ETHERTYPE_IPV6 => 0x60,
            _ => return Err("unsupported protocol over mpls".into()),
        };
        let b0 = self.mcmp(Rel::LinkPl, (-2i32) as u32, BPF_B, 0x01, 0x01)?;
        let b1 = self.mcmp(Rel::LinkPl, 0, BPF_B, nibble, 0xf0)?;
        Ok(Node::and(b0, b1))
    }

    /// `gen_llc_linktype`: the protocol of an 802.2 frame (Token Ring, FDDI, 802.11): a SAP
    /// in the LLC header, or an Ethertype where SNAP would put it.
    fn llc_linktype(&mut self, p: u32) -> GResult<Node> {
        match p {
            LLCSAP_IP | LLCSAP_ISONS | LLCSAP_NETBEUI => self.cmp(Rel::Llc, 0, BPF_H, (p << 8) | p),
            LLCSAP_IPX => self.cmp(Rel::Llc, 0, BPF_B, LLCSAP_IPX),
            ETHERTYPE_ATALK => self.snap(0x080007, ETHERTYPE_ATALK),
            _ if p <= ETHERMTU => self.cmp(Rel::Llc, 0, BPF_B, p),
            _ => self.cmp(Rel::Llc, 6, BPF_H, p),
        }
    }

    /// `gen_snap`: an LLC SNAP header (DSAP and SSAP 0xaa, UI) with this organization code and
    /// protocol type.
    fn snap(&mut self, orgcode: u32, ptype: u32) -> GResult<Node> {
        let b = [
            0xaa,
            0xaa,
            0x03,
            (orgcode >> 16) as u8,
            (orgcode >> 8) as u8,
            orgcode as u8,
            (ptype >> 8) as u8,
            ptype as u8,
        ];
        self.bcmp(Rel::Llc, 0, &b)
    }

    /// `gen_loopback_linktype`: the address family word of a loopback header. DLT_NULL's and
    /// DLT_ENC's are in the capturing host's byte order, which libpcap takes to be its own
    /// (a dead handle, or a savefile in this host's byte order) or, on a savefile handle for a
    /// file in the other byte order (`pcap_is_swapped`), the other one: the word is compared
    /// as `htonl(af)`, or `htonl(SWAPLONG(af))`. DLT_LOOP's is in network byte order.
    pub(super) fn loopback_linktype(&mut self, af: u32) -> GResult<Node> {
        let v = if matches!(self.linktype, Link::Null | Link::Fixed(fixed::DLT_ENC)) {
            let af = if self.savefile && self.swapped {
                af.swap_bytes()
            } else {
                af
            };
            af.to_be()
        } else {
            af
        };
        self.cmp(Rel::LinkHdr, 0, BPF_W, v)
    }

    /// `gen_linktype`: the packet's link-layer protocol is `p` (an Ethertype, or an LLC SAP
    /// for values up to 1500).
    pub fn linktype(&mut self, p: u32) -> GResult<Node> {
        if self.label_depth > 0 {
            return self.mpls_linktype(p);
        }
        match self.linktype {
            Link::En10mb | Link::Fixed(fixed::DLT_NETANALYZER | fixed::DLT_NETANALYZER_TRANSPARENT) => {
                let chk = if self.is_geneve {
                    None
                } else {
                    self.prevlinkhdr_check()?
                };
                let b = self.ether_linktype(p)?;
                Ok(and_opt(chk, b))
            }
            Link::Sll => self.sll_linktype(p),
            Link::Raw => match p {
                ETHERTYPE_IP => self.mcmp(Rel::LinkHdr, 0, BPF_B, 0x40, 0xf0),
                ETHERTYPE_IPV6 => self.mcmp(Rel::LinkHdr, 0, BPF_B, 0x60, 0xf0),
                _ => Ok(Node::Const(false)),
            },
            Link::Ipv4 => Ok(Node::Const(p == ETHERTYPE_IP)),
            Link::Ipv6 => Ok(Node::Const(p == ETHERTYPE_IPV6)),
            Link::Sll2 => self.cmp(Rel::LinkType, 0, BPF_H, p),
            Link::Ppp | Link::PppSerial | Link::PppEther => {
                self.cmp(Rel::LinkType, 0, BPF_H, ethertype_to_ppptype(p))
            }
            Link::CHdlc => {
                let p = if p == LLCSAP_ISONS {
                    (p << 8) | LLCSAP_ISONS
                } else {
                    p
                };
                self.cmp(Rel::LinkType, 0, BPF_H, p)
            }
            Link::Null | Link::Loop => match p {
                ETHERTYPE_IP => self.loopback_linktype(AF_INET),
                // A savefile may come from any system: the BSDs' values (NetBSD, OpenBSD, BSD/OS
                // and Npcap; FreeBSD; Darwin); a dead or live handle: Linux's.
                ETHERTYPE_IPV6 if self.savefile => {
                    let b0 = self.loopback_linktype(24)?;
                    let b1 = self.loopback_linktype(28)?;
                    let b2 = self.loopback_linktype(30)?;
                    // libpcap's gen_or(b2, gen_or(b0, b1)): 30 is tested first.
                    Ok(Node::or(b2, Node::or(b0, b1)))
                }
                ETHERTYPE_IPV6 => self.loopback_linktype(AF_INET6_LINUX),
                _ => Ok(Node::Const(false)),
            },
            Link::Ieee802 | Link::Fddi => self.llc_linktype(p),
            Link::SunAtm => {
                // LLC-encapsulated (after `lane` the link type is Ethernet).
                let b0 = self.atm_prototype(super::atm::PT_LLC)?;
                let b1 = self.llc_linktype(p)?;
                Ok(Node::and(b0, b1))
            }
            Link::Ieee80211 | Link::Prism | Link::Radiotap | Link::Avs | Link::Ppi => self.wlan_linktype(p),
            Link::Pflog => self.pflog_linktype(p),
            Link::Arcnet | Link::ArcnetLinux => {
                let t = |g: &mut Gen, v: u32| g.cmp(Rel::LinkType, 0, BPF_B, v);
                match p {
                    ETHERTYPE_IPV6 => t(self, ARCTYPE_INET6),
                    ETHERTYPE_IP => {
                        let b0 = t(self, ARCTYPE_IP)?;
                        let b1 = t(self, ARCTYPE_IP_OLD)?;
                        Ok(Node::or(b0, b1))
                    }
                    ETHERTYPE_ARP => {
                        let b0 = t(self, ARCTYPE_ARP)?;
                        let b1 = t(self, ARCTYPE_ARP_OLD)?;
                        Ok(Node::or(b0, b1))
                    }
                    ETHERTYPE_REVARP => t(self, ARCTYPE_REVARP),
                    ETHERTYPE_ATALK => t(self, ARCTYPE_ATALK),
                    _ => Ok(Node::Const(false)),
                }
            }
            Link::Fixed(d) => self.fixed_linktype(d, p),
            Link::Other(lt) => Err(match lt {
                182 => "Multi-link Frame Relay link-layer type filtering not implemented".to_owned(),
                144 => "IrDA link-layer type filtering not implemented".to_owned(),
                143 => "DOCSIS link-layer type filtering not implemented".to_owned(),
                246 => "PFSYNC link-layer type filtering not implemented".to_owned(),
                177 => "LAPD link-layer type filtering not implemented".to_owned(),
                186 | 189 | 220 | 249 => "USB link-layer type filtering not implemented".to_owned(),
                187 | 201 => "Bluetooth link-layer type filtering not implemented".to_owned(),
                190 | 227 => "CAN link-layer type filtering not implemented".to_owned(),
                191 | 195 | 215 | 230 | 283 => {
                    "IEEE 802.15.4 link-layer type filtering not implemented".to_owned()
                }
                193 => "IEEE 802.16 link-layer type filtering not implemented".to_owned(),
                196 => "SITA link-layer type filtering not implemented".to_owned(),
                198 => "RAIF1 link-layer type filtering not implemented".to_owned(),
                199 | 209 => "IPMB link-layer type filtering not implemented".to_owned(),
                202 => "AX.25 link-layer type filtering not implemented".to_owned(),
                239 => "NFLOG link-layer type filtering not implemented".to_owned(),
                _ => format!("{} link-layer type filtering not implemented", self.link_desc()),
            }),
        }
    }

    /// `gen_prevlinkhdr_check`: after `geneve`, whether the inner frame has an Ethernet
    /// header.
    fn prevlinkhdr_check(&mut self) -> GResult<Option<Node>> {
        if self.is_geneve {
            let (Some(h), Some(p)) = (self.off_linkhdr.reg, self.off_linkpl.reg) else {
                return Ok(None);
            };
            let s = vec![ld(op::LD_MEM, h), ld(op::LDX_MEM, p)];
            return Ok(Some(Node::not(Node::test(s, Jmp::x(JEQ)))));
        }
        if self.prevlinktype == Link::SunAtm {
            // LANE: data, not an LE control frame (marker 0xff00).
            let b = self.cmp(Rel::PrevLinkHdr, 4, BPF_H, 0xff00)?;
            return Ok(Some(Node::not(b)));
        }
        Ok(None)
    }

    // ---- hosts ----

    #[allow(clippy::too_many_arguments)]
    fn hostop(
        &mut self,
        addr: u32,
        mask: u32,
        dir: Dir,
        ll: u32,
        src_off: u32,
        dst_off: u32,
    ) -> GResult<Node> {
        let offset = match dir {
            Dir::Src => src_off,
            Dir::Dst => dst_off,
            Dir::And => {
                let a = self.hostop(addr, mask, Dir::Src, ll, src_off, dst_off)?;
                let b = self.hostop(addr, mask, Dir::Dst, ll, src_off, dst_off)?;
                return Ok(Node::and(a, b));
            }
            Dir::Default | Dir::Or => {
                let a = self.hostop(addr, mask, Dir::Src, ll, src_off, dst_off)?;
                let b = self.hostop(addr, mask, Dir::Dst, ll, src_off, dst_off)?;
                return Ok(Node::or(a, b));
            }
            wlan => return Err(wlan.wlan_error(WlanQualErr::Address)),
        };
        let b0 = self.linktype(ll)?;
        let b1 = self.mcmp(Rel::LinkPl, offset, BPF_W, addr, mask)?;
        Ok(Node::and(b0, b1))
    }

    #[allow(clippy::too_many_arguments)]
    fn hostop6(
        &mut self,
        addr: &[u32; 4],
        mask: &[u32; 4],
        dir: Dir,
        src_off: u32,
        dst_off: u32,
    ) -> GResult<Node> {
        let offset = match dir {
            Dir::Src => src_off,
            Dir::Dst => dst_off,
            Dir::And => {
                let a = self.hostop6(addr, mask, Dir::Src, src_off, dst_off)?;
                let b = self.hostop6(addr, mask, Dir::Dst, src_off, dst_off)?;
                return Ok(Node::and(a, b));
            }
            Dir::Default | Dir::Or => {
                let a = self.hostop6(addr, mask, Dir::Src, src_off, dst_off)?;
                let b = self.hostop6(addr, mask, Dir::Dst, src_off, dst_off)?;
                return Ok(Node::or(a, b));
            }
            wlan => return Err(wlan.wlan_error(WlanQualErr::Address)),
        };
        // Built in libpcap's order: words 3, 2, 1, 0 generated, then chained so that word 0
        // runs first, and the link type check before all of them.
        let w3 = self.mcmp(Rel::LinkPl, offset + 12, BPF_W, addr[3], mask[3])?;
        let w2 = self.mcmp(Rel::LinkPl, offset + 8, BPF_W, addr[2], mask[2])?;
        let w1 = self.mcmp(Rel::LinkPl, offset + 4, BPF_W, addr[1], mask[1])?;
        let w0 = self.mcmp(Rel::LinkPl, offset, BPF_W, addr[0], mask[0])?;
        let lt = self.linktype(ETHERTYPE_IPV6)?;
        Ok(Node::all([lt, w0, w1, w2, w3]))
    }

    /// `gen_host`: an IPv4 host or network.
    pub fn host(&mut self, addr: u32, mask: u32, proto: Proto, dir: Dir, is_net: bool) -> GResult<Node> {
        let typestr = if is_net { "net" } else { "host" };
        match proto {
            Proto::Default => {
                let b0 = self.host(addr, mask, Proto::Ip, dir, is_net)?;
                if self.label_depth == 0 {
                    let b1 = self.host(addr, mask, Proto::Arp, dir, is_net)?;
                    let b2 = self.host(addr, mask, Proto::Rarp, dir, is_net)?;
                    return Ok(Node::or(Node::or(b0, b1), b2));
                }
                Ok(b0)
            }
            Proto::Link => Err(format!("link-layer modifier applied to {typestr}")),
            Proto::Ip => self.hostop(addr, mask, dir, ETHERTYPE_IP, 12, 16),
            Proto::Rarp => self.hostop(addr, mask, dir, ETHERTYPE_REVARP, 14, 24),
            Proto::Arp => self.hostop(addr, mask, dir, ETHERTYPE_ARP, 14, 24),
            Proto::Ip6 => Err("'ip6' modifier applied to ip host".into()),
            Proto::Legacy(f) => self.legacy_host(f, addr, dir, typestr),
            p => Err(format!("'{}' modifier applied to {typestr}", p.name())),
        }
    }

    /// `gen_host6`: an IPv6 host or network.
    pub fn host6(
        &mut self,
        addr: &[u32; 4],
        mask: &[u32; 4],
        proto: Proto,
        dir: Dir,
        is_net: bool,
    ) -> GResult<Node> {
        let typestr = if is_net { "net" } else { "host" };
        match proto {
            Proto::Default | Proto::Ip6 => self.hostop6(addr, mask, dir, 8, 24),
            Proto::Link => Err(format!("link-layer modifier applied to ip6 {typestr}")),
            Proto::Legacy(Family::Atalk) => Err(format!("AppleTalk modifier applied to ip6 {typestr}")),
            p => Err(format!("'{}' modifier applied to ip6 {typestr}", p.name())),
        }
    }

    /// `gen_ehostop`, `gen_fhostop`, `gen_thostop`, `gen_ahostop`: a link-layer address at
    /// `src_off`/`dst_off` of the link-layer header.
    fn machostop(&mut self, mac: &[u8], dir: Dir, src_off: u32, dst_off: u32) -> GResult<Node> {
        match dir {
            Dir::Src => self.bcmp(Rel::LinkHdr, src_off, mac),
            Dir::Dst => self.bcmp(Rel::LinkHdr, dst_off, mac),
            Dir::And => {
                let a = self.machostop(mac, Dir::Src, src_off, dst_off)?;
                let b = self.machostop(mac, Dir::Dst, src_off, dst_off)?;
                Ok(Node::and(a, b))
            }
            Dir::Default | Dir::Or => {
                let a = self.machostop(mac, Dir::Src, src_off, dst_off)?;
                let b = self.machostop(mac, Dir::Dst, src_off, dst_off)?;
                Ok(Node::or(a, b))
            }
            wlan => Err(wlan.wlan_error(WlanQualErr::Only80211)),
        }
    }

    /// `gen_ahostop`: an ARCnet address byte, the source at 0 and the destination at 1.
    pub fn arcnet_host(&mut self, aid: u8, dir: Dir) -> GResult<Node> {
        self.machostop(&[aid], dir, 0, 1)
    }

    fn ehostop(&mut self, mac: &[u8; 6], dir: Dir) -> GResult<Node> {
        if !matches!(dir, Dir::Src | Dir::Dst | Dir::And | Dir::Or | Dir::Default) {
            return Err(dir.wlan_error(WlanQualErr::With80211Headers));
        }
        self.machostop(mac, dir, 6, 0)
    }

    /// `ether host MAC` (and `ether src/dst`) on the current link type: Ethernet, FDDI
    /// (libpcap's `pcap_fddipad` is 0 on Linux) or Token Ring.
    pub fn ether_host(&mut self, mac: &[u8; 6], dir: Dir) -> GResult<Node> {
        match self.linktype {
            Link::En10mb | Link::Fixed(fixed::DLT_NETANALYZER | fixed::DLT_NETANALYZER_TRANSPARENT) => {
                let chk = self.prevlinkhdr_check()?;
                let b = self.ehostop(mac, dir)?;
                Ok(and_opt(chk, b))
            }
            Link::Fixed(fixed::DLT_IP_OVER_FC) => self.ipfc_host(mac, dir),
            Link::Fddi => self.machostop(mac, dir, 7, 1),
            Link::Ieee802 => self.machostop(mac, dir, 8, 2),
            l if l.is_wlan() => self.wlanhostop(mac, dir),
            _ => Err(
                "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel"
                    .into(),
            ),
        }
    }

    // ---- protocols ----

    /// `gen_proto_abbrev`: a protocol keyword on its own.
    pub fn proto_abbrev(&mut self, p: Proto) -> GResult<Node> {
        match p {
            Proto::Sctp => self.proto(IPPROTO_SCTP, Proto::Default, Dir::Default),
            Proto::Tcp => self.proto(IPPROTO_TCP, Proto::Default, Dir::Default),
            Proto::Udp => self.proto(IPPROTO_UDP, Proto::Default, Dir::Default),
            Proto::Icmp => self.proto(1, Proto::Ip, Dir::Default),
            Proto::Igmp => self.proto(2, Proto::Ip, Dir::Default),
            Proto::Igrp => self.proto(9, Proto::Ip, Dir::Default),
            Proto::Pim => self.proto(103, Proto::Default, Dir::Default),
            Proto::Vrrp | Proto::Carp => self.proto(112, Proto::Ip, Dir::Default),
            Proto::Ip => self.linktype(ETHERTYPE_IP),
            Proto::Arp => self.linktype(ETHERTYPE_ARP),
            Proto::Rarp => self.linktype(ETHERTYPE_REVARP),
            Proto::Ip6 => self.linktype(ETHERTYPE_IPV6),
            Proto::Icmp6 => self.proto(58, Proto::Ip6, Dir::Default),
            Proto::Ah => self.proto(51, Proto::Default, Dir::Default),
            Proto::Esp => self.proto(50, Proto::Default, Dir::Default),
            Proto::Link => Err("link layer applied in wrong context".into()),
            Proto::Radio => Err("'radio' is not a valid protocol type".into()),
            Proto::Legacy(f) => self.legacy_abbrev(f),
            Proto::Default => Err("syntax error in filter expression".into()),
        }
    }

    /// `gen_proto`: `[ip|ip6|ether] proto N`.
    pub fn proto(&mut self, v: u32, proto: Proto, dir: Dir) -> GResult<Node> {
        if dir != Dir::Default {
            return Err("direction applied to 'proto'".into());
        }
        match proto {
            Proto::Default => {
                let b0 = self.proto(v, Proto::Ip, dir)?;
                let b1 = self.proto(v, Proto::Ip6, dir)?;
                Ok(Node::or(b0, b1))
            }
            Proto::Link => self.linktype(v),
            Proto::Ip => {
                let b0 = self.linktype(ETHERTYPE_IP)?;
                let b1 = self.cmp(Rel::LinkPl, 9, BPF_B, v)?;
                Ok(Node::and(b0, b1))
            }
            Proto::Ip6 => {
                let b0 = self.linktype(ETHERTYPE_IPV6)?;
                let frag = self.cmp(Rel::LinkPl, 6, BPF_B, IPPROTO_FRAGMENT)?;
                let inner = self.cmp(Rel::LinkPl, 40, BPF_B, v)?;
                let direct = self.cmp(Rel::LinkPl, 6, BPF_B, v)?;
                Ok(Node::and(b0, Node::or(direct, Node::and(frag, inner))))
            }
            Proto::Arp => Err("arp does not encapsulate another protocol".into()),
            Proto::Rarp => Err("rarp does not encapsulate another protocol".into()),
            Proto::Legacy(f) => self.legacy_proto(v, f),
            p => Err(format!("'{} proto' is bogus", p.name())),
        }
    }

    /// `gen_ipfrag`: not a non-first IPv4 fragment.
    fn ipfrag(&mut self) -> GResult<Node> {
        let s = self.load_a(Rel::LinkPl, 6, BPF_H)?;
        Ok(Node::not(Node::test(s, Jmp::k(JSET, 0x1fff))))
    }

    fn portatom(&mut self, v6: bool, off: u32, v: u32) -> GResult<Node> {
        self.cmp(if v6 { Rel::TranIpv6 } else { Rel::TranIpv4 }, off, BPF_H, v)
    }

    fn portrangeatom(&mut self, v6: bool, off: u32, v1: u32, v2: u32) -> GResult<Node> {
        let (lo, hi) = if v1 > v2 { (v2, v1) } else { (v1, v2) };
        let rel = if v6 { Rel::TranIpv6 } else { Rel::TranIpv4 };
        let b1 = self.cmp_ge(rel, off, BPF_H, lo)?;
        let b2 = self.cmp_le(rel, off, BPF_H, hi)?;
        Ok(Node::and(b1, b2))
    }

    /// One transport protocol's port test (`gen_portop`, `gen_portop6` and the range forms).
    fn portop(
        &mut self,
        v6: bool,
        range: Option<(u32, u32)>,
        port: u32,
        proto: u32,
        dir: Dir,
    ) -> GResult<Node> {
        let b0 = if v6 {
            self.cmp(Rel::LinkPl, 6, BPF_B, proto)?
        } else {
            let t = self.cmp(Rel::LinkPl, 9, BPF_B, proto)?;
            let f = self.ipfrag()?;
            Node::and(t, f)
        };
        let atom = |g: &mut Gen, off: u32| match range {
            Some((a, b)) => g.portrangeatom(v6, off, a, b),
            None => g.portatom(v6, off, port),
        };
        let b1 = match dir {
            Dir::Src => atom(self, 0)?,
            Dir::Dst => atom(self, 2)?,
            Dir::And => {
                let a = atom(self, 0)?;
                let b = atom(self, 2)?;
                Node::and(a, b)
            }
            Dir::Default | Dir::Or => {
                let a = atom(self, 0)?;
                let b = atom(self, 2)?;
                Node::or(a, b)
            }
            wlan => {
                return Err(wlan.wlan_error(if range.is_some() {
                    WlanQualErr::PortRange
                } else {
                    WlanQualErr::Port
                }))
            }
        };
        Ok(Node::and(b0, b1))
    }

    /// `gen_port`/`gen_port6`/`gen_portrange`/`gen_portrange6`; `ip_proto` None = TCP, UDP or
    /// SCTP.
    fn port_family(
        &mut self,
        v6: bool,
        range: Option<(u32, u32)>,
        port: u32,
        ip_proto: Option<u32>,
        dir: Dir,
    ) -> GResult<Node> {
        let b0 = self.linktype(if v6 { ETHERTYPE_IPV6 } else { ETHERTYPE_IP })?;
        let b1 = match ip_proto {
            Some(p) => self.portop(v6, range, port, p, dir)?,
            None => {
                // libpcap ors SCTP in front of TCP or UDP.
                let t = self.portop(v6, range, port, IPPROTO_TCP, dir)?;
                let u = self.portop(v6, range, port, IPPROTO_UDP, dir)?;
                let s = self.portop(v6, range, port, IPPROTO_SCTP, dir)?;
                Node::or(s, Node::or(t, u))
            }
        };
        Ok(Node::and(b0, b1))
    }

    /// `port N` with its qualifiers: IPv6 first, then IPv4, as libpcap orders them.
    pub fn port(&mut self, port: u32, ip_proto: Option<u32>, dir: Dir) -> GResult<Node> {
        let v4 = self.port_family(false, None, port, ip_proto, dir)?;
        let v6 = self.port_family(true, None, port, ip_proto, dir)?;
        Ok(Node::or(v6, v4))
    }

    pub fn portrange(&mut self, p1: u32, p2: u32, ip_proto: Option<u32>, dir: Dir) -> GResult<Node> {
        let v4 = self.port_family(false, Some((p1, p2)), 0, ip_proto, dir)?;
        let v6 = self.port_family(true, Some((p1, p2)), 0, ip_proto, dir)?;
        Ok(Node::or(v6, v4))
    }

    /// `gen_protochain`, with the loop over extension headers unrolled (classic BPF cannot jump
    /// backwards, so libpcap's own program is refused by the kernel).
    pub fn protochain(&mut self, v: u32, proto: Proto) -> GResult<Node> {
        match proto {
            Proto::Ip | Proto::Ip6 => {}
            Proto::Default => {
                let b0 = self.protochain(v, Proto::Ip)?;
                let b = self.protochain(v, Proto::Ip6)?;
                return Ok(Node::or(b0, b));
            }
            _ => return Err("bad protocol applied for 'protochain'".into()),
        }
        if self.off_linkpl.var {
            return Err("'protochain' not supported with variable length headers".into());
        }
        self.no_optimize = true;
        let nl = self.off_linkpl.constant.wrapping_add(self.off_nl);
        let reg = self.regs.alloc()?;
        let (lt, start) = if proto == Proto::Ip {
            (
                self.linktype(ETHERTYPE_IP)?,
                vec![ld(op::LD_B_ABS, nl + 9), ld(op::LDX_B_MSH, nl)],
            )
        } else {
            (
                self.linktype(ETHERTYPE_IPV6)?,
                vec![ld(op::LD_B_ABS, nl + 6), ld(op::LDX_IMM, 40)],
            )
        };
        self.regs.free(reg);
        let chain = Node::Chain(Box::new(Chain {
            v,
            v6: proto == Proto::Ip6,
            nl,
            reg,
        }));
        Ok(Node::and(lt, Node::and(Node::Effect(start), chain)))
    }

    // ---- other primitives ----

    pub fn len_cmp(&mut self, greater: bool, n: u32) -> Node {
        if greater {
            Node::test(vec![ld(op::LD_W_LEN, 0)], Jmp::k(JGE, n))
        } else {
            Node::not(Node::test(vec![ld(op::LD_W_LEN, 0)], Jmp::k(JGT, n)))
        }
    }

    /// `byte N op V`.
    pub fn byteop(&mut self, opc: char, idx: u32, val: u32) -> GResult<Node> {
        match opc {
            '=' => self.cmp(Rel::LinkHdr, idx, BPF_B, val),
            '<' => self.ncmp(Rel::LinkHdr, idx, BPF_B, 0xffff_ffff, JGE, true, val),
            '>' => self.cmp_gt(Rel::LinkHdr, idx, BPF_B, val),
            // libpcap's `byte N & V` / `byte N | V`: the statement has no load (a libpcap bug:
            // it tests whatever is in A); reproduced as is would be wrong, so refuse it.
            _ => Err(format!("'byte {idx} {opc} {val}' is not supported by libpkt")),
        }
    }

    pub fn broadcast(&mut self, proto: Proto) -> GResult<Node> {
        if proto == Proto::Ip && self.netmask != legacy::NETMASK_UNKNOWN {
            return self.ip_broadcast();
        }
        match proto {
            Proto::Default | Proto::Link => match self.linktype {
                Link::Arcnet | Link::ArcnetLinux => self.machostop(&[0], Dir::Dst, 0, 1),
                Link::En10mb | Link::Fddi | Link::Ieee802 => self.ether_host(&[0xff; 6], Dir::Dst),
                l if fixed::is_netanalyzer(l) || l == Link::Fixed(fixed::DLT_IP_OVER_FC) => {
                    self.ether_host(&[0xff; 6], Dir::Dst)
                }
                l if l.is_wlan() => self.wlanhostop(&[0xff; 6], Dir::Dst),
                _ => Err("not a broadcast link".into()),
            },
            Proto::Ip => Err("netmask not known, so 'ip broadcast' not supported".into()),
            _ => Err("only link-layer/IP broadcast filters supported".into()),
        }
    }

    /// `gen_mac_multicast`: the group bit of the address at `offset` of the link-layer header.
    fn mac_multicast(&mut self, offset: u32) -> GResult<Node> {
        let s = self.load_a(Rel::LinkHdr, offset, BPF_B)?;
        Ok(Node::test(s, Jmp::k(JSET, 1)))
    }

    pub fn multicast(&mut self, proto: Proto) -> GResult<Node> {
        const ERR: &str = "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel";
        match proto {
            Proto::Default | Proto::Link => match self.linktype {
                // All ARCNET multicasts use the broadcast address.
                Link::Arcnet | Link::ArcnetLinux => self.machostop(&[0], Dir::Dst, 0, 1),
                Link::En10mb | Link::Fixed(fixed::DLT_NETANALYZER | fixed::DLT_NETANALYZER_TRANSPARENT) => {
                    let chk = self.prevlinkhdr_check()?;
                    let b = self.mac_multicast(0)?;
                    Ok(and_opt(chk, b))
                }
                Link::Fixed(fixed::DLT_IP_OVER_FC) => self.mac_multicast(2),
                Link::Fddi => self.mac_multicast(1),
                Link::Ieee802 => self.mac_multicast(2),
                l if l.is_wlan() => self.wlan_multicast(),
                _ => Err(ERR.into()),
            },
            Proto::Ip => {
                let b0 = self.linktype(ETHERTYPE_IP)?;
                let b1 = self.cmp_ge(Rel::LinkPl, 16, BPF_B, 224)?;
                Ok(Node::and(b0, b1))
            }
            Proto::Ip6 => {
                let b0 = self.linktype(ETHERTYPE_IPV6)?;
                let b1 = self.cmp(Rel::LinkPl, 24, BPF_B, 255)?;
                Ok(Node::and(b0, b1))
            }
            _ => Err(ERR.into()),
        }
    }

    /// `gen_inbound`, on the current link type (after `pppoes` it is PPP, after `geneve`
    /// Ethernet): the cooked headers' packet type field, elsewhere the kernel's packet type
    /// (`SKF_AD_PKTTYPE`, relative to the link-layer header as libpcap emits it). The offline
    /// form is libpcap's for a `pcap_open_dead` handle on Linux, which takes these too (for a
    /// savefile handle libpcap refuses them; a program run over a file sees no metadata).
    pub fn inbound(&mut self, outbound: bool) -> GResult<Node> {
        if let Link::Fixed(d) = self.linktype {
            if let Some(b) = self.fixed_inbound(d, outbound) {
                return b;
            }
        }
        let b = match self.linktype {
            Link::Sll => self.cmp(Rel::LinkHdr, 0, BPF_H, LINUX_SLL_OUTGOING)?,
            Link::Sll2 => self.cmp(Rel::LinkHdr, 10, BPF_B, LINUX_SLL_OUTGOING)?,
            // Not negated: pf's dir field says in (1) or out (2).
            Link::Pflog => return self.pflog_dir(outbound),
            _ if self.savefile => {
                return Err(format!(
                    "inbound/outbound not supported on {} when reading savefiles",
                    self.link_desc()
                ))
            }
            _ => self.meta_cmp(SKF_AD_PKTTYPE, BPF_H, PACKET_OUTGOING)?,
        };
        Ok(if outbound { b } else { Node::not(b) })
    }

    /// `gen_ifindex`, on the current link type: the SLL2 header's field, elsewhere the
    /// kernel's interface index (`SKF_AD_IFINDEX`), as for [`Gen::inbound`].
    pub fn ifindex(&mut self, idx: u32) -> GResult<Node> {
        match self.linktype {
            Link::Sll2 => self.cmp(Rel::LinkHdr, 4, BPF_W, idx),
            _ if self.savefile => Err(format!(
                "ifindex not supported on {} when reading savefiles",
                self.link_desc()
            )),
            _ => self.meta_cmp(SKF_AD_IFINDEX, BPF_W, idx),
        }
    }

    /// libpcap's `gen_cmp(OR_LINKHDR, SKF_AD_OFF + ad, ...)`: the ancillary load is relative to
    /// the current link-layer header, so after `pppoes` it lands on another field
    /// (`SKF_AD_OFF + ad + 20` on Ethernet) and after `geneve` it is an indirect load that
    /// always fails; both reproduced as libpcap emits them. Where libpcap's absolute load names no
    /// ancillary field (after `pppoes` on cooked or raw captures) the kernel refuses its program;
    /// ours loads `SKF_AD_OFF - 4` instead, a packet load that always fails and drops the packet,
    /// which is what libpcap's load does in the test's kernel-semantics model.
    fn meta_cmp(&mut self, ad: u32, size: u16, v: u32) -> GResult<Node> {
        let k = SKF_AD_OFF.wrapping_add(ad);
        if !self.off_linkhdr.var {
            let abs = self.off_linkhdr.constant.wrapping_add(k);
            let probe = [ld(0x20 | size, abs), ld(op::RET_K, 0)];
            if abs >= SKF_AD_OFF && crate::validate(&probe).is_err() {
                let fail = ld(0x20 | size, SKF_AD_OFF - 4);
                return Ok(Node::test(vec![fail], Jmp::k(JEQ, v)));
            }
        }
        self.cmp(Rel::LinkHdr, k, size, v)
    }

    // ---- encapsulations ----

    fn vlan_tpid_test(&mut self) -> GResult<Node> {
        let a = self.linktype(ETHERTYPE_8021Q)?;
        let b = self.linktype(ETHERTYPE_8021AD)?;
        let c = self.linktype(ETHERTYPE_8021QINQ)?;
        Ok(Node::or(Node::or(a, b), c))
    }

    fn vlan_vid_test(&mut self, vid: u32) -> GResult<Node> {
        if vid > 0x0fff {
            return Err(format!("VLAN tag {vid} greater than maximum 4095"));
        }
        self.mcmp(Rel::LinkPl, 0, BPF_H, vid, 0x0fff)
    }

    pub fn vlan(&mut self, vid: Option<u32>) -> GResult<Node> {
        if self.label_depth > 0 {
            return Err("no VLAN match after MPLS".into());
        }
        if !matches!(
            self.linktype,
            Link::En10mb | Link::Ieee80211 | Link::Prism | Link::Radiotap | Link::Avs
        ) && !fixed::is_netanalyzer(self.linktype)
        {
            return Err(format!("no VLAN support for {}", self.link_desc()));
        }
        let special = self.live
            && self.vlan_depth == 0
            && !self.off_linkhdr.var
            && self.off_linkhdr.constant == 0
            && self.outermost == Link::En10mb;
        let b = if special {
            // The kernel moved the outer tag into metadata: tag present, or (offsets += 4 and)
            // a tag still in the bytes.
            let present = Node::test(
                vec![ld(op::LD_B_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)],
                Jmp::k(JEQ, 1),
            );
            let tpid = self.vlan_tpid_test()?;
            let vidt = match vid {
                Some(v) => Some(self.vlan_vid_test(v)?),
                None => None,
            };
            // Patch: the offsets become variable, kept in registers that start at 0.
            self.is_vlan_vloffset = true;
            let mut add = Vec::new();
            for which in [Which::LinkPl, Which::LinkType] {
                let off = self.off_mut(which);
                off.var = true;
                let reg = match off.reg {
                    Some(r) => r,
                    None => {
                        let r = self.regs.alloc()?;
                        self.off_mut(which).reg = Some(r);
                        self.init_regs.push(r);
                        r
                    }
                };
                add.extend([ld(op::LD_MEM, reg), ld(op::ADD_K, 4), ld(op::ST, reg)]);
            }
            let tpid = Node::and(Node::Effect(add), tpid);
            let mut b = Node::or(present, tpid);
            if let Some(Node::Test(vs, vj)) = &vidt {
                // libpcap's gen_vlan_patch_vid_test: one block whose statements branch inside
                // it, the VID from metadata when the tag is present, else from the bytes (at the
                // offset before the patch). The optimizer sees one straight list of statements,
                // as libpcap's does, so that it takes libpcap's decisions.
                let cnt = vs.len() as u32;
                let mut stmts = vec![
                    ld(op::LD_B_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
                    Insn::jump(op::JEQ_K, 1, 0, 2),
                    ld(op::LD_B_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG),
                    ld(op::JA, cnt.saturating_sub(1)),
                ];
                stmts.extend_from_slice(vs);
                b = Node::and(b, Node::test(stmts, *vj));
            } else if let Some(t) = vidt {
                b = Node::and(b, t);
            }
            b
        } else {
            let mut b = self.vlan_tpid_test()?;
            if let Some(v) = vid {
                let t = self.vlan_vid_test(v)?;
                b = Node::and(b, t);
            }
            self.off_linkpl.constant = self.off_linkpl.constant.wrapping_add(4);
            if let Some(lt) = self.off_linktype.as_mut() {
                lt.constant = lt.constant.wrapping_add(4);
            }
            b
        };
        self.vlan_depth += 1;
        Ok(b)
    }

    pub fn mpls(&mut self, label: Option<u32>) -> GResult<Node> {
        let mut b0 = if self.label_depth > 0 {
            self.mcmp(Rel::PrevMplsHdr, 2, BPF_B, 0, 0x01)?
        } else {
            match self.linktype {
                Link::En10mb | Link::CHdlc => self.linktype(ETHERTYPE_MPLS)?,
                l if fixed::is_netanalyzer(l) => self.linktype(ETHERTYPE_MPLS)?,
                Link::Ppp => self.linktype(0x0281)?,
                _ => return Err(format!("no MPLS support for {}", self.link_desc())),
            }
        };
        if let Some(l) = label {
            if l > 0xfffff {
                return Err(format!("MPLS label {l} greater than maximum 1048575"));
            }
            let b1 = self.mcmp(Rel::LinkPl, 0, BPF_W, l << 12, 0xffff_f000)?;
            b0 = Node::and(b0, b1);
        }
        self.off_nl_nosnap = self.off_nl_nosnap.wrapping_add(4);
        self.off_nl = self.off_nl.wrapping_add(4);
        self.label_depth += 1;
        Ok(b0)
    }

    pub fn pppoed(&mut self) -> GResult<Node> {
        self.linktype(ETHERTYPE_PPPOED)
    }

    pub fn pppoes(&mut self, sess: Option<u32>) -> GResult<Node> {
        let mut b0 = self.linktype(ETHERTYPE_PPPOES)?;
        if let Some(s) = sess {
            if s > 0xffff {
                return Err(format!("PPPoE session number {s} greater than maximum 65535"));
            }
            let b1 = self.mcmp(Rel::LinkPl, 0, BPF_W, s, 0x0000_ffff)?;
            b0 = Node::and(b0, b1);
        }
        // The PPP header follows the 6-byte PPPoE header.
        self.prevlinktype = self.linktype;
        self.off_prevlinkhdr = self.off_linkhdr;
        self.linktype = Link::Ppp;
        self.off_linkhdr = Off {
            constant: self.off_linkpl.constant.wrapping_add(self.off_nl).wrapping_add(6),
            var: self.off_linkpl.var,
            reg: self.off_linkpl.reg,
        };
        self.is_geneve = false;
        self.off_linktype = Some(self.off_linkhdr);
        self.off_linkpl.constant = self.off_linkhdr.constant.wrapping_add(2);
        self.off_nl = 0;
        self.off_nl_nosnap = 0;
        Ok(b0)
    }

    fn geneve_check(&mut self, v6: bool, vni: Option<u32>) -> GResult<Node> {
        let rel = if v6 { Rel::TranIpv6 } else { Rel::TranIpv4 };
        let b0 = self.port_family(v6, None, GENEVE_PORT, Some(IPPROTO_UDP), Dir::Dst)?;
        let b1 = self.mcmp(rel, 8, BPF_B, 0, 0xc0)?;
        let mut b = Node::and(b0, b1);
        if let Some(v) = vni {
            if v > 0xff_ffff {
                return Err(format!("Geneve VNI {v} greater than maximum 16777215"));
            }
            let b2 = self.mcmp(rel, 12, BPF_W, v << 8, 0xffff_ff00)?;
            b = Node::and(b, b2);
        }
        Ok(b)
    }

    pub fn geneve(&mut self, vni: Option<u32>) -> GResult<Node> {
        if self.linktype == Link::Raw || self.off_linktype.is_none() {
            // libpcap's gen_linktype works for raw IP, but its Geneve offsets assume a
            // link-layer type field.
        }
        self.no_optimize = true;
        // IPv4: X = A = IP header length (plus the variable part of the payload offset).
        let c4 = self.geneve_check(false, vni)?;
        let mut s4 = self.loadx_iphdrlen()?;
        s4.push(ld(op::TXA, 0));
        let b4 = Node::and(c4, Node::Effect(s4));
        let c6 = self.geneve_check(true, vni)?;
        let mut s6 = match self.varpart(Which::LinkPl)? {
            Some(mut s) => {
                s.push(ld(op::LD_IMM, 40));
                s.push(ld(op::ADD_X, 0));
                s
            }
            None => vec![ld(op::LD_IMM, 40)],
        };
        s6.push(ld(op::TAX, 0));
        let b6 = Node::and(c6, Node::Effect(s6));
        let matched = Node::or(b4, b6);
        // Offsets of the inner frame (gen_geneve_offsets), computed from A.
        let mut s = vec![
            ld(
                op::ADD_K,
                self.off_linkpl.constant.wrapping_add(self.off_nl).wrapping_add(8),
            ),
            ld(op::TAX, 0),
            ld(op::ADD_K, 2),
        ];
        let lt_reg = self.regs.alloc()?;
        s.extend([
            ld(op::ST, lt_reg),
            ld(op::LD_B_IND, 0),
            ld(op::AND_K, 0x3f),
            ld(op::MUL_K, 4),
            ld(op::ADD_K, 8),
            ld(op::ADD_X, 0),
        ]);
        let hdr_reg = self.regs.alloc()?;
        s.extend([ld(op::ST, hdr_reg), ld(op::LD_H_IND, 2), ld(op::LDX_MEM, hdr_reg)]);
        let pl_reg = self.regs.alloc()?;
        self.init_regs.extend([lt_reg, hdr_reg, pl_reg]);
        // Ethernet inside (TEB): link type at +12, payload at +14 (X); otherwise the protocol
        // field is the link type and the payload starts right after the Geneve header (X as
        // loaded). Both paths then share the store of the payload offset, as libpcap's do.
        let teb = vec![
            ld(op::TXA, 0),
            ld(op::ADD_K, 12),
            ld(op::ST, lt_reg),
            ld(op::ADD_K, 2),
            ld(op::TAX, 0),
        ];
        let offsets = Node::and(
            Node::or(
                Node::and(Node::test(s, Jmp::k(JEQ, ETHERTYPE_TEB)), Node::Effect(teb)),
                Node::Const(true),
            ),
            Node::Effect(vec![ld(op::STX, pl_reg)]),
        );
        self.prevlinktype = self.linktype;
        self.off_prevlinkhdr = self.off_linkhdr;
        self.linktype = Link::En10mb;
        self.off_linkhdr = Off {
            constant: 0,
            var: true,
            reg: Some(hdr_reg),
        };
        self.off_linktype = Some(Off {
            constant: 0,
            var: true,
            reg: Some(lt_reg),
        });
        self.off_linkpl = Off {
            constant: 0,
            var: true,
            reg: Some(pl_reg),
        };
        self.off_nl = 0;
        self.is_geneve = true;
        Ok(Node::and(matched, offsets))
    }

    // ---- arithmetic ----

    /// `a` in the order libpcap's actions generate it (operands left to right, each before the
    /// operation), by a post-order walk with an explicit stack.
    fn arth(&mut self, a: &Arth) -> Result<Val, (usize, String)> {
        enum Step<'a> {
            /// Generate the operands of this expression (a leaf: the expression itself).
            Visit(&'a Arth),
            /// Its operands' values are on top of `vals`: combine them.
            Finish(&'a Arth),
        }
        let mut work = vec![Step::Visit(a)];
        let mut vals: Vec<Val> = Vec::new();
        while let Some(step) = work.pop() {
            let a = match step {
                Step::Visit(a) => {
                    match a {
                        Arth::Num(_) | Arth::Len => {}
                        Arth::Neg(x) | Arth::Load { index: x, .. } => {
                            work.push(Step::Finish(a));
                            work.push(Step::Visit(x));
                            continue;
                        }
                        Arth::Bin(_, a0, a1, _) => {
                            work.push(Step::Finish(a));
                            work.push(Step::Visit(a1));
                            work.push(Step::Visit(a0));
                            continue;
                        }
                    }
                    a
                }
                Step::Finish(a) => a,
            };
            let v = self.arth_step(a, &mut vals)?;
            vals.push(v);
        }
        Ok(vals.pop().expect("a value"))
    }

    /// One step of [`Gen::arth`]: the value of `a`, whose operands' values (if any) are the
    /// last ones of `vals`.
    fn arth_step(&mut self, a: &Arth, vals: &mut Vec<Val>) -> Result<Val, (usize, String)> {
        match a {
            Arth::Num(k) => {
                let reg = self.regs.alloc().map_err(|e| (usize::MAX, e))?;
                Ok(Val {
                    stmts: vec![ld(op::LD_IMM, *k), ld(op::ST, reg)],
                    reg,
                    cond: None,
                })
            }
            Arth::Len => {
                let reg = self.regs.alloc().map_err(|e| (usize::MAX, e))?;
                Ok(Val {
                    stmts: vec![ld(op::LD_W_LEN, 0), ld(op::ST, reg)],
                    reg,
                    cond: None,
                })
            }
            Arth::Neg(_) => {
                let mut v = vals.pop().expect("the operand");
                v.stmts
                    .extend([ld(op::LD_MEM, v.reg), ld(op::NEG, 0), ld(op::ST, v.reg)]);
                Ok(v)
            }
            Arth::Bin(code, _, a1, pos) => {
                let v1 = vals.pop().expect("the right operand");
                let v0 = vals.pop().expect("the left operand");
                let lead = a1.leading_imm();
                let opn = code & 0xf0;
                if opn == crate::BPF_DIV && lead == Some(0) {
                    return Err((*pos, "division by zero".into()));
                }
                if opn == crate::BPF_MOD && lead == Some(0) {
                    return Err((*pos, "modulus by zero".into()));
                }
                if (opn == crate::BPF_LSH || opn == crate::BPF_RSH) && lead.is_some_and(|k| k > 31) {
                    return Err((*pos, "shift by more than 31 bits".into()));
                }
                let mut stmts = v0.stmts;
                stmts.extend(v1.stmts);
                stmts.extend([
                    ld(op::LDX_MEM, v1.reg),
                    ld(op::LD_MEM, v0.reg),
                    ld(*code | 0x08, 0),
                ]);
                self.regs.free(v0.reg);
                self.regs.free(v1.reg);
                let reg = self.regs.alloc().map_err(|e| (*pos, e))?;
                stmts.push(ld(op::ST, reg));
                // libpcap's gen_arth keeps only the left operand's conditions: in
                // `ip[2:2] - tcp[12]` nothing checks for TCP (reproduced as is).
                let cond = v0.cond;
                Ok(Val { stmts, reg, cond })
            }
            Arth::Load { proto, size, pos, .. } => {
                let pos = *pos;
                let inst = vals.pop().expect("the index");
                let reg = self.regs.alloc().map_err(|e| (pos, e))?;
                self.regs.free(inst.reg);
                let size_code = match size {
                    1 => BPF_B,
                    2 => BPF_H,
                    4 => BPF_W,
                    _ => return Err((pos, "data size must be 1, 2, or 4".into())),
                };
                let e = |m: String| (pos, m);
                let mut stmts = inst.stmts;
                let mut cond = inst.cond;
                match proto {
                    Proto::Radio => {
                        // Relative to the start of the packet, on the radio headers only.
                        if !matches!(self.linktype, Link::Avs | Link::Radiotap | Link::Prism) {
                            return Err((pos, "radio information not present in capture".into()));
                        }
                        stmts.extend([ld(op::LDX_MEM, inst.reg), ld(0x40 | size_code, 0)]);
                    }
                    Proto::Link => {
                        match self.varpart(Which::LinkHdr).map_err(e)? {
                            Some(s) => {
                                stmts.extend(s);
                                stmts.extend([ld(op::LD_MEM, inst.reg), ld(op::ADD_X, 0), ld(op::TAX, 0)]);
                            }
                            None => stmts.push(ld(op::LDX_MEM, inst.reg)),
                        }
                        stmts.push(ld(0x40 | size_code, self.off_linkhdr.constant));
                    }
                    // The network layer of the families with an Ethertype of their own too.
                    Proto::Ip
                    | Proto::Arp
                    | Proto::Rarp
                    | Proto::Ip6
                    | Proto::Legacy(
                        Family::Atalk
                        | Family::Decnet
                        | Family::Sca
                        | Family::Lat
                        | Family::Moprc
                        | Family::Mopdl,
                    ) => {
                        match self.varpart(Which::LinkPl).map_err(e)? {
                            Some(s) => {
                                stmts.extend(s);
                                stmts.extend([ld(op::LD_MEM, inst.reg), ld(op::ADD_X, 0), ld(op::TAX, 0)]);
                            }
                            None => stmts.push(ld(op::LDX_MEM, inst.reg)),
                        }
                        stmts.push(ld(
                            0x40 | size_code,
                            self.off_linkpl.constant.wrapping_add(self.off_nl),
                        ));
                        let b = self.proto_abbrev(*proto).map_err(e)?;
                        cond = Some(and_opt(cond, b));
                    }
                    Proto::Sctp
                    | Proto::Tcp
                    | Proto::Udp
                    | Proto::Icmp
                    | Proto::Igmp
                    | Proto::Igrp
                    | Proto::Pim
                    | Proto::Vrrp
                    | Proto::Carp => {
                        stmts.extend(self.loadx_iphdrlen().map_err(e)?);
                        stmts.extend([ld(op::LD_MEM, inst.reg), ld(op::ADD_X, 0), ld(op::TAX, 0)]);
                        stmts.push(ld(
                            0x40 | size_code,
                            self.off_linkpl.constant.wrapping_add(self.off_nl),
                        ));
                        let pb = self.proto_abbrev(*proto).map_err(e)?;
                        let fb = self.ipfrag().map_err(e)?;
                        let b = and_opt(cond, Node::and(pb, fb));
                        let ipb = self.proto_abbrev(Proto::Ip).map_err(e)?;
                        cond = Some(Node::and(ipb, b));
                    }
                    Proto::Icmp6 => {
                        let b = self.proto_abbrev(Proto::Ip6).map_err(e)?;
                        let c = and_opt(cond, b);
                        let nh = self.cmp(Rel::LinkPl, 6, BPF_B, 58).map_err(e)?;
                        cond = Some(Node::and(c, nh));
                        match self.varpart(Which::LinkPl).map_err(e)? {
                            Some(s) => {
                                stmts.extend(s);
                                stmts.extend([ld(op::LD_MEM, inst.reg), ld(op::ADD_X, 0), ld(op::TAX, 0)]);
                            }
                            None => stmts.push(ld(op::LDX_MEM, inst.reg)),
                        }
                        stmts.push(ld(
                            0x40 | size_code,
                            self.off_linkpl
                                .constant
                                .wrapping_add(self.off_nl)
                                .wrapping_add(40),
                        ));
                    }
                    Proto::Ah | Proto::Esp | Proto::Default | Proto::Legacy(_) => {
                        return Err((pos, "unsupported index operation".into()));
                    }
                }
                stmts.push(ld(op::ST, reg));
                Ok(Val { stmts, reg, cond })
            }
        }
    }

    /// `gen_relation`: `a0 op a1`, `reversed` for `!=`, `<` and `<=`.
    pub fn relation(
        &mut self,
        jop: u16,
        a0: &Arth,
        a1: &Arth,
        reversed: bool,
    ) -> Result<Node, (usize, String)> {
        let v0 = self.arth(a0)?;
        let v1 = self.arth(a1)?;
        let mut stmts = v0.stmts;
        stmts.extend(v1.stmts);
        stmts.push(ld(op::LDX_MEM, v1.reg));
        stmts.push(ld(op::LD_MEM, v0.reg));
        let jmp = if jop == JEQ {
            stmts.push(ld(op::SUB_X, 0));
            Jmp::k(JEQ, 0)
        } else {
            Jmp::x(jop)
        };
        let mut b = Node::test(stmts, jmp);
        if reversed {
            b = Node::not(b);
        }
        self.regs.free(v0.reg);
        self.regs.free(v1.reg);
        let cond = match (v0.cond, v1.cond) {
            (Some(c0), Some(c1)) => Some(Node::and(c0, c1)),
            (c0, c1) => c0.or(c1),
        };
        Ok(and_opt(cond, b))
    }

    /// Whether the offset registers' initialisation ([`Gen::prologue`]) goes into the program
    /// before it is optimized: the live form's VLAN offsets are read, incremented and stored
    /// from their initial 0, which the optimizer folds. Otherwise (`geneve`, whose registers are
    /// written before they are read except where the offsets outlive a failed `geneve`, as in
    /// `geneve or ip6`) only the registers that some path of the final program reads before
    /// writing them are set, by [`init_before_read`].
    pub fn prologue_first(&self) -> bool {
        self.is_vlan_vloffset
    }

    /// Statements to run first: offset registers that some path may read before writing them
    /// start at 0.
    pub fn prologue(&self) -> Vec<Insn> {
        let mut s = Vec::new();
        if !self.init_regs.is_empty() {
            s.push(ld(op::LD_IMM, 0));
            let mut seen = 0u16;
            for &r in &self.init_regs {
                if seen & (1 << r) == 0 {
                    seen |= 1 << r;
                    s.push(ld(op::ST, r));
                }
            }
        }
        s
    }
}

/// Statements that set to 0 the scratch registers that some path of `prog` reads before any
/// write (libpcap reads such words uninitialised; the kernel refuses that), to run first: empty
/// if there are none. A and X are 0 when a program starts, but the `ld #0` keeps the statements
/// correct on their own. Jumps must go forward (others end the path).
pub fn init_before_read(prog: &[Insn]) -> Vec<Insn> {
    // Registers written on every path to each instruction (`None`: not reached yet).
    let mut written: Vec<Option<u16>> = vec![None; prog.len() + 1];
    written[0] = Some(0);
    let mut need = 0u16;
    for (pc, insn) in prog.iter().enumerate() {
        let Some(mut w) = written[pc] else { continue };
        let bit = 1u16.checked_shl(insn.k).unwrap_or(0);
        match insn.code {
            op::LD_MEM | op::LDX_MEM => need |= bit & !w,
            op::ST | op::STX => w |= bit,
            _ => {}
        }
        let class = insn.code & 0x07;
        let next: [Option<usize>; 2] = match insn.code {
            _ if class == 0x06 => [None, None],
            op::JA => [(pc + 1).checked_add(insn.k as usize), None],
            _ if class == 0x05 => [
                Some(pc + 1 + usize::from(insn.jt)),
                Some(pc + 1 + usize::from(insn.jf)),
            ],
            _ => [Some(pc + 1), None],
        };
        for t in next.into_iter().flatten() {
            if let Some(slot) = written.get_mut(t) {
                *slot = Some(slot.map_or(w, |x| x & w));
            }
        }
    }
    if need == 0 {
        return Vec::new();
    }
    let mut s = vec![ld(op::LD_IMM, 0)];
    s.extend((0..16).filter(|r| need & (1 << r) != 0).map(|r| ld(op::ST, r)));
    s
}

#[derive(Clone, Copy)]
enum Which {
    LinkHdr,
    PrevLinkHdr,
    LinkPl,
    LinkType,
}

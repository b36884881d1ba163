//! The legacy protocol families of libpcap's language (AppleTalk and AARP, DECnet, LAT, SCA,
//! MOP, the ISO protocols CLNP, ES-IS and IS-IS with IS-IS's PDU types, STP, IPX, NetBEUI) and
//! 802.2 LLC (`llc` and its frame types), with libpcap's rules for where each link type puts
//! them: an Ethernet frame carries them in an Ethernet II frame (a type field above 1500) or in
//! an 802.3 frame (a length field) behind an LLC header, with SNAP for AppleTalk, AARP and one
//! of IPX's four framings; a Linux cooked header says 802.2 (`LINUX_SLL_P_802_2`) or Novell's raw
//! 802.3 (`LINUX_SLL_P_802_3`) in its protocol field; PPP has protocol numbers of its own
//! (`ethertype_to_ppptype`, in [`Gen::linktype`]); raw IP carries none of them. Also the
//! netmask's `ip broadcast`.
//!
//! A child module of `gen` (declared there with `#[path]`): an `impl Gen` block that uses the
//! generator's state and helpers directly, so that the families stay out of `gen.rs` except
//! for the calls at its dispatch points (`linktype`, `host`, `host6`, `proto_abbrev`, `proto`,
//! the loads of `proto[...]`, `broadcast`). Where libpcap does something else for a link type,
//! that is one more arm in the `match self.linktype` of [`Gen::llc_internal`],
//! [`Gen::iso_proto`] (and of `Gen::linktype` for the families' link-layer types).
//!
//! DECnet addresses are compared as libpcap compares them on a little-endian host (it byte-swaps
//! them with `ntohs`, which is right for the protocol there, where they are little-endian on
//! the wire, and does nothing on a big-endian host): on every host, as on x86 and ARM.

use super::{ld, GResult, Gen, Link, Rel, Which};
use super::{ETHERMTU, ETHERTYPE_AARP, ETHERTYPE_ATALK, ETHERTYPE_IP, LINUX_SLL_P_802_2};
use super::{LLCSAP_IPX, LLCSAP_ISONS, LLCSAP_NETBEUI};
use crate::compile::ir::{Jmp, Node, JEQ, JSET};
use crate::{op, BPF_B, BPF_H, BPF_W};

pub(super) const ETHERTYPE_MOPDL: u32 = 0x6001;
pub(super) const ETHERTYPE_MOPRC: u32 = 0x6002;
pub(super) const ETHERTYPE_DN: u32 = 0x6003;
pub(super) const ETHERTYPE_LAT: u32 = 0x6004;
pub(super) const ETHERTYPE_SCA: u32 = 0x6007;
pub(super) const ETHERTYPE_IPX: u32 = 0x8137;
/// The spanning tree protocol's SAP (802.1D bridge PDUs).
pub(super) const LLCSAP_8021D: u32 = 0x42;
/// Novell's raw 802.3 frames in a Linux cooked header's protocol field.
const LINUX_SLL_P_802_3: u32 = 0x0001;
/// The ISO network layer protocol identifiers (NLPIDs) that follow an `0xfe 0xfe 0x03` LLC
/// header.
pub(super) const ISO8473_CLNP: u32 = 0x81;
pub(super) const ISO9542_ESIS: u32 = 0x82;
pub(super) const ISO10589_ISIS: u32 = 0x83;
/// IS-IS PDU types (the byte at offset 4 of the IS-IS header).
const ISIS_L1_LAN_IIH: u32 = 15;
const ISIS_L2_LAN_IIH: u32 = 16;
const ISIS_PTP_IIH: u32 = 17;
const ISIS_L1_LSP: u32 = 18;
const ISIS_L2_LSP: u32 = 20;
const ISIS_L1_CSNP: u32 = 24;
const ISIS_L2_CSNP: u32 = 25;
const ISIS_L1_PSNP: u32 = 26;
const ISIS_L2_PSNP: u32 = 27;
/// The low two bits of an LLC control field: S and U frames (I frames have bit 0 clear).
const LLC_S_FMT: u32 = 1;
const LLC_U_FMT: u32 = 3;
/// What identifies an S frame's command (the P/F bit and N(R) left out) and a U frame's (the
/// P/F bit left out).
const LLC_S_CMD_MASK: u32 = 0x0f;
const LLC_U_CMD_MASK: u32 = 0xef;
/// S frame commands, by the names `llc` takes.
const LLC_S_SUBTYPES: &[(&str, u32)] = &[("rr", 0x01), ("rnr", 0x05), ("rej", 0x09)];
/// The `rnr` S frame (also spelled `rulenum`: both are pf's keyword in libpcap's scanner).
pub(super) const LLC_RNR: u32 = 0x05;
/// U frame commands, by the names `llc` takes.
const LLC_U_SUBTYPES: &[(&str, u32)] = &[
    ("ui", 0x03),
    ("ua", 0x63),
    ("disc", 0x43),
    ("dm", 0x0f),
    ("sabme", 0x6f),
    ("test", 0xe3),
    ("xid", 0xaf),
    ("frmr", 0x87),
];

/// What `pcap_compile` takes for "netmask unknown" (`PCAP_NETMASK_UNKNOWN`, 255.255.255.255,
/// the same in either byte order).
pub const NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// A legacy protocol qualifier (libpcap's `Q_ATALK` ... `Q_ISIS_PSNP`), a [`super::Proto`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Atalk,
    Aarp,
    Decnet,
    Lat,
    Sca,
    Moprc,
    Mopdl,
    Iso,
    Esis,
    Isis,
    Clnp,
    Stp,
    Ipx,
    Netbeui,
    IsisL1,
    IsisL2,
    IsisIih,
    IsisLsp,
    IsisSnp,
    IsisCsnp,
    IsisPsnp,
}

impl Family {
    /// The keyword, as libpcap's messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Atalk => "atalk",
            Family::Aarp => "aarp",
            Family::Decnet => "decnet",
            Family::Lat => "lat",
            Family::Sca => "sca",
            Family::Moprc => "moprc",
            Family::Mopdl => "mopdl",
            Family::Iso => "iso",
            Family::Esis => "esis",
            Family::Isis => "isis",
            Family::Clnp => "clnp",
            Family::Stp => "stp",
            Family::Ipx => "ipx",
            Family::Netbeui => "netbeui",
            Family::IsisL1 => "l1",
            Family::IsisL2 => "l2",
            Family::IsisIih => "iih",
            Family::IsisLsp => "lsp",
            Family::IsisSnp => "snp",
            Family::IsisCsnp => "csnp",
            Family::IsisPsnp => "psnp",
        }
    }
}

/// `lookup_proto` for `iso proto NAME` (`\esis`, `\isis`, `\clnp`, case sensitive).
pub fn osi_protocol(name: &str) -> Option<u32> {
    match name {
        "esis" => Some(ISO9542_ESIS),
        "isis" => Some(ISO10589_ISIS),
        "clnp" => Some(ISO8473_CLNP),
        _ => None,
    }
}

/// libpcap's `__pcap_atodn`: `AREA.NODE` as `sscanf("%d.%d")` reads it (decimal, each number
/// as `strtol` takes it and cut to an `int`; what follows the node is ignored), packed into
/// 16 bits (6 of area, 10 of node). None where the scan does not find two numbers.
pub fn atodn(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize| -> Option<u32> {
        let start = *i;
        let mut v: u128 = 0;
        while *i < b.len() && b[*i].is_ascii_digit() {
            v = (v * 10 + u128::from(b[*i] - b'0')).min(u128::from(u64::MAX));
            *i += 1;
        }
        if *i == start {
            return None;
        }
        // strtol saturates at LONG_MAX; the store into an int keeps the low 32 bits.
        let l = v.min(i64::MAX as u128) as i64;
        Some(l as i32 as u32)
    };
    let area = num(&mut i)?;
    if b.get(i) != Some(&b'.') {
        return None;
    }
    i += 1;
    let node = num(&mut i)?;
    Some(((area << 10) & 0o176000) | (node & 0o1777))
}

impl Gen {
    // ---- loads relative to the link-layer payload ----

    /// Compares the `size` bytes at `extra + offset` of the link-layer payload (libpcap's
    /// `OR_LLC` with `extra` 0, `OR_LINKPL_NOSNAP` with `off_nl_nosnap`), masked unless `mask`
    /// is all ones, with `v`.
    fn pl_cmp(&mut self, extra: u32, offset: u32, size: u16, v: u32, mask: u32) -> GResult<Node> {
        let mut s = self.load_rel(Which::LinkPl, extra.wrapping_add(offset), size)?;
        if mask != 0xffff_ffff {
            s.push(ld(op::AND_K, mask));
        }
        Ok(Node::test(s, Jmp::k(JEQ, v)))
    }

    /// A field of the LLC header (`OR_LLC`: the link-layer payload, without `off_nl`).
    fn llc_cmp(&mut self, offset: u32, size: u16, v: u32) -> GResult<Node> {
        self.cmp(Rel::Llc, offset, size, v)
    }

    /// A field of the payload of an 802.3 frame's LLC header (`OR_LINKPL_NOSNAP`).
    fn nosnap_cmp(&mut self, offset: u32, v: u32) -> GResult<Node> {
        self.pl_cmp(self.off_nl_nosnap, offset, BPF_B, v, 0xffff_ffff)
    }

    /// `!(type/length > 1500)`: an 802.3 frame (its type field is a length).
    fn is_8023(&mut self) -> GResult<Node> {
        let gt = self.cmp_gt(Rel::LinkType, 0, BPF_H, ETHERMTU)?;
        Ok(Node::not(gt))
    }

    // ---- link-layer types ----

    /// `gen_ether_linktype` for IPX (LLC SAP 0xe0) and AppleTalk and AARP (their Ethertypes):
    /// the protocols that also come in 802.3 frames with SNAP or other LLC framings.
    pub(super) fn ether_llc_linktype(&mut self, p: u32) -> GResult<Node> {
        if p == LLCSAP_IPX {
            // Ethernet_802.2 (the IPX SAP) or Ethernet_802.3 (Novell's raw 0xffff) ...
            let b0 = self.llc_cmp(0, BPF_B, LLCSAP_IPX)?;
            let b1 = self.llc_cmp(0, BPF_H, 0xffff)?;
            let b = Node::or(b0, b1);
            // ... or Ethernet_SNAP, all in 802.3 frames; or Ethernet_II.
            let snap = self.snap(0x000000, ETHERTYPE_IPX)?;
            let b = Node::or(snap, b);
            let len = self.is_8023()?;
            let b = Node::and(len, b);
            let ii = self.cmp(Rel::LinkType, 0, BPF_H, ETHERTYPE_IPX)?;
            return Ok(Node::or(ii, b));
        }
        // EtherTalk phase 2 (SNAP, Apple's organization code for AppleTalk, encapsulated
        // Ethernet's for AARP) in 802.3 frames, or phase 1 (the Ethertype).
        let len = self.is_8023()?;
        let org = if p == ETHERTYPE_ATALK { 0x080007 } else { 0x000000 };
        let snap = self.snap(org, p)?;
        let b = Node::and(len, snap);
        let ii = self.cmp(Rel::LinkType, 0, BPF_H, p)?;
        Ok(Node::or(ii, b))
    }

    /// `gen_linux_sll_linktype` for IPX, AppleTalk and AARP: the cooked header's protocol
    /// field says 802.2 (then the LLC header or SNAP tells) or Novell's raw 802.3.
    pub(super) fn sll_llc_linktype(&mut self, p: u32) -> GResult<Node> {
        if p == LLCSAP_IPX {
            let b0 = self.llc_cmp(0, BPF_B, LLCSAP_IPX)?;
            let snap = self.snap(0x000000, ETHERTYPE_IPX)?;
            let b = Node::or(b0, snap);
            let t = self.cmp(Rel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
            let b = Node::and(t, b);
            let raw = self.cmp(Rel::LinkType, 0, BPF_H, LINUX_SLL_P_802_3)?;
            let b = Node::or(raw, b);
            let ii = self.cmp(Rel::LinkType, 0, BPF_H, ETHERTYPE_IPX)?;
            return Ok(Node::or(ii, b));
        }
        let t = self.cmp(Rel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
        let org = if p == ETHERTYPE_ATALK { 0x080007 } else { 0x000000 };
        let snap = self.snap(org, p)?;
        let b = Node::and(t, snap);
        let ii = self.cmp(Rel::LinkType, 0, BPF_H, p)?;
        Ok(Node::or(ii, b))
    }

    // ---- 802.2 LLC ----

    /// `gen_llc_internal`: the frame has an 802.2 LLC header, as far as the current link type
    /// tells (a new link type that carries LLC is one more arm).
    fn llc_internal(&mut self) -> GResult<Node> {
        match self.linktype {
            Link::En10mb => {
                // An 802.3 frame whose DSAP and SSAP are not 0xff 0xff (Novell's raw 802.3).
                let b0 = self.is_8023()?;
                let raw = self.llc_cmp(0, BPF_H, 0xffff)?;
                Ok(Node::and(b0, Node::not(raw)))
            }
            // LLC-encapsulated traffic (the link type goes back to the one before `lane`).
            Link::SunAtm => self.atm_llc(),
            // libpcap does not check these for LLC frames: every frame is one.
            Link::Ieee802 | Link::Fddi | Link::Fixed(super::fixed::DLT_ATM_RFC1483) => Ok(Node::Const(true)),
            // 802.11 (with or without a radio header): a data frame.
            Link::Ieee80211 | Link::Prism | Link::Radiotap | Link::Avs | Link::Ppi => self.wlan_data_frame(),
            _ => Err(format!("'llc' not supported for {}", self.link_desc())),
        }
    }

    /// `llc`.
    pub fn llc(&mut self) -> GResult<Node> {
        self.llc_internal()
    }

    /// `llc NAME`: `i`, `s`, `u` (the frame format) or an S or U frame's command (`rr`, `ui`,
    /// `xid`, ...), any case.
    pub fn llc_named(&mut self, name: &str) -> GResult<Node> {
        let lower = name.to_ascii_lowercase();
        let find = |t: &[(&str, u32)]| t.iter().find(|(n, _)| *n == lower).map(|&(_, v)| v);
        match lower.as_str() {
            "i" => {
                // Bit 0 of the control field clear.
                let b0 = self.llc_internal()?;
                let s = self.load_rel(Which::LinkPl, 2, BPF_B)?;
                let b1 = Node::not(Node::test(s, Jmp::k(JSET, 0x01)));
                Ok(Node::and(b0, b1))
            }
            "s" => self.llc_control(LLC_S_FMT, 0x03),
            "u" => self.llc_control(LLC_U_FMT, 0x03),
            _ => {
                if let Some(v) = find(LLC_S_SUBTYPES) {
                    self.llc_control(v, LLC_S_CMD_MASK)
                } else if let Some(v) = find(LLC_U_SUBTYPES) {
                    self.llc_control(v, LLC_U_CMD_MASK)
                } else {
                    Err(format!("unknown LLC type name \"{name}\""))
                }
            }
        }
    }

    /// `llc rnr` (and `llc rulenum`): the scanner's `rnr` is pf's keyword, not a name.
    pub fn llc_rnr(&mut self) -> GResult<Node> {
        self.llc_control(LLC_RNR, LLC_S_CMD_MASK)
    }

    /// An LLC frame whose control field, masked, is `v`.
    fn llc_control(&mut self, v: u32, mask: u32) -> GResult<Node> {
        let b0 = self.llc_internal()?;
        let b1 = self.pl_cmp(0, 2, BPF_B, v, mask)?;
        Ok(Node::and(b0, b1))
    }

    // ---- the families as primitives ----

    /// `gen_proto_abbrev` of a family on its own.
    pub(super) fn legacy_abbrev(&mut self, f: Family) -> GResult<Node> {
        match f {
            Family::Atalk => self.linktype(ETHERTYPE_ATALK),
            Family::Aarp => self.linktype(ETHERTYPE_AARP),
            Family::Decnet => self.linktype(ETHERTYPE_DN),
            Family::Sca => self.linktype(ETHERTYPE_SCA),
            Family::Lat => self.linktype(ETHERTYPE_LAT),
            Family::Mopdl => self.linktype(ETHERTYPE_MOPDL),
            Family::Moprc => self.linktype(ETHERTYPE_MOPRC),
            Family::Iso => self.linktype(LLCSAP_ISONS),
            Family::Esis => self.iso_proto(ISO9542_ESIS),
            Family::Isis => self.iso_proto(ISO10589_ISIS),
            Family::Clnp => self.iso_proto(ISO8473_CLNP),
            Family::Stp => self.linktype(LLCSAP_8021D),
            Family::Ipx => self.linktype(LLCSAP_IPX),
            Family::Netbeui => self.linktype(LLCSAP_NETBEUI),
            // Each level's hellos (the point-to-point one, whatever its circuit type, in both),
            // link state PDUs and sequence number PDUs; libpcap ors each next test in front.
            Family::IsisL1 => self.isis_any(&[
                ISIS_L1_LAN_IIH,
                ISIS_PTP_IIH,
                ISIS_L1_LSP,
                ISIS_L1_CSNP,
                ISIS_L1_PSNP,
            ]),
            Family::IsisL2 => self.isis_any(&[
                ISIS_L2_LAN_IIH,
                ISIS_PTP_IIH,
                ISIS_L2_LSP,
                ISIS_L2_CSNP,
                ISIS_L2_PSNP,
            ]),
            Family::IsisIih => self.isis_any(&[ISIS_L1_LAN_IIH, ISIS_L2_LAN_IIH, ISIS_PTP_IIH]),
            Family::IsisLsp => self.isis_any(&[ISIS_L1_LSP, ISIS_L2_LSP]),
            Family::IsisSnp => self.isis_any(&[ISIS_L1_CSNP, ISIS_L2_CSNP, ISIS_L1_PSNP, ISIS_L2_PSNP]),
            Family::IsisCsnp => self.isis_any(&[ISIS_L1_CSNP, ISIS_L2_CSNP]),
            Family::IsisPsnp => self.isis_any(&[ISIS_L1_PSNP, ISIS_L2_PSNP]),
        }
    }

    /// IS-IS PDUs of any of `types` (at least two), generated in order and joined as libpcap
    /// joins them: `t[n] || (... || (t[2] || (t[0] || t[1])))`.
    fn isis_any(&mut self, types: &[u32]) -> GResult<Node> {
        let b0 = self.isis_pdu(types[0])?;
        let b1 = self.isis_pdu(types[1])?;
        let mut acc = Node::or(b0, b1);
        for &t in &types[2..] {
            let b = self.isis_pdu(t)?;
            acc = Node::or(b, acc);
        }
        Ok(acc)
    }

    /// `isis proto V`: an IS-IS PDU of type `v`.
    fn isis_pdu(&mut self, v: u32) -> GResult<Node> {
        let b0 = self.iso_proto(ISO10589_ISIS)?;
        let b1 = self.nosnap_cmp(4, v)?;
        Ok(Node::and(b0, b1))
    }

    /// `iso proto V`: an ISO packet whose network layer protocol identifier is `v`, after the
    /// LLC header (on Ethernet, 3 bytes into an 802.3 frame's payload). libpcap has one more
    /// arm for Frame Relay (the NLPID right after the 2-byte address: `link[2:2] == 0x0300 |
    /// v`), one more here when that link type comes.
    fn iso_proto(&mut self, v: u32) -> GResult<Node> {
        match self.linktype {
            Link::Fixed(super::fixed::DLT_FRELAY) => self.frelay_iso_proto(v),
            Link::CHdlc => {
                // Cisco's Ethertype-like 0xfefe, and a pad byte before the NLPID.
                let b0 = self.linktype(LLCSAP_ISONS << 8 | LLCSAP_ISONS)?;
                let b1 = self.pl_cmp(self.off_nl_nosnap, 1, BPF_B, v, 0xffff_ffff)?;
                Ok(Node::and(b0, b1))
            }
            _ => {
                let b0 = self.linktype(LLCSAP_ISONS)?;
                let b1 = self.nosnap_cmp(0, v)?;
                Ok(Node::and(b0, b1))
            }
        }
    }

    /// `gen_proto` of a family: `iso proto V` and `isis proto V`; the others refuse with
    /// libpcap's message.
    pub(super) fn legacy_proto(&mut self, v: u32, f: Family) -> GResult<Node> {
        match f {
            Family::Iso => self.iso_proto(v),
            Family::Isis => self.isis_pdu(v),
            Family::Atalk => Err("AppleTalk encapsulation is not specifiable".into()),
            Family::Decnet => Err("DECNET encapsulation is not specifiable".into()),
            Family::Lat => Err("LAT does not encapsulate another protocol".into()),
            Family::Sca => Err("SCA does not encapsulate another protocol".into()),
            Family::Moprc => Err("MOPRC does not encapsulate another protocol".into()),
            Family::Mopdl => Err("MOPDL does not encapsulate another protocol".into()),
            Family::Clnp => Err("'clnp proto' is not supported".into()),
            _ => Err(format!("'{} proto' is bogus", f.name())),
        }
    }

    /// `gen_host` of a family: DECnet hosts; the others refuse with libpcap's message.
    pub(super) fn legacy_host(
        &mut self,
        f: Family,
        addr: u32,
        dir: super::Dir,
        typestr: &str,
    ) -> GResult<Node> {
        let not_impl = |what: &str| Err(format!("{what} host filtering not implemented"));
        match f {
            Family::Decnet => self.dnhostop(addr, dir),
            Family::Atalk => not_impl("AppleTalk"),
            Family::Aarp => not_impl("AARP"),
            Family::Lat => not_impl("LAT"),
            Family::Sca => not_impl("SCA"),
            Family::Moprc => not_impl("MOPRC"),
            Family::Mopdl => not_impl("MOPDL"),
            Family::Iso => not_impl("ISO"),
            Family::Ipx => not_impl("IPX"),
            _ => Err(format!("'{}' modifier applied to {typestr}", f.name())),
        }
    }

    /// `gen_dnhostop`: a DECnet routing header from or to `addr` (area and node in 16 bits),
    /// after the 2-byte length that precedes it on Ethernet: a long header (flags & 7 == 6)
    /// or a short one (flags & 7 == 2), each with one pad byte (0x81) before the flags or none.
    fn dnhostop(&mut self, addr: u32, dir: super::Dir) -> GResult<Node> {
        use super::Dir;
        // Offsets of the address after the flags, in the short and the long header.
        let (sh, lh) = match dir {
            Dir::Dst => (1, 7),
            Dir::Src => (3, 15),
            Dir::And => {
                let b0 = self.dnhostop(addr, Dir::Src)?;
                let b1 = self.dnhostop(addr, Dir::Dst)?;
                return Ok(Node::and(b0, b1));
            }
            Dir::Default | Dir::Or => {
                let b0 = self.dnhostop(addr, Dir::Src)?;
                let b1 = self.dnhostop(addr, Dir::Dst)?;
                return Ok(Node::or(b0, b1));
            }
            wlan => return Err(wlan.wlan_error(super::wlan::WlanQualErr::Address)),
        };
        let b0 = self.linktype(ETHERTYPE_DN)?;
        // The address as it lies in the packet (little-endian), as a big-endian load sees it.
        let a = u32::from((addr as u16).swap_bytes());
        // Pad byte 0x81 then long-header flags; long header without a pad byte.
        let tmp = self.mcmp(Rel::LinkPl, 2, BPF_H, 0x8106, 0xff07)?;
        let b1 = self.cmp(Rel::LinkPl, 2 + 1 + lh, BPF_H, a)?;
        let mut b1 = Node::and(tmp, b1);
        let tmp = self.mcmp(Rel::LinkPl, 2, BPF_B, 0x06, 0x07)?;
        let b2 = self.cmp(Rel::LinkPl, 2 + lh, BPF_H, a)?;
        b1 = Node::or(Node::and(tmp, b2), b1);
        // The same for the short header.
        let tmp = self.mcmp(Rel::LinkPl, 2, BPF_H, 0x8102, 0xff07)?;
        let b2 = self.cmp(Rel::LinkPl, 2 + 1 + sh, BPF_H, a)?;
        b1 = Node::or(Node::and(tmp, b2), b1);
        let tmp = self.mcmp(Rel::LinkPl, 2, BPF_B, 0x02, 0x07)?;
        let b2 = self.cmp(Rel::LinkPl, 2 + sh, BPF_H, a)?;
        b1 = Node::or(Node::and(tmp, b2), b1);
        Ok(Node::and(b0, b1))
    }

    // ---- the netmask ----

    /// `ip broadcast` with a known netmask (host order): an IPv4 destination whose host part
    /// is all zeros or all ones.
    pub(super) fn ip_broadcast(&mut self) -> GResult<Node> {
        let b0 = self.linktype(ETHERTYPE_IP)?;
        let hostmask = !self.netmask;
        let b1 = self.mcmp(Rel::LinkPl, 16, BPF_W, 0, hostmask)?;
        let b2 = self.mcmp(Rel::LinkPl, 16, BPF_W, hostmask, hostmask)?;
        Ok(Node::and(b0, Node::or(b1, b2)))
    }
}

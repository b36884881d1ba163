//! IEEE 802.11 and the radio headers in front of it (Prism, AVS, radiotap, PPI), as libpcap
//! 1.10's generator models them.
//!
//! The 802.11 header is of variable length (24 bytes, 2 more for QoS data frames, padding to a
//! multiple of 4 when radiotap says so), and so are the radio headers: the offset of the
//! link-layer payload, and of the 802.11 header after a radio header, are kept in scratch
//! registers. Code at the start of the program (libpcap's `insert_compute_vloffsets`, see
//! [`Gen::finish_parse`]) computes them, with jumps inside one list of statements to its end,
//! which is why libpcap does not optimize such programs (its `no_optimize`); with a radio header
//! and nothing that needs the payload only the header's length is computed, without jumps, and
//! the program is optimized.
//!
//! Protocols (`ip`, `arp`, `ether proto N`, ...) are tested on data frames only, in the LLC/SNAP
//! header after the 802.11 header. `ether host` and its directions test the addresses where
//! each frame type and ToDS/FromDS combination puts them; `wlan addr1` to `addr4`, `ra` and `ta`
//! name the address fields themselves; `type`/`subtype`/`dir` test the frame control field.

use super::*;

/// Which message libpcap gives for an 802.11 qualifier (`addr1` ... `ta`) where it does not apply.
#[derive(Clone, Copy)]
pub enum WlanQualErr {
    /// An IP (or IPv6, DECnet) address.
    Address,
    Port,
    PortRange,
    /// A MAC address on FDDI, Token Ring or ARCNET.
    Only80211,
    /// A MAC address on Ethernet.
    With80211Headers,
}

impl Dir {
    /// libpcap's refusal of this 802.11 qualifier in the context `why`.
    pub(super) fn wlan_error(self, why: WlanQualErr) -> String {
        let (name, plural) = match self {
            Dir::Addr1 => ("'addr1' and 'address1'", true),
            Dir::Addr2 => ("'addr2' and 'address2'", true),
            Dir::Addr3 => ("'addr3' and 'address3'", true),
            Dir::Addr4 => ("'addr4' and 'address4'", true),
            Dir::Ra => ("'ra'", false),
            Dir::Ta => ("'ta'", false),
            _ => ("this direction", false),
        };
        let tail = match why {
            WlanQualErr::Address => "for addresses other than 802.11 MAC addresses",
            WlanQualErr::Port => "for ports",
            WlanQualErr::PortRange => "for port ranges",
            WlanQualErr::Only80211 => "",
            WlanQualErr::With80211Headers => " with 802.11 headers",
        };
        match (why, plural) {
            (WlanQualErr::Only80211 | WlanQualErr::With80211Headers, true) => {
                format!("{name} are only supported on 802.11{tail}")
            }
            (WlanQualErr::Only80211 | WlanQualErr::With80211Headers, false) => {
                format!("{name} is only supported on 802.11{tail}")
            }
            (_, true) => format!("{name} are not valid qualifiers {tail}"),
            (_, false) => format!("{name} is not a valid qualifier {tail}"),
        }
    }
}

impl Link {
    /// The 802.11 link types, with or without a radio header (PPI included).
    pub fn is_wlan(self) -> bool {
        matches!(
            self,
            Link::Ieee80211 | Link::Prism | Link::Radiotap | Link::Avs | Link::Ppi
        )
    }

    /// Whether the link-layer header follows a header of variable length (libpcap's
    /// `off_linkhdr.is_variable`).
    pub(super) fn prefix_var(self) -> bool {
        matches!(self, Link::Prism | Link::Radiotap | Link::Avs | Link::Ppi)
    }

    /// Whether the link-layer payload starts at a variable offset (`off_linkpl.is_variable`).
    pub(super) fn payload_var(self) -> bool {
        self.is_wlan() || self == Link::Pflog
    }

    /// Where `type`, `subtype` and `dir` apply (libpcap: not on PPI).
    fn has_80211_fields(self) -> bool {
        matches!(self, Link::Ieee80211 | Link::Prism | Link::Radiotap | Link::Avs)
    }
}

/// Frame control: type field and its values.
const FC0_TYPE_MASK: u32 = 0x0c;
const FC0_TYPE_MGT: u32 = 0x00;
const FC0_TYPE_CTL: u32 = 0x04;
const FC0_TYPE_DATA: u32 = 0x08;
/// Frame control: subtype field.
const FC0_SUBTYPE_MASK: u32 = 0xf0;
const FC0_SUBTYPE_CTS: u32 = 0xc0;
const FC0_SUBTYPE_ACK: u32 = 0xd0;
/// Frame control, second byte: the DS bits.
const FC1_DIR_MASK: u32 = 0x03;
const FC1_DIR_DSTODS: u32 = 0x03;
/// DLT_IEEE802_11 as the PPI header stores it (little-endian), loaded as a big-endian word.
const PPI_DLT_80211: u32 = 0x6900_0000;

/// libpcap's names of 802.11 frame types (`type NAME`).
pub const TYPES: &[(&str, u32)] = &[
    ("data", FC0_TYPE_DATA),
    ("mgt", FC0_TYPE_MGT),
    ("management", FC0_TYPE_MGT),
    ("ctl", FC0_TYPE_CTL),
    ("control", FC0_TYPE_CTL),
];

const MGT_SUBTYPES: &[(&str, u32)] = &[
    ("assocreq", 0x00),
    ("assoc-req", 0x00),
    ("assocresp", 0x10),
    ("assoc-resp", 0x10),
    ("reassocreq", 0x20),
    ("reassoc-req", 0x20),
    ("reassocresp", 0x30),
    ("reassoc-resp", 0x30),
    ("probereq", 0x40),
    ("probe-req", 0x40),
    ("proberesp", 0x50),
    ("probe-resp", 0x50),
    ("beacon", 0x80),
    ("atim", 0x90),
    ("disassoc", 0xa0),
    ("disassociation", 0xa0),
    ("auth", 0xb0),
    ("authentication", 0xb0),
    ("deauth", 0xc0),
    ("deauthentication", 0xc0),
];

const CTL_SUBTYPES: &[(&str, u32)] = &[
    ("ps-poll", 0xa0),
    ("rts", 0xb0),
    ("cts", 0xc0),
    ("ack", 0xd0),
    ("cf-end", 0xe0),
    ("cf-end-ack", 0xf0),
];

const DATA_SUBTYPES: &[(&str, u32)] = &[
    ("data", 0x00),
    ("data-cf-ack", 0x10),
    ("data-cf-poll", 0x20),
    ("data-cf-ack-poll", 0x30),
    ("null", 0x40),
    ("cf-ack", 0x50),
    ("cf-poll", 0x60),
    ("cf-ack-poll", 0x70),
    ("qos-data", 0x80),
    ("qos-data-cf-ack", 0x90),
    ("qos-data-cf-poll", 0xa0),
    ("qos-data-cf-ack-poll", 0xb0),
    ("qos", 0xc0),
    ("qos-cf-poll", 0xe0),
    ("qos-cf-ack-poll", 0xf0),
];

/// The subtype names of each frame type, in the order libpcap searches them for `subtype NAME`.
pub const TYPE_SUBTYPES: [(u32, &[(&str, u32)]); 3] = [
    (FC0_TYPE_MGT, MGT_SUBTYPES),
    (FC0_TYPE_CTL, CTL_SUBTYPES),
    (FC0_TYPE_DATA, DATA_SUBTYPES),
];

/// `name` in `table`, ignoring case (libpcap's `str2tok`).
pub fn lookup(table: &[(&str, u32)], name: &str) -> Option<u32> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}

/// `dir NAME`: the DS bits libpcap's names stand for.
pub fn dir_value(name: &str) -> Option<u32> {
    lookup(&[("nods", 0), ("tods", 1), ("fromds", 2), ("dstods", 3)], name)
}

/// A tiny assembler for statement lists that jump inside themselves: `Some((jt, jf))` labels
/// are indices of the list, [`END`] the statement after it.
struct Asm(Vec<(Insn, Option<(usize, usize)>)>);

const END: usize = usize::MAX;

impl Asm {
    fn at(&self) -> usize {
        self.0.len()
    }
    fn s(&mut self, code: u16, k: u32) {
        self.0.push((ld(code, k), None));
    }
    fn j(&mut self, code: u16, k: u32, jt: usize, jf: usize) {
        self.0.push((Insn::jump(code, k, 0, 0), Some((jt, jf))));
    }
    /// Patches the labels of the jump at `at`.
    fn set(&mut self, at: usize, jt: usize, jf: usize) {
        self.0[at].1 = Some((jt, jf));
    }
    fn finish(self) -> Vec<Insn> {
        let n = self.0.len();
        self.0
            .into_iter()
            .enumerate()
            .map(|(i, (mut insn, labels))| {
                if let Some((jt, jf)) = labels {
                    let rel = |t: usize| (t.min(n) - i - 1) as u8;
                    insn.jt = rel(jt);
                    insn.jf = rel(jf);
                }
                insn
            })
            .collect()
    }
}

impl Gen {
    /// `link[off] & k != 0`.
    fn fc_bit(&mut self, off: u32, k: u32) -> GResult<Node> {
        let s = self.load_a(Rel::LinkHdr, off, BPF_B)?;
        Ok(Node::test(s, Jmp::k(JSET, k)))
    }

    /// `gen_check_802_11_data_frame`: the frame control field says data (0x08 set, 0x04 clear).
    pub(crate) fn wlan_data_frame(&mut self) -> GResult<Node> {
        let data = self.fc_bit(0, 0x08)?;
        let not_ctl = Node::not(self.fc_bit(0, 0x04)?);
        Ok(Node::and(not_ctl, data))
    }

    /// `gen_linktype` on 802.11: a data frame, then the protocol in its LLC/SNAP header.
    pub(super) fn wlan_linktype(&mut self, p: u32) -> GResult<Node> {
        let b0 = self.wlan_data_frame()?;
        let b1 = self.llc_linktype(p)?;
        Ok(Node::and(b0, b1))
    }

    /// The address at `off` where frame type and DS bits put the source (`src`) or the
    /// destination: data frames by ToDS/FromDS, management frames at 10 (source) or 4, never in
    /// control frames. `test` is the comparison of the address at an offset (libpcap's
    /// `gen_wlanhostop` for `src`/`dst`, `gen_multicast` with the group bit).
    fn wlan_by_dir(
        &mut self,
        src: bool,
        test: &mut dyn FnMut(&mut Gen, u32) -> GResult<Node>,
    ) -> GResult<Node> {
        let mut b0 = if src {
            // FromDS: at 24 with ToDS (four addresses), else at 16.
            let tods = self.fc_bit(1, 0x01)?;
            let a = test(self, 24)?;
            let b0 = Node::and(tods, a);
            let not_tods = Node::not(self.fc_bit(1, 0x01)?);
            let a = test(self, 16)?;
            let b1 = Node::and(not_tods, a);
            let b0 = Node::or(b1, b0);
            let fromds = self.fc_bit(1, 0x02)?;
            let b0 = Node::and(fromds, b0);
            // Not FromDS: at 10.
            let not_fromds = Node::not(self.fc_bit(1, 0x02)?);
            let a = test(self, 10)?;
            let b1 = Node::and(not_fromds, a);
            Node::or(b1, b0)
        } else {
            // ToDS: at 16, else at 4.
            let tods = self.fc_bit(1, 0x01)?;
            let a = test(self, 16)?;
            let b0 = Node::and(tods, a);
            let not_tods = Node::not(self.fc_bit(1, 0x01)?);
            let a = test(self, 4)?;
            let b1 = Node::and(not_tods, a);
            Node::or(b1, b0)
        };
        let data = self.fc_bit(0, 0x08)?;
        b0 = Node::and(data, b0);
        let mgt = Node::not(self.fc_bit(0, 0x08)?);
        let a = test(self, if src { 10 } else { 4 })?;
        let b1 = Node::and(mgt, a);
        b0 = Node::or(b1, b0);
        let not_ctl = Node::not(self.fc_bit(0, 0x04)?);
        Ok(Node::and(not_ctl, b0))
    }

    /// Not a CTS or an ACK: a control frame's second address is absent in those two.
    fn wlan_has_addr2(&mut self) -> GResult<Node> {
        let b0 = Node::not(self.mcmp(Rel::LinkHdr, 0, BPF_B, FC0_TYPE_CTL, FC0_TYPE_MASK)?);
        let b1 = Node::not(self.mcmp(Rel::LinkHdr, 0, BPF_B, FC0_SUBTYPE_CTS, FC0_SUBTYPE_MASK)?);
        let b2 = Node::not(self.mcmp(Rel::LinkHdr, 0, BPF_B, FC0_SUBTYPE_ACK, FC0_SUBTYPE_MASK)?);
        Ok(Node::or(b0, Node::and(b1, b2)))
    }

    /// `gen_wlanhostop`: MAC address `mac` in direction `dir` of an 802.11 frame.
    pub(super) fn wlanhostop(&mut self, mac: &[u8; 6], dir: Dir) -> GResult<Node> {
        let mut at = |g: &mut Gen, off: u32| g.bcmp(Rel::LinkHdr, off, mac);
        match dir {
            Dir::Src => self.wlan_by_dir(true, &mut at),
            Dir::Dst => self.wlan_by_dir(false, &mut at),
            Dir::And => {
                let a = self.wlanhostop(mac, Dir::Src)?;
                let b = self.wlanhostop(mac, Dir::Dst)?;
                Ok(Node::and(a, b))
            }
            Dir::Default | Dir::Or => {
                let a = self.wlanhostop(mac, Dir::Src)?;
                let b = self.wlanhostop(mac, Dir::Dst)?;
                Ok(Node::or(a, b))
            }
            Dir::Addr1 => self.bcmp(Rel::LinkHdr, 4, mac),
            Dir::Addr2 => {
                let b = self.wlan_has_addr2()?;
                let a = self.bcmp(Rel::LinkHdr, 10, mac)?;
                Ok(Node::and(b, a))
            }
            Dir::Addr3 => {
                let b = Node::not(self.mcmp(Rel::LinkHdr, 0, BPF_B, FC0_TYPE_CTL, FC0_TYPE_MASK)?);
                let a = self.bcmp(Rel::LinkHdr, 16, mac)?;
                Ok(Node::and(b, a))
            }
            Dir::Addr4 => {
                let b = self.mcmp(Rel::LinkHdr, 1, BPF_B, FC1_DIR_DSTODS, FC1_DIR_MASK)?;
                let a = self.bcmp(Rel::LinkHdr, 24, mac)?;
                Ok(Node::and(b, a))
            }
            Dir::Ra => {
                // libpcap's test is "not a management frame" as the 0x08 bit (data frames).
                let b = self.fc_bit(0, 0x08)?;
                let a = self.bcmp(Rel::LinkHdr, 4, mac)?;
                Ok(Node::and(b, a))
            }
            Dir::Ta => {
                let b2 = self.wlan_has_addr2()?;
                let b1 = self.fc_bit(0, 0x08)?;
                let b = Node::and(b1, b2);
                let a = self.bcmp(Rel::LinkHdr, 10, mac)?;
                Ok(Node::and(b, a))
            }
        }
    }

    /// `gen_multicast` on 802.11: the group bit of the destination address.
    pub(super) fn wlan_multicast(&mut self) -> GResult<Node> {
        self.wlan_by_dir(false, &mut |g: &mut Gen, off| g.mac_multicast(off))
    }

    /// `gen_p80211_type`: `type`/`subtype` (the frame control byte under `mask`).
    pub fn p80211_type(&mut self, v: u32, mask: u32) -> GResult<Node> {
        if !self.linktype.has_80211_fields() {
            return Err("802.11 link-layer types supported only on 802.11".into());
        }
        self.mcmp(Rel::LinkHdr, 0, BPF_B, v, mask)
    }

    /// `gen_p80211_fcdir`: `dir` (the DS bits).
    pub fn p80211_fcdir(&mut self, v: u32) -> GResult<Node> {
        if !self.linktype.has_80211_fields() {
            return Err("frame direction supported only with 802.11 headers".into());
        }
        self.mcmp(Rel::LinkHdr, 1, BPF_B, v, FC1_DIR_MASK)
    }

    /// libpcap's `finish_parse` for link types with variable offsets: the statements that
    /// compute them go in front of the first test (`insert_compute_vloffsets`), and on PPI the
    /// encapsulated DLT must be 802.11 (`gen_ppi_dlt_check`). Other link types: `root` as is.
    pub fn finish_parse(&mut self, root: Node) -> GResult<Node> {
        // The payload's offset includes the radio header's length: it needs that register.
        if self.off_linkpl.reg.is_some() && self.off_linkhdr.var && self.off_linkhdr.reg.is_none() {
            self.off_linkhdr.reg = Some(self.regs.alloc()?);
        }
        let hdr = self.off_linkhdr.reg;
        let mut s = match self.outermost {
            Link::Prism => {
                // Jumps in a list of statements: libpcap's optimizer cannot take them.
                self.no_optimize = true;
                hdr.map(prism_prefix)
            }
            Link::Avs => hdr.map(|r| vec![ld(op::LD_W_ABS, 4), ld(op::ST, r), ld(op::TAX, 0)]),
            Link::Radiotap | Link::Ppi => hdr.map(radiotap_prefix),
            _ => None,
        };
        match (self.outermost, self.off_linkpl.reg) {
            (l, Some(pl)) if l.is_wlan() => {
                self.no_optimize = true;
                s = Some(self.header_len(s, pl));
            }
            (Link::Pflog, Some(pl)) => s = Some(pflog::prologue(pl)),
            _ => {}
        }
        let mut root = match s {
            Some(s) => Node::and(Node::Effect(s), root),
            None => root,
        };
        if self.linktype == Link::Ppi {
            let dlt = Node::test(vec![ld(op::LD_W_ABS, 4)], Jmp::k(JEQ, PPI_DLT_80211));
            root = Node::and(dlt, root);
        }
        Ok(root)
    }

    /// `gen_load_802_11_header_len`: after `prefix` (X = the radio header's length; none: 0),
    /// M[pl] = X + 24, + 2 for QoS data frames, and that offset from the start of the packet
    /// rounded up to 4 when radiotap's flags say the header is padded. Non-data frames keep 24.
    fn header_len(&self, prefix: Option<Vec<Insn>>, pl: u32) -> Vec<Insn> {
        let mut a = Asm(Vec::new());
        match prefix {
            Some(p) => p.into_iter().for_each(|i| a.0.push((i, None))),
            None => a.s(op::LDX_IMM, 0),
        }
        a.s(op::TXA, 0);
        a.s(op::ADD_K, 24);
        a.s(op::ST, pl);
        a.s(op::LD_B_IND, 0);
        let data = a.at();
        a.j(op::JSET_K, 0x08, data + 1, END);
        a.j(op::JSET_K, 0x04, END, data + 2);
        let qos = a.at();
        a.j(op::JSET_K, 0x80, qos + 1, END);
        a.s(op::LD_MEM, pl);
        a.s(op::ADD_K, 2);
        a.s(op::ST, pl);
        if self.linktype == Link::Radiotap {
            // The flags field (first after the 8-byte header, or after TSFT) has the data-pad
            // bit; only with one presence word (bit 31 clear), flags present (bit 1).
            let present = a.at();
            a.set(qos, qos + 1, present);
            a.s(op::LD_W_ABS, 4);
            a.j(op::JSET_K, 0x0200_0000, present + 2, END);
            a.j(op::JSET_K, 0x0000_0080, END, present + 3);
            let tsft = a.at();
            a.j(op::JSET_K, 0x0100_0000, tsft + 1, tsft + 3);
            a.s(op::LD_B_ABS, 16);
            let roundup = tsft + 5;
            a.j(op::JSET_K, 0x20, roundup, END);
            a.s(op::LD_B_ABS, 8);
            a.j(op::JSET_K, 0x20, roundup, END);
            debug_assert_eq!(a.at(), roundup);
            a.s(op::LD_MEM, pl);
            a.s(op::ADD_K, 3);
            a.s(op::AND_K, 0xffff_fffc);
            a.s(op::ST, pl);
        }
        a.finish()
    }
}

/// `gen_load_prism_llprefixlen`: an AVS header (cookie 0x80211000 under 0xfffff000) has its
/// length at 4; a Prism header is 144 bytes.
fn prism_prefix(r: u32) -> Vec<Insn> {
    let mut a = Asm(Vec::new());
    a.s(op::LD_W_ABS, 0);
    a.s(op::AND_K, 0xffff_f000);
    a.j(op::JEQ_K, 0x8021_1000, 3, 5);
    a.s(op::LD_W_ABS, 4);
    a.s(op::JA, 1);
    a.s(op::LD_IMM, 144);
    a.s(op::ST, r);
    a.s(op::TAX, 0);
    a.finish()
}

/// `gen_load_radiotap_llprefixlen` (and PPI's, the same code): the little-endian length at 2.
fn radiotap_prefix(r: u32) -> Vec<Insn> {
    vec![
        ld(op::LD_B_ABS, 3),
        ld(op::LSH_K, 8),
        ld(op::TAX, 0),
        ld(op::LD_B_ABS, 2),
        ld(op::OR_X, 0),
        ld(op::ST, r),
        ld(op::TAX, 0),
    ]
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{csum_free_ipv4, l4};
    use crate::compile::{compile, Flags, DEFAULT_SNAPLEN};
    use crate::{run, validate, Meta};

    const SA: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    const DA: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
    const BSS: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];

    /// The verdict of `expr` on `pkt`, optimized and not (which must agree).
    fn hit(expr: &str, lt: u16, pkt: &[u8]) -> bool {
        let meta = Meta {
            len: pkt.len() as u32,
            ..Meta::default()
        };
        let mut v = Vec::new();
        for optimize in [false, true] {
            let f = Flags {
                optimize,
                ..Flags::default()
            };
            let p = compile(expr, lt, 0, f).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(validate(&p), Ok(()), "{expr}");
            v.push(run(&p, pkt, &meta));
        }
        assert_eq!(v[0], v[1], "{expr}");
        assert!(v[0] == 0 || v[0] == DEFAULT_SNAPLEN);
        v[0] != 0
    }

    /// A QoS data frame to the DS (addr1 BSSID, addr2 SA, addr3 DA) with `pad` bytes after
    /// the header, carrying TCP to port 80 in LLC/SNAP.
    fn qos_tods(pad: usize) -> Vec<u8> {
        let mut f = vec![0x88, 0x01, 0, 0];
        f.extend(BSS);
        f.extend(SA);
        f.extend(DA);
        f.extend([0x10, 0, 5, 0]);
        f.resize(f.len() + pad, 0);
        f.extend([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        f.extend(csum_free_ipv4(
            6,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            &l4(1234, 80, 2),
            0,
        ));
        f
    }

    fn beacon() -> Vec<u8> {
        let mut f = vec![0x80, 0x00, 0, 0];
        f.extend([0xff; 6]);
        f.extend(SA);
        f.extend(BSS);
        f.extend([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x64, 0, 0x01, 0x04]);
        f
    }

    #[test]
    fn data_and_management_frames() {
        const LT: u16 = 105;
        let d = qos_tods(0);
        for e in [
            "ip",
            "tcp dst port 80 and host 10.0.0.2",
            "wlan src 00:11:22:33:44:55",
            "wlan dst 02:00:00:00:00:01",
            "wlan addr1 02:00:00:00:00:bb and wlan addr2 00:11:22:33:44:55",
            "wlan ra 02:00:00:00:00:bb and wlan ta 00:11:22:33:44:55",
            "type data subtype qos-data and dir tods",
        ] {
            assert!(hit(e, LT, &d), "{e}");
        }
        for e in [
            "ip6",
            "arp",
            "wlan addr4 00:11:22:33:44:55",
            "dir fromds",
            "type mgt",
        ] {
            assert!(!hit(e, LT, &d), "{e}");
        }
        let b = beacon();
        for e in [
            "type mgt subtype beacon",
            "subtype beacon",
            "wlan src 00:11:22:33:44:55",
            "broadcast",
            "multicast",
        ] {
            assert!(hit(e, LT, &b), "{e}");
        }
        for e in [
            "ip",
            "type data",
            "wlan ra 02:00:00:00:00:bb",
            "wlan dst 02:00:00:00:00:01",
        ] {
            assert!(!hit(e, LT, &b), "{e}");
        }
        // The payload's offset has jumps in front of the program: libpcap does not optimize it.
        let o = |optimize| {
            compile(
                "ip",
                LT,
                0,
                Flags {
                    optimize,
                    ..Flags::default()
                },
            )
            .unwrap()
        };
        assert_eq!(o(false), o(true));
    }

    #[test]
    fn radio_headers() {
        // Radiotap with flags (data-pad) and rate: the QoS header is padded to 28 bytes.
        // (libpcap rounds the payload's offset from the start of the packet: 12 + 26 to 40.)
        let mut rt = vec![0, 0, 12, 0, 0x06, 0, 0, 0, 0x20, 0x0c, 0, 0];
        rt.extend(qos_tods(2));
        assert!(hit("tcp port 80 and wlan addr3 02:00:00:00:00:01", 127, &rt));
        assert!(hit("radio[8] & 0x20 != 0", 127, &rt));
        // Without the data-pad bit the same bytes are read 2 bytes early.
        rt[8] = 0;
        assert!(!hit("tcp port 80", 127, &rt));
        // An AVS header on the Prism DLT, and a Prism header (144 bytes).
        let mut avs = vec![0x80, 0x21, 0x10, 0x01, 0, 0, 0, 64];
        avs.resize(64, 0);
        avs.extend(qos_tods(0));
        assert!(hit("ip and wlan src 00:11:22:33:44:55", 119, &avs));
        assert!(hit("ip and wlan src 00:11:22:33:44:55", 163, &avs));
        let mut prism = vec![0x44, 0, 0, 0, 144, 0, 0, 0];
        prism.resize(144, 0);
        prism.extend(qos_tods(0));
        assert!(hit("tcp and radio[4] = 144", 119, &prism));
        // PPI: the DLT inside must be 802.11.
        let mut ppi = vec![0, 0, 8, 0, 105, 0, 0, 0];
        ppi.extend(qos_tods(0));
        assert!(hit("ip", 192, &ppi));
        ppi[4] = 1;
        assert!(!hit("ip or not ip", 192, &ppi));
    }

    #[test]
    fn pflog() {
        let mut h = vec![61, 2, 1, 5];
        let mut name = [0u8; 32];
        name[..3].copy_from_slice(b"em0");
        name[16..20].copy_from_slice(b"main");
        h.extend(name);
        h.extend(3u32.to_be_bytes());
        h.extend(0u32.to_be_bytes());
        h.resize(60, 0);
        h.extend([2, 0, 0, 0]);
        h.extend(csum_free_ipv4(
            17,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            &l4(53, 53, 0),
            0,
        ));
        for e in [
            "ip and udp port 53",
            "on em0 and ifname em",
            "ruleset main and rnr 3 and srnr 0",
            "action block and reason memory and reason 5",
            "outbound",
        ] {
            assert!(hit(e, 117, &h), "{e}");
        }
        for e in ["ip6", "on em1", "action pass", "inbound", "rnr 4"] {
            assert!(!hit(e, 117, &h), "{e}");
        }
    }

    #[test]
    fn refusals() {
        let err = |e: &str, lt| compile(e, lt, 0, Flags::default()).unwrap_err().msg;
        assert_eq!(
            err("ether addr1 00:11:22:33:44:55", 1),
            "'addr1' and 'address1' are only supported on 802.11 with 802.11 headers"
        );
        assert_eq!(
            err("fddi ra 00:11:22:33:44:55", 10),
            "'ra' is only supported on 802.11"
        );
        assert_eq!(
            err("addr2 host 10.0.0.1", 105),
            "'addr2' and 'address2' are not valid qualifiers for addresses other than 802.11 MAC addresses"
        );
        assert_eq!(err("ta port 80", 105), "'ta' is not a valid qualifier for ports");
        assert_eq!(
            err("type mgt", 192),
            "802.11 link-layer types supported only on 802.11"
        );
        assert_eq!(
            err("dir 1", 1),
            "frame direction supported only with 802.11 headers"
        );
        assert_eq!(err("type 2", 105), "invalid 802.11 type value 0x02");
        assert_eq!(
            err("type data subtype beacon", 105),
            "unknown 802.11 subtype name \"beacon\""
        );
        assert_eq!(
            err("radio[0] = 1", 105),
            "radio information not present in capture"
        );
        assert_eq!(err("vlan", 192), "no VLAN support for Per-Packet Information");
        assert_eq!(err("on em0", 1), "ifname supported only on PF linktype");
        assert_eq!(err("action foo", 117), "unknown PF action \"foo\"");
        assert_eq!(
            err("on abcdefghijklmnop", 117),
            "ifname interface names can only be 15 characters"
        );
    }
}

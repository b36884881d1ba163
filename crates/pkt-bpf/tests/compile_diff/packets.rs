//! The packet corpus of the differential test: deterministic (a fixed-seed PRNG), built from
//! small header builders. One Ethernet corpus, and from it the same packets framed as LINUX_SLL,
//! LINUX_SLL2 and RAW, and the live form (outer VLAN tag moved into [`Meta`], as the kernel does).

use pkt_bpf::Meta;

/// One test packet: the captured bytes, the wire length (>= bytes, larger for a snaplen cut),
/// the metadata the kernel would give a socket filter, and a description for reports.
#[derive(Clone, Debug)]
pub struct Packet {
    pub desc: String,
    pub data: Vec<u8>,
    pub wirelen: u32,
    pub meta: Meta,
}

/// All corpora; `en10mb` is the source of the others.
pub struct Corpus {
    pub en10mb: Vec<Packet>,
    pub sll: Vec<Packet>,
    pub sll2: Vec<Packet>,
    pub raw: Vec<Packet>,
    /// EN10MB packets as an AF_PACKET socket filter sees them: every packet as is (tag, if any,
    /// still in the bytes, no VLAN metadata), plus, for tagged ones, the untagged bytes with the
    /// outer tag in `vlan_present`/`vlan_tci`/`vlan_tpid`.
    pub live: Vec<Packet>,
}

const PACKET_HOST: u8 = 0;
const PACKET_BROADCAST: u8 = 1;
const PACKET_MULTICAST: u8 = 2;
const PACKET_OTHERHOST: u8 = 3;
const PACKET_OUTGOING: u8 = 4;

/// splitmix64: small, deterministic, good enough to pick fields (also for random.rs and
/// compile_kernel.rs, which include this module).
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
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    /// True with probability `pct` percent.
    pub fn pct(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    /// Picks by weight: `(weight, item)`.
    pub fn weighted<T: Copy>(&mut self, items: &[(usize, T)]) -> T {
        let total: usize = items.iter().map(|(w, _)| w).sum();
        let mut r = self.below(total);
        for &(w, t) in items {
            if r < w {
                return t;
            }
            r -= w;
        }
        unreachable!()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// ---- addresses the expression corpus refers to (and near misses) ----

const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_C: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x56];
const MAC_BCAST: [u8; 6] = [0xff; 6];
const MAC_MCAST4: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
const MAC_MCAST6: [u8; 6] = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01];
const MAC_STP: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00];

const V4: &[[u8; 4]] = &[
    [10, 0, 0, 1],
    [10, 0, 0, 2],
    [10, 0, 0, 3],
    [10, 1, 2, 3],
    [192, 168, 1, 1],
    [192, 168, 1, 255],
    [192, 168, 2, 1],
    [172, 16, 5, 4],
    [172, 32, 0, 1],
    [127, 0, 0, 1],
    [8, 8, 8, 8],
    [224, 0, 0, 1],
    [239, 255, 255, 250],
    [255, 255, 255, 255],
    [0, 0, 0, 0],
    [10, 0, 0, 0],
];

fn v6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

fn v6_pool() -> Vec<[u8; 16]> {
    [
        "2001:db8::1",
        "2001:db8::2",
        "2001:db8:1::5",
        "2001:db9::1",
        "fe80::1",
        "fe80::2",
        "ff02::1",
        "ff05::2",
        "::1",
        "::ffff:10.0.0.1",
        "::",
    ]
    .iter()
    .map(|s| v6(s))
    .collect()
}

const PORTS: &[u16] = &[
    0, 20, 21, 22, 23, 53, 67, 68, 79, 80, 81, 123, 161, 443, 1023, 1024, 2000, 2500, 3000, 3001, 6081, 8080,
    32768, 65535,
];

// ---- header builders ----

fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// IPv4 options used by `ipv4`: extra header words (IHL - 5), flags+fragment offset field,
/// and overrides for malformed packets.
#[derive(Clone, Copy, Default)]
struct V4Opts {
    extra_words: u8,
    frag: u16,
    ihl_override: Option<u8>,
    ttl: u8,
    tos: u8,
    id: u16,
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8], o: V4Opts) -> Vec<u8> {
    let hlen = 20 + 4 * o.extra_words as usize;
    let ihl = o.ihl_override.unwrap_or(5 + o.extra_words);
    let mut p = vec![0x40 | (ihl & 0xf), o.tos];
    p.extend(be16((hlen + payload.len()) as u16));
    p.extend(be16(o.id));
    p.extend(be16(o.frag));
    p.push(if o.ttl == 0 { 64 } else { o.ttl });
    p.push(proto);
    p.extend([0, 0]);
    p.extend(src);
    p.extend(dst);
    for i in 0..o.extra_words {
        // NOP NOP NOP EOL-ish option words (a router-alert word first).
        p.extend(if i == 0 { [0x94, 0x04, 0, 0] } else { [1, 1, 1, 0] });
    }
    p.extend(payload);
    p
}

/// IPv6 with extension headers: each `(type, body)` is a header whose own type is `type`; the
/// chain is built so that every header names the next one, the last naming `proto`.
fn ipv6(src: [u8; 16], dst: [u8; 16], exts: &[(u8, Vec<u8>)], proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut chain = Vec::new();
    for (i, (_, body)) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(proto, |e| e.0);
        let mut h = vec![next];
        h.extend(body);
        chain.extend(h);
    }
    chain.extend(payload);
    let first = exts.first().map_or(proto, |e| e.0);
    let mut p = vec![0x60, 0x00, 0x00, 0x00];
    p.extend(be16(chain.len() as u16));
    p.push(first);
    p.push(64);
    p.extend(src);
    p.extend(dst);
    p.extend(chain);
    p
}

/// An IPv6 extension header: its type and its bytes after the next-header byte.
type Ext = (u8, Vec<u8>);

/// Hop-by-hop / destination options body after the next-header byte: length 0 (8 bytes).
fn ext_opts() -> Vec<u8> {
    vec![0, 1, 4, 0, 0, 0, 0]
}
/// Routing header (type 0 segments left 0), 8 bytes.
fn ext_routing() -> Vec<u8> {
    vec![0, 0, 0, 0, 0, 0, 0]
}
/// Fragment header body: reserved, offset (in 8-byte units) + M flag, id.
fn ext_frag(offset: u16, more: bool) -> Vec<u8> {
    let mut b = vec![0];
    b.extend(be16(offset << 3 | u16::from(more)));
    b.extend([0, 0, 0x12, 0x34]);
    b
}

fn tcp(sport: u16, dport: u16, flags: u8, extra_words: u8, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(be16(sport));
    p.extend(be16(dport));
    p.extend([0, 0, 0x10, 0x00, 0, 0, 0, 0]);
    p.push((5 + extra_words) << 4);
    p.push(flags);
    p.extend([0xff, 0xff, 0, 0, 0, 0]);
    for _ in 0..extra_words {
        p.extend([1, 1, 1, 1]);
    }
    p.extend(data);
    p
}

fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(be16(sport));
    p.extend(be16(dport));
    p.extend(be16((8 + data.len()) as u16));
    p.extend([0, 0]);
    p.extend(data);
    p
}

fn sctp(sport: u16, dport: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(be16(sport));
    p.extend(be16(dport));
    p.extend([0, 0, 0, 1, 0, 0, 0, 0]);
    // An INIT chunk header.
    p.extend([1, 0, 0, 4]);
    p
}

fn icmp(ty: u8, code: u8) -> Vec<u8> {
    vec![ty, code, 0, 0, 0x12, 0x34, 0, 1, b'p', b'i', b'n', b'g']
}

fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0, 1, 8, 0, 6, 4];
    p.extend(be16(op));
    p.extend(sha);
    p.extend(spa);
    p.extend(tha);
    p.extend(tpa);
    p
}

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(14 + payload.len());
    p.extend(dst);
    p.extend(src);
    p.extend(be16(ethertype));
    p.extend(payload);
    p
}

/// An 802.3 frame: length field, then `llc_and_payload`.
fn eth_8023(dst: [u8; 6], src: [u8; 6], llc_and_payload: &[u8]) -> Vec<u8> {
    eth(dst, src, llc_and_payload.len() as u16, llc_and_payload)
}

/// Inserts a tag `(tpid, tci)` after the MAC addresses of an Ethernet frame.
fn tag(frame: &[u8], tpid: u16, tci: u16) -> Vec<u8> {
    let mut p = frame[..12].to_vec();
    p.extend(be16(tpid));
    p.extend(be16(tci));
    p.extend(&frame[12..]);
    p
}

/// An MPLS label stack entry.
fn mpls_entry(label: u32, bottom: bool, ttl: u8) -> [u8; 4] {
    (label << 12 | u32::from(bottom) << 8 | u32::from(ttl)).to_be_bytes()
}

fn mpls_stack(labels: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        p.extend(mpls_entry(l, i + 1 == labels.len(), 64));
    }
    p.extend(payload);
    p
}

fn pppoe_session(session: u16, ppp_proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x11, 0x00];
    p.extend(be16(session));
    p.extend(be16((payload.len() + 2) as u16));
    p.extend(be16(ppp_proto));
    p.extend(payload);
    p
}

fn pppoe_discovery(code: u8, session: u16) -> Vec<u8> {
    // Service-Name tag (empty) and Host-Uniq tag (4 bytes).
    let tags = [0x01, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x04, 1, 2, 3, 4];
    let mut p = vec![0x11, code];
    p.extend(be16(session));
    p.extend(be16(tags.len() as u16));
    p.extend(tags);
    p
}

fn geneve(vni: u32, proto: u16, opt_words: u8, inner: &[u8]) -> Vec<u8> {
    let mut p = vec![opt_words & 0x3f, 0];
    p.extend(be16(proto));
    p.extend((vni << 8).to_be_bytes());
    for _ in 0..opt_words {
        p.extend([0, 0, 0, 0]);
    }
    p.extend(inner);
    p
}

fn gre(proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 0];
    p.extend(be16(proto));
    p.extend(payload);
    p
}

/// A DECnet routing header (after the 2-byte length, pad bytes and flags): long (`flags & 7`
/// 6: areas, HIORD and the 16-bit addresses, little-endian) or short (2), with `pad` pad bytes
/// (0x80 | count, then zeros) in front, as gen_dnhostop looks for one pad byte or none.
fn decnet(flags: u8, pad: u8, dst: u16, src: u16) -> Vec<u8> {
    let mut h = Vec::new();
    if pad > 0 {
        h.push(0x80 | pad);
        h.extend(vec![0u8; usize::from(pad) - 1]);
    }
    h.push(flags);
    let hiord = [0xaa, 0x00, 0x04, 0x00];
    if flags & 7 == 6 {
        h.extend([0, 0]);
        h.extend(hiord);
        h.extend(dst.to_le_bytes());
        h.extend([0, 0]);
        h.extend(hiord);
        h.extend(src.to_le_bytes());
        h.extend([0, 2, 0, 0]);
    } else {
        h.extend(dst.to_le_bytes());
        h.extend(src.to_le_bytes());
        h.push(3);
    }
    h.extend([0x60, 1, 2, 3, 4, 5]);
    let mut p = (h.len() as u16).to_le_bytes().to_vec();
    p.extend(h);
    p
}

/// An IS-IS PDU of type `pdu` (the common header: NLPID 0x83, header length, version, ID
/// length, PDU type, version, reserved, maximum area addresses) with some bytes after it.
fn isis(pdu: u8) -> Vec<u8> {
    vec![0x83, 27, 1, 0, pdu, 1, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]
}

/// DECnet area.node as 16 bits.
fn dn(area: u16, node: u16) -> u16 {
    area << 10 | node
}

/// The legacy families' frames: IPX in its four framings, AppleTalk and AARP (Ethernet II and
/// SNAP, with the right and the wrong organization code), DECnet routing headers (long and
/// short, one pad byte, none, or two), LAT, MOP, SCA (Ethertypes, in l3_packets), ISO over LLC
/// (CLNP, ES-IS, IS-IS of every PDU type and some other), STP and NetBEUI with odd SSAPs, LLC
/// control fields of every frame type with and without the P/F bit, 802.3 length fields
/// around 1500, and some of them under VLAN tags, in PPPoE sessions (PPP's protocol numbers)
/// and in Geneve.
fn legacy(out: &mut Vec<(String, Vec<u8>)>) {
    let snap = |org: u32, pt: u16, rest: &[u8]| {
        let mut v = vec![0xaa, 0xaa, 0x03, (org >> 16) as u8, (org >> 8) as u8, org as u8];
        v.extend(be16(pt));
        v.extend(rest);
        v
    };
    let ipx_hdr = [0xff, 0xff, 0, 30, 0, 4, 0, 0, 0, 1];
    let mut frames: Vec<(String, Vec<u8>)> = vec![
        ("SNAP IPX".into(), snap(0, 0x8137, &ipx_hdr)),
        ("SNAP IPX, Apple org".into(), snap(0x080007, 0x8137, &ipx_hdr)),
        ("SNAP AARP".into(), snap(0, 0x80f3, &[0, 1, 0x80, 0x9b, 6, 4])),
        ("SNAP AARP, Apple org".into(), snap(0x080007, 0x80f3, &[0, 1])),
        ("SNAP AppleTalk, org 0".into(), snap(0, 0x809b, &[0, 0, 1, 2])),
        (
            "SNAP DECnet".into(),
            snap(0, 0x6003, &decnet(0x26, 0, dn(1, 2), dn(1, 3))),
        ),
        ("SNAP, control 0x13".into(), {
            let mut v = snap(0x080007, 0x809b, &[0, 0]);
            v[2] = 0x13;
            v
        }),
        (
            "IPX 802.2, SSAP e1".into(),
            vec![0xe0, 0xe1, 0x03, 0xff, 0xff, 0, 30, 0, 4, 0],
        ),
        (
            "IPX 802.2, 10 bytes".into(),
            vec![0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 30, 0, 4, 0],
        ),
        ("DSAP ff SSAP fe".into(), vec![0xff, 0xfe, 0x03, 0, 0, 0]),
        ("STP, SSAP 0x43".into(), vec![0x42, 0x43, 0x03, 0, 0, 0, 0]),
        ("NetBEUI, SSAP f1".into(), vec![0xf0, 0xf1, 0x03, 0xff, 0xef]),
        ("SAP 0xaa 0xab".into(), vec![0xaa, 0xab, 0x03, 0, 0, 0, 0, 0]),
        (
            "ISO, control 0x13, IS-IS".into(),
            [&[0xfe, 0xfe, 0x13][..], &isis(15)].concat(),
        ),
        (
            "ISO, ES-IS ESH".into(),
            vec![0xfe, 0xfe, 0x03, 0x82, 9, 1, 0, 0x02, 0, 0],
        ),
        (
            "ISO, CLNP DT".into(),
            vec![0xfe, 0xfe, 0x03, 0x81, 20, 1, 30, 0x1c, 0, 0],
        ),
        ("ISO, NLPID 0".into(), vec![0xfe, 0xfe, 0x03, 0x00, 0, 0, 0, 15]),
    ];
    for (name, pdu) in [
        ("L1 LAN IIH", 15u8),
        ("L2 LAN IIH", 16),
        ("P2P IIH", 17),
        ("L1 LSP", 18),
        ("type 19", 19),
        ("L2 LSP", 20),
        ("L1 CSNP", 24),
        ("L2 CSNP", 25),
        ("L1 PSNP", 26),
        ("L2 PSNP", 27),
        ("L1 LAN IIH, reserved bits", 0x20 | 15),
        ("type 0xff", 0xff),
    ] {
        frames.push((
            format!("IS-IS {name}"),
            [&[0xfe, 0xfe, 0x03][..], &isis(pdu)].concat(),
        ));
    }
    for (name, ctl) in [
        ("LLC I 0x02", 0x02u8),
        ("LLC I 0xfe", 0xfe),
        ("LLC S RR 0x11 (reserved bits)", 0x11),
        ("LLC S REJ", 0x09),
        ("LLC S 0x0d", 0x0d),
        ("LLC U UI|P", 0x13),
        ("LLC U UA", 0x63),
        ("LLC U UA|F", 0x73),
        ("LLC U DISC", 0x43),
        ("LLC U DISC|P", 0x53),
        ("LLC U DM", 0x0f),
        ("LLC U DM|F", 0x1f),
        ("LLC U SABME|P", 0x7f),
        ("LLC U TEST", 0xe3),
        ("LLC U TEST|P", 0xf3),
        ("LLC U XID|F", 0xbf),
        ("LLC U FRMR", 0x87),
        ("LLC U FRMR|F", 0x97),
        ("LLC U 0x27", 0x27),
    ] {
        frames.push((name.into(), vec![0x42, 0x42, ctl, 1, 0, 0]));
    }
    for (name, llc) in frames {
        out.push((format!("802.3 {name}"), eth_8023(MAC_B, MAC_A, &llc)));
    }
    // Length/type fields around 1500, with an LLC header (SNAP AppleTalk) after them.
    let atalk_snap = snap(0x080007, 0x809b, &[0, 0, 0, 0]);
    for lt in [0u16, 46, 1500, 1501, 1535, 1536] {
        out.push((
            format!("length/type {lt}: SNAP AppleTalk"),
            eth(MAC_B, MAC_A, lt, &atalk_snap),
        ));
    }
    // Ethernet II whose payload looks like LLC and SNAP.
    out.push((
        "ethertype 0x88b5: SNAP-like AppleTalk bytes".into(),
        eth(MAC_B, MAC_A, 0x88b5, &atalk_snap),
    ));
    out.push((
        "ethertype 0x88b5: IPX-like 0xffff".into(),
        eth(MAC_B, MAC_A, 0x88b5, &ipx_hdr),
    ));
    // DECnet: long and short headers, pad byte variants, a few addresses (1.2, 10.23, 63.1023,
    // 1.1), each direction.
    let hosts = [
        (dn(1, 2), dn(10, 23)),
        (dn(63, 1023), dn(1, 2)),
        (dn(1, 1), dn(1, 1)),
    ];
    // Addresses that odd spellings come to: 64.1 is 0.1, 1.1024 is 1.0, 70000 is 4.368,
    // 3000000000.2 is 0.2, a number beyond 64 bits in the area is 63.
    for (d, s) in [
        (dn(0, 1), dn(1, 0)),
        (dn(4, 368), dn(0, 2)),
        (dn(63, 2), dn(1, 2)),
        (dn(1, 2), dn(1, 2)),
    ] {
        out.push((
            format!(
                "DECnet short pad 0: {}.{} > {}.{}",
                s >> 10,
                s & 0x3ff,
                d >> 10,
                d & 0x3ff
            ),
            eth(MAC_B, MAC_A, 0x6003, &decnet(0x02, 0, d, s)),
        ));
    }
    for (flags, kind) in [
        (0x26u8, "long"),
        (0x0e, "long 0x0e"),
        (0x02, "short"),
        (0x0a, "short 0x0a"),
    ] {
        for pad in [0u8, 1, 2] {
            for (i, &(d, s)) in hosts.iter().enumerate() {
                if pad == 2 && i > 0 {
                    continue;
                }
                out.push((
                    format!(
                        "DECnet {kind} pad {pad}: {}.{} > {}.{}",
                        s >> 10,
                        s & 0x3ff,
                        d >> 10,
                        d & 0x3ff
                    ),
                    eth(MAC_B, MAC_A, 0x6003, &decnet(flags, pad, d, s)),
                ));
            }
        }
    }
    out.push((
        "DECnet hello (flags 0x0d)".into(),
        eth(MAC_B, MAC_A, 0x6003, &[8, 0, 0x0d, 2, 0, 0x02, 0x04, 0, 0, 0, 0]),
    ));
    // Under a VLAN tag.
    for (name, f) in [
        (
            "802.3 IPX",
            eth_8023(MAC_B, MAC_A, &[0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 30, 0, 4, 0]),
        ),
        ("SNAP AppleTalk", eth_8023(MAC_B, MAC_A, &atalk_snap)),
        (
            "IS-IS L2 LSP",
            eth_8023(MAC_B, MAC_A, &[&[0xfe, 0xfe, 0x03][..], &isis(20)].concat()),
        ),
        ("LLC U TEST", eth_8023(MAC_B, MAC_A, &[0x42, 0x42, 0xe3, 0, 0])),
        (
            "DECnet long pad 1",
            eth(MAC_B, MAC_A, 0x6003, &decnet(0x26, 1, dn(1, 2), dn(10, 23))),
        ),
        ("IPX Ethernet II", eth(MAC_B, MAC_A, 0x8137, &ipx_hdr)),
    ] {
        out.push((format!("vlan 100: {name}"), tag(&f, 0x8100, 100)));
    }
    // In PPPoE sessions: PPP's protocol numbers for DECnet, AppleTalk, XNS, OSI, bridge PDUs,
    // IPX, and 0x00f0.
    for (name, proto, payload) in [
        ("DECnet", 0x0027u16, decnet(0x26, 1, dn(1, 2), dn(10, 23))),
        ("DECnet short", 0x0027, decnet(0x02, 0, dn(1, 2), dn(10, 23))),
        ("AppleTalk", 0x0029, vec![0, 0, 1, 2]),
        ("XNS", 0x0025, vec![0xff, 0xff, 0, 30]),
        ("OSI IS-IS L1 CSNP", 0x0023, isis(24)),
        ("OSI CLNP", 0x0023, vec![0x81, 20, 1, 30]),
        ("OSI ES-IS", 0x0023, vec![0x82, 9, 1, 0]),
        ("bridge PDU", 0x0031, vec![0, 0, 0, 0]),
        ("IPX", 0x002b, ipx_hdr.to_vec()),
        ("0x80f3", 0x80f3, vec![0, 1, 0x80, 0x9b]),
        ("0x6004", 0x6004, vec![0, 1, 2, 3]),
        ("0x00f0", 0x00f0, vec![0xf0, 0xf0, 3]),
    ] {
        out.push((
            format!("PPPoE session 1: PPP {name}"),
            eth(MAC_B, MAC_A, 0x8864, &pppoe_session(1, proto, &payload)),
        ));
    }
    // In Geneve (Ethernet inside).
    for (name, inner) in [
        (
            "802.3 IS-IS P2P IIH",
            eth_8023(MAC_C, MAC_B, &[&[0xfe, 0xfe, 0x03][..], &isis(17)].concat()),
        ),
        (
            "DECnet short",
            eth(MAC_C, MAC_B, 0x6003, &decnet(0x02, 1, dn(1, 2), dn(10, 23))),
        ),
        (
            "802.3 IPX",
            eth_8023(MAC_C, MAC_B, &[0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 30, 0, 4, 0]),
        ),
    ] {
        let g = udp(40000, 6081, &geneve(5, 0x6558, 0, &inner));
        let outer = ipv4([192, 168, 1, 1], [192, 168, 2, 1], 17, &g, V4Opts::default());
        out.push((
            format!("Geneve vni 5 (eth): {name}"),
            eth(MAC_B, MAC_A, 0x0800, &outer),
        ));
    }
    // IPv4 to the broadcast and network addresses of several netmasks (`ip broadcast`).
    for d in [
        [10, 0, 0, 255],
        [10, 0, 255, 255],
        [10, 255, 255, 255],
        [10, 0, 0, 3],
        [10, 1, 2, 255],
        [10, 1, 255, 255],
        [10, 1, 0, 0],
        [192, 168, 1, 0],
        [172, 16, 255, 255],
        [255, 0, 0, 0],
        [0, 0, 0, 255],
    ] {
        let p = ipv4([10, 0, 0, 1], d, 17, &udp(68, 67, &[1]), V4Opts::default());
        out.push((
            format!("IPv4 10.0.0.1 > {}: UDP 68 > 67", fmt_v4(d)),
            eth(MAC_BCAST, MAC_A, 0x0800, &p),
        ));
    }
}

// ---- the corpus ----

/// An L3 packet before link framing: a description, its Ethertype and bytes.
struct L3 {
    desc: String,
    ethertype: u16,
    bytes: Vec<u8>,
}

fn l3(desc: impl Into<String>, ethertype: u16, bytes: Vec<u8>) -> L3 {
    L3 {
        desc: desc.into(),
        ethertype,
        bytes,
    }
}

fn fmt_v4(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}
fn fmt_v6(a: [u8; 16]) -> String {
    std::net::Ipv6Addr::from(a).to_string()
}

fn tcp_flags_name(f: u8) -> String {
    let names = ["F", "S", "R", "P", ".", "U", "E", "W"];
    let s: String = (0..8).filter(|b| f & (1 << b) != 0).map(|b| names[b]).collect();
    if s.is_empty() {
        "none".to_owned()
    } else {
        s
    }
}

/// Transport payloads for IPv4 and IPv6, described.
fn transports(rng: &mut Rng, v6: bool) -> Vec<(String, u8, Vec<u8>)> {
    let mut out = Vec::new();
    let flag_sets = [
        0x02u8, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0x29, 0xc2, 0x00, 0xff,
    ];
    for i in 0..14 {
        let (s, d) = (rng.pick(PORTS), rng.pick(PORTS));
        let flags = flag_sets[i % flag_sets.len()];
        let words = if i % 5 == 3 { 3 } else { 0 };
        let data = if i % 4 == 1 {
            b"GET / HTTP/1.1\r\n".to_vec()
        } else {
            rng.bytes(i % 3)
        };
        out.push((
            format!("TCP {s} > {d} [{}] doff {}", tcp_flags_name(flags), 5 + words),
            6,
            tcp(s, d, flags, words, &data),
        ));
    }
    for (s, d) in [(80, 2500), (2500, 80), (443, 443), (22, 8080)] {
        out.push((format!("TCP {s} > {d} [S]"), 6, tcp(s, d, 0x02, 0, &[])));
    }
    for i in 0..12 {
        let (s, d) = (rng.pick(PORTS), rng.pick(PORTS));
        let data = rng.bytes(4 + i % 5);
        out.push((format!("UDP {s} > {d}"), 17, udp(s, d, &data)));
    }
    for (s, d) in [
        (53, 40000),
        (40000, 53),
        (68, 67),
        (67, 68),
        (123, 123),
        (5353, 5353),
    ] {
        // A DNS-ish payload with QR set or not.
        out.push((
            format!("UDP {s} > {d}"),
            17,
            udp(s, d, &[0x12, 0x34, 0x81, 0x80, 0, 1]),
        ));
    }
    for (s, d) in [(9, 80), (80, 36412), (2905, 2905)] {
        out.push((format!("SCTP {s} > {d}"), 132, sctp(s, d)));
    }
    if v6 {
        for (ty, code) in [(128, 0), (129, 0), (1, 4), (135, 0), (136, 0), (133, 0), (143, 0)] {
            out.push((format!("ICMPv6 type {ty} code {code}"), 58, icmp(ty, code)));
        }
        out.push(("no next header".to_owned(), 59, vec![]));
    } else {
        for (ty, code) in [
            (8, 0),
            (0, 0),
            (3, 3),
            (3, 1),
            (11, 0),
            (5, 1),
            (13, 0),
            (17, 0),
            (9, 0),
        ] {
            out.push((format!("ICMP type {ty} code {code}"), 1, icmp(ty, code)));
        }
        out.push(("IGMPv2 report".to_owned(), 2, vec![0x16, 0, 0, 0, 224, 0, 0, 251]));
        out.push(("IGMP query".to_owned(), 2, vec![0x11, 100, 0, 0, 0, 0, 0, 0]));
    }
    out.push((
        "PIM hello".to_owned(),
        103,
        vec![0x20, 0, 0, 0, 0, 1, 0, 2, 0, 105],
    ));
    out.push((
        "VRRP".to_owned(),
        112,
        vec![0x21, 1, 100, 1, 0, 1, 0, 0, 10, 0, 0, 254],
    ));
    let mut ah = vec![6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    ah.extend([0; 12]);
    ah.extend(tcp(1234, 80, 0x02, 0, &[]));
    out.push(("AH + TCP 1234 > 80".to_owned(), 51, ah));
    out.push(("ESP".to_owned(), 50, vec![0, 0, 1, 0, 0, 0, 0, 1, 0xaa, 0xbb]));
    out.push((
        "GRE (IPv4 inside)".to_owned(),
        47,
        gre(
            0x0800,
            &ipv4([1, 1, 1, 1], [2, 2, 2, 2], 17, &udp(1, 2, &[]), V4Opts::default()),
        ),
    ));
    out.push(("OSPF".to_owned(), 89, vec![2, 1, 0, 44]));
    out.push(("proto 253".to_owned(), 253, vec![1, 2, 3, 4]));
    out
}

fn l3_packets(rng: &mut Rng) -> Vec<L3> {
    let mut out = Vec::new();
    let v6s = v6_pool();
    // IPv4 with every transport, random addresses.
    for (desc, proto, payload) in transports(rng, false) {
        let (s, d) = (rng.pick(V4), rng.pick(V4));
        let o = V4Opts {
            ttl: rng.pick(&[1, 64, 255]),
            ..Default::default()
        };
        let p = ipv4(s, d, proto, &payload, o);
        out.push(l3(
            format!("IPv4 {} > {}: {desc}", fmt_v4(s), fmt_v4(d)),
            0x0800,
            p,
        ));
    }
    // Fixed address pairs that the expressions name, with TCP/UDP.
    for (s, d) in [
        ([10, 0, 0, 1], [10, 0, 0, 2]),
        ([10, 0, 0, 2], [10, 0, 0, 1]),
        ([10, 0, 0, 1], [10, 0, 0, 1]),
        ([192, 168, 1, 1], [8, 8, 8, 8]),
        ([172, 16, 5, 4], [224, 0, 0, 1]),
        ([10, 0, 0, 3], [255, 255, 255, 255]),
        ([127, 0, 0, 1], [127, 0, 0, 1]),
    ] {
        let p = ipv4(s, d, 6, &tcp(2000, 80, 0x02, 0, &[]), V4Opts::default());
        out.push(l3(
            format!("IPv4 {} > {}: TCP 2000 > 80 [S]", fmt_v4(s), fmt_v4(d)),
            0x0800,
            p,
        ));
        let p = ipv4(s, d, 17, &udp(53, 3000, &[1, 2]), V4Opts::default());
        out.push(l3(
            format!("IPv4 {} > {}: UDP 53 > 3000", fmt_v4(s), fmt_v4(d)),
            0x0800,
            p,
        ));
    }
    // Options (IHL > 5) with TCP and UDP.
    for words in [1u8, 3, 10] {
        let o = V4Opts {
            extra_words: words,
            ..Default::default()
        };
        let p = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp(80, 1024, 0x12, 0, &[]), o);
        out.push(l3(
            format!("IPv4 IHL {} 10.0.0.1 > 10.0.0.2: TCP 80 > 1024 [S.]", 5 + words),
            0x0800,
            p,
        ));
        let p = ipv4([10, 0, 0, 2], [10, 0, 0, 1], 17, &udp(3000, 53, &[9]), o);
        out.push(l3(
            format!("IPv4 IHL {} 10.0.0.2 > 10.0.0.1: UDP 3000 > 53", 5 + words),
            0x0800,
            p,
        ));
    }
    // Fragments: first (MF), middle (MF + offset), last (offset), DF.
    for (name, frag) in [
        ("first frag", 0x2000u16),
        ("middle frag", 0x2000 | 185),
        ("last frag", 370),
        ("DF", 0x4000),
    ] {
        let p = ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            17,
            &udp(53, 53, &[1, 2, 3, 4]),
            V4Opts {
                frag,
                id: 7,
                ..Default::default()
            },
        );
        out.push(l3(
            format!("IPv4 {name} 10.0.0.1 > 10.0.0.2: UDP 53 > 53"),
            0x0800,
            p,
        ));
        let p = ipv4(
            [10, 0, 0, 2],
            [10, 0, 0, 1],
            6,
            &tcp(80, 2000, 0x10, 0, &[]),
            V4Opts {
                frag,
                id: 8,
                ..Default::default()
            },
        );
        out.push(l3(
            format!("IPv4 {name} 10.0.0.2 > 10.0.0.1: TCP 80 > 2000 [.]"),
            0x0800,
            p,
        ));
    }
    // Malformed IPv4: bad IHL (< 5, huge), bad version, short header.
    for ihl in [0u8, 4, 15] {
        let p = ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            6,
            &tcp(80, 80, 2, 0, &[]),
            V4Opts {
                ihl_override: Some(ihl),
                ..Default::default()
            },
        );
        out.push(l3(format!("IPv4 bad IHL {ihl}: TCP 80 > 80"), 0x0800, p));
    }
    let mut p = ipv4(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        17,
        &udp(53, 53, &[]),
        V4Opts::default(),
    );
    p[0] = 0x65;
    out.push(l3("IPv4 ethertype, version 6 nibble", 0x0800, p));
    out.push(l3(
        "IPv4 ethertype, 10 bytes only",
        0x0800,
        ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &[], V4Opts::default())[..10].to_vec(),
    ));

    // IPv6 with every transport.
    for (desc, proto, payload) in transports(rng, true) {
        let (s, d) = (rng.pick(&v6s), rng.pick(&v6s));
        let p = ipv6(s, d, &[], proto, &payload);
        out.push(l3(
            format!("IPv6 {} > {}: {desc}", fmt_v6(s), fmt_v6(d)),
            0x86dd,
            p,
        ));
    }
    // IPv6 extension headers.
    let a = v6("2001:db8::1");
    let b = v6("2001:db8::2");
    let chains: Vec<(&str, Vec<Ext>)> = vec![
        ("hop-by-hop", vec![(0, ext_opts())]),
        ("dstopts", vec![(60, ext_opts())]),
        ("routing", vec![(43, ext_routing())]),
        (
            "hbh+routing+dstopts",
            vec![(0, ext_opts()), (43, ext_routing()), (60, ext_opts())],
        ),
        ("first fragment", vec![(44, ext_frag(0, true))]),
        ("later fragment", vec![(44, ext_frag(10, false))]),
        ("hbh+fragment", vec![(0, ext_opts()), (44, ext_frag(0, true))]),
    ];
    for (name, chain) in &chains {
        for (proto, payload, pdesc) in [
            (6u8, tcp(2000, 80, 0x02, 0, &[]), "TCP 2000 > 80 [S]"),
            (17, udp(53, 1024, &[1]), "UDP 53 > 1024"),
            (58, icmp(128, 0), "ICMPv6 echo"),
        ] {
            let p = ipv6(a, b, chain, proto, &payload);
            out.push(l3(
                format!("IPv6 {name} 2001:db8::1 > 2001:db8::2: {pdesc}"),
                0x86dd,
                p,
            ));
        }
    }
    // AH in IPv6 (protochain walks it): length 4 (24 bytes), SPI, sequence, 12-byte ICV.
    let mut ah = vec![4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    ah.extend([0u8; 12]);
    let p = ipv6(a, b, &[(51, ah)], 17, &udp(7, 7, &[]));
    out.push(l3("IPv6 AH + UDP 7 > 7", 0x86dd, p));
    // Malformed IPv6: short, wrong version.
    let mut p = ipv6(a, b, &[], 6, &tcp(1, 2, 2, 0, &[]));
    p[0] = 0x45;
    out.push(l3("IPv6 ethertype, version 4 nibble", 0x86dd, p));
    // Same source and destination; a TCP source port the expressions name.
    let p = ipv6(a, a, &[], 6, &tcp(2000, 22, 0x02, 0, &[]));
    out.push(l3("IPv6 2001:db8::1 > 2001:db8::1: TCP 2000 > 22 [S]", 0x86dd, p));
    // HTTP GET to port 80, and a large datagram (greater/len).
    let p = ipv4(
        [10, 0, 0, 2],
        [10, 0, 0, 1],
        6,
        &tcp(40000, 80, 0x18, 0, b"GET /index.html HTTP/1.1\r\n"),
        V4Opts::default(),
    );
    out.push(l3("IPv4 10.0.0.2 > 10.0.0.1: TCP 40000 > 80 [P.] GET", 0x0800, p));
    let p = ipv4(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        17,
        &udp(3000, 3001, &vec![0x5a; 1572]),
        V4Opts::default(),
    );
    out.push(l3(
        "IPv4 10.0.0.1 > 10.0.0.2: UDP 3000 > 3001, 1600 bytes",
        0x0800,
        p,
    ));
    // ICMP types the named constants cover, and IGRP.
    for ty in [4u8, 10, 12, 14, 15, 16, 18] {
        let p = ipv4([10, 0, 0, 2], [10, 0, 0, 1], 1, &icmp(ty, 0), V4Opts::default());
        out.push(l3(format!("IPv4 10.0.0.2 > 10.0.0.1: ICMP type {ty}"), 0x0800, p));
    }
    let p = ipv4([10, 0, 0, 2], [10, 0, 0, 1], 9, &[1, 1, 0, 0], V4Opts::default());
    out.push(l3("IPv4 10.0.0.2 > 10.0.0.1: IGRP", 0x0800, p));
    out.push(l3(
        "IPv6 ethertype, 30 bytes only",
        0x86dd,
        ipv6(a, b, &[], 6, &[])[..30].to_vec(),
    ));

    // ARP and RARP.
    for (op, spa, tpa) in [
        (1u16, [10, 0, 0, 1], [10, 0, 0, 2]),
        (2, [10, 0, 0, 2], [10, 0, 0, 1]),
        (1, [192, 168, 1, 1], [192, 168, 1, 1]),
    ] {
        let p = arp(op, MAC_A, spa, if op == 1 { [0; 6] } else { MAC_B }, tpa);
        out.push(l3(
            format!("ARP op {op} {} > {}", fmt_v4(spa), fmt_v4(tpa)),
            0x0806,
            p,
        ));
    }
    out.push(l3("RARP request", 0x8035, arp(3, MAC_A, [0; 4], MAC_A, [0; 4])));
    out.push(l3(
        "RARP reply 10.0.0.2",
        0x8035,
        arp(4, MAC_B, [10, 0, 0, 1], MAC_A, [10, 0, 0, 2]),
    ));
    // Other Ethertypes.
    for (name, et) in [
        ("LLDP", 0x88ccu16),
        ("SCA", 0x6007),
        ("MOP DL", 0x6001),
        ("AppleTalk", 0x809b),
        ("AARP", 0x80f3),
        ("DECnet", 0x6003),
        ("IPX", 0x8137),
        ("LAT", 0x6004),
        ("MOP RC", 0x6002),
        ("unknown 0x1234", 0x1234),
    ] {
        out.push(l3(format!("{name} ethertype {et:#06x}"), et, rng.bytes(30)));
    }
    out
}

/// Ethernet frames of the L3 packets, wrappers (VLAN, QinQ, MPLS, PPPoE, Geneve), 802.3/LLC,
/// and truncations.
fn ethernet(rng: &mut Rng) -> Vec<(String, Vec<u8>, u32)> {
    let l3s = l3_packets(rng);
    let macs = [MAC_A, MAC_B, MAC_C];
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, p) in l3s.iter().enumerate() {
        // Destination MAC: mostly unicast, sometimes broadcast / multicast, matching the IP
        // destination when that is broadcast or multicast.
        let dst = match (p.ethertype, p.bytes.get(16), p.bytes.get(24)) {
            (0x0800, Some(255), _) => MAC_BCAST,
            (0x0800, Some(224..=239), _) => MAC_MCAST4,
            (0x86dd, _, Some(0xff)) => MAC_MCAST6,
            (0x0806, _, _) if i % 2 == 0 => MAC_BCAST,
            _ => macs[i % 3],
        };
        let src = macs[(i + 1) % 3];
        out.push((
            format!("{} > {}: {}", fmt_mac(src), fmt_mac(dst), p.desc),
            eth(dst, src, p.ethertype, &p.bytes),
        ));
    }
    // Broadcast/multicast MACs with unicast IP, and the reverse.
    let udp4 = ipv4(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        17,
        &udp(68, 67, &[1]),
        V4Opts::default(),
    );
    out.push((
        "00:11:22:33:44:55 > itself: IPv4 UDP 68 > 67".to_owned(),
        eth(MAC_A, MAC_A, 0x0800, &udp4),
    ));
    for dst in [MAC_BCAST, MAC_MCAST4, MAC_MCAST6, MAC_STP, [0x01, 0, 0, 0, 0, 0]] {
        out.push((
            format!("to {}: IPv4 10.0.0.1 > 10.0.0.2 UDP 68 > 67", fmt_mac(dst)),
            eth(dst, MAC_A, 0x0800, &udp4),
        ));
    }
    out.push((
        "from multicast src MAC".to_owned(),
        eth(MAC_A, MAC_MCAST4, 0x0800, &udp4),
    ));

    // 802.3 + LLC frames.
    let llcs: [(&str, Vec<u8>); 9] = [
        ("STP BPDU", vec![0x42, 0x42, 0x03, 0, 0, 0, 0, 0]),
        ("IPX over 802.2", vec![0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 30]),
        ("raw 802.3 IPX", vec![0xff, 0xff, 0, 30, 0, 0]),
        ("NetBEUI", vec![0xf0, 0xf0, 0x03, 0, 0]),
        ("ISO CLNP", vec![0xfe, 0xfe, 0x03, 0x81, 0, 0]),
        ("ISO IS-IS", vec![0xfe, 0xfe, 0x03, 0x83, 0, 0]),
        ("ISO ES-IS", vec![0xfe, 0xfe, 0x03, 0x82, 0, 0]),
        (
            "SNAP AppleTalk",
            vec![0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b, 0, 0],
        ),
        ("SNAP IPv4", {
            let mut v = vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
            v.extend(&udp4);
            v
        }),
    ];
    for (name, llc) in &llcs {
        out.push((format!("802.3 {name}"), eth_8023(MAC_STP, MAC_A, llc)));
    }
    // LLC control field variants (I, S, U frames).
    for (name, ctl) in [
        ("LLC I", 0x00u8),
        ("LLC S RR", 0x01),
        ("LLC S RNR", 0x05),
        ("LLC U UI", 0x03),
        ("LLC U SABME", 0x6f),
        ("LLC U XID", 0xaf),
    ] {
        out.push((
            format!("802.3 {name}"),
            eth_8023(MAC_B, MAC_A, &[0x06, 0x06, ctl, 0, 0, 0]),
        ));
    }
    legacy(&mut out);

    // Wrappers around a selection of frames.
    let picks: Vec<&L3> = l3s
        .iter()
        .filter(|p| {
            let d = &p.desc;
            d.contains("10.0.0.1 > 10.0.0.2: TCP 2000 > 80")
                || d.contains("10.0.0.2 > 10.0.0.1: UDP 53")
                || d.starts_with("IPv6 hop-by-hop 2001:db8::1 > 2001:db8::2: TCP")
                || d.starts_with("IPv6 first fragment 2001:db8::1 > 2001:db8::2: UDP")
                || d.starts_with("ARP op 1 10.0.0.1")
                || d.starts_with("IPv4 IHL 8 10.0.0.1")
        })
        .chain(
            l3s.iter()
                .filter(|p| p.desc.contains("ICMP type 8") || p.desc.contains("ICMPv6 type 128"))
                .take(2),
        )
        .collect();
    let vlan_sets: [(&str, &[(u16, u16)]); 9] = [
        ("vlan 4095", &[(0x8100, 4095)]),
        ("vlan 100", &[(0x8100, 100)]),
        ("vlan 200 pcp 5", &[(0x8100, 0xa000 | 200)]),
        ("vlan 0 (priority tag)", &[(0x8100, 0xa000)]),
        ("802.1ad 100", &[(0x88a8, 100)]),
        ("QinQ 88a8/100 8100/200", &[(0x88a8, 100), (0x8100, 200)]),
        ("QinQ 8100/100 8100/100", &[(0x8100, 100), (0x8100, 100)]),
        ("QinQ 9100/300 8100/4095", &[(0x9100, 300), (0x8100, 4095)]),
        (
            "triple 88a8/1 8100/2 8100/3",
            &[(0x88a8, 1), (0x8100, 2), (0x8100, 3)],
        ),
    ];
    for p in &picks {
        let base = eth(MAC_B, MAC_A, p.ethertype, &p.bytes);
        for (name, tags) in vlan_sets {
            // Tags are inserted innermost first so that the first in the list is the outer one.
            let mut f = base.clone();
            for &(tpid, tci) in tags.iter().rev() {
                f = tag(&f, tpid, tci);
            }
            out.push((format!("{name}: {}", p.desc), f));
        }
        if matches!(p.ethertype, 0x0800 | 0x86dd) {
            for labels in [&[100u32][..], &[5, 100], &[0x100, 5, 0xfffff], &[0, 7]] {
                let f = eth(MAC_B, MAC_A, 0x8847, &mpls_stack(labels, &p.bytes));
                out.push((format!("MPLS {labels:?}: {}", p.desc), f.clone()));
                out.push((
                    format!("vlan 100, MPLS {labels:?}: {}", p.desc),
                    tag(&f, 0x8100, 100),
                ));
            }
            let f = eth(MAC_B, MAC_A, 0x8848, &mpls_stack(&[7], &p.bytes));
            out.push((format!("MPLS multicast [7]: {}", p.desc), f));
            let proto = if p.ethertype == 0x0800 { 0x0021 } else { 0x0057 };
            for session in [0u16, 1, 0x1234] {
                let f = eth(MAC_B, MAC_A, 0x8864, &pppoe_session(session, proto, &p.bytes));
                out.push((format!("PPPoE session {session:#x}: {}", p.desc), f.clone()));
                if session == 1 {
                    out.push((
                        format!("vlan 100, PPPoE session 1: {}", p.desc),
                        tag(&f, 0x8100, 100),
                    ));
                }
            }
            // Geneve: Ethernet inside (0x6558) and IP inside.
            for (vni, opts) in [(5u32, 0u8), (100, 2), (0xffffff, 0)] {
                let inner = eth(MAC_C, MAC_B, p.ethertype, &p.bytes);
                let g = udp(40000, 6081, &geneve(vni, 0x6558, opts, &inner));
                let outer = ipv4([192, 168, 1, 1], [192, 168, 2, 1], 17, &g, V4Opts::default());
                out.push((
                    format!("Geneve vni {vni} opts {opts} (eth): {}", p.desc),
                    eth(MAC_B, MAC_A, 0x0800, &outer),
                ));
            }
            let inner = tag(&eth(MAC_C, MAC_B, p.ethertype, &p.bytes), 0x8100, 100);
            let g = udp(40000, 6081, &geneve(5, 0x6558, 0, &inner));
            let outer = ipv4([192, 168, 1, 1], [192, 168, 2, 1], 17, &g, V4Opts::default());
            out.push((
                format!("Geneve vni 5 (eth, vlan 100 inside): {}", p.desc),
                eth(MAC_B, MAC_A, 0x0800, &outer),
            ));
            let g = udp(40000, 6081, &geneve(7, p.ethertype, 0, &p.bytes));
            let outer = ipv6(v6("2001:db8::1"), v6("2001:db8::2"), &[], 17, &g);
            out.push((
                format!("Geneve over IPv6 vni 7 (ip): {}", p.desc),
                eth(MAC_B, MAC_A, 0x86dd, &outer),
            ));
        }
    }
    // PPP inside PPPoE carrying non-IP, and discovery frames.
    out.push((
        "PPPoE session 1: LCP".to_owned(),
        eth(MAC_B, MAC_A, 0x8864, &pppoe_session(1, 0xc021, &[1, 1, 0, 4])),
    ));
    for (code, name) in [(0x09u8, "PADI"), (0x07, "PADO"), (0x65, "PADS"), (0xa7, "PADT")] {
        let session = if code == 0x65 { 0x1234 } else { 0 };
        out.push((
            format!("PPPoE discovery {name}"),
            eth(MAC_BCAST, MAC_A, 0x8863, &pppoe_discovery(code, session)),
        ));
    }
    // Random bytes after assorted Ethertypes.
    for et in [0x0800u16, 0x86dd, 0x8100, 0x8847, 0x8864] {
        let bytes = rng.bytes(40);
        out.push((
            format!("ethertype {et:#06x} + random bytes"),
            eth(MAC_B, MAC_A, et, &bytes),
        ));
    }

    // Truncations. For a few frames every length; for more, around each header boundary.
    let mut frames: Vec<(String, Vec<u8>, u32)> = out
        .into_iter()
        .map(|(d, f)| (d, f.clone(), f.len() as u32))
        .collect();
    let every: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, (d, _, _))| {
            (d.ends_with(": IPv4 IHL 8 10.0.0.1 > 10.0.0.2: TCP 80 > 1024 [S.]") && d.as_bytes().get(2) == Some(&b':'))
                || d == "QinQ 88a8/100 8100/200: IPv4 10.0.0.2 > 10.0.0.1: UDP 53 > 3000"
                || d == "MPLS [5, 100]: IPv6 hop-by-hop 2001:db8::1 > 2001:db8::2: TCP 2000 > 80 [S]"
                || d == "PPPoE session 0x1234: IPv4 10.0.0.1 > 10.0.0.2: TCP 2000 > 80 [S]"
                || d == "Geneve vni 100 opts 2 (eth): IPv6 first fragment 2001:db8::1 > 2001:db8::2: UDP 53 > 1024"
                || d == "DECnet long pad 1: 10.23 > 1.2"
                || d == "802.3 IS-IS L2 CSNP"
        })
        .map(|(i, _)| i)
        .collect();
    let boundaries = [
        0usize, 1, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22, 23, 24, 25, 26, 30, 33, 34, 35, 36, 37, 38, 40,
        46, 47, 48, 50, 53, 54, 55, 56, 58, 60, 62, 66, 70, 74,
    ];
    let mut extra = Vec::new();
    for (i, (desc, f, _)) in frames.iter().enumerate() {
        let lens: Vec<usize> = if every.contains(&i) {
            (0..f.len()).collect()
        } else if i % 9 == 0 {
            boundaries.iter().copied().filter(|&n| n < f.len()).collect()
        } else {
            continue;
        };
        for n in lens {
            // Half are snaplen cuts (wire length kept), half really short on the wire.
            let wire = if n % 2 == 0 { f.len() as u32 } else { n as u32 };
            let kind = if n % 2 == 0 { "captured" } else { "truncated to" };
            extra.push((
                format!("[{kind} {n} of {}] {desc}", f.len()),
                f[..n].to_vec(),
                wire,
            ));
        }
    }
    frames.extend(extra);
    frames
}

fn fmt_mac(m: [u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Metadata for an Ethernet frame: pkttype from the destination MAC (every fourth unicast one
/// is outgoing, every fifth for another host), a few interface indexes.
fn eth_meta(i: usize, data: &[u8], wirelen: u32) -> Meta {
    let pkttype = match data.first() {
        Some(0xff) if data.get(..6) == Some(&MAC_BCAST) => PACKET_BROADCAST,
        Some(b) if b & 1 == 1 => PACKET_MULTICAST,
        _ if i % 4 == 1 => PACKET_OUTGOING,
        _ if i % 5 == 2 => PACKET_OTHERHOST,
        _ => PACKET_HOST,
    };
    Meta {
        len: wirelen,
        net_off: 14,
        protocol: data.get(12..14).map_or(0, |b| u16::from_be_bytes([b[0], b[1]])),
        pkttype,
        ifindex: [1, 2, 3, 7, 300][i % 5],
        hatype: 1,
        ..Meta::default()
    }
}

/// Builds every corpus.
pub fn corpus() -> Corpus {
    let mut rng = Rng(0x5eed_1abc_0ffe_e042);
    let frames = ethernet(&mut rng);
    let en10mb: Vec<Packet> = frames
        .iter()
        .enumerate()
        .map(|(i, (desc, data, wirelen))| Packet {
            desc: desc.clone(),
            data: data.clone(),
            wirelen: *wirelen,
            meta: eth_meta(i, data, *wirelen),
        })
        .collect();

    let mut sll = Vec::new();
    let mut sll2 = Vec::new();
    let mut raw = Vec::new();
    for p in &en10mb {
        if p.data.len() < 14 {
            continue;
        }
        let et = u16::from_be_bytes([p.data[12], p.data[13]]);
        let payload = &p.data[14..];
        let wire_payload = p.wirelen - 14;
        // Cooked headers: the protocol of an 802.3 frame is 802.2 (or Novell raw 802.3).
        let protocol = if et >= 0x600 {
            et
        } else if payload.starts_with(&[0xff, 0xff]) {
            0x0001
        } else {
            0x0004
        };
        let m = p.meta;
        let mut h = Vec::new();
        h.extend(u16::from(m.pkttype).to_be_bytes());
        h.extend(1u16.to_be_bytes());
        h.extend(6u16.to_be_bytes());
        h.extend(&p.data[6..12]);
        h.extend([0, 0]);
        h.extend(protocol.to_be_bytes());
        let sll_meta = Meta {
            len: wire_payload + 16,
            net_off: 16,
            protocol,
            ..m
        };
        sll.push(Packet {
            desc: format!("SLL: {}", p.desc),
            data: [&h[..], payload].concat(),
            wirelen: wire_payload + 16,
            meta: sll_meta,
        });
        let mut h2 = Vec::new();
        h2.extend(protocol.to_be_bytes());
        h2.extend([0, 0]);
        h2.extend(m.ifindex.to_be_bytes());
        h2.extend(1u16.to_be_bytes());
        h2.push(m.pkttype);
        h2.push(6);
        h2.extend(&p.data[6..12]);
        h2.extend([0, 0]);
        sll2.push(Packet {
            desc: format!("SLL2: {}", p.desc),
            data: [&h2[..], payload].concat(),
            wirelen: wire_payload + 20,
            meta: Meta {
                len: wire_payload + 20,
                net_off: 20,
                ..sll_meta
            },
        });
        if matches!(et, 0x0800 | 0x86dd) {
            raw.push(Packet {
                desc: format!("RAW: {}", p.desc),
                data: payload.to_vec(),
                wirelen: wire_payload,
                meta: Meta {
                    len: wire_payload,
                    net_off: 0,
                    protocol: et,
                    hatype: 0xfffe, // ARPHRD_NONE
                    ..m
                },
            });
        }
    }
    // Truncated cooked headers and odd raw packets.
    let base_sll = sll[0].clone();
    let base_sll2 = sll2[0].clone();
    for n in 0..20 {
        if n < 16 {
            sll.push(Packet {
                desc: format!("[truncated to {n}] {}", base_sll.desc),
                data: base_sll.data[..n].to_vec(),
                wirelen: n as u32,
                meta: Meta {
                    len: n as u32,
                    ..base_sll.meta
                },
            });
        }
        sll2.push(Packet {
            desc: format!("[truncated to {n}] {}", base_sll2.desc),
            data: base_sll2.data[..n].to_vec(),
            wirelen: n as u32,
            meta: Meta {
                len: n as u32,
                ..base_sll2.meta
            },
        });
    }
    for (desc, data) in [
        ("RAW: empty", vec![]),
        ("RAW: version 5", vec![0x55; 40]),
        ("RAW: version 0", vec![0; 40]),
        ("RAW: one byte 0x45", vec![0x45]),
        ("RAW: one byte 0x60", vec![0x60]),
    ] {
        raw.push(Packet {
            desc: desc.to_owned(),
            wirelen: data.len() as u32,
            meta: Meta {
                len: data.len() as u32,
                ..Meta::default()
            },
            data,
        });
    }

    // Live: every frame as is, and tagged frames with the outer tag stripped into metadata.
    let mut live = en10mb.clone();
    for p in &en10mb {
        let d = &p.data;
        if d.len() >= 18 && matches!(u16::from_be_bytes([d[12], d[13]]), 0x8100 | 0x88a8) {
            let tpid = u16::from_be_bytes([d[12], d[13]]);
            let tci = u16::from_be_bytes([d[14], d[15]]);
            let data = [&d[..12], &d[16..]].concat();
            live.push(Packet {
                desc: format!(
                    "[live: outer tag {tpid:#06x}/{} stripped] {}",
                    tci & 0xfff,
                    p.desc
                ),
                wirelen: p.wirelen - 4,
                meta: Meta {
                    len: p.wirelen - 4,
                    protocol: u16::from_be_bytes([d[16], d[17]]),
                    vlan_present: true,
                    vlan_tci: tci,
                    vlan_tpid: tpid,
                    ..p.meta
                },
                data,
            });
        }
    }
    Corpus {
        en10mb,
        sll,
        sll2,
        raw,
        live,
    }
}

//! The tokenizer of filter expressions: libpcap's scanner rules (scanner.l) with flex's choice
//! between them, i.e. the longest match wins and, among matches of equal length, the rule listed
//! first (keywords before names, numbers before names, MAC addresses before numbers).

use super::atm::AtmKw;
use super::gen::mtp::{Mtp2Kw, Mtp3Field, Mtp3Kw};
use super::CompileError;

/// A keyword; the names are libpcap's token names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kw {
    Dst,
    Src,
    Link,
    Arp,
    Rarp,
    Ip,
    Sctp,
    Tcp,
    Udp,
    Icmp,
    Igmp,
    Igrp,
    Pim,
    Vrrp,
    Carp,
    Radio,
    Ip6,
    Icmp6,
    Ah,
    Esp,
    // The legacy families: AppleTalk, DECnet, LAT, SCA, MOP, ISO (CLNP, ES-IS, IS-IS and its
    // PDU types), STP, IPX, NetBEUI, and 802.2 LLC.
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
    L1,
    L2,
    Iih,
    Lsp,
    Snp,
    Csnp,
    Psnp,
    Clnp,
    Stp,
    Ipx,
    Netbeui,
    Llc,
    Host,
    Net,
    Mask,
    Port,
    PortRange,
    Proto,
    ProtoChain,
    Gateway,
    Less,
    Greater,
    Byte,
    Broadcast,
    Multicast,
    And,
    Or,
    Not,
    Len,
    Inbound,
    Outbound,
    Ifindex,
    Vlan,
    Mpls,
    Pppoed,
    Pppoes,
    Geneve,
    /// An ATM keyword that is a primitive on its own (`lane`, `oamf4`, ...).
    Atm(AtmKw),
    /// SS7: `fisu`, `lssu`, `msu`, `hfisu`, `hlssu`, `hmsu`.
    Mtp2(Mtp2Kw),
    /// SS7: `sio`, `opc`, `dpc`, `sls` and their `h...` forms, followed as `vpi` is.
    Mtp3(Mtp3Kw),
    /// `vpi` and `vci`, followed by a value, a relation or a parenthesised list.
    Vpi,
    Vci,
    /// 802.11: `type`, `subtype`, `dir`/`direction`, `addr1`..`addr4` (`address1`..), `ra`, `ta`.
    Type,
    Subtype,
    Dir,
    Addr1,
    Addr2,
    Addr3,
    Addr4,
    Ra,
    Ta,
    /// pf: `on`/`ifname`, `rset`/`ruleset`, `rnr`/`rulenum`, `srnr`/`subrulenum`, `reason`,
    /// `action`.
    PfIfname,
    PfRset,
    PfRnr,
    PfSrnr,
    PfReason,
    PfAction,
}

/// A token and where it starts (byte offset in the expression).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub pos: usize,
    pub len: usize,
    pub kind: Tok,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Kw(Kw),
    /// A number (decimal, 0x hex, 0 octal) or a named constant (`tcp-syn`, `icmptype`, ...).
    Num(u32),
    /// A name (host, network, port, protocol, ...), backslash removed.
    Id(String),
    /// A dotted IPv4 address or prefix: 1 to 4 numbers separated by dots.
    Hid(String),
    /// An IPv6 address.
    Hid6(String),
    /// A MAC address.
    Eid(String),
    /// An ARCnet address (`$xx`).
    Aid(String),
    /// One of `+ - * / % : [ ] < > ( ) & | ^ =`.
    Punct(char),
    Geq,
    Leq,
    Neq,
    Lsh,
    Rsh,
    Eof,
}

const KEYWORDS: &[(&str, Kw)] = &[
    ("dst", Kw::Dst),
    ("src", Kw::Src),
    ("link", Kw::Link),
    ("ether", Kw::Link),
    ("ppp", Kw::Link),
    ("slip", Kw::Link),
    ("fddi", Kw::Link),
    ("tr", Kw::Link),
    ("wlan", Kw::Link),
    ("arp", Kw::Arp),
    ("rarp", Kw::Rarp),
    ("ip", Kw::Ip),
    ("sctp", Kw::Sctp),
    ("tcp", Kw::Tcp),
    ("udp", Kw::Udp),
    ("icmp", Kw::Icmp),
    ("igmp", Kw::Igmp),
    ("igrp", Kw::Igrp),
    ("pim", Kw::Pim),
    ("vrrp", Kw::Vrrp),
    ("carp", Kw::Carp),
    ("radio", Kw::Radio),
    ("ip6", Kw::Ip6),
    ("icmp6", Kw::Icmp6),
    ("ah", Kw::Ah),
    ("esp", Kw::Esp),
    ("atalk", Kw::Atalk),
    ("aarp", Kw::Aarp),
    ("decnet", Kw::Decnet),
    ("lat", Kw::Lat),
    ("sca", Kw::Sca),
    ("moprc", Kw::Moprc),
    ("mopdl", Kw::Mopdl),
    ("iso", Kw::Iso),
    ("esis", Kw::Esis),
    ("es-is", Kw::Esis),
    ("isis", Kw::Isis),
    ("is-is", Kw::Isis),
    ("l1", Kw::L1),
    ("l2", Kw::L2),
    ("iih", Kw::Iih),
    ("lsp", Kw::Lsp),
    ("snp", Kw::Snp),
    ("csnp", Kw::Csnp),
    ("psnp", Kw::Psnp),
    ("clnp", Kw::Clnp),
    ("stp", Kw::Stp),
    ("ipx", Kw::Ipx),
    ("netbeui", Kw::Netbeui),
    ("host", Kw::Host),
    ("net", Kw::Net),
    ("mask", Kw::Mask),
    ("port", Kw::Port),
    ("portrange", Kw::PortRange),
    ("proto", Kw::Proto),
    ("protochain", Kw::ProtoChain),
    ("gateway", Kw::Gateway),
    ("type", Kw::Type),
    ("subtype", Kw::Subtype),
    ("direction", Kw::Dir),
    ("dir", Kw::Dir),
    ("address1", Kw::Addr1),
    ("addr1", Kw::Addr1),
    ("address2", Kw::Addr2),
    ("addr2", Kw::Addr2),
    ("address3", Kw::Addr3),
    ("addr3", Kw::Addr3),
    ("address4", Kw::Addr4),
    ("addr4", Kw::Addr4),
    ("ra", Kw::Ra),
    ("ta", Kw::Ta),
    ("less", Kw::Less),
    ("greater", Kw::Greater),
    ("byte", Kw::Byte),
    ("broadcast", Kw::Broadcast),
    ("multicast", Kw::Multicast),
    ("and", Kw::And),
    ("&&", Kw::And),
    ("or", Kw::Or),
    ("||", Kw::Or),
    ("not", Kw::Not),
    ("len", Kw::Len),
    ("length", Kw::Len),
    ("inbound", Kw::Inbound),
    ("outbound", Kw::Outbound),
    ("ifindex", Kw::Ifindex),
    ("vlan", Kw::Vlan),
    ("mpls", Kw::Mpls),
    ("pppoed", Kw::Pppoed),
    ("pppoes", Kw::Pppoes),
    ("geneve", Kw::Geneve),
    ("lane", Kw::Atm(AtmKw::Lane)),
    ("llc", Kw::Llc),
    ("metac", Kw::Atm(AtmKw::Metac)),
    ("bcc", Kw::Atm(AtmKw::Bcc)),
    ("oam", Kw::Atm(AtmKw::Oam)),
    ("oamf4", Kw::Atm(AtmKw::Oamf4)),
    ("oamf4ec", Kw::Atm(AtmKw::Oamf4ec)),
    ("oamf4sc", Kw::Atm(AtmKw::Oamf4sc)),
    ("sc", Kw::Atm(AtmKw::Sc)),
    ("ilmic", Kw::Atm(AtmKw::Ilmic)),
    ("vpi", Kw::Vpi),
    ("vci", Kw::Vci),
    ("connectmsg", Kw::Atm(AtmKw::Connectmsg)),
    ("metaconnect", Kw::Atm(AtmKw::Metaconnect)),
    ("on", Kw::PfIfname),
    ("ifname", Kw::PfIfname),
    ("rset", Kw::PfRset),
    ("ruleset", Kw::PfRset),
    ("rnr", Kw::PfRnr),
    ("rulenum", Kw::PfRnr),
    ("srnr", Kw::PfSrnr),
    ("subrulenum", Kw::PfSrnr),
    ("reason", Kw::PfReason),
    ("action", Kw::PfAction),
    ("fisu", Kw::Mtp2(Mtp2Kw::Fisu)),
    ("lssu", Kw::Mtp2(Mtp2Kw::Lssu)),
    ("lsu", Kw::Mtp2(Mtp2Kw::Lssu)),
    ("msu", Kw::Mtp2(Mtp2Kw::Msu)),
    ("hfisu", Kw::Mtp2(Mtp2Kw::Hfisu)),
    ("hlssu", Kw::Mtp2(Mtp2Kw::Hlssu)),
    ("hmsu", Kw::Mtp2(Mtp2Kw::Hmsu)),
    (
        "sio",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Sio,
            high: false,
        }),
    ),
    (
        "opc",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Opc,
            high: false,
        }),
    ),
    (
        "dpc",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Dpc,
            high: false,
        }),
    ),
    (
        "sls",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Sls,
            high: false,
        }),
    ),
    (
        "hsio",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Sio,
            high: true,
        }),
    ),
    (
        "hopc",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Opc,
            high: true,
        }),
    ),
    (
        "hdpc",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Dpc,
            high: true,
        }),
    ),
    (
        "hsls",
        Kw::Mtp3(Mtp3Kw {
            field: Mtp3Field::Sls,
            high: true,
        }),
    ),
];

/// Named constants that the scanner turns into numbers.
const CONSTANTS: &[(&str, u32)] = &[
    ("icmptype", 0),
    ("icmpcode", 1),
    ("icmp-echoreply", 0),
    ("icmp-unreach", 3),
    ("icmp-sourcequench", 4),
    ("icmp-redirect", 5),
    ("icmp-echo", 8),
    ("icmp-routeradvert", 9),
    ("icmp-routersolicit", 10),
    ("icmp-timxceed", 11),
    ("icmp-paramprob", 12),
    ("icmp-tstamp", 13),
    ("icmp-tstampreply", 14),
    ("icmp-ireq", 15),
    ("icmp-ireqreply", 16),
    ("icmp-maskreq", 17),
    ("icmp-maskreply", 18),
    ("icmp6type", 0),
    ("icmp6code", 1),
    ("icmp6-destinationunreach", 1),
    ("icmp6-packettoobig", 2),
    ("icmp6-timeexceeded", 3),
    ("icmp6-parameterproblem", 4),
    ("icmp6-echo", 128),
    ("icmp6-echoreply", 129),
    ("icmp6-multicastlistenerquery", 130),
    ("icmp6-multicastlistenerreportv1", 131),
    ("icmp6-multicastlistenerdone", 132),
    ("icmp6-routersolicit", 133),
    ("icmp6-routeradvert", 134),
    ("icmp6-neighborsolicit", 135),
    ("icmp6-neighboradvert", 136),
    ("icmp6-redirect", 137),
    ("icmp6-routerrenum", 138),
    ("icmp6-nodeinformationquery", 139),
    ("icmp6-nodeinformationresponse", 140),
    ("icmp6-ineighbordiscoverysolicit", 141),
    ("icmp6-ineighbordiscoveryadvert", 142),
    ("icmp6-multicastlistenerreportv2", 143),
    ("icmp6-homeagentdiscoveryrequest", 144),
    ("icmp6-homeagentdiscoveryreply", 145),
    ("icmp6-mobileprefixsolicit", 146),
    ("icmp6-mobileprefixadvert", 147),
    ("icmp6-certpathsolicit", 148),
    ("icmp6-certpathadvert", 149),
    ("icmp6-multicastrouteradvert", 151),
    ("icmp6-multicastroutersolicit", 152),
    ("icmp6-multicastrouterterm", 153),
    ("tcpflags", 13),
    ("tcp-fin", 0x01),
    ("tcp-syn", 0x02),
    ("tcp-rst", 0x04),
    ("tcp-push", 0x08),
    ("tcp-ack", 0x10),
    ("tcp-urg", 0x20),
    ("tcp-ece", 0x40),
    ("tcp-cwr", 0x80),
];

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// Length of a run of bytes satisfying `f`, starting at `i`.
fn run(s: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    s[i.min(s.len())..].iter().take_while(|&&c| f(c)).count()
}

/// `{N}`: decimal digits, or 0x/0X and hex digits.
fn match_n(s: &[u8], i: usize) -> usize {
    if i + 2 < s.len() + 1 && s.get(i) == Some(&b'0') && matches!(s.get(i + 1), Some(b'x') | Some(b'X')) {
        let h = run(s, i + 2, is_hex);
        if h > 0 {
            return 2 + h;
        }
    }
    run(s, i, |c| c.is_ascii_digit())
}

/// `{B}`: one or two hex digits (greedy).
fn match_b(s: &[u8], i: usize) -> usize {
    run(s, i, is_hex).min(2)
}

/// `{N}.{N}`, `{N}.{N}.{N}`, `{N}.{N}.{N}.{N}`: the longest.
fn match_hid(s: &[u8], i: usize) -> usize {
    let mut len = match_n(s, i);
    if len == 0 {
        return 0;
    }
    let mut best = 0;
    for _ in 0..3 {
        if s.get(i + len) != Some(&b'.') {
            break;
        }
        let n = match_n(s, i + len + 1);
        if n == 0 {
            break;
        }
        len += 1 + n;
        best = len;
    }
    best
}

/// `{MAC}`: six `{B}` separated by `:`, `-` or `.`, three groups of four hex digits separated
/// by `.`, or twelve hex digits.
fn match_mac(s: &[u8], i: usize) -> usize {
    let mut best = 0;
    for sep in [b':', b'-', b'.'] {
        let mut len = 0;
        let mut ok = true;
        for g in 0..6 {
            if g > 0 {
                if s.get(i + len) != Some(&sep) {
                    ok = false;
                    break;
                }
                len += 1;
            }
            let b = match_b(s, i + len);
            if b == 0 {
                ok = false;
                break;
            }
            len += b;
        }
        if ok {
            best = best.max(len);
        }
    }
    // {B2}.{B2}.{B2}
    let quad = |j: usize| run(s, j, is_hex) >= 4;
    if quad(i) && s.get(i + 4) == Some(&b'.') && quad(i + 5) && s.get(i + 9) == Some(&b'.') && quad(i + 10) {
        best = best.max(14);
    }
    if run(s, i, is_hex) >= 12 {
        best = best.max(12);
    }
    best
}

/// scanner.l's `{V6}` alternatives, one a string: `W` is `{W}` (one to four hex digits), `N` is
/// `{N}` (decimal digits, or `0x` and hex digits), `:` and `.` stand for themselves. Eight
/// groups, or fewer around one `::`, or six groups' worth then a dotted IPv4 address.
const V6_FORMS: [&str; 59] = [
    "W:W:W:W:W:W:W:W",
    "::W:W:W:W:W:W:W",
    "W::W:W:W:W:W:W",
    "W:W::W:W:W:W:W",
    "W:W:W::W:W:W:W",
    "W:W:W:W::W:W:W",
    "W:W:W:W:W::W:W",
    "W:W:W:W:W:W::W",
    "W:W:W:W:W:W:W::",
    "::W:W:W:W:W:W",
    "W::W:W:W:W:W",
    "W:W::W:W:W:W",
    "W:W:W::W:W:W",
    "W:W:W:W::W:W",
    "W:W:W:W:W::W",
    "W:W:W:W:W:W::",
    "::W:W:W:W:W",
    "W::W:W:W:W",
    "W:W::W:W:W",
    "W:W:W::W:W",
    "W:W:W:W::W",
    "W:W:W:W:W::",
    "::W:W:W:W",
    "W::W:W:W",
    "W:W::W:W",
    "W:W:W::W",
    "W:W:W:W::",
    "::W:W:W",
    "W::W:W",
    "W:W::W",
    "W:W:W::",
    "::W:W",
    "W::W",
    "W:W::",
    "::W",
    "W::",
    "::",
    "W:W:W:W:W:W:N.N.N.N",
    "::W:W:W:W:W:N.N.N.N",
    "W::W:W:W:W:N.N.N.N",
    "W:W::W:W:W:N.N.N.N",
    "W:W:W::W:W:N.N.N.N",
    "W:W:W:W::W:N.N.N.N",
    "W:W:W:W:W::N.N.N.N",
    "::W:W:W:W:N.N.N.N",
    "W::W:W:W:N.N.N.N",
    "W:W::W:W:N.N.N.N",
    "W:W:W::W:N.N.N.N",
    "W:W:W:W::N.N.N.N",
    "::W:W:W:N.N.N.N",
    "W::W:W:N.N.N.N",
    "W:W::W:N.N.N.N",
    "W:W:W::N.N.N.N",
    "::W:W:N.N.N.N",
    "W::W:N.N.N.N",
    "W:W::N.N.N.N",
    "::W:N.N.N.N",
    "W::N.N.N.N",
    "::N.N.N.N",
];

/// `{V6}`: the length of the longest prefix of `s[i..]` that one of [`V6_FORMS`] matches (as
/// flex does, whether or not it is a valid address: [`inet_pton6`] decides that), 0 if none.
fn match_v6(s: &[u8], i: usize) -> usize {
    // Every form has a ':' within its first five characters and consists of these bytes.
    let max = run(s, i, |c| {
        is_hex(c) || c == b':' || c == b'.' || c == b'x' || c == b'X'
    });
    if !s[i..i + max].iter().take(5).any(|&c| c == b':') {
        return 0;
    }
    let mut best = 0;
    // The positions a form's prefix can end at (a regular expression's states, breadth first).
    let mut at: Vec<usize> = Vec::new();
    let mut next: Vec<usize> = Vec::new();
    for form in V6_FORMS {
        at.clear();
        at.push(i);
        for e in form.bytes() {
            next.clear();
            for &p in &at {
                match e {
                    b'W' => {
                        for l in 1..=run(s, p, is_hex).min(4) {
                            next.push(p + l);
                        }
                    }
                    b'N' => {
                        for l in 1..=run(s, p, |c| c.is_ascii_digit()) {
                            next.push(p + l);
                        }
                        if s.get(p) == Some(&b'0') && matches!(s.get(p + 1), Some(b'x' | b'X')) {
                            for l in 1..=run(s, p + 2, is_hex) {
                                next.push(p + 2 + l);
                            }
                        }
                    }
                    c => {
                        if s.get(p) == Some(&c) {
                            next.push(p + 1);
                        }
                    }
                }
            }
            next.sort_unstable();
            next.dedup();
            std::mem::swap(&mut at, &mut next);
            if at.is_empty() {
                break;
            }
        }
        if let Some(&end) = at.last() {
            best = best.max(end - i);
        }
    }
    best
}

/// glibc's `inet_pton4` (what `inet_pton6` calls for a dotted tail): exactly four decimal
/// octets, each at most 255 and without leading zeros.
fn inet_pton4(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut octets = 0;
    let mut saw_digit = false;
    let mut cur: u32 = 0;
    for &c in s {
        if c.is_ascii_digit() {
            if saw_digit && cur == 0 {
                return None;
            }
            cur = cur * 10 + u32::from(c - b'0');
            if cur > 255 {
                return None;
            }
            if !saw_digit {
                octets += 1;
                if octets > 4 {
                    return None;
                }
                saw_digit = true;
            }
            out[octets - 1] = cur as u8;
        } else if c == b'.' && saw_digit {
            if octets == 4 {
                return None;
            }
            cur = 0;
            saw_digit = false;
        } else {
            return None;
        }
    }
    (octets == 4).then_some(out)
}

/// glibc's `inet_pton6`, which `getaddrinfo` with `AF_INET6` and `AI_NUMERICHOST` applies to a
/// name without a `%` (libpcap's test of a `{V6}` token, and `gen_mcode6`'s reading of it).
pub fn inet_pton6(src: &str) -> Option<[u8; 16]> {
    let s = src.as_bytes();
    let mut tmp = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut i = 0;
    if s.is_empty() {
        return None;
    }
    // A leading "::" needs both colons.
    if s[0] == b':' {
        i = 1;
        if s.get(1) != Some(&b':') {
            return None;
        }
    }
    let mut curtok = i;
    let mut xdigits = 0;
    let mut val: u32 = 0;
    while i < s.len() {
        let ch = s[i];
        i += 1;
        if let Some(d) = (ch as char).to_digit(16) {
            if xdigits == 4 {
                return None;
            }
            val = (val << 4) | d;
            xdigits += 1;
            continue;
        }
        if ch == b':' {
            curtok = i;
            if xdigits == 0 {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if i == s.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            tmp[tp] = (val >> 8) as u8;
            tmp[tp + 1] = val as u8;
            tp += 2;
            xdigits = 0;
            val = 0;
            continue;
        }
        if ch == b'.' && tp + 4 <= 16 {
            if let Some(v4) = inet_pton4(&s[curtok..]) {
                tmp[tp..tp + 4].copy_from_slice(&v4);
                tp += 4;
                xdigits = 0;
                break;
            }
        }
        return None;
    }
    if xdigits > 0 {
        if tp + 2 > 16 {
            return None;
        }
        tmp[tp] = (val >> 8) as u8;
        tmp[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(c) = colonp {
        // "::" standing for no group at all.
        if tp == 16 {
            return None;
        }
        let n = tp - c;
        tmp.copy_within(c..tp, 16 - n);
        tmp[c..16 - n].fill(0);
        tp = 16;
    }
    (tp == 16).then_some(tmp)
}

/// `{B}:+({B}:+)+`: what looks like a broken MAC address.
fn match_bogus_ether(s: &[u8], i: usize) -> usize {
    let mut len = match_b(s, i);
    if len == 0 {
        return 0;
    }
    let c = run(s, i + len, |c| c == b':');
    if c == 0 {
        return 0;
    }
    len += c;
    let mut groups = 0;
    loop {
        let b = match_b(s, i + len);
        if b == 0 {
            break;
        }
        let c = run(s, i + len + b, |c| c == b':');
        if c == 0 {
            break;
        }
        len += b + c;
        groups += 1;
    }
    if groups > 0 {
        len
    } else {
        0
    }
}

/// `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`
fn match_id(s: &[u8], i: usize) -> usize {
    if !s.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return 0;
    }
    let body = run(s, i + 1, |c| {
        c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.'
    });
    // Back off to the last character that may end a name.
    let mut end = body;
    while end > 0 && matches!(s[i + end], b'-' | b'_') {
        end -= 1;
    }
    1 + end
}

/// libpcap's `stou`: decimal, 0x hex or 0 octal, refusing overflow and bad octal digits.
fn stou(text: &str) -> Result<u32, String> {
    let b = text.as_bytes();
    let (digits, radix) = if b.len() > 1 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        (&text[2..], 16)
    } else if b[0] == b'0' {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c
            .to_digit(radix)
            .ok_or_else(|| format!("number {text} contains non-octal digit"))?;
        n = n * u64::from(radix) + u64::from(d);
        if n > u64::from(u32::MAX) {
            return Err(format!("number {text} overflows 32 bits"));
        }
    }
    Ok(n as u32)
}

/// Splits `expr` into tokens, ending with [`Tok::Eof`].
pub fn tokenize(expr: &str) -> Result<Vec<Token>, CompileError> {
    let s = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if matches!(c, b' ' | b'\r' | b'\n' | b'\t') {
            i += 1;
            continue;
        }
        // Candidates in scanner.l's rule order; the first longest one wins.
        let mut best: (usize, u8) = (0, 255);
        let mut consider = |len: usize, rule: u8| {
            if len > best.0 {
                best = (len, rule);
            }
        };
        let mut kw: Option<Kw> = None;
        let mut kwlen = 0;
        for (text, k) in KEYWORDS {
            if s[i..].starts_with(text.as_bytes()) && text.len() > kwlen {
                kwlen = text.len();
                kw = Some(*k);
            }
        }
        consider(kwlen, 0);
        let punct = if b"+-*/%:[]!<>()&|^=".contains(&c) { 1 } else { 0 };
        consider(punct, 1);
        let two =
            if s.len() >= i + 2 && [&b">="[..], b"<=", b"!=", b"==", b"<<", b">>"].contains(&&s[i..i + 2]) {
                2
            } else {
                0
            };
        consider(two, 2);
        let aid = if c == b'$' {
            match_b(s, i + 1).min(2) + 1
        } else {
            0
        };
        consider(if aid > 1 { aid } else { 0 }, 3);
        consider(match_mac(s, i), 4);
        consider(match_n(s, i), 5);
        consider(match_hid(s, i), 6);
        consider(match_v6(s, i), 7);
        consider(match_bogus_ether(s, i), 8);
        let mut cname: Option<u32> = None;
        let mut clen = 0;
        for (text, v) in CONSTANTS {
            if s[i..].starts_with(text.as_bytes()) && text.len() > clen {
                clen = text.len();
                cname = Some(*v);
            }
        }
        consider(clen, 9);
        consider(match_id(s, i), 10);
        let esc = if c == b'\\' {
            let n = run(s, i + 1, |c| {
                !matches!(c, b' ' | b'!' | b'(' | b')' | b'\n' | b'\t')
            });
            if n > 0 {
                n + 1
            } else {
                0
            }
        } else {
            0
        };
        consider(esc, 11);
        let (len, rule) = best;
        if len == 0 {
            let ch = expr[i..].chars().next().unwrap_or('?');
            return Err(CompileError::new(
                i,
                format!("syntax error: unexpected character '{ch}'"),
            ));
        }
        let text = &expr[i..i + len];
        let kind = match rule {
            0 => Tok::Kw(kw.unwrap_or(Kw::And)),
            1 => {
                if c == b'!' {
                    Tok::Kw(Kw::Not)
                } else {
                    Tok::Punct(c as char)
                }
            }
            2 => match text {
                ">=" => Tok::Geq,
                "<=" => Tok::Leq,
                "!=" => Tok::Neq,
                "==" => Tok::Punct('='),
                "<<" => Tok::Lsh,
                _ => Tok::Rsh,
            },
            3 => Tok::Aid(text[1..].to_owned()),
            4 => Tok::Eid(text.to_owned()),
            5 => Tok::Num(stou(text).map_err(|m| CompileError::new(i, m))?),
            6 => Tok::Hid(text.to_owned()),
            7 => {
                if inet_pton6(text).is_none() {
                    return Err(CompileError::new(i, format!("bogus IPv6 address {text}")));
                }
                Tok::Hid6(text.to_owned())
            }
            8 => return Err(CompileError::new(i, format!("bogus ethernet address {text}"))),
            9 => Tok::Num(cname.unwrap_or(0)),
            10 => Tok::Id(text.to_owned()),
            _ => Tok::Id(text[1..].to_owned()),
        };
        out.push(Token { pos: i, len, kind });
        i += len;
    }
    out.push(Token {
        pos: expr.len(),
        len: 0,
        kind: Tok::Eof,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn longest_match_and_rule_order() {
        assert_eq!(kinds("tcp"), vec![Tok::Kw(Kw::Tcp), Tok::Eof]);
        assert_eq!(kinds("tcpx"), vec![Tok::Id("tcpx".into()), Tok::Eof]);
        assert_eq!(kinds("tcp-syn"), vec![Tok::Num(2), Tok::Eof]);
        assert_eq!(kinds("10"), vec![Tok::Num(10), Tok::Eof]);
        assert_eq!(kinds("010"), vec![Tok::Num(8), Tok::Eof]);
        assert_eq!(kinds("0x1F"), vec![Tok::Num(31), Tok::Eof]);
        assert_eq!(kinds("10.1.2.3"), vec![Tok::Hid("10.1.2.3".into()), Tok::Eof]);
        assert_eq!(kinds("10.1"), vec![Tok::Hid("10.1".into()), Tok::Eof]);
        assert_eq!(kinds("1-1024"), vec![Tok::Id("1-1024".into()), Tok::Eof]);
        assert_eq!(
            kinds("aa:bb:cc:dd:ee:ff"),
            vec![Tok::Eid("aa:bb:cc:dd:ee:ff".into()), Tok::Eof]
        );
        assert_eq!(
            kinds("001122334455"),
            vec![Tok::Eid("001122334455".into()), Tok::Eof]
        );
        assert_eq!(kinds("fe80::1"), vec![Tok::Hid6("fe80::1".into()), Tok::Eof]);
        assert_eq!(kinds("::"), vec![Tok::Hid6("::".into()), Tok::Eof]);
        assert_eq!(kinds("\\ip"), vec![Tok::Id("ip".into()), Tok::Eof]);
        assert_eq!(kinds("host-"), vec![Tok::Kw(Kw::Host), Tok::Punct('-'), Tok::Eof]);
        assert_eq!(
            kinds("hosts-"),
            vec![Tok::Id("hosts".into()), Tok::Punct('-'), Tok::Eof]
        );
        assert_eq!(
            kinds("ether[12:2]>=0x600&&!len<<2"),
            vec![
                Tok::Kw(Kw::Link),
                Tok::Punct('['),
                Tok::Num(12),
                Tok::Punct(':'),
                Tok::Num(2),
                Tok::Punct(']'),
                Tok::Geq,
                Tok::Num(0x600),
                Tok::Kw(Kw::And),
                Tok::Kw(Kw::Not),
                Tok::Kw(Kw::Len),
                Tok::Lsh,
                Tok::Num(2),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = tokenize("tcp @").unwrap_err();
        assert_eq!(e.pos, 4);
        let e = tokenize("port 08").unwrap_err();
        assert_eq!(e.pos, 5);
        assert!(e.msg.contains("non-octal"), "{e}");
        let e = tokenize("len > 4294967296").unwrap_err();
        assert!(e.msg.contains("overflows"), "{e}");
        assert!(tokenize("len > 4294967295").is_ok());
        let e = tokenize("ether host aa:bb:").unwrap_err();
        assert!(e.msg.contains("bogus ethernet"), "{e}");
    }

    #[test]
    fn ipv6_with_dotted_ipv4_tail() {
        for a in [
            "2001:db8:aa:bb:cc:dd:192.0.2.7",
            "::ffff:192.0.2.1",
            "::192.0.2.33",
            "64:ff9b::198.51.100.9",
            "1:2:3:4:5::6.7.8.9",
        ] {
            assert_eq!(kinds(a), vec![Tok::Hid6(a.into()), Tok::Eof], "{a}");
        }
        assert_eq!(
            kinds("::ffff:10.0.0.0/104"),
            vec![
                Tok::Hid6("::ffff:10.0.0.0".into()),
                Tok::Punct('/'),
                Tok::Num(104),
                Tok::Eof
            ]
        );
        // Matched as an address by its form, refused by inet_pton6: flex's token, libpcap's
        // message.
        for (expr, tok) in [
            ("host fe80::256.20.30.40", "fe80::256.20.30.40"),
            ("host fe80::10.20.30.256", "fe80::10.20.30.256"),
            ("host ::01.2.3.4", "::01.2.3.4"),
            ("host ::0x1.2.3.4", "::0x1.2.3.4"),
        ] {
            let e = tokenize(expr).unwrap_err();
            assert_eq!(e.pos, 5, "{expr}");
            assert_eq!(e.msg, format!("bogus IPv6 address {tok}"), "{expr}");
        }
        // Seven groups then a dotted tail is no form: the eight-group one ends before the dot.
        assert_eq!(kinds("1:2:3:4:5:6:7:8")[0], Tok::Hid6("1:2:3:4:5:6:7:8".into()));
        assert!(tokenize("1:2:3:4:5:6:7:1.2.3.4")
            .unwrap_err()
            .msg
            .contains("unexpected character '.'"));
    }

    #[test]
    fn inet_pton6_is_glibcs() {
        let v = |s: &str| inet_pton6(s).map(std::net::Ipv6Addr::from);
        assert_eq!(v("::ffff:1.2.3.4"), Some("::ffff:1.2.3.4".parse().unwrap()));
        assert_eq!(
            v("1:2:3:4:5:6:1.2.3.4"),
            Some("1:2:3:4:5:6:102:304".parse().unwrap())
        );
        assert_eq!(v("::"), Some(std::net::Ipv6Addr::UNSPECIFIED));
        for bad in [
            "",
            ":",
            ":1::",
            "1:::2",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4::5:6:7:8",
            "1:",
            "::1.2.3",
            "::1.2.3.4.5",
            "::1.2.3.04",
            "::1.2.3.256",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::0x1.2.3.4",
            "::1.2.3.4:5",
        ] {
            assert_eq!(inet_pton6(bad), None, "{bad}");
        }
    }
}

//! Name resolution as libpcap does it: ports from /etc/services (TCP and UDP), IP protocols
//! from /etc/protocols, networks from /etc/networks, MAC addresses from /etc/ethers, hosts
//! through the system resolver; with built-in tables for the common names when a file is
//! missing.

use std::net::{IpAddr, ToSocketAddrs};

/// Services: name, port, and whether it is listed for tcp / udp.
const SERVICES: &[(&str, u16, bool, bool)] = &[
    ("tcpmux", 1, true, false),
    ("echo", 7, true, true),
    ("discard", 9, true, true),
    ("daytime", 13, true, true),
    ("ftp-data", 20, true, false),
    ("ftp", 21, true, false),
    ("ssh", 22, true, false),
    ("telnet", 23, true, false),
    ("smtp", 25, true, false),
    ("time", 37, true, true),
    ("whois", 43, true, false),
    ("tacacs", 49, true, true),
    ("domain", 53, true, true),
    ("bootps", 67, false, true),
    ("bootpc", 68, false, true),
    ("tftp", 69, false, true),
    ("gopher", 70, true, false),
    ("finger", 79, true, false),
    ("http", 80, true, false),
    ("www", 80, true, false),
    ("kerberos", 88, true, true),
    ("pop3", 110, true, false),
    ("sunrpc", 111, true, true),
    ("auth", 113, true, false),
    ("nntp", 119, true, false),
    ("ntp", 123, false, true),
    ("epmap", 135, true, false),
    ("netbios-ns", 137, false, true),
    ("netbios-dgm", 138, false, true),
    ("netbios-ssn", 139, true, false),
    ("imap2", 143, true, false),
    ("imap", 143, true, false),
    ("snmp", 161, true, true),
    ("snmp-trap", 162, true, true),
    ("bgp", 179, true, false),
    ("irc", 194, true, false),
    ("ldap", 389, true, false),
    ("https", 443, true, true),
    ("microsoft-ds", 445, true, false),
    ("isakmp", 500, false, true),
    ("syslog", 514, false, true),
    ("submission", 587, true, false),
    ("ldaps", 636, true, false),
    ("imaps", 993, true, false),
    ("pop3s", 995, true, false),
    ("openvpn", 1194, true, true),
    ("ms-sql-s", 1433, true, false),
    ("radius", 1812, true, true),
    ("nfs", 2049, true, true),
    ("mysql", 3306, true, false),
    ("postgresql", 5432, true, false),
    ("x11", 6000, true, false),
    ("http-alt", 8080, true, false),
];

/// IP protocols: name (and aliases) and number.
const PROTOCOLS: &[(&str, u32)] = &[
    ("ip", 0),
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ggp", 3),
    ("ipencap", 4),
    ("st", 5),
    ("tcp", 6),
    ("egp", 8),
    ("igp", 9),
    ("pup", 12),
    ("udp", 17),
    ("hmp", 20),
    ("xns-idp", 22),
    ("rdp", 27),
    ("iso-tp4", 29),
    ("dccp", 33),
    ("xtp", 36),
    ("ddp", 37),
    ("idpr-cmtp", 38),
    ("ipv6", 41),
    ("ipv6-route", 43),
    ("ipv6-frag", 44),
    ("idrp", 45),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("skip", 57),
    ("ipv6-icmp", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("rspf", 73),
    ("vmtp", 81),
    ("eigrp", 88),
    ("ospf", 89),
    ("ax.25", 93),
    ("ipip", 94),
    ("etherip", 97),
    ("encap", 98),
    ("pim", 103),
    ("ipcomp", 108),
    ("vrrp", 112),
    ("l2tp", 115),
    ("isis", 124),
    ("sctp", 132),
    ("fc", 133),
    ("mobility-header", 135),
    ("udplite", 136),
    ("mpls-in-ip", 137),
    ("manet", 138),
    ("hip", 139),
    ("shim6", 140),
    ("wesp", 141),
    ("rohc", 142),
    ("ethernet", 143),
];

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Lines of a services/protocols style file without comments, split on whitespace.
fn records(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().filter_map(|l| {
        let l = l.split('#').next().unwrap_or("");
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() >= 2 {
            Some(f)
        } else {
            None
        }
    })
}

/// The port of `name` for one transport protocol ("tcp" or "udp"), as getaddrinfo() finds it:
/// a decimal number, or a name or alias in /etc/services.
fn service(name: &str, proto: &str) -> Option<u16> {
    if !name.is_empty() && name.bytes().all(|c| c.is_ascii_digit()) {
        return name.parse::<u32>().ok().and_then(|p| u16::try_from(p).ok());
    }
    match read("/etc/services") {
        Some(text) => {
            for f in records(&text) {
                let Some((port, p)) = f[1].split_once('/') else {
                    continue;
                };
                if p != proto {
                    continue;
                }
                if f[0] == name || f[2..].contains(&name) {
                    return port.parse().ok();
                }
            }
            None
        }
        None => SERVICES
            .iter()
            .find(|(n, _, t, u)| *n == name && if proto == "tcp" { *t } else { *u })
            .map(|s| s.1),
    }
}

/// `pcap_nametoport`: the port and protocol (`None`: both TCP and UDP) of a service name.
pub fn port(name: &str) -> Option<(u32, Option<u32>)> {
    let tcp = service(name, "tcp");
    let udp = service(name, "udp");
    match (tcp, udp) {
        (Some(t), Some(u)) if t == u => Some((t.into(), None)),
        (Some(t), _) => Some((t.into(), Some(6))),
        (None, Some(u)) => Some((u.into(), Some(17))),
        (None, None) => None,
    }
}

/// C's `sscanf("%d")` on a prefix: optional sign, digits; returns the value and the rest.
fn scan_int(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits.bytes().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let v: i64 = digits[..n]
        .parse::<i64>()
        .unwrap_or(i64::MAX / 2)
        .min(i64::from(i32::MAX));
    Some((if neg { -v } else { v }, &digits[n..]))
}

/// `pcap_nametoportrange`: `N-M` or `name-name`; ports as signed numbers (checked by the
/// caller) and the protocol.
pub fn portrange(name: &str) -> Option<(i64, i64, Option<u32>)> {
    if let Some((p1, rest)) = scan_int(name) {
        if let Some(rest) = rest.strip_prefix('-') {
            if let Some((p2, _)) = scan_int(rest) {
                return Some((p1, p2, None));
            }
        }
    }
    let (a, b) = name.split_once('-')?;
    let (p1, proto1) = port(a)?;
    let (p2, proto2) = port(b)?;
    let proto = if proto1 == proto2 { proto2 } else { None };
    Some((p1.into(), p2.into(), proto))
}

/// `pcap_nametoproto`: an IP protocol number from /etc/protocols.
pub fn protocol(name: &str) -> Option<u32> {
    match read("/etc/protocols") {
        Some(text) => {
            for f in records(&text) {
                if f[0] == name || f[2..].contains(&name) {
                    return f[1].parse().ok();
                }
            }
            None
        }
        None => PROTOCOLS.iter().find(|(n, _)| *n == name).map(|p| p.1),
    }
}

/// `pcap_nametoeproto` then `pcap_nametollc`: Ethernet protocol names.
pub fn ether_protocol(name: &str) -> Option<u32> {
    Some(match name {
        "aarp" => 0x80f3,
        "arp" => 0x0806,
        "atalk" => 0x809b,
        "decnet" => 0x6003,
        "ip" => 0x0800,
        "ip6" => 0x86dd,
        "lat" => 0x6004,
        "loopback" => 0x9000,
        "mopdl" => 0x6001,
        "moprc" => 0x6002,
        "rarp" => 0x8035,
        "sca" => 0x6007,
        "iso" => 0xfe,
        "stp" => 0x42,
        "ipx" => 0xe0,
        "netbeui" => 0xf0,
        _ => return None,
    })
}

/// C's `isspace` in the C locale.
fn c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// `pcap_nametonetaddr`: the network number of `name` as glibc's `getnetbyname_r` (nss_files)
/// finds it in /etc/networks (0: unknown). The first line whose name or an alias equals `name`
/// ignoring ASCII case (`strcasecmp`), after cutting the line at `#`; its number as glibc
/// parses it ([`inet_network_padded`]), which may be `INADDR_NONE` (0xffffffff) for a number
/// glibc cannot read, or a line with a name only.
pub fn network(name: &str) -> u32 {
    read("/etc/networks").map_or(0, |text| network_in(&text, name))
}

/// [`network`] on the text of a networks file.
fn network_in(text: &str, name: &str) -> u32 {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut f = line.split(c_space).filter(|w| !w.is_empty());
        let Some(n) = f.next() else { continue };
        let addr = f.next().unwrap_or("");
        if n.eq_ignore_ascii_case(name) || f.any(|a| a.eq_ignore_ascii_case(name)) {
            return inet_network_padded(addr);
        }
    }
    0
}

/// nss_files' reading of a networks line's number: `.0` appended until there are four parts
/// (counting at most three dots), then glibc's `inet_network`: up to four parts of decimal, `0`
/// octal or `0x` hex digits (wrapping like its `u_int32_t`), each at most 255, trailing
/// whitespace allowed; anything else is `INADDR_NONE`.
pub fn inet_network_padded(addr: &str) -> u32 {
    const NONE: u32 = 0xffff_ffff;
    let dots = addr.bytes().filter(|&c| c == b'.').count().min(3);
    let mut s = addr.as_bytes().to_vec();
    for _ in dots + 1..4 {
        s.extend_from_slice(b".0");
    }
    let mut parts: Vec<u32> = Vec::with_capacity(4);
    let mut i = 0;
    loop {
        let mut val: u32 = 0;
        let mut base: u32 = 10;
        let mut digit = false;
        if s.get(i) == Some(&b'0') {
            digit = true;
            base = 8;
            i += 1;
        }
        if matches!(s.get(i), Some(b'x' | b'X')) {
            digit = false;
            base = 16;
            i += 1;
        }
        while let Some(&c) = s.get(i) {
            if c.is_ascii_digit() {
                if base == 8 && (c == b'8' || c == b'9') {
                    return NONE;
                }
                val = val.wrapping_mul(base).wrapping_add(u32::from(c - b'0'));
            } else if base == 16 && c.is_ascii_hexdigit() {
                val = (val << 4).wrapping_add(u32::from(c.to_ascii_lowercase() - b'a' + 10));
            } else {
                break;
            }
            i += 1;
            digit = true;
        }
        if !digit || parts.len() >= 4 || val > 0xff {
            return NONE;
        }
        parts.push(val);
        if s.get(i) == Some(&b'.') {
            i += 1;
            continue;
        }
        break;
    }
    if !s[i..].iter().all(|&c| c_space(c as char)) {
        return NONE;
    }
    parts.iter().fold(0, |v, &p| (v << 8) | p)
}

/// `pcap_ether_aton`: hex digits in pairs, separators `:`, `.`, `-` skipped.
pub fn ether_aton(s: &str) -> [u8; 6] {
    let b = s.as_bytes();
    let mut out = [0u8; 6];
    let mut i = 0;
    let mut n = 0;
    let x = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    while i < b.len() && n < 6 {
        if matches!(b[i], b':' | b'.' | b'-') {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        let mut d = x(c);
        i += 1;
        if b.get(i).is_some_and(|c| c.is_ascii_hexdigit()) {
            d = (d << 4) | x(b[i]);
            i += 1;
        }
        out[n] = d;
        n += 1;
    }
    out
}

/// `ether_hostton`: a MAC address from /etc/ethers (names compared ignoring case, as glibc's
/// files backend does).
pub fn ether_host(name: &str) -> Option<[u8; 6]> {
    let text = read("/etc/ethers")?;
    for f in records(&text) {
        if f[1].eq_ignore_ascii_case(name) {
            let parts: Vec<&str> = f[0].split(':').collect();
            if parts.len() == 6 {
                let mut mac = [0u8; 6];
                for (m, p) in mac.iter_mut().zip(parts) {
                    *m = u8::from_str_radix(p, 16).ok()?;
                }
                return Some(mac);
            }
        }
    }
    None
}

/// `pcap_nametoaddrinfo`: the addresses of a host name, in the resolver's order.
pub fn host(name: &str) -> Vec<IpAddr> {
    // Unit tests never ask a DNS server: only names /etc/hosts has go to the resolver.
    #[cfg(test)]
    if !std::fs::read_to_string("/etc/hosts").is_ok_and(|t| {
        t.lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .any(|l| l.split_whitespace().skip(1).any(|h| h == name))
    }) {
        return Vec::new();
    }
    match (name, 0u16).to_socket_addrs() {
        Ok(it) => {
            let mut v: Vec<IpAddr> = Vec::new();
            for a in it {
                v.push(a.ip());
            }
            v
        }
        Err(_) => Vec::new(),
    }
}

/// The address byte libpcap 1.10.3 makes of an ARCnet address `$N` (`N` without the `$`):
/// `gen_acode` hands the token with its `$` to `pcap_ether_aton`, whose `xdtoi('$')` is -19,
/// so the first byte is `0xd0 | N's first hex digit` (`$21` is 0xd2, `$e` 0xde, `$0e` 0xd0),
/// and `gen_ahostop` compares that byte only.
pub(super) fn arcnet_aton(s: &str) -> u8 {
    let d = s
        .bytes()
        .next()
        .and_then(|c| (c as char).to_digit(16))
        .unwrap_or(0) as u8;
    0xd0 | d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_as_glibc_reads_them() {
        let text = "# test\nlab-net 192.168.0.0 LabNet lab\nOffice-Net\t172.16   officenet\n\
                    tiny 10\njustname\n  indented 10.1.0.0\nhexnet 0x0a.0x14.0.0 # comment\n\
                    badnet 10.08.0.0\nfivepart 1.2.3.4.5\nzero 0.0.0.0\ndup 10.2.0.0\nDUP 10.3.0.0\n";
        for (name, net) in [
            ("lab-net", 0xc0a8_0000),
            ("LAB-NET", 0xc0a8_0000),
            ("labnet", 0xc0a8_0000),
            ("LAB", 0xc0a8_0000),
            ("office-net", 0xac10_0000),
            ("OFFICENET", 0xac10_0000),
            ("tiny", 0x0a00_0000),
            ("JUSTNAME", 0xffff_ffff),
            ("indented", 0x0a01_0000),
            ("hexnet", 0x0a14_0000),
            ("comment", 0),
            ("badnet", 0xffff_ffff),
            ("fivepart", 0xffff_ffff),
            ("zero", 0),
            ("Dup", 0x0a02_0000),
            ("nosuch", 0),
        ] {
            assert_eq!(network_in(text, name), net, "{name}");
        }
        for (addr, net) in [
            ("10", 0x0a00_0000),
            ("10.20", 0x0a14_0000),
            ("012.0x1F.7", 0x0a1f_0700),
            ("", 0xffff_ffff),
            ("10.", 0xffff_ffff),
            ("256", 0xffff_ffff),
            ("0x", 0xffff_ffff),
            ("4294967306", 0x0a00_0000),
        ] {
            assert_eq!(inet_network_padded(addr), net, "{addr}");
        }
    }

    #[test]
    fn ports_and_protocols() {
        assert_eq!(port("http"), Some((80, Some(6))).or(port("http")));
        assert_eq!(port("domain").map(|p| p.0), Some(53));
        assert_eq!(port("no-such-service-xyz"), None);
        assert_eq!(portrange("1-1024"), Some((1, 1024, None)));
        assert_eq!(portrange("1--5").map(|p| p.1), Some(-5));
        assert_eq!(protocol("tcp"), Some(6));
        assert_eq!(protocol("udp"), Some(17));
        assert_eq!(ether_protocol("ip6"), Some(0x86dd));
        assert_eq!(ether_aton("00:1a:2B:3c:4d:5e"), [0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
        assert_eq!(ether_aton("001a.2b3c.4d5e"), [0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
        assert_eq!(ether_aton("1-2-3-4-5-6"), [1, 2, 3, 4, 5, 6]);
    }
}

//! Tests of the compiler: parsing, errors, the meaning of programs on hand-built packets, a
//! property test over random expressions, and (opt-in) a comparison with libpcap.

use super::*;
use crate::{op, run, validate, Meta};

fn prog(expr: &str, lt: u16, flags: Flags) -> Vec<Insn> {
    let p = compile(expr, lt, 0, flags).unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert_eq!(validate(&p), Ok(()), "{expr}");
    p
}

const OFF: Flags = Flags {
    optimize: false,
    live: false,
    savefile: false,
    swapped: false,
};
const OPT: Flags = Flags {
    optimize: true,
    live: false,
    savefile: false,
    swapped: false,
};

/// Runs `expr` (both unoptimized and optimized) on a packet and checks they agree.
fn matches_lt(expr: &str, lt: u16, pkt: &[u8]) -> bool {
    let meta = Meta {
        len: pkt.len() as u32,
        ..Meta::default()
    };
    let a = run(&prog(expr, lt, OFF), pkt, &meta);
    let b = run(&prog(expr, lt, OPT), pkt, &meta);
    assert_eq!(a, b, "{expr}: unoptimized {a}, optimized {b}");
    assert!(a == 0 || a == DEFAULT_SNAPLEN);
    a != 0
}

fn matches(expr: &str, pkt: &[u8]) -> bool {
    matches_lt(expr, DLT_EN10MB, pkt)
}

// ---- packet builders ----

pub(super) fn csum_free_ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8], frag: u16) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 0, 0, 1];
    ip.extend((frag).to_be_bytes());
    ip.extend([64, proto, 0, 0]);
    ip.extend(src);
    ip.extend(dst);
    let total = (ip.len() + payload.len()) as u16;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend(payload);
    ip
}

pub(super) fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend((payload.len() as u16).to_be_bytes());
    ip.extend([next, 64]);
    ip.extend(src);
    ip.extend(dst);
    ip.extend(payload);
    ip
}

pub(super) fn l4(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend([0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t
}

pub(super) fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    f.extend(ethertype.to_be_bytes());
    f.extend(payload);
    f
}

fn vlan(tpid: u16, vid: u16, inner: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    f.extend(tpid.to_be_bytes());
    f.extend(vid.to_be_bytes());
    f.extend(inner.to_be_bytes());
    f.extend(payload);
    f
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [192, 168, 1, 2];

fn tcp4(sport: u16, dport: u16) -> Vec<u8> {
    eth(0x0800, &csum_free_ipv4(6, A, B, &l4(sport, dport, 0x02), 0))
}
fn udp4(sport: u16, dport: u16) -> Vec<u8> {
    eth(0x0800, &csum_free_ipv4(17, A, B, &l4(sport, dport, 0), 0))
}
fn v6addr(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    a
}
fn tcp6(sport: u16, dport: u16) -> Vec<u8> {
    eth(0x86dd, &ipv6(6, v6addr(1), v6addr(2), &l4(sport, dport, 0x12)))
}

// ---- parsing and meaning ----

#[test]
fn primitives_on_packets() {
    let t = tcp4(1234, 80);
    let u = udp4(53, 4000);
    let t6 = tcp6(443, 5555);
    assert!(matches("tcp port 80", &t));
    assert!(!matches("tcp port 80", &u));
    assert!(matches("port 80", &t));
    assert!(matches("udp port 53", &u));
    assert!(matches("udp src port 53", &u));
    assert!(!matches("udp dst port 53", &u));
    assert!(matches("tcp port 443", &t6));
    assert!(matches("ip6 and tcp", &t6));
    assert!(!matches("ip", &t6));
    assert!(matches("host 10.0.0.1", &t));
    assert!(matches("src host 10.0.0.1", &t));
    assert!(!matches("dst host 10.0.0.1", &t));
    assert!(matches("dst net 192.168.0.0/16", &t));
    assert!(matches("net 192.168.1.0 mask 255.255.255.0", &t));
    assert!(matches("net 10", &t));
    assert!(matches("host 2001:db8::1", &t6));
    assert!(matches("net 2001:db8::/32", &t6));
    assert!(!matches("host 2001:db8::3", &t6));
    assert!(matches("ether src 02:00:00:00:00:01", &t));
    assert!(matches("ether host 02:00:00:00:00:02", &t));
    assert!(!matches("ether dst 02:00:00:00:00:01", &t));
    assert!(matches("ether proto 0x0800", &t));
    assert!(matches("ip proto 6", &t));
    assert!(matches("ip proto \\tcp", &t));
    assert!(matches("proto 17", &u));
    assert!(matches("ether proto \\ip6", &t6));
    assert!(matches("tcp[tcpflags] & tcp-syn != 0", &t));
    assert!(matches("tcp[13] = 2", &t));
    assert!(matches("ip[0] & 0xf = 5", &t));
    assert!(matches("ether[12:2] = 0x800", &t));
    assert!(matches("len >= 54 and len <= 54", &t));
    assert!(matches("greater 54 and less 54", &t));
    assert!(!matches("greater 55", &t));
    assert!(matches("portrange 70-90", &t));
    assert!(matches("tcp portrange 79-80", &t));
    assert!(!matches("udp portrange 70-90", &t));
    assert!(matches("not udp", &t));
    assert!(matches("! udp && tcp || icmp", &t));
    assert!(matches("tcp and (port 80 or port 443)", &t));
    assert!(matches("tcp port 80 or 443", &t6));
    assert!(matches("tcp port 22 and not 80 or tcp", &t));
    assert!(matches("host 10.0.0.1 and 192.168.1.2", &t));
    assert!(!matches("host 10.0.0.1 and 192.168.1.3", &t));
    assert!(matches("ether broadcast or ip", &t));
    assert!(matches("ip multicast or tcp", &t));
    assert!(matches("ip[2:2] = len - 14", &t));
    assert!(matches(
        "2 + 3 * 4 = 14 and 14 - 2 - 2 = 10 and 16 / 2 / 2 = 4",
        &t
    ));
    assert!(matches(
        "1 << 3 = 8 and 0x10 >> 4 = 1 and 6 & 3 = 2 and 6 | 1 = 7 and 6 ^ 3 = 5",
        &t
    ));
    assert!(matches("-1 = 0xffffffff and 7 % 4 = 3", &t));
    // libpcap: % and ^ take everything to their right.
    assert!(matches("7 % 3 + 1 = 3", &t));
    assert!(matches("1 + 6 ^ 1 = 8", &t));
}

#[test]
fn vlan_mpls_pppoe_shift_offsets() {
    let inner = csum_free_ipv4(17, A, B, &l4(53, 53, 0), 0);
    let v = vlan(0x8100, 100, 0x0800, &inner);
    assert!(matches("vlan 100 and udp port 53", &v));
    assert!(matches("vlan and ip", &v));
    assert!(!matches("vlan 101", &v));
    assert!(!matches("ip", &v));
    // The tests contradict each other (vlan looks at the same type field): libpcap's
    // optimizer says so.
    assert!(compile("udp port 53 and vlan", DLT_EN10MB, 0, OPT)
        .unwrap_err()
        .msg
        .contains("rejects all packets"));
    assert_eq!(
        run(
            &prog("udp port 53 and vlan", DLT_EN10MB, OFF),
            &v,
            &Meta::default()
        ),
        0
    );
    let mut q = vec![
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xa8, 0, 200, 0x81, 0, 0, 100, 0x08, 0,
    ];
    q.extend(&inner);
    assert!(matches("vlan 200 and vlan 100 and udp", &q));
    assert!(!matches("vlan 100 and vlan 200", &q));
    let mut m = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0x47];
    m.extend([0, 0x01, 0x41, 0x40]); // label 20, bottom of stack
    m.extend(&inner);
    assert!(matches("mpls 20 and ip and udp port 53", &m));
    assert!(!matches("mpls 21", &m));
    let mut p = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0x64];
    p.extend([0x11, 0, 0x12, 0x34, 0, 0, 0x00, 0x21]);
    p.extend(&inner);
    assert!(matches("pppoes 0x1234 and ip and udp port 53", &p));
    assert!(matches("pppoes and host 10.0.0.1", &p));
    assert!(!matches("pppoes 1", &p));
}

#[test]
fn fragments_do_not_match_ports() {
    let f = eth(0x0800, &csum_free_ipv4(6, A, B, &l4(1, 80, 0), 0x0001));
    assert!(!matches("tcp port 80", &f));
    assert!(matches("tcp", &f));
    let first = eth(0x0800, &csum_free_ipv4(6, A, B, &l4(1, 80, 0), 0x2000));
    assert!(matches("tcp port 80", &first));
}

#[test]
fn or_chains_test_one_field_after_the_other_like_libpcap() {
    // libpcap's or_pullup: `port 80 or 443` tests the source port against both values before
    // loading the destination port, so a packet cut after the source port passes when that
    // matches, and `host A or B` likewise.
    let run_on = |expr: &str, pkt: &[u8], flags: Flags| {
        let meta = Meta {
            len: pkt.len() as u32 + 100,
            ..Meta::default()
        };
        run(&prog(expr, DLT_EN10MB, flags), pkt, &meta)
    };
    let full = tcp4(443, 1000);
    let cut = &full[..14 + 20 + 2]; // up to the source port
    assert!(matches("port 80 or 443", &full));
    assert_eq!(run_on("port 80 or 443", cut, OPT), DEFAULT_SNAPLEN);
    assert_eq!(run_on("port 80 or 443", cut, OFF), 0);
    let full = eth(0x0800, &csum_free_ipv4(6, B, A, &l4(1, 2, 0), 0));
    let cut = &full[..14 + 16]; // up to the source address
    assert!(matches("host 10.0.0.1 or 192.168.1.2", &full));
    assert_eq!(run_on("host 10.0.0.1 or 192.168.1.2", cut, OPT), DEFAULT_SNAPLEN);
    assert_eq!(run_on("host 10.0.0.1 or 192.168.1.2", cut, OFF), 0);
    // Both ports of each family are loaded once: libpcap's 27 instructions.
    let p = prog("port 80 or 443", DLT_EN10MB, OPT);
    assert_eq!(p.len(), 27);
    let loads = |k: u32| {
        p.iter()
            .filter(|i| i.code == crate::op::LD_H_ABS && i.k == k)
            .count()
    };
    assert_eq!((loads(54), loads(56)), (1, 1));
    // A chain keeps its meaning on whole packets.
    let chain = "port 1 or port 2 or port 3 or port 22 or port 53 or port 80";
    for (s, d) in [(1, 9), (9, 1), (9, 80), (53, 9), (9, 9), (80, 80)] {
        let want = [1, 2, 3, 22, 53, 80].contains(&s) || [1, 2, 3, 22, 53, 80].contains(&d);
        assert_eq!(matches(chain, &tcp4(s, d)), want, "{s} {d}");
        assert_eq!(matches(chain, &tcp6(s, d)), want, "{s} {d}");
        assert_eq!(matches(chain, &udp4(s, d)), want, "{s} {d}");
    }
    assert!(matches("tcp and (port 80 or port 443)", &tcp6(1, 443)));
    assert!(!matches("tcp and (port 80 or port 443)", &udp4(1, 443)));
    assert!(matches(
        "port 22 and (host 10.0.0.1 or host 10.0.0.2)",
        &tcp4(22, 5)
    ));
    assert!(!matches(
        "port 22 and (host 10.0.0.3 or host 10.0.0.2)",
        &tcp4(22, 5)
    ));
}

#[test]
fn optimized_programs_are_libpcaps() {
    // libpcap 1.10.3's optimized programs (EN10MB, `pcap_compile` with optimize on), as
    // (code, jt, jf, k): our optimizer takes the same decisions, so the programs are the same,
    // down to the loads a truncated packet fails on (`tcp[0:2]` is still loaded in the first).
    type Prog = &'static [(u16, u8, u8, u32)];
    let cases: [(&str, Prog); 4] = [
        (
            "not tcp[0:2] = 80 or port 80",
            &[
                (40, 0, 0, 12),
                (21, 0, 11, 2048),
                (48, 0, 0, 23),
                (21, 0, 9, 6),
                (40, 0, 0, 20),
                (69, 7, 0, 8191),
                (177, 0, 0, 14),
                (72, 0, 0, 14),
                (21, 0, 4, 80),
                (21, 3, 0, 80),
                (72, 0, 0, 16),
                (21, 1, 0, 80),
                (6, 0, 0, 0),
                (6, 0, 0, 262144),
            ],
        ),
        (
            "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
            &[
                (40, 0, 0, 12),
                (21, 0, 9, 2048),
                (48, 0, 0, 23),
                (21, 0, 7, 6),
                (40, 0, 0, 20),
                (69, 5, 0, 8191),
                (177, 0, 0, 14),
                (80, 0, 0, 27),
                (84, 0, 0, 18),
                (21, 0, 1, 2),
                (6, 0, 0, 262144),
                (6, 0, 0, 0),
            ],
        ),
        (
            "len = ip[2:2] + 14",
            &[
                (40, 0, 0, 12),
                (21, 0, 8, 2048),
                (128, 0, 0, 0),
                (2, 0, 0, 0),
                (40, 0, 0, 16),
                (4, 0, 0, 14),
                (7, 0, 0, 3),
                (96, 0, 0, 0),
                (29, 0, 1, 0),
                (6, 0, 0, 262144),
                (6, 0, 0, 0),
            ],
        ),
        (
            "-ip[0] + ip[0] = 0",
            &[
                (40, 0, 0, 12),
                (21, 0, 9, 2048),
                (48, 0, 0, 14),
                (132, 0, 0, 0),
                (2, 0, 0, 1),
                (48, 0, 0, 14),
                (7, 0, 0, 3),
                (96, 0, 0, 1),
                (12, 0, 0, 0),
                (21, 0, 1, 0),
                (6, 0, 0, 262144),
                (6, 0, 0, 0),
            ],
        ),
    ];
    for (expr, want) in cases {
        let got: Vec<(u16, u8, u8, u32)> = prog(expr, DLT_EN10MB, OPT)
            .iter()
            .map(|i| (i.code, i.jt, i.jf, i.k))
            .collect();
        assert_eq!(got, want, "{expr}");
    }
}

#[test]
fn other_link_types() {
    let ip4 = csum_free_ipv4(6, A, B, &l4(1, 80, 0), 0);
    assert!(matches_lt("tcp port 80 and host 10.0.0.1", DLT_RAW, &ip4));
    assert!(matches_lt("ip", LINKTYPE_RAW, &ip4));
    assert!(!matches_lt("ip6 or arp", DLT_RAW, &ip4));
    let mut sll = vec![0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0];
    sll.extend(&ip4);
    assert!(matches_lt("tcp port 80 and outbound", DLT_LINUX_SLL, &sll));
    assert!(!matches_lt("inbound", DLT_LINUX_SLL, &sll));
    let mut sll2 = vec![0x08, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    sll2.extend(&ip4);
    assert!(matches_lt(
        "tcp dst port 80 and ifindex 7 and inbound",
        DLT_LINUX_SLL2,
        &sll2
    ));
    assert!(compile("vlan", DLT_LINUX_SLL, 0, OFF).is_err());
    assert!(compile("tcp", 9999, 0, OFF).is_err());
}

#[test]
fn live_form_uses_ancillary_loads() {
    let live = Flags {
        optimize: true,
        live: true,
        savefile: false,
        swapped: false,
    };
    let t = tcp4(1, 80);
    let p = prog("inbound", DLT_EN10MB, live);
    let meta = |pkttype: u8| Meta {
        len: t.len() as u32,
        pkttype,
        ..Meta::default()
    };
    assert_ne!(run(&p, &t, &meta(0)), 0);
    assert_eq!(run(&p, &t, &meta(4)), 0);
    // Offline (libpcap's dead handle on Linux): the same ancillary loads; `ifindex` too.
    assert_eq!(
        prog("inbound", DLT_EN10MB, OFF),
        prog(
            "inbound",
            DLT_EN10MB,
            Flags {
                optimize: false,
                live: true,
                savefile: false,
                swapped: false,
            }
        )
    );
    let p = prog("ifindex 3 and inbound", DLT_RAW, OFF);
    let m = |ifindex: i32, pkttype: u8| Meta {
        len: t.len() as u32 - 14,
        ifindex,
        pkttype,
        ..Meta::default()
    };
    assert_ne!(run(&p, &t[14..], &m(3, 0)), 0);
    assert_eq!(run(&p, &t[14..], &m(3, 4)), 0);
    assert_eq!(run(&p, &t[14..], &m(2, 0)), 0);
    // The kernel stripped the tag: metadata says vlan 100, the bytes are untagged.
    let p = prog("vlan 100 and tcp port 80", DLT_EN10MB, live);
    let tagged = Meta {
        len: t.len() as u32,
        vlan_present: true,
        vlan_tci: 100,
        vlan_tpid: 0x8100,
        ..Meta::default()
    };
    assert_ne!(run(&p, &t, &tagged), 0);
    assert_eq!(
        run(
            &p,
            &t,
            &Meta {
                vlan_tci: 101,
                ..tagged
            }
        ),
        0
    );
    assert_eq!(
        run(
            &p,
            &t,
            &Meta {
                vlan_present: false,
                ..tagged
            }
        ),
        0
    );
    // An inner tag left in the bytes (QinQ) is found there.
    let inner = csum_free_ipv4(6, A, B, &l4(1, 80, 0), 0);
    let v = vlan(0x8100, 100, 0x0800, &inner);
    assert_ne!(
        run(
            &p,
            &v,
            &Meta {
                len: v.len() as u32,
                ..Meta::default()
            }
        ),
        0
    );
    // Cooked live: the packet starts at the network header.
    let p = prog("tcp port 80 and inbound", DLT_LINUX_SLL2, live);
    let m = Meta {
        len: inner.len() as u32,
        protocol: 0x0800,
        ..Meta::default()
    };
    assert_ne!(run(&p, &inner, &m), 0);
    assert_eq!(run(&p, &inner, &Meta { pkttype: 4, ..m }), 0);
    assert!(compile("ether[0] = 1", DLT_LINUX_SLL, 0, live).is_err());
}

#[test]
fn geneve_registers_are_set_only_where_read_first() {
    // `geneve` writes its offset registers before reading them: nothing to initialise.
    let p = prog("geneve", DLT_EN10MB, OPT);
    assert!(!p.iter().take(2).any(|i| i.code == op::ST), "{p:?}");
    // After a failed `geneve` the `ip6` test reads the link type offset register (libpcap
    // reads it uninitialised): only that one starts at 0.
    let p = prog("geneve or ip6", DLT_EN10MB, OPT);
    assert_eq!(p[0], Insn::stmt(op::LD_IMM, 0));
    assert_eq!(p[1].code, op::ST);
    assert_ne!(p[2].code, op::ST);
    let direct = [
        Insn::stmt(op::LDX_MEM, 3),
        Insn::stmt(op::ST, 3),
        Insn::stmt(op::LD_MEM, 3),
        Insn::stmt(op::RET_A, 0),
    ];
    assert_eq!(
        super::gen::init_before_read(&direct),
        vec![Insn::stmt(op::LD_IMM, 0), Insn::stmt(op::ST, 3)]
    );
    assert!(super::gen::init_before_read(&direct[1..]).is_empty());
}

#[test]
fn errors_have_positions() {
    let cases: &[(&str, usize)] = &[
        ("tcp port", 8),
        ("host", 4),
        ("tcp and", 7),
        ("(tcp", 4),
        ("tcp)", 3),
        ("port 80 and 443 bar", 16),
        ("port 80 and foo", 12),
        ("ip[0] = ", 8),
        ("ip[0:3] = 1", 0),
        ("tcp port 70000", 9),
        ("ip[0] / 0 = 1", 6),
        ("ip[0] >> 32 = 1", 6),
        ("net 10.0.0.1/8", 4),
        ("vlan 5000", 0),
        ("gateway foo", 8),
        ("decnet host foo", 12),
        ("decnet host 0x10.5", 12),
        ("llc foo", 4),
        ("tcp @", 4),
        ("tcp or 80", 7),
        ("host 10.0.0.1 mask 255.0.0.0", 5),
        ("ether host 1.2.3.4", 11),
        ("ip6 host 1.2.3.4", 9),
        ("tcp host 1.2.3.4", 9),
        ("arp proto 1", 10),
        ("port 1-2", 5),
    ];
    for (expr, pos) in cases {
        let e = compile(expr, DLT_EN10MB, 0, OFF).expect_err(expr);
        assert_eq!(e.pos, *pos, "{expr}: {e}");
        assert!(e.to_string().starts_with(&format!("position {pos}: ")), "{e}");
    }
}

#[test]
fn empty_expression_accepts_all() {
    assert_eq!(
        compile("", DLT_EN10MB, 96, OFF).unwrap(),
        vec![Insn::stmt(crate::op::RET_K, 96)]
    );
    assert_eq!(
        compile("  ", DLT_EN10MB, 0, OPT).unwrap(),
        vec![Insn::stmt(crate::op::RET_K, DEFAULT_SNAPLEN)]
    );
}

#[test]
fn snaplen_is_the_accept_value() {
    let t = tcp4(1, 80);
    let p = compile("tcp", DLT_EN10MB, 100, OPT).unwrap();
    assert_eq!(run(&p, &t, &Meta::default()), 100);
}

#[test]
fn long_programs_are_refused() {
    let big: Vec<String> = (0..600)
        .map(|i| format!("host 10.0.{}.{}", i / 256, i % 256))
        .collect();
    let e = compile(&big.join(" or "), DLT_EN10MB, 0, OFF).unwrap_err();
    assert!(e.msg.contains("too long"), "{e}");
    assert!(e.is_too_long(), "{e}");
    assert!(!compile("tcp and", DLT_EN10MB, 0, OFF).unwrap_err().is_too_long());
    assert!(matches!(
        compile_inner(&big.join(" or "), DLT_EN10MB, 0, OFF, u32::MAX),
        Err(Failure::TooLong(_))
    ));
}

// ---- a property test: random and mutated expressions never panic, programs always validate ----

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "tcp",
    "udp",
    "icmp",
    "ip",
    "ip6",
    "arp",
    "rarp",
    "ether",
    "host",
    "net",
    "port",
    "portrange",
    "src",
    "dst",
    "and",
    "or",
    "not",
    "!",
    "&&",
    "||",
    "(",
    ")",
    "[",
    "]",
    ":",
    "=",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "0",
    "1",
    "2",
    "4",
    "80",
    "0x10",
    "017",
    "10.0.0.1",
    "10.1",
    "10.0.0.0/8",
    "::1",
    "fe80::/10",
    "aa:bb:cc:dd:ee:ff",
    "vlan",
    "mpls",
    "pppoes",
    "pppoed",
    "geneve",
    "len",
    "less",
    "greater",
    "proto",
    "protochain",
    "broadcast",
    "multicast",
    "inbound",
    "outbound",
    "ifindex",
    "tcpflags",
    "tcp-syn",
    "icmptype",
    "icmp-echo",
    "http",
    "domain",
    "1-1024",
    "mask",
    "255.0.0.0",
    "sctp",
    "igmp",
    "pim",
    "vrrp",
    "ah",
    "esp",
    "icmp6",
    "\\tcp",
    "gateway",
    "byte",
    "localhost",
];

#[test]
fn random_expressions_never_panic_and_always_validate() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let lts = [DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_LINUX_SLL2];
    let mut ok = 0;
    for i in 0..3000 {
        let n = 1 + (rng.next() % 12) as usize;
        let mut e: Vec<&str> = (0..n).map(|_| rng.pick(WORDS)).collect();
        if i % 3 == 0 {
            // Start from something valid and mutate it.
            e = vec![
                "tcp", "port", "80", "and", "(", "host", "10.0.0.1", "or", "vlan", "100", ")",
            ];
            let k = (rng.next() % e.len() as u64) as usize;
            e[k] = rng.pick(WORDS);
        }
        let expr = e.join(if i % 2 == 0 { " " } else { "" });
        let lt = lts[(rng.next() % 4) as usize];
        for flags in [
            OFF,
            OPT,
            Flags {
                optimize: true,
                live: true,
                savefile: false,
                swapped: false,
            },
            Flags {
                optimize: false,
                live: true,
                savefile: false,
                swapped: false,
            },
        ] {
            match compile(&expr, lt, 0, flags) {
                Ok(p) => {
                    assert_eq!(validate(&p), Ok(()), "{expr}");
                    ok += 1;
                }
                Err(err) => assert!(err.pos <= expr.len(), "{expr}: {err}"),
            }
        }
    }
    assert!(ok > 150, "only {ok} programs compiled");
}

/// Random bytes in every position: still no panic.
#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let n = (rng.next() % 40) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() % 128) as u8).collect();
        let s = String::from_utf8_lossy(&bytes);
        let _ = compile(&s, DLT_EN10MB, 0, OPT);
    }
}

// ---- comparison with libpcap (opt-in: PKT_REF_BPF=/path/to/tool) ----

/// Packets for comparisons: many protocols, with truncated copies.
pub(super) fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let addrs4 = [A, B, [10, 0, 0, 2], [224, 0, 0, 1], [255, 255, 255, 255]];
    for (i, &src) in addrs4.iter().enumerate() {
        let dst = addrs4[(i + 1) % addrs4.len()];
        for (proto, ports) in [
            (6u8, (80u16, 1234u16)),
            (17, (53, 53)),
            (132, (80, 9)),
            (6, (22, 443)),
            (17, (6081, 6081)),
        ] {
            for frag in [0u16, 0x2000, 0x0005] {
                let ip = csum_free_ipv4(proto, src, dst, &l4(ports.0, ports.1, 0x12), frag);
                out.push(eth(0x0800, &ip));
                out.push(vlan(0x8100, 100, 0x0800, &ip));
            }
        }
        out.push(eth(
            0x0800,
            &csum_free_ipv4(1, src, dst, &[8, 0, 0, 0, 0, 1, 0, 1], 0),
        ));
        out.push(eth(
            0x0800,
            &csum_free_ipv4(2, src, dst, &[0x11, 0, 0, 0, 224, 0, 0, 1], 0),
        ));
    }
    for (next, payload) in [
        (6u8, l4(443, 80, 2)),
        (17, l4(53, 5353, 0)),
        (58, vec![128, 0, 0, 0, 0, 1, 0, 1]),
        (44, {
            let mut f = vec![6, 0, 0, 0, 0, 0, 0, 1];
            f.extend(l4(80, 80, 2));
            f
        }),
    ] {
        let ip = ipv6(next, v6addr(1), v6addr(2), &payload);
        out.push(eth(0x86dd, &ip));
        let mut m = v6addr(2);
        m[0] = 0xff;
        out.push(eth(0x86dd, &ipv6(next, v6addr(1), m, &payload)));
    }
    let arp = [
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 192, 168, 1, 2,
    ];
    out.push(eth(0x0806, &arp));
    out.push(eth(0x8035, &arp));
    let mut bc = eth(0x0806, &arp);
    bc[..6].copy_from_slice(&[0xff; 6]);
    out.push(bc);
    let ip = csum_free_ipv4(17, A, B, &l4(53, 53, 0), 0);
    let mut q = vec![
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xa8, 0, 200, 0x81, 0, 0, 100, 0x08, 0,
    ];
    q.extend(&ip);
    out.push(q);
    let mut m = eth(0x8847, &[0, 0x01, 0x41, 0x40]);
    m.extend(&ip);
    out.push(m);
    let mut p = eth(0x8864, &[0x11, 0, 0x12, 0x34, 0, 0, 0x00, 0x21]);
    p.extend(&ip);
    out.push(p);
    out.push(eth(0x8863, &[0x11, 9, 0, 0, 0, 0]));
    out.push(eth(0x0005, &[0x06, 0x06, 3, 0, 0, 0]));
    out.push(eth(0x88b5, b"pkT!0000"));
    // Geneve carrying Ethernet.
    let mut gen = vec![0, 0, 0x65, 0x58, 0, 0, 0x2a, 0];
    gen.extend(eth(0x0800, &csum_free_ipv4(6, A, B, &l4(1, 80, 2), 0)));
    let mut u = l4(1000, 6081, 0)[..8].to_vec();
    u.extend(gen);
    out.push(eth(0x0800, &csum_free_ipv4(17, A, B, &u, 0)));
    let n = out.len();
    for i in 0..n {
        for cut in [1usize, 14, 20, 30, 40] {
            if out[i].len() > cut {
                out.push(out[i][..out[i].len() - cut].to_vec());
            }
        }
    }
    out
}

/// Strips a link-layer header for the raw and cooked link types.
fn relink(pkt: &[u8], lt: u16) -> Option<Vec<u8>> {
    if pkt.len() < 14 {
        return None;
    }
    let et = [pkt[12], pkt[13]];
    match lt {
        DLT_EN10MB => Some(pkt.to_vec()),
        DLT_RAW => Some(pkt[14..].to_vec()),
        DLT_LINUX_SLL => {
            let mut v = vec![0, 4, 0, 1, 0, 6];
            v.extend(&pkt[6..12]);
            v.extend([0, 0]);
            v.extend(et);
            v.extend(&pkt[14..]);
            Some(v)
        }
        _ => {
            let mut v = et.to_vec();
            v.extend([0, 0, 0, 0, 0, 3, 0, 1, 0, 6]);
            v.extend(&pkt[6..12]);
            v.extend([0, 0]);
            v.extend(&pkt[14..]);
            Some(v)
        }
    }
}

#[test]
#[ignore = "needs PKT_REF_BPF (a pcap_compile wrapper printing -ddd) and PKT_REF_EXPRS"]
fn compare_with_libpcap() {
    let Some(tool) = std::env::var_os("PKT_REF_BPF") else {
        return;
    };
    let exprs = std::fs::read_to_string(std::env::var("PKT_REF_EXPRS").expect("PKT_REF_EXPRS")).unwrap();
    let pkts = corpus();
    let mut fails = 0;
    let mut ours_total = [0usize; 2];
    let mut theirs_total = [0usize; 2];
    for line in exprs
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        for lt in [DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_LINUX_SLL2] {
            for (oi, opt) in [false, true].into_iter().enumerate() {
                let mut cmd = std::process::Command::new(&tool);
                if opt {
                    cmd.arg("-O");
                }
                let out = cmd
                    .args(["-y", &lt.to_string(), "-ddd", "--", line])
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                let ours = compile(
                    line,
                    lt,
                    0,
                    Flags {
                        optimize: opt,
                        live: false,
                        savefile: false,
                        swapped: false,
                    },
                );
                if text.starts_with("ERR") {
                    if let Ok(p) = ours {
                        eprintln!(
                            "ACCEPTED BY US ONLY lt={lt} opt={opt}: {line} ({} insns) libpcap: {}",
                            p.len(),
                            text.trim()
                        );
                        fails += 1;
                    }
                    continue;
                }
                let theirs: Vec<Insn> = text
                    .lines()
                    .skip(1)
                    .map(|l| {
                        let v: Vec<u32> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
                        Insn::jump(v[0] as u16, v[3], v[1] as u8, v[2] as u8)
                    })
                    .collect();
                let ours = match ours {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("REJECTED BY US ONLY lt={lt} opt={opt}: {line}: {e}");
                        fails += 1;
                        continue;
                    }
                };
                ours_total[oi] += ours.len();
                theirs_total[oi] += theirs.len();
                if opt && ours.len() > theirs.len() {
                    eprintln!(
                        "LONGER lt={lt}: {line}: ours {} libpcap {}",
                        ours.len(),
                        theirs.len()
                    );
                }
                for p in &pkts {
                    let Some(p) = relink(p, lt) else { continue };
                    let m = Meta {
                        len: p.len() as u32,
                        ..Meta::default()
                    };
                    let (a, b) = (run(&ours, &p, &m), run(&theirs, &p, &m));
                    if a != b {
                        eprintln!("DIFF lt={lt} opt={opt}: {line}: ours {a} libpcap {b} on {p:02x?}");
                        fails += 1;
                        break;
                    }
                }
            }
        }
    }
    eprintln!(
        "instructions: unoptimized ours {} libpcap {}; optimized ours {} libpcap {}",
        ours_total[0], theirs_total[0], ours_total[1], theirs_total[1]
    );
    assert_eq!(fails, 0);
}

#[test]
fn legacy_families() {
    use super::gen::legacy::atodn;
    // AREA.NODE as sscanf("%d.%d") reads it, 6 bits of area and 10 of node.
    assert_eq!(atodn("1.2"), Some(1 << 10 | 2));
    assert_eq!(atodn("63.1023"), Some(0xffff));
    assert_eq!(atodn("64.1"), Some(1));
    assert_eq!(atodn("1.2.3"), Some(1 << 10 | 2));
    assert_eq!(atodn("010.5"), Some(10 << 10 | 5));
    assert_eq!(atodn("1.0x5"), Some(1 << 10));
    assert_eq!(atodn("0x10.5"), None);
    assert_eq!(atodn("3000000000.2"), Some(2));
    assert_eq!(atodn("99999999999999999999.2"), Some(63 << 10 | 2));
    // The DECnet address as it lies on the wire (little-endian): 1.2 is 0x0402, loaded 0x0204.
    let p = prog("decnet dst 1.2", DLT_EN10MB, OFF);
    assert!(
        p.iter().any(|i| i.code == crate::op::JEQ_K && i.k == 0x0204),
        "{p:?}"
    );
    // Where libpcap refuses, the same message.
    let msg = |e: &str, lt: u16| compile(e, lt, 0, OFF).unwrap_err().msg;
    assert_eq!(
        msg("llc", DLT_LINUX_SLL),
        "'llc' not supported for Linux cooked v1"
    );
    assert_eq!(msg("pppoes and llc", DLT_EN10MB), "'llc' not supported for PPP");
    assert_eq!(
        msg("atalk host 1.2", DLT_EN10MB),
        "AppleTalk host filtering not implemented"
    );
    assert_eq!(
        msg("isis host 1.2", DLT_EN10MB),
        "'isis' modifier applied to host"
    );
    assert_eq!(msg("iso proto foo", DLT_EN10MB), "unknown osi proto 'foo'");
    assert_eq!(msg("llc xyz", DLT_EN10MB), "unknown LLC type name \"xyz\"");
    assert_eq!(msg("clnp proto 1", DLT_EN10MB), "'clnp proto' is not supported");
    // Compiled everywhere the generator knows.
    for lt in [DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW] {
        for e in [
            "ether proto \\ipx",
            "atalk",
            "aarp",
            "iso proto \\esis",
            "l1",
            "stp",
            "netbeui",
        ] {
            prog(e, lt, OFF);
        }
    }
    for e in [
        "llc",
        "llc i",
        "llc s",
        "llc u",
        "llc rnr",
        "llc rulenum",
        "llc UI",
        "llc xid",
    ] {
        prog(e, DLT_EN10MB, OPT);
    }
}

#[test]
fn savefile_in_the_other_byte_order() {
    const NULL: u16 = 0;
    const ENC: u16 = 109;
    const LOOP: u16 = 108;
    let file = |swapped: bool, optimize: bool| Flags {
        optimize,
        savefile: true,
        swapped,
        ..Flags::default()
    };
    let ip = csum_free_ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &[0; 8], 0);
    // A loopback header (ENC's is 12 bytes) with the family word as the writer stored it.
    let frame = |lt: u16, word: [u8; 4]| {
        let mut f = word.to_vec();
        if lt == ENC {
            f.resize(12, 0);
        }
        f.extend_from_slice(&ip);
        f
    };
    let verdict = |expr: &str, lt: u16, flags: Flags, pkt: &[u8]| {
        let meta = Meta {
            len: pkt.len() as u32,
            ..Meta::default()
        };
        run(&prog(expr, lt, flags), pkt, &meta) != 0
    };
    for optimize in [false, true] {
        for lt in [NULL, ENC] {
            // Written on this host's byte order, or on the other one.
            let (here, there) = (2u32.to_ne_bytes(), 2u32.swap_bytes().to_ne_bytes());
            for (expr, want_here, want_there) in [("ip", true, false), ("link proto \\ip", true, false)] {
                assert_eq!(
                    verdict(expr, lt, file(false, optimize), &frame(lt, here)),
                    want_here
                );
                assert_eq!(
                    verdict(expr, lt, file(false, optimize), &frame(lt, there)),
                    want_there
                );
                assert_eq!(
                    verdict(expr, lt, file(true, optimize), &frame(lt, here)),
                    want_there
                );
                assert_eq!(
                    verdict(expr, lt, file(true, optimize), &frame(lt, there)),
                    want_here
                );
            }
            // ip6 on a savefile: the BSDs' families 24, 28 and 30, in the writer's order.
            for af in [24u32, 28, 30] {
                let mut f = frame(lt, af.swap_bytes().to_ne_bytes());
                f[if lt == ENC { 12 } else { 4 }] = 0x60;
                assert!(verdict("ip6", lt, file(true, optimize), &f), "{lt} {af}");
                assert!(!verdict("ip6", lt, file(false, optimize), &f), "{lt} {af}");
            }
            // Without `savefile` there is no file to be swapped: the flag is ignored.
            let dead = Flags {
                optimize,
                swapped: true,
                ..Flags::default()
            };
            assert_eq!(
                prog("ip or ip6", lt, dead),
                prog(
                    "ip or ip6",
                    lt,
                    Flags {
                        optimize,
                        ..Flags::default()
                    }
                )
            );
        }
        // LOOP's family is in network byte order whatever wrote the file.
        assert_eq!(
            prog("ip or ip6", LOOP, file(true, optimize)),
            prog("ip or ip6", LOOP, file(false, optimize))
        );
        assert!(verdict(
            "ip",
            LOOP,
            file(true, optimize),
            &frame(LOOP, 2u32.to_be_bytes())
        ));
    }
}

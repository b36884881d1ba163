#!/usr/bin/env python3
"""Writes the capture files of pktdump's differential test against tcpdump
(test_pktdump_tcpdump.c), which reads each with `tcpdump -r` and `pktdump -r` under many output
flags and compares the text line for line.

    gen_pktdump_cases.py DIR

Writes DIR/eth.pcap (Ethernet, microseconds), DIR/eth-ns.pcap (the same packets with
nanosecond timestamps), DIR/cut.pcap (the same packets cut to 40, 54 and 64 bytes, as a
capture with -s would) and DIR/sll.pcap, DIR/sll2.pcap (40 of them as Linux cooked captures,
v1 and v2), DIR/raw.pcap, raw12.pcap, ipv4.pcap, ipv6.pcap (their IP packets with no link
header: link types 101, 12, 228, 229), DIR/null.pcap and loop.pcap (the IP packets behind BSD
loopback's address family: link types 0 and 108), and prints the number of packets in
eth.pcap, in raw.pcap and in null.pcap. Deterministic;
standard library only. Every packet is built here, field by field: Ethernet, 802.1Q and QinQ,
ARP (also other operations, hardware and protocol types and address lengths, frame relay
and ATM ARP, cut short), IPv4 with options and fragments, IPv6 with extension headers and
fragments, ICMP (errors quoting packets, RFC 4884 extensions), ICMPv6 (echo, neighbor
discovery, MLD), TCP handshakes with options, data and teardown, UDP, DNS
queries and answers, unknown ethertypes and protocols, frames cut short.
"""

import os
import struct
import sys

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
MAC_BC = b"\xff" * 6


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import socket

    return socket.inet_pton(socket.AF_INET6, a)


def eth(dst, src, etype, payload, tags=()):
    """tags: (tpid, tci) pairs, outermost first."""
    h = dst + src
    for tpid, tci in tags:
        h += struct.pack("!HH", tpid, tci)
    return h + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ident=0x1234, ttl=64, tos=0, flags_off=0x4000, opts=b"",
         total=None, bad_csum=False):
    ihl = 5 + len(opts) // 4
    if total is None:
        total = ihl * 4 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, total, ident, flags_off, ttl, proto, 0,
                    ip4(src), ip4(dst)) + opts
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)


def udp(sport, dport, payload, pseudo=None, bad_csum=False, zero_csum=False):
    ln = 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, ln, 0)
    c = 0
    if pseudo is not None and not zero_csum:
        c = csum(pseudo(ln) + h + payload) or 0xFFFF
        if bad_csum:
            c ^= 0x1111
    return h[:6] + struct.pack("!H", c) + payload


def tcp(sport, dport, seq, ack, flags, payload=b"", win=64240, opts=b"", pseudo=None, urg=0,
        bad_csum=False):
    while len(opts) % 4:
        opts += b"\0"
    off = (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, urg) + opts
    c = 0
    if pseudo is not None:
        c = csum(pseudo(len(h) + len(payload)) + h + payload)
        if bad_csum:
            c ^= 0x0F0F
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


def icmp(typ, code, rest, payload=b"", bad_csum=False):
    h = struct.pack("!BBH", typ, code, 0) + rest + payload
    c = csum(h)
    if bad_csum:
        c ^= 0x00FF
    return h[:2] + struct.pack("!H", c) + h[4:]


def icmp6(src, dst, typ, code, body, bad_csum=False):
    h = struct.pack("!BBH", typ, code, 0) + body
    c = csum(pseudo6(src, dst, 58, len(h)) + h)
    if bad_csum:
        c ^= 0x00FF
    return h[:2] + struct.pack("!H", c) + h[4:]


def ipv6(src, dst, nh, payload, hlim=64, tc=0, flow=0, plen=None):
    if plen is None:
        plen = len(payload)
    vtf = (6 << 28) | (tc << 20) | flow
    return struct.pack("!IHBB16s16s", vtf, plen, nh, hlim, ip6(src), ip6(dst)) + payload


def ext(nh, body):
    """An IPv6 extension header (hop-by-hop, destination options, routing) with its body
    (the bytes after next-header and length), padded to 8 bytes."""
    b = bytes([nh, 0]) + body
    while len(b) % 8:
        b += b"\0"
    return bytes([nh, len(b) // 8 - 1]) + b[2:]


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns(ident, flags, qs=(), ans=(), auth=(), add=()):
    out = struct.pack("!HHHHHH", ident, flags, len(qs), len(ans), len(auth), len(add))
    for name, qtype in qs:
        out += dns_name(name) + struct.pack("!HH", qtype, 1)
    for sec in (ans, auth, add):
        for name, rtype, ttl, rdata in sec:
            nm = name if isinstance(name, bytes) else dns_name(name)
            out += nm + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return out


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip4(spa), tha, ip4(tpa))


def arp_any(hrd, pro, op, sha, spa, tha, tpa, hln=None, pln=None):
    """An ARP packet with any field, the lengths those of the addresses unless given."""
    hln = len(sha) if hln is None else hln
    pln = len(spa) if pln is None else pln
    return struct.pack("!HHBBH", hrd, pro, hln, pln, op) + sha + spa + tha + tpa


def atmarp(pro, op, sha=b"", ssa=b"", spa=b"", tha=b"", tsa=b"", tpa=b"", e164=0):
    """An ATM ARP packet (RFC 2225): ATM numbers, subaddresses and protocol addresses of any
    length."""
    return (struct.pack("!HHBBHBBBB", 19, pro, len(sha) | e164, len(ssa), op, len(spa),
                        len(tha) | e164, len(tsa), len(tpa)) + sha + ssa + spa + tha + tsa + tpa)


def pad60(frame):
    return frame + b"\0" * max(0, 60 - len(frame))


def build():
    A4, B4 = "10.0.0.1", "10.0.0.2"
    A6, B6 = "fd00::1", "fd00::2"
    LLA, LLB = "fe80::1", "fe80::2"
    p4 = lambda s, d, pr: (lambda ln: pseudo4(s, d, pr, ln))
    p6 = lambda s, d, pr: (lambda ln: pseudo6(s, d, pr, ln))
    F = []  # frames

    def e4(payload, src=B4, dst=A4, proto=17, tags=(), smac=MAC_B, dmac=MAC_A, **kw):
        F.append(pad60(eth(dmac, smac, 0x0800, ipv4(src, dst, proto, payload, **kw), tags)))

    def e6(payload, nh, src=B6, dst=A6, smac=MAC_B, dmac=MAC_A, **kw):
        F.append(eth(dmac, smac, 0x86DD, ipv6(src, dst, nh, payload, **kw)))

    # ---- ARP
    F.append(pad60(eth(MAC_BC, MAC_B, 0x0806, arp(1, MAC_B, B4, b"\0" * 6, A4))))
    F.append(pad60(eth(MAC_B, MAC_A, 0x0806, arp(2, MAC_A, A4, MAC_B, B4))))
    F.append(pad60(eth(MAC_BC, MAC_B, 0x0806, arp(1, MAC_B, B4, b"\0" * 6, B4))))  # gratuitous

    # ARP that tcpdump prints other than as a request or reply: other operations, unknown
    # hardware and protocol types, address lengths other than 6 and 4, frame relay and ATM
    def ea(payload):
        F.append(pad60(eth(MAC_BC, MAC_B, 0x0806, payload)))
    ip_a, ip_b, zero6 = ip4(A4), ip4(B4), b"\0" * 6
    for op in (3, 4, 8, 9, 10, 29953, 0):
        ea(arp_any(1, 0x0800, op, MAC_B, ip_b, MAC_A, ip_a))
    ea(arp_any(37, 0x0000, 1, MAC_B, ip_b, zero6, ip_a))
    ea(arp_any(1, 0x2500, 1, MAC_B, ip_b, zero6, ip_a))
    ea(arp_any(1, 0x9200, 2, MAC_B, ip_b, MAC_A, ip_a))
    ea(arp_any(6, 0x1000, 1, MAC_B, ip_b, MAC_A, ip_a))  # trailer protocol, token ring
    ea(arp_any(1, 0x0800, 1, b"", ip_b, b"", ip_a))  # no hardware address
    ea(arp_any(24, 0x0800, 1, b"\xaa" * 14, ip_b, b"\x30" * 14, ip_a))
    ea(arp_any(32, 0x0800, 2, b"\x01" * 7, ip_b, b"\0" * 7, ip_a))
    ea(arp_any(1, 0x0800, 1, MAC_B, ip6(B6), zero6, ip6(A6)))  # 16-byte protocol addresses
    ea(arp_any(1, 0x86DD, 2, MAC_B, ip6(B6), MAC_A, ip6(A6)))
    ea(arp_any(1, 0x0800, 1, MAC_B, ip_b, zero6, ip_a, hln=200))  # past the frame: [|arp]
    ea(arp_any(1, 0x0800, 1, MAC_B, ip_b, zero6, ip_a, pln=40))
    for dl in (b"\x18\x41", b"\x18\x40\x01", b"\x18\x40\x40\x01", b"\x19\x41",
               b"\x18\x40\x40\x40", b"\x18"):  # Q.922 addresses: 2, 3, 4 bytes, bad ones
        ea(arp_any(15, 0x0800, 1, dl, ip_b, dl, ip_a))
        ea(arp_any(15, 0x0800, 3, dl, ip_b, dl, ip_a))
    num, sub = bytes(range(0x39, 0x39 + 20)), b"\x47\x00\x05"
    ea(atmarp(0x0800, 1, num, b"", ip_b, b"", b"", ip_a))
    ea(atmarp(0x0800, 1, num[:8], sub, ip_b, num[8:], sub, ip_a, e164=0x40))
    ea(atmarp(0x0800, 2, num[:12], sub, ip_b, b"", b"", ip_a))
    ea(atmarp(0x0800, 2, b"", b"", ip_b, num[:4], b"", ip_a))
    ea(atmarp(0x0800, 8, num[:6], b"", ip_b, b"", b"", b""))
    ea(atmarp(0x0800, 9, num[:6], sub, ip_b, num[:6], b"", ip_a))
    ea(atmarp(0x0800, 10, num[:6], b"", ip_b, b"", b"", ip_a))
    ea(atmarp(0x0800, 77, num[:6], b"", ip_b, b"", b"", ip_a))
    ea(atmarp(0x0800, 1, num[:6], b"", ip6(B6), b"", b"", ip_a))
    ea(atmarp(0x0801, 1, num[:6], b"", ip_b, b"", b"", ip_a))
    ea(atmarp(0x0800, 1, num[:20], b"", ip_b, num[:20], b"", ip_a))  # 20-byte ATM numbers

    # ---- ICMP
    echo = bytes(range(0x10, 0x40))
    e4(icmp(8, 0, struct.pack("!HH", 0x4D2, 1), echo), proto=1)
    e4(icmp(0, 0, struct.pack("!HH", 0x4D2, 1), echo), src=A4, dst=B4, proto=1,
       smac=MAC_A, dmac=MAC_B)
    e4(icmp(8, 0, struct.pack("!HH", 7, 2), b"abcdefgh"), proto=1, bad_csum=True)
    inner = ipv4(B4, A4, 17, udp(40000, 33434, b"")[:8])
    e4(icmp(3, 3, b"\0" * 4, inner), src=A4, dst=B4, proto=1, tos=0xC0)
    inner_t = ipv4(B4, "192.0.2.9", 6, tcp(40001, 22, 1, 0, 0x02)[:8])
    e4(icmp(3, 1, b"\0" * 4, inner_t), src=A4, dst=B4, proto=1)
    e4(icmp(11, 0, b"\0" * 4, inner), src=A4, dst=B4, proto=1)
    e4(icmp(8, 0, struct.pack("!HH", 9, 9), echo, bad_csum=True), proto=1)
    # ICMP errors at -v: the quote to its own IP length, quotes cut short, a quote of a quote,
    # RFC 4884 extensions (MPLS label stack, interface identification, unknown objects)
    orig = ipv4(B4, "192.0.2.7", 17, udp(40000, 33435, b"x" * 12), ttl=1)
    e4(icmp(3, 1, b"\0" * 4, b"\x45\x00"), src=A4, dst=B4, proto=1)  # no IP length
    e4(icmp(3, 1, b"\0" * 4, orig[:24]), src=A4, dst=B4, proto=1)
    e4(icmp(11, 0, b"\0" * 4, ipv4(B4, A4, 17, udp(1, 2, b"")[:8], total=1000)), src=A4,
       dst=B4, proto=1)
    e4(icmp(3, 3, b"\0" * 4, ipv4(A4, B4, 1, icmp(3, 3, b"\0" * 4, inner))), proto=1)
    e4(icmp(4, 0, b"\0" * 4, orig + b"\0" * 120), src=A4, dst=B4, proto=1)

    def ext_obj(cls, ctype, body, length=None):
        return struct.pack("!HBB", 4 + len(body) if length is None else length, cls,
                           ctype) + body

    def icmp_ext(typ, code, objs, version=2, words=32, good=True):
        body = b"".join(objs)
        e = struct.pack("!BBH", version << 4, 0, 0) + body
        c = csum(e) ^ (0 if good else 0x1111)
        e = e[:2] + struct.pack("!H", c) + e[4:]
        quote = (orig + b"\0" * 128)[:128]
        return icmp(typ, code, struct.pack("!BBH", 0, words, 0), quote + e)
    mpls = ext_obj(1, 1, struct.pack("!I", 100704 << 12 | 0x100 | 1))
    ifid = ext_obj(2, 14, struct.pack("!I", 15) + b"name-of-the-interface\0\0\0")
    for args in ((11, 0, [mpls]), (3, 3, [mpls, ifid]), (12, 0, [ext_obj(5, 1, b"abcdefgh")]),
                 (11, 0, [ext_obj(1, 2, b"\x01\x02\x03\x04\x05")]),
                 (11, 0, [ext_obj(1, 1, b"", length=2)])):
        e4(icmp_ext(*args), src=A4, dst=B4, proto=1)
    e4(icmp_ext(11, 0, [mpls], version=1), src=A4, dst=B4, proto=1)
    e4(icmp_ext(11, 0, [mpls], words=0), src=A4, dst=B4, proto=1)  # checksum says: extension
    e4(icmp_ext(11, 0, [mpls], words=0, good=False), src=A4, dst=B4, proto=1)  # not one
    e4(icmp_ext(11, 0, [mpls], good=False), src=A4, dst=B4, proto=1)
    e4(udp(40004, 9, b"ttl zero", p4(B4, A4, 17)), ttl=0)
    # the IP header says more than the frame holds: lengths from the header, as tcpdump
    e4(icmp(8, 0, struct.pack("!HH", 5, 5), b"short echo"), proto=1, total=400)
    e4(tcp(43299, 9, 5, 6, 0x18, b"short", pseudo=p4(B4, A4, 6)), proto=6, total=300)
    e4(udp(40099, 9, b"short udp", p4(B4, A4, 17)), total=200)

    # ---- UDP (ports no tcpdump printer claims)
    e4(udp(40000, 9, b"hello, world", p4(B4, A4, 17)))
    e4(udp(40000, 9, b"x" * 100, p4(B4, A4, 17), bad_csum=True), ttl=1, tos=0x10)
    e4(udp(40002, 9, b"no checksum", zero_csum=True), flags_off=0)
    e4(udp(40003, 9, b"\x00\x01\x02binary\xff\r\nline two\r\n", p4(B4, A4, 17)))

    # ---- DNS
    q = dns(0x1234, 0x0100, qs=[("example.com", 1)])
    e4(udp(50581, 53, q, p4(B4, A4, 17)))
    r = dns(0x1234, 0x8180, qs=[("example.com", 1)],
            ans=[(b"\xc0\x0c", 1, 300, ip4("93.184.216.34"))])
    e4(udp(53, 50581, r, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    q6 = dns(0xBEEF, 0x0100, qs=[("www.example.org", 28)])
    e4(udp(50582, 53, q6, p4(B4, A4, 17)))
    r6 = dns(0xBEEF, 0x8180, qs=[("www.example.org", 28)],
             ans=[(b"\xc0\x0c", 5, 60, dns_name("example.org")),
                  (dns_name("example.org"), 28, 60, ip6("2001:db8::1"))])
    e4(udp(53, 50582, r6, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    nx = dns(7, 0x8183, qs=[("nosuch.example", 1)],
             auth=[(b"\xc0\x13", 6, 900, dns_name("ns.example") + dns_name("root.example") +
                    struct.pack("!IIIII", 1, 2, 3, 4, 5))])
    e4(udp(53, 50583, nx, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    mx = dns(8, 0x0000, qs=[("example.com", 15)])
    e4(udp(50584, 53, mx, p4(B4, A4, 17)))
    ptr = dns(9, 0x0100, qs=[("1.0.0.10.in-addr.arpa", 12)])
    e4(udp(50585, 53, ptr, p4(B4, A4, 17)))
    e6(udp(50586, 53, q, p6(B6, A6, 17)), 17)
    # every type name tcpdump has (SSHFP, URI, ...), extended rcodes from the OPT record
    # (BadVers, BadCookie), EDNS options, SOA/TXT/SRV/URI/A6 data, classes, mDNS, DNS over TCP
    opt = lambda ext_rc, data=b"": (b"\x00" + struct.pack("!HHBBHH", 41, 1232, ext_rc, 0, 0x8000,
                                                          len(data)) + data)
    cookie = struct.pack("!HH", 10, 24) + bytes(range(24))
    ecs = struct.pack("!HHHBB", 8, 7, 1, 24, 0) + ip4("192.0.2.0")[:3]
    rest = struct.pack("!HH", 11, 2) + struct.pack("!H", 300) + struct.pack("!HH", 5, 2) + b"\x08\x0d"
    eq = dns(0x2001, 0x0120, qs=[("_http.dns.test", 256)])
    eq = eq[:10] + struct.pack("!H", 1) + eq[12:] + opt(0, cookie + ecs + rest)
    e4(udp(50590, 53, eq, p4(B4, A4, 17)))
    uri = struct.pack("!HH", 10, 5) + b"http://www.dns.test:8000"
    ea = dns(0x2001, 0x8580, qs=[("_http.dns.test", 256)], ans=[(b"\xc0\x0c", 256, 3600, uri)])
    ea = ea[:10] + struct.pack("!H", 1) + ea[12:] + opt(0)
    e4(udp(53, 50590, ea, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    for qt in (44, 29, 99, 249, 250, 3, 103):
        e4(udp(50591, 53, dns(0x3000 + qt, 0x0100, qs=[("example.com", qt)]), p4(B4, A4, 17)))
    bv = dns(0x4001, 0x8100, qs=[("example.com", 6)])
    bv = bv[:10] + struct.pack("!H", 1) + bv[12:] + opt(1)  # BadVers (16)
    e4(udp(53, 50592, bv, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    bc = dns(0x4002, 0x8187, qs=[(".", 6)])
    bc = bc[:10] + struct.pack("!H", 1) + bc[12:] + opt(1, cookie)  # BadCookie (23)
    e4(udp(53, 50593, bc, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    soa = dns(0x4003, 0x84a0, qs=[(".", 6)],
              ans=[(b"\xc0\x0c", 6, 86400, dns_name("a.root-servers.net") +
                    dns_name("nstld.verisign-grs.com") + struct.pack("!IIIII", 2024010100,
                                                                     1800, 900, 604800, 86400))],
              add=[(b"\x00", 44, 60, b"\x01\x01" + bytes(20))])
    e4(udp(53, 50594, soa, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    misc = dns(0x4004, 0x8180, qs=[("example.com", 255)],
               ans=[(b"\xc0\x0c", 16, 60, b"\x05hello\x07w\x80rld\x01\x7f"),
                    (b"\xc0\x0c", 33, 60, struct.pack("!HHH", 1, 2, 5060) + dns_name("sip.example")),
                    (b"\xc0\x0c", 38, 60, b"\x40" + bytes(8) + dns_name("a6.example")),
                    (b"\xc0\x0c", 104, 60, b"unspec\x01"),
                    (b"\xc0\x0c", 44, 7 * 86400 + 3661, b"\x01\x01" + bytes(20))])
    misc = misc[:27] + struct.pack("!H", 3) + misc[29:]  # class CHAOS on the question
    e4(udp(53, 50595, misc, p4(A4, B4, 17)), src=A4, dst=B4, smac=MAC_A, dmac=MAC_B)
    # a pointer forward (tcpdump: <BAD PTR>), a long name (<DOMAIN NAME TOO LONG>)
    bad = dns(0x4005, 0x0100, qs=[]) + b"\x03abc\xc0\x20" + struct.pack("!HH", 1, 1)
    bad = bad[:4] + struct.pack("!H", 1) + bad[6:]
    e4(udp(50596, 53, bad, p4(B4, A4, 17)))
    long_name = ".".join(["x" * 60] * 5)
    e4(udp(50597, 53, dns(0x4006, 0x0100, qs=[(long_name, 1)]), p4(B4, A4, 17)))
    md = dns(0, 0x0000, qs=[("_ipp._tcp.local", 12)])
    md = md[:-2] + struct.pack("!H", 0x8001)  # QU
    e4(udp(5353, 5353, md, p4(B4, "224.0.0.251", 17)), dst="224.0.0.251")
    mda = dns(0, 0x8400, ans=[(dns_name("host.local"), 1, 120, ip4("10.0.0.2"))])
    mda = mda[:-8 - 4] + struct.pack("!H", 0x8001) + mda[-8 - 2:]  # cache flush
    e4(udp(5353, 5353, mda, p4(B4, "224.0.0.251", 17)), dst="224.0.0.251")
    e4(udp(40100, 53, b"\x00\x01\x02", p4(B4, A4, 17)))  # shorter than a header
    tq = dns(0x5001, 0x0100, qs=[("example.net", 15)])
    e4(tcp(43300, 53, 1, 1, 0x18, struct.pack("!H", len(tq)) + tq, pseudo=p4(B4, A4, 6)), proto=6)
    e4(tcp(43300, 53, 1, 1, 0x18, struct.pack("!H", 99) + tq, pseudo=p4(B4, A4, 6)), proto=6)

    # ---- TCP: a connection, with options, data both ways, teardown
    C, S = (B4, 43210), (A4, 8000)
    iss, irs = 1000000, 3000000000
    opts_syn = (b"\x02\x04\x05\xb4" + b"\x04\x02" + b"\x08\x0a" + struct.pack("!II", 111, 0)
                + b"\x01" + b"\x03\x03\x07")
    opts_synack = (b"\x02\x04\x05\xb4" + b"\x04\x02" + b"\x08\x0a" + struct.pack("!II", 222, 111)
                   + b"\x01" + b"\x03\x03\x07")
    ts = lambda a, b: b"\x01\x01\x08\x0a" + struct.pack("!II", a, b)

    def t4(frm, to, seq, ack, flags, data=b"", **kw):
        smac, dmac = (MAC_B, MAC_A) if frm == C else (MAC_A, MAC_B)
        e4(tcp(frm[1], to[1], seq, ack, flags, data, pseudo=p4(frm[0], to[0], 6), **kw),
           src=frm[0], dst=to[0], proto=6, smac=smac, dmac=dmac)

    t4(C, S, iss, 0, 0x02, opts=opts_syn)
    t4(S, C, irs, iss + 1, 0x12, opts=opts_synack, win=65160)
    t4(C, S, iss + 1, irs + 1, 0x10, opts=ts(112, 222), win=502)
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    t4(C, S, iss + 1, irs + 1, 0x18, req, opts=ts(113, 222), win=502)
    t4(S, C, irs + 1, iss + 1 + len(req), 0x10, opts=ts(223, 113), win=509)
    body = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    t4(S, C, irs + 1, iss + 1 + len(req), 0x18, body, opts=ts(224, 113), win=509)
    t4(C, S, iss + 1 + len(req), irs + 1 + len(body), 0x11, opts=ts(114, 224), win=502)
    t4(S, C, irs + 1 + len(body), iss + 2 + len(req), 0x11, opts=ts(225, 114), win=509)
    t4(C, S, iss + 2 + len(req), irs + 2 + len(body), 0x10, opts=ts(115, 225), win=502)
    # a second connection refused, one reset, odd flags, urgent data, bad checksum, SACK
    t4(C, (A4, 8001), 5, 0, 0x02, win=1024, opts=b"\x02\x04\x05\x8c")
    t4((A4, 8001), C, 0, 6, 0x14, win=0)
    t4(C, S, iss + 3 + len(req), 0, 0x04, win=0)
    t4(C, S, 77, 88, 0xC2, win=100)  # SYN + ECE + CWR
    t4(C, S, 1, 1, 0x38, b"urgent!", urg=3)
    t4(C, S, 1, 1, 0x18, b"badsum", bad_csum=True)
    t4(S, C, 10, 20, 0x10, opts=b"\x01\x01\x05\x0a" + struct.pack("!II", 100, 200))
    t4(C, S, 9, 9, 0x00, opts=b"\x01\x01\x1e\x04")  # no flags; unknown option 30
    t4(C, S, 99, 0, 0x02, opts=b"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x00")  # nop, eol

    # ---- IPv4 options, fragments, unknown protocol, bad header checksum
    e4(udp(40010, 9, b"opt", p4(B4, A4, 17)), opts=b"\x94\x04\x00\x00")  # router alert
    e4(udp(40011, 9, b"opt", p4(B4, A4, 17)),
       opts=b"\x07\x0b\x04" + ip4("10.0.0.2") + b"\0\0\0\0" + b"\x00")  # record route, eol
    e4(udp(40012, 9, b"opt", p4(B4, A4, 17)), opts=b"\x01\x01\x01\x00")  # nop nop nop eol
    big = udp(40020, 9, bytes(range(256)) * 2, p4(B4, A4, 17))
    e4(big[:400], ident=0x4242, flags_off=0x2000, total=420)
    e4(big[400:], ident=0x4242, flags_off=400 // 8, total=20 + len(big) - 400)
    e4(b"\x01\x02\x03\x04" * 5, proto=253, ident=0x99)
    e4(b"\x01\x02\x03\x04", proto=50, ident=0x9A, flags_off=0)  # ESP-shaped: never decoded
    e4(udp(40013, 9, b"hdrsum", p4(B4, A4, 17)), bad_csum=True)
    e4(udp(40014, 9, b"ttl", p4(B4, A4, 17)), ttl=255, tos=0x02, flags_off=0)

    # ---- VLAN, QinQ
    e4(udp(40030, 9, b"vlan", p4(B4, A4, 17)), tags=[(0x8100, 100)])
    e4(udp(40031, 9, b"prio", p4(B4, A4, 17)), tags=[(0x8100, (5 << 13) | 0x1000 | 7)])
    e4(udp(40032, 9, b"qinq", p4(B4, A4, 17)), tags=[(0x88A8, 200), (0x8100, 300)])
    F.append(pad60(eth(MAC_BC, MAC_B, 0x0806, arp(1, MAC_B, B4, b"\0" * 6, A4),
                       tags=[(0x8100, 42)])))
    F.append(eth(MAC_A, MAC_B, 0x86DD, ipv6(B6, A6, 17, udp(40033, 9, b"v6vlan",
                                                           p6(B6, A6, 17))), tags=[(0x8100, 7)]))

    # ---- IPv6: UDP, ICMPv6 echo, ND, MLD, extension headers, fragments
    e6(udp(40040, 9, b"six", p6(B6, A6, 17)), 17, tc=0x2E, flow=0x12345)
    e6(icmp6(B6, A6, 128, 0, struct.pack("!HH", 0x77, 1) + echo), 58)
    e6(icmp6(A6, B6, 129, 0, struct.pack("!HH", 0x77, 1) + echo), 58, src=A6, dst=B6,
       smac=MAC_A, dmac=MAC_B)
    e6(icmp6(B6, A6, 128, 0, struct.pack("!HH", 0x78, 2) + b"zz", bad_csum=True), 58)
    sol = "ff02::1:ff00:1"
    ns = icmp6(LLB, sol, 135, 0, b"\0" * 4 + ip6(LLA) + b"\x01\x01" + MAC_B)
    e6(ns, 58, src=LLB, dst=sol, hlim=255, dmac=bytes.fromhex("3333ff000001"))
    na = icmp6(LLA, LLB, 136, 0, b"\x60\0\0\0" + ip6(LLA) + b"\x02\x01" + MAC_A)
    e6(na, 58, src=LLA, dst=LLB, hlim=255, smac=MAC_A, dmac=MAC_B)
    rs = icmp6(LLB, "ff02::2", 133, 0, b"\0" * 4 + b"\x01\x01" + MAC_B)
    e6(rs, 58, src=LLB, dst="ff02::2", hlim=255, dmac=bytes.fromhex("333300000002"))
    ra = icmp6(LLA, "ff02::1", 134, 0,
               struct.pack("!BBHII", 64, 0, 1800, 0, 0) + b"\x01\x01" + MAC_A
               + struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + ip6("2001:db8::"))
    e6(ra, 58, src=LLA, dst="ff02::1", hlim=255, smac=MAC_A, dmac=bytes.fromhex("333300000001"))
    hbh_ra = ext(58, b"\x05\x02\x00\x00\x01\x00")  # router alert, padn
    mldq = icmp6(LLA, "ff02::1", 130, 0, struct.pack("!HH", 10000, 0) + ip6("::"))
    e6(hbh_ra + mldq, 0, src=LLA, dst="ff02::1", hlim=1, smac=MAC_A,
       dmac=bytes.fromhex("333300000001"))
    mldr = icmp6(LLB, "ff02::1:3", 131, 0, struct.pack("!HH", 0, 0) + ip6("ff02::1:3"))
    e6(hbh_ra + mldr, 0, src=LLB, dst="ff02::1:3", hlim=1,
       dmac=bytes.fromhex("333300010003"))
    mld2 = icmp6(LLB, "ff02::16", 143, 0, struct.pack("!HH", 0, 2)
                 + struct.pack("!BBH", 4, 0, 0) + ip6("ff02::fb")
                 + struct.pack("!BBH", 3, 0, 1) + ip6("ff05::2") + ip6("fd00::9"))
    e6(hbh_ra + mld2, 0, src=LLB, dst="ff02::16", hlim=1, dmac=bytes.fromhex("333300000016"))
    e6(icmp6(B6, A6, 1, 4, b"\0" * 4 + ipv6(A6, B6, 17, udp(9, 40040, b"")[:8])[:48]), 58)
    e6(icmp6(B6, A6, 2, 0, struct.pack("!I", 1280) + ipv6(A6, B6, 17, b"")[:40]), 58)
    e6(icmp6(B6, A6, 3, 0, b"\0" * 4 + ipv6(A6, B6, 17, b"")[:40]), 58)
    # MLDv2 queries (general, with sources, S flag, robustness, coded QQI and max resp code),
    # a report with an unknown record type, ICMPv6 error codes, redirect, ND options (rdnss,
    # dnssl, route info, advertisement interval, home agent, unknown), mobile IPv6 types,
    # an unknown type (its bytes in hex), length 0
    q2 = icmp6(LLA, "ff02::1", 130, 0, struct.pack("!HH", 10000, 0) + ip6("::")
               + struct.pack("!BBH", 2, 125, 0))
    e6(hbh_ra + q2, 0, src=LLA, dst="ff02::1", hlim=1, smac=MAC_A,
       dmac=bytes.fromhex("333300000001"))
    q2s = icmp6(LLA, "ff02::fb", 130, 0, struct.pack("!HH", 0x8123, 0) + ip6("ff02::fb")
                + struct.pack("!BBH", 0x0A, 0x95, 2) + ip6("fd00::7") + ip6("fd00::8"))
    e6(hbh_ra + q2s, 0, src=LLA, dst="ff02::fb", hlim=1, smac=MAC_A,
       dmac=bytes.fromhex("3333000000fb"))
    q2bad = icmp6(LLA, "ff02::1", 130, 0, struct.pack("!HH", 1, 0) + ip6("::")
                  + struct.pack("!BBH", 0, 0, 5))
    e6(hbh_ra + q2bad, 0, src=LLA, dst="ff02::1", hlim=1, smac=MAC_A)
    e6(hbh_ra + icmp6(LLA, "ff02::1", 130, 0, struct.pack("!HH", 1, 0) + b"\0" * 18), 0,
       src=LLA, dst="ff02::1", hlim=1, smac=MAC_A)  # 26 bytes: neither version
    m2bad = icmp6(LLB, "ff02::16", 143, 0, struct.pack("!HH", 0, 2)
                  + struct.pack("!BBH", 9, 0, 0) + ip6("ff02::fb"))
    e6(hbh_ra + m2bad, 0, src=LLB, dst="ff02::16", hlim=1)
    inner6 = ipv6(A6, B6, 17, udp(9, 40040, b""))[:48]
    e6(icmp6(B6, A6, 3, 1, b"\0" * 4 + inner6), 58)
    e6(icmp6(B6, A6, 3, 7, b"\0" * 4 + inner6), 58)
    e6(icmp6(B6, A6, 4, 3, struct.pack("!I", 48) + inner6), 58)
    e6(icmp6(B6, A6, 4, 9, struct.pack("!I", 1) + inner6), 58)
    e6(icmp6(LLA, LLB, 137, 0, b"\0" * 4 + ip6("fe80::99") + ip6("fd00::99")
             + b"\x02\x01" + MAC_A + b"\x04\x02" + b"\0" * 14), 58, src=LLA, dst=LLB, hlim=255)
    dnssl = b"\x07example\x03com\x00\x03lan\x00"
    dnssl += b"\0" * (-(len(dnssl) + 8) % 8)
    ra2 = icmp6(LLA, "ff02::1", 134, 0,
                struct.pack("!BBHII", 64, 0x4A, 1800, 0, 0)
                + struct.pack("!BBHI", 25, 5, 0, 5) + ip6("fd00::53") + ip6("2001:db8::53")
                + struct.pack("!BBHI", 31, (8 + len(dnssl)) // 8, 0, 1800) + dnssl
                + struct.pack("!BBBBI", 24, 2, 48, 0x08, 7200) + ip6("fd8d:4fb3:5b2e::")[:8]
                + struct.pack("!BBHI", 7, 1, 0, 5000)
                + struct.pack("!BBHH", 8, 1, 0, 50001) + struct.pack("!H", 15)
                + struct.pack("!BBHI", 5, 1, 0, 1500)
                + struct.pack("!BBHI", 200, 1, 0, 0x01020304))
    e6(ra2, 58, src=LLA, dst="ff02::1", hlim=255, smac=MAC_A)
    e6(icmp6(B6, A6, 144, 0, struct.pack("!HH", 0x1234, 0)), 58)
    e6(icmp6(A6, B6, 145, 0, struct.pack("!HH", 0x1234, 0) + ip6("fd00::a") + ip6("fd00::b")), 58,
       src=A6, dst=B6)
    e6(icmp6(B6, A6, 146, 0, struct.pack("!HH", 0x99, 0)), 58)
    e6(icmp6(A6, B6, 147, 0, struct.pack("!HH", 0x99, 0xC000)
             + struct.pack("!BBHI", 7, 1, 0, 1000)), 58, src=A6, dst=B6)
    e6(icmp6(B6, A6, 250, 1, b"\x01\x02\x03\x04unknown type"), 58)
    e6(b"", 58, plen=0)
    dst_opts = ext(17, b"\x01\x04\x00\x00\x00\x00")  # padn
    e6(dst_opts + udp(40041, 9, b"dstopt", p6(B6, A6, 17)), 60)
    rt = ext(17, b"\x00\x01\x00\x00\x00\x00" + ip6("fd00::99"))  # type 0, 1 segment left
    e6(rt + udp(40042, 9, b"routing", p6(B6, A6, 17)), 43)
    seg = udp(40043, 9, bytes(range(200)), p6(B6, A6, 17))
    e6(struct.pack("!BBHI", 17, 0, 0x0001, 0xABCD) + seg[:104], 44)
    e6(struct.pack("!BBHI", 17, 0, (104 << 3) | 0, 0xABCD) + seg[104:], 44)
    e6(ext(6, b"\x01\x04\x00\x00\x00\x00")
       + tcp(43211, 8000, 1, 0, 0x02, opts=b"\x02\x04\x05\xa0", pseudo=p6(B6, A6, 6)), 0)
    e6(tcp(43212, 8000, 500, 600, 0x18, b"six data", pseudo=p6(B6, A6, 6)), 6)
    e6(b"\xde\xad\xbe\xef" * 3, 253)
    e6(b"", 59)  # no next header

    # ---- other link layers on Ethernet: unknown ethertype, 802.3 length field
    F.append(pad60(eth(MAC_BC, MAC_B, 0x88B5, b"\x01\x02\x03\x04local experimental")))
    F.append(pad60(eth(MAC_A, MAC_B, 0x9000 + 0x1F, b"\x00" * 10)))

    # ---- frames cut short (the file says they were longer)
    cut = []
    c = eth(MAC_A, MAC_B, 0x0800, ipv4(B4, A4, 6, tcp(43210, 8000, 1, 1, 0x18, b"x" * 50,
                                                      opts=ts(1, 2), pseudo=p4(B4, A4, 6))))
    for n in (10, 14, 20, 34, 40, 50, 60, 70):
        cut.append((c[:n], len(c)))
    u = eth(MAC_A, MAC_B, 0x0800, ipv4(B4, A4, 17, udp(50581, 53, q, p4(B4, A4, 17))))
    for n in (40, 44, 50, 60):
        cut.append((u[:n], len(u)))
    i6 = eth(MAC_A, MAC_B, 0x86DD, ipv6(B6, A6, 58, icmp6(B6, A6, 128, 0,
                                                          struct.pack("!HH", 1, 1) + echo)))
    for n in (40, 54, 60, 62):
        cut.append((i6[:n], len(i6)))
    a = pad60(eth(MAC_BC, MAC_B, 0x0806, arp(1, MAC_B, B4, b"\0" * 6, A4)))
    cut.append((a[:30], len(a)))
    cut.append((a[:18], len(a)))  # 4 bytes of the ARP header
    x = eth(MAC_A, MAC_B, 0x0800, ipv4(A4, B4, 1, icmp_ext(3, 3, [mpls, ifid])))
    for n in (34 + 140, 34 + 146, 34 + 150, 34 + 170):  # the extension cut short
        cut.append((x[:n], len(x)))
    t = pad60(eth(MAC_BC, MAC_B, 0x0806, atmarp(0x0800, 1, b"\x39" * 6, b"", ip4(B4), b"", b"",
                                                 ip4(A4))))
    cut.append((t[:22], len(t)))  # 8 bytes of the ATM ARP header
    v = pad60(eth(MAC_A, MAC_B, 0x0800, ipv4(B4, A4, 17, udp(1, 2, b"")), tags=[(0x8100, 5)]))
    cut.append((v[:16], len(v)))
    frames = [(f, len(f)) for f in F] + cut
    return frames


def cooked(frames, v2):
    """Ethernet frames as Linux cooked captures (SLL, SLL2): packet types In, B, M, P, Out,
    the source address of 6 bytes or of none."""
    out = []
    for i, (f, wire) in enumerate(frames):
        etype, payload, src = struct.unpack("!H", f[12:14])[0], f[14:], f[6:12]
        ptype, alen = (0, 1, 2, 3, 4)[i % 5], 6 if i % 3 else 0
        addr = (src if alen else b"") + b"\0" * (8 - alen)
        if v2:
            h = struct.pack("!HHIHBB", etype, 0, 999, 1, ptype, alen) + addr
        else:
            h = struct.pack("!HHH", ptype, 1, alen) + addr + struct.pack("!H", etype)
        out.append((h + payload, wire - 14 + len(h)))
    return out


def ip_packets(frames):
    """The IPv4 and IPv6 packets of the Ethernet frames (untagged, whole or cut short, the
    Ethernet padding left on), then a few that are no IP: versions 3 and 0, one byte."""
    out = []
    for f, wire in frames:
        if len(f) > 14 and f[12:14] in (b"\x08\x00", b"\x86\xdd"):
            out.append((f[14:], wire - 14))
    out += [(b"\x35" + b"\0" * 19, 20), (b"\x00" * 8, 8), (b"\x45", 1), (b"\x45", 40)]
    return out


def loopback(packets, network_order):
    """IP packets behind BSD loopback's 4-byte address family: DLT_NULL in the writer's byte
    order (here both orders, alternately), DLT_LOOP in network order. IPv6 as the families of
    NetBSD/OpenBSD (24), FreeBSD (28) and Darwin (30); then families with no printer (NS 6,
    unknown 99, one whose upper half is not zero either way), and headers cut short."""
    out = []
    v6 = (24, 28, 30)
    for i, (f, wire) in enumerate(packets):
        if not f or f[0] >> 4 not in (4, 6):
            continue
        fam = 2 if f[0] >> 4 == 4 else v6[i % 3]
        order = "!" if network_order or i % 2 else "<"
        out.append((struct.pack(order + "I", fam) + f, wire + 4))
    payload = b"\x01\x02\x03\x04 not an IP packet"
    for fam in (6, 99, 0x12345678):
        order = "!" if network_order else "<"
        out.append((struct.pack(order + "I", fam) + payload, 4 + len(payload)))
    hdr = struct.pack("!I" if network_order else "<I", 2)
    out += [(hdr[:2], 24), (hdr[:3], 3), (hdr, 4), (hdr, 44)]
    return out


def write_pcap(path, frames, nano, snap=None, linktype=1):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    # times: a start at 23:59:58 (UTC), steps of varied size, across midnight and a day
    sec, frac = 1_700_006_398, 123456789
    steps = [0, 1, 999, 1_000_000, 12_345_678, 999_999_999, 0, 86_400 * 10**9 + 1]
    for i, (f, wire) in enumerate(frames):
        step = steps[i % len(steps)]
        t = sec * 10**9 + frac + step
        sec, frac = divmod(t, 10**9)
        if snap is not None and len(f) > snap:
            f = f[:snap]
        sub = frac if nano else frac // 1000
        out.append(struct.pack("<IIII", sec, sub, len(f), wire) + f)
    with open(path, "wb") as fh:
        fh.write(b"".join(out))


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    frames = build()
    write_pcap(os.path.join(d, "eth.pcap"), frames, nano=False)
    write_pcap(os.path.join(d, "eth-ns.pcap"), frames, nano=True)
    write_pcap(os.path.join(d, "cut.pcap"), frames, nano=False, snap=64)
    # the Ethernet frames with an IPv4, IPv6 or ARP payload, whole
    some = [(f, w) for f, w in frames if len(f) == w and f[12:14] in (b"\x08\x00", b"\x86\xdd",
                                                                    b"\x08\x06")][:40]
    write_pcap(os.path.join(d, "sll.pcap"), cooked(some, False), nano=False, linktype=113)
    write_pcap(os.path.join(d, "sll2.pcap"), cooked(some, True), nano=False, linktype=276)
    ips = ip_packets(frames)
    for name, lt in (("raw.pcap", 101), ("raw12.pcap", 12), ("ipv4.pcap", 228),
                     ("ipv6.pcap", 229)):
        write_pcap(os.path.join(d, name), ips, nano=False, linktype=lt)
    write_pcap(os.path.join(d, "null.pcap"), loopback(ips, False), nano=False, linktype=0)
    write_pcap(os.path.join(d, "loop.pcap"), loopback(ips, True), nano=False, linktype=108)
    print(len(frames), len(ips), len(loopback(ips, False)))


if __name__ == "__main__":
    main()

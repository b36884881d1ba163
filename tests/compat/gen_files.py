#!/usr/bin/env python3
"""Capture files for tests/compat/tcpdump_read.sh (tcpdump -r on libpcap vs on libpkt's
libpcap.so.0.8), written into DIR:

    gen_files.py DIR

  gs-*      c-tests/gen_savefiles.py's files (random frames; pcap and pcapng, every timestamp
            unit, both byte orders, several sections, every packet block kind)
  proto-*   real protocol packets (ARP, IPv4 and IPv6 with ICMP, TCP, UDP, DNS, DHCP, NTP,
            fragments, GRE, VXLAN, IGMP, 802.1Q, QinQ, MPLS, PPPoE, STP, LLDP) on many link
            types (EN10MB, RAW, IPV4, IPV6, NULL, LOOP, LINUX_SLL, LINUX_SLL2, PPP, C_HDLC,
            IEEE802_11, IEEE802_11_RADIO), as pcap (us and ns, both byte orders) and pcapng
  bad-*     damaged files: truncated at many offsets, bad magic, bad versions, huge or zero
            snap lengths and caplens, unknown link types, pcapng blocks with bad lengths,
            missing interfaces, bad options

Deterministic; standard library only. Prints the number of files written.
"""

import importlib.util
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import traffic as t  # noqa: E402  (packet builders)

_spec = importlib.util.spec_from_file_location("gen_savefiles", os.path.join(HERE, "..", "..", "c-tests", "gen_savefiles.py"))
gs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gs)

A_MAC = bytes.fromhex("020000000001")
B_MAC = bytes.fromhex("020000000002")
A4, B4 = "10.77.0.1", "10.77.0.2"
A6, B6 = "fd00:77::1", "fd00:77::2"


def tcp4(src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b""):
    off = (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0) + opts + payload
    pseudo = t.socket.inet_aton(src) + t.socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(h))
    return h[:16] + struct.pack("!H", t.csum(pseudo + h)) + h[18:]


def tcp6(src, dst, sport, dport, seq, ack, flags, payload=b""):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = (t.socket.inet_pton(t.socket.AF_INET6, src) + t.socket.inet_pton(t.socket.AF_INET6, dst)
              + struct.pack("!IxxxB", len(h), 6))
    return h[:16] + struct.pack("!H", t.csum(pseudo + h)) + h[18:]


def icmp4(typ, code, rest, payload):
    m = struct.pack("!BB", typ, code) + b"\0\0" + rest + payload
    return m[:2] + struct.pack("!H", t.csum(m)) + m[4:]


def dns_query(ident, name, qtype=1):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def dns_answer(ident, name, addr):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return (struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1)
            + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + t.socket.inet_aton(addr))


def dhcp_discover():
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x12345678, 0, 0x8000, b"\0" * 4, b"\0" * 4,
                        b"\0" * 4, b"\0" * 4, B_MAC + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    return bootp + b"\x63\x82\x53\x63" + b"\x35\x01\x01" + b"\x37\x03\x01\x03\x06" + b"\xff"


def ip_packets():
    """(family, bytes) of IP packets, both families."""
    out = []
    rng = random.Random(7)
    add4 = lambda proto, payload, ident=1, src=B4, dst=A4: out.append((4, t.ipv4(src, dst, proto, payload, ident)))
    add4(1, icmp4(8, 0, struct.pack("!HH", 0x1234, 1), bytes(range(32))))
    add4(1, icmp4(0, 0, struct.pack("!HH", 0x1234, 1), bytes(range(32))), src=A4, dst=B4)
    inner = t.ipv4(B4, "10.77.0.9", 17, t.udp4(B4, "10.77.0.9", 4000, 33434, b"probe"), 9)
    add4(1, icmp4(3, 3, b"\0\0\0\0", inner[:28]), src=A4, dst=B4)
    add4(1, icmp4(11, 0, b"\0\0\0\0", inner[:28]), src=A4, dst=B4)
    opts = b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\x02\x03\x00\x00\x00\x00\x01\x03\x03\x07"
    add4(6, tcp4(B4, A4, 41000, 80, 1000, 0, 0x02, opts=opts))
    add4(6, tcp4(A4, B4, 80, 41000, 5000, 1001, 0x12, opts=opts), src=A4, dst=B4)
    add4(6, tcp4(B4, A4, 41000, 80, 1001, 5001, 0x10))
    add4(6, tcp4(B4, A4, 41000, 80, 1001, 5001, 0x18, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"))
    add4(6, tcp4(A4, B4, 80, 41000, 5001, 1040, 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), src=A4, dst=B4)
    add4(6, tcp4(B4, A4, 41000, 80, 1040, 5041, 0x11))
    add4(6, tcp4(B4, A4, 41001, 22, 1, 0, 0x04))
    add4(17, t.udp4(B4, A4, 5353, 53, dns_query(0xbeef, "www.example.com")))
    add4(17, t.udp4(A4, B4, 53, 5353, dns_answer(0xbeef, "www.example.com", "192.0.2.80")), src=A4, dst=B4)
    add4(17, t.udp4(B4, A4, 5354, 53, dns_query(0xbef0, "example.org", 28)))
    add4(17, t.udp4("0.0.0.0", "255.255.255.255", 68, 67, dhcp_discover()), src="0.0.0.0", dst="255.255.255.255")
    add4(17, t.udp4(B4, A4, 123, 123, b"\x23" + b"\0" * 47))
    add4(17, t.udp4(B4, A4, 514, 514, b"<34>Oct 11 22:14:15 host su: test message"))
    vx_inner = A_MAC + B_MAC + b"\x08\x00" + t.ipv4(B4, A4, 1, icmp4(8, 0, b"\0\1\0\1", b"vxlan"), 3)
    add4(17, t.udp4(B4, A4, 50000, 4789, b"\x08\0\0\0\0\0\x2a\0" + vx_inner))
    add4(47, b"\0\0\x08\x00" + t.ipv4("192.0.2.1", "192.0.2.2", 17, t.udp4("192.0.2.1", "192.0.2.2", 1, 2, b"gre"), 5))
    add4(2, b"\x16\x00\xfa\x04\xe0\x00\x00\xfb", dst="224.0.0.251")
    # A fragmented UDP datagram: first fragment (MF) and the second.
    big = t.udp4(B4, A4, 7000, 7001, bytes(rng.randrange(256) for _ in range(1200)))
    f1 = bytearray(t.ipv4(B4, A4, 17, big[:1000], 0x7777))
    f1[6:8] = struct.pack("!H", 0x2000)
    f1[10:12] = b"\0\0"
    f1[10:12] = struct.pack("!H", t.csum(bytes(f1[:20])))
    f2 = bytearray(t.ipv4(B4, A4, 17, big[1000:], 0x7777))
    f2[6:8] = struct.pack("!H", 1000 // 8)
    f2[10:12] = b"\0\0"
    f2[10:12] = struct.pack("!H", t.csum(bytes(f2[:20])))
    out += [(4, bytes(f1)), (4, bytes(f2))]
    add6 = lambda nh, payload, src=B6, dst=A6: out.append((6, t.ipv6(src, dst, nh, payload)))
    add6(58, t.icmp6_echo(B6, A6, 9, 1, b"ping6 payload"))
    ns = struct.pack("!BBHI16s", 135, 0, 0, 0, t.socket.inet_pton(t.socket.AF_INET6, A6)) + b"\x01\x01" + B_MAC
    pseudo = (t.socket.inet_pton(t.socket.AF_INET6, "fe80::2") + t.socket.inet_pton(t.socket.AF_INET6, "ff02::1:ff00:1")
              + struct.pack("!IxxxB", len(ns), 58))
    ns = ns[:2] + struct.pack("!H", t.csum(pseudo + ns)) + ns[4:]
    add6(58, ns, src="fe80::2", dst="ff02::1:ff00:1")
    add6(6, tcp6(B6, A6, 42000, 443, 1, 0, 0x02))
    add6(17, t.udp6(B6, A6, 5353, 53, dns_query(0x6666, "ipv6.example.com", 28)))
    hbh = b"\x3a\x00\x05\x02\x00\x00\x01\x00"  # hop-by-hop: router alert, then ICMPv6 (MLD report)
    mld = struct.pack("!BBHHH16s", 131, 0, 0, 0, 0, t.socket.inet_pton(t.socket.AF_INET6, "ff02::fb"))
    add6(0, hbh + mld, src="fe80::2", dst="ff02::fb")
    return out


def ether(family_or_type, payload, dst=A_MAC, src=B_MAC):
    et = {4: 0x0800, 6: 0x86DD}.get(family_or_type, family_or_type)
    return dst + src + struct.pack("!H", et) + payload


def ether_frames():
    fr = [ether(f, p) for f, p in ip_packets()]
    fr.append(b"\xff" * 6 + B_MAC + b"\x08\x06" + t.arp(1, B_MAC, B4, b"\0" * 6, A4))
    fr.append(B_MAC + A_MAC + b"\x08\x06" + t.arp(2, A_MAC, A4, B_MAC, B4))
    ip = t.ipv4(B4, A4, 17, t.udp4(B4, A4, 5000, 53, dns_query(1, "vlan.example")), 11)
    fr.append(A_MAC + B_MAC + b"\x81\x00" + struct.pack("!H", (5 << 13) | 100) + b"\x08\x00" + ip)
    fr.append(A_MAC + B_MAC + b"\x88\xa8" + struct.pack("!H", 300) + b"\x81\x00" + struct.pack("!H", 400) + b"\x08\x00" + ip)
    fr.append(A_MAC + B_MAC + b"\x88\x47" + struct.pack("!I", (16 << 12) | (1 << 8) | 64) + ip)
    fr.append(b"\xff" * 6 + B_MAC + b"\x88\x63" + b"\x11\x09\x00\x00\x00\x04\x01\x01\x00\x00")
    fr.append(A_MAC + B_MAC + b"\x88\x64" + b"\x11\x00\x00\x2a" + struct.pack("!H", len(ip) + 2) + b"\x00\x21" + ip)
    bpdu = b"\x42\x42\x03\x00\x00\x00\x00\x00\x80\x00" + B_MAC + b"\x00\x00\x00\x00\x80\x00" + B_MAC + b"\x80\x01\x00\x00\x14\x00\x02\x00\x0f\x00"
    fr.append(b"\x01\x80\xc2\x00\x00\x00" + B_MAC + struct.pack("!H", len(bpdu)) + bpdu)
    lldp = (b"\x02\x07\x04" + B_MAC + b"\x04\x03\x05v1" + b"\x06\x02\x00\x78" + b"\x0a\x04host" + b"\x00\x00")
    fr.append(b"\x01\x80\xc2\x00\x00\x0e" + B_MAC + b"\x88\xcc" + lldp)
    fr.append(b"\xff" * 6 + B_MAC + b"\x88\xb5" + b"local experimental")
    return [t.pad(f) for f in fr]


def sll(pkttype, payload, proto):
    return struct.pack("!HHH8sH", pkttype, 1, 6, B_MAC + b"\0\0", proto) + payload


def sll2(pkttype, payload, proto, ifindex=2):
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 1, pkttype, 6, B_MAC + b"\0\0") + payload


def linktype_files():
    """{name: (linktype, frames)}."""
    ips = ip_packets()
    et = lambda f: 0x0800 if f == 4 else 0x86DD
    wlan_hdr = b"\x08\x02\x00\x00" + A_MAC + B_MAC + B_MAC + b"\x10\x00"
    radiotap = b"\x00\x00\x0c\x00\x04\x80\x00\x00\x02\x00\x18\x00"  # rate, tx flags
    beacon = (b"\x80\x00\x00\x00" + b"\xff" * 6 + B_MAC + B_MAC + b"\x20\x00" + struct.pack("<QHH", 123456, 100, 0x0411)
              + b"\x00\x04test" + b"\x01\x04\x82\x84\x8b\x96" + b"\x03\x01\x06")
    return {
        "en10mb": (1, ether_frames()),
        "raw": (101, [p for _, p in ips]),
        "ipv4": (228, [p for f, p in ips if f == 4]),
        "ipv6": (229, [p for f, p in ips if f == 6]),
        "null": (0, [struct.pack("<I", 2 if f == 4 else 30) + p for f, p in ips]),
        "loop": (108, [struct.pack("!I", 2 if f == 4 else 24) + p for f, p in ips]),
        "sll": (113, [sll(i % 5, p, et(f)) for i, (f, p) in enumerate(ips)]
                + [sll(1, t.arp(1, B_MAC, B4, b"\0" * 6, A4), 0x0806)]),
        "sll2": (276, [sll2(i % 5, p, et(f), 2 + i % 3) for i, (f, p) in enumerate(ips)]),
        "ppp": (9, [b"\xff\x03" + (b"\x00\x21" if f == 4 else b"\x00\x57") + p for f, p in ips]
                + [b"\xff\x03\xc0\x21\x01\x01\x00\x0a\x05\x06\x12\x34\x56\x78"]),
        "chdlc": (104, [b"\x0f\x00" + struct.pack("!H", et(f)) + p for f, p in ips]),
        "ieee802_11": (105, [wlan_hdr + b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", et(f)) + p for f, p in ips[:10]]
                       + [beacon]),
        "radiotap": (127, [radiotap + wlan_hdr + b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", et(f)) + p
                           for f, p in ips[:10]] + [radiotap + beacon]),
    }


def pcap_file(be, nano, linktype, frames, snaplen=262144, base=1_700_000_000, wire_extra=0):
    o = ">" if be else "<"
    out = [struct.pack(o + "IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for i, f in enumerate(frames):
        # Increasing times, three packets a second, with digits in every place of the fraction.
        sec, frac = base + i // 3, (i % 3) * (333_333_333 if nano else 333_333) + i * (1237 if nano else 7)
        cap = f[:snaplen]
        out.append(struct.pack(o + "IIII", sec, frac, len(cap), len(f) + wire_extra) + cap)
    return b"".join(out)


def pcapng_file(be, linktype, frames, tsresol=9, snaplen=0):
    o = ">" if be else "<"
    out = [gs.shb(o, gs.opt(o, 4, b"gen_files.py") + b"\0\0\0\0"), gs.idb(o, linktype, snaplen, tsresol, None, extra=gs.opt(o, 2, b"v0"))]
    unit = gs.units(tsresol)
    for i, f in enumerate(frames):
        ts = (1_700_000_000 + i // 3) * unit + (i * 7919) % unit
        cap = f[:snaplen] if snaplen else f
        out.append(gs.epb(o, 0, ts, cap, len(f), flags=[None, 1, 2][i % 3]))
    out.append(gs.isb(o, 0, 3))
    return b"".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    n = 0

    def add(name, data):
        nonlocal n
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
        n += 1

    # c-tests/gen_savefiles.py's set, as its own main writes it.
    rng = random.Random(1)
    argv, sys.argv = sys.argv, ["gen_savefiles.py", os.path.join(d, "gs")]
    try:
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()) as listing:
            gs.main()
    finally:
        sys.argv = argv
    for line in listing.getvalue().splitlines():
        name = line.split()[0]
        os.replace(os.path.join(d, "gs", name), os.path.join(d, "gs-" + name))
        n += 1
    os.rmdir(os.path.join(d, "gs"))

    files = linktype_files()
    for name, (lt, frames) in sorted(files.items()):
        add("proto-%s-le-us.pcap" % name, pcap_file(False, False, lt, frames))
        add("proto-%s-be-ns.pcap" % name, pcap_file(True, True, lt, frames))
        add("proto-%s.pcapng" % name, pcapng_file(name == "sll", lt, frames))
    eth = files["en10mb"][1]
    add("proto-en10mb-be-us.pcap", pcap_file(True, False, 1, eth))
    add("proto-en10mb-le-ns.pcap", pcap_file(False, True, 1, eth))
    add("proto-en10mb-snap64.pcap", pcap_file(False, False, 1, eth, snaplen=64))
    add("proto-en10mb-snap64.pcapng", pcapng_file(False, 1, eth, 6, snaplen=64))
    add("proto-en10mb-res3.pcapng", pcapng_file(True, 1, eth, 3))

    # ---- damaged pcap
    base = pcap_file(False, False, 1, eth)
    size = len(base)
    cuts = sorted({0, 1, 3, 4, 12, 23, 24, 25, 24 + 8, 24 + 15, 24 + 16, 24 + 17, 24 + 16 + 40,
                   size // 3, size // 2, size - 17, size - 1})
    for c in cuts:
        add("bad-pcap-trunc%05d.pcap" % c, base[:c])
    ns_base = pcap_file(True, True, 1, eth)
    for c in (24 + 10, len(ns_base) // 2, len(ns_base) - 3):
        add("bad-pcap-be-ns-trunc%05d.pcap" % c, ns_base[:c])

    def patch(data, off, fmt, *vals):
        b = bytearray(data)
        struct.pack_into(fmt, b, off, *vals)
        return bytes(b)

    add("bad-pcap-magic.pcap", patch(base, 0, "<I", 0xDEADBEEF))
    add("bad-pcap-magic-text.pcap", b"this is not a capture file at all, just text\n" * 3)
    add("bad-pcap-magic-swapped-ns.pcap", patch(base, 0, "<I", 0x4D3CB2A1))
    for maj, mnr in ((1, 0), (2, 0), (2, 1), (2, 3), (2, 5), (3, 0), (0xFFFF, 4)):
        add("bad-pcap-version%d.%d.pcap" % (maj, mnr), patch(base, 4, "<HH", maj, mnr))
    for snap in (0, 1, 65535, 262145, 0x7FFFFFFF, 0xFFFFFFFF):
        add("bad-pcap-snaplen%d.pcap" % snap, patch(base, 16, "<I", snap))
    for lt in (9999, 0x7FFF, 0x10000001, 0x0FFF0001, 147, 162):
        add("bad-pcap-linktype%d.pcap" % lt, patch(base, 20, "<I", lt))
    add("bad-pcap-thiszone.pcap", patch(patch(base, 8, "<i", -3600), 12, "<I", 7))
    first = 24
    for cap in (0, 0x7FFFFFFF, 0xFFFFFFFF, 262145, 262144 + 60, 100000):
        add("bad-pcap-caplen%d.pcap" % cap, patch(base, first + 8, "<I", cap))
    second = first + 16 + struct.unpack_from("<I", base, first + 8)[0]
    add("bad-pcap-caplen-second-huge.pcap", patch(base, second + 8, "<I", 0x00FFFFFF))
    add("bad-pcap-len-lt-caplen.pcap", patch(base, first + 12, "<I", 10))
    add("bad-pcap-len0.pcap", patch(base, first + 12, "<I", 0))
    add("bad-pcap-snap64-caplen100.pcap", patch(pcap_file(False, False, 1, eth, snaplen=64), first + 8, "<I", 100))
    add("bad-pcap-usec-overflow.pcap", patch(base, first + 4, "<I", 1_500_000))
    add("bad-pcap-nsec-overflow.pcap", patch(ns_base, first + 4, ">I", 3_000_000_000))
    add("bad-pcap-trailing-garbage.pcap", base + b"\x01\x02\x03")

    # ---- damaged pcapng
    ng = pcapng_file(False, 1, eth)
    ngsize = len(ng)
    shb_len = struct.unpack_from("<I", ng, 4)[0]
    idb_off = shb_len
    idb_len = struct.unpack_from("<I", ng, idb_off + 4)[0]
    epb_off = idb_off + idb_len
    for c in sorted({4, 8, 12, 27, 28, shb_len - 1, shb_len, shb_len + 8, idb_off + idb_len - 2, epb_off + 20,
                     ngsize // 2, ngsize - 4}):
        add("bad-ng-trunc%05d.pcapng" % c, ng[:c])
    add("bad-ng-shb-len-odd.pcapng", patch(ng, 4, "<I", shb_len + 1))
    add("bad-ng-shb-len-small.pcapng", patch(ng, 4, "<I", 12))
    add("bad-ng-shb-len-huge.pcapng", patch(ng, 4, "<I", 0x7FFFFFF0))
    add("bad-ng-shb-trailer.pcapng", patch(ng, shb_len - 4, "<I", shb_len + 4))
    add("bad-ng-byte-order-magic.pcapng", patch(ng, 8, "<I", 0x12345678))
    add("bad-ng-version2.pcapng", patch(ng, 12, "<H", 2))
    add("bad-ng-version1.1.pcapng", patch(ng, 14, "<H", 1))
    add("bad-ng-idb-len-odd.pcapng", patch(ng, idb_off + 4, "<I", idb_len + 2))
    add("bad-ng-idb-len-small.pcapng", patch(ng, idb_off + 4, "<I", 8))
    add("bad-ng-idb-linktype.pcapng", patch(ng, idb_off + 8, "<H", 9999))
    add("bad-ng-idb-snaplen-huge.pcapng", patch(ng, idb_off + 12, "<I", 0xFFFFFFFF))
    add("bad-ng-idb-tsresol-bad.pcapng", ng.replace(b"\x09\x00\x01\x00\x09", b"\x09\x00\x01\x00\xff", 1))
    add("bad-ng-idb-option-len.pcapng", patch(ng, idb_off + 16 + 2, "<H", 0x7FFF))
    epb_len = struct.unpack_from("<I", ng, epb_off + 4)[0]
    add("bad-ng-epb-len-odd.pcapng", patch(ng, epb_off + 4, "<I", epb_len + 3))
    add("bad-ng-epb-len-small.pcapng", patch(ng, epb_off + 4, "<I", 16))
    add("bad-ng-epb-len-huge.pcapng", patch(ng, epb_off + 4, "<I", 0x10000000))
    add("bad-ng-epb-trailer.pcapng", patch(ng, epb_off + epb_len - 4, "<I", 4))
    add("bad-ng-epb-iface.pcapng", patch(ng, epb_off + 8, "<I", 5))
    add("bad-ng-epb-caplen.pcapng", patch(ng, epb_off + 20, "<I", 0xFFFF))
    add("bad-ng-no-idb.pcapng", ng[:idb_off] + ng[epb_off:])
    add("bad-ng-empty-section.pcapng", ng[:shb_len])
    add("bad-ng-two-shb-be.pcapng", ng + pcapng_file(True, 1, eth[:5]))
    add("bad-ng-trailing-garbage.pcapng", ng + b"\x00\x01\x02")
    print("%d files" % n)


if __name__ == "__main__":
    main()

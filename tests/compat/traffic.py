#!/usr/bin/env python3
"""Deterministic, bounded traffic for the live compat tests (tests/compat/tcpdump_live.sh,
tests/compat/capture.sh). Standard library only; needs root (raw sockets).

    traffic.py serve ADDR PORT SECONDS
        TCP listener and UDP echo on ADDR:PORT (run in the capturing namespace); prints
        "ready" once bound; ends after SECONDS.
    traffic.py send IFACE SRC DST DST_MAC PORT TAG [--no-ip]
        from the peer namespace: ICMP echoes, UDP echoes, TCP exchanges to ADDR:PORT (each waits
        for its answer, so the peer never answers after this ends; TCP ends in a reset, so no
        FIN handshake trails behind), then raw frames on IFACE: ARP, IPv6, 802.1Q, QinQ, 802.3
        LLC, small and full-size frames, and last the end marker: EtherType 0x88b5 carrying
        "pkt-compat-end-TAG". --no-ip sends only the raw frames.
    traffic.py frames IFACE N TAG
        N numbered frames (EtherType 0x88b5, "pkt-compat-frame-TAG-NNNN"), then the end marker.

Frames to addresses nobody owns, so the capturing side's kernel never answers one of them.
"""

import random
import select
import socket
import struct
import sys
import time

DEADLINE = 5.0  # seconds any one answer may take


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp4(src, dst, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
    return u[:6] + struct.pack("!H", csum(pseudo + u) or 0xFFFF) + u[8:]


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


def udp6(src, dst, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
              + struct.pack("!IxxxB", len(u), 17))
    return u[:6] + struct.pack("!H", csum(pseudo + u) or 0xFFFF) + u[8:]


def icmp6_echo(src, dst, ident, seq, payload):
    m = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    pseudo = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
              + struct.pack("!IxxxB", len(m), 58))
    return m[:2] + struct.pack("!H", csum(pseudo + m)) + m[4:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, socket.inet_aton(spa), tha,
                       socket.inet_aton(tpa))


def pad(frame):
    return frame + b"\0" * max(0, 60 - len(frame))


def end_marker(src_mac, tag):
    return pad(b"\xff" * 6 + src_mac + b"\x88\xb5" + b"pkt-compat-end-" + tag.encode())


def wait_readable(sock, what):
    r, _, _ = select.select([sock], [], [], DEADLINE)
    if not r:
        sys.exit("traffic.py: no answer to %s within %.0f s" % (what, DEADLINE))


def serve(addr, port, secs):
    end = time.monotonic() + secs
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, port))
    print("ready", flush=True)
    conns = []
    while time.monotonic() < end:
        r, _, _ = select.select([tcp, udp] + conns, [], [], max(0.0, min(0.5, end - time.monotonic())))
        for s in r:
            if s is tcp:
                c, _ = tcp.accept()
                conns.append(c)
            elif s is udp:
                data, peer = udp.recvfrom(65535)
                udp.sendto(b"echo " + data, peer)
            else:
                try:
                    data = s.recv(65535)
                except ConnectionResetError:
                    data = b""
                if data:
                    s.sendall(b"reply " + data)
                else:
                    conns.remove(s)
                    s.close()


def send(iface, src, dst, dst_mac, port, tag, with_ip):
    rng = random.Random(tag)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    src_mac = raw.getsockname()[4]
    dmac = mac(dst_mac)
    if with_ip:
        # ICMP echo (raw socket: fixed payload, so both captures and every run see equal bytes).
        icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        for seq in range(3):
            payload = bytes(rng.randrange(256) for _ in range(24 + 16 * seq))
            m = struct.pack("!BBHHH", 8, 0, 0, 0x5043, seq) + payload
            m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
            icmp.sendto(m, (dst, 0))
            while True:
                wait_readable(icmp, "ICMP echo %d" % seq)
                data = icmp.recv(65535)
                if data[20] == 0 and data[24:28] == struct.pack("!HH", 0x5043, seq):
                    break
        icmp.close()
        # UDP, echoed by serve.
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((src, 40000))
        for i in range(3):
            u.sendto(b"udp %d %s" % (i, b"x" * (i * 300)), (dst, port))
            wait_readable(u, "UDP %d" % i)
            u.recv(65535)
        u.close()
        # TCP: connect, one request and its reply, then a reset (SO_LINGER 0): nothing trails.
        for i in range(2):
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t.bind((src, 41000 + i))
            t.settimeout(DEADLINE)
            t.connect((dst, port))
            req = b"request %d" % i
            t.sendall(req)
            want = len(b"reply ") + len(req)
            got = b""
            while len(got) < want:
                chunk = t.recv(65535)
                if not chunk:
                    sys.exit("traffic.py: TCP connection %d closed early" % i)
                got += chunk
            t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            t.close()
    # Raw frames: nothing in them is for an address the capturing side owns.
    frames = []
    nobody4, nobody6 = "10.77.0.200", "fd00:77::200"
    frames.append(b"\xff" * 6 + src_mac + b"\x08\x06" + arp(1, src_mac, src, b"\0" * 6, nobody4))
    frames.append(b"\xff" * 6 + src_mac + b"\x08\x06" + arp(1, src_mac, nobody4, b"\0" * 6, nobody4))
    frames.append(dmac + src_mac + b"\x86\xdd" +
                  ipv6("fd00:77::2", nobody6, 17, udp6("fd00:77::2", nobody6, 5353, 5353, b"ipv6 udp " + tag.encode())))
    frames.append(b"\x33\x33\x00\x00\x00\x01" + src_mac + b"\x86\xdd" +
                  ipv6("fe80::2", "ff02::1", 58, icmp6_echo("fe80::2", "ff02::1", 7, 1, b"ipv6 ping")))
    vlan_udp = ipv4(src, nobody4, 17, udp4(src, nobody4, 5000, 53, b"vlan udp"), 0x1234)
    frames.append(dmac + src_mac + b"\x81\x00" + struct.pack("!H", (3 << 13) | 100) + b"\x08\x00" + vlan_udp)
    frames.append(b"\xff" * 6 + src_mac + b"\x81\x00" + struct.pack("!H", 200) + b"\x08\x06" +
                  arp(1, src_mac, src, b"\0" * 6, nobody4))
    frames.append(dmac + src_mac + b"\x88\xa8" + struct.pack("!H", 300) + b"\x81\x00" + struct.pack("!H", 400) +
                  b"\x08\x00" + vlan_udp)
    frames.append(dmac + src_mac + b"\x81\x00" + struct.pack("!H", 100) + b"\x86\xdd" +
                  ipv6("fd00:77::2", nobody6, 17, udp6("fd00:77::2", nobody6, 1000, 2000, b"v6 in vlan")))
    llc = b"\x42\x42\x03" + bytes(rng.randrange(256) for _ in range(40))  # STP-looking 802.3 frame
    frames.append(b"\x01\x80\xc2\x00\x00\x00" + src_mac + struct.pack("!H", len(llc)) + llc)
    tcp_stray = struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, 0x50, 0x02, 8192, 0, 0)
    frames.append(dmac + src_mac + b"\x08\x00" + ipv4(src, nobody4, 6, tcp_stray, 0x2222))
    big = ipv4(src, nobody4, 17, udp4(src, nobody4, 6000, 6001, bytes(rng.randrange(256) for _ in range(1472))), 0x3333)
    frames.append(dmac + src_mac + b"\x08\x00" + big)
    frames.append(dmac + src_mac + b"\x08\x00" + ipv4(src, nobody4, 1, b"\x08\x00\xf7\xff\0\0\0\0", 0x4444))
    for f in frames:
        raw.send(pad(f))
    raw.send(end_marker(src_mac, tag))
    print("sent", flush=True)


def numbered(iface, n, tag):
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    src_mac = raw.getsockname()[4]
    for i in range(n):
        raw.send(pad(b"\xff" * 6 + src_mac + b"\x88\xb5" + b"pkt-compat-frame-%s-%04d" % (tag.encode(), i)))
    raw.send(end_marker(src_mac, tag))
    print("sent %d" % n, flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "serve":
        serve(a[1], int(a[2]), float(a[3]))
    elif len(a) in (7, 8) and a[0] == "send":
        send(a[1], a[2], a[3], a[4], int(a[5]), a[6], "--no-ip" not in a[7:])
    elif len(a) == 4 and a[0] == "frames":
        numbered(a[1], int(a[2]), a[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

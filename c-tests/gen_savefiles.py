#!/usr/bin/env python3
"""Writes savefiles of every kind the reader handles, for the differential test
(test_offline_diff.c), which reads each with libpkt and with libpcap and compares.

    gen_savefiles.py DIR [SEED]

Writes into DIR (created if missing) and prints one line per file: its name and whether
libpcap 1.10 is expected to read it ("both") or only libpkt ("pkt": libpcap refuses sections of
different byte orders and interfaces of different link types or snap lengths). Deterministic for
a seed (default 1). Standard library only.
"""

import os
import random
import struct
import sys


def packets(rng, n, maxlen=1600):
    """n random frames: Ethernet-looking bytes, lengths 0..maxlen (some long, some tiny)."""
    out = []
    for i in range(n):
        size = rng.choice([0, 1, 13, 14, 60, 64, 65, 66, 67, 128, 1514, rng.randrange(maxlen + 1)])
        out.append(bytes(rng.randrange(256) for _ in range(size)))
    return out


# ---- pcap ----------------------------------------------------------------------------------

def pcap(be, nano, frames, rng, snaplen=262144, linktype=1, version=(2, 4), magic=None):
    o = ">" if be else "<"
    if magic is None:
        magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(o + "IHHiIII", magic, version[0], version[1], 0, 0, snaplen, linktype)]
    kuz = magic == 0xA1B2CD34
    sec = 1_600_000_000
    for f in frames:
        sec += rng.randrange(3)
        frac = rng.randrange(1_000_000_000 if nano else 1_000_000)
        wire = len(f) + rng.choice([0, 0, 0, 4, 1000])
        caplen = len(f)
        if version < (2, 3):
            out.append(struct.pack(o + "IIII", sec, frac, wire, caplen))
        else:
            out.append(struct.pack(o + "IIII", sec, frac, caplen, wire))
        if kuz:
            out.append(struct.pack(o + "i", 3) + bytes([0x08, 0x00, rng.randrange(5), 0]))
        out.append(f)
    return b"".join(out)


# ---- pcapng --------------------------------------------------------------------------------

def opt(o, code, value):
    pad = (-len(value)) % 4
    return struct.pack(o + "HH", code, len(value)) + value + b"\0" * pad


def block(o, btype, body):
    body = body + b"\0" * ((-len(body)) % 4)
    n = 12 + len(body)
    return struct.pack(o + "II", btype, n) + body + struct.pack(o + "I", n)


def shb(o, opts=b""):
    return block(o, 0x0A0D0D0A, struct.pack(o + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts)


def idb(o, linktype, snaplen, tsresol=None, tsoffset=None, extra=b""):
    opts = extra
    if tsresol is not None:
        opts += opt(o, 9, bytes([tsresol]))
    if tsoffset is not None:
        opts += opt(o, 14, struct.pack(o + "q", tsoffset))
    if opts:
        opts += b"\0\0\0\0"
    return block(o, 1, struct.pack(o + "HHI", linktype, 0, snaplen) + opts)


def units(tsresol):
    if tsresol is None:
        return 10**6
    if tsresol & 0x80:
        return 1 << (tsresol & 0x7F)
    return 10**tsresol


def epb(o, iface, t, f, wire, flags=None, extra=b""):
    body = struct.pack(o + "IIIII", iface, t >> 32, t & 0xFFFFFFFF, len(f), wire) + f
    body += b"\0" * ((-len(f)) % 4)
    opts = extra
    if flags is not None:
        opts += opt(o, 2, struct.pack(o + "I", flags))
    if opts:
        opts += b"\0\0\0\0"
    return block(o, 6, body + opts)


def pb(o, iface, t, f, wire):
    body = struct.pack(o + "HHIIII", iface, 0, t >> 32, t & 0xFFFFFFFF, len(f), wire) + f
    return block(o, 2, body)


def spb(o, f, wire):
    return block(o, 3, struct.pack(o + "I", wire) + f)


def isb(o, iface, drops):
    opts = opt(o, 4, struct.pack(o + "Q", 1000)) + opt(o, 5, struct.pack(o + "Q", drops))
    return block(o, 5, struct.pack(o + "III", iface, 0, 0) + opts + b"\0\0\0\0")


def pcapng(rng, frames, sections, kinds=("epb",), unknown=True):
    """sections: list of (big_endian, [(linktype, snaplen, tsresol, tsoffset), ...])."""
    out = []
    per = max(1, len(frames) // len(sections))
    chunks = [frames[i * per:(i + 1) * per] for i in range(len(sections))]
    chunks[-1] += frames[len(sections) * per:]
    for (be, ifaces), chunk in zip(sections, chunks):
        o = ">" if be else "<"
        out.append(shb(o, opt(o, 4, b"gen_savefiles.py") + opt(o, 0x7777, b"custom") + b"\0\0\0\0"))
        if unknown:
            out.append(block(o, 0x00000BAD, bytes(rng.randrange(256) for _ in range(13))))
        for lt, snap, res, off in ifaces:
            out.append(idb(o, lt, snap, res, off, extra=opt(o, 2, b"eth%d" % rng.randrange(10))))
        for f in chunk:
            i = rng.randrange(len(ifaces))
            lt, snap, res, off = ifaces[i]
            unit = units(res)
            # Times of 2017-2023, or whatever fits 64 bits in these units.
            top = min(1_700_000_000, (2**64 - 1) // unit - 1)
            t = rng.randrange(top // 2, top) * unit + rng.randrange(unit)
            snap_eff = 262144 if snap == 0 or snap > 262144 else snap
            f = f[:snap_eff]
            wire = len(f) + rng.choice([0, 0, 10])
            kind = rng.choice(kinds)
            if kind == "epb":
                flags = rng.choice([None, 1, 2, 1 | 2 << 2, 1 | 3 << 2, 1 | 4 << 2])
                out.append(epb(o, i, t, f, wire, flags))
            elif kind == "pb":
                out.append(pb(o, i, t, f, wire))
            elif kind == "spb" and len(f) == min(wire, snap_eff):
                out.append(spb(o, f, wire))
            else:
                out.append(epb(o, i, t, f, wire))
            if unknown and rng.randrange(20) == 0:
                out.append(block(o, 0x40000BAD, b"\1\2\3"))
        for i in range(len(ifaces)):
            out.append(isb(o, i, rng.randrange(100)))
    return b"".join(out)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    outdir = sys.argv[1]
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) == 3 else 1)
    os.makedirs(outdir, exist_ok=True)
    files = []

    def add(name, data, who="both"):
        with open(os.path.join(outdir, name), "wb") as fh:
            fh.write(data)
        files.append((name, who))

    for be in (False, True):
        e = "be" if be else "le"
        add("pcap_%s_us.pcap" % e, pcap(be, False, packets(rng, 200), rng))
        add("pcap_%s_ns.pcap" % e, pcap(be, True, packets(rng, 200), rng))
        # Records longer than the header's snap length: cut to it.
        add("pcap_%s_snap100.pcap" % e, pcap(be, False, packets(rng, 50), rng, snaplen=100))
        add("pcap_%s_v22.pcap" % e, pcap(be, False, packets(rng, 30), rng, version=(2, 2)))
        add("pcap_%s_kuznetzov.pcap" % e, pcap(be, False, packets(rng, 30), rng, magic=0xA1B2CD34))
        add("pcap_%s_raw.pcap" % e, pcap(be, True, packets(rng, 30), rng, linktype=101))
    add("pcap_empty.pcap", pcap(False, False, [], rng))
    for be in (False, True):
        e = "be" if be else "le"
        # Odd units (2^-32 at most: libpcap multiplies in 64 bits), offsets, several interfaces
        # of one link type and snap length, two sections of one byte order; every packet block.
        for res in (None, 3, 6, 9, 0, 1, 12, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32):
            name = "ng_%s_res%s.pcapng" % (e, "def" if res is None else "%02x" % res)
            add(name, pcapng(rng, packets(rng, 60), [(be, [(1, 0, res, None)])]))
        add("ng_%s_offset.pcapng" % e, pcapng(rng, packets(rng, 60), [(be, [(1, 262144, 9, 1000), (1, 262144, 6, -500)])]))
        add("ng_%s_sections.pcapng" % e, pcapng(rng, packets(rng, 120),
            [(be, [(1, 0, 6, None), (1, 0, 9, None)]), (be, [(1, 0, 0x80 | 16, None)]), (be, [(1, 0, None, 7)])]))
        add("ng_%s_blocks.pcapng" % e, pcapng(rng, packets(rng, 120), [(be, [(1, 0, 9, None), (1, 0, 6, None)])],
            kinds=("epb", "pb", "spb")))
        add("ng_%s_snap.pcapng" % e, pcapng(rng, packets(rng, 60), [(be, [(1, 200, 9, None)])], kinds=("epb", "spb")))
    # Only libpkt: sections of both byte orders, interfaces of different link types.
    add("ng_mixed_order.pcapng", pcapng(rng, packets(rng, 60), [(False, [(1, 0, 9, None)]), (True, [(1, 0, 6, None)])]), "pkt")
    add("ng_mixed_dlt.pcapng", pcapng(rng, packets(rng, 60), [(False, [(1, 0, 9, None), (101, 0, 9, None)])]), "pkt")
    for name, who in files:
        print(name, who)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints a capture file (pcap or pcapng, either byte order) as text without its timestamps,
so that two captures of the same packets taken at the same time compare equal:

    pcapcmp.py FILE [--ts]

pcap: the file header as hex (magic, version, zone, sigfigs, snaplen, link type), then one
line per record: caplen, wire length, bytes. pcapng: per interface its link type and snap
length (options left out: dumpcap writes its version and the OS there), per packet block the
interface, caplen, wire length and bytes. --ts adds the timestamps. A damaged or truncated
file prints what it could read, then "TRUNCATED" or "BAD ...". Standard library only.
"""

import struct
import sys


def pcap(data, with_ts, out):
    magic = struct.unpack("<I", data[:4])[0]
    o = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out.append("pcap header %s" % data[:24].hex())
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            out.append("TRUNCATED record header at %d" % off)
            return
        sec, frac, cap, wire = struct.unpack_from(o + "IIII", data, off)
        off += 16
        if off + cap > len(data):
            out.append("TRUNCATED record data at %d" % off)
            return
        ts = "%d.%09d " % (sec, frac) if with_ts else ""
        out.append("%scaplen %d len %d %s" % (ts, cap, wire, data[off:off + cap].hex()))
        off += cap


def pcapng(data, with_ts, out):
    off = 0
    o = "<"
    while off < len(data):
        if off + 12 > len(data):
            out.append("TRUNCATED block at %d" % off)
            return
        btype = struct.unpack_from("<I", data, off)[0]
        if btype == 0x0A0D0D0A:
            o = "<" if struct.unpack_from("<I", data, off + 8)[0] == 0x1A2B3C4D else ">"
            out.append("section %s version %d.%d" % ("le" if o == "<" else "be", *struct.unpack_from(o + "HH", data, off + 12)))
        btype, blen = struct.unpack_from(o + "II", data, off)
        if blen < 12 or blen % 4 or off + blen > len(data):
            out.append("BAD block length %d at %d" % (blen, off))
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            lt, _, snap = struct.unpack_from(o + "HHI", body)
            out.append("interface linktype %d snaplen %d" % (lt, snap))
        elif btype == 6:
            iface, hi, lo, cap, wire = struct.unpack_from(o + "IIIII", body)
            ts = "%d " % ((hi << 32) | lo) if with_ts else ""
            out.append("%sepb iface %d caplen %d len %d %s" % (ts, iface, cap, wire, body[20:20 + cap].hex()))
        elif btype == 3:
            wire = struct.unpack_from(o + "I", body)[0]
            out.append("spb len %d %s" % (wire, body[4:].hex()))
        elif btype not in (0x0A0D0D0A, 5):  # statistics blocks hold times and counts
            out.append("block type %#x length %d" % (btype, blen))
        off += blen


def main():
    args = sys.argv[1:]
    with_ts = "--ts" in args
    args = [a for a in args if a != "--ts"]
    if len(args) != 1:
        sys.exit(__doc__)
    with open(args[0], "rb") as fh:
        data = fh.read()
    out = []
    if len(data) < 24:
        out.append("SHORT file of %d bytes" % len(data))
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        pcapng(data, with_ts, out)
    else:
        pcap(data, with_ts, out)
    print("\n".join(out))


if __name__ == "__main__":
    main()

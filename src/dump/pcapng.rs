//! The pcapng format (draft-ietf-opsawg-pcapng): blocks of type, total length, body, total
//! length again, every block and option padded to 32 bits. Written little endian; the section
//! header's byte-order magic tells readers so.

/// Section Header Block.
pub const SHB: u32 = 0x0a0d_0d0a;
/// Interface Description Block.
pub const IDB: u32 = 1;
/// Interface Statistics Block.
pub const ISB: u32 = 5;
/// Enhanced Packet Block.
pub const EPB: u32 = 6;
/// The byte-order magic of the section header.
pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

const OPT_ENDOFOPT: u16 = 0;
const SHB_OS: u16 = 3;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const EPB_FLAGS: u16 = 2;
const ISB_STARTTIME: u16 = 2;
const ISB_ENDTIME: u16 = 3;
const ISB_IFRECV: u16 = 4;
const ISB_OSDROP: u16 = 7;

/// `epb_flags` direction: inbound.
pub const DIR_INBOUND: u32 = 1;
/// `epb_flags` direction: outbound.
pub const DIR_OUTBOUND: u32 = 2;
/// `epb_flags` reception type (bits 2-4): unicast.
pub const RX_UNICAST: u32 = 1 << 2;
/// Reception type: multicast.
pub const RX_MULTICAST: u32 = 2 << 2;
/// Reception type: broadcast.
pub const RX_BROADCAST: u32 = 3 << 2;
/// Reception type: promiscuous (addressed to another host).
pub const RX_PROMISCUOUS: u32 = 4 << 2;

/// `n` rounded up to a multiple of 4.
pub const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Length of an option carrying `len` bytes of value.
const fn opt_len(len: usize) -> usize {
    4 + pad4(len)
}

fn begin(out: &mut Vec<u8>, block_type: u32) -> usize {
    let start = out.len();
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // total length, filled in by `end`
    start
}

fn end(out: &mut Vec<u8>, start: usize) {
    debug_assert_eq!((out.len() - start) % 4, 0);
    let total = (out.len() - start + 4) as u32;
    out.extend_from_slice(&total.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&total.to_le_bytes());
}

fn pad(out: &mut Vec<u8>, len: usize) {
    out.resize(out.len() + pad4(len) - len, 0);
}

fn opt(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    // Option values are at most u16::MAX bytes; callers cut longer strings.
    let value = &value[..value.len().min(u16::MAX as usize & !3)];
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    pad(out, value.len());
}

fn opt_end(out: &mut Vec<u8>) {
    out.extend_from_slice(&OPT_ENDOFOPT.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
}

/// A 64-bit timestamp as pcapng stores it: the upper 32 bits, then the lower 32 bits.
fn ts_words(ts: u64) -> [u8; 8] {
    let mut w = [0u8; 8];
    w[..4].copy_from_slice(&((ts >> 32) as u32).to_le_bytes());
    w[4..].copy_from_slice(&(ts as u32).to_le_bytes());
    w
}

/// Appends a Section Header Block (version 1.0, section length unknown) with `shb_os` (when
/// known) and `shb_userappl`.
pub fn shb(out: &mut Vec<u8>, os: Option<&str>, userappl: &str) {
    let start = begin(out, SHB);
    out.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(-1i64).to_le_bytes());
    if let Some(os) = os {
        opt(out, SHB_OS, os.as_bytes());
    }
    opt(out, SHB_USERAPPL, userappl.as_bytes());
    opt_end(out);
    end(out, start);
}

/// Appends an Interface Description Block: link type, snap length, `if_name` (when known) and
/// `if_tsresol` (6: microseconds, 9: nanoseconds).
pub fn idb(out: &mut Vec<u8>, linktype: u16, snaplen: u32, name: Option<&str>, tsresol: u8) {
    let start = begin(out, IDB);
    out.extend_from_slice(&linktype.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&snaplen.to_le_bytes());
    if let Some(name) = name {
        opt(out, IF_NAME, name.as_bytes());
    }
    opt(out, IF_TSRESOL, &[tsresol]);
    opt_end(out);
    end(out, start);
}

/// Length of the block [`idb`] appends.
pub fn idb_len(name: Option<&str>) -> usize {
    let name = name.map_or(0, |n| opt_len(n.len().min(u16::MAX as usize & !3)));
    8 + 8 + name + opt_len(1) + 4 + 4
}

/// Appends an Enhanced Packet Block: interface id, timestamp (in the interface's `if_tsresol`
/// units), captured length (the bytes of `parts`), original length, the data padded to 32
/// bits, and `epb_flags`.
pub fn epb(out: &mut Vec<u8>, if_id: u32, ts: u64, orig_len: u32, parts: &[&[u8]], flags: u32) {
    let caplen: usize = parts.iter().map(|p| p.len()).sum();
    let start = begin(out, EPB);
    out.extend_from_slice(&if_id.to_le_bytes());
    out.extend_from_slice(&ts_words(ts));
    out.extend_from_slice(&(caplen as u32).to_le_bytes());
    out.extend_from_slice(&orig_len.to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    pad(out, caplen);
    opt(out, EPB_FLAGS, &flags.to_le_bytes());
    opt_end(out);
    end(out, start);
}

/// Length of the block [`epb`] appends for `caplen` bytes of data.
pub const fn epb_len(caplen: usize) -> usize {
    8 + 20 + pad4(caplen) + opt_len(4) + 4 + 4
}

/// Counters and times for an Interface Statistics Block (times in `if_tsresol` units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsbCounts {
    pub start: u64,
    pub end: u64,
    pub recv: u64,
    pub drop: u64,
}

/// Appends an Interface Statistics Block stamped with `c.end`: `isb_starttime`,
/// `isb_endtime`, `isb_ifrecv`, `isb_osdrop`.
pub fn isb(out: &mut Vec<u8>, if_id: u32, c: &IsbCounts) {
    let start = begin(out, ISB);
    out.extend_from_slice(&if_id.to_le_bytes());
    out.extend_from_slice(&ts_words(c.end));
    opt(out, ISB_STARTTIME, &ts_words(c.start));
    opt(out, ISB_ENDTIME, &ts_words(c.end));
    opt(out, ISB_IFRECV, &c.recv.to_le_bytes());
    opt(out, ISB_OSDROP, &c.drop.to_le_bytes());
    opt_end(out);
    end(out, start);
}

/// Length of the block [`isb`] appends.
pub const fn isb_len() -> usize {
    8 + 12 + 4 * opt_len(8) + 4 + 4
}

/// `epb_flags` for a Linux packet type (`PACKET_HOST`, ...): direction and reception type.
pub fn flags_of(pkttype: u8) -> u32 {
    match pkttype {
        0 => DIR_INBOUND | RX_UNICAST,
        1 => DIR_INBOUND | RX_BROADCAST,
        2 => DIR_INBOUND | RX_MULTICAST,
        3 => DIR_INBOUND | RX_PROMISCUOUS,
        4 => DIR_OUTBOUND,
        _ => DIR_INBOUND,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(v: &[u8], off: usize) -> u32 {
        u32::from_le_bytes(v[off..off + 4].try_into().unwrap())
    }

    /// Walks the blocks of `v`: each has equal leading and trailing lengths, a multiple of 4.
    fn blocks(v: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        let mut off = 0;
        while off < v.len() {
            let t = u32_at(v, off);
            let len = u32_at(v, off + 4) as usize;
            assert_eq!(len % 4, 0, "block at {off}: length {len}");
            assert_eq!(u32_at(v, off + len - 4) as usize, len, "block at {off}: trailer");
            out.push((t, len));
            off += len;
        }
        assert_eq!(off, v.len());
        out
    }

    #[test]
    fn section_header_bytes() {
        let mut v = Vec::new();
        shb(&mut v, Some("Linux 6.1"), "libpkt 0.1.0");
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[0x0a, 0x0d, 0x0d, 0x0a][..], &[64, 0, 0, 0],       // type, length
            &[0x4d, 0x3c, 0x2b, 0x1a], &[1, 0, 0, 0],              // magic, version 1.0
            &[0xff; 8],                                            // section length -1
            &[3, 0, 9, 0], b"Linux 6.1", &[0, 0, 0],               // shb_os, padded
            &[4, 0, 12, 0], b"libpkt 0.1.0",                       // shb_userappl
            &[0, 0, 0, 0],                                         // opt_endofopt
            &[64, 0, 0, 0],
        ].concat();
        assert_eq!(v, want);
        v.clear();
        shb(&mut v, None, "x");
        assert_eq!(blocks(&v), [(SHB, 40)]);
    }

    #[test]
    fn interface_description_bytes() {
        let mut v = Vec::new();
        idb(&mut v, 1, 262144, Some("v0"), 9);
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[1, 0, 0, 0][..], &[40, 0, 0, 0],
            &[1, 0, 0, 0],                                 // linktype, reserved
            &[0, 0, 4, 0],                                 // snaplen
            &[2, 0, 2, 0], b"v0", &[0, 0],                 // if_name
            &[9, 0, 1, 0], &[9, 0, 0, 0],                  // if_tsresol
            &[0, 0, 0, 0],
            &[40, 0, 0, 0],
        ].concat();
        assert_eq!(v, want);
        assert_eq!(idb_len(Some("v0")), 40);
        v.clear();
        idb(&mut v, 276, 100, None, 6);
        assert_eq!(v.len(), idb_len(None));
        assert_eq!(blocks(&v), [(IDB, 32)]);
        assert_eq!(v[20], 6);
    }

    #[test]
    fn enhanced_packet_bytes_and_padding() {
        let mut v = Vec::new();
        epb(&mut v, 1, 0x0000_0001_0000_0002, 80, &[&[0xa1, 0xa2], &[0xa3]], 5);
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[6, 0, 0, 0][..], &[48, 0, 0, 0],
            &[1, 0, 0, 0],                                 // interface id
            &[1, 0, 0, 0], &[2, 0, 0, 0],                  // timestamp high, low
            &[3, 0, 0, 0], &[80, 0, 0, 0],                 // captured, original length
            &[0xa1, 0xa2, 0xa3, 0],                        // data, padded
            &[2, 0, 4, 0], &[5, 0, 0, 0],                  // epb_flags
            &[0, 0, 0, 0],
            &[48, 0, 0, 0],
        ].concat();
        assert_eq!(v, want);
        for n in 0..9 {
            v.clear();
            let data = vec![0x55; n];
            epb(&mut v, 0, 0, n as u32, &[&data], 2);
            assert_eq!(v.len(), epb_len(n));
            assert_eq!(v.len() % 4, 0);
            assert_eq!(blocks(&v), [(EPB, epb_len(n))]);
        }
        assert_eq!(epb_len(0), 44);
        assert_eq!(epb_len(1), 48);
        assert_eq!(epb_len(4), 48);
        assert_eq!(epb_len(5), 52);
    }

    #[test]
    fn interface_statistics_bytes() {
        let mut v = Vec::new();
        let c = IsbCounts {
            start: 0x0000_0002_0000_0003,
            end: 0x0000_0004_0000_0005,
            recv: 7,
            drop: 0x1_0000_0001,
        };
        isb(&mut v, 3, &c);
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &[5, 0, 0, 0][..], &[76, 0, 0, 0],
            &[3, 0, 0, 0],                                 // interface id
            &[4, 0, 0, 0], &[5, 0, 0, 0],                  // timestamp = end
            &[2, 0, 8, 0], &[2, 0, 0, 0], &[3, 0, 0, 0],   // isb_starttime
            &[3, 0, 8, 0], &[4, 0, 0, 0], &[5, 0, 0, 0],   // isb_endtime
            &[4, 0, 8, 0], &[7, 0, 0, 0, 0, 0, 0, 0],      // isb_ifrecv
            &[7, 0, 8, 0], &[1, 0, 0, 0, 1, 0, 0, 0],      // isb_osdrop
            &[0, 0, 0, 0],
            &[76, 0, 0, 0],
        ].concat();
        assert_eq!(v, want);
        assert_eq!(isb_len(), 76);
    }

    #[test]
    fn direction_and_reception_flags() {
        assert_eq!(flags_of(0), 0b00101); // host: inbound, unicast
        assert_eq!(flags_of(1), 0b01101); // broadcast
        assert_eq!(flags_of(2), 0b01001); // multicast
        assert_eq!(flags_of(3), 0b10001); // other host: promiscuous
        assert_eq!(flags_of(4), 0b00010); // outgoing
        assert_eq!(flags_of(5), 0b00001);
    }
}

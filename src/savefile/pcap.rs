//! Classic pcap: the 24-byte file header, then one record per packet, each a 16-byte header
//! (seconds, fraction, captured length, original length) and the captured bytes. Files are
//! written in their writer's byte order; the magic number says which, and the header fields are
//! converted on every record (a load and, for the other byte order, a byte swap).
//!
//! Also read, as libpcap does: nanosecond files (magic 0xa1b23c4d), Alexey Kuznetzov's modified
//! format (magic 0xa1b2cd34, 24-byte record headers that add the interface index, protocol and
//! packet type), and the length fields of versions before 2.4 (swapped before 2.3, maybe
//! swapped in 2.3, swapped in the byte-swapped 543.0 of some old writers).

use super::{rd16, rd32, Bad, Step, MAX_CAPLEN};
use crate::packet::Info;

/// Microsecond timestamps.
pub(super) const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
/// Nanosecond timestamps.
pub(super) const MAGIC_NANO: u32 = 0xa1b2_3c4d;
/// Alexey Kuznetzov's modified pcap (microseconds, longer record headers).
pub(super) const MAGIC_KUZNETZOV: u32 = 0xa1b2_cd34;
/// Length of the file header.
pub(super) const FILE_HEADER_LEN: usize = 24;
/// Record header lengths.
const RECORD_LEN: usize = 16;
const RECORD_LEN_KUZNETZOV: usize = 24;
/// The link-type field's low 26 bits are the link type; the bits above say whether an FCS is
/// present and its length.
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

/// How the length fields of a record are laid out (versions before 2.4 differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lengths {
    /// caplen, then len.
    Plain,
    /// len, then caplen (versions before 2.3, and 543.0).
    Swapped,
    /// 2.3: swapped when caplen would otherwise exceed len.
    Maybe,
}

/// A pcap file being read: what its header said.
#[derive(Clone, Debug)]
pub(super) struct Pcap {
    /// Header fields are big-endian.
    be: bool,
    nano: bool,
    record_len: usize,
    lengths: Lengths,
    /// Bytes kept of each record: the header's snap length (0 or more than 262144 count as
    /// 262144), as libpcap's `pcap_snapshot`.
    snapshot: u32,
    dlt: u16,
}

/// The byte order of a pcap file from its first four bytes: Some(big-endian) for a pcap magic.
pub(super) fn magic_order(first: [u8; 4]) -> Option<bool> {
    let known = |m: u32| matches!(m, MAGIC_MICRO | MAGIC_NANO | MAGIC_KUZNETZOV);
    if known(u32::from_le_bytes(first)) {
        Some(false)
    } else if known(u32::from_be_bytes(first)) {
        Some(true)
    } else {
        None
    }
}

/// A snap length as libpcap adjusts it: 0 and anything over the largest ([`MAX_CAPLEN`]) mean
/// the largest.
pub(super) fn adjust_snaplen(snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > MAX_CAPLEN {
        MAX_CAPLEN
    } else {
        snaplen
    }
}

impl Pcap {
    /// Parses the 24-byte file header `h` (whose magic [`magic_order`] recognised).
    pub(super) fn header(h: &[u8; FILE_HEADER_LEN]) -> Result<Pcap, Bad> {
        let first = [h[0], h[1], h[2], h[3]];
        let be = magic_order(first).ok_or_else(|| "not a pcap file".to_string())?;
        let magic = rd32(h, 0, be);
        let (major, minor) = (rd16(h, 4, be), rd16(h, 6, be));
        if major < 2 {
            return Err(format!("archaic pcap savefile format (version {major}.{minor})"));
        }
        let lengths = match (major, minor) {
            (2, 0..=2) | (543, 0) => Lengths::Swapped,
            (2, 3) => Lengths::Maybe,
            (2, 4) => Lengths::Plain,
            _ => return Err(format!("unsupported pcap savefile version {major}.{minor}")),
        };
        let linktype = rd32(h, 20, be) & LINKTYPE_MASK;
        let dlt = u16::try_from(linktype)
            .map_err(|_| format!("pcap link type {linktype} is out of range (over 65535)"))?;
        let mut snapshot = adjust_snaplen(rd32(h, 16, be));
        let kuznetzov = magic == MAGIC_KUZNETZOV;
        if kuznetzov && dlt == crate::dump::linktype::EN10MB {
            // libpcap: those writers counted the snap length without the Ethernet header.
            snapshot += 14;
        }
        Ok(Pcap {
            be,
            nano: magic == MAGIC_NANO,
            record_len: if kuznetzov {
                RECORD_LEN_KUZNETZOV
            } else {
                RECORD_LEN
            },
            lengths,
            snapshot,
            dlt,
        })
    }

    /// The file's link type (the header's, without the FCS bits).
    pub(super) fn dlt(&self) -> u16 {
        self.dlt
    }

    /// The file is big-endian (its writer's byte order).
    pub(super) fn big_endian(&self) -> bool {
        self.be
    }

    /// The snap length in effect.
    pub(super) fn snapshot(&self) -> u32 {
        self.snapshot
    }

    /// The record at the start of `w`.
    #[inline(always)]
    pub(super) fn step(&self, w: &[u8]) -> Result<Step, Bad> {
        let n = self.record_len;
        let Some(h) = w.get(..n) else {
            return Ok(if w.is_empty() { Step::End } else { Step::Need(n) });
        };
        let be = self.be;
        let sec = rd32(h, 0, be);
        let frac = rd32(h, 4, be);
        let (mut caplen, mut len) = (rd32(h, 8, be), rd32(h, 12, be));
        match self.lengths {
            Lengths::Plain => {}
            Lengths::Maybe if caplen <= len => {}
            Lengths::Maybe | Lengths::Swapped => std::mem::swap(&mut caplen, &mut len),
        }
        if caplen > MAX_CAPLEN {
            return Err(format!(
                "captured length {caplen} is over the largest a savefile may hold ({MAX_CAPLEN})"
            ));
        }
        let total = n + caplen as usize;
        if w.len() < total {
            return Ok(Step::Need(total));
        }
        // Seconds and the fraction are signed 32 bits, as libpcap 1.10 reads them (a time after
        // 2038 comes out negative there; libpcap 1.11 reads seconds unsigned): the instant is
        // the one libpcap gives.
        let frac = i64::from(frac as i32);
        let frac_ns = if self.nano { frac } else { frac * 1000 };
        let (sec, nsec) = super::carry(i64::from(sec as i32), frac_ns);
        // A record longer than the snap length is cut to it (what libpcap does: old writers
        // got the header's snap length wrong).
        let caplen = caplen.min(self.snapshot);
        let mut info = Info {
            sec,
            nsec,
            caplen,
            len,
            linktype: self.dlt,
            ..Info::default()
        };
        if n == RECORD_LEN_KUZNETZOV {
            // Interface index (16), protocol in network byte order (20), packet type (22).
            info.protocol = u16::from_be_bytes([h[20], h[21]]);
            info.pkttype = h[22];
        }
        Ok(Step::Packet {
            data: n,
            info,
            next: total,
        })
    }
}

//! pcapng (draft-ietf-opsawg-pcapng): blocks of type, total length, body, total length again,
//! in sections that each start with a Section Header Block, whose byte-order magic gives the
//! byte order of the section (sections of one file may differ). Interface Description Blocks
//! give each packet's link type, snap length and timestamp unit (`if_tsresol`, a power of 10
//! or of 2) and offset (`if_tsoffset`); packets come in Enhanced (EPB), Simple (SPB) and the
//! obsolete Packet Blocks (PB); Interface Statistics Blocks (ISB) carry drop counts. Every
//! other block, and every option not named here, is skipped.
//!
//! Limits, as libpcap's: a block of more than [`MAX_BLOCK`] bytes is an error, and so is a
//! packet longer than its interface's snap length (at most 262144). The interfaces of all
//! sections are numbered in file order (at most [`MAX_IFACES`]): that number is a packet's
//! `ifindex`.

use super::pcap::adjust_snaplen;
use super::{rd16, rd32, Bad, Step};
use crate::packet::Info;

/// The block types read.
pub(super) const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const ISB: u32 = 5;
const EPB: u32 = 6;
/// The first bytes of every pcapng file (the SHB's type reads the same in both byte orders).
pub(super) const SHB_BYTES: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// The largest block accepted (libpcap's limit): bounds what a stream buffers for one block.
pub const MAX_BLOCK: usize = 16 << 20;
/// The most interfaces a file may describe, over all its sections.
pub const MAX_IFACES: usize = 1 << 16;

// Option codes.
const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;
const EPB_FLAGS: u16 = 2;
const ISB_IFDROP: u16 = 5;
const ISB_OSDROP: u16 = 7;

/// How an interface's timestamps turn into seconds and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resol {
    /// 10^-6 (the default).
    Micro,
    /// 10^-9.
    Nano,
    /// 10^-n for another n (0..=19): the fraction is multiplied by `mul` and divided by `div`
    /// (one of them 1), exactly.
    Dec { unit: u64, mul: u64, div: u64 },
    /// 2^-n (n in 0..=63).
    Bin(u32),
}

impl Resol {
    /// From the `if_tsresol` byte: bit 7 set means a power of 2.
    fn from_option(v: u8) -> Result<Resol, Bad> {
        if v & 0x80 != 0 {
            let shift = u32::from(v & 0x7f);
            if shift > 63 {
                return Err(format!(
                    "interface description has if_tsresol 2^-{shift}, too fine for 64-bit times"
                ));
            }
            return Ok(Resol::Bin(shift));
        }
        let n = u32::from(v);
        Ok(match n {
            6 => Resol::Micro,
            9 => Resol::Nano,
            0..=8 => Resol::Dec {
                unit: 10u64.pow(n),
                mul: 10u64.pow(9 - n),
                div: 1,
            },
            10..=19 => Resol::Dec {
                unit: 10u64.pow(n),
                mul: 1,
                div: 10u64.pow(n - 9),
            },
            _ => {
                return Err(format!(
                    "interface description has if_tsresol 10^-{n}, too fine for 64-bit times"
                ))
            }
        })
    }

    /// Seconds and nanoseconds (truncated) of a timestamp in these units.
    #[inline(always)]
    fn split(self, t: u64) -> (u64, u32) {
        match self {
            Resol::Micro => (t / 1_000_000, (t % 1_000_000) as u32 * 1000),
            Resol::Nano => (t / 1_000_000_000, (t % 1_000_000_000) as u32),
            // (t % unit) * mul < 10^9 when mul > 1; with div > 1 it is below 10^19.
            Resol::Dec { unit, mul, div } => (t / unit, ((t % unit) * mul / div) as u32),
            Resol::Bin(0) => (t, 0),
            Resol::Bin(s) => {
                let frac = u128::from(t & ((1u64 << s) - 1));
                (t >> s, ((frac * 1_000_000_000) >> s) as u32)
            }
        }
    }
}

/// One interface description.
#[derive(Clone, Debug)]
pub(super) struct Iface {
    pub(super) dlt: u16,
    /// The snap length as libpcap adjusts it (0 means 262144).
    pub(super) snaplen: u32,
    resol: Resol,
    /// `if_tsoffset`: seconds added to every timestamp (two's complement).
    tsoffset: u64,
    /// The drops of its last statistics block, if one was read.
    drops: Option<u64>,
}

/// The state of a pcapng file being read.
#[derive(Debug)]
pub(super) struct Pcapng {
    /// The current section is big-endian.
    be: bool,
    /// Global number of the current section's interface 0.
    base: usize,
    /// Interfaces of the current section.
    count: usize,
    /// Every interface of the file, in file order.
    ifaces: Vec<Iface>,
    /// Sum of `drops` over the interfaces.
    drops: u64,
}

impl Pcapng {
    pub(super) fn new() -> Pcapng {
        Pcapng {
            be: false,
            base: 0,
            count: 0,
            ifaces: Vec::new(),
            drops: 0,
        }
    }

    /// The interfaces described so far (file order).
    pub(super) fn ifaces(&self) -> &[Iface] {
        &self.ifaces
    }

    /// The current section is big-endian (its writer's byte order).
    pub(super) fn big_endian(&self) -> bool {
        self.be
    }

    /// Drops of the statistics blocks read so far, over all interfaces.
    pub(super) fn drops(&self) -> u64 {
        self.drops
    }

    /// The block at the start of `w`.
    #[inline(always)]
    pub(super) fn step(&mut self, w: &[u8]) -> Result<Step, Bad> {
        let Some(head) = w.get(..8) else {
            return Ok(if w.is_empty() { Step::End } else { Step::Need(8) });
        };
        let (btype, be) = if head[..4] == SHB_BYTES {
            // A section header says its own byte order, after its length.
            let Some(magic) = w.get(8..12) else {
                return Ok(Step::Need(12));
            };
            let be = match magic {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                m => {
                    return Err(format!(
                        "section header block with a bad byte-order magic {:02x} {:02x} {:02x} {:02x}",
                        m[0], m[1], m[2], m[3]
                    ))
                }
            };
            (SHB, be)
        } else {
            (rd32(head, 0, self.be), self.be)
        };
        let len = rd32(head, 4, be) as usize;
        if len < 12 {
            return Err(format!("block of type {btype:#x} has a length of {len} (< 12)"));
        }
        if len % 4 != 0 {
            return Err(format!(
                "block of type {btype:#x} has a length of {len}, not a multiple of 4"
            ));
        }
        if len > MAX_BLOCK {
            return Err(format!(
                "block of type {btype:#x} has a length of {len}, over the {MAX_BLOCK}-byte limit"
            ));
        }
        if btype == SHB && len < 28 {
            return Err(format!("section header block has a length of {len} (< 28)"));
        }
        let Some(block) = w.get(..len) else {
            return Ok(Step::Need(len));
        };
        let trailer = rd32(block, len - 4, be) as usize;
        if trailer != len {
            return Err(format!(
                "block of type {btype:#x}: the length at its end ({trailer}) differs from the one at its start ({len})"
            ));
        }
        let body = &block[8..len - 4];
        match btype {
            EPB => self.epb(body, len),
            SPB => self.spb(body, len),
            PB => self.pb(body, len),
            SHB => {
                self.section(body, be)?;
                Ok(Step::Other(len))
            }
            IDB => {
                self.interface(body)?;
                Ok(Step::Other(len))
            }
            ISB => {
                self.statistics(body);
                Ok(Step::Other(len))
            }
            _ => Ok(Step::Other(len)),
        }
    }

    /// A new section: its byte order, version; its interfaces start afresh.
    fn section(&mut self, body: &[u8], be: bool) -> Result<(), Bad> {
        let (major, minor) = (rd16(body, 4, be), rd16(body, 6, be));
        if major != 1 {
            return Err(format!("unsupported pcapng version {major}.{minor}"));
        }
        self.be = be;
        self.base = self.ifaces.len();
        self.count = 0;
        Ok(())
    }

    /// An interface description: link type, snap length, then the options (checked as
    /// libpcap checks them: they decide the timestamps).
    fn interface(&mut self, body: &[u8]) -> Result<(), Bad> {
        let be = self.be;
        if body.len() < 8 {
            return Err("interface description block is too short".into());
        }
        if self.ifaces.len() >= MAX_IFACES {
            return Err(format!("more than {MAX_IFACES} interface descriptions"));
        }
        let mut iface = Iface {
            dlt: rd16(body, 0, be),
            snaplen: adjust_snaplen(rd32(body, 4, be)),
            resol: Resol::Micro,
            tsoffset: 0,
            drops: None,
        };
        let (mut resol_seen, mut offset_seen) = (false, false);
        let mut opts = &body[8..];
        while !opts.is_empty() {
            let Some(h) = opts.get(..4) else {
                return Err("interface description: an option header is cut short".into());
            };
            let (code, olen) = (rd16(h, 0, be), usize::from(rd16(h, 2, be)));
            let Some(value) = opts.get(4..4 + olen) else {
                return Err(format!("interface description: option {code} is cut short"));
            };
            match code {
                OPT_ENDOFOPT if olen != 0 => {
                    return Err(format!(
                        "interface description: opt_endofopt has a length of {olen}"
                    ))
                }
                OPT_ENDOFOPT => break,
                IF_TSRESOL => {
                    if olen != 1 || resol_seen {
                        return Err("interface description: a bad or second if_tsresol".into());
                    }
                    resol_seen = true;
                    iface.resol = Resol::from_option(value[0])?;
                }
                IF_TSOFFSET => {
                    if olen != 8 || offset_seen {
                        return Err("interface description: a bad or second if_tsoffset".into());
                    }
                    offset_seen = true;
                    iface.tsoffset = rd64(value, 0, be);
                }
                _ => {}
            }
            opts = opts.get(4 + pad4(olen)..).unwrap_or(&[]);
        }
        self.ifaces.push(iface);
        self.count += 1;
        Ok(())
    }

    /// The interface `id` of the current section, with its global number.
    #[inline(always)]
    fn iface(&self, id: u32) -> Result<(usize, &Iface), Bad> {
        let g = self.base + id as usize;
        match self.ifaces.get(g) {
            Some(i) if (id as usize) < self.count => Ok((g, i)),
            _ => Err(format!(
                "a packet of interface {id}, but the section describes {} interface(s)",
                self.count
            )),
        }
    }

    /// A packet with interface `id`, timestamp `t` (units of the interface), captured and
    /// original lengths, its data at `data_at` in a block of length `len`, whose body (block
    /// offset 8) holds `room` bytes for the data from there.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn packet(
        &self,
        id: u32,
        t: u64,
        caplen: u32,
        wire: u32,
        data_at: usize,
        room: usize,
        flags: u32,
        len: usize,
    ) -> Result<Step, Bad> {
        let (g, iface) = self.iface(id)?;
        if caplen > iface.snaplen {
            return Err(format!(
                "captured length {caplen} is over the interface's snap length {}",
                iface.snaplen
            ));
        }
        if caplen as usize > room {
            return Err(format!(
                "captured length {caplen} does not fit in the block ({room} bytes left)"
            ));
        }
        let (sec, nsec) = iface.resol.split(t);
        Ok(Step::Packet {
            data: data_at,
            info: Info {
                sec: sec.wrapping_add(iface.tsoffset) as i64,
                nsec,
                caplen,
                len: wire,
                ifindex: g as i32,
                linktype: iface.dlt,
                pkttype: pkttype_of(flags),
                ..Info::default()
            },
            next: len,
        })
    }

    /// Enhanced Packet Block: interface, timestamp (high, low), captured and original length,
    /// data, options (`epb_flags`).
    #[inline(always)]
    fn epb(&self, body: &[u8], len: usize) -> Result<Step, Bad> {
        let be = self.be;
        let Some(f) = body.get(..20) else {
            return Err("enhanced packet block is too short".into());
        };
        let caplen = rd32(f, 12, be);
        let opts = body.get(20 + pad4(caplen as usize)..).unwrap_or(&[]);
        let t = u64::from(rd32(f, 4, be)) << 32 | u64::from(rd32(f, 8, be));
        self.packet(
            rd32(f, 0, be),
            t,
            caplen,
            rd32(f, 16, be),
            8 + 20,
            body.len() - 20,
            option_u32(opts, EPB_FLAGS, be).unwrap_or(0),
            len,
        )
    }

    /// Obsolete Packet Block: as the EPB with a 16-bit interface and a drop count.
    fn pb(&self, body: &[u8], len: usize) -> Result<Step, Bad> {
        let be = self.be;
        let Some(f) = body.get(..20) else {
            return Err("packet block is too short".into());
        };
        let caplen = rd32(f, 12, be);
        let opts = body.get(20 + pad4(caplen as usize)..).unwrap_or(&[]);
        let t = u64::from(rd32(f, 4, be)) << 32 | u64::from(rd32(f, 8, be));
        self.packet(
            u32::from(rd16(f, 0, be)),
            t,
            caplen,
            rd32(f, 16, be),
            8 + 20,
            body.len() - 20,
            // pack_flags: the bits of epb_flags.
            option_u32(opts, EPB_FLAGS, be).unwrap_or(0),
            len,
        )
    }

    /// Simple Packet Block: the original length, then min(length, snap length of interface 0)
    /// bytes; no timestamp (0, plus the interface's offset).
    fn spb(&self, body: &[u8], len: usize) -> Result<Step, Bad> {
        let Some(f) = body.get(..4) else {
            return Err("simple packet block is too short".into());
        };
        let wire = rd32(f, 0, self.be);
        let (_, iface0) = self.iface(0)?;
        let caplen = wire.min(iface0.snaplen);
        self.packet(0, 0, caplen, wire, 8 + 4, body.len() - 4, 0, len)
    }

    /// Interface Statistics Block: remembers the interface's drops (`isb_osdrop`, or
    /// `isb_ifdrop` without it). A damaged one, or one of an unknown interface, is ignored, as
    /// libpcap ignores them all.
    fn statistics(&mut self, body: &[u8]) {
        let be = self.be;
        if body.len() < 12 {
            return;
        }
        let id = rd32(body, 0, be) as usize;
        if id >= self.count {
            return;
        }
        let (mut ifdrop, mut osdrop) = (None, None);
        for (code, value) in options(&body[12..], be) {
            match (code, value.len()) {
                (ISB_IFDROP, 8) => ifdrop = Some(rd64(value, 0, be)),
                (ISB_OSDROP, 8) => osdrop = Some(rd64(value, 0, be)),
                _ => {}
            }
        }
        let Some(drops) = osdrop.or(ifdrop) else {
            return;
        };
        let iface = &mut self.ifaces[self.base + id];
        let old = iface.drops.replace(drops).unwrap_or(0);
        self.drops = self.drops.wrapping_sub(old).wrapping_add(drops);
    }
}

/// `n` rounded up to a multiple of 4.
fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

fn rd64(b: &[u8], off: usize, be: bool) -> u64 {
    let (hi, lo) = if be {
        (rd32(b, off, be), rd32(b, off + 4, be))
    } else {
        (rd32(b, off + 4, be), rd32(b, off, be))
    };
    u64::from(hi) << 32 | u64::from(lo)
}

/// The options of a block, (code, value) in order, up to `opt_endofopt` or the first one cut
/// short. Each step consumes at least 4 bytes.
fn options(mut o: &[u8], be: bool) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let h = o.get(..4)?;
        let (code, len) = (rd16(h, 0, be), usize::from(rd16(h, 2, be)));
        if code == OPT_ENDOFOPT {
            return None;
        }
        let value = o.get(4..4 + len)?;
        o = o.get(4 + pad4(len)..).unwrap_or(&[]);
        Some((code, value))
    })
}

/// The value of the first 4-byte option `code`.
#[inline(always)]
fn option_u32(o: &[u8], code: u16, be: bool) -> Option<u32> {
    if o.is_empty() {
        return None;
    }
    options(o, be)
        .find(|&(c, v)| c == code && v.len() == 4)
        .map(|(_, v)| rd32(v, 0, be))
}

/// The Linux packet type (`PACKET_HOST`, ...) of `epb_flags`: outbound is `PACKET_OUTGOING`;
/// inbound (or unknown) by the reception type: multicast, broadcast, promiscuous (another
/// host), otherwise host.
fn pkttype_of(flags: u32) -> u8 {
    if flags & 3 == 2 {
        return 4;
    }
    match (flags >> 2) & 7 {
        2 => 2,
        3 => 1,
        4 => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        let r = |v| Resol::from_option(v).unwrap();
        assert_eq!(r(6), Resol::Micro);
        assert_eq!(r(9), Resol::Nano);
        assert_eq!(r(6).split(1_500_000), (1, 500_000_000));
        assert_eq!(r(9).split(1_000_000_007), (1, 7));
        assert_eq!(r(3).split(12_345), (12, 345_000_000));
        assert_eq!(r(0).split(77), (77, 0));
        assert_eq!(r(12).split(1_000_000_999_000), (1, 999));
        assert_eq!(r(12).split(1_000_000_000_999), (1, 0));
        assert_eq!(r(19).split(u64::MAX), (1, 844_674_407));
        assert_eq!(r(0x80).split(5), (5, 0));
        assert_eq!(r(0x80 | 1).split(3), (1, 500_000_000));
        assert_eq!(r(0x80 | 10).split(1024 + 512), (1, 500_000_000));
        assert_eq!(r(0x80 | 63).split(u64::MAX), (1, 999_999_999));
        assert!(Resol::from_option(20).is_err());
        assert!(Resol::from_option(0x80 | 64).is_err());
    }

    #[test]
    fn packet_types() {
        assert_eq!(pkttype_of(0), 0);
        assert_eq!(pkttype_of(0b00101), 0);
        assert_eq!(pkttype_of(0b01101), 1);
        assert_eq!(pkttype_of(0b01001), 2);
        assert_eq!(pkttype_of(0b10001), 3);
        assert_eq!(pkttype_of(0b00010), 4);
    }

    #[test]
    fn options_stop_at_the_end_or_a_cut() {
        let o = [
            2, 0, 4, 0, 1, 2, 3, 4, 9, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0,
        ];
        let all: Vec<_> = options(&o, false).collect();
        assert_eq!(all, [(2, &[1, 2, 3, 4][..]), (9, &[6][..])]);
        assert_eq!(option_u32(&o, 2, false), Some(0x0403_0201));
        assert_eq!(options(&[5, 0, 200, 0, 1], false).count(), 0);
        assert_eq!(options(&[5, 0], false).count(), 0);
    }
}

//! pcap savefiles as libpcap 1.10.3 reads them (`sf-pcap.c`).

use super::file::CFile;
use super::linktype::{adjust_snapshot, linktype_to_dlt, max_snaplen_for_dlt, DLT_EN10MB};
use super::{Hdr, Info};

const TCPDUMP_MAGIC: u32 = 0xa1b2_c3d4;
const KUZNETZOV_TCPDUMP_MAGIC: u32 = 0xa1b2_cd34;
const NSEC_TCPDUMP_MAGIC: u32 = 0xa1b2_3c4d;

/// `struct pcap_file_header` and the two record headers.
const FILE_HDR_LEN: usize = 24;
const PKTHDR_LEN: usize = 16;
const PATCHED_PKTHDR_LEN: usize = 24;

/// libpcap's discard buffer: what is beyond the snapshot length is skipped this much at a time.
const DISCARD_LEN: u32 = 4096;

/// Which of a record's two length fields is the captured length (`lengths_swapped`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lengths {
    /// Version 2.4 and later: caplen then len.
    NotSwapped,
    /// Before 2.3, and DG/UX's 543.0: len then caplen.
    Swapped,
    /// 2.3: either; taken as swapped when caplen > len.
    Maybe,
}

/// The time stamp fraction: as in the file, or micro ↔ nano.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    Pass,
    Up,
    Down,
}

/// A pcap file being read.
pub(super) struct Pcap {
    hdrsize: usize,
    lengths: Lengths,
    scale: Scale,
    /// libpcap's `p->bufsize`: min(snapshot, 2048) at open, grown for longer records.
    pub(super) bufsize: u32,
}

/// `pcap_check_header`: `Ok(None)` when `magic` is not a pcap magic number (nothing more has
/// been read); otherwise the rest of the file header is read and checked.
pub(super) fn open(file: &CFile, magic: [u8; 4], precision: i32) -> Result<Option<(Info, Pcap)>, String> {
    let mut magic_int = u32::from_ne_bytes(magic);
    let known = |m: u32| m == TCPDUMP_MAGIC || m == KUZNETZOV_TCPDUMP_MAGIC || m == NSEC_TCPDUMP_MAGIC;
    let mut swapped = false;
    if !known(magic_int) {
        magic_int = magic_int.swap_bytes();
        if !known(magic_int) {
            return Ok(None);
        }
        swapped = true;
    }
    let mut rest = [0u8; FILE_HDR_LEN - 4];
    let n = file.read(&mut rest)?;
    if n != rest.len() {
        return Err(format!(
            "truncated dump file; tried to read {FILE_HDR_LEN} file header bytes, only got {n}"
        ));
    }
    let f = Fields { b: &rest, swapped };
    let version_major = f.u16(0);
    let version_minor = f.u16(2);
    let snaplen = f.u32(12);
    let linktype = f.u32(16);
    if version_major < 2 {
        return Err("archaic pcap savefile format".into());
    }
    if !((version_major == 2 && version_minor <= 4) || (version_major == 543 && version_minor == 0)) {
        return Err(format!(
            "unsupported pcap savefile version {version_major}.{version_minor}"
        ));
    }
    // LT_LINKTYPE / LT_LINKTYPE_EXT: the low 26 bits are the link type.
    let dlt = linktype_to_dlt((linktype & 0x03ff_ffff) as i32);
    let linktype_ext = linktype & 0xfc00_0000;
    let mut snapshot = i32::try_from(adjust_snapshot(dlt, snaplen)).unwrap_or(i32::MAX);
    let nsec = magic_int == NSEC_TCPDUMP_MAGIC;
    let scale = match precision {
        0 if nsec => Scale::Down,
        0 => Scale::Pass,
        1 if nsec => Scale::Pass,
        1 => Scale::Up,
        _ => return Err(format!("unknown time stamp resolution {}", precision as u32)),
    };
    let lengths = match version_major {
        2 if version_minor < 3 => Lengths::Swapped,
        2 if version_minor == 3 => Lengths::Maybe,
        543 => Lengths::Swapped,
        _ => Lengths::NotSwapped,
    };
    let hdrsize = if magic_int == KUZNETZOV_TCPDUMP_MAGIC {
        // Possibly a cooked capture with a fake Ethernet header added past the snapshot.
        if dlt == DLT_EN10MB {
            snapshot = snapshot.saturating_add(14);
        }
        PATCHED_PKTHDR_LEN
    } else {
        PKTHDR_LEN
    };
    let info = Info {
        linktype: dlt,
        linktype_ext,
        snapshot,
        swapped,
        version: (i32::from(version_major), i32::from(version_minor)),
    };
    Ok(Some((
        info,
        Pcap {
            hdrsize,
            lengths,
            scale,
            bufsize: (snapshot as u32).min(2048),
        },
    )))
}

/// Fields of a header in the file's byte order.
struct Fields<'a> {
    b: &'a [u8],
    swapped: bool,
}

impl Fields<'_> {
    fn arr<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = off.checked_add(N).and_then(|end| self.b.get(off..end)) {
            out.copy_from_slice(src);
        }
        out
    }

    fn u16(&self, off: usize) -> u16 {
        let v = u16::from_ne_bytes(self.arr(off));
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    fn u32(&self, off: usize) -> u32 {
        let v = u32::from_ne_bytes(self.arr(off));
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }
}

impl Pcap {
    /// `pcap_next_packet`: the next record's header, its bytes in `buf`; `Ok(None)` at a clean
    /// end of file.
    pub(super) fn next(
        &mut self,
        file: &CFile,
        info: &Info,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Hdr>, String> {
        let mut raw = [0u8; PATCHED_PKTHDR_LEN];
        let want = raw.get_mut(..self.hdrsize).unwrap_or(&mut []);
        let n = file.read(want)?;
        if n != self.hdrsize {
            if n != 0 {
                return Err(format!(
                    "truncated dump file; tried to read {} header bytes, only got {n}",
                    self.hdrsize
                ));
            }
            return Ok(None);
        }
        let f = Fields {
            b: &raw,
            swapped: info.swapped,
        };
        let mut caplen = f.u32(8);
        let mut len = f.u32(12);
        // The time stamp is a pair of bpf_int32: sign-extended into the timeval, except in a
        // swapped file, where libpcap's SWAPLONG yields an unsigned int (zero-extended).
        let (sec, mut frac) = if info.swapped {
            (i64::from(f.u32(0)), i64::from(f.u32(4)))
        } else {
            (i64::from(f.u32(0) as i32), i64::from(f.u32(4) as i32))
        };
        frac = match self.scale {
            Scale::Pass => frac,
            Scale::Up => frac.wrapping_mul(1000),
            Scale::Down => frac.checked_div(1000).unwrap_or(0),
        };
        let swap_lengths = match self.lengths {
            Lengths::NotSwapped => false,
            Lengths::Maybe => caplen > len,
            Lengths::Swapped => true,
        };
        if swap_lengths {
            std::mem::swap(&mut caplen, &mut len);
        }
        let max = max_snaplen_for_dlt(info.linktype);
        let snapshot = info.snapshot as u32;
        if caplen > max {
            return Err(if caplen > snapshot {
                format!(
                    "invalid packet capture length {caplen}, bigger than snaplen of {}",
                    info.snapshot
                )
            } else {
                format!("invalid packet capture length {caplen}, bigger than maximum of {max}")
            });
        }
        buf.clear();
        if caplen > self.bufsize {
            // libpcap grows its buffer to the snapshot length for a record longer than that,
            // else to the next power of 2 (at most the snapshot length).
            self.bufsize = if caplen > snapshot {
                snapshot
            } else {
                caplen.checked_next_power_of_two().unwrap_or(0).min(snapshot)
            };
        }
        if caplen > snapshot {
            // Keep the first `snapshot` bytes, skip the rest, report `snapshot` as caplen.
            let got = file.read_append(buf, snapshot as usize)?;
            if got != snapshot as usize {
                return Err(format!(
                    "truncated dump file; tried to read {} captured bytes, only got {got}",
                    info.snapshot
                ));
            }
            let mut to_discard = caplen.wrapping_sub(snapshot);
            let mut bytes_read = got;
            let mut discard = [0u8; DISCARD_LEN as usize];
            while to_discard != 0 {
                let chunk = to_discard.min(DISCARD_LEN);
                let part = discard.get_mut(..chunk as usize).unwrap_or(&mut []);
                let got = file.read(part)?;
                bytes_read = bytes_read.wrapping_add(got);
                if got != chunk as usize {
                    return Err(format!(
                        "truncated dump file; tried to read {caplen} captured bytes, only got {bytes_read}"
                    ));
                }
                to_discard = to_discard.wrapping_sub(chunk);
            }
            caplen = snapshot;
        } else {
            let got = file.read_append(buf, caplen as usize)?;
            if got != caplen as usize {
                return Err(format!(
                    "truncated dump file; tried to read {caplen} captured bytes, only got {got}"
                ));
            }
        }
        Ok(Some(Hdr {
            sec,
            frac,
            caplen,
            len,
            off: 0,
        }))
    }
}

//! pcapng savefiles as libpcap 1.10.3 reads them (`sf-pcapng.c`): one link type and snapshot
//! length for the whole file (those of the first IDB), per-interface `if_tsresol` and
//! `if_tsoffset`, any number of sections in one byte order.

use super::file::CFile;
use super::linktype::{adjust_snapshot, linktype_to_dlt, max_snaplen_for_dlt};
use super::{Hdr, Info};

const BT_SHB: u32 = 0x0a0d_0d0a;
const BT_IDB: u32 = 1;
const BT_PB: u32 = 2;
const BT_SPB: u32 = 3;
const BT_EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// `BT_SHB_INSANE_MAX`: the first SHB may be no longer than this.
const SHB_INSANE_MAX: u32 = 1024 * 1024;
/// Block header + SHB fixed part + trailer.
const SHB_MIN_LEN: u32 = 8 + 16 + 4;
/// `INITIAL_MAX_BLOCKSIZE`.
const INITIAL_MAX_BLOCKSIZE: u32 = 16 * 1024 * 1024;

const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// `MAX_BLOCKSIZE_FOR_SNAPLEN`: an EPB with a packet that long and 128 KiB of options.
fn max_blocksize_for_snaplen(max_snaplen: u32) -> u32 {
    max_snaplen.saturating_add(8 + 20 + 131_072 + 4)
}

/// How an interface's time stamp fraction becomes the one asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    Pass,
    UpDec,
    DownDec,
    UpBin,
    DownBin,
}

#[derive(Clone, Copy, Debug)]
struct Iface {
    tsresol: u64,
    scale: Scale,
    scale_factor: u64,
    tsoffset: u64,
}

/// A pcapng file being read.
pub(super) struct Pcapng {
    /// 1e6 or 1e9.
    user_tsresol: u64,
    /// Blocks longer than this are refused. (libpcap checks it only for a block longer than
    /// its buffer, which is at most 1 MiB here, always below this: the same thing.)
    max_blocksize: u32,
    /// The interfaces of the current section.
    ifaces: Vec<Iface>,
    /// libpcap's `p->bufsize`: 2048 or the first SHB's length at open, then the longest block.
    pub(super) bufsize: std::cell::Cell<u32>,
}

/// Where the unread part of the block in the buffer is (`struct block_cursor`).
struct Cursor {
    pos: usize,
    end: usize,
    block_type: u32,
}

impl Cursor {
    /// `get_from_block_data`: the offset of the next `n` bytes of the block, consumed.
    fn get(&mut self, n: usize) -> Result<usize, String> {
        if self.end.saturating_sub(self.pos) < n {
            return Err(format!(
                "block of type {} in pcapng dump file is too short",
                self.block_type
            ));
        }
        let at = self.pos;
        self.pos = self.pos.saturating_add(n);
        Ok(at)
    }

    fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }
}

/// Fields of the buffer in the file's byte order.
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

    fn u8(&self, off: usize) -> u8 {
        self.b.get(off).copied().unwrap_or(0)
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

    fn u64(&self, off: usize) -> u64 {
        let v = u64::from_ne_bytes(self.arr(off));
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }
}

/// `read_bytes(..., fail_on_eof = 1)` into `buf`: all `n` bytes or libpcap's error.
fn read_all(file: &CFile, buf: &mut Vec<u8>, n: usize) -> Result<(), String> {
    let got = file.read_append(buf, n)?;
    if got != n {
        return Err(format!(
            "truncated pcapng dump file; tried to read {n} bytes, only got {got}"
        ));
    }
    Ok(())
}

/// `pcap_ng_check_header`: `Ok(None)` when this is not a pcapng file (it may have read up to
/// 8 more bytes, as libpcap does); otherwise the first SHB, and blocks up to the first IDB,
/// are read and checked.
pub(super) fn open(
    file: &CFile,
    magic: [u8; 4],
    precision: i32,
    buf: &mut Vec<u8>,
) -> Result<Option<(Info, Pcapng)>, String> {
    if u32::from_ne_bytes(magic) != BT_SHB {
        return Ok(None);
    }
    let mut w = [0u8; 4];
    if file.read(&mut w)? < 4 {
        return Ok(None);
    }
    let mut total_length = u32::from_ne_bytes(w);
    if file.read(&mut w)? < 4 {
        return Ok(None);
    }
    let mut swapped = false;
    if u32::from_ne_bytes(w) != BYTE_ORDER_MAGIC {
        if u32::from_ne_bytes(w).swap_bytes() != BYTE_ORDER_MAGIC {
            return Ok(None);
        }
        swapped = true;
        total_length = total_length.swap_bytes();
    }
    if !(SHB_MIN_LEN..=SHB_INSANE_MAX).contains(&total_length) {
        return Err(format!(
            "Section Header Block in pcapng dump file has invalid length {SHB_MIN_LEN} < _{total_length}_ < {SHB_INSANE_MAX} (BT_SHB_INSANE_MAX)"
        ));
    }
    let user_tsresol = match precision {
        0 => 1_000_000,
        1 => 1_000_000_000,
        _ => return Err(format!("unknown time stamp resolution {}", precision as u32)),
    };
    // The rest of the SHB: its version (the options and the trailer are not looked at).
    buf.clear();
    read_all(file, buf, total_length.saturating_sub(12) as usize)?;
    let f = Fields { b: buf, swapped };
    let (major, minor) = (f.u16(0), f.u16(2));
    if !(major == 1 && (minor == 0 || minor == 2)) {
        return Err(format!("unsupported pcapng savefile version {major}.{minor}"));
    }
    let mut ng = Pcapng {
        user_tsresol,
        max_blocksize: INITIAL_MAX_BLOCKSIZE,
        ifaces: Vec::new(),
        bufsize: std::cell::Cell::new(total_length.max(2048)),
    };
    // Up to the first IDB; other blocks (another SHB too) are skipped.
    let (linktype, snaplen) = loop {
        let Some(mut c) = ng.read_block(file, swapped, buf)? else {
            return Err("the capture file has no Interface Description Blocks".into());
        };
        match c.block_type {
            BT_IDB => {
                let at = c.get(8)?;
                let f = Fields { b: buf, swapped };
                let (linktype, snaplen) = (f.u16(at), f.u32(at.saturating_add(4)));
                ng.add_interface(&mut c, buf, swapped)?;
                break (linktype, snaplen);
            }
            BT_EPB | BT_SPB | BT_PB => {
                return Err(
                    "the capture file has a packet block before any Interface Description Blocks".into(),
                );
            }
            _ => {}
        }
    };
    let dlt = linktype_to_dlt(i32::from(linktype));
    let snapshot = i32::try_from(adjust_snapshot(dlt, snaplen)).unwrap_or(i32::MAX);
    ng.max_blocksize = ng
        .max_blocksize
        .max(max_blocksize_for_snaplen(max_snaplen_for_dlt(dlt)));
    let info = Info {
        linktype: dlt,
        linktype_ext: 0,
        snapshot,
        swapped,
        version: (i32::from(major), i32::from(minor)),
    };
    Ok(Some((info, ng)))
}

impl Pcapng {
    /// `read_block`: the next block's body (after the 8-byte header) in `buf`, its trailer
    /// checked; `Ok(None)` at end of file before a block starts.
    fn read_block(&self, file: &CFile, swapped: bool, buf: &mut Vec<u8>) -> Result<Option<Cursor>, String> {
        let mut h = [0u8; 8];
        let n = file.read(&mut h)?;
        if n != 8 {
            if n == 0 {
                return Ok(None);
            }
            return Err(format!(
                "truncated pcapng dump file; tried to read 8 bytes, only got {n}"
            ));
        }
        let f = Fields { b: &h, swapped };
        let block_type = f.u32(0);
        let total_length = f.u32(4);
        if total_length < 12 {
            return Err(format!(
                "block in pcapng dump file has a length of {total_length} < 12"
            ));
        }
        if total_length % 4 != 0 {
            return Err(format!(
                "block in pcapng dump file has a length of {total_length} that is not a multiple of 4"
            ));
        }
        if total_length > self.max_blocksize {
            return Err(format!(
                "pcapng block size {total_length} > maximum {}",
                self.max_blocksize
            ));
        }
        if total_length > self.bufsize.get() {
            self.bufsize.set(total_length);
        }
        let body = total_length.saturating_sub(8) as usize;
        buf.clear();
        read_all(file, buf, body)?;
        let f = Fields { b: buf, swapped };
        let trailer = f.u32(body.saturating_sub(4));
        if trailer != total_length {
            return Err("block total length in header and trailer don't match".into());
        }
        Ok(Some(Cursor {
            pos: 0,
            end: body.saturating_sub(4),
            block_type,
        }))
    }

    /// `add_interface`: an IDB whose fixed part has been consumed; its options give the time
    /// stamp resolution and offset.
    fn add_interface(&mut self, c: &mut Cursor, buf: &[u8], swapped: bool) -> Result<(), String> {
        if self.ifaces.len() >= 0x8000_0000 {
            return Err(format!("more than {} interfaces in the file", 0x8000_0000u32));
        }
        let (tsresol, tsoffset, is_binary) = idb_options(c, buf, swapped)?;
        let user = self.user_tsresol;
        let (scale, scale_factor) = if tsresol == user {
            (Scale::Pass, 0)
        } else if tsresol > user {
            if is_binary {
                (Scale::DownBin, 0)
            } else {
                (Scale::DownDec, tsresol.checked_div(user).unwrap_or(0))
            }
        } else if is_binary {
            (Scale::UpBin, 0)
        } else {
            (Scale::UpDec, user.checked_div(tsresol).unwrap_or(0))
        };
        self.ifaces.push(Iface {
            tsresol,
            scale,
            scale_factor,
            tsoffset,
        });
        Ok(())
    }

    /// `pcap_ng_next_packet`.
    pub(super) fn next(
        &mut self,
        file: &CFile,
        info: &Info,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Hdr>, String> {
        let swapped = info.swapped;
        let snapshot = info.snapshot as u32;
        let (mut c, interface_id, caplen, len, t) = loop {
            let Some(mut c) = self.read_block(file, swapped, buf)? else {
                return Ok(None);
            };
            match c.block_type {
                BT_EPB => {
                    let at = c.get(20)?;
                    let f = Fields { b: buf, swapped };
                    let field = |i: usize| f.u32(at.saturating_add(i));
                    let t = u64::from(field(4)) << 32 | u64::from(field(8));
                    break (c, field(0), field(12), field(16), t);
                }
                BT_SPB => {
                    let at = c.get(4)?;
                    let len = Fields { b: buf, swapped }.u32(at);
                    // No captured length in an SPB: the length cut to the snapshot length.
                    break (c, 0, len.min(snapshot), len, 0);
                }
                BT_PB => {
                    let at = c.get(20)?;
                    let f = Fields { b: buf, swapped };
                    let field = |i: usize| f.u32(at.saturating_add(i));
                    let t = u64::from(field(4)) << 32 | u64::from(field(8));
                    let id = u32::from(f.u16(at));
                    break (c, id, field(12), field(16), t);
                }
                BT_IDB => {
                    let at = c.get(8)?;
                    let f = Fields { b: buf, swapped };
                    let (linktype, snaplen) = (f.u16(at), f.u32(at.saturating_add(4)));
                    // libpcap compares the first IDB's DLT with this IDB's raw LINKTYPE.
                    if info.linktype != i32::from(linktype) {
                        return Err(format!(
                            "an interface has a type {linktype} different from the type of the first interface"
                        ));
                    }
                    if snapshot != adjust_snapshot(info.linktype, snaplen) {
                        return Err(format!(
                            "an interface has a snapshot length {snaplen} different from the snapshot length of the first interface"
                        ));
                    }
                    self.add_interface(&mut c, buf, swapped)?;
                }
                BT_SHB => {
                    let at = c.get(16)?;
                    let f = Fields { b: buf, swapped };
                    match f.u32(at) {
                        BYTE_ORDER_MAGIC => {}
                        m if m == BYTE_ORDER_MAGIC.swap_bytes() => {
                            return Err("the file has sections with different byte orders".into());
                        }
                        _ => {
                            return Err("the file has a section with a bad byte order magic field".into());
                        }
                    }
                    let major = f.u16(at.saturating_add(4));
                    if major != 1 {
                        return Err(format!("unknown pcapng savefile major version number {major}"));
                    }
                    self.ifaces.clear();
                }
                _ => {}
            }
        };
        let Some(iface) = usize::try_from(interface_id)
            .ok()
            .and_then(|i| self.ifaces.get(i))
            .copied()
        else {
            return Err(format!(
                "a packet arrived on interface {interface_id}, but there's no Interface Description Block for that interface"
            ));
        };
        if caplen > snapshot {
            return Err(format!(
                "invalid packet capture length {caplen}, bigger than snaplen of {}",
                info.snapshot
            ));
        }
        let sec = t
            .checked_div(iface.tsresol)
            .unwrap_or(0)
            .wrapping_add(iface.tsoffset);
        let mut frac = t.checked_rem(iface.tsresol).unwrap_or(0);
        frac = match iface.scale {
            Scale::Pass => frac,
            Scale::UpDec => frac.wrapping_mul(iface.scale_factor),
            Scale::DownDec => frac.checked_div(iface.scale_factor).unwrap_or(0),
            Scale::UpBin | Scale::DownBin => frac
                .wrapping_mul(self.user_tsresol)
                .checked_div(iface.tsresol)
                .unwrap_or(0),
        };
        let off = c.get(caplen as usize)?;
        Ok(Some(Hdr {
            // time_t from uint64_t, and an int from the fraction, as libpcap converts them.
            sec: sec as i64,
            frac: i64::from(frac as u32 as i32),
            caplen,
            len,
            off,
        }))
    }
}

/// `process_idb_options`: (tsresol, tsoffset, is_binary), 1e6/0/decimal by default.
fn idb_options(c: &mut Cursor, buf: &[u8], swapped: bool) -> Result<(u64, u64, bool), String> {
    let mut tsresol: u64 = 1_000_000;
    let mut tsoffset: u64 = 0;
    let mut is_binary = false;
    let (mut saw_tsresol, mut saw_tsoffset) = (false, false);
    let f = Fields { b: buf, swapped };
    while c.remaining() != 0 {
        let at = c.get(4)?;
        let code = f.u16(at);
        let length = f.u16(at.saturating_add(2));
        let padded = (usize::from(length).saturating_add(3) / 4).saturating_mul(4);
        let value = c.get(padded)?;
        match code {
            OPT_ENDOFOPT => {
                if length != 0 {
                    return Err(format!(
                        "Interface Description Block has opt_endofopt option with length {length} != 0"
                    ));
                }
                break;
            }
            IF_TSRESOL => {
                if length != 1 {
                    return Err(format!(
                        "Interface Description Block has if_tsresol option with length {length} != 1"
                    ));
                }
                if saw_tsresol {
                    return Err("Interface Description Block has more than one if_tsresol option".into());
                }
                saw_tsresol = true;
                let v = f.u8(value);
                if v & 0x80 != 0 {
                    let shift = v & 0x7f;
                    if shift > 63 {
                        return Err(format!(
                            "Interface Description Block if_tsresol option resolution 2^-{shift} is too high"
                        ));
                    }
                    is_binary = true;
                    tsresol = 1u64.checked_shl(u32::from(shift)).unwrap_or(0);
                } else {
                    if v > 19 {
                        return Err(format!(
                            "Interface Description Block if_tsresol option resolution 10^-{v} is too high"
                        ));
                    }
                    is_binary = false;
                    tsresol = 10u64.checked_pow(u32::from(v)).unwrap_or(0);
                }
            }
            IF_TSOFFSET => {
                if length != 8 {
                    return Err(format!(
                        "Interface Description Block has if_tsoffset option with length {length} != 8"
                    ));
                }
                if saw_tsoffset {
                    return Err("Interface Description Block has more than one if_tsoffset option".into());
                }
                saw_tsoffset = true;
                tsoffset = f.u64(value);
            }
            _ => {}
        }
    }
    Ok((tsresol, tsoffset, is_binary))
}

//! The memory-mapped TX ring (`PACKET_TX_RING`): frames are copied into slots marked
//! SEND_REQUEST, and one `send` hands all of them to the kernel, which marks each slot available
//! again once the device took it.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::{Geometry, Mapping, Version};
use crate::sys::{tpacket_align, Tpacket2Hdr, Tpacket3Hdr};

pub const TP_STATUS_AVAILABLE: u32 = 0;
pub const TP_STATUS_SEND_REQUEST: u32 = 1;
pub const TP_STATUS_WRONG_FORMAT: u32 = 1 << 2;

/// Most bytes a TX ring takes, and most frames it has.
const TX_MAX_BYTES: u64 = 4 << 20;
const TX_MAX_FRAMES: u64 = 1024;

/// What a slot said when we tried to fill it.
#[derive(Debug, PartialEq, Eq)]
pub enum Put {
    Queued,
    /// The kernel has not finished with the slot: kick it, wait for POLLOUT, try again.
    Full,
    /// The kernel refused the frame queued in this slot earlier; the slot is available again.
    WrongFormat,
}

pub struct TxRing {
    map: Arc<Mapping>,
    geo: Geometry,
    /// Offset of the TX ring in the mapping (after the RX ring).
    base: usize,
    version: Version,
    cur: u32,
}

impl TxRing {
    /// The TX layout for frames of up to `max_frame` bytes: frames of a power of two, about
    /// 1024 of them but at most 4 MiB.
    pub fn geometry(max_frame: u64, version: Version, page: u64) -> Geometry {
        let frame = (data_offset(version) as u64 + max_frame)
            .next_power_of_two()
            .max(2048);
        let frames = (TX_MAX_BYTES / frame).clamp(8, TX_MAX_FRAMES);
        let block = frame.max(page).max(64 << 10);
        let per_block = block / frame;
        let blocks = frames.div_ceil(per_block);
        Geometry {
            version,
            block_size: block as u32,
            block_nr: blocks as u32,
            frame_size: frame as u32,
            frame_nr: (blocks * per_block) as u32,
        }
    }

    pub fn new(map: Arc<Mapping>, base: usize, geo: Geometry) -> TxRing {
        TxRing {
            map,
            geo,
            base,
            version: geo.version,
            cur: 0,
        }
    }

    /// Largest frame a slot holds.
    pub fn max_frame(&self) -> usize {
        self.geo.frame_size as usize - data_offset(self.version)
    }

    fn frame_off(&self, i: u32) -> usize {
        let fpb = self.geo.block_size / self.geo.frame_size;
        self.base
            + (i / fpb) as usize * self.geo.block_size as usize
            + (i % fpb) as usize * self.geo.frame_size as usize
    }

    fn status_off(&self, i: u32) -> usize {
        self.frame_off(i)
            + match self.version {
                Version::V3 => offset_of!(Tpacket3Hdr, tp_status),
                Version::V2 => offset_of!(Tpacket2Hdr, tp_status),
            }
    }

    fn succ(&self, i: u32) -> u32 {
        if i + 1 == self.geo.frame_nr {
            0
        } else {
            i + 1
        }
    }

    /// Copies `data` (at most [`TxRing::max_frame`] bytes) into the next slot and marks it for
    /// sending.
    pub fn put(&mut self, data: &[u8]) -> Put {
        debug_assert!(data.len() <= self.max_frame());
        let st = self.status_off(self.cur);
        match self.map.status(st) {
            TP_STATUS_AVAILABLE => {}
            TP_STATUS_WRONG_FORMAT => {
                self.map.set_status(st, TP_STATUS_AVAILABLE);
                return Put::WrongFormat;
            }
            _ => return Put::Full,
        }
        let f = self.frame_off(self.cur);
        let len = data.len() as u32;
        match self.version {
            Version::V3 => {
                self.map.write_u32(f + offset_of!(Tpacket3Hdr, tp_next_offset), 0);
                self.map.write_u32(f + offset_of!(Tpacket3Hdr, tp_snaplen), len);
                self.map.write_u32(f + offset_of!(Tpacket3Hdr, tp_len), len);
            }
            Version::V2 => {
                self.map.write_u32(f + offset_of!(Tpacket2Hdr, tp_snaplen), len);
                self.map.write_u32(f + offset_of!(Tpacket2Hdr, tp_len), len);
            }
        }
        self.map.copy_in(f + data_offset(self.version), data);
        self.map.set_status(st, TP_STATUS_SEND_REQUEST);
        self.cur = self.succ(self.cur);
        Put::Queued
    }

    /// True while some slot is still queued or being sent.
    pub fn busy(&self) -> bool {
        (0..self.geo.frame_nr).any(|i| {
            let s = self.map.status(self.status_off(i));
            s != TP_STATUS_AVAILABLE && s != TP_STATUS_WRONG_FORMAT
        })
    }

    /// Slots the kernel refused since the last call, made available again.
    pub fn take_wrong_format(&mut self) -> usize {
        let mut n = 0;
        for i in 0..self.geo.frame_nr {
            let st = self.status_off(i);
            if self.map.status(st) == TP_STATUS_WRONG_FORMAT {
                self.map.set_status(st, TP_STATUS_AVAILABLE);
                n += 1;
            }
        }
        n
    }
}

/// Where a TX frame's data starts: after the aligned header (no `PACKET_TX_HAS_OFF`).
fn data_offset(v: Version) -> usize {
    match v {
        Version::V3 => tpacket_align(size_of::<Tpacket3Hdr>()),
        Version::V2 => tpacket_align(size_of::<Tpacket2Hdr>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_geometry_holds_frames() {
        for (mtu, v) in [
            (1514u64, Version::V3),
            (9018, Version::V3),
            (65553, Version::V2),
            (64, Version::V2),
        ] {
            let g = TxRing::geometry(mtu, v, 4096);
            assert!(g.frame_size as u64 >= mtu + data_offset(v) as u64, "{g:?}");
            assert_eq!(g.block_size % 4096, 0);
            assert_eq!(g.block_size % g.frame_size, 0);
            assert_eq!(g.frame_nr, g.block_nr * (g.block_size / g.frame_size));
            assert!(g.frame_nr >= 8 && g.size() <= 8 << 20, "{g:?}");
        }
    }
}

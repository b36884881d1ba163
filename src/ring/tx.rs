//! The memory-mapped TX ring (`PACKET_TX_RING`): frames are copied into slots marked
//! SEND_REQUEST, and one `send` hands all of them to the kernel, which marks each slot available
//! again once the device took it.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::{Geometry, Mapping, Version};
use crate::sys::{tpacket_align, Tpacket2Hdr, Tpacket3Hdr};
use crate::sys::{TP_STATUS_TS_RAW_HARDWARE, TP_STATUS_TS_SOFTWARE, TP_STATUS_TS_SYS_HARDWARE};

pub const TP_STATUS_AVAILABLE: u32 = 0;
pub const TP_STATUS_SEND_REQUEST: u32 = 1;
pub const TP_STATUS_WRONG_FORMAT: u32 = 1 << 2;
/// Timestamp bits the kernel may add to a slot it gives back (`__packet_set_timestamp` on a
/// sent frame, when `PACKET_TIMESTAMP` asks for a source the frame was stamped by): they say
/// how the frame was stamped, not whose the slot is, so the slot state is read without them.
const TP_STATUS_TS_MASK: u32 = TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_SYS_HARDWARE | TP_STATUS_TS_RAW_HARDWARE;

/// Most bytes a TX ring takes, and most frames it has.
const TX_MAX_BYTES: u64 = 4 << 20;
const TX_MAX_FRAMES: u64 = 1024;

/// Where the oldest frame queued and not yet taken by the kernel stands, after a kick.
#[derive(Debug, PartialEq, Eq)]
pub enum Reap {
    /// The kernel took every queued frame (they are leaving or gone).
    Done,
    /// The kernel has not taken the frame in this slot yet (device queue or socket buffer full,
    /// link down): it and every later one are still queued.
    Waiting,
    /// The kernel refused the frame in this slot (`TP_STATUS_WRONG_FORMAT`) and stopped there:
    /// every later one is still queued.
    Refused,
}

/// The TX ring and our view of the kernel's position in it.
///
/// The kernel sends slots in ring order from its own head, which moves only past a frame it
/// took; a frame it refuses stays its head (marked `WRONG_FORMAT`) and it sends nothing more
/// until that slot is `SEND_REQUEST` again. So the ring is kept in step with the kernel: `head`
/// is the kernel's head, slots `head..cur` (`queued` of them) hold frames queued and not yet
/// taken, and a refused or untaken frame and everything queued after it are withdrawn (the
/// slots made available, `cur` back to `head`) before the call that queued them returns, which
/// reports them as not sent. No frame ever waits in the ring across calls, so a later call never
/// meets an earlier call's refusal and frames never go out of order.
pub struct TxRing {
    map: Arc<Mapping>,
    geo: Geometry,
    /// Offset of the TX ring in the mapping (after the RX ring).
    base: usize,
    version: Version,
    cur: u32,
    head: u32,
    queued: u32,
    /// For each slot, the caller's index of the frame queued in it (for reporting which failed).
    index: Vec<usize>,
    /// Blocks hold a whole number of frames: frames follow each other without gaps.
    contiguous: bool,
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
            head: 0,
            queued: 0,
            index: vec![0; geo.frame_nr as usize],
            contiguous: geo.block_size % geo.frame_size == 0,
        }
    }

    /// Largest frame a slot holds.
    pub fn max_frame(&self) -> usize {
        self.geo.frame_size as usize - data_offset(self.version)
    }

    #[inline(always)]
    fn frame_off(&self, i: u32) -> usize {
        if self.contiguous {
            // Blocks a whole number of frames (always, for the layouts of `geometry`): slot i
            // is i frames in, with no division per frame (two of them were a tenth of a
            // frame's cost in user space).
            return self.base + i as usize * self.geo.frame_size as usize;
        }
        let fpb = self.geo.block_size / self.geo.frame_size;
        self.base
            + (i / fpb) as usize * self.geo.block_size as usize
            + (i % fpb) as usize * self.geo.frame_size as usize
    }

    #[inline(always)]
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

    /// Number of frames queued and not yet taken by the kernel (as of the last [`TxRing::reap`]).
    pub fn queued(&self) -> u32 {
        self.queued
    }

    /// A slot's state: its status word without the timestamp bits.
    fn state(&self, status_off: usize) -> u32 {
        self.map.status(status_off) & !TP_STATUS_TS_MASK
    }

    /// Copies `data` (at most [`TxRing::max_frame`] bytes), the caller's frame number `index`,
    /// into the next slot and marks it for sending. False when the slot is not free yet (the
    /// kernel is still sending the frame that was in it, or every slot is queued).
    pub fn put(&mut self, data: &[u8], index: usize) -> bool {
        debug_assert!(data.len() <= self.max_frame());
        if self.queued == self.geo.frame_nr {
            return false;
        }
        let st = self.status_off(self.cur);
        if self.state(st) != TP_STATUS_AVAILABLE {
            return false;
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
        self.index[self.cur as usize] = index;
        self.map.set_status(st, TP_STATUS_SEND_REQUEST);
        self.cur = self.succ(self.cur);
        self.queued += 1;
        true
    }

    /// After a kick: steps `head` past the frames the kernel took and says what stops it.
    pub fn reap(&mut self) -> Reap {
        while self.queued > 0 {
            match self.state(self.status_off(self.head)) {
                TP_STATUS_SEND_REQUEST => return Reap::Waiting,
                TP_STATUS_WRONG_FORMAT => return Reap::Refused,
                // Sending, or sent and available again.
                _ => {
                    self.head = self.succ(self.head);
                    self.queued -= 1;
                }
            }
        }
        Reap::Done
    }

    /// Takes back every frame still queued (call after [`TxRing::reap`], with no kick running:
    /// the kernel touches queued slots only during a send): their slots become available and
    /// the next frame goes where the kernel will look. Returns the caller's index of the first
    /// frame taken back, None when nothing was queued.
    pub fn withdraw(&mut self) -> Option<usize> {
        if self.queued == 0 {
            return None;
        }
        let first = self.index[self.head as usize];
        let mut i = self.head;
        for _ in 0..self.queued {
            self.map.set_status(self.status_off(i), TP_STATUS_AVAILABLE);
            i = self.succ(i);
        }
        self.cur = self.head;
        self.queued = 0;
        Some(first)
    }

    /// True while some slot is still queued or being sent.
    pub fn busy(&self) -> bool {
        (0..self.geo.frame_nr).any(|i| self.state(self.status_off(i)) != TP_STATUS_AVAILABLE)
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

    /// The kernel's part played by hand on an anonymous mapping: a slot given back with a
    /// timestamp bit is free again, one refused is reported, and `busy` sees through the bits.
    #[test]
    fn slot_state_ignores_timestamp_bits() {
        for version in [Version::V2, Version::V3] {
            let geo = TxRing::geometry(1500, version, 4096);
            let map = Arc::new(Mapping::anon(geo.size() as usize));
            let mut tx = TxRing::new(Arc::clone(&map), 0, geo);
            let frame = [0xabu8; 60];
            assert!(tx.put(&frame, 7));
            assert!(tx.put(&frame, 8));
            assert_eq!(tx.queued(), 2);
            assert_eq!(tx.reap(), Reap::Waiting);
            // The kernel sent frame 0 and stamped it in software.
            map.set_status(tx.status_off(0), TP_STATUS_AVAILABLE | TP_STATUS_TS_SOFTWARE);
            assert_eq!(tx.reap(), Reap::Waiting, "frame 1 is still queued");
            assert_eq!(tx.queued(), 1);
            // ... and refused frame 1, with a hardware stamp bit set as well.
            map.set_status(
                tx.status_off(1),
                TP_STATUS_WRONG_FORMAT | TP_STATUS_TS_RAW_HARDWARE,
            );
            assert_eq!(tx.reap(), Reap::Refused);
            assert_eq!(tx.withdraw(), Some(8));
            assert!(!tx.busy(), "{version:?}: every slot is available again");
            // The stamped slot 0 takes a frame again: the ring goes round without sticking.
            for i in 0..geo.frame_nr as usize {
                let st = tx.status_off(tx.cur);
                assert!(tx.put(&frame, i), "{version:?}: slot {i}");
                map.set_status(st, TP_STATUS_AVAILABLE | TP_STATUS_TS_SYS_HARDWARE);
                assert_eq!(tx.reap(), Reap::Done);
            }
            assert!(!tx.busy());
        }
    }
}

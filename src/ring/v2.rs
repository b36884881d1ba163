//! TPACKET_V2: one packet per frame, handed over as soon as it is written (immediate mode).

use std::mem::size_of;

use super::{read_sll, Corrupt, Frame, Geometry, Mapping};
use crate::sys::{tpacket_align, Tpacket2Hdr};

const SLL_OFF: usize = tpacket_align(size_of::<Tpacket2Hdr>());

pub struct V2Ring {
    pub(super) map: Mapping,
    pub(super) geo: Geometry,
    frames_per_block: u32,
    /// The frame we read next (or wait for).
    cur: u32,
    /// `cur` was returned and goes back to the kernel at the next call.
    finished: bool,
    pub(super) released: u64,
}

impl V2Ring {
    pub(super) fn new(map: Mapping, geo: Geometry) -> V2Ring {
        let frames_per_block = geo.block_size / geo.frame_size;
        V2Ring {
            map,
            geo,
            frames_per_block,
            cur: 0,
            finished: false,
            released: 0,
        }
    }

    /// Frame `i` sits at `(i / fpb) * block_size + (i % fpb) * frame_size`.
    #[inline]
    fn frame_off(&self, i: u32) -> usize {
        (i / self.frames_per_block) as usize * self.geo.block_size as usize
            + (i % self.frames_per_block) as usize * self.geo.frame_size as usize
    }

    #[inline]
    fn succ(&self, i: u32) -> u32 {
        if i + 1 == self.geo.frame_nr {
            0
        } else {
            i + 1
        }
    }

    pub(super) fn release_finished(&mut self) {
        if self.finished {
            self.map.release(self.frame_off(self.cur));
            self.released += 1;
            self.cur = self.succ(self.cur);
            self.finished = false;
        }
    }

    #[inline]
    pub(super) fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        self.release_finished();
        let off = self.frame_off(self.cur);
        if !self.map.is_user(off) {
            return Ok(None);
        }
        // Whatever the frame holds, it is ours now and goes back at the next call.
        self.finished = true;
        self.parse(off).map(Some).ok_or(Corrupt)
    }

    #[inline]
    fn parse(&self, off: usize) -> Option<Frame> {
        let fs = self.geo.frame_size as usize;
        let h: Tpacket2Hdr = self.map.read(off)?;
        let data = h.tp_mac as usize;
        if data < SLL_OFF + 20 || data.checked_add(h.tp_snaplen as usize)? > fs {
            return None;
        }
        let mut f = Frame {
            data_off: off + data,
            caplen: h.tp_snaplen,
            len: h.tp_len,
            sec: h.tp_sec,
            nsec: h.tp_nsec,
            status: h.tp_status,
            net_off: (h.tp_net as u32).wrapping_sub(h.tp_mac as u32),
            vlan_tci: h.tp_vlan_tci,
            vlan_tpid: h.tp_vlan_tpid,
            last_in_slot: true,
            ..Frame::default()
        };
        read_sll(&self.map, off + SLL_OFF, &mut f)?;
        Some(f)
    }

    pub(super) fn next_slot_ready(&self) -> bool {
        self.map.is_user(self.frame_off(self.succ(self.cur)))
    }

    pub(super) fn user_slots(&self) -> u64 {
        let mut n = 0;
        let mut i = self.cur;
        while n < self.geo.frame_nr as u64 && self.map.is_user(self.frame_off(i)) {
            n += 1;
            i = self.succ(i);
        }
        n
    }

    pub(super) fn resync(&mut self) -> bool {
        if self.finished {
            return false;
        }
        let mut i = self.cur;
        for _ in 0..self.geo.frame_nr {
            if self.map.is_user(self.frame_off(i)) {
                self.cur = i;
                return true;
            }
            i = self.succ(i);
        }
        false
    }
}

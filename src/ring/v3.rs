//! TPACKET_V3: the kernel fills a block with many packets and hands the whole block over when
//! it is full or its retire timer fires.

use std::mem::{offset_of, size_of};

use super::{read_sll, Corrupt, Frame, Geometry, Mapping};
use crate::sys::{tpacket_align, Tpacket3Hdr, TpacketBlockDesc};

/// The `sockaddr_ll` follows the aligned frame header.
const SLL_OFF: usize = tpacket_align(size_of::<Tpacket3Hdr>());
const BLOCK_STATUS: usize = offset_of!(TpacketBlockDesc, block_status);

pub struct V3Ring {
    pub(super) map: Mapping,
    pub(super) geo: Geometry,
    /// The block we read from (or wait for).
    cur: u32,
    /// Packets of `cur` not yet returned; meaningful while `in_block`.
    left: u32,
    /// Offset inside `cur` of the next packet's header.
    next_off: usize,
    in_block: bool,
    /// `cur` is fully read and goes back to the kernel at the next call.
    finished: bool,
    pub(super) released: u64,
}

impl V3Ring {
    pub(super) fn new(map: Mapping, geo: Geometry) -> V3Ring {
        V3Ring {
            map,
            geo,
            cur: 0,
            left: 0,
            next_off: 0,
            in_block: false,
            finished: false,
            released: 0,
        }
    }

    #[inline]
    fn block_off(&self, b: u32) -> usize {
        b as usize * self.geo.block_size as usize
    }

    #[inline]
    fn status_off(&self, b: u32) -> usize {
        self.block_off(b) + BLOCK_STATUS
    }

    #[inline]
    fn succ(&self, b: u32) -> u32 {
        if b + 1 == self.geo.block_nr {
            0
        } else {
            b + 1
        }
    }

    /// Hands `cur` back and moves to the next block.
    #[inline]
    fn advance(&mut self) {
        self.map.release(self.status_off(self.cur));
        self.released += 1;
        self.cur = self.succ(self.cur);
        self.in_block = false;
        self.finished = false;
    }

    pub(super) fn release_finished(&mut self) {
        if self.finished {
            self.advance();
        }
    }

    #[inline]
    pub(super) fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        self.release_finished();
        loop {
            if !self.in_block {
                if !self.map.is_user(self.status_off(self.cur)) {
                    return Ok(None);
                }
                let desc: TpacketBlockDesc = self.map.read(self.block_off(self.cur)).ok_or(Corrupt)?;
                if desc.num_pkts == 0 {
                    // Old kernels could retire empty blocks: hand them back at once.
                    self.advance();
                    continue;
                }
                self.left = desc.num_pkts;
                self.next_off = desc.offset_to_first_pkt as usize;
                self.in_block = true;
            }
            return match self.parse() {
                Some(f) => Ok(Some(f)),
                None => {
                    // Skip the rest of the block rather than read outside it.
                    self.finished = true;
                    Err(Corrupt)
                }
            };
        }
    }

    /// Describes the packet at `next_off` and steps past it, checking every offset the kernel
    /// gave against the block's bounds.
    #[inline]
    fn parse(&mut self) -> Option<Frame> {
        let bs = self.geo.block_size as usize;
        let base = self.block_off(self.cur);
        let off = self.next_off;
        if off < size_of::<TpacketBlockDesc>() || off.checked_add(SLL_OFF + 20)? > bs {
            return None;
        }
        let h: Tpacket3Hdr = self.map.read(base + off)?;
        let data = off + h.tp_mac as usize;
        if data.checked_add(h.tp_snaplen as usize)? > bs {
            return None;
        }
        let mut f = Frame {
            data_off: base + data,
            caplen: h.tp_snaplen,
            len: h.tp_len,
            sec: h.tp_sec,
            nsec: h.tp_nsec,
            status: h.tp_status,
            net_off: (h.tp_net as u32).wrapping_sub(h.tp_mac as u32),
            rxhash: h.tp_rxhash,
            vlan_tci: h.tp_vlan_tci as u16,
            vlan_tpid: h.tp_vlan_tpid,
            ..Frame::default()
        };
        read_sll(&self.map, base + off + SLL_OFF, &mut f)?;
        self.left -= 1;
        if self.left == 0 {
            self.finished = true;
            f.last_in_slot = true;
        } else {
            if h.tp_next_offset == 0 {
                return None;
            }
            self.next_off = off + h.tp_next_offset as usize;
        }
        Some(f)
    }

    pub(super) fn next_slot_ready(&self) -> bool {
        self.map.is_user(self.status_off(self.succ(self.cur)))
    }

    pub(super) fn user_slots(&self) -> u64 {
        let mut n = 0;
        let mut b = self.cur;
        while n < self.geo.block_nr as u64 && self.map.is_user(self.status_off(b)) {
            n += 1;
            b = self.succ(b);
        }
        n
    }

    pub(super) fn resync(&mut self) -> bool {
        if self.in_block || self.finished {
            return false;
        }
        let mut b = self.cur;
        for _ in 0..self.geo.block_nr {
            if self.map.is_user(self.status_off(b)) {
                self.cur = b;
                return true;
            }
            b = self.succ(b);
        }
        false
    }
}

//! TPACKET_V3: the kernel fills a block with many packets and hands the whole block over when
//! it is full or its retire timer fires.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::{read_sll, Corrupt, Frame, Geometry, Mapping, Slots, Walk};
use crate::sys::{tpacket_align, Tpacket3Hdr, TpacketBlockDesc};

/// The `sockaddr_ll` follows the aligned frame header.
const SLL_OFF: usize = tpacket_align(size_of::<Tpacket3Hdr>());
const BLOCK_STATUS: usize = offset_of!(TpacketBlockDesc, block_status);
/// How many packets ahead the walk prefetches (measured best here: 16 to 32).
const PREFETCH_AHEAD: usize = 24;

pub struct V3Ring {
    pub(super) map: Arc<Mapping>,
    pub(super) geo: Geometry,
    pub(super) slots: Slots,
    /// Packets of the current block not yet returned; meaningful while `in_block`.
    left: u32,
    /// Offset inside the current block of the next packet's header.
    next_off: usize,
    in_block: bool,
}

impl V3Ring {
    pub(super) fn new(map: Arc<Mapping>, geo: Geometry) -> V3Ring {
        V3Ring {
            map,
            geo,
            slots: Slots::new(geo.block_nr),
            left: 0,
            next_off: 0,
            in_block: false,
        }
    }

    #[inline(always)]
    fn block_off(&self, b: u32) -> usize {
        b as usize * self.geo.block_size as usize
    }

    #[inline(always)]
    fn status_off(block_size: u32) -> impl Fn(u32) -> usize {
        move |b| b as usize * block_size as usize + BLOCK_STATUS
    }

    #[inline(always)]
    fn step(&mut self) {
        if self.slots.step() {
            self.in_block = false;
        }
    }

    #[inline(always)]
    pub(super) fn release_done(&mut self) {
        self.step();
        self.slots
            .release_held(&self.map, Self::status_off(self.geo.block_size));
    }

    /// Makes the current block the one being read, if the kernel handed it over: false when it
    /// has not.
    #[inline(always)]
    fn open_block(&mut self) -> Result<bool, Corrupt> {
        self.step();
        while !self.in_block {
            let cur = self.slots.cur;
            if !self.map.is_user(Self::status_off(self.geo.block_size)(cur)) {
                return Ok(false);
            }
            let desc: TpacketBlockDesc = self.map.read(self.block_off(cur)).ok_or(Corrupt)?;
            if desc.num_pkts == 0 {
                // Old kernels could retire empty blocks: pass them at once.
                self.slots.finished = true;
                self.step();
                continue;
            }
            self.left = desc.num_pkts;
            self.next_off = desc.offset_to_first_pkt as usize;
            self.in_block = true;
        }
        Ok(true)
    }

    #[inline(always)]
    pub(super) fn walk(&mut self, max: usize, mut f: impl FnMut(&[u8], &Frame) -> bool) -> Walk {
        match self.open_block() {
            Ok(true) => {}
            Ok(false) => return Walk::Empty,
            Err(Corrupt) => return Walk::Corrupt,
        }
        let mut n = 0;
        while n < max {
            let Some(fr) = self.parse() else {
                self.slots.finished = true;
                return if n > 0 { Walk::Ready(n) } else { Walk::Corrupt };
            };
            n += 1;
            let more = f(self.map.bytes(fr.data_off, fr.caplen as usize), &fr);
            if fr.last_in_slot || !more {
                break;
            }
        }
        Walk::Ready(n)
    }

    #[inline(always)]
    pub(super) fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        if !self.open_block()? {
            return Ok(None);
        }
        match self.parse() {
            Some(f) => Ok(Some(f)),
            None => {
                // Skip the rest of the block rather than read outside it.
                self.slots.finished = true;
                Err(Corrupt)
            }
        }
    }

    /// Describes the packet at `next_off` and steps past it, checking every offset the kernel
    /// gave against the block's bounds.
    #[inline(always)]
    fn parse(&mut self) -> Option<Frame> {
        let bs = self.geo.block_size as usize;
        let base = self.block_off(self.slots.cur);
        let off = self.next_off;
        if off < size_of::<TpacketBlockDesc>() || off.checked_add(SLL_OFF + 20)? > bs {
            return None;
        }
        let h: &Tpacket3Hdr = self.map.get(base + off)?;
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
            self.slots.finished = true;
            f.last_in_slot = true;
        } else {
            let stride = h.tp_next_offset as usize;
            if stride == 0 {
                return None;
            }
            self.next_off = off + stride;
            // Packets of a burst tend to have similar sizes: fetch the header and first data
            // line of the one about PREFETCH_AHEAD packets on, if it is still in this block.
            let ahead = off + stride * PREFETCH_AHEAD;
            if ahead < bs {
                self.map.prefetch(base + ahead);
                self.map.prefetch(base + ahead + 64);
            }
        }
        Some(f)
    }

    #[inline(always)]
    pub(super) fn next_slot_ready(&self) -> bool {
        let next = self.slots.succ(self.slots.cur);
        self.map.is_user(Self::status_off(self.geo.block_size)(next))
    }

    pub(super) fn user_slots(&self) -> u64 {
        self.slots
            .user_run(&self.map, Self::status_off(self.geo.block_size))
    }

    pub(super) fn resync(&mut self) -> bool {
        !self.in_block
            && self
                .slots
                .resync(&self.map, Self::status_off(self.geo.block_size))
    }
}

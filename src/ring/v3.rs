//! TPACKET_V3: the kernel fills a block with many packets and hands the whole block over when
//! it is full or its retire timer fires.

use std::marker::PhantomData;
use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::{insert_vlan, prefetch, Corrupt, Describe, Frame, Geometry, Mapping, Post, Slots, Walk};
use crate::sys::{tpacket_align, Tpacket3Hdr, TpacketBlockDesc, TP_STATUS_VLAN_VALID};

/// The `sockaddr_ll` follows the aligned frame header.
const SLL_OFF: usize = tpacket_align(size_of::<Tpacket3Hdr>());
/// End of the frame header and the `sockaddr_ll`: the least offset of a packet's data.
const HDR_END: usize = SLL_OFF + size_of::<libc::sockaddr_ll>();
const BLOCK_STATUS: usize = offset_of!(TpacketBlockDesc, block_status);
/// How many packets ahead the walk prefetches (measured best here: 16 to 32).
const PREFETCH_AHEAD: usize = 24;

/// A packet of the block being walked, described straight from its ring header: each field is
/// loaded where it is used (which keeps the walk's loop state in registers); only what a tag put
/// back or the snap length changed is kept.
pub struct V3View<'a> {
    hp: *const Tpacket3Hdr,
    sp: *const libc::sockaddr_ll,
    /// The block's offset in the mapping, and the data's in the block.
    base: usize,
    data: usize,
    caplen: u32,
    len: u32,
    status: u32,
    last: bool,
    _block: PhantomData<&'a [u8]>,
}

macro_rules! view_field {
    ($p:expr, $f:ident) => {
        // SAFETY: a view is made only by `V3Ring::walk` for a packet whose frame header and
        // sockaddr_ll it checked lie inside the current block, which is ours for the view's
        // lifetime; unaligned reads assume nothing of the kernel's alignment; plain integers.
        unsafe { std::ptr::addr_of!((*$p).$f).read_unaligned() }
    };
}

impl Describe for V3View<'_> {
    #[inline(always)]
    fn sec(&self) -> u32 {
        view_field!(self.hp, tp_sec)
    }
    #[inline(always)]
    fn nsec(&self) -> u32 {
        view_field!(self.hp, tp_nsec)
    }
    #[inline(always)]
    fn caplen(&self) -> u32 {
        self.caplen
    }
    #[inline(always)]
    fn len(&self) -> u32 {
        self.len
    }
    #[inline(always)]
    fn status(&self) -> u32 {
        self.status
    }
    #[inline(always)]
    fn vlan_tci(&self) -> u16 {
        view_field!(self.hp, tp_vlan_tci) as u16
    }
    #[inline(always)]
    fn vlan_tpid(&self) -> u16 {
        view_field!(self.hp, tp_vlan_tpid)
    }
    #[inline(always)]
    fn ifindex(&self) -> i32 {
        view_field!(self.sp, sll_ifindex)
    }
    #[inline(always)]
    fn protocol(&self) -> u16 {
        u16::from_be(view_field!(self.sp, sll_protocol))
    }
    #[inline(always)]
    fn hatype(&self) -> u16 {
        view_field!(self.sp, sll_hatype)
    }
    #[inline(always)]
    fn pkttype(&self) -> u8 {
        view_field!(self.sp, sll_pkttype)
    }
    #[inline(always)]
    fn data_off(&self) -> usize {
        self.base + self.data
    }
    #[inline(always)]
    fn last_in_slot(&self) -> bool {
        self.last
    }
}

pub struct V3Ring {
    pub(super) map: Arc<Mapping>,
    pub(super) geo: Geometry,
    pub(super) slots: Slots,
    /// Packets of the current block not yet returned; meaningful while `in_block`.
    left: u32,
    /// Offset inside the current block of the next packet's header.
    next_off: usize,
    in_block: bool,
    pub(super) post: Post,
}

impl V3Ring {
    pub(super) fn new(map: Arc<Mapping>, geo: Geometry, post: Post) -> V3Ring {
        V3Ring {
            post,
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
            if (desc.offset_to_first_pkt as usize) < size_of::<TpacketBlockDesc>() {
                // Nonsense from the kernel: skip the block rather than read its descriptor as a
                // packet.
                self.slots.finished = true;
                return Err(Corrupt);
            }
            self.left = desc.num_pkts;
            self.next_off = desc.offset_to_first_pkt as usize;
            self.in_block = true;
        }
        Ok(true)
    }

    /// Hands up to `max` packets of the current block to `f`, stopping at the block's end or
    /// when `f` returns false. The batch readers' fast path: the loop state stays in registers,
    /// the block is bounds-checked once, and each packet costs one check of its header and one
    /// of its bytes.
    #[inline(always)]
    pub(super) fn walk(&mut self, max: usize, f: impl FnMut(&[u8], &V3View<'_>) -> bool) -> Walk {
        self.walk_impl::<false>(max, f)
    }

    /// [`V3Ring::walk`] of the packets of the block being read, short of its last one: nothing
    /// to give back before, nothing to hand over after. `Walk::Empty` when there is no such
    /// packet (`pkt_read`'s fast path).
    #[inline(always)]
    pub(super) fn walk_mid(&mut self, max: usize, f: impl FnMut(&[u8], &V3View<'_>) -> bool) -> Walk {
        self.walk_impl::<true>(max, f)
    }

    #[inline(always)]
    fn walk_impl<const MID: bool>(
        &mut self,
        max: usize,
        mut f: impl FnMut(&[u8], &V3View<'_>) -> bool,
    ) -> Walk {
        if MID {
            if !self.in_block || self.slots.finished || self.left < 2 || self.slots.held != 0 {
                return Walk::Empty;
            }
        } else {
            match self.open_block() {
                Ok(true) => {}
                Ok(false) => return Walk::Empty,
                Err(Corrupt) => return Walk::Corrupt,
            }
        }
        let max = if MID { max.min(self.left as usize - 1) } else { max };
        let bs = self.geo.block_size as usize;
        let base = self.block_off(self.slots.cur);
        let blk = self.map.slot(base, bs);
        let (mut off, mut left, mut n) = (self.next_off, self.left, 0usize);
        let post = self.post;
        // Packets whose tag goes back into the bytes: none, or those with one.
        let tagged = if post.vlan_insert { TP_STATUS_VLAN_VALID } else { 0 };
        let corrupt = loop {
            // `off` starts past the block descriptor (open_block) and only grows: one comparison
            // keeps the header and the sockaddr_ll after it inside the block.
            if off > bs - HDR_END {
                break true;
            }
            let (hp, sp) = (
                blk.wrapping_add(off).cast::<Tpacket3Hdr>(),
                blk.wrapping_add(off + SLL_OFF).cast::<libc::sockaddr_ll>(),
            );
            // Fields are loaded where they are used, which keeps them in registers.
            macro_rules! field {
                ($p:expr, $f:ident) => {
                    // SAFETY: `blk` is the current block, inside the mapping (checked by `slot`)
                    // and handed over to us; `off + HDR_END <= bs` (checked above), so both
                    // headers are inside it; unaligned reads assume nothing of the kernel's
                    // alignment; the fields are plain integers.
                    unsafe { std::ptr::addr_of!((*$p).$f).read_unaligned() }
                };
            }
            let (mac, snaplen) = (field!(hp, tp_mac), field!(hp, tp_snaplen));
            // No overflow: off < bs, tp_mac <= 65535 and tp_snaplen < 2^32 on a 64-bit usize.
            let data = off + mac as usize;
            if data + snaplen as usize > bs || (mac as usize) < HDR_END {
                break true;
            }
            left -= 1;
            n += 1;
            let last = left == 0;
            let status = field!(hp, tp_status);
            let (mut data, mut caplen, mut len) = (data, snaplen, field!(hp, tp_len));
            if status & tagged != 0 {
                let moved = insert_vlan(
                    &self.map,
                    base + data,
                    caplen,
                    len,
                    mac - HDR_END as u16,
                    status,
                    field!(hp, tp_vlan_tci) as u16,
                    field!(hp, tp_vlan_tpid),
                );
                (data, caplen, len) = (moved.0 - base, moved.1, moved.2);
            }
            if caplen > post.snap {
                caplen = post.snap;
            }
            let fr = V3View {
                hp,
                sp,
                base,
                data,
                caplen,
                len,
                status,
                last,
                _block: PhantomData,
            };
            // SAFETY: the packet's bytes lie inside the current block (checked above; a VLAN tag
            // put back moved them into the room in front), which is ours until the next read
            // call.
            let bytes = unsafe { std::slice::from_raw_parts(blk.add(data), caplen as usize) };
            let more = f(bytes, &fr);
            if last {
                break false;
            }
            let stride = field!(hp, tp_next_offset) as usize;
            if stride == 0 {
                break true;
            }
            off += stride;
            // Packets of a burst tend to have similar sizes: fetch the header and first data
            // line of the one about PREFETCH_AHEAD packets on, if it is still in this block.
            let ahead = off + stride * (PREFETCH_AHEAD - 1);
            if ahead + 64 < bs {
                prefetch(blk.wrapping_add(ahead));
                prefetch(blk.wrapping_add(ahead + 64));
            }
            if !more || n >= max {
                break false;
            }
        };
        self.next_off = off;
        self.left = left;
        if left == 0 || corrupt {
            // Finished, or the rest of the block is skipped rather than read outside it.
            self.slots.finished = true;
        }
        match (corrupt, n) {
            (true, 0) => Walk::Corrupt,
            _ => Walk::Ready(n),
        }
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
        // `off` only grows inside a block and starts past the block descriptor (open_block), so
        // one comparison keeps the header and the sockaddr_ll after it inside the block (whose
        // size is far above HDR_END).
        if off > bs - HDR_END {
            return None;
        }
        let blk = self.map.slot(base, bs);
        // SAFETY: `blk` is the current block, inside the mapping (checked by `slot`) and handed
        // over to us; `off + HDR_END <= bs` (checked above); the kernel writes headers 16-byte
        // aligned, but unaligned reads make no assumption; both types are plain integers.
        let (h, sll) = unsafe {
            (
                blk.add(off).cast::<Tpacket3Hdr>().read_unaligned(),
                blk.add(off + SLL_OFF)
                    .cast::<libc::sockaddr_ll>()
                    .read_unaligned(),
            )
        };
        // No overflow: off < bs, tp_mac <= 65535 and tp_snaplen < 2^32 on a 64-bit usize.
        let data = off + h.tp_mac as usize;
        if data + h.tp_snaplen as usize > bs || (h.tp_mac as usize) < HDR_END {
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
            ifindex: sll.sll_ifindex,
            protocol: u16::from_be(sll.sll_protocol),
            hatype: sll.sll_hatype,
            pkttype: sll.sll_pkttype,
            last_in_slot: false,
            room: h.tp_mac - HDR_END as u16,
        };
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

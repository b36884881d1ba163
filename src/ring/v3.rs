//! TPACKET_V3: the kernel fills a block with many packets and hands the whole block over when
//! it is full or its retire timer fires.

use std::marker::PhantomData;
use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::{
    insert_vlan, prefetch, put_vlan, Corrupt, Describe, Frame, Geometry, Mapping, Post, Slots, Walk,
};
use crate::sys::{tpacket_align, Tpacket3Hdr, TpacketBlockDesc, TP_STATUS_VLAN_VALID};

/// The `sockaddr_ll` follows the aligned frame header.
const SLL_OFF: usize = tpacket_align(size_of::<Tpacket3Hdr>());
/// End of the frame header and the `sockaddr_ll`: the least offset of a packet's data.
const HDR_END: usize = SLL_OFF + size_of::<libc::sockaddr_ll>();
const BLOCK_STATUS: usize = offset_of!(TpacketBlockDesc, block_status);
// `Describe::link` of a view reads sll_hatype and the 2 bytes after it as one u32.
const _: () = assert!(
    offset_of!(libc::sockaddr_ll, sll_pkttype) == offset_of!(libc::sockaddr_ll, sll_hatype) + 2
        && offset_of!(libc::sockaddr_ll, sll_hatype) + 4 <= size_of::<libc::sockaddr_ll>()
);
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
    last: bool,
    /// The packet's place in its walk: 0, 1, ...
    index: usize,
    _block: PhantomData<&'a [u8]>,
}

impl V3View<'_> {
    /// The packet's place among those its walk handed over: 0, 1, ...
    #[inline(always)]
    pub fn index(&self) -> usize {
        self.index
    }
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
        view_field!(self.hp, tp_status)
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
    fn link(&self) -> u32 {
        // sll_hatype, sll_pkttype and sll_halen, adjacent (checked at compile time below).
        // SAFETY: as in `view_field!`: the 4 bytes lie inside the sockaddr_ll, which the walk
        // checked lies inside the block; unaligned read of plain integers.
        unsafe {
            std::ptr::addr_of!((*self.sp).sll_hatype)
                .cast::<u32>()
                .read_unaligned()
        }
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

/// How a walk reads the [`Post`] settings: from the ring at each call, or fixed at compile time.
trait Settings {
    /// The status bit of packets whose tag goes back into the bytes (0: none).
    fn tagged(post: &Post) -> u32;
    /// Whether `post.snap` may trim packets.
    fn trims(post: &Post) -> bool;
}

/// The settings as the ring has them.
struct Runtime;

impl Settings for Runtime {
    #[inline(always)]
    fn tagged(post: &Post) -> u32 {
        post.tagged
    }
    #[inline(always)]
    fn trims(_: &Post) -> bool {
        true
    }
}

/// Settings known at compile time: `VLAN` as `post.tagged != 0`, `TRIM` false only when
/// `post.snap` is `u32::MAX` (no limit).
struct Fixed<const VLAN: bool, const TRIM: bool>;

impl<const VLAN: bool, const TRIM: bool> Settings for Fixed<VLAN, TRIM> {
    #[inline(always)]
    fn tagged(_: &Post) -> u32 {
        if VLAN {
            TP_STATUS_VLAN_VALID
        } else {
            0
        }
    }
    #[inline(always)]
    fn trims(_: &Post) -> bool {
        TRIM
    }
}

pub struct V3Ring {
    pub(super) map: Arc<Mapping>,
    pub(super) geo: Geometry,
    pub(super) slots: Slots,
    /// Packets of the current block not yet returned; meaningful while `in_block`.
    left: u32,
    /// The next packet's header, inside the current block; meaningful while `in_block`.
    at: *mut u8,
    in_block: bool,
    /// The current block's first byte and its offset in the mapping, its end, and the highest
    /// address where a frame header and sockaddr_ll still fit below the end; meaningful while
    /// `in_block` (set when the block is opened, so that walking it checks no bounds again).
    blk: *mut u8,
    base: usize,
    end: *mut u8,
    hdr_limit: *mut u8,
    /// How many packets of the current block `pkt_read`'s fast path may take without looking at
    /// anything else: `left - 1` while the block is being read, not finished and nothing is held;
    /// 0 when any of that may not hold (set only at the end of a walk, cleared at every other
    /// change of the cursor).
    mid: u32,
    pub(super) post: Post,
}

// SAFETY: the pointers point into the mapping, which the ring owns through its `Arc`; they are
// only dereferenced through `&mut self` (reading) like every other access to the ring's state,
// so the ring moves between threads and is shared as safely as the mapping itself.
unsafe impl Send for V3Ring {}
// SAFETY: as above: `&self` methods never dereference them.
unsafe impl Sync for V3Ring {}

impl V3Ring {
    pub(super) fn new(map: Arc<Mapping>, geo: Geometry, post: Post) -> V3Ring {
        V3Ring {
            post,
            map,
            geo,
            slots: Slots::new(geo.block_nr),
            left: 0,
            at: std::ptr::null_mut(),
            in_block: false,
            blk: std::ptr::null_mut(),
            base: 0,
            end: std::ptr::null_mut(),
            hdr_limit: std::ptr::null_mut(),
            mid: 0,
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
            let bs = self.geo.block_size as usize;
            self.left = desc.num_pkts;
            self.base = self.block_off(cur);
            self.blk = self.map.slot(self.base, bs);
            // Pointers into the block (or just past it, for a nonsense first offset, which the
            // walk then finds out of bounds before reading anything).
            self.at = self.blk.wrapping_add(desc.offset_to_first_pkt as usize);
            self.end = self.blk.wrapping_add(bs);
            self.hdr_limit = self.blk.wrapping_add(bs - HDR_END);
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
        // The usual settings get a loop of their own that keeps no flag in a register.
        match (self.post.tagged != 0, self.post.snap == u32::MAX) {
            (true, true) => self.walk_impl::<Fixed<true, false>>(max, f),
            (false, true) => self.walk_impl::<Fixed<false, false>>(max, f),
            _ => self.walk_impl::<Runtime>(max, f),
        }
    }

    #[inline(always)]
    fn walk_impl<S: Settings>(&mut self, max: usize, mut f: impl FnMut(&[u8], &V3View<'_>) -> bool) -> Walk {
        self.mid = 0;
        match self.open_block() {
            Ok(true) => {}
            Ok(false) => return Walk::Empty,
            Err(Corrupt) => return Walk::Corrupt,
        }
        let left0 = self.left as usize;
        // The walk ends after `limit` packets: `max`, or the block's last packet (`left0` >= 1
        // after open_block).
        let limit = max.min(left0);
        // The block opened by `open_block`: inside the mapping (checked by `slot` then). The
        // cursor is a pointer into it, bounded by `hdr_limit` (a header and sockaddr_ll fit
        // below `end`), which keeps the loop state small.
        // (Computed here rather than loaded from `self.end` and `self.hdr_limit`: measured, the
        // loop's registers come out better.)
        let (blk, base, bs) = (self.blk, self.base, self.geo.block_size as usize);
        let (end, hdr_limit) = (blk.wrapping_add(bs), blk.wrapping_add(bs - HDR_END));
        let mut at = self.at;
        let mut n = 0usize;
        let post = self.post;
        // Packets whose tag goes back into the bytes: none, or those with one.
        let tagged = S::tagged(&post);
        let corrupt = loop {
            // `at` starts past the block descriptor (open_block) and only grows: one comparison
            // keeps the header and the sockaddr_ll after it inside the block.
            if at > hdr_limit {
                break true;
            }
            let (hp, sp) = (
                at.cast::<Tpacket3Hdr>(),
                at.wrapping_add(SLL_OFF).cast::<libc::sockaddr_ll>(),
            );
            // Fields are loaded where they are used, which keeps them in registers.
            macro_rules! field {
                ($p:expr, $f:ident) => {
                    // SAFETY: `blk` is the current block, inside the mapping (checked by `slot`)
                    // and handed over to us; `at <= hdr_limit` (checked above), so both headers
                    // are inside it; unaligned reads assume nothing of the kernel's alignment;
                    // the fields are plain integers.
                    unsafe { std::ptr::addr_of!((*$p).$f).read_unaligned() }
                };
            }
            let (mac, snaplen) = (field!(hp, tp_mac), field!(hp, tp_snaplen));
            // No overflow: `at` is inside the mapping, tp_mac <= 65535 and tp_snaplen < 2^32,
            // far from the top of a 64-bit address space.
            let mut dp = at.wrapping_add(mac as usize);
            if dp.wrapping_add(snaplen as usize) > end || (mac as usize) < HDR_END {
                break true;
            }
            let status = field!(hp, tp_status);
            n += 1;
            let last = n == left0;
            let (mut caplen, mut len) = (snaplen, field!(hp, tp_len));
            if status & tagged != 0 {
                let moved = insert_vlan(
                    &self.map,
                    base + (dp as usize - blk as usize),
                    caplen,
                    len,
                    mac - HDR_END as u16,
                    status,
                    field!(hp, tp_vlan_tci) as u16,
                    field!(hp, tp_vlan_tpid),
                );
                dp = blk.wrapping_add(moved.0 - base);
                (caplen, len) = (moved.1, moved.2);
            }
            if S::trims(&post) && caplen > post.snap {
                caplen = post.snap;
            }
            let fr = V3View {
                hp,
                sp,
                base,
                data: dp as usize - blk as usize,
                caplen,
                len,
                last,
                index: n - 1,
                _block: PhantomData,
            };
            // SAFETY: the packet's bytes lie inside the current block (checked above; a VLAN tag
            // put back moved them into the room in front), which is ours until the next read
            // call.
            let bytes = unsafe { std::slice::from_raw_parts(dp, caplen as usize) };
            let more = f(bytes, &fr);
            let stride = field!(hp, tp_next_offset) as usize;
            if n == limit {
                // One test for both ends: the batch is full, or this was the block's last packet
                // (whose next offset means nothing).
                if !last {
                    if stride == 0 {
                        break true;
                    }
                    at = at.wrapping_add(stride);
                }
                break false;
            }
            if stride == 0 {
                break true;
            }
            // Packets of a burst tend to have similar sizes: fetch the header and first data
            // line of the one about PREFETCH_AHEAD packets on. Unchecked: a prefetch never
            // faults, and the few past the block's end (the last packets of a block) cost less
            // than a comparison for every packet.
            let ahead = at.wrapping_add(stride * PREFETCH_AHEAD);
            prefetch(ahead);
            prefetch(ahead.wrapping_add(64));
            at = at.wrapping_add(stride);
            if !more {
                break false;
            }
        };
        self.at = at;
        let left = (left0 - n) as u32;
        self.left = left;
        if left == 0 || corrupt {
            // Finished, or the rest of the block is skipped rather than read outside it.
            self.slots.finished = true;
        } else if self.slots.held == 0 {
            // In the block, not finished, nothing held: pkt_read's fast path may go on.
            self.mid = left - 1;
        }
        match (corrupt, n) {
            (true, 0) => Walk::Corrupt,
            _ => Walk::Ready(n),
        }
    }

    /// Makes [`V3Ring::read_mid`] find nothing until the next walk.
    pub(super) fn stop_fast(&mut self) {
        self.mid = 0;
    }

    /// The next packet of the block being read when it is not the block's last and nothing is
    /// to be given back first (`mid` > 0): `f` describes it, and its bytes are returned, valid
    /// until the next call on the ring. None, with nothing changed, otherwise, and for anything
    /// unusual (a header out of bounds, a zero stride; with `TAGS` false, a tag to put back),
    /// which the caller's general path (a walk) then handles.
    #[inline(always)]
    pub(super) fn read_mid<const TAGS: bool>(&mut self, mut f: impl FnMut(&V3View<'_>)) -> Option<&[u8]> {
        // Straight-line: the cursor is checked, committed, then the packet described, so that
        // little is live at once.
        if self.mid == 0 {
            return None;
        }
        let at = self.at;
        if at > self.hdr_limit {
            return None;
        }
        let (hp, sp) = (
            at.cast::<Tpacket3Hdr>(),
            at.wrapping_add(SLL_OFF).cast::<libc::sockaddr_ll>(),
        );
        macro_rules! field {
            ($f:ident) => {
                // SAFETY: `mid` > 0, so `at` is in the block being read, which is inside the
                // mapping (checked by `slot` when it was opened) and ours; `at <= hdr_limit`
                // (checked above), so the header is inside it; unaligned reads assume nothing of
                // the kernel's alignment; the fields are plain integers.
                unsafe { std::ptr::addr_of!((*hp).$f).read_unaligned() }
            };
        }
        let (mac, snaplen) = (field!(tp_mac), field!(tp_snaplen));
        // No overflow: `at` is inside the mapping, tp_mac <= 65535 and tp_snaplen < 2^32, far
        // from the top of a 64-bit address space.
        let dp = at.wrapping_add(mac as usize);
        if dp.wrapping_add(snaplen as usize) > self.end || (mac as usize) < HDR_END {
            return None;
        }
        let tag = field!(tp_status) & Runtime::tagged(&self.post) != 0;
        if !TAGS && tag {
            return None;
        }
        let stride = field!(tp_next_offset) as usize;
        if stride == 0 {
            return None;
        }
        // `mid` > 0: not the block's last packet, nothing held, the block stays unfinished.
        self.at = at.wrapping_add(stride);
        self.left -= 1;
        self.mid -= 1;
        // As in the walk: the header and first data line of the packet PREFETCH_AHEAD on.
        let ahead = at.wrapping_add(stride * PREFETCH_AHEAD);
        prefetch(ahead);
        prefetch(ahead.wrapping_add(64));
        let (mut dp, mut caplen, mut len) = (dp, snaplen, field!(tp_len));
        if TAGS && tag {
            let base = self.base;
            let moved = put_vlan(
                &self.map,
                base + (dp as usize - self.blk as usize),
                caplen,
                len,
                mac - HDR_END as u16,
                field!(tp_status),
                field!(tp_vlan_tci) as u16,
                field!(tp_vlan_tpid),
            );
            dp = self.blk.wrapping_add(moved.0 - base);
            (caplen, len) = (moved.1, moved.2);
        }
        let caplen = caplen.min(self.post.snap);
        f(&V3View {
            hp,
            sp,
            base: self.base,
            data: dp as usize - self.blk as usize,
            caplen,
            len,
            last: false,
            index: 0,
            _block: PhantomData,
        });
        // SAFETY: the packet's bytes lie inside the current block (checked above; a VLAN tag
        // put back moved them into the room in front), which stays ours and unchanged while
        // `self` is borrowed: the next call on the ring needs `&mut self`. Being inside the mapping, `dp` is not null: telling the compiler spares
        // the caller a test of the returned Option.
        Some(unsafe {
            std::hint::assert_unchecked(!dp.is_null());
            std::slice::from_raw_parts(dp, caplen as usize)
        })
    }

    #[inline(always)]
    pub(super) fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        // Not worth keeping the fast path's count up to date here: the next walk sets it again.
        self.mid = 0;
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

    /// Describes the packet at `at` and steps past it, checking every offset the kernel
    /// gave against the block's bounds.
    #[inline(always)]
    fn parse(&mut self) -> Option<Frame> {
        let bs = self.geo.block_size as usize;
        let base = self.block_off(self.slots.cur);
        // `at` is in the block or just past it (open_block), never below its start.
        let off = self.at as usize - self.blk as usize;
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
            self.at = self.blk.wrapping_add(off + stride);
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

    /// True when the block the kernel is filling (the one after the last we read) holds
    /// packets: they come to us once the block is full or its timer retires it.
    pub(super) fn kernel_has_packets(&self) -> bool {
        let cur = self.slots.cur;
        !self.in_block
            && !self.map.is_user(Self::status_off(self.geo.block_size)(cur))
            && self
                .map
                .status(self.block_off(cur) + offset_of!(TpacketBlockDesc, num_pkts))
                != 0
    }

    pub(super) fn resync(&mut self) -> bool {
        !self.in_block
            && self
                .slots
                .resync(&self.map, Self::status_off(self.geo.block_size))
    }
}

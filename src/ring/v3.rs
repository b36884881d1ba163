//! TPACKET_V3: the kernel fills a block with many packets and hands the whole block over when
//! it is full or its retire timer fires.
//!
//! [`V3Ring`] walks the blocks: [`V3Ring::walk`] (the batch readers' loop), `read_mid`
//! (`pkt_read`'s fast path) and `next` (the general path, a [`Frame`] per packet), each packet
//! described by a [`V3View`] that loads its header fields from the ring where they are used.
//! The block is read through [`Block`]'s cursor, which checked it against the mapping when it
//! was opened; every offset the kernel gave is checked against the block here.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::mapping::{Block, Cursor, Hdr};
use super::{insert_vlan, put_vlan, Corrupt, Describe, Frame, Geometry, Mapping, Post, Slots, Walk};
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

/// Field `$f` (of type `$t`, checked) of the frame header at `$h`, loaded from the ring.
macro_rules! hdr {
    ($h:expr, $f:ident: $t:ty) => {{
        let _: fn(&Tpacket3Hdr) -> $t = |x| x.$f;
        $h.load::<$t, { offset_of!(Tpacket3Hdr, $f) }>()
    }};
}

/// Field `$f` (of type `$t`, checked) of the `sockaddr_ll` after the frame header at `$h`.
macro_rules! sll {
    ($h:expr, $f:ident: $t:ty) => {{
        let _: fn(&libc::sockaddr_ll) -> $t = |x| x.$f;
        $h.load::<$t, { SLL_OFF + offset_of!(libc::sockaddr_ll, $f) }>()
    }};
}

/// A packet of the block being walked, described straight from its ring header: each field is
/// loaded where it is used (which keeps the walk's loop state in registers); only what a tag put
/// back or the snap length changed is kept.
pub struct V3View<'a> {
    /// The frame header and the `sockaddr_ll`, inside the block.
    h: Hdr<'a, HDR_END>,
    /// The block's offset in the mapping, and the data's in the block.
    base: usize,
    data: usize,
    caplen: u32,
    len: u32,
    last: bool,
    /// The packet's place in its walk: 0, 1, ...
    index: usize,
}

impl V3View<'_> {
    /// The packet's place among those its walk handed over: 0, 1, ...
    #[inline(always)]
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Describe for V3View<'_> {
    #[inline(always)]
    fn link_addr(&self) -> (u8, [u8; 8]) {
        const ADDR: usize = SLL_OFF + offset_of!(libc::sockaddr_ll, sll_addr);
        let (lo, hi) = (self.h.load::<u32, ADDR>(), self.h.load::<u32, { ADDR + 4 }>());
        let mut addr = [0u8; 8];
        addr[..4].copy_from_slice(&lo.to_ne_bytes());
        addr[4..].copy_from_slice(&hi.to_ne_bytes());
        (sll!(self.h, sll_halen: u8), addr)
    }
    #[inline(always)]
    fn sec(&self) -> u32 {
        hdr!(self.h, tp_sec: u32)
    }
    #[inline(always)]
    fn nsec(&self) -> u32 {
        hdr!(self.h, tp_nsec: u32)
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
        hdr!(self.h, tp_status: u32)
    }
    #[inline(always)]
    fn vlan_tci(&self) -> u16 {
        hdr!(self.h, tp_vlan_tci: u32) as u16
    }
    #[inline(always)]
    fn vlan_tpid(&self) -> u16 {
        hdr!(self.h, tp_vlan_tpid: u16)
    }
    #[inline(always)]
    fn ifindex(&self) -> i32 {
        sll!(self.h, sll_ifindex: i32)
    }
    #[inline(always)]
    fn protocol(&self) -> u16 {
        u16::from_be(sll!(self.h, sll_protocol: u16))
    }
    #[inline(always)]
    fn hatype(&self) -> u16 {
        sll!(self.h, sll_hatype: u16)
    }
    #[inline(always)]
    fn pkttype(&self) -> u8 {
        sll!(self.h, sll_pkttype: u8)
    }
    #[inline(always)]
    fn link(&self) -> u32 {
        // sll_hatype, sll_pkttype and sll_halen, adjacent (checked at compile time above).
        self.h
            .load::<u32, { SLL_OFF + offset_of!(libc::sockaddr_ll, sll_hatype) }>()
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
    /// The mapping, and the current block in it with the next packet's header (meaningful while
    /// `in_block`): its bounds are set when the block is opened, so that walking it checks no
    /// bounds again.
    blocks: Block<HDR_END>,
    pub(super) geo: Geometry,
    pub(super) slots: Slots,
    /// Packets of the current block not yet returned; meaningful while `in_block`.
    left: u32,
    in_block: bool,
    /// The current block's offset in the mapping; meaningful while `in_block`.
    base: usize,
    /// How many packets of the current block `pkt_read`'s fast path may take without looking at
    /// anything else: `left - 1` while the block is being read, not finished and nothing is held;
    /// 0 when any of that may not hold (set only at the end of a walk, cleared at every other
    /// change of the cursor).
    mid: u32,
    pub(super) post: Post,
}

impl V3Ring {
    pub(super) fn new(map: Arc<Mapping>, geo: Geometry, post: Post) -> V3Ring {
        V3Ring {
            post,
            blocks: Block::new(map),
            geo,
            slots: Slots::new(geo.block_nr),
            left: 0,
            in_block: false,
            base: 0,
            mid: 0,
        }
    }

    #[inline(always)]
    pub(super) fn map(&self) -> &Mapping {
        self.blocks.map()
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
            .release_held(self.blocks.map(), Self::status_off(self.geo.block_size));
    }

    /// Makes the current block the one being read, if the kernel handed it over: false when it
    /// has not.
    #[inline(always)]
    fn open_block(&mut self) -> Result<bool, Corrupt> {
        self.step();
        while !self.in_block {
            let cur = self.slots.cur;
            if !self.map().is_user(Self::status_off(self.geo.block_size)(cur)) {
                return Ok(false);
            }
            let desc: TpacketBlockDesc = self.map().read(self.block_off(cur)).ok_or(Corrupt)?;
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
            self.base = self.block_off(cur);
            // The cursor goes into the block (or past it, for a nonsense first offset, which the
            // walk then finds out of bounds before reading anything).
            let bs = self.geo.block_size as usize;
            self.blocks.open(self.base, bs, desc.offset_to_first_pkt);
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
        let all = |_: &[u8], _: &V3View<'_>| u32::MAX;
        match (self.post.tagged != 0, self.post.snap == u32::MAX) {
            (true, true) => self.walk_impl::<Fixed<true, false>, false>(max, all, f),
            (false, true) => self.walk_impl::<Fixed<false, false>, false>(max, all, f),
            _ => self.walk_impl::<Runtime, false>(max, all, f),
        }
    }

    /// [`V3Ring::walk`] with a verdict first: `v` sees each packet as the kernel left it (no tag
    /// put back, no snap length of ours: what the slow path's user-space filter sees) and
    /// returns how many of its bytes to keep, 0 to skip it. Skipped packets are walked (they
    /// count against `max` and in the returned count) but not handed to `f`; the packets `f`
    /// gets are numbered 0, 1, ... among themselves (`V3View::index`).
    #[inline(always)]
    pub(super) fn walk_filtered(
        &mut self,
        max: usize,
        v: impl FnMut(&[u8], &V3View<'_>) -> u32,
        f: impl FnMut(&[u8], &V3View<'_>) -> bool,
    ) -> Walk {
        self.walk_impl::<Runtime, true>(max, v, f)
    }

    #[inline(always)]
    fn walk_impl<S: Settings, const VERDICT: bool>(
        &mut self,
        max: usize,
        mut v: impl FnMut(&[u8], &V3View<'_>) -> u32,
        mut f: impl FnMut(&[u8], &V3View<'_>) -> bool,
    ) -> Walk {
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
        // The block opened by `open_block`: inside the mapping (checked by `Block::open` then).
        // The cursor is a pointer into it, bounded by the highest address where a header and
        // sockaddr_ll fit below the block's end, which keeps the loop state small.
        let base = self.base;
        let mut cur = self.blocks.cursor();
        let mut n = 0usize;
        // Packets handed to `f` (with VERDICT, fewer than walked).
        let mut given = 0usize;
        let post = self.post;
        // Packets whose tag goes back into the bytes: none, or those with one.
        let tagged = S::tagged(&post);
        let corrupt = loop {
            // The cursor starts past the block descriptor (open_block) and only moves forward:
            // one comparison keeps the header and the sockaddr_ll after it inside the block.
            let Some(h) = cur.header() else {
                break true;
            };
            // Fields are loaded where they are used, which keeps them in registers.
            let (mac, snaplen) = (hdr!(h, tp_mac: u16), hdr!(h, tp_snaplen: u32));
            // Inside the block, and past the headers.
            let Some(mut d) = cur.data::<HDR_END>(mac, snaplen) else {
                break true;
            };
            let status = hdr!(h, tp_status: u32);
            n += 1;
            let last = n == left0;
            let mut len = hdr!(h, tp_len: u32);
            let keep = if VERDICT {
                let raw = V3View {
                    h,
                    base,
                    data: cur.offset_of_data(&d),
                    caplen: d.len(),
                    len,
                    last,
                    index: given,
                };
                v(d.peek(), &raw)
            } else {
                u32::MAX
            };
            // A packet the verdict skips is walked past like one handed over.
            let more = if VERDICT && keep == 0 {
                true
            } else {
                if VERDICT {
                    d.cut(keep);
                }
                let mut d = if status & tagged != 0 {
                    let (d, l) = insert_vlan(
                        d,
                        len,
                        mac - HDR_END as u16,
                        status,
                        hdr!(h, tp_vlan_tci: u32) as u16,
                        hdr!(h, tp_vlan_tpid: u16),
                    );
                    len = l;
                    d
                } else {
                    d.span()
                };
                if S::trims(&post) {
                    d.trim(post.snap);
                }
                let fr = V3View {
                    h,
                    base,
                    data: cur.offset_of(&d),
                    caplen: d.len(),
                    len,
                    last,
                    index: if VERDICT { given } else { n - 1 },
                };
                given += 1;
                // The packet's bytes lie inside the current block (checked above; a VLAN tag put
                // back moved them into the room in front), which is ours until the next read call.
                f(d.bytes(), &fr)
            };
            let stride = hdr!(h, tp_next_offset: u32);
            if n == limit {
                // One test for both ends: the batch is full, or this was the block's last packet
                // (whose next offset means nothing).
                if !last {
                    if stride == 0 {
                        break true;
                    }
                    cur.advance(stride);
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
            let ahead = stride as usize * PREFETCH_AHEAD;
            cur.prefetch(ahead);
            cur.prefetch(ahead + 64);
            cur.advance(stride);
            if !more {
                break false;
            }
        };
        cur.save();
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
        // `mid` > 0, so the cursor is in the block being read, which is inside the mapping
        // (checked by `Block::open` when it was opened) and ours.
        let mut cur = self.blocks.cursor();
        let h = cur.header()?;
        let (mac, snaplen) = (hdr!(h, tp_mac: u16), hdr!(h, tp_snaplen: u32));
        // Inside the block, and past the headers.
        let d = cur.data::<HDR_END>(mac, snaplen)?;
        let tag = hdr!(h, tp_status: u32) & Runtime::tagged(&self.post) != 0;
        if !TAGS && tag {
            return None;
        }
        let stride = hdr!(h, tp_next_offset: u32);
        if stride == 0 {
            return None;
        }
        // `mid` > 0: not the block's last packet, nothing held, the block stays unfinished.
        let here = cur;
        cur.advance(stride);
        cur.save();
        self.left -= 1;
        self.mid -= 1;
        // As in the walk: the header and first data line of the packet PREFETCH_AHEAD on.
        let ahead = stride as usize * PREFETCH_AHEAD;
        here.prefetch(ahead);
        here.prefetch(ahead + 64);
        let mut len = hdr!(h, tp_len: u32);
        let mut d = if TAGS && tag {
            let (d, l) = put_vlan(
                d,
                len,
                mac - HDR_END as u16,
                hdr!(h, tp_status: u32),
                hdr!(h, tp_vlan_tci: u32) as u16,
                hdr!(h, tp_vlan_tpid: u16),
            );
            len = l;
            d
        } else {
            d.span()
        };
        d.trim(self.post.snap);
        f(&V3View {
            h,
            base: self.base,
            data: here.offset_of(&d),
            caplen: d.len(),
            len,
            last: false,
            index: 0,
        });
        // The packet's bytes lie inside the current block (checked above; a VLAN tag put back
        // moved them into the room in front), which stays ours and unchanged while `self` is
        // borrowed: the next call on the ring needs `&mut self`.
        Some(d.bytes())
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

    /// Describes the packet at the cursor and steps past it, checking every offset the kernel
    /// gave against the block's bounds.
    #[inline(always)]
    fn parse(&mut self) -> Option<Frame> {
        let bs = self.geo.block_size as usize;
        let base = self.block_off(self.slots.cur);
        let mut cur: Cursor<'_, HDR_END> = self.blocks.cursor();
        // The cursor only moves forward inside a block and starts past the block descriptor
        // (open_block), so one comparison keeps the header and the sockaddr_ll after it inside
        // the block. The kernel writes headers 16-byte aligned, but unaligned reads make no
        // assumption.
        let hdr = cur.header()?;
        let (h, sll) = (
            hdr.load::<Tpacket3Hdr, 0>(),
            hdr.load::<libc::sockaddr_ll, SLL_OFF>(),
        );
        // Inside the block, and past the headers.
        let d = cur.data::<HDR_END>(h.tp_mac, h.tp_snaplen)?.span();
        let mut f = Frame {
            data_off: base + cur.offset_of(&d),
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
            halen: sll.sll_halen,
            addr: sll.sll_addr,
            last_in_slot: false,
            room: h.tp_mac - HDR_END as u16,
        };
        self.left -= 1;
        if self.left == 0 {
            self.slots.finished = true;
            f.last_in_slot = true;
        } else {
            let stride = h.tp_next_offset;
            if stride == 0 {
                return None;
            }
            let off = cur.offset();
            cur.advance(stride);
            cur.save();
            // Packets of a burst tend to have similar sizes: fetch the header and first data
            // line of the one about PREFETCH_AHEAD packets on, if it is still in this block.
            let ahead = off + stride as usize * PREFETCH_AHEAD;
            if ahead < bs {
                self.map().prefetch(base + ahead);
                self.map().prefetch(base + ahead + 64);
            }
        }
        Some(f)
    }

    #[inline(always)]
    pub(super) fn next_slot_ready(&self) -> bool {
        let next = self.slots.succ(self.slots.cur);
        self.map().is_user(Self::status_off(self.geo.block_size)(next))
    }

    pub(super) fn user_slots(&self) -> u64 {
        self.slots
            .user_run(self.blocks.map(), Self::status_off(self.geo.block_size))
    }

    /// True when the block the kernel is filling (the one after the last we read) holds
    /// packets: they come to us once the block is full or its timer retires it.
    pub(super) fn kernel_has_packets(&self) -> bool {
        let cur = self.slots.cur;
        !self.in_block
            && !self.map().is_user(Self::status_off(self.geo.block_size)(cur))
            && self
                .map()
                .status(self.block_off(cur) + offset_of!(TpacketBlockDesc, num_pkts))
                != 0
    }

    pub(super) fn resync(&mut self) -> bool {
        !self.in_block
            && self
                .slots
                .resync(self.blocks.map(), Self::status_off(self.geo.block_size))
    }
}

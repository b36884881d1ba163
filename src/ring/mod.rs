//! The memory-mapped receive rings: geometry, mapping, and walking the slots the kernel hands us.
//!
//! A *slot* is what the kernel hands over as a unit: a block in TPACKET_V3, a frame in
//! TPACKET_V2. Slots are consumed strictly in ring order. The slot holding the packet returned
//! last stays ours until the next call (the data must stay valid), and is handed back at the
//! start of that call.

mod geometry;
mod tx;
mod v2;
mod v3;
#[cfg(test)]
mod walk_tests;

use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use memmap2::{Advice, MmapOptions, MmapRaw};

use crate::packet::Info;
use crate::sys::{self, Errno, TP_STATUS_KERNEL, TP_STATUS_USER};

pub use geometry::{Geometry, Version, RESERVE};
pub use tx::{Reap, TxRing};

pub use v2::V2Ring;
pub use v3::{V3Ring, V3View};

/// One packet in the ring, described by offsets and copies of its header fields, so that
/// describing it borrows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Frame {
    /// Offset of the first data byte in the mapping.
    pub data_off: usize,
    pub caplen: u32,
    pub len: u32,
    pub sec: u32,
    pub nsec: u32,
    pub status: u32,
    /// Offset of the network header relative to the data.
    pub net_off: u32,
    pub rxhash: u32,
    pub vlan_tci: u16,
    pub vlan_tpid: u16,
    pub ifindex: i32,
    pub protocol: u16,
    pub hatype: u16,
    pub pkttype: u8,
    /// This packet is the last of its slot: the slot goes back to the kernel at the next call.
    pub last_in_slot: bool,
    /// Bytes of the slot in front of the data that hold no header (the `PACKET_RESERVE` room).
    pub room: u16,
}

/// What describing a packet needs, whether kept in a [`Frame`] or read from the ring header as
/// needed ([`V3View`]).
pub trait Describe {
    fn sec(&self) -> u32;
    fn nsec(&self) -> u32;
    fn caplen(&self) -> u32;
    fn len(&self) -> u32;
    fn status(&self) -> u32;
    fn vlan_tci(&self) -> u16;
    fn vlan_tpid(&self) -> u16;
    fn ifindex(&self) -> i32;
    fn protocol(&self) -> u16;
    fn hatype(&self) -> u16;
    fn pkttype(&self) -> u8;
    /// `hatype` in the low 16 bits, `pkttype` in the next 8 (the top 8 bits are whatever follows
    /// them in the source: what [`put_link`] writes into the padding after `pkttype`).
    #[inline(always)]
    fn link(&self) -> u32 {
        self.hatype() as u32 | (self.pkttype() as u32) << 16
    }
    /// Offset of the first data byte in the mapping.
    fn data_off(&self) -> usize;
    fn last_in_slot(&self) -> bool;
}

impl Describe for Frame {
    #[inline(always)]
    fn sec(&self) -> u32 {
        self.sec
    }
    #[inline(always)]
    fn nsec(&self) -> u32 {
        self.nsec
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
        self.vlan_tci
    }
    #[inline(always)]
    fn vlan_tpid(&self) -> u16 {
        self.vlan_tpid
    }
    #[inline(always)]
    fn ifindex(&self) -> i32 {
        self.ifindex
    }
    #[inline(always)]
    fn protocol(&self) -> u16 {
        self.protocol
    }
    #[inline(always)]
    fn hatype(&self) -> u16 {
        self.hatype
    }
    #[inline(always)]
    fn pkttype(&self) -> u8 {
        self.pkttype
    }
    #[inline(always)]
    fn data_off(&self) -> usize {
        self.data_off
    }
    #[inline(always)]
    fn last_in_slot(&self) -> bool {
        self.last_in_slot
    }
}

// `linktype` and `pkttype` are adjacent, with a padding byte after them inside the struct.
const _: () = assert!(
    offset_of!(Info, pkttype) == offset_of!(Info, linktype) + 2
        && offset_of!(Info, linktype) + 4 <= size_of::<Info>()
);

/// Writes `i.linktype` and `i.pkttype` from [`Describe::link`] with one 4-byte store (its top
/// byte goes into the padding after `pkttype`, whose content C leaves unspecified): the ring's
/// `sockaddr_ll` has `sll_hatype` and `sll_pkttype` adjacent as well, so one load and one store
/// move both.
#[inline(always)]
pub(crate) fn put_link(i: &mut Info, link: u32) {
    let p = (i as *mut Info)
        .cast::<u8>()
        .wrapping_add(offset_of!(Info, linktype));
    // SAFETY: the 4 bytes from `linktype` on lie inside `*i` (asserted at compile time), which
    // is ours to write: `linktype`, `pkttype` (plain integers, any value valid) and a padding
    // byte; an unaligned write assumes nothing of the alignment.
    unsafe { p.cast::<u32>().write_unaligned(link) }
}

/// What every packet handed out gets done to it after any filter ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Post {
    /// The status bit of packets whose outer VLAN tag goes back into the bytes (link-layer
    /// captures): `TP_STATUS_VLAN_VALID`, or 0 for none.
    pub tagged: u32,
    /// Most bytes handed out per packet (`u32::MAX`: no limit).
    pub snap: u32,
}

impl Post {
    /// The settings for a capture: `snaplen` 0 means whole packets.
    pub fn new(vlan_insert: bool, snaplen: u32) -> Post {
        Post {
            tagged: if vlan_insert { sys::TP_STATUS_VLAN_VALID } else { 0 },
            snap: if snaplen == 0 { u32::MAX } else { snaplen },
        }
    }

    /// Applies the settings to `f`, whose bytes are in `map` and ours. (The V3 block walk does
    /// the same inline, reading the tag from the ring header only for tagged packets.)
    #[inline(always)]
    fn apply(&self, map: &Mapping, f: &mut Frame) {
        if f.status & self.tagged != 0 {
            (f.data_off, f.caplen, f.len) = insert_vlan(
                map,
                f.data_off,
                f.caplen,
                f.len,
                f.room,
                f.status,
                f.vlan_tci,
                f.vlan_tpid,
            );
        }
        f.caplen = f.caplen.min(self.snap);
    }
}

/// Where the Ethernet header's ethertype sits: the tag goes in front of it.
const ETH_TYPE_OFF: usize = 12;

/// Puts the outer VLAN tag the kernel took out back in front of the ethertype: the 12 address
/// bytes move 4 bytes back into the reserved room, the tag goes after them. Packets too short for
/// an Ethernet header, or without room in front (never with our `PACKET_RESERVE`), stay as they
/// are. Out of line for the loops, where tagged packets are the exception.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn insert_vlan(
    map: &Mapping,
    data_off: usize,
    caplen: u32,
    len: u32,
    room: u16,
    status: u32,
    tci: u16,
    tpid: u16,
) -> (usize, u32, u32) {
    put_vlan(map, data_off, caplen, len, room, status, tci, tpid)
}

/// [`insert_vlan`] inline: it calls nothing and cannot panic (a range outside the mapping, which
/// the callers' checks rule out, leaves the packet as it is), so that `pkt_read`'s fast path
/// needs no call.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn put_vlan(
    map: &Mapping,
    data_off: usize,
    caplen: u32,
    len: u32,
    room: u16,
    status: u32,
    tci: u16,
    tpid: u16,
) -> (usize, u32, u32) {
    if (caplen as usize) < ETH_TYPE_OFF || room < 4 || data_off < 4 || data_off + ETH_TYPE_OFF > map.len() {
        return (data_off, caplen, len);
    }
    let tpid = if status & sys::TP_STATUS_VLAN_TPID_VALID != 0 {
        tpid
    } else {
        sys::ETH_P_8021Q
    };
    let mut tag = [0u8; 4];
    tag[..2].copy_from_slice(&tpid.to_be_bytes());
    tag[2..].copy_from_slice(&tci.to_be_bytes());
    let start = data_off - 4;
    // SAFETY: `start .. data_off + caplen` lies in the packet's slot (the parser checked the
    // bytes, `room` says the 4 bytes in front of them belong to the slot and hold no header; and
    // `start + ETH_TYPE_OFF + 4 <= map.len()`, checked above), the slot is ours, and no
    // reference to these bytes has been handed out yet.
    unsafe {
        let p = map.map.as_mut_ptr().add(start);
        std::ptr::copy(p.add(4), p, ETH_TYPE_OFF);
        std::ptr::copy_nonoverlapping(tag.as_ptr(), p.add(ETH_TYPE_OFF), 4);
    }
    (start, caplen + 4, len.saturating_add(4))
}

/// The ring's mapping: `block_nr` blocks of `block_size` bytes, shared with the kernel.
pub(crate) struct Mapping {
    map: MmapRaw,
}

impl Mapping {
    /// Maps the ring of `fd`, excluded from forked children (a child's mapping would keep the
    /// socket capturing after we close it).
    pub fn new(fd: BorrowedFd<'_>, len: usize) -> Result<Mapping, Errno> {
        let map = MmapOptions::new()
            .len(len)
            .map_raw(fd.as_raw_fd())
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
        map.advise(Advice::DontFork)
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
        Ok(Mapping { map })
    }

    /// An anonymous mapping standing in for a ring, for the walkers' tests.
    #[cfg(test)]
    pub fn anon(len: usize) -> Mapping {
        let map = MmapOptions::new().len(len).map_anon().expect("anonymous mapping");
        Mapping { map: map.into() }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The status word at `off` (a slot header), read with acquire ordering so that everything the
    /// kernel wrote before handing the slot over is visible.
    #[inline(always)]
    fn status(&self, off: usize) -> u32 {
        debug_assert!(off % 4 == 0 && off + 4 <= self.len());
        // SAFETY: `off` is a slot header offset inside the mapping (checked by the callers, which
        // derive it from the geometry), 4-aligned because slots are page- or 16-byte aligned, and
        // the kernel accesses this word only atomically as well.
        unsafe { (*(self.map.as_ptr().add(off) as *const AtomicU32)).load(Ordering::Acquire) }
    }

    /// Hands the slot whose status word is at `off` back to the kernel, after every read of it.
    #[inline(always)]
    fn release(&self, off: usize) {
        debug_assert!(off % 4 == 0 && off + 4 <= self.len());
        // SAFETY: as in `status`; the release store orders all our reads of the slot before it.
        unsafe {
            (*(self.map.as_ptr().add(off) as *const AtomicU32)).store(TP_STATUS_KERNEL, Ordering::Release)
        }
    }

    /// Stores a status word with release ordering: everything written to the slot before is
    /// visible to the kernel when it sees the new status.
    #[inline]
    fn set_status(&self, off: usize, v: u32) {
        assert!(off % 4 == 0 && off + 4 <= self.len(), "ring status out of bounds");
        // SAFETY: in bounds and aligned (asserted); the kernel accesses this word atomically too.
        unsafe { (*(self.map.as_ptr().add(off) as *const AtomicU32)).store(v, Ordering::Release) }
    }

    /// Writes `v` at `off`, in a slot that is ours (the kernel does not touch it now).
    #[inline]
    fn write_u32(&self, off: usize, v: u32) {
        assert!(off + 4 <= self.len(), "ring write out of bounds");
        // SAFETY: in bounds (asserted); the slot is user-owned, so nobody else writes it.
        unsafe { std::ptr::write_unaligned(self.map.as_mut_ptr().add(off) as *mut u32, v) }
    }

    /// Copies `data` to `off`, in a slot that is ours.
    #[inline]
    fn copy_in(&self, off: usize, data: &[u8]) {
        assert!(
            off <= self.len() && data.len() <= self.len() - off,
            "ring write out of bounds"
        );
        // SAFETY: in bounds (asserted); the slot is user-owned; `data` cannot overlap the ring
        // mapping's slot because the caller's frames live in its own memory or in another slot.
        unsafe { std::ptr::copy(data.as_ptr(), self.map.as_mut_ptr().add(off), data.len()) }
    }

    #[inline(always)]
    fn is_user(&self, off: usize) -> bool {
        self.status(off) & TP_STATUS_USER != 0
    }

    /// Reads a plain-data header of type `T` at `off`.
    #[inline(always)]
    fn read<T: Copy>(&self, off: usize) -> Option<T> {
        if off.checked_add(std::mem::size_of::<T>())? > self.len() {
            return None;
        }
        // SAFETY: the range is inside the mapping (checked above); T is a repr(C) integer struct
        // valid for any bit pattern; the slot is user-owned, so the kernel does not write it now.
        Some(unsafe { std::ptr::read_unaligned(self.map.as_ptr().add(off) as *const T) })
    }

    /// A plain-data header of type `T` at `off`, in place: no copy, fields are loaded as used.
    /// None when it is not inside the mapping or not aligned for `T`.
    #[inline(always)]
    fn get<T: Copy>(&self, off: usize) -> Option<&T> {
        if off.checked_add(std::mem::size_of::<T>())? > self.len() || off % std::mem::align_of::<T>() != 0 {
            return None;
        }
        // SAFETY: in bounds and aligned (checked above); T is a repr(C) integer struct valid for
        // any bit pattern; the slot is user-owned, so the kernel does not write it while the
        // reference (bounded by the borrow of the mapping) lives.
        Some(unsafe { &*(self.map.as_ptr().add(off) as *const T) })
    }

    /// Asks the CPU to start loading the cache line at `off`: the kernel wrote the ring from
    /// another CPU, so walking a block is bound by memory latency, not instructions.
    #[inline(always)]
    fn prefetch(&self, off: usize) {
        #[cfg(target_arch = "x86_64")]
        if off < self.len() {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: `off` is inside the mapping; a prefetch reads nothing architecturally.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(self.map.as_ptr().add(off) as *const i8) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = off;
    }

    /// The start of the slot of `size` bytes at `off`. Panics if it is not inside the mapping
    /// (slots come from the geometry, so it always is).
    #[inline(always)]
    fn slot(&self, off: usize, size: usize) -> *mut u8 {
        assert!(
            off <= self.len() && size <= self.len() - off,
            "ring slot out of bounds"
        );
        // SAFETY: in bounds (asserted).
        unsafe { self.map.as_mut_ptr().add(off) }
    }

    /// The bytes `off..off + len`, which the caller checked are inside one user-owned slot.
    #[inline(always)]
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        assert!(
            off <= self.len() && len <= self.len() - off,
            "ring range out of bounds"
        );
        // SAFETY: in bounds (asserted); the slot is user-owned until the next read call, which
        // needs `&mut` of the ring and so ends this borrow first.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(off), len) }
    }
}

/// Asks the CPU to start loading the cache line at `p` (any address: a prefetch never faults).
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch reads nothing architecturally and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Reads the `sockaddr_ll` the kernel puts after each frame header.
fn read_sll(map: &Mapping, off: usize, f: &mut Frame) -> Option<()> {
    let sll: &libc::sockaddr_ll = map.get(off)?;
    f.ifindex = sll.sll_ifindex;
    f.protocol = u16::from_be(sll.sll_protocol);
    f.hatype = sll.sll_hatype;
    f.pkttype = sll.sll_pkttype;
    Some(())
}

/// Walks the slots of a ring in order. The current slot is read until `finished`; stepping past
/// it makes it *held* (still ours: packets handed out may point into it) until
/// [`Slots::release_held`] gives every held slot back, oldest first.
pub(crate) struct Slots {
    nr: u32,
    /// The slot we read from (or wait for).
    cur: u32,
    /// Every packet of `cur` was returned.
    finished: bool,
    /// Oldest held slot; `held_from + held == cur` (mod `nr`).
    held_from: u32,
    held: u32,
    /// Slots stepped past since the ring was set up.
    passed: u64,
}

impl Slots {
    fn new(nr: u32) -> Slots {
        Slots {
            nr,
            cur: 0,
            finished: false,
            held_from: 0,
            held: 0,
            passed: 0,
        }
    }

    #[inline]
    fn succ(&self, i: u32) -> u32 {
        if i + 1 == self.nr {
            0
        } else {
            i + 1
        }
    }

    /// Moves past a finished current slot, which becomes held.
    #[inline(always)]
    fn step(&mut self) -> bool {
        if !self.finished {
            return false;
        }
        self.cur = self.succ(self.cur);
        self.held += 1;
        self.passed += 1;
        self.finished = false;
        true
    }

    /// Gives the held slots back to the kernel, oldest first.
    #[inline(always)]
    fn release_held(&mut self, map: &Mapping, status_off: impl Fn(u32) -> usize) {
        while self.held > 0 {
            map.release(status_off(self.held_from));
            self.held_from = self.succ(self.held_from);
            self.held -= 1;
        }
    }

    /// Number of consecutive user-owned slots from the current one on.
    fn user_run(&self, map: &Mapping, status_off: impl Fn(u32) -> usize) -> u64 {
        let mut n = 0;
        let mut i = self.cur;
        while n < self.nr as u64 && map.is_user(status_off(i)) {
            n += 1;
            i = self.succ(i);
        }
        n
    }

    /// Moves the cursor to the first user-owned slot from the current one on, if nothing is
    /// held or half read.
    fn resync(&mut self, map: &Mapping, status_off: impl Fn(u32) -> usize) -> bool {
        if self.held > 0 || self.finished {
            return false;
        }
        let mut i = self.cur;
        for _ in 0..self.nr {
            if map.is_user(status_off(i)) {
                self.cur = i;
                self.held_from = i;
                return true;
            }
            i = self.succ(i);
        }
        false
    }
}

/// A receive ring of either version.
pub enum Rx {
    V3(V3Ring),
    V2(V2Ring),
}

/// What walking the current block found.
pub enum Walk {
    /// This many packets were handed over.
    Ready(usize),
    /// The kernel has handed over nothing more.
    Empty,
    /// A header points outside its block: the rest of the block is skipped.
    Corrupt,
}

/// The kernel wrote a header that points outside its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

impl Rx {
    pub fn new(version: Version, map: Arc<Mapping>, geo: Geometry, post: Post) -> Rx {
        match version {
            Version::V3 => Rx::V3(V3Ring::new(map, geo, post)),
            Version::V2 => Rx::V2(V2Ring::new(map, geo, post)),
        }
    }

    /// The next packet, or None when the kernel has handed over nothing more. A slot that was
    /// finished is stepped past and held (not given back): call [`Rx::release_done`] once no
    /// packet handed out before is referenced any more.
    #[inline(always)]
    pub fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        match self {
            Rx::V3(r) => r.next(),
            Rx::V2(r) => r.next(),
        }
    }

    /// Finishes a packet from [`Rx::next`] that is to be handed out, after any filter ran on
    /// it: the VLAN tag goes back into the bytes, the snap length applies.
    #[inline(always)]
    pub fn finish(&mut self, f: &mut Frame) {
        match self {
            Rx::V3(r) => r.post.apply(&r.map, f),
            Rx::V2(r) => r.post.apply(&r.map, f),
        }
    }

    /// Tells [`Rx::read_mid`] to find nothing until the next walk (a filter running in user space
    /// was set up: it has to see every packet, and walks run only without one).
    #[inline]
    pub fn stop_fast(&mut self) {
        if let Rx::V3(r) = self {
            r.stop_fast();
        }
    }

    /// TPACKET_V3 only (None for V2): hands up to `max` packets of the current block to `f`,
    /// finished (as [`Rx::finish`]), stopping at the block's end or when `f` returns false. The batch readers' fast path: one
    /// call walks many packets without going through [`Rx::next`] for each.
    #[inline(always)]
    pub fn walk_block(&mut self, max: usize, f: impl FnMut(&[u8], &V3View<'_>) -> bool) -> Option<Walk> {
        match self {
            Rx::V3(r) => Some(r.walk(max, f)),
            Rx::V2(_) => None,
        }
    }

    /// `pkt_read`'s fast path: the next packet when it is inside the V3 block being read (not its
    /// last) and nothing is to be given back first, finished (as [`Rx::finish`]; with `TAGS`
    /// false, a packet whose tag goes back into the bytes is left alone) and described to `f`;
    /// None otherwise (and always for V2), with nothing changed: a walk then does the rest. Its
    /// bytes stay valid until the next call on the ring.
    #[inline(always)]
    pub fn read_mid<const TAGS: bool>(&mut self, f: impl FnMut(&V3View<'_>)) -> Option<&[u8]> {
        match self {
            Rx::V3(r) => r.read_mid::<TAGS>(f),
            Rx::V2(_) => None,
        }
    }

    /// Gives back every slot whose packets were all returned, the current one included when it is
    /// finished. Afterwards no packet handed out before may be used.
    #[inline(always)]
    pub fn release_done(&mut self) {
        match self {
            Rx::V3(r) => r.release_done(),
            Rx::V2(r) => r.release_done(),
        }
    }

    /// Number of slots stepped past and still held.
    #[inline]
    pub fn held(&self) -> u32 {
        match self {
            Rx::V3(r) => r.slots.held,
            Rx::V2(r) => r.slots.held,
        }
    }

    /// True when the slot after the current one is ready for us.
    #[inline(always)]
    pub fn next_slot_ready(&self) -> bool {
        match self {
            Rx::V3(r) => r.next_slot_ready(),
            Rx::V2(r) => r.next_slot_ready(),
        }
    }

    /// How many slots have been stepped past so far.
    pub fn passed(&self) -> u64 {
        match self {
            Rx::V3(r) => r.slots.passed,
            Rx::V2(r) => r.slots.passed,
        }
    }

    /// Number of consecutive user-owned slots from the current one on.
    pub fn user_slots(&self) -> u64 {
        match self {
            Rx::V3(r) => r.user_slots(),
            Rx::V2(r) => r.user_slots(),
        }
    }

    /// True when packets wait in a slot the kernel has not handed over yet (a TPACKET_V3
    /// block being filled); a TPACKET_V2 frame is handed over as soon as it is written.
    pub fn kernel_has_packets(&self) -> bool {
        match self {
            Rx::V3(r) => r.kernel_has_packets(),
            Rx::V2(_) => false,
        }
    }

    /// After poll() said readable but the current slot is the kernel's: move to the first slot
    /// that is ours, if any (the reader and the kernel disagree; never spin on it).
    pub fn resync(&mut self) -> bool {
        match self {
            Rx::V3(r) => r.resync(),
            Rx::V2(r) => r.resync(),
        }
    }

    #[inline(always)]
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        match self {
            Rx::V3(r) => r.map.bytes(off, len),
            Rx::V2(r) => r.map.bytes(off, len),
        }
    }

    /// Largest number of data bytes one packet can have in this ring.
    pub fn max_packet(&self) -> usize {
        match self {
            Rx::V3(r) => r.geo.block_size as usize,
            Rx::V2(r) => r.geo.frame_size as usize,
        }
    }

    /// True when every slot holds one packet (TPACKET_V2).
    pub fn one_packet_slots(&self) -> bool {
        matches!(self, Rx::V2(_))
    }

    /// Number of slots in the ring.
    pub fn slots(&self) -> u32 {
        match self {
            Rx::V3(r) => r.slots.nr,
            Rx::V2(r) => r.slots.nr,
        }
    }

    pub fn geometry(&self) -> Geometry {
        match self {
            Rx::V3(r) => r.geo,
            Rx::V2(r) => r.geo,
        }
    }
}

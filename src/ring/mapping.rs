//! The ring's memory, shared with the kernel, and the one file of raw loads and stores: every
//! access to the mapping goes through here, checked against its bounds or bounded by
//! construction, so that the rest of `ring` (the walkers, the slots, the TX ring) is safe code.
//!
//! - [`Mapping`]: the mapping itself, addressed by offsets: status words loaded and stored
//!   atomically (the handshake with the kernel), plain headers read, TX frames written, bytes
//!   sliced, a VLAN tag put in front of a packet; each range checked against the mapping's length
//!   (status words, at offsets derived from the geometry, in debug builds).
//! - [`Block`], [`Cursor`], [`Hdr`], [`Data`], [`Span`]: the TPACKET_V3 block being read,
//!   through pointers: the read path's fast form. The block is checked against the mapping once,
//!   when it is opened; then a packet costs one comparison for its headers and one for its bytes
//!   (which also keeps room for a VLAN tag in front of them), and its header fields are loaded
//!   one at a time, where they are used.
//! - [`put_link`]: the one raw store outside the mapping (two fields of an `Info` at once).
//!
//! What the types guarantee is that no access leaves the mapping (nor, through a [`Block`], the
//! block). Which slots are ours to read or write (their status word says), and that bytes handed
//! out are not written while they are referenced, is the ring protocol's, kept by the callers.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use memmap2::{Advice, MmapOptions, MmapRaw};

use crate::packet::Info;
use crate::sys::{Errno, Tpacket2Hdr, Tpacket3Hdr, TpacketBlockDesc, TP_STATUS_KERNEL, TP_STATUS_USER};

/// Types of which every bit pattern of their size is a value: plain integers, and the kernel's
/// `repr(C)` structs made of them. The kernel may leave anything in the ring; read as one of
/// these, it is at worst nonsense, which the walkers check.
///
/// # Safety
///
/// Every bit pattern of `size_of::<Self>()` bytes must be a valid `Self`.
pub(crate) unsafe trait Plain: Copy {}

// SAFETY: an integer: every bit pattern is a value.
unsafe impl Plain for u8 {}
// SAFETY: an integer: every bit pattern is a value.
unsafe impl Plain for u16 {}
// SAFETY: an integer: every bit pattern is a value.
unsafe impl Plain for u32 {}
// SAFETY: an integer: every bit pattern is a value.
unsafe impl Plain for i32 {}
// SAFETY: repr(C), integer fields only.
unsafe impl Plain for TpacketBlockDesc {}
// SAFETY: repr(C), integer fields and an integer array only.
unsafe impl Plain for Tpacket3Hdr {}
// SAFETY: repr(C), integer fields and an integer array only.
unsafe impl Plain for Tpacket2Hdr {}
// SAFETY: repr(C) (libc's `struct sockaddr_ll`), integer fields and an integer array only.
unsafe impl Plain for libc::sockaddr_ll {}

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
    pub(super) fn status(&self, off: usize) -> u32 {
        debug_assert!(off % 4 == 0 && off + 4 <= self.len());
        // SAFETY: `off` is a slot header offset inside the mapping (checked by the callers, which
        // derive it from the geometry), 4-aligned because slots are page- or 16-byte aligned, and
        // the kernel accesses this word only atomically as well.
        unsafe { (*(self.map.as_ptr().add(off) as *const AtomicU32)).load(Ordering::Acquire) }
    }

    /// Hands the slot whose status word is at `off` back to the kernel, after every read of it.
    #[inline(always)]
    pub(super) fn release(&self, off: usize) {
        debug_assert!(off % 4 == 0 && off + 4 <= self.len());
        // SAFETY: as in `status`; the release store orders all our reads of the slot before it.
        unsafe {
            (*(self.map.as_ptr().add(off) as *const AtomicU32)).store(TP_STATUS_KERNEL, Ordering::Release)
        }
    }

    /// Stores a status word with release ordering: everything written to the slot before is
    /// visible to the kernel when it sees the new status.
    #[inline]
    pub(super) fn set_status(&self, off: usize, v: u32) {
        assert!(
            off % 4 == 0 && off.checked_add(4).is_some_and(|end| end <= self.len()),
            "ring status out of bounds"
        );
        // SAFETY: in bounds and aligned (asserted); the kernel accesses this word atomically too.
        unsafe { (*(self.map.as_ptr().add(off) as *const AtomicU32)).store(v, Ordering::Release) }
    }

    /// Writes `v` at `off`, in a slot that is ours (the kernel does not touch it now).
    #[inline]
    pub(super) fn write_u32(&self, off: usize, v: u32) {
        assert!(
            off.checked_add(4).is_some_and(|end| end <= self.len()),
            "ring write out of bounds"
        );
        // SAFETY: in bounds (asserted); the slot is user-owned, so nobody else writes it.
        unsafe { std::ptr::write_unaligned(self.map.as_mut_ptr().add(off) as *mut u32, v) }
    }

    /// Copies `data` to `off`, in a slot that is ours.
    #[inline]
    pub(super) fn copy_in(&self, off: usize, data: &[u8]) {
        assert!(
            off <= self.len() && data.len() <= self.len() - off,
            "ring write out of bounds"
        );
        // SAFETY: in bounds (asserted); the slot is user-owned; `data` cannot overlap the ring
        // mapping's slot because the caller's frames live in its own memory or in another slot.
        unsafe { std::ptr::copy(data.as_ptr(), self.map.as_mut_ptr().add(off), data.len()) }
    }

    #[inline(always)]
    pub(super) fn is_user(&self, off: usize) -> bool {
        self.status(off) & TP_STATUS_USER != 0
    }

    /// Reads a plain-data header of type `T` at `off`.
    #[inline(always)]
    pub(super) fn read<T: Plain>(&self, off: usize) -> Option<T> {
        if off.checked_add(std::mem::size_of::<T>())? > self.len() {
            return None;
        }
        // SAFETY: the range is inside the mapping (checked above); T is `Plain`: any bit pattern is
        // a value; the slot is user-owned, so the kernel does not write it now.
        Some(unsafe { std::ptr::read_unaligned(self.map.as_ptr().add(off) as *const T) })
    }

    /// A plain-data header of type `T` at `off`, in place: no copy, fields are loaded as used.
    /// None when it is not inside the mapping or not aligned for `T`.
    #[inline(always)]
    pub(super) fn get<T: Plain>(&self, off: usize) -> Option<&T> {
        if off.checked_add(std::mem::size_of::<T>())? > self.len() || off % std::mem::align_of::<T>() != 0 {
            return None;
        }
        // SAFETY: in bounds and aligned (checked above); T is `Plain`: any bit pattern is a
        // value; the slot is user-owned, so the kernel does not write it while the
        // reference (bounded by the borrow of the mapping) lives.
        Some(unsafe { &*(self.map.as_ptr().add(off) as *const T) })
    }

    /// Asks the CPU to start loading the cache line at `off`: the kernel wrote the ring from
    /// another CPU, so walking a block is bound by memory latency, not instructions.
    #[inline(always)]
    pub(super) fn prefetch(&self, off: usize) {
        #[cfg(target_arch = "x86_64")]
        if off < self.len() {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: `off` is inside the mapping; a prefetch reads nothing architecturally.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(self.map.as_ptr().add(off) as *const i8) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = off;
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

    /// Inserts `ins` after the `head` bytes at `off` (a packet's first bytes), which move 4 bytes
    /// back, into the room in front of them that the caller says belongs to the same slot and
    /// holds no header; the bytes then start at `off - 4`. False, with nothing changed, when
    /// `off - 4 .. off + head` is not inside the mapping.
    #[inline(always)]
    pub(super) fn insert_at(&self, off: usize, head: usize, ins: [u8; 4]) -> bool {
        if off < 4 || off > self.len() || head > self.len() - off {
            return false;
        }
        // SAFETY: `off - 4 .. off + head` is inside the mapping (checked above). The callers'
        // part: the bytes from `off` are the packet's, which the parser checked lie in its slot,
        // `room` says the 4 bytes in front of them belong to the slot and hold no header, the
        // slot is ours, and no reference to these bytes has been handed out yet.
        unsafe {
            let p = self.map.as_mut_ptr().add(off - 4);
            std::ptr::copy(p.add(4), p, head);
            std::ptr::copy_nonoverlapping(ins.as_ptr(), p.add(head), 4);
        }
        true
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

/// The TPACKET_V3 block being read, through pointers, with the mapping it lies in (owned here,
/// so that the pointers never outlive it), and where reading it stands. `H` is the size of a
/// packet's headers (the frame header and the `sockaddr_ll` after it): a [`Cursor`] hands them
/// out as `H` bytes at a time.
pub(crate) struct Block<const H: usize> {
    map: Arc<Mapping>,
    /// The open block's first byte, its end, and the highest address where `H` header bytes
    /// still fit below the end: set when the block is opened, so that walking it checks no
    /// bounds again. With no block open, `start` is dangling and `at` above `limit` (null), so
    /// that no header is found.
    start: *mut u8,
    end: *mut u8,
    limit: *mut u8,
    /// The next packet's header, kept between calls by the block's cursors ([`Cursor::save`]):
    /// at or past `start` (see [`Cursor`]).
    at: Cell<*mut u8>,
}

// SAFETY: the pointers point into the mapping, which the block owns through its `Arc` (the
// mapping is Send and Sync); the bytes, and `at`, are read and written only through a cursor,
// which takes a `&mut` of the block: moving the block to another thread moves that access.
unsafe impl<const H: usize> Send for Block<H> {}
// SAFETY: as above: `&self` methods never go through the pointers nor touch `at`.
unsafe impl<const H: usize> Sync for Block<H> {}

impl<const H: usize> Block<H> {
    /// No block open yet.
    pub fn new(map: Arc<Mapping>) -> Block<H> {
        Block {
            map,
            start: std::ptr::NonNull::dangling().as_ptr(),
            end: std::ptr::null_mut(),
            limit: std::ptr::null_mut(),
            at: Cell::new(std::ptr::NonNull::dangling().as_ptr()),
        }
    }

    #[inline(always)]
    pub fn map(&self) -> &Mapping {
        &self.map
    }

    /// Makes the `size` bytes at `off` the block being read, from `first` bytes into it on (or
    /// past its end, for a nonsense offset: no header is found there). Panics if the block is
    /// not inside the mapping (blocks come from the geometry, so it always is) or cannot hold
    /// one packet's headers.
    #[inline(always)]
    pub fn open(&mut self, off: usize, size: usize, first: u32) {
        let len = self.map.len();
        assert!(
            off <= len && size <= len - off && size >= H,
            "ring slot out of bounds"
        );
        // SAFETY: `off .. off + size` is inside the mapping (asserted), so are the block's first
        // byte, its end and `end - H` (`size >= H`).
        unsafe {
            self.start = self.map.map.as_mut_ptr().add(off);
            self.end = self.start.add(size);
            self.limit = self.end.sub(H);
        }
        // No wrap: `first` < 2^32, and the block is inside the mapping.
        self.at.set(self.start.wrapping_add(first as usize));
    }

    /// A cursor where reading the open block stands, for reading it until the `&mut` borrow
    /// ends.
    #[inline(always)]
    pub fn cursor(&mut self) -> Cursor<'_, H> {
        Cursor {
            start: self.start,
            end: self.end,
            limit: self.limit,
            at: self.at.get(),
            home: &self.at,
            _block: PhantomData,
        }
    }
}

/// A position in the open block of a [`Block`], moved forward one packet at a time and saved
/// into the block for the next call. `at` is at or past the block's start: it starts there
/// (plus the first packet's offset, below 4 GiB) and only moves forward, each time by at most
/// 4 GiB past a header found, which on a 64-bit target never wraps; so one comparison with
/// `limit` puts a packet's headers inside the block ([`Cursor::header`]).
#[derive(Clone, Copy)]
pub(crate) struct Cursor<'a, const H: usize> {
    start: *mut u8,
    end: *mut u8,
    limit: *mut u8,
    at: *mut u8,
    /// The block's `at`.
    home: &'a Cell<*mut u8>,
    _block: PhantomData<&'a mut Mapping>,
}

impl<'a, const H: usize> Cursor<'a, H> {
    /// The `H` bytes of headers at the cursor, or None when they are not inside the block.
    #[inline(always)]
    pub fn header(&self) -> Option<Hdr<'a, H>> {
        if self.at > self.limit {
            return None;
        }
        Some(Hdr {
            p: self.at,
            _block: PhantomData,
        })
    }

    /// The `len` bytes of data `mac` bytes past the cursor, or None when they are not inside the
    /// block or `mac` is below `MIN` (at least 4: room for a VLAN tag in front of the data, as
    /// the cursor is at or past the block's start).
    #[inline(always)]
    pub fn data<const MIN: usize>(&self, mac: u16, len: u32) -> Option<Data<'a>> {
        const { assert!(MIN >= 4, "no room for a tag in front of the data") };
        // No overflow: `at` is inside the mapping or at most 4 GiB past it, `mac` <= 65535 and
        // `len` < 2^32, far from the top of a 64-bit address space.
        let p = self.at.wrapping_add(mac as usize);
        if p.wrapping_add(len as usize) > self.end || (mac as usize) < MIN {
            return None;
        }
        Some(Data {
            p,
            len,
            _block: PhantomData,
        })
    }

    /// The offset of `s` in the block.
    #[inline(always)]
    pub fn offset_of(&self, s: &Span<'_>) -> usize {
        s.p as usize - self.start as usize
    }

    /// [`Cursor::offset_of`] of bytes not yet handed out.
    #[inline(always)]
    pub fn offset_of_data(&self, d: &Data<'_>) -> usize {
        d.p as usize - self.start as usize
    }

    /// Moves the cursor `stride` bytes on, from a header found ([`Cursor::header`]).
    #[inline(always)]
    pub fn advance(&mut self, stride: u32) {
        debug_assert!(self.at <= self.limit, "a cursor moves on from a header found");
        self.at = self.at.wrapping_add(stride as usize);
    }

    /// Asks the CPU to start loading the cache line `dist` bytes past the cursor, wherever that
    /// is: a prefetch never faults.
    #[inline(always)]
    pub fn prefetch(&self, dist: usize) {
        prefetch(self.at.wrapping_add(dist));
    }

    /// The cursor's offset in the block.
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.at as usize - self.start as usize
    }

    /// Saves where the cursor stands into its block: the next cursor goes on from there.
    #[inline(always)]
    pub fn save(&self) {
        self.home.set(self.at);
    }
}

/// `H` bytes of a packet's headers inside the block, read field by field where each is used.
#[derive(Clone, Copy)]
pub(crate) struct Hdr<'a, const H: usize> {
    p: *const u8,
    _block: PhantomData<&'a Mapping>,
}

impl<const H: usize> Hdr<'_, H> {
    /// The `T` at `OFF` bytes into the headers (`OFF + size_of::<T>() <= H`, checked at compile
    /// time).
    // `inline`, not `inline(always)`, as `ptr::read_unaligned` was when the walkers read the ring
    // themselves: inlined late (by the inliner, not the always-inliner), the loads of a view's
    // fields in `fill_info` stay where they are, each right before its store; inlined early,
    // `pkt_read` kept the status in a register across the whole description (measured: 3
    // instructions more per packet, a register saved and restored).
    #[inline]
    pub fn load<T: Plain, const OFF: usize>(self) -> T {
        const { assert!(OFF + size_of::<T>() <= H, "header field out of bounds") };
        // SAFETY: the `H` bytes at `p` are inside the block ([`Cursor::header`] checked), which is
        // inside the mapping and ours while the cursor's borrow lasts; `OFF + size_of::<T>() <= H`
        // (asserted at compile time); `T` is `Plain`; an unaligned read assumes nothing of the
        // kernel's alignment.
        unsafe { self.p.add(OFF).cast::<T>().read_unaligned() }
    }
}

/// A packet's bytes inside the block, `len` of them from `p`, with at least 4 bytes of the block
/// in front of them ([`Cursor::data`] checked): room for a VLAN tag ([`Data::insert_at`]). Two
/// words, which pass in registers to the out-of-line VLAN insertion (a third field went through
/// the stack in the walk's loop for every packet, measured).
pub(crate) struct Data<'a> {
    p: *mut u8,
    len: u32,
    _block: PhantomData<&'a mut Mapping>,
}

impl<'a> Data<'a> {
    #[inline(always)]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Inserts `ins` after the first `head` bytes, which move 4 bytes back into the room in
    /// front of them (which the caller says holds no header): the bytes then start 4 bytes
    /// earlier and are 4 longer. Err, with nothing changed, when there are fewer than `head`
    /// bytes.
    #[inline(always)]
    pub fn insert_at(self, head: usize, ins: [u8; 4]) -> Result<Span<'a>, Data<'a>> {
        if (self.len as usize) < head {
            return Err(self);
        }
        // SAFETY: `p - 4 .. p + head` is inside the block (4 bytes of room in front of `p`, as
        // `Cursor::data` checked, and `head <= len`); the block is ours and none of these bytes
        // has been handed out yet (the caller's part: `Span::bytes` hands them out).
        let p = unsafe {
            let s = self.p.sub(4);
            std::ptr::copy(self.p, s, head);
            std::ptr::copy_nonoverlapping(ins.as_ptr(), s.add(head), 4);
            s
        };
        // No overflow: the bytes are inside the block, smaller than 4 GiB.
        Ok(Span {
            p,
            len: self.len + 4,
            _block: PhantomData,
        })
    }

    /// The bytes as the kernel left them, for a look before they are changed (a user-space
    /// filter's verdict comes before a tag goes back in).
    #[inline(always)]
    pub fn peek(&self) -> &[u8] {
        // SAFETY: `p .. p + len` is inside the block (checked by `Cursor::data`), which is ours
        // and not written while this borrow of `self` lasts (writing needs `self` by value).
        unsafe { std::slice::from_raw_parts(self.p, self.len as usize) }
    }

    /// Keeps at most `max` bytes (before a tag goes in: a filter's verdict).
    #[inline(always)]
    pub fn cut(&mut self, max: u32) {
        self.len = self.len.min(max);
    }

    /// The bytes as they are.
    #[inline(always)]
    pub fn span(self) -> Span<'a> {
        Span {
            p: self.p,
            len: self.len,
            _block: PhantomData,
        }
    }
}

/// A packet's bytes inside the block, `len` of them from `p`, as they are handed out.
pub(crate) struct Span<'a> {
    p: *mut u8,
    len: u32,
    _block: PhantomData<&'a mut Mapping>,
}

impl<'a> Span<'a> {
    #[inline(always)]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Keeps at most `max` bytes.
    #[inline(always)]
    pub fn trim(&mut self, max: u32) {
        self.len = self.len.min(max);
    }

    /// The bytes, valid while the cursor's borrow of the block lasts.
    #[inline(always)]
    pub fn bytes(self) -> &'a [u8] {
        // SAFETY: `p .. p + len` is inside the block (checked by `Cursor::data`, kept by
        // `Data::insert_at` and `trim`), which is ours and not written while the block is
        // borrowed. Being inside the mapping, `p` is not null: telling the compiler spares the
        // callers a test of an Option around the slice.
        unsafe {
            std::hint::assert_unchecked(!self.p.is_null());
            std::slice::from_raw_parts(self.p, self.len as usize)
        }
    }
}

// `linktype` and `pkttype` are adjacent, with a padding byte after them inside the struct.
const _: () = assert!(
    offset_of!(Info, pkttype) == offset_of!(Info, linktype) + 2
        && offset_of!(Info, linktype) + 4 <= size_of::<Info>()
);

/// Writes `i.linktype` and `i.pkttype` from [`Describe::link`](super::Describe::link) with one
/// 4-byte store (its top byte goes into the padding after `pkttype`, whose content C leaves
/// unspecified): the ring's `sockaddr_ll` has `sll_hatype` and `sll_pkttype` adjacent as well, so
/// one load and one store move both.
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

//! The ring's memory, shared with the kernel.

use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU32, Ordering};

use memmap2::{Advice, MmapOptions, MmapRaw};

use crate::packet::Info;
use crate::sys::{Errno, TP_STATUS_KERNEL, TP_STATUS_USER};

/// The ring's mapping: `block_nr` blocks of `block_size` bytes, shared with the kernel.
pub(crate) struct Mapping {
    pub(super) map: MmapRaw,
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
        assert!(off % 4 == 0 && off + 4 <= self.len(), "ring status out of bounds");
        // SAFETY: in bounds and aligned (asserted); the kernel accesses this word atomically too.
        unsafe { (*(self.map.as_ptr().add(off) as *const AtomicU32)).store(v, Ordering::Release) }
    }

    /// Writes `v` at `off`, in a slot that is ours (the kernel does not touch it now).
    #[inline]
    pub(super) fn write_u32(&self, off: usize, v: u32) {
        assert!(off + 4 <= self.len(), "ring write out of bounds");
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
    pub(super) fn read<T: Copy>(&self, off: usize) -> Option<T> {
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
    pub(super) fn get<T: Copy>(&self, off: usize) -> Option<&T> {
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

    /// The start of the slot of `size` bytes at `off`. Panics if it is not inside the mapping
    /// (slots come from the geometry, so it always is).
    #[inline(always)]
    pub(super) fn slot(&self, off: usize, size: usize) -> *mut u8 {
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
pub(super) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch reads nothing architecturally and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

// `linktype` and `pkttype` are adjacent, with a padding byte after them inside the struct.
const _: () = assert!(
    offset_of!(Info, pkttype) == offset_of!(Info, linktype) + 2
        && offset_of!(Info, linktype) + 4 <= size_of::<Info>()
);

/// Writes `i.linktype` and `i.pkttype` from [`Describe::link`](super::Describe::link) with one 4-byte store (its top
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

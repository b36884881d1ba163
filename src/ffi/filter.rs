//! Filters.

use std::ffi::c_int;

use super::boundary::{guard_int, offline, reader, slice};
use super::{pkt_bpf_insn_t, pkt_t};

/// Replaces the handle's classic BPF filter with the `len` instructions at `prog`; `len` 0
/// detaches it.
///
/// The program runs in the kernel behind libpkt's own checks (`proto`, direction). Packets that
/// arrived before the call and fail the new filter are not returned after it: those already in
/// the ring are filtered again in user space. A valid program the kernel refuses (more than
/// 4096 instructions with libpkt's checks, or over the socket's option memory) runs in user
/// space instead, which costs CPU per packet and may make `pkt_read()` return 0 (see
/// `max_nil_read`); its return value still sets the captured length.
///
/// On a savefile handle the program runs in user space on every packet read after the call,
/// as libpcap's interpreter runs it there: ancillary loads (`SKF_AD_*`, which only the kernel
/// can answer) reject the packet, `len` is the original length, and the return value also
/// cuts the captured length. It runs whatever the packet's link type: compile it for
/// `pkt_dlt()` (a pcapng file may mix link types: see `pkt_info_t.linktype`).
///
/// Returns 0. Errors: `-EINVAL` NULL handle, NULL `prog` with `len` > 0, or a program that is not
/// valid classic BPF (`pkt_errmsg()` names the instruction and the problem: a jump out of range,
/// no `ret` at the end, a division by zero, ...), or one the kernel refuses and user space
/// cannot run; the previous filter then stays in place.
///
/// Ownership: the program is copied. Thread safety: the reading thread (or while no read runs).
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `prog` is NULL or points to
/// `len` instructions.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_setfilter(h: *mut pkt_t, prog: *const pkt_bpf_insn_t, len: usize) -> c_int {
    guard_int("pkt_setfilter", || {
        // SAFETY: `prog` points to `len` instructions per the contract.
        let prog = unsafe { slice(prog, len, "pkt_setfilter") }?;
        // SAFETY: `h` is NULL or live and not read by another thread, per the contract.
        if let Some(o) = unsafe { offline(h) } {
            // SAFETY: as above.
            return unsafe { o.reader() }.set_filter(Some(prog)).map(|()| 0);
        }
        // SAFETY: as above.
        let r = unsafe { reader(h, "pkt_setfilter") }?;
        r.set_filter(Some(prog))?;
        Ok(0)
    })
}

//! The calls of a handle beside reading and writing: the fanout group, breaking a blocked read,
//! the counters (any thread, while another reads), and closing it (after every other call).

use std::ffi::c_int;

use super::boundary::{self, any, einval, guard, guard_int, put, shared, Any};
use super::{pkt_stats_t, pkt_t};

/// Joins the fanout group `group_id` of the handle's network namespace: the kernel spreads the
/// interface's packets over the members (handles in this or other processes, all bound to the
/// same interface) by `mode`, one of `PKT_FANOUT_HASH` (by flow: both directions of a flow reach
/// the same member), `_LB` (round robin), `_CPU`, `_ROLLOVER`, `_RND`, `_QM`. `flags` is 0 or a
/// bit set of `PKT_FANOUT_FLAG_ROLLOVER`, `_DEFRAG` and `_UNIQUEID` (the kernel picks an unused
/// id: `group_id` must be 0; read the id with `pkt_fanout_group()`).
///
/// Returns 0. Errors: `-EINVAL` NULL handle, unknown mode or flag, `_UNIQUEID` with a non-zero
/// id, or a group whose members use another mode, flags or interface; `-EALREADY` the handle
/// is already in a group; `-ENOMEM`/`-ENOSPC` the group is full.
///
/// Thread safety: any thread.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_set_fanout(h: *mut pkt_t, mode: u16, group_id: u16, flags: u16) -> c_int {
    guard_int("pkt_set_fanout", || {
        // SAFETY: `h` is NULL or live per the contract.
        unsafe { shared(h, "pkt_set_fanout") }?
            .ctl
            .set_fanout(mode, group_id, flags)?;
        Ok(0)
    })
}

/// Returns the id (0..65535) of the fanout group the handle joined, or `-ENOENT` when it joined
/// none, `-EINVAL` for NULL.
///
/// Thread safety: any thread.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_fanout_group(h: *mut pkt_t) -> c_int {
    guard_int("pkt_fanout_group", || {
        // SAFETY: `h` is NULL or live per the contract.
        Ok(unsafe { shared(h, "pkt_fanout_group") }?.ctl.fanout_group()? as c_int)
    })
}

/// Makes a `pkt_read(poll != 0)` that is blocked now, or the next one, return `-EINTR`, once;
/// the read after that works normally. Several calls before a read still give one `-EINTR`.
/// On a savefile handle: the next read call of any kind returns `-EINTR`, a `pkt_dispatch()`
/// or `pkt_loop()` under way stops after the packet being handed out, and a read waiting for
/// a pipe wakes.
///
/// Returns 0, or `-EINVAL` for NULL.
///
/// Thread safety: any thread, also while another thread reads; async-signal-safe (it may be
/// called from a signal handler): it sets an atomic flag and writes to an eventfd, nothing else.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_breakloop(h: *mut pkt_t) -> c_int {
    guard_int("pkt_breakloop", || {
        // SAFETY: `h` is NULL or live per the contract.
        match unsafe { any(h, "pkt_breakloop") }? {
            Any::Live(l) => l.ctl.breakloop()?,
            Any::Offline(o) => o.ctl.breakloop()?,
        }
        Ok(0)
    })
}

/// Writes packet counters to `*out`: with `total`, since the handle was opened; otherwise since
/// the previous `pkt_stats()` call of either kind (or the open).
///
/// `recvs` counts packets that passed the kernel filter and reached the socket, dropped ones
/// included; `drops` those lost because the ring was full. Every packet that reached the socket
/// is either read or counted as a drop (packets skipped by a user-space filter are in `recvs`
/// only). On a savefile handle: `recvs` counts the packet records read so far (those the filter
/// rejected too), `drops` the drops that the pcapng interface statistics blocks read so far
/// record (for each interface its last block's `isb_osdrop`, or `isb_ifdrop` without it; 0 for
/// pcap files and files without such blocks, which writers put at the end).
///
/// Returns 0, or `-EINVAL` for NULL `h` or `out`, or the kernel's errno.
/// Thread safety: any thread, also while another thread reads.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or valid for writing a `pkt_stats_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_stats(h: *mut pkt_t, total: bool, out: *mut pkt_stats_t) -> c_int {
    guard_int("pkt_stats", || {
        // SAFETY: `h` is NULL or live per the contract.
        let p = unsafe { any(h, "pkt_stats") }?;
        if out.is_null() {
            return Err(einval("pkt_stats", "NULL out pointer"));
        }
        let s = match p {
            Any::Live(l) => l.ctl.stats(total)?,
            Any::Offline(o) => o.ctl.stats(total),
        };
        // SAFETY: non-NULL and writable per the contract.
        unsafe {
            put(
                out,
                pkt_stats_t {
                    recvs: s.recvs,
                    drops: s.drops,
                },
            )
        };
        Ok(0)
    })
}

/// Closes a handle: unmaps the ring, closes the socket (which undoes promiscuous mode) and frees
/// the handle. Returns 0; NULL is a no-op returning 0.
///
/// Thread safety: must not run while any other call uses the same handle: break the loop, join
/// the reader, then close. After it the handle is gone and must not be used again.
///
/// # Safety
/// `h` is NULL or a handle from `pkt_open()` that is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_close(h: *mut pkt_t) -> c_int {
    guard("pkt_close", || {
        if !h.is_null() {
            // SAFETY: a live handle from pkt_open, not used again per the contract.
            unsafe { boundary::free(h) };
        }
        0
    })
}

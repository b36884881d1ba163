//! Reading savefiles over the C ABI: opening them, and the savefile side of the read calls
//! (`pkt_read`, `pkt_read_batch`, `pkt_dispatch`, `pkt_loop` in io.rs come here for a savefile
//! handle).

use std::ffi::{c_char, c_int, c_void, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::boundary::{self, einval, guard_int, put, shared, OfflinePkt};
use super::{pkt_config_t, pkt_handler, pkt_info_t, pkt_packet_t, pkt_slim_t, pkt_t};
use crate::config::Config;
use crate::error::{Errno, Error};
use crate::packet::Info;
use crate::savefile::Offline;
use crate::sys;

/// The configuration of `cfg` (NULL: the defaults).
///
/// # Safety
/// `cfg` is NULL or a valid `pkt_config_t` whose filter points to `filter_len` instructions.
unsafe fn config_of(cfg: *const pkt_config_t) -> Result<Config, Error> {
    // SAFETY: `cfg` is NULL or valid per the contract.
    match unsafe { cfg.as_ref() } {
        None => Ok(Config::default()),
        // SAFETY: its filter is valid for filter_len per the contract.
        Some(c) => unsafe { c.to_config() },
    }
}

/// Opens a savefile for reading: pcap or pcapng, whichever `path` holds; "-" reads standard
/// input (a pipe is read as a stream: no seeking). The handle then works with `pkt_read()`,
/// `pkt_read_batch()`, `pkt_dispatch()`, `pkt_loop()`, `pkt_setfilter()`, `pkt_breakloop()`,
/// `pkt_stats()`, `pkt_get_config()`, `pkt_fd()`, `pkt_dlt()`, `pkt_offline_iface()` and
/// `pkt_close()`.
///
/// Formats: pcap in either byte order with microsecond (magic 0xa1b2c3d4) or nanosecond
/// (0xa1b23c4d) timestamps, also libpcap's modified format (0xa1b2cd34) and versions before
/// 2.4; pcapng with any number of sections, each in either byte order, and interfaces of any
/// link types, `if_tsresol` in powers of 10 or 2 and `if_tsoffset`; its enhanced, simple and
/// obsolete packet blocks are read, its statistics blocks give `pkt_stats()` drops, and every
/// other block and option is skipped.
///
/// `cfg` NULL means the defaults. What applies to a savefile: `snaplen` (each packet's
/// `caplen` is cut to it; `len` stays), `tstamp_resolution` (`PKT_TSTAMP_MICRO` truncates
/// `nsec` to whole microseconds, as on live handles), `filter` (run in user space on each
/// packet, as after `pkt_setfilter()`) and `max_nil_read`. `direction` other than
/// `PKT_DIR_INOUT` and `proto` other than `PKT_PROTO_ALL` (or 0) are `-EINVAL`: a savefile has
/// nothing to select them by. Every other field is ignored; in particular reads never return
/// `-EAGAIN` or `-ETIMEDOUT` (`poll` and `nonblock` do not apply: a read of a pipe waits for
/// data, and `pkt_breakloop()` ends that wait).
///
/// Each packet's `pkt_info_t`: `sec`/`nsec` from the record, in nanoseconds (a pcapng
/// interface's units converted exactly, rounded down, `if_tsoffset` added; a pcap record's
/// seconds and fraction are signed 32-bit numbers, as libpcap 1.10 reads them, so a time after
/// January 2038 comes out before 1970 as there, and a fraction of a second or more carries into
/// `sec`: the instant libpcap gives); `caplen`, and `len` as the record says (it can be below
/// `caplen` in a damaged file, as libpcap reports it); `ifindex` the packet's interface: 0 in a pcap file, in a pcapng file
/// the interface's number in the file (0 for the first interface description block, counted
/// over all sections: see `pkt_offline_iface()`); `linktype` the pcap link type
/// (`PKT_DLT_*`, `LINKTYPE_*` as written in the file) of that interface, not an ARPHRD value
/// as on live handles; `pkttype` from a pcapng packet's `epb_flags` (`PKT_PACKET_OUTGOING` for
/// outbound, otherwise host, broadcast, multicast or other host by its reception type), the
/// modified pcap format's packet type, otherwise `PKT_PACKET_HOST`; `protocol` 0 (the modified
/// format's protocol); `status`, `vlan_tpid`, `vlan_tci` 0. The bytes are the file's (pseudo
/// headers of byte-swapped files are not rewritten, unlike libpcap).
///
/// A regular file is mapped into memory (packets are returned where they lie, without copying;
/// nothing is allocated per packet): it must not be truncated or rewritten while the handle
/// reads it (reading a part lost to truncation raises SIGBUS, as with any reader of a mapped
/// file), and what is appended after the open is not read. Other inputs are read in chunks of
/// 1 MiB or more into a buffer of the handle.
///
/// Limits (as libpcap's): a packet over 262144 bytes, or over its pcapng interface's snap
/// length, is a damaged record; so is a pcapng block over 16 MiB or of a length below 12 or not
/// a multiple of 4, and a file with more than 65536 interface descriptions. A stream buffers
/// at most one block (16 MiB plus 1 MiB); nothing else grows with the input but the interface
/// list. A pcap record longer than the file's snap length is cut to it, as libpcap does.
///
/// Calls that make no sense on a savefile fail with `-EOPNOTSUPP`: `pkt_write()`,
/// `pkt_write_to()`, `pkt_write_batch()`, `pkt_flush()`, `pkt_set_fanout()`,
/// `pkt_fanout_group()` (libpcap's `pcap_inject` on a savefile fails too). `pkt_linktype()`
/// gives `PKT_LINKTYPE_NONE`: use `pkt_dlt()`.
///
/// Returns 0 and sets `*out` on success; on failure `*out` is untouched and nothing leaks.
/// Errors: `-EINVAL` NULL `path` or `out`, a bad `cfg`; the open's errno (`-ENOENT`,
/// `-EACCES`, `-EISDIR`, ...) or that of the first read; `-EBADMSG` the input is not a pcap or
/// pcapng file, or its header is damaged or cut short (for pcapng: up to its first interface
/// description block, which the open reads): `pkt_errmsg()` says what was found, e.g. `not a
/// pcap or pcapng file: first bytes 7f 45 4c 46`.
///
/// Ownership: the caller owns the handle and releases it with `pkt_close()`; the handle owns
/// its own descriptor of the file (for "-", a duplicate of descriptor 0, which stays open).
/// Thread safety: any thread. Opening reads from a pipe: it waits until the header arrived.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `cfg` is NULL or a valid `pkt_config_t` (see
/// `pkt_config_check()`); `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_open_offline(
    path: *const c_char,
    cfg: *const pkt_config_t,
    out: *mut *mut pkt_t,
) -> c_int {
    guard_int("pkt_open_offline", || {
        if path.is_null() || out.is_null() {
            return Err(einval("pkt_open_offline", "NULL path or out pointer"));
        }
        // SAFETY: `cfg` is NULL or valid per the contract.
        let cfg = unsafe { config_of(cfg) }?;
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let path = unsafe { CStr::from_ptr(path) };
        let r = Offline::open(Path::new(OsStr::from_bytes(path.to_bytes())), &cfg)?;
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { put(out, boundary::into_raw(boundary::Pkt::offline(r))) };
        Ok(0)
    })
}

/// Opens a savefile read from descriptor `fd`, from its current offset: as
/// `pkt_open_offline()` otherwise.
///
/// Ownership: the handle does not take `fd`: it reads through a duplicate (close-on-exec) that
/// `pkt_close()` closes, so the caller may close `fd` right after the call. The two share the
/// open file: a pipe must not be read through `fd` while the handle reads it. A regular file is
/// mapped, and its file offset is left where it was.
///
/// Errors: as `pkt_open_offline()`; `-EBADF` when `fd` is not an open descriptor.
/// Thread safety: any thread.
///
/// # Safety
/// `cfg` is NULL or a valid `pkt_config_t`; `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_open_offline_fd(
    fd: c_int,
    cfg: *const pkt_config_t,
    out: *mut *mut pkt_t,
) -> c_int {
    guard_int("pkt_open_offline_fd", || {
        if out.is_null() {
            return Err(einval("pkt_open_offline_fd", "NULL out pointer"));
        }
        // SAFETY: `cfg` is NULL or valid per the contract.
        let cfg = unsafe { config_of(cfg) }?;
        let own = sys::dup_cloexec(fd)
            .map_err(|e| Error::with_detail(e, "pkt_open_offline_fd", format!("descriptor {fd}")))?;
        let r = Offline::from_fd(own, &cfg)?;
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { put(out, boundary::into_raw(boundary::Pkt::offline(r))) };
        Ok(0)
    })
}

/// Describes interface `ifindex` of a savefile handle (a packet's `pkt_info_t.ifindex`):
/// writes its pcap link type to `*dlt` and its snap length (0 or over 262144 in the file read
/// as 262144) to `*snaplen`, each unless NULL. A pcap file has interface 0 only; a pcapng
/// file's interfaces are numbered in file order over all its sections, and are known once the
/// reads reached their description blocks (interface 0 at the open).
///
/// Returns 0. Errors: `-EINVAL` NULL handle; `-ENOENT` no such interface (yet);
/// `-EOPNOTSUPP` a live handle.
/// Thread safety: the reading thread (or while no read runs).
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `dlt` and `snaplen` are NULL
/// or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_offline_iface(
    h: *mut pkt_t,
    ifindex: i32,
    dlt: *mut u16,
    snaplen: *mut u32,
) -> c_int {
    guard_int("pkt_offline_iface", || {
        // SAFETY: `h` is NULL or live per the contract.
        let Some(o) = (unsafe { boundary::offline(h) }) else {
            // SAFETY: as above; NULL gives -EINVAL, a live handle -EOPNOTSUPP.
            unsafe { shared(h, "pkt_offline_iface") }?;
            return Err(boundary::not_offline("pkt_offline_iface"));
        };
        // SAFETY: no other thread reads the handle per the contract.
        let i = unsafe { o.reader() }.iface(ifindex).ok_or_else(|| {
            Error::with_detail(
                Errno(libc::ENOENT),
                "pkt_offline_iface",
                format!("no interface {ifindex} (yet)"),
            )
        })?;
        // SAFETY: NULL or writable per the contract.
        unsafe {
            put(dlt, i.dlt);
            put(snaplen, i.snaplen);
        }
        Ok(0)
    })
}

/// `pkt_read()` on a savefile handle.
///
/// # Safety
/// As `pkt_read()`: `o` is not read by another thread, `data` and `info` are NULL or writable.
#[inline(never)]
pub(super) unsafe fn read(
    o: &OfflinePkt,
    data: *mut *const u8,
    info: *mut pkt_info_t,
) -> Result<c_int, Error> {
    if data.is_null() {
        return Err(einval("pkt_read", "NULL data pointer"));
    }
    let mut got = (std::ptr::null::<u8>(), 0usize, Info::default());
    // SAFETY: one reading thread per the contract.
    unsafe { o.reader() }.batch_with(1, |_, bytes, i| got = (bytes.as_ptr(), bytes.len(), *i))?;
    // SAFETY: `data` is non-NULL and writable; `info` NULL or writable, per the contract. The
    // packet's bytes stay valid until the next read call on the handle.
    unsafe {
        put(data, got.0);
        if !got.0.is_null() {
            put(info, pkt_info_t::from(got.2));
        }
    }
    Ok(got.1 as c_int)
}

/// `pkt_read_batch()` on a savefile handle.
///
/// # Safety
/// As `pkt_read_batch()`: `out` is valid for writing `max` descriptors.
#[inline(never)]
pub(super) unsafe fn read_batch(o: &OfflinePkt, out: *mut pkt_packet_t, max: usize) -> Result<c_int, Error> {
    // SAFETY: one reading thread per the contract.
    let n = unsafe { o.reader() }.batch_with(max, |i, bytes, info| {
        // SAFETY: `i` < `max`, the number of descriptors `out` is valid for. The bytes stay
        // where they are until the next read call (batch_with's promise).
        unsafe {
            out.add(i).write(pkt_packet_t {
                data: bytes.as_ptr(),
                info: pkt_info_t::from(*info),
            })
        };
    })?;
    Ok(n as c_int)
}

/// `pkt_read_slim()` on a savefile handle.
///
/// # Safety
/// One reading thread; `out` valid for `max` entries.
pub(super) unsafe fn read_slim(o: &OfflinePkt, out: *mut pkt_slim_t, max: usize) -> Result<c_int, Error> {
    // SAFETY: one reading thread per the contract.
    let n = unsafe { o.reader() }.batch_with(max, |i, bytes, info| {
        // SAFETY: `i` < `max`, the number of entries `out` is valid for. The bytes stay where
        // they are until the next read call (batch_with's promise).
        unsafe {
            out.add(i).write(pkt_slim_t {
                data: bytes.as_ptr(),
                caplen: info.caplen,
                len: info.len,
            })
        };
    })?;
    Ok(n as c_int)
}

/// `pkt_dispatch()` when `h` is not a live handle: a savefile handle's dispatch, otherwise
/// `e` (the error for NULL).
///
/// # Safety
/// As `pkt_dispatch()`.
#[inline(never)]
pub(super) unsafe fn dispatch_or(
    h: *mut pkt_t,
    e: Error,
    max: c_int,
    cb: pkt_handler,
    user: *mut c_void,
) -> Result<c_int, Error> {
    // SAFETY: `h` is NULL or a live handle per the contract.
    let Some(o) = (unsafe { boundary::offline(h) }) else {
        return Err(e);
    };
    let cb = cb.ok_or_else(|| einval("pkt_dispatch", "NULL callback"))?;
    let max = usize::try_from(max).unwrap_or(0);
    // SAFETY: the caller's guarantees, passed on.
    let n = unsafe { dispatch(o, max, cb, user) }?;
    Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
}

/// `pkt_dispatch()` (one call, up to `max` packets, 0: to the end) on a savefile handle.
///
/// # Safety
/// `cb` is safe to call with `user`; one reading thread.
#[inline(never)]
pub(super) unsafe fn dispatch(
    o: &OfflinePkt,
    max: usize,
    cb: unsafe extern "C" fn(*mut c_void, *const u8, *const pkt_info_t),
    user: *mut c_void,
) -> Result<usize, Error> {
    // SAFETY: one reading thread per the contract.
    unsafe { o.reader() }.dispatch_with(max, |bytes, info| {
        // SAFETY: the caller vouches for `cb` and `user`; `bytes` and `info` are valid during
        // the call, and Info has pkt_info_t's layout (checked in ffi/mod.rs).
        unsafe {
            cb(
                user,
                bytes.as_ptr(),
                std::ptr::from_ref(info).cast::<pkt_info_t>(),
            )
        }
    })
}

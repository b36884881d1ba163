//! Reading and writing.

use std::ffi::{c_int, c_void};

use super::boundary::{self, einval, guard, guard_int, put, reader, shared, slice, Any};
use super::{pkt_frame_t, pkt_handler, pkt_info_t, pkt_packet_t, pkt_slim_t, pkt_t};
use crate::handle::{fill_info, Emit, Info};
use crate::ring::Describe;

impl From<Info> for pkt_info_t {
    #[inline]
    fn from(i: Info) -> pkt_info_t {
        pkt_info_t {
            sec: i.sec,
            nsec: i.nsec,
            caplen: i.caplen,
            len: i.len,
            ifindex: i.ifindex,
            status: i.status,
            vlan_tpid: i.vlan_tpid,
            vlan_tci: i.vlan_tci,
            protocol: i.protocol,
            linktype: i.linktype,
            pkttype: i.pkttype,
        }
    }
}

/// Reads the next packet, without copying it.
///
/// With `poll` non-zero, waits until a packet is ready; with `poll` 0 (or a handle opened with
/// `nonblock`), returns `-EAGAIN` at once when none is.
///
/// Returns the packet's captured length (> 0) on success: `*data` then points to the packet in
/// the ring (or, for the last packet of a burst, in a buffer of the handle), and `*info`
/// describes it unless `info` is NULL. The data stays valid and unchanged until the next
/// `pkt_read()` or `pkt_close()` on the handle; do not write to it.
///
/// Returns 0 with `*data` set to NULL when `max_nil_read` packets in a row were skipped by a
/// filter that runs in user space (after `pkt_setfilter()` on a live handle, or a program the
/// kernel refused): the caller gets control back and simply reads again. Direction and `proto`
/// are selected in the kernel and never cause skips.
///
/// Errors: `-EAGAIN` nothing ready without waiting; `-EINTR` `pkt_breakloop()` was called (once
/// per call to it; the next read works normally); `-ETIMEDOUT` `read_timeout_ms` passed with
/// nothing to read; `-ENODEV` the interface was removed (after the packets already queued were
/// read); `-EINVAL` NULL handle or `data`; `-EIO` a corrupted ring frame (the rest of its block
/// is skipped). An interface going down is not an error: the read waits and resumes when it is
/// up again. Nothing is allocated, locked or called in the kernel while packets are waiting.
///
/// Waiting on `pkt_fd()` yourself (poll, epoll level- or edge-triggered) and reading with `poll`
/// 0 works the same: a read that finds nothing takes the socket's pending error (one
/// `getsockopt`), so the fd does not stay readable after the link went down (no busy loop),
/// and once the interface is removed and the packets queued before are read it gives `-ENODEV`
/// (the fd becomes readable again when the kernel hands over its last partly filled block).
///
/// On a savefile handle (`pkt_open_offline()`): `-ENODATA` at the end of the file, `-EBADMSG`
/// at a damaged or truncated record (its byte offset in `pkt_errmsg()`), each returned again by
/// every later read; a record of 0 bytes (which savefiles may hold) returns 0 with `*data` set
/// (not NULL, as for a nil read) and `info->caplen` 0; `poll` does not matter (a read of a pipe waits for data until
/// `pkt_breakloop()`), and nothing is copied, allocated or called in the kernel per packet of a
/// regular file.
///
/// Thread safety: one thread reads a handle at a time.
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `data` is NULL or valid for
/// writing a pointer; `info` is NULL or valid for writing a `pkt_info_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_read(
    h: *mut pkt_t,
    poll: c_int,
    data: *mut *const u8,
    info: *mut pkt_info_t,
) -> c_int {
    // Fast path: a packet in the middle of the block being read, returned with no error value
    // to build (everything else, errors included, goes the general way below).
    if !data.is_null() && !h.is_null() {
        let fast = guard("pkt_read", || {
            // SAFETY: `h` is non-NULL, live and read by this thread only, per the contract.
            let r = unsafe { boundary::live_reader(h) }?;
            // SAFETY: `info` is NULL or valid for writing a pkt_info_t per the contract, and Info
            // has the same layout (checked at compile time in ffi/mod.rs).
            let out = unsafe { info.cast::<Info>().as_mut() };
            r.read_fast(poll != 0, out).map(|b| (b.as_ptr(), b.len()))
        });
        if let Some((p, n)) = fast {
            // SAFETY: `data` is non-NULL and writable per the contract.
            unsafe { put(data, p) };
            return n as c_int;
        }
    }
    // SAFETY: the caller's guarantees, passed on.
    unsafe { read_general(h, poll, data, info) }
}

/// `pkt_read()` for every case, out of line so that the fast path stays small.
///
/// # Safety
/// As `pkt_read()`.
#[inline(never)]
unsafe fn read_general(h: *mut pkt_t, poll: c_int, data: *mut *const u8, info: *mut pkt_info_t) -> c_int {
    guard_int("pkt_read", || {
        // SAFETY: `h` is NULL or live and read by this thread only, per the contract.
        if let Some(o) = unsafe { boundary::offline(h) } {
            // SAFETY: the caller's guarantees, passed on.
            return unsafe { super::offline::read(o, data, info) };
        }
        // SAFETY: as above.
        let r = unsafe { reader(h, "pkt_read") }?;
        if data.is_null() {
            return Err(einval("pkt_read", "NULL data pointer"));
        }
        let mut scratch = Info::default();
        // SAFETY: `info` is NULL or valid for writing a pkt_info_t per the contract, and Info has
        // the same layout (checked at compile time in ffi/mod.rs).
        let out = unsafe { info.cast::<Info>().as_mut() }.unwrap_or(&mut scratch);
        match r.read_into(poll != 0, out)? {
            Some(bytes) => {
                // SAFETY: `data` is non-NULL and writable per the contract.
                unsafe { put(data, bytes.as_ptr()) };
                Ok(bytes.len() as c_int)
            }
            None => {
                // SAFETY: as above.
                unsafe { put(data, std::ptr::null()) };
                Ok(0)
            }
        }
    })
}

/// `pkt_read_batch()`'s output: packet `i`'s descriptor is written in place at `out[i]` (by
/// index, which the compiler turns into a pointer kept in a register).
struct Descriptors {
    out: *mut pkt_packet_t,
}

impl Emit for Descriptors {
    #[inline(always)]
    fn emit<const MICRO: bool>(&mut self, i: usize, data: &[u8], f: &impl Describe) {
        // SAFETY: `i` < `max`, the number of descriptors `out` is valid for: the batch hands
        // over at most `max` packets, numbered from 0. pkt_info_t and Info have the same layout
        // (checked at compile time in ffi/mod.rs); every field is a plain integer, all of them
        // written by fill_info.
        unsafe {
            let p = self.out.add(i);
            std::ptr::addr_of_mut!((*p).data).write(data.as_ptr());
            fill_info::<MICRO>(&mut *std::ptr::addr_of_mut!((*p).info).cast::<Info>(), f);
        }
    }
}

/// [`Emit`] for `pkt_read_slim()`: the data pointer and the two lengths, in place.
struct Slims {
    out: *mut pkt_slim_t,
}

impl Emit for Slims {
    #[inline(always)]
    fn emit<const MICRO: bool>(&mut self, i: usize, data: &[u8], f: &impl Describe) {
        let caplen = f.caplen();
        // SAFETY: `i` < `max`, the number of entries `out` is valid for (as for Descriptors).
        unsafe {
            self.out.add(i).write(pkt_slim_t {
                data: data.as_ptr(),
                caplen,
                len: f.len().max(caplen),
            })
        };
    }
}

/// `pkt_dispatch()`'s callback, with the description built on the stack.
struct Callback {
    cb: unsafe extern "C" fn(*mut c_void, *const u8, *const pkt_info_t),
    user: *mut c_void,
}

impl Emit for Callback {
    #[inline(always)]
    fn emit<const MICRO: bool>(&mut self, _: usize, data: &[u8], f: &impl Describe) {
        let mut info = Info::default();
        fill_info::<MICRO>(&mut info, f);
        // SAFETY: the caller vouches for `cb` and `user`; `data` and `info` are valid for the
        // duration of the call, and Info has pkt_info_t's layout (checked in ffi/mod.rs).
        unsafe {
            (self.cb)(
                self.user,
                data.as_ptr(),
                std::ptr::addr_of!(info).cast::<pkt_info_t>(),
            )
        };
    }
}

/// Reads up to `max` packets in one call, without copying: one crossing of the library boundary
/// for many packets (what Go and Zig bindings use).
///
/// Fills `out[0..n]` and returns `n` (> 0). Each descriptor's `data` points to `info.caplen`
/// bytes in the ring and stays valid until the next read call (`pkt_read`, `pkt_read_batch`,
/// `pkt_dispatch`) or `pkt_close()` on the handle; do not write to it. Waits like `pkt_read()`
/// (with `poll`) only while nothing is ready, and returns what is ready without waiting for
/// more. A batch ends at the end of a ring block. Read until `-EAGAIN` before waiting on
/// `pkt_fd()`: the ring block of the last batch stays readable until the next call.
///
/// Batch size: 16 to 64 is fastest when the caller touches each packet after the call. The
/// call reads each packet's ring header, the caller then reads its bytes; with much larger
/// batches those cache lines are gone from L1 by then (64-byte frames, measured in bench/: a
/// batch of 256 costs up to 1.5x the CPU per packet of a batch of 32). `pkt_read_slim()` is
/// the same call with 16-byte descriptors.
///
/// Returns 0 (a nil read) when `max_nil_read` packets in a row were skipped by a filter running
/// in user space, as `pkt_read()` does. Errors: as `pkt_read()`, plus `-EINVAL` for NULL `out`
/// or `max` 0. On a savefile handle a batch ends before the end of the file or a damaged record
/// (the next call reports it: `-ENODATA`, `-EBADMSG`), and, reading a pipe, where the handle's
/// buffer must be read into again. Nothing is allocated, locked or called in the kernel while packets are waiting.
///
/// Thread safety: one thread reads a handle at a time.
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `out` is NULL or valid for
/// writing `max` descriptors.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_read_batch(
    h: *mut pkt_t,
    poll: c_int,
    out: *mut pkt_packet_t,
    max: usize,
) -> c_int {
    guard_int("pkt_read_batch", || {
        // SAFETY: `h` is NULL or live and read by this thread only, per the contract.
        let p = unsafe { boundary::any(h, "pkt_read_batch") }?;
        if out.is_null() || max == 0 {
            return Err(einval("pkt_read_batch", "NULL out or max 0"));
        }
        let max = max.min(c_int::MAX as usize);
        let r = match p {
            // SAFETY: read by this thread only; `out` is valid for `max` descriptors.
            Any::Offline(o) => return unsafe { super::offline::read_batch(o, out, max) },
            // SAFETY: read by this thread only.
            Any::Live(l) => unsafe { l.reader() },
        };
        let n = r.read_batch_to(poll != 0, max, &mut Descriptors { out })?;
        Ok(n as c_int)
    })
}

/// `pkt_read_batch()` in its leanest form: each packet as only its bytes and lengths
/// (`pkt_slim_t`, 16 bytes), for consumers that need nothing else of the ring's description
/// (counters, parsers, forwarders): fewer loads from the ring and a third of the stores.
///
/// Everything else is `pkt_read_batch()`'s: fills `out[0..n]` and returns `n` (> 0), waits
/// with `poll` only while nothing is ready, `data` valid until the next read call or
/// `pkt_close()`, a batch ends at the end of a ring block, 0 for a nil read, the same errors
/// (`-EINVAL` for NULL `out` or `max` 0). On a savefile handle: as `pkt_read_batch()`. The
/// packets are the same as `pkt_read_batch()` would return (filters, snap length, VLAN tags
/// put back); a handle can mix the read calls.
///
/// Thread safety: one thread reads a handle at a time.
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `out` is NULL or valid for
/// writing `max` entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_read_slim(
    h: *mut pkt_t,
    poll: c_int,
    out: *mut pkt_slim_t,
    max: usize,
) -> c_int {
    guard_int("pkt_read_slim", || {
        // SAFETY: `h` is NULL or live and read by this thread only, per the contract.
        let p = unsafe { boundary::any(h, "pkt_read_slim") }?;
        if out.is_null() || max == 0 {
            return Err(einval("pkt_read_slim", "NULL out or max 0"));
        }
        let max = max.min(c_int::MAX as usize);
        let r = match p {
            // SAFETY: read by this thread only; `out` is valid for `max` entries.
            Any::Offline(o) => return unsafe { super::offline::read_slim(o, out, max) },
            // SAFETY: read by this thread only.
            Any::Live(l) => unsafe { l.reader() },
        };
        let n = r.read_batch_to(poll != 0, max, &mut Slims { out })?;
        Ok(n as c_int)
    })
}

/// libpcap's `pcap_dispatch`: calls `cb(user, data, info)` for up to `max` packets (`max <= 0`:
/// the rest of the current ring block) and returns how many it processed.
///
/// Waits (as `pkt_read()` with `poll` set, unless the handle was opened `nonblock`) only for the
/// first packet. `data` and `info` are valid
/// only during the callback: copy what you keep. The callback must not call `pkt_read*`,
/// `pkt_dispatch`, `pkt_setfilter` or `pkt_close` on the same handle; `pkt_breakloop()` is fine
/// and ends the loop after the current packet.
///
/// Returns the count (>= 0; 0 is a nil read as in `pkt_read()`). `-EINTR` only when
/// `pkt_breakloop()` ended it before any packet was processed; a break that comes after some
/// packets leaves the count returned and the break pending for the next call. Other errors as
/// `pkt_read()`, and `-EINVAL` for a NULL `cb`.
///
/// On a savefile handle, as libpcap's `pcap_dispatch` on a savefile: `max <= 0` processes the
/// packets up to the end of the file; it returns 0 at the end; packets the filter rejects are
/// skipped, not counted (no nil reads); a damaged record ends it with the count of the packets
/// before it, and the next call returns `-EBADMSG`.
///
/// Thread safety: one thread reads a handle at a time.
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `cb`, if not NULL, is safe to
/// call with `user`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dispatch(
    h: *mut pkt_t,
    max: c_int,
    cb: pkt_handler,
    user: *mut c_void,
) -> c_int {
    guard_int("pkt_dispatch", || {
        // SAFETY: `h` is NULL or live and read by this thread only, per the contract.
        let r = match unsafe { reader(h, "pkt_dispatch") } {
            Ok(r) => r,
            // A savefile handle (or NULL) goes its own way, out of line: the live body stays as
            // it was (its register allocation is measured, bench/ir.sh).
            // SAFETY: the caller's guarantees, passed on.
            Err(e) => return unsafe { super::offline::dispatch_or(h, e, max, cb, user) },
        };
        let cb = cb.ok_or_else(|| einval("pkt_dispatch", "NULL callback"))?;
        let max = usize::try_from(max).unwrap_or(0);
        let n = r.dispatch_to(true, max, &mut Callback { cb, user })?;
        Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
    })
}

/// libpcap's `pcap_loop`: calls `cb(user, data, info)` for every packet until `cnt` were
/// processed (`cnt <= 0`: no limit), the end of a savefile, an error or `pkt_breakloop()`. The
/// same callback and rules as `pkt_dispatch()`: `data` and `info` are valid only during the
/// callback, and it must not call the read calls, `pkt_setfilter()` or `pkt_close()` on the
/// handle (`pkt_breakloop()` is fine).
///
/// Returns 0 after `cnt` packets or at the end of a savefile; `-EINTR` when `pkt_breakloop()`
/// ended it (also when it was called before: it takes the pending break, as a read does);
/// another negative errno on an error, after the packets before it were handed out (a savefile:
/// `-EBADMSG` for a damaged or truncated record, with its byte offset in `pkt_errmsg()`). On a
/// live handle it waits for packets for as long as it takes; nil reads (see `pkt_read()`)
/// just continue; a handle opened with `read_timeout_ms` > 0 ends it with `-ETIMEDOUT` after
/// that long without a packet (0, the default, never does), and a `nonblock` handle with
/// `-EAGAIN` as soon as nothing is ready.
///
/// Errors: `-EINVAL` NULL handle or `cb`; as `pkt_read()` otherwise.
/// Thread safety: one thread reads a handle at a time.
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `cb`, if not NULL, is safe to
/// call with `user`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_loop(h: *mut pkt_t, cnt: c_int, cb: pkt_handler, user: *mut c_void) -> c_int {
    guard_int("pkt_loop", || {
        // SAFETY: `h` is NULL or live and read by this thread only, per the contract.
        let offline = matches!(unsafe { boundary::any(h, "pkt_loop") }?, Any::Offline(_));
        if cb.is_none() {
            return Err(einval("pkt_loop", "NULL callback"));
        }
        // pcap_loop is pcap_dispatch again and again; called through a black box, so that the
        // walk exists once, inlined in pkt_dispatch (measured with bench/ir.sh: a second copy
        // made the first spill a register).
        let dispatch: unsafe extern "C" fn(*mut pkt_t, c_int, pkt_handler, *mut c_void) -> c_int =
            std::hint::black_box(pkt_dispatch);
        let mut left = cnt.max(0);
        loop {
            // Each round takes what is ready (a savefile: up to its end); 0 means no limit.
            // SAFETY: the caller's guarantees, passed on.
            let n = unsafe { dispatch(h, left, cb, user) };
            if n < 0 {
                // pkt_dispatch recorded the message.
                return Ok(n);
            }
            if n == 0 && offline {
                return Ok(0);
            }
            if cnt > 0 {
                left -= n.min(left);
                if left == 0 {
                    return Ok(0);
                }
            }
        }
    })
}

/// Sends one frame of `len` bytes from `buf`.
///
/// `ifindex` 0 sends on the bound interface; `proto` is the ethertype in host byte order, 0 to
/// take it from the frame's Ethernet header. The frame must include the link-layer header
/// unless the handle is cooked. A handle never captures its own frames; other handles on the
/// interface see them as outgoing.
///
/// Returns the number of bytes sent; `len` 0 returns 0 and sends nothing. Errors: `-EINVAL`
/// NULL handle, NULL `buf` with `len` > 0, `ifindex` 0 on a handle bound to all interfaces, or
/// a frame shorter than the link-layer header (14 bytes on Ethernet; not cooked);
/// `-EDESTADDRREQ` a cooked handle on a link with addresses (use `pkt_write_to()`);
/// `-EMSGSIZE` the frame is longer than the interface allows (MTU plus link-layer header);
/// `-ENETDOWN` the interface is down; `-ENXIO`/`-ENODEV` no such interface; `-EAGAIN` or
/// `-ENOBUFS` the device queue is full (non-blocking handle).
///
/// Ownership: `buf` is only read during the call. Thread safety: any thread, also while
/// another thread reads.
///
/// # Safety
/// `h` is NULL or a live handle; `buf` is NULL or points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_write(
    h: *mut pkt_t,
    buf: *const c_void,
    len: usize,
    ifindex: c_int,
    proto: u16,
) -> c_int {
    guard_int("pkt_write", || {
        // SAFETY: `h` is NULL or live per the contract.
        let p = unsafe { shared(h, "pkt_write") }?;
        // SAFETY: `buf` points to `len` bytes per the contract.
        let frame = unsafe { slice(buf.cast::<u8>(), len, "pkt_write") }?;
        let n = p.ctl.write(frame, ifindex, proto)?;
        Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
    })
}

/// Sends one frame of `len` bytes from `buf` on a cooked handle to the link-layer address
/// `addr` (`addr_len` bytes, 1 to 8; 6 for Ethernet): the kernel builds the link-layer header,
/// and `buf` is its payload (e.g. an IP packet, `proto` `0x0800`). Otherwise as `pkt_write()`.
///
/// A cooked handle has no link-layer header to send to, so on a link with addresses (Ethernet)
/// `pkt_write()` and `pkt_write_batch()` refuse to send (`-EDESTADDRREQ`) where the kernel would
/// use an all-zero destination; this call gives the address. (As with `sendto(2)` and a
/// `sockaddr_ll`'s `sll_addr`.) On links without addresses (loopback, raw IP) `pkt_write()` is
/// enough.
///
/// Returns the number of bytes sent. Errors: as `pkt_write()`, and `-EINVAL` for a NULL `addr`,
/// an `addr_len` of 0 or over 8, or a handle that is not cooked (its frames carry their own
/// destination).
///
/// Ownership: `buf` and `addr` are only read during the call. Thread safety: as `pkt_write()`.
///
/// # Safety
/// `h` is NULL or a live handle; `buf` is NULL or points to `len` readable bytes; `addr` is NULL
/// or points to `addr_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_write_to(
    h: *mut pkt_t,
    buf: *const c_void,
    len: usize,
    ifindex: c_int,
    proto: u16,
    addr: *const u8,
    addr_len: usize,
) -> c_int {
    guard_int("pkt_write_to", || {
        // SAFETY: `h` is NULL or live per the contract.
        let p = unsafe { shared(h, "pkt_write_to") }?;
        // SAFETY: `buf` points to `len` bytes per the contract.
        let frame = unsafe { slice(buf.cast::<u8>(), len, "pkt_write_to") }?;
        if addr.is_null() {
            return Err(einval("pkt_write_to", "NULL address"));
        }
        // SAFETY: `addr` points to `addr_len` bytes per the contract.
        let dest = unsafe { slice(addr, addr_len, "pkt_write_to") }?;
        let n = p
            .ctl
            .write_to(frame, ifindex, proto, Some(dest), "pkt_write_to")?;
        Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
    })
}

/// Sends `n` frames in order on the bound interface, with as few system calls as the handle's
/// `tx_mode` allows (one `sendmmsg` per 64 frames by default). Each frame's ethertype is taken
/// from its Ethernet header (cooked handles send with protocol 0). A frame of length 0 counts
/// as sent and sends nothing.
///
/// Returns how many frames were sent (`n` when all were). A short count means `frames[count]`
/// failed and no frame after it was sent: `pkt_errno()` gives the failing frame's error as a
/// value and `pkt_errmsg()` says why (e.g. `-EMSGSIZE` for a frame over the interface's current
/// MTU, `-EINVAL` for one shorter than the link-layer header, `-EAGAIN`/`-ENOBUFS` when the
/// device queue is full on a non-blocking handle, `-ENETDOWN` when the link went down). Every
/// frame is either sent or reported this way, with either `tx_mode`: frames the kernel would
/// refuse are refused before they are handed over, and with the TX ring a frame the kernel
/// refuses or does not take, and all after it, are taken back out of the ring before the call
/// returns (the ring never stalls and later frames never go out of order). ("Sent" is what the
/// kernel reports: right after a link went down or came back its device queue can be the noop
/// queue, which drops frames and tells every packet socket, libpcap's too, that they went.)
/// Returns a negative
/// errno when none was sent: `-EINVAL` for a NULL handle, NULL `frames` with `n` > 0, a frame
/// with NULL data and a non-zero length, or a handle on all interfaces; otherwise as
/// `pkt_write()`. With the TX ring, frames the device took may still be leaving when it
/// returns: `pkt_flush()` waits for them.
///
/// Ownership: the frames are only read during the call. Thread safety: any thread, also while
/// another thread reads; not concurrently with another `pkt_write_batch`/`pkt_flush` on the same
/// handle.
///
/// # Safety
/// `h` is NULL or a live handle; `frames` is NULL or points to `n` descriptors, each with
/// `data` NULL or pointing to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_write_batch(h: *mut pkt_t, frames: *const pkt_frame_t, n: usize) -> c_int {
    guard_int("pkt_write_batch", || {
        // SAFETY: `h` is NULL or live per the contract.
        let p = unsafe { shared(h, "pkt_write_batch") }?;
        // SAFETY: `frames` points to `n` descriptors per the contract.
        let frames = unsafe { slice(frames, n, "pkt_write_batch") }?;
        let n = frames.len().min(c_int::MAX as usize);
        // Frames up to the first bad descriptor go out; that one is reported like a failed send.
        let bad = frames[..n]
            .iter()
            .position(|f| f.data.is_null() && f.len > 0)
            .unwrap_or(n);
        // SAFETY: every descriptor before `bad` has data pointing to `len` bytes (or len 0).
        let bytes = frames[..bad]
            .iter()
            .map(|f| unsafe { slice(f.data.cast::<u8>(), f.len, "") }.unwrap_or(&[]));
        let sent = match p.ctl.write_batch(bytes) {
            Ok(sent) if sent == n => return Ok(sent as c_int),
            Ok(sent) => {
                let e = einval("pkt_write_batch", "frame with NULL data and a non-zero length");
                if sent == 0 {
                    return Err(e);
                }
                boundary::fail(&e);
                sent
            }
            Err(b) if b.sent == 0 => return Err(b.error),
            Err(b) => {
                boundary::fail(&b.error);
                b.sent
            }
        };
        Ok(sent as c_int)
    })
}

/// Waits until every frame sent by `pkt_write_batch()` has left the handle (with the TX ring;
/// with sendmmsg frames have left when the write returns). Returns 0, or a negative errno:
/// `-EINVAL` for NULL, `-EAGAIN` on a non-blocking handle while frames are still leaving,
/// `-EINTR` when a signal interrupted the wait.
///
/// Thread safety: as `pkt_write_batch()`.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_flush(h: *mut pkt_t) -> c_int {
    guard_int("pkt_flush", || {
        // SAFETY: `h` is NULL or live per the contract.
        unsafe { shared(h, "pkt_flush") }?.ctl.flush()?;
        Ok(0)
    })
}

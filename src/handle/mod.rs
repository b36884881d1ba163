//! The safe Rust API: open a capture, read packets with zero copies, write frames, filter, break
//! a blocked read, count.
//!
//! A [`Handle`] is the reader: one thread reads it at a time, and a [`Packet`] borrows it, so the
//! borrow checker enforces the zero-copy rule (a packet's bytes stay valid until the next read).
//! Its [`Control`] is shared: any thread may break the loop, read the stats or write through it
//! while another thread reads.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use once_cell::sync::Lazy;

use crate::config::{Config, Direction, TstampResolution, TxMode};
use crate::error::{Context, Errno, Error};
use crate::filter::{self, Insn, Meta};
pub use crate::packet::{tstamp_valid, vlan_valid, Info, Packet, Stats};
use crate::prefix::{self, Selection};
use crate::ring::{self, Describe, Frame, Geometry, Post, Reap, Rx, TxRing, Version, Walk, RESERVE};
use crate::socket::{self, Socket};
use crate::sys::{self, ARPHRD_ETHER, ARPHRD_LOOPBACK, ETH_P_8021Q};

/// ARPHRD value reported for "no single link type" (all interfaces, unknown interface).
pub const LINKTYPE_NONE: u16 = 0xffff;
/// ARPHRD_ETHER.
pub const LINKTYPE_ETHERNET: u16 = ARPHRD_ETHER;

/// While the bound interface is down, reads look at it this often: the kernel wakes the reader
/// when the link goes down, but not when a downed interface is then removed.
const NETDOWN_TICK_MS: i32 = 10;
/// Extra wait after the retire timeout before a gone interface is reported.
const GONE_MARGIN_NS: u64 = 50_000_000;

/// Writes the description of a ring packet (returned with `f.caplen()` bytes) into `i`, one field
/// after the other, each loaded from the ring right before it is stored: when `i` may alias the
/// ring (a C caller's pointer), the compiler keeps that order, so one register carries each
/// field instead of all of them being loaded first (and spilled).
#[inline(always)]
pub(crate) fn fill_info<const MICRO: bool>(i: &mut Info, f: &impl Describe) {
    let caplen = f.caplen();
    i.sec = f.sec() as i64;
    let nsec = f.nsec();
    i.nsec = if MICRO { nsec / 1000 * 1000 } else { nsec };
    i.caplen = caplen;
    i.len = f.len().max(caplen);
    i.ifindex = f.ifindex();
    let status = f.status();
    i.status = status;
    // The ring gives the TPID since Linux 3.14 (802.1Q before); the kernel zeroes the field of
    // untagged packets (it was zeroed padding before 3.14).
    // (Tested bit by bit: untagged packets, the usual case, then cost one test.)
    i.vlan_tpid = if status & sys::TP_STATUS_VLAN_VALID != 0 && status & sys::TP_STATUS_VLAN_TPID_VALID == 0 {
        ETH_P_8021Q
    } else {
        f.vlan_tpid()
    };
    i.vlan_tci = f.vlan_tci();
    i.protocol = f.protocol();
    // linktype and pkttype in one store.
    ring::put_link(i, f.link());
}

/// The description of a ring packet returned with `f.caplen()` bytes.
#[inline(always)]
fn make_info(f: &impl Describe, micro: bool) -> Info {
    let mut i = Info::default();
    if micro {
        fill_info::<true>(&mut i, f);
    } else {
        fill_info::<false>(&mut i, f);
    }
    i
}

/// Where the batch readers put each packet: its bytes (valid until the next read call, or only
/// during the call for a dispatch) and its description, written with [`fill_info`] or built.
pub(crate) trait Emit {
    /// Packet `i` of the call (0, 1, ...); `MICRO`: timestamps with microsecond resolution.
    fn emit<const MICRO: bool>(&mut self, i: usize, data: &[u8], f: &impl Describe);
}

/// [`Emit`] for the Rust API's callbacks, which take a [`Packet`].
struct PacketFn<F>(F);

impl<F: FnMut(Packet<'_>)> Emit for PacketFn<F> {
    #[inline(always)]
    fn emit<const MICRO: bool>(&mut self, _: usize, data: &[u8], f: &impl Describe) {
        let mut info = Info::default();
        fill_info::<MICRO>(&mut info, f);
        (self.0)(Packet { data, info });
    }
}

/// The link type reported for an interface type: loopback counts as Ethernet (it carries
/// Ethernet headers).
pub fn linktype_of(hatype: u16) -> u16 {
    if hatype == ARPHRD_LOOPBACK {
        LINKTYPE_ETHERNET
    } else {
        hatype
    }
}

/// The link type of an interface by name, [`LINKTYPE_NONE`] when it cannot be found.
pub fn iface_linktype(name: &[u8]) -> u16 {
    sys::iface_info(name).map_or(LINKTYPE_NONE, |i| linktype_of(i.hatype))
}

#[derive(Default)]
struct StatsAcc {
    recvs: u64,
    drops: u64,
    last: Stats,
}

/// The part of a handle that any thread may use while another reads.
pub struct Control {
    /// The TX ring, when the config asked for one; writers take turns. First, so that it is
    /// unmapped before the socket closes.
    tx: Option<Mutex<TxRing>>,
    sock: OwnedFd,
    brk_fd: OwnedFd,
    brk: AtomicBool,
    stats: Mutex<StatsAcc>,
    ifindex: i32,
    linktype: u16,
    config: Config,
    fanout: AtomicBool,
    /// MTU of the bound interface, as last looked up (at open, then by each TX ring batch).
    mtu: AtomicU32,
    /// ARPHRD type of the bound interface (None: all interfaces).
    hatype: Option<u16>,
    /// Bytes of link-layer header a frame must have at least: 14 on an Ethernet-framed
    /// link-layer handle, 0 on a cooked one.
    link_hdr: usize,
    /// With a TX ring: a second packet socket (bound to nothing, so it receives nothing) for
    /// single frames and frames larger than a ring slot, since every send on the ring's socket
    /// goes through the ring.
    tx_sock: Option<OwnedFd>,
}

/// A batched write that stopped early: `sent` frames went out, then `error` happened.
#[derive(Debug)]
pub struct BatchError {
    pub sent: usize,
    pub error: Error,
}

impl Control {
    /// Makes a blocked or the next polling read return `EINTR`, once. Async-signal-safe: an
    /// atomic store and one write(2) on an eventfd; no lock, no allocation.
    pub fn breakloop(&self) -> Result<(), Error> {
        self.brk.store(true, Ordering::SeqCst);
        match sys::eventfd_signal(self.brk_fd.as_raw_fd()) {
            // The counter is saturated: the reader will wake anyway.
            Ok(()) | Err(Errno::EAGAIN) => Ok(()),
            Err(e) => Err(Error::new(e, "write(eventfd)")),
        }
    }

    /// Consumes a pending break, resetting the eventfd so that no stale wake-up remains.
    #[inline(always)]
    fn take_break(&self) -> bool {
        if self.brk.load(Ordering::Relaxed) && self.brk.swap(false, Ordering::SeqCst) {
            sys::eventfd_drain(self.brk_fd.as_fd());
            true
        } else {
            false
        }
    }

    /// Counters since open (`total`) or since the previous call of either kind. The kernel's
    /// counters clear on read, so they are accumulated here in 64 bits.
    pub fn stats(&self, total: bool) -> Result<Stats, Error> {
        let mut acc = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        let st = socket::take_stats(self.sock.as_fd())?;
        acc.recvs += st.tp_packets as u64;
        acc.drops += st.tp_drops as u64;
        let now = Stats {
            recvs: acc.recvs,
            drops: acc.drops,
        };
        let delta = Stats {
            recvs: now.recvs - acc.last.recvs,
            drops: now.drops - acc.last.drops,
        };
        acc.last = now;
        Ok(if total { now } else { delta })
    }

    /// Sends one frame. `ifindex` 0 means the bound interface; `proto` (host order) 0 means the
    /// ethertype in the frame's Ethernet header. Returns the bytes sent.
    pub fn write(&self, buf: &[u8], ifindex: i32, proto: u16) -> Result<usize, Error> {
        self.write_to(buf, ifindex, proto, None, "pkt_write")
    }

    /// [`Control::write`] with the link-layer destination of a cooked handle's frame (the
    /// kernel builds the header; the frame is the payload). `dest` None on a cooked handle is
    /// refused where the link has addresses (Ethernet), as the kernel would send to an
    /// all-zero address.
    pub fn write_to(
        &self,
        buf: &[u8],
        ifindex: i32,
        proto: u16,
        dest: Option<&[u8]>,
        what: &'static str,
    ) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let ifindex = match (ifindex, self.ifindex) {
            (0, 0) => {
                return Err(Error::with_detail(
                    Errno::EINVAL,
                    what,
                    "ifindex 0 on a handle bound to all interfaces",
                ))
            }
            (0, bound) => bound,
            (i, _) => i,
        };
        self.check_dest(ifindex, dest, what)?;
        self.check_runt(buf, what)?;
        let proto = self.frame_proto(buf, proto);
        // With a TX ring the kernel takes every send on the ring's socket from the ring (and
        // ignores the data given): single frames go through the handle's second socket.
        let (sock, bound) = match &self.tx_sock {
            Some(s) => (s.as_fd(), false),
            None => (
                self.sock.as_fd(),
                dest.is_none() && self.sends_bound(ifindex, proto, buf),
            ),
        };
        let send = || {
            if bound {
                sys::send_bound(sock, buf, self.config.nonblock)
            } else {
                sys::sendto_ll(
                    sock,
                    buf,
                    ifindex,
                    proto,
                    dest.unwrap_or(&[]),
                    self.config.nonblock,
                )
            }
        };
        match send() {
            // The kernel parks ENETDOWN on the socket when the link goes down and hands it to the
            // next send even after the link came back; that send consumed it, so if the
            // interface is up now, the frame can go.
            Err(Errno::ENETDOWN) if sys::iface_state(ifindex) == Ok(Some(true)) => send(),
            r => r,
        }
        .ctx("sendto")
    }

    /// Refuses a cooked frame without a destination where the link needs one, and a destination
    /// where there is no use for it.
    fn check_dest(&self, ifindex: i32, dest: Option<&[u8]>, what: &'static str) -> Result<(), Error> {
        match dest {
            Some(_) if !self.config.cooked => Err(Error::with_detail(
                Errno::EINVAL,
                what,
                "a destination address is for cooked handles only (a link-layer frame carries its own)",
            )),
            Some(d) if d.is_empty() || d.len() > 8 => Err(Error::with_detail(
                Errno::EINVAL,
                what,
                format!("a link-layer address has 1 to 8 bytes, not {}", d.len()),
            )),
            None if self.config.cooked && self.link_has_addresses(ifindex) => Err(Error::with_detail(
                Errno(libc::EDESTADDRREQ),
                what,
                "a cooked handle sends no link-layer header: give the destination address \
                 (pkt_write_to), or open the handle uncooked and send whole frames",
            )),
            _ => Ok(()),
        }
    }

    /// Whether frames on `ifindex` need a link-layer destination (Ethernet, not loopback).
    fn link_has_addresses(&self, ifindex: i32) -> bool {
        let hatype = if ifindex == self.ifindex {
            self.hatype
        } else {
            sys::iface_by_index(self.sock.as_fd(), ifindex)
                .ok()
                .map(|i| i.hatype)
        };
        hatype == Some(ARPHRD_ETHER)
    }

    /// Refuses a link-layer frame shorter than the link-layer header (the kernel would refuse it,
    /// or pad it with zeros for a caller with CAP_SYS_RAWIO).
    fn check_runt(&self, buf: &[u8], what: &'static str) -> Result<(), Error> {
        if buf.len() < self.link_hdr {
            return Err(Error::with_detail(
                Errno::EINVAL,
                what,
                format!(
                    "frame of {} bytes is shorter than the link-layer header ({} bytes)",
                    buf.len(),
                    self.link_hdr
                ),
            ));
        }
        Ok(())
    }

    /// Sends frames in order on the bound interface (or, for a handle on all interfaces,
    /// nowhere: `EINVAL`). Returns how many were sent; on a failure the error says which frame
    /// (`sent`) failed and why, and no frame after it was sent. Empty frames count as sent and
    /// send nothing.
    pub fn write_batch<'a>(&self, frames: impl IntoIterator<Item = &'a [u8]>) -> Result<usize, BatchError> {
        let fail = |sent, error| Err(BatchError { sent, error });
        if self.ifindex == 0 {
            return fail(
                0,
                Error::with_detail(
                    Errno::EINVAL,
                    "pkt_write_batch",
                    "a handle on all interfaces has no interface to send on",
                ),
            );
        }
        if let Err(error) = self.check_dest(self.ifindex, None, "pkt_write_batch") {
            return fail(0, error);
        }
        if let Some(tx) = &self.tx {
            return self.write_batch_ring(&mut tx.lock().unwrap_or_else(|p| p.into_inner()), frames);
        }
        let mut chunk: [&[u8]; sys::SENDMMSG_MAX] = [&[]; sys::SENDMMSG_MAX];
        let mut protos = [0u16; sys::SENDMMSG_MAX];
        let (mut sent, mut n) = (0usize, 0usize);
        // Whether every frame of the chunk can go without an address (see `sends_bound`).
        let mut bound = true;
        // A frame refused before sending: it fails once the frames before it are out.
        let mut bad: Option<Error> = None;
        let mut iter = frames.into_iter().peekable();
        let mut retried = false;
        loop {
            // Fill a chunk; empty frames are done at once (they stand in order between sent ones).
            while n < sys::SENDMMSG_MAX && bad.is_none() {
                match iter.peek() {
                    None => break,
                    Some(&&[]) => {
                        if n > 0 {
                            break;
                        }
                        sent += 1;
                        iter.next();
                    }
                    Some(f) => {
                        if let Err(e) = self.check_runt(f, "pkt_write_batch") {
                            bad = Some(e);
                            break;
                        }
                        protos[n] = self.frame_proto(f, 0);
                        bound &= self.sends_bound(self.ifindex, protos[n], f);
                        chunk[n] = f;
                        n += 1;
                        iter.next();
                    }
                }
            }
            if n == 0 {
                return match bad {
                    Some(e) => fail(sent, e),
                    None => Ok(sent),
                };
            }
            let mut done = 0;
            while done < n {
                match sys::sendmmsg_ll(
                    self.sock.as_fd(),
                    &chunk[done..n],
                    &protos[done..n],
                    if bound { 0 } else { self.ifindex },
                    self.config.nonblock,
                ) {
                    Ok(k) => done += k,
                    // As in `write_to`: a parked ENETDOWN from a link that is up again.
                    Err(Errno::ENETDOWN) if !retried && sys::iface_state(self.ifindex) == Ok(Some(true)) => {
                        retried = true;
                    }
                    Err(e) => return fail(sent + done, Error::new(e, "sendmmsg")),
                }
            }
            sent += n;
            n = 0;
            bound = true;
        }
    }

    /// The TX ring path: frames are copied into the ring, then one `send` hands them all over.
    /// Nothing stays queued when it returns (see [`TxRing`]): frames the kernel did not take are
    /// taken back and reported.
    fn write_batch_ring<'a>(
        &self,
        tx: &mut TxRing,
        frames: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<usize, BatchError> {
        let what = "pkt_write_batch";
        // The interface's MTU now, not at open: it may have changed since.
        let mtu = self.current_mtu();
        let mut count = 0;
        for (i, f) in frames.into_iter().enumerate() {
            count = i + 1;
            if f.is_empty() {
                continue;
            }
            // Refuse here what the kernel would refuse while sending (and log): once the frames
            // before it are out.
            let refused = self
                .check_runt(f, what)
                .and_then(|()| self.check_mtu(f, mtu, what));
            if let Err(error) = refused {
                self.settle(tx)?;
                return Err(BatchError { sent: i, error });
            }
            if f.len() > tx.max_frame() {
                // Within the MTU (raised since open) but larger than a slot: the frames before it
                // go first, then this one by the second socket.
                self.settle(tx)?;
                let sock = self.tx_sock.as_ref().map_or(self.sock.as_fd(), |s| s.as_fd());
                sys::sendto_ll(
                    sock,
                    f,
                    self.ifindex,
                    self.frame_proto(f, 0),
                    &[],
                    self.config.nonblock,
                )
                .map_err(|e| BatchError {
                    sent: i,
                    error: Error::new(e, "sendto"),
                })?;
                continue;
            }
            while !tx.put(f, i) {
                // Every slot is queued or still leaving: hand the queued ones over and wait (or,
                // non-blocking, give up here) until this slot is free.
                self.settle(tx)?;
                if tx.put(f, i) {
                    break;
                }
                if self.config.nonblock {
                    return Err(BatchError {
                        sent: i,
                        error: Error::new(Errno::EAGAIN, "pkt_write_batch: TX ring full"),
                    });
                }
                self.kick(true).map_err(|error| BatchError { sent: i, error })?;
            }
        }
        self.settle(tx)?;
        Ok(count)
    }

    /// Hands the queued frames to the kernel and makes sure it took them all; otherwise takes
    /// back the first one it did not take and those after it, and reports the first.
    fn settle(&self, tx: &mut TxRing) -> Result<(), BatchError> {
        if tx.queued() == 0 {
            return Ok(());
        }
        let mut kicked = self.kick(false);
        let mut waited = false;
        let mut retried = false;
        loop {
            let error = match tx.reap() {
                Reap::Done => return Ok(()),
                Reap::Refused => {
                    let errno = match &kicked {
                        Err(e) if !e.is_temporary() => e.errno(),
                        _ => Errno::EINVAL,
                    };
                    Error::with_detail(errno, "send(TX ring)", "the kernel refused the frame")
                }
                // ENETDOWN parked on the socket by a link that went down and is up again: that
                // kick consumed it (see `write_to`).
                Reap::Waiting
                    if !retried
                        && matches!(&kicked, Err(e) if e.errno() == Errno::ENETDOWN)
                        && sys::iface_state(self.ifindex) == Ok(Some(true)) =>
                {
                    retried = true;
                    kicked = self.kick(false);
                    continue;
                }
                // Blocking: wait for room in the socket buffer / device queue once.
                Reap::Waiting if !self.config.nonblock && !waited => {
                    waited = true;
                    kicked = self.kick(true);
                    continue;
                }
                Reap::Waiting => match kicked {
                    Err(e) => e,
                    Ok(()) => Error::new(Errno::EAGAIN, "send(TX ring): device busy"),
                },
            };
            let sent = tx.withdraw().unwrap_or(0);
            if error.errno() == Errno::EMSGSIZE || error.errno() == Errno::EINVAL {
                // The MTU may have changed under us: the next call looks again.
                self.current_mtu();
            }
            return Err(BatchError { sent, error });
        }
    }

    /// The bound interface's MTU, looked up now (the one from open if that fails).
    fn current_mtu(&self) -> u32 {
        let mtu = sys::iface_mtu(self.sock.as_fd(), self.ifindex).unwrap_or(self.mtu.load(Ordering::Relaxed));
        self.mtu.store(mtu, Ordering::Relaxed);
        mtu
    }

    /// Refuses a frame longer than the interface sends: MTU plus link-layer header, plus 4 for an
    /// 802.1Q-tagged frame (the kernel allows the 4 bytes for 0x8100 only, not 802.1ad).
    fn check_mtu(&self, f: &[u8], mtu: u32, what: &'static str) -> Result<(), Error> {
        let tagged = self.link_hdr == 14 && u16::from_be_bytes([f[12], f[13]]) == ETH_P_8021Q;
        let limit = mtu as usize + self.link_hdr + if tagged { 4 } else { 0 };
        if f.len() > limit {
            return Err(Error::with_detail(
                Errno::EMSGSIZE,
                what,
                format!(
                    "frame of {} bytes is longer than the interface allows ({limit}: MTU {mtu})",
                    f.len()
                ),
            ));
        }
        Ok(())
    }

    /// Hands the TX ring's queued frames to the kernel; with `wait`, until all have left.
    fn kick(&self, wait: bool) -> Result<(), Error> {
        sys::send_empty(self.sock.as_fd(), !wait).ctx("send(TX ring)")
    }

    /// Waits until frames queued by [`Control::write_batch`] have left (with sendmmsg they have
    /// when it returns).
    pub fn flush(&self) -> Result<(), Error> {
        let Some(tx) = &self.tx else { return Ok(()) };
        let mut tx = tx.lock().unwrap_or_else(|p| p.into_inner());
        self.settle(&mut tx).map_err(|b| b.error)?;
        if !self.config.nonblock && tx.busy() {
            // Frames the device took and has not finished with: wait for them.
            self.kick(true)?;
        }
        if tx.busy() {
            return Err(Error::new(Errno::EAGAIN, "pkt_flush: frames still leaving"));
        }
        Ok(())
    }

    /// Whether a frame for `ifindex` with `proto` can go by plain `send` on the bound socket: the
    /// bound interface, a link-layer header to take the protocol from, and a kernel (5.1+) that
    /// does so.
    #[inline]
    fn sends_bound(&self, ifindex: i32, proto: u16, buf: &[u8]) -> bool {
        static PARSES_PROTOCOL: Lazy<bool> = Lazy::new(|| sys::kernel_version().is_some_and(|v| v >= (5, 1)));
        ifindex == self.ifindex
            && !self.config.cooked
            && buf.len() >= 14
            && proto == u16::from_be_bytes([buf[12], buf[13]])
            && *PARSES_PROTOCOL
    }

    /// The protocol to send a frame with: the caller's, or the ethertype in its header.
    fn frame_proto(&self, buf: &[u8], proto: u16) -> u16 {
        if proto == 0 && !self.config.cooked && buf.len() >= 14 {
            u16::from_be_bytes([buf[12], buf[13]])
        } else {
            proto
        }
    }

    /// Joins a fanout group: the kernel spreads the interface's packets over the group's
    /// members (handles in this or other processes) by `mode`. `flags` may add
    /// `FANOUT_FLAG_ROLLOVER`, `_UNIQUEID` (then `group_id` must be 0 and the kernel picks one)
    /// and `_DEFRAG`.
    pub fn set_fanout(&self, mode: u16, group_id: u16, flags: u16) -> Result<(), Error> {
        const KNOWN_FLAGS: u16 = 0x1000 | 0x2000 | 0x8000;
        if mode > 5 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_set_fanout",
                "unknown fanout mode",
            ));
        }
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_set_fanout",
                "unknown fanout flag",
            ));
        }
        if flags & 0x2000 != 0 && group_id != 0 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_set_fanout",
                "FLAG_UNIQUEID needs group_id 0",
            ));
        }
        let arg: libc::c_int = ((mode as u32 | flags as u32) << 16 | group_id as u32) as libc::c_int;
        sys::setsockopt(self.sock.as_fd(), sys::SOL_PACKET, sys::PACKET_FANOUT, &arg)
            .ctx("setsockopt(PACKET_FANOUT)")?;
        self.fanout.store(true, Ordering::Release);
        Ok(())
    }

    /// The id of the fanout group the handle joined (`ENOENT` when it joined none).
    pub fn fanout_group(&self) -> Result<u16, Error> {
        if !self.fanout.load(Ordering::Acquire) {
            return Err(Error::with_detail(
                Errno(libc::ENOENT),
                "pkt_fanout_group",
                "not in a fanout group",
            ));
        }
        let mut v: libc::c_int = 0;
        sys::getsockopt(self.sock.as_fd(), sys::SOL_PACKET, sys::PACKET_FANOUT, &mut v)
            .ctx("getsockopt(PACKET_FANOUT)")?;
        Ok((v as u32 & 0xffff) as u16)
    }

    /// The socket, for poll/epoll. Readable when a packet is ready; POLLERR means a read will
    /// report an error (or a link change it handles).
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Link type of the bound interface ([`linktype_of`]), [`LINKTYPE_NONE`] for all interfaces.
    pub fn linktype(&self) -> u16 {
        self.linktype
    }

    /// The interface index the handle is bound to (0: all).
    pub fn ifindex(&self) -> i32 {
        self.ifindex
    }

    /// The effective configuration: the ring size as set up, cooked mode as forced, no filter.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// A program run in user space over ring packets: after a filter change, over the packets that
/// were already in the ring (until `until` slots have gone back), or for good when the kernel
/// refused the program.
struct UserFilter {
    prog: Vec<Insn>,
    until: Option<u64>,
}

/// How a batch read treats the slots it walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Packets stay valid until the next call: slots are held.
    Batch,
    /// Packets are valid during the callback only: slots go back as soon as they are done.
    Dispatch,
}

/// Where a filter ended up.
enum Installed {
    None,
    Kernel,
    UserSpace,
}

/// A capture handle (the reader side).
pub struct Handle {
    // Declared first so the ring is unmapped before the socket closes.
    ring: Rx,
    ctl: Arc<Control>,
    /// Holds a copy of the last packet of a slot when nothing follows it, so that the slot goes
    /// back to the kernel at once and the fd does not stay readable.
    side: Vec<u8>,
    prefix: Vec<Insn>,
    user: Option<UserFilter>,
    /// The kernel reported the bound interface down; cleared when it is up again.
    netdown: bool,
    /// Set when the bound interface was found gone: when, on the monotonic clock.
    gone_at: Option<u64>,
    gone_grace_ns: u64,
    micro: bool,
    /// Bytes kept of each packet; 0: whole packets.
    snaplen: u32,
    max_nil: u64,
    nonblock: bool,
    read_timeout_ns: Option<u64>,
}

impl Handle {
    /// Opens a capture on `ifname` (None or "": all interfaces).
    pub fn open(ifname: Option<&str>, cfg: &Config) -> Result<Handle, Error> {
        Handle::open_bytes(ifname.map(str::as_bytes), cfg)
    }

    /// [`Handle::open`] with the interface name as bytes: Linux names are bytes, not
    /// necessarily UTF-8 (`ip link add name $'\xe9t0' ...` is a valid name).
    pub fn open_bytes(ifname: Option<&[u8]>, cfg: &Config) -> Result<Handle, Error> {
        cfg.check()?;
        let ifname = ifname.filter(|n| !n.is_empty());
        let (ifindex, hatype, mtu) = match ifname {
            None => (0, None, 0),
            Some(n) => {
                let i = sys::iface_info(n).map_err(|e| {
                    let e = if e == Errno::ENXIO { Errno::ENODEV } else { e };
                    Error::with_detail(e, "pkt_open", format!("interface \"{}\"", n.escape_ascii()))
                })?;
                (i.ifindex, Some(i.hatype), i.mtu)
            }
        };
        let any = ifindex == 0;
        let cooked = cfg.cooked || !matches!(hatype, Some(ARPHRD_ETHER) | Some(ARPHRD_LOOPBACK));
        let sock = Socket::new(cooked)?;

        // Before 3.19 a V3 block retired by its timer did not wake poll(): use V2 there.
        let v3_ok = sys::kernel_version().is_none_or(|v| v >= (3, 19));
        let version = if cfg.immediate || !v3_ok || !sock.supports(Version::V3) {
            Version::V2
        } else {
            Version::V3
        };
        sock.set_version(version)?;
        sock.set_reserve(RESERVE)?;
        sock.enable_timestamps();
        let kernel_ignores_outgoing = cfg.direction == Direction::In && sock.ignore_outgoing();

        let bytes = cfg.effective_buffer_size();
        let page = sys::page_size() as u64;
        let geo = match version {
            Version::V3 => Geometry::v3(bytes, page),
            // Frames hold the largest packet: the MTU plus link header and a VLAN tag, or 64 KiB
            // for GSO/GRO packets, whichever is larger; with a snap length, only that much (the
            // kernel copies no more).
            Version::V2 => {
                let largest = (mtu as u64 + 18).max(65535 + 18);
                let max_packet = match cfg.snaplen {
                    0 => largest,
                    n => (n as u64).min(largest),
                };
                Geometry::v2(bytes, max_packet, page)
            }
        }
        .map_err(|r| Error::with_detail(Errno::EINVAL, "config.buffer_size", r))?;
        let tov = match cfg.block_timeout_ms {
            // The kernel keeps the timeout in 16 bits.
            t if t > 0 => t.min(u16::MAX as i64) as u32,
            0 => u16::MAX as u32,
            _ => 0,
        };
        let tx_geo = match cfg.tx_mode {
            TxMode::Ring if any => {
                return Err(Error::with_detail(
                    Errno::EINVAL,
                    "config.tx_mode",
                    "a TX ring needs an interface",
                ))
            }
            // The largest frame the interface sends: MTU, link header and a VLAN tag.
            TxMode::Ring => Some(TxRing::geometry(mtu as u64 + 18, version, page)),
            TxMode::Auto | TxMode::Sendmmsg => None,
        };
        let (geo, map) = sock.setup_ring(geo, tov, tx_geo)?;
        let map = Arc::new(map);
        let tx = tx_geo.map(|g| TxRing::new(Arc::clone(&map), geo.size() as usize, g));
        let tx_sock = match tx_geo {
            Some(_) => Some(Socket::new(cooked)?.into_fd()),
            None => None,
        };

        // Ethertype 0 is no protocol: a config zeroed by hand means "all", as the default does.
        let proto = if cfg.proto == 0 {
            crate::config::PROTO_ALL
        } else {
            cfg.proto
        };
        let sel = Selection {
            proto,
            direction: cfg.direction,
            kernel_ignores_outgoing,
            loopback: if any {
                None
            } else {
                Some(hatype == Some(ARPHRD_LOOPBACK))
            },
        };
        let prefix = prefix::prefix(&sel);
        let user = match install(
            sock.fd(),
            &prefix,
            cfg.filter.as_deref(),
            cfg.snaplen,
            "config.filter",
        )? {
            Installed::UserSpace => cfg.filter.clone().map(|prog| UserFilter { prog, until: None }),
            Installed::Kernel | Installed::None => None,
        };
        if cfg.qdisc_bypass {
            let on: libc::c_int = 1;
            sys::setsockopt(sock.fd(), sys::SOL_PACKET, sys::PACKET_QDISC_BYPASS, &on)
                .ctx("setsockopt(PACKET_QDISC_BYPASS)")?;
        }
        if cfg.promiscuous && !any {
            sock.add_promisc(ifindex)?;
        }
        sock.bind(ifindex)?;
        let brk_fd = sys::eventfd().ctx("eventfd")?;

        let gone_grace_ns = match (version, cfg.block_timeout_ms) {
            (Version::V3, t) if t > 0 => t as u64 * 1_000_000,
            (Version::V3, t) if t < 0 => 100_000_000,
            _ => 0,
        } + GONE_MARGIN_NS;
        // Tags go back only where the bytes start with an Ethernet header.
        let vlan_insert = cfg.vlan_insert && !cooked;
        let ring = Rx::new(version, map, geo, Post::new(vlan_insert, cfg.snaplen));
        // Room for the largest packet and a tag put back.
        let side = vec![0u8; ring.max_packet() + 4];
        let config = Config {
            buffer_size: geo.size() as i64,
            filter: None,
            cooked,
            promiscuous: cfg.promiscuous && !any,
            proto,
            vlan_insert,
            ..cfg.clone()
        };
        let ctl = Arc::new(Control {
            sock: sock.into_fd(),
            brk_fd,
            brk: AtomicBool::new(false),
            stats: Mutex::new(StatsAcc::default()),
            ifindex,
            linktype: hatype.map_or(LINKTYPE_NONE, linktype_of),
            config,
            fanout: AtomicBool::new(false),
            tx: tx.map(Mutex::new),
            mtu: AtomicU32::new(mtu),
            hatype,
            link_hdr: if cooked { 0 } else { 14 },
            tx_sock,
        });
        Ok(Handle {
            ring,
            ctl,
            side,
            prefix,
            user,
            netdown: false,
            gone_at: None,
            gone_grace_ns,
            micro: cfg.tstamp_resolution == TstampResolution::Micro,
            snaplen: cfg.snaplen,
            max_nil: cfg.max_nil_read,
            nonblock: cfg.nonblock,
            // Saturating: a timeout too long to express in nanoseconds is one that never passes.
            read_timeout_ns: (cfg.read_timeout_ms > 0)
                .then(|| (cfg.read_timeout_ms as u64).saturating_mul(1_000_000)),
        })
    }

    /// The shared side of the handle, for other threads (break, stats, write).
    pub fn control(&self) -> &Arc<Control> {
        &self.ctl
    }

    /// The TPACKET version and layout of the ring.
    pub fn geometry(&self) -> (Version, Geometry) {
        let g = self.ring.geometry();
        (g.version, g)
    }

    /// Reads the next packet.
    ///
    /// With `poll`, waits until a packet arrives, the read timeout passes (`ETIMEDOUT`),
    /// [`Control::breakloop`] is called (`EINTR`, once) or the interface is removed (`ENODEV`,
    /// after the packets already queued); without it (or in non-blocking mode), returns `EAGAIN`
    /// when nothing is ready. An interface going down is not an error: the read waits until it is
    /// up again.
    ///
    /// `Ok(None)` is a nil read: `max_nil_read` packets in a row were skipped by a filter running in
    /// user space, and the caller gets control back.
    pub fn read(&mut self, poll: bool) -> Result<Option<Packet<'_>>, Error> {
        let mut info = Info::default();
        Ok(self.read_into(poll, &mut info)?.map(|data| Packet { data, info }))
    }

    /// [`Handle::read`] that writes the packet's description into `info` and returns its bytes:
    /// the C boundary's form, with no packet value to build and move. `info` is written only when
    /// a packet is returned.
    /// The C entry's fast path: the next packet when it is inside the block being read (not its
    /// last), no user-space filter runs, no break is pending and no VLAN tag is to be put back
    /// into it; None otherwise, with nothing changed (call [`Handle::read_into`], which handles
    /// every case). Writes `info` when given.
    #[inline(always)]
    pub fn read_fast(&mut self, poll: bool, mut info: Option<&mut Info>) -> Option<&[u8]> {
        // No test of `self.user` here: while a user-space filter is set, `read_mid` finds nothing
        // (`set_filter` stops it, and only walks, which run without such a filter, start it).
        if poll && self.ctl.brk.load(Ordering::Relaxed) {
            return None;
        }
        let micro = self.micro;
        // Tagged packets to put back go the general way: the fast path calls nothing.
        self.ring.read_mid::<false>(
            #[inline(always)]
            |fr| {
                if let Some(i) = info.as_deref_mut() {
                    if micro {
                        fill_info::<true>(i, fr);
                    } else {
                        fill_info::<false>(i, fr);
                    }
                }
            },
        )
    }

    /// [`Handle::read_fast`] for [`Handle::read_into`], tagged packets included: where the packet
    /// is (offset in the mapping, caplen).
    #[inline(always)]
    fn mid_block(&mut self, poll: bool, info: &mut Info) -> Option<(usize, u32)> {
        if self.user.is_some() || (poll && self.ctl.brk.load(Ordering::Relaxed)) {
            return None;
        }
        let micro = self.micro;
        let mut at = (0, 0);
        self.ring
            .read_mid::<true>(
                #[inline(always)]
                |fr| {
                    if micro {
                        fill_info::<true>(info, fr);
                    } else {
                        fill_info::<false>(info, fr);
                    }
                    at = (fr.data_off(), fr.caplen());
                },
            )
            .map(|_| at)
    }

    #[inline(always)]
    pub fn read_into(&mut self, poll: bool, info: &mut Info) -> Result<Option<&[u8]>, Error> {
        if let Some((off, len)) = self.mid_block(poll, info) {
            return Ok(Some(self.ring.bytes(off, len as usize)));
        }
        // Fast path (TPACKET_V3, no user-space filter, no break pending, a packet ready): the
        // block walk of the batch readers, one packet long. Everything else: `read_slow`.
        if self.user.is_none() && !(poll && self.ctl.brk.load(Ordering::Relaxed)) {
            self.ring.release_done();
            let micro = self.micro;
            let mut got = (0, 0, false);
            let walked = self.ring.walk_block(
                1,
                #[inline(always)]
                |_, fr| {
                    *info = make_info(fr, micro);
                    got = (fr.data_off(), fr.caplen(), fr.last_in_slot());
                    true
                },
            );
            match walked {
                Some(Walk::Ready(_)) => return Ok(Some(self.data_at(got.0, got.1, got.2))),
                Some(Walk::Corrupt) => {
                    return Err(Error::new(Errno::EIO, "pkt_read: corrupted frame on kernel ring"))
                }
                Some(Walk::Empty) | None => {}
            }
        }
        self.read_slow(poll, info)
    }

    /// [`Handle::read_into`] in full: waits, breaks, the user-space filter, TPACKET_V2.
    #[inline(never)]
    fn read_slow(&mut self, poll: bool, info: &mut Info) -> Result<Option<&[u8]>, Error> {
        if poll && self.ctl.take_break() {
            return Err(Error::new(Errno::EINTR, "pkt_read: loop broken"));
        }
        let mut skipped = 0u64;
        let mut deadline = None;
        loop {
            // Nothing handed out before is referenced any more: the previous call's packet is
            // superseded, and packets skipped in this call were never handed out.
            self.ring.release_done();
            let mut f = match self.ring.next() {
                Ok(Some(f)) => f,
                Ok(None) => {
                    self.wait(poll, &mut deadline)?;
                    continue;
                }
                Err(_) => return Err(Error::new(Errno::EIO, "pkt_read: corrupted frame on kernel ring")),
            };
            match self.user_verdict(&f) {
                Some(caplen) => {
                    f.caplen = caplen;
                    self.ring.finish(&mut f);
                    *info = self.info(&f);
                    return Ok(Some(self.data(f, f.caplen)));
                }
                None => {
                    skipped += 1;
                    if skipped >= self.max_nil.max(1) {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Runs the user-space filter, if one applies to this packet: None drops it, otherwise the
    /// number of bytes to keep.
    #[inline(always)]
    fn user_verdict(&mut self, f: &Frame) -> Option<u32> {
        let Some(uf) = &self.user else {
            return Some(f.caplen);
        };
        if uf.until.is_some_and(|until| self.ring.passed() >= until) {
            self.user = None;
            return Some(f.caplen);
        }
        let meta = Meta {
            len: f.len,
            net_off: f.net_off,
            protocol: f.protocol,
            pkttype: f.pkttype,
            ifindex: f.ifindex,
            hatype: f.hatype,
            rxhash: f.rxhash,
            vlan_tci: f.vlan_tci,
            vlan_present: vlan_valid(f.status),
            vlan_tpid: if f.status & sys::TP_STATUS_VLAN_TPID_VALID != 0 {
                f.vlan_tpid
            } else {
                ETH_P_8021Q
            },
        };
        let keep = filter::run(&uf.prog, self.ring.bytes(f.data_off, f.caplen as usize), &meta);
        (keep != 0).then(|| keep.min(f.caplen))
    }

    #[inline(always)]
    fn info(&self, f: &Frame) -> Info {
        make_info(f, self.micro)
    }

    /// The bytes of a packet about to be returned.
    #[inline(always)]
    fn data(&mut self, f: Frame, caplen: u32) -> &[u8] {
        self.data_at(f.data_off, caplen, f.last_in_slot)
    }

    /// [`Handle::data`] of the `caplen` bytes at `data_off`.
    #[inline(always)]
    fn data_at(&mut self, data_off: usize, caplen: u32, last_in_slot: bool) -> &[u8] {
        let n = caplen as usize;
        if last_in_slot && !self.ring.next_slot_ready() {
            // Nothing follows: copy this packet aside and hand its slot back now, so that an
            // event loop polling the fd is not woken again for a slot we have finished.
            self.side[..n].copy_from_slice(self.ring.bytes(data_off, n));
            self.ring.release_done();
            &self.side[..n]
        } else {
            self.ring.bytes(data_off, n)
        }
    }

    /// Reads up to `max` packets in one call and hands each to `f`, without copying. Waits (with
    /// `poll`) only while nothing is ready; returns the count, 0 for a nil read (as
    /// [`Handle::read`]), and the same errors. The packets' bytes stay in the ring until the next
    /// read call on the handle (C callers keep pointers to them until then). A batch ends at the
    /// end of a TPACKET_V3 block, so the kernel always keeps the rest of the ring.
    pub fn read_batch(&mut self, poll: bool, max: usize, f: impl FnMut(Packet<'_>)) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Batch, &mut PacketFn(f))
    }

    /// [`Handle::read_batch`] that hands each packet to `e` (the C boundary writes descriptors in
    /// place).
    pub(crate) fn read_batch_to(
        &mut self,
        poll: bool,
        max: usize,
        e: &mut impl Emit,
    ) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Batch, e)
    }

    /// [`Handle::dispatch`] that hands each packet to `e`.
    pub(crate) fn dispatch_to(&mut self, poll: bool, max: usize, e: &mut impl Emit) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Dispatch, e)
    }

    /// libpcap's `pcap_dispatch`: hands up to `max` packets to `f` (`max == 0`: the rest of the
    /// current ring block), each valid only during its call, and returns the count. Waits (with
    /// `poll`) only for the first packet. A [`Control::breakloop`] ends it after the current
    /// packet; `EINTR` only if no packet was processed (otherwise the break stays pending for the
    /// next call).
    pub fn dispatch(&mut self, poll: bool, max: usize, f: impl FnMut(Packet<'_>)) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Dispatch, &mut PacketFn(f))
    }

    fn batch(&mut self, poll: bool, max: usize, mode: Mode, e: &mut impl Emit) -> Result<usize, Error> {
        if poll && self.ctl.take_break() {
            return Err(Error::new(Errno::EINTR, "pkt_read: loop broken"));
        }
        let whole_block = max == 0;
        let max = if whole_block { usize::MAX } else { max };
        let dispatch = mode == Mode::Dispatch;
        let (mut count, mut skipped, mut deadline) = (0usize, 0u64, None);
        self.ring.release_done();
        while count < max {
            if dispatch && count > 0 && self.ctl.brk.load(Ordering::Relaxed) {
                break;
            }
            // Fast path (TPACKET_V3, no user-space filter): walk the block in one go.
            if self.user.is_none() {
                let brk = &self.ctl.brk;
                // Two copies of the walk, so that no packet tests the timestamp resolution.
                let walked = if self.micro {
                    self.ring.walk_block(max - count, |data, fr| {
                        e.emit::<true>(count + fr.index(), data, fr);
                        !(dispatch && brk.load(Ordering::Relaxed))
                    })
                } else {
                    self.ring.walk_block(max - count, |data, fr| {
                        e.emit::<false>(count + fr.index(), data, fr);
                        !(dispatch && brk.load(Ordering::Relaxed))
                    })
                };
                match walked {
                    Some(Walk::Ready(n)) => {
                        count += n;
                        if dispatch {
                            // Its packets were only valid during the callbacks.
                            self.ring.release_done();
                        }
                        if !dispatch || whole_block {
                            // A batch holds at most one block; a dispatch of "one block" is done.
                            break;
                        }
                        continue;
                    }
                    Some(Walk::Empty) if count > 0 => break,
                    Some(Walk::Empty) => {
                        self.wait(poll, &mut deadline)?;
                        continue;
                    }
                    Some(Walk::Corrupt) if count > 0 => break,
                    Some(Walk::Corrupt) => {
                        return Err(Error::new(Errno::EIO, "pkt_read: corrupted frame on kernel ring"))
                    }
                    None => {}
                }
            }
            let mut fr = match self.ring.next() {
                Ok(Some(fr)) => fr,
                Ok(None) if count > 0 => break,
                Ok(None) => {
                    self.wait(poll, &mut deadline)?;
                    continue;
                }
                // Report it with the next call: the rest of the block is skipped.
                Err(_) if count > 0 => break,
                Err(_) => return Err(Error::new(Errno::EIO, "pkt_read: corrupted frame on kernel ring")),
            };
            match self.user_verdict(&fr) {
                Some(caplen) => {
                    fr.caplen = caplen;
                    self.ring.finish(&mut fr);
                    let data = self.ring.bytes(fr.data_off, fr.caplen as usize);
                    if self.micro {
                        e.emit::<true>(count, data, &fr);
                    } else {
                        e.emit::<false>(count, data, &fr);
                    }
                    count += 1;
                    if dispatch {
                        self.ring.release_done();
                    }
                }
                None if count == 0 => {
                    self.ring.release_done();
                    skipped += 1;
                    if skipped >= self.max_nil.max(1) {
                        return Ok(0);
                    }
                }
                None => {}
            }
            if fr.last_in_slot && count > 0 {
                // Held slots are the kernel's loss: a batch holds at most one V3 block, or half of
                // a V2 ring's frames.
                let stop = match mode {
                    Mode::Dispatch => {
                        whole_block
                            && (!self.ring.one_packet_slots() || count as u32 >= self.ring.slots() / 2)
                    }
                    Mode::Batch => {
                        !self.ring.one_packet_slots() || self.ring.held() + 1 >= self.ring.slots() / 2
                    }
                };
                if stop {
                    break;
                }
            }
        }
        Ok(count)
    }

    /// Waits for the ring to have something (Ok) or for a reason to return (Err).
    fn wait(&mut self, poll: bool, deadline: &mut Option<Option<u64>>) -> Result<(), Error> {
        if !poll {
            // A caller polling the fd itself (epoll) is woken by the socket's pending error
            // (POLLERR stays up until it is read) and by nothing else once the interface is gone:
            // take the error and say ENODEV when nothing of the interface is left, or it would
            // spin, or wait for ever.
            match sys::take_socket_error(self.ctl.sock.as_fd()).ctx("getsockopt(SO_ERROR)")? {
                0 => {}
                libc::ENETDOWN => self.netdown = true,
                e => return Err(Error::new(Errno(e), "pkt_read(socket)")),
            }
            if self.netdown {
                self.check_link();
                if self.gone_for_good() {
                    return Err(Error::new(Errno::ENODEV, "pkt_read: interface disappeared"));
                }
            }
            return Err(Error::new(Errno::EAGAIN, "pkt_read"));
        }
        let timeout_ns = self.read_timeout_ns;
        let deadline =
            *deadline.get_or_insert_with(|| timeout_ns.map(|t| sys::monotonic_ns().saturating_add(t)));
        loop {
            let mut timeout = match (self.nonblock, deadline) {
                (true, _) => 0,
                (false, None) => -1,
                (false, Some(d)) => ms_until(d),
            };
            if self.netdown {
                timeout = if timeout < 0 {
                    NETDOWN_TICK_MS
                } else {
                    timeout.min(NETDOWN_TICK_MS)
                };
            }
            let mut fds = [
                sys::PollFd {
                    fd: self.ctl.sock.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                sys::PollFd {
                    fd: self.ctl.brk_fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            match sys::poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(Error::new(e, "poll")),
            }
            if fds[1].revents != 0 {
                sys::eventfd_drain(self.ctl.brk_fd.as_fd());
            }
            if self.ctl.take_break() {
                return Err(Error::new(Errno::EINTR, "pkt_read: loop broken"));
            }
            let rev = fds[0].revents;
            if rev & libc::POLLERR != 0 {
                match sys::take_socket_error(self.ctl.sock.as_fd()).ctx("getsockopt(SO_ERROR)")? {
                    0 => {}
                    // Down or removed: the kernel re-hooks the socket when the link comes up.
                    libc::ENETDOWN => self.netdown = true,
                    e => return Err(Error::new(Errno(e), "poll(socket)")),
                }
            }
            if rev & libc::POLLNVAL != 0 {
                return Err(Error::new(Errno(libc::EBADF), "poll(socket)"));
            }
            if self.netdown {
                self.check_link();
                if self.gone_for_good() {
                    return Err(Error::new(Errno::ENODEV, "pkt_read: interface disappeared"));
                }
            }
            if rev & libc::POLLIN != 0 {
                if self.ring.resync() {
                    return Ok(());
                }
                // Readable, yet no slot is ours: the kernel is mid-handover. Back off briefly
                // (still breakable) instead of spinning.
                let mut brk = [sys::PollFd {
                    fd: self.ctl.brk_fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                }];
                let _ = sys::poll(&mut brk, 1);
            }
            if self.nonblock {
                return Err(Error::new(Errno::EAGAIN, "pkt_read"));
            }
            if deadline.is_some_and(|d| sys::monotonic_ns() >= d) {
                return Err(Error::new(Errno::ETIMEDOUT, "pkt_read: read timeout"));
            }
        }
    }

    /// The bound interface is gone and none of its packets can still come: nothing is ready in
    /// the ring (a block may have been handed over since the caller looked) and the block the
    /// kernel was filling is empty, or its retire timer had time to hand it over.
    fn gone_for_good(&self) -> bool {
        self.gone_at.is_some()
            && self.ring.user_slots() == 0
            && (!self.ring.kernel_has_packets()
                || self
                    .gone_at
                    .is_some_and(|t| sys::monotonic_ns().saturating_sub(t) >= self.gone_grace_ns))
    }

    /// While the link is down: notes when the interface is up again or gone. The bound index
    /// turns -1 once the interface is unregistered; the lookup by index fails as soon as it is
    /// unlisted. Queued packets are still read meanwhile; a gone interface is reported after the
    /// kernel had time to retire the last block.
    fn check_link(&mut self) {
        let ifindex = self.ctl.ifindex;
        if ifindex == 0 {
            // All interfaces never go down as a whole.
            self.netdown = false;
            return;
        }
        let unbound = sys::bound_ifindex(self.ctl.sock.as_fd()).is_ok_and(|i| i == -1);
        match if unbound {
            Ok(None)
        } else {
            sys::iface_state(ifindex)
        } {
            Ok(None) => {
                self.gone_at.get_or_insert_with(sys::monotonic_ns);
            }
            Ok(Some(true)) => self.netdown = false,
            Ok(Some(false)) | Err(_) => {}
        }
    }

    /// Replaces the filter (None or an empty program: no filter). Packets already in the ring
    /// that fail the new filter are not returned afterwards: they are filtered again in user
    /// space. A valid program the kernel refuses (e.g. longer than 4096 instructions) runs in user
    /// space for good.
    pub fn set_filter(&mut self, prog: Option<&[Insn]>) -> Result<(), Error> {
        let prog = prog.filter(|p| !p.is_empty());
        match install(
            self.ctl.sock.as_fd(),
            &self.prefix,
            prog,
            self.snaplen,
            "pkt_setfilter",
        )? {
            Installed::None => self.user = None,
            Installed::UserSpace => {
                self.user = prog.map(|p| UserFilter {
                    prog: p.to_vec(),
                    until: None,
                });
            }
            Installed::Kernel => {
                let prog = prog.unwrap_or_default();
                // Every slot we own now, plus the one the kernel is filling, may hold packets
                // that passed the old filter.
                let until = Some(self.ring.passed() + self.ring.user_slots() + 1);
                let prog = match filter::check_userspace(prog) {
                    Ok(()) => prog.to_vec(),
                    // The program needs metadata the ring lacks: drop the backlog instead of
                    // returning packets that may fail it.
                    Err(_) => vec![Insn::stmt(filter::BPF_RET | filter::BPF_K, 0)],
                };
                self.user = Some(UserFilter { prog, until });
            }
        }
        if self.user.is_some() {
            // pkt_read's fast path does not look at the filter: stop it.
            self.ring.stop_fast();
        }
        Ok(())
    }
}

/// Puts the prefix and the user's program in the kernel; where the kernel refuses a valid
/// program, the prefix alone goes in and the program is to run in user space.
fn install(
    sock: BorrowedFd<'_>,
    prefix: &[Insn],
    user: Option<&[Insn]>,
    snaplen: u32,
    what: &'static str,
) -> Result<Installed, Error> {
    let Some(prog) = user else {
        if prefix.is_empty() && snaplen == 0 {
            socket::detach(sock)?;
        } else {
            socket::attach(sock, &prefix::combine(prefix, None, snaplen))
                .ctx("setsockopt(SO_ATTACH_FILTER)")?;
        }
        return Ok(Installed::None);
    };
    filter::validate(prog)
        .map_err(|r| Error::with_detail(Errno::EINVAL, what, format!("invalid filter: {r}")))?;
    let full = prefix::combine(prefix, Some(prog), snaplen);
    let refused = if full.len() <= filter::KERNEL_MAX_INSNS {
        match socket::attach(sock, &full) {
            Ok(()) => return Ok(Installed::Kernel),
            // Too large for the kernel's option memory, or rejected by its checker.
            Err(e @ (Errno::EINVAL | Errno::ENOMEM)) => e,
            Err(e) => return Err(Error::new(e, "setsockopt(SO_ATTACH_FILTER)")),
        }
    } else {
        Errno::EINVAL
    };
    filter::check_userspace(prog).map_err(|r| {
        Error::with_detail(
            refused,
            what,
            format!("the kernel refused the filter and user space cannot run it: {r}"),
        )
    })?;
    if prefix.is_empty() && snaplen == 0 {
        socket::detach(sock)?;
    } else {
        socket::attach(sock, &prefix::combine(prefix, None, snaplen)).ctx("setsockopt(SO_ATTACH_FILTER)")?;
    }
    Ok(Installed::UserSpace)
}

/// Milliseconds from now until `deadline` (monotonic ns), rounded up, at least 0.
fn ms_until(deadline: u64) -> i32 {
    let left = deadline.saturating_sub(sys::monotonic_ns());
    left.div_ceil(1_000_000).min(i32::MAX as u64) as i32
}

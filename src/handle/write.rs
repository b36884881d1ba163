//! The write paths of [`Control`]: single frames ([`Control::write`], [`Control::write_to`]) and
//! batches ([`Control::write_batch`]: sendmmsg, or the TX ring with its settling and flush), and
//! the checks that refuse, before sending, what the kernel would refuse while sending (runt
//! frames, frames over the MTU, missing or useless destinations).

use std::os::fd::AsFd;
use std::sync::atomic::Ordering;

use once_cell::sync::Lazy;

use super::Control;
use crate::error::{Context, Errno, Error};
use crate::ring::{Reap, TxRing};
use crate::sys::{self, ARPHRD_ETHER, ETH_P_8021Q};

/// A batched write that stopped early: `sent` frames went out, then `error` happened.
#[derive(Debug)]
pub struct BatchError {
    pub sent: usize,
    pub error: Error,
}

impl Control {
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
}

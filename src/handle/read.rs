//! The read paths, performance-critical: [`Handle::read`] (and the C entry's
//! [`Handle::read_fast`] and [`Handle::read_into`]), [`Handle::read_batch`] and
//! [`Handle::dispatch`] over one batch walk; the packet descriptions ([`fill_info`]) and where the
//! batch readers put packets ([`Emit`]); the user-space filter run over ring packets.
//!
//! The fast paths inline into the C entries across modules (`#[inline(always)]`, one codegen unit
//! and fat LTO): the attributes here are measured (`bench/ir.sh`), keep them.

use std::sync::atomic::Ordering;

use super::Handle;
use crate::error::{Errno, Error};
use crate::filter::{self, Meta};
use crate::packet::{vlan_valid, Info, Packet};
use crate::ring::{self, Describe, Frame, Walk};
use crate::sys::{self, ETH_P_8021Q};

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

/// [`PacketFn`] that also hands over the `sockaddr_ll` address (length, bytes).
struct PacketAddrFn<F>(F);

impl<F: FnMut(Packet<'_>, u8, [u8; 8])> Emit for PacketAddrFn<F> {
    #[inline(always)]
    fn emit<const MICRO: bool>(&mut self, _: usize, data: &[u8], f: &impl Describe) {
        let mut info = Info::default();
        fill_info::<MICRO>(&mut info, f);
        let (halen, addr) = f.link_addr();
        (self.0)(Packet { data, info }, halen, addr);
    }
}

/// How a batch read treats the slots it walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Packets stay valid until the next call: slots are held.
    Batch,
    /// Packets are valid during the callback only: slots go back as soon as they are done.
    Dispatch,
}

impl Handle {
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
    ///
    /// [`Control::breakloop`]: super::Control::breakloop
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
    ///
    /// [`Control::breakloop`]: super::Control::breakloop
    pub fn dispatch(&mut self, poll: bool, max: usize, f: impl FnMut(Packet<'_>)) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Dispatch, &mut PacketFn(f))
    }

    /// [`Handle::dispatch`] that also gives each packet's link-layer address as the kernel
    /// reports it (`sll_halen`, `sll_addr`: for a cooked capture, the source address of the
    /// header it removed), which libpcap writes into the cooked headers it builds.
    pub fn dispatch_addr(
        &mut self,
        poll: bool,
        max: usize,
        f: impl FnMut(Packet<'_>, u8, [u8; 8]),
    ) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Dispatch, &mut PacketAddrFn(f))
    }

    /// [`Handle::read_batch`] with each packet's link-layer address, as
    /// [`Handle::dispatch_addr`].
    pub fn read_batch_addr(
        &mut self,
        poll: bool,
        max: usize,
        f: impl FnMut(Packet<'_>, u8, [u8; 8]),
    ) -> Result<usize, Error> {
        self.batch(poll, max, Mode::Batch, &mut PacketAddrFn(f))
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
            // A backlog filter whose slots have all gone back is done with.
            if self
                .user
                .as_ref()
                .is_some_and(|u| u.until.is_some_and(|until| self.ring.passed() >= until))
            {
                self.user = None;
            }
            // Fast path (TPACKET_V3) with a user-space filter the walk can run: the block in one
            // go, the filter's verdict on each packet as the kernel left it (as on the slow
            // path), rejected ones skipped inside the walk.
            if let Some(prog) = self.user.as_ref().filter(|u| u.walkable).map(|u| &u.prog[..]) {
                let brk = &self.ctl.brk;
                // Nil reads as on the slow path: at most max_nil packets skipped before a first.
                let nil = self.max_nil.max(1);
                let limit = if count == 0 {
                    let left = usize::try_from(nil - skipped.min(nil)).unwrap_or(usize::MAX);
                    (max - count).min(left.max(1))
                } else {
                    max - count
                };
                let (micro, base) = (self.micro, count);
                let (mut given, mut skipped_first) = (0usize, 0u64);
                let walked = self.ring.walk_block_filtered(
                    limit,
                    |data, fr| {
                        let keep = filter::run(prog, data, &view_meta(fr));
                        // (`index` is the number handed over before this one.)
                        if keep == 0 && fr.index() == 0 {
                            skipped_first += 1;
                        }
                        keep
                    },
                    |data, fr| {
                        if micro {
                            e.emit::<true>(base + fr.index(), data, fr);
                        } else {
                            e.emit::<false>(base + fr.index(), data, fr);
                        }
                        given += 1;
                        !(dispatch && brk.load(Ordering::Relaxed))
                    },
                );
                match walked {
                    Some(Walk::Ready(_)) => {
                        if count == 0 {
                            skipped += skipped_first;
                        }
                        count += given;
                        if dispatch || given == 0 {
                            // None of the block's packets is the caller's any more.
                            self.ring.release_done();
                        }
                        if count == 0 {
                            if skipped >= nil {
                                return Ok(0);
                            }
                            continue;
                        }
                        if !dispatch || whole_block {
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
}

/// What a user-space filter reads of a packet of a block walk, as the kernel left it (its
/// program is `walkable`: it loads nothing at `SKF_NET_OFF`/`SKF_LL_OFF` nor `SKF_AD_RXHASH`,
/// which stay 0).
#[inline(always)]
fn view_meta(f: &impl Describe) -> Meta {
    let status = f.status();
    Meta {
        len: f.len(),
        protocol: f.protocol(),
        pkttype: f.pkttype(),
        ifindex: f.ifindex(),
        hatype: f.hatype(),
        vlan_tci: f.vlan_tci(),
        vlan_present: vlan_valid(status),
        vlan_tpid: if status & sys::TP_STATUS_VLAN_TPID_VALID != 0 {
            f.vlan_tpid()
        } else {
            ETH_P_8021Q
        },
        ..Meta::default()
    }
}

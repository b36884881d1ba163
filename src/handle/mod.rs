//! The safe Rust API: open a capture, read packets with zero copies, write frames, filter, break
//! a blocked read, count.
//!
//! A [`Handle`] is the reader: one thread reads it at a time, and a [`Packet`] borrows it, so the
//! borrow checker enforces the zero-copy rule (a packet's bytes stay valid until the next read).
//! Its [`Control`] is shared: any thread may break the loop, read the stats or write through it
//! while another thread reads.
//!
//! This file holds the two structs, their accessors and the link types; their methods live in
//! one file per concern (several `impl` blocks of the same types, so the private fields stay
//! private to this module and its children):
//!
//! - `open`: [`Handle::open`], the config turned into a socket, a ring and a kernel filter;
//! - `read`: the read paths ([`Handle::read`], [`Handle::read_batch`], [`Handle::dispatch`]),
//!   the packet descriptions and the user-space filter over ring packets;
//! - `wait`: waiting for packets: poll, timeouts, socket errors, a link down or gone;
//! - `write`: [`Control::write`] and [`Control::write_batch`] (sendmmsg or the TX ring);
//! - `filter`: [`Handle::set_filter`] and how a filter is installed (kernel or user space);
//! - `prefix`: the checks run in the kernel in front of every user program (ethertype,
//!   direction, loopback duplicates);
//! - `breaker`: [`Control::breakloop`] and its eventfd;
//! - `fanout`: [`Control::set_fanout`];
//! - `stats`: [`Control::stats`].

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::filter::Insn;
pub use crate::packet::{tstamp_valid, vlan_valid, Info, Packet, Stats};
use crate::ring::{Geometry, Rx, TxRing, Version};
use crate::sys::{self, ARPHRD_ETHER, ARPHRD_LOOPBACK};

mod breaker;
mod fanout;
mod filter;
mod prefix;
mod open;
mod read;
mod stats;
mod wait;
mod write;

use filter::UserFilter;
pub(crate) use read::{fill_info, Emit};
use stats::StatsAcc;
pub use write::BatchError;

/// ARPHRD value reported for "no single link type" (all interfaces, unknown interface).
pub const LINKTYPE_NONE: u16 = 0xffff;
/// ARPHRD_ETHER.
pub const LINKTYPE_ETHERNET: u16 = ARPHRD_ETHER;

/// The link type reported for an interface type: loopback counts as Ethernet (it carries
/// Ethernet headers).
pub fn linktype_of(hatype: u16) -> u16 {
    if hatype == ARPHRD_LOOPBACK {
        LINKTYPE_ETHERNET
    } else {
        hatype
    }
}

/// The link type of an interface by name, [`LINKTYPE_NONE`] when it cannot be found, and for
/// "any" (all interfaces, as a handle opened on it reports).
pub fn iface_linktype(name: &[u8]) -> u16 {
    if crate::iface::is_any(name) {
        return LINKTYPE_NONE;
    }
    sys::iface_info(name).map_or(LINKTYPE_NONE, |i| linktype_of(i.hatype))
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

impl Control {
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
    /// The shared side of the handle, for other threads (break, stats, write).
    pub fn control(&self) -> &Arc<Control> {
        &self.ctl
    }

    /// The TPACKET version and layout of the ring.
    pub fn geometry(&self) -> (Version, Geometry) {
        let g = self.ring.geometry();
        (g.version, g)
    }
}

//! The C ABI (`include/pkt.h` is generated from this module by cbindgen; its doc comments are the
//! header's manual). One file per concern; `boundary` holds the casts, the panic guard and the
//! error message.
#![allow(non_camel_case_types)]
#![deny(missing_docs)]

mod boundary;
// In the order a user meets the calls, which cbindgen keeps in include/pkt.h: configure and
// open, read, write, filter, fanout/break/count/close; then errors and helpers, the filter
// compiler and savefiles.
mod handle;
mod io;
mod filter;
mod control;
mod misc;
mod iface;
mod tstamp;
mod compile;
mod dlt;
mod dump;
mod offline;

pub use boundary::Pkt;
pub use compile::*;
pub use control::*;
pub use dlt::*;
pub use dump::*;
pub use filter::*;
pub use handle::*;
pub use iface::*;
pub use io::*;
pub use misc::*;
pub use offline::*;
pub use tstamp::*;

use std::ffi::c_void;

use crate::filter::Insn;

/// Major version of the header a program was compiled with (see `pkt_version()` for the library
/// it runs with). Before 1.0, struct layouts may change with any minor release.
pub const PKT_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const PKT_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
pub const PKT_VERSION_PATCH: u32 = 0;

/// `direction`: packets received and sent (loopback's duplicate copies are dropped).
pub const PKT_DIR_INOUT: u8 = 0;
/// `direction`: packets received by the host only.
pub const PKT_DIR_IN: u8 = 1;
/// `direction`: packets sent by the host only.
pub const PKT_DIR_OUT: u8 = 2;

/// `tstamp_resolution`: nanoseconds.
pub const PKT_TSTAMP_NANO: u8 = 0;
/// `tstamp_resolution`: microseconds (`nsec` is a multiple of 1000).
pub const PKT_TSTAMP_MICRO: u8 = 1;

/// Link type (ARPHRD) of Ethernet; also reported for loopback.
pub const PKT_LINKTYPE_ETHERNET: u16 = 1;
/// No single link type: a handle on all interfaces, or an unknown interface.
pub const PKT_LINKTYPE_NONE: u16 = 0xffff;

/// `proto`: every ethertype (ETH_P_ALL).
pub const PKT_PROTO_ALL: u16 = 0x0003;
/// `proto`: IPv4.
pub const PKT_PROTO_IP: u16 = 0x0800;
/// `proto`: IPv6.
pub const PKT_PROTO_IP6: u16 = 0x86dd;
/// `proto`: ARP.
pub const PKT_PROTO_ARP: u16 = 0x0806;

/// `tx_mode`: libpkt picks the send method.
pub const PKT_TX_AUTO: u8 = 0;
/// `tx_mode`: `sendmmsg`, up to 64 frames per system call.
pub const PKT_TX_SENDMMSG: u8 = 1;
/// `tx_mode`: the kernel's memory-mapped TX ring.
pub const PKT_TX_RING: u8 = 2;

/// Fanout mode: by flow hash (both directions of a flow go to the same member).
pub const PKT_FANOUT_HASH: u16 = 0;
/// Fanout mode: round robin.
pub const PKT_FANOUT_LB: u16 = 1;
/// Fanout mode: by the CPU that received the packet.
pub const PKT_FANOUT_CPU: u16 = 2;
/// Fanout mode: fill one member, then the next when its ring is full.
pub const PKT_FANOUT_ROLLOVER: u16 = 3;
/// Fanout mode: random.
pub const PKT_FANOUT_RND: u16 = 4;
/// Fanout mode: by the device's receive queue.
pub const PKT_FANOUT_QM: u16 = 5;
/// Fanout flag: a member whose ring is full passes packets to the next one.
pub const PKT_FANOUT_FLAG_ROLLOVER: u16 = 0x1000;
/// Fanout flag: the kernel picks an unused group id (read it with `pkt_fanout_group()`).
pub const PKT_FANOUT_FLAG_UNIQUEID: u16 = 0x2000;
/// Fanout flag: reassemble IPv4 fragments before hashing (members then see reassembled
/// datagrams, not wire frames).
pub const PKT_FANOUT_FLAG_DEFRAG: u16 = 0x8000;

/// `pkt_info_t.pkttype`: addressed to this host.
pub const PKT_PACKET_HOST: u8 = 0;
/// `pkt_info_t.pkttype`: link-layer broadcast.
pub const PKT_PACKET_BROADCAST: u8 = 1;
/// `pkt_info_t.pkttype`: link-layer multicast.
pub const PKT_PACKET_MULTICAST: u8 = 2;
/// `pkt_info_t.pkttype`: addressed to another host (seen in promiscuous mode).
pub const PKT_PACKET_OTHERHOST: u8 = 3;
/// `pkt_info_t.pkttype`: sent by this host.
pub const PKT_PACKET_OUTGOING: u8 = 4;

/// A classic BPF instruction, the same layout as Linux `struct sock_filter`.
pub type pkt_bpf_insn_t = Insn;

/// The opaque capture handle.
pub type pkt_t = Pkt;

/// How a capture is set up. Always start from `pkt_config_default()`, never from `{0}`: later
/// versions add fields at the end.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pkt_config {
    /// A blocking read gives up with `-ETIMEDOUT` after this many milliseconds; `<= 0`: never
    /// (default 0). Any positive value is taken as it is, up to `INT64_MAX` (which, as any
    /// timeout past the clock's range, never passes).
    pub read_timeout_ms: i64,
    /// Ring size in bytes; `<= 0`: the default, 2 MiB. Rounded up to whole ring blocks (at least
    /// 512 KiB); `pkt_get_config()` reports the size in effect.
    pub buffer_size: i64,
    /// TPACKET_V3 block retire timeout: `> 0` milliseconds (default 100), `0` never (the seed's
    /// default: on a quiet link packets then wait until a whole block fills), `< 0` the kernel
    /// decides (about 8 ms). The kernel caps it at 65535 ms. A blocking read returns a packet at
    /// most about this long after it arrived; set `immediate` for no delay at all.
    pub block_timeout_ms: i64,
    /// Optional classic BPF program attached before any packet is read; copied by `pkt_open`.
    pub filter: *const pkt_bpf_insn_t,
    /// Number of instructions in `filter`; 0: no filter.
    pub filter_len: u32,
    /// Ethertype (host byte order) to capture, incoming and outgoing alike; default
    /// `PKT_PROTO_ALL` (0 means the same).
    pub proto: u16,
    /// `PKT_DIR_*`; default `PKT_DIR_INOUT`.
    pub direction: u8,
    /// `PKT_TSTAMP_*`; default `PKT_TSTAMP_NANO`.
    pub tstamp_resolution: u8,
    /// How many packets in a row a filter running in user space may skip before `pkt_read()`
    /// returns 0 to give the caller control back (0 counts as 1); default 1024.
    pub max_nil_read: u64,
    /// Deliver each packet at once (a TPACKET_V2 frame ring: one wake-up per packet); default
    /// false. Each frame of that ring holds the largest packet the interface can show (64 KiB
    /// with segmentation offloads), so a 2 MiB ring holds only about 28 packets: give immediate
    /// handles a larger `buffer_size` where bursts must not drop, or a `snaplen` (frames then
    /// hold only that much: about 12,800 frames for a snaplen of 64 in 2 MiB).
    pub immediate: bool,
    /// Promiscuous mode on the bound interface, undone by the kernel when the handle closes
    /// (even on a crash); ignored on all interfaces; default false.
    pub promiscuous: bool,
    /// Reads and writes never wait (`-EAGAIN` instead); default false.
    pub nonblock: bool,
    /// No link-layer header (SOCK_DGRAM): data starts at the network header. Forced on for all
    /// interfaces and for non-Ethernet links; default false.
    pub cooked: bool,
    /// How `pkt_write_batch()` sends: `PKT_TX_AUTO` (default: libpkt picks; today sendmmsg,
    /// which on veth measured as fast as the TX ring, about 1.8 Mpps at 64 B, and needs no ring
    /// memory), `PKT_TX_SENDMMSG`, or `PKT_TX_RING` (the kernel's memory-mapped TX ring of up to
    /// 4 MiB, set up at open; `pkt_open` gives `-EINVAL` for it on all interfaces).
    pub tx_mode: u8,
    /// Sent frames skip the kernel's queueing layer (`PACKET_QDISC_BYPASS`): faster, but no
    /// traffic control applies, a full device queue drops frames, and other captures on the
    /// host (tcpdump, other handles) do not see them. Default false.
    pub qdisc_bypass: bool,
    /// Put the outer 802.1Q/802.1ad tag, which the kernel moves out of the packet into the ring's
    /// metadata, back into the bytes, as it was on the wire (link-layer captures only; `caplen`
    /// and `len` then count its 4 bytes; `vlan_tci` and `vlan_tpid` still describe it). Inner
    /// tags of QinQ frames are never removed. Filters always see the packet without the outer
    /// tag (use the VLAN ancillary loads). Default true.
    pub vlan_insert: bool,
    /// Bytes kept of each packet: the kernel copies no more into the ring (enforced through the
    /// filter's return value), `len` still gives the length on the wire. 0 (default): whole
    /// packets.
    pub snaplen: u32,
    /// Which clock stamps the packets: `PKT_TSTAMP_SOURCE_SOFTWARE` (default: the kernel's
    /// clock, as before this field existed), `PKT_TSTAMP_SOURCE_ADAPTER` or
    /// `PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED` (the network adapter's clock; see
    /// `pkt_tstamp_sources()` for what an interface offers and what `pkt_open` does). Another
    /// value is `-EINVAL`. `pkt_tstamp_valid()` says per packet which clock stamped it.
    pub tstamp_source: u8,
}

/// See `struct pkt_config`.
pub type pkt_config_t = pkt_config;

/// What is known about one captured packet.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct pkt_info {
    /// Capture time, seconds since the epoch (the kernel's software receive timestamp); with
    /// `PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED`, for packets the adapter stamped
    /// (`pkt_tstamp_valid(status)` 1), the adapter's clock, whose epoch is the adapter's.
    pub sec: i64,
    /// Nanoseconds; a multiple of 1000 with `PKT_TSTAMP_MICRO`.
    pub nsec: u32,
    /// Bytes available at `data`.
    pub caplen: u32,
    /// Length on the wire; `>= caplen`.
    pub len: u32,
    /// Index of the interface the packet was seen on.
    pub ifindex: i32,
    /// The ring's status word (`TP_STATUS_*`): see `pkt_tstamp_valid()`, `pkt_vlan_valid()`.
    pub status: u32,
    /// TPID of the VLAN tag the kernel removed from the bytes, valid when
    /// `pkt_vlan_valid(status)`.
    pub vlan_tpid: u16,
    /// TCI (priority, DEI, VLAN id) of that tag.
    pub vlan_tci: u16,
    /// Ethertype, host byte order.
    pub protocol: u16,
    /// ARPHRD_* of the interface the packet was seen on (772 for loopback).
    pub linktype: u16,
    /// `PKT_PACKET_*`: host, broadcast, multicast, other host, outgoing.
    pub pkttype: u8,
}

/// See `struct pkt_info`.
pub type pkt_info_t = pkt_info;

// The reader fills the caller's pkt_info_t directly as a handle::Info: same fields, same layout.
const _: () = {
    use crate::handle::Info;
    use std::mem::{offset_of, size_of};
    assert!(size_of::<Info>() == size_of::<pkt_info>());
    assert!(offset_of!(Info, sec) == offset_of!(pkt_info, sec));
    assert!(offset_of!(Info, nsec) == offset_of!(pkt_info, nsec));
    assert!(offset_of!(Info, caplen) == offset_of!(pkt_info, caplen));
    assert!(offset_of!(Info, len) == offset_of!(pkt_info, len));
    assert!(offset_of!(Info, ifindex) == offset_of!(pkt_info, ifindex));
    assert!(offset_of!(Info, status) == offset_of!(pkt_info, status));
    assert!(offset_of!(Info, vlan_tpid) == offset_of!(pkt_info, vlan_tpid));
    assert!(offset_of!(Info, vlan_tci) == offset_of!(pkt_info, vlan_tci));
    assert!(offset_of!(Info, protocol) == offset_of!(pkt_info, protocol));
    assert!(offset_of!(Info, linktype) == offset_of!(pkt_info, linktype));
    assert!(offset_of!(Info, pkttype) == offset_of!(pkt_info, pkttype));
};

/// One packet of a batch read: `data` points to `info.caplen` bytes in the ring.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pkt_packet {
    /// The packet's first byte; valid until the next read call on the handle.
    pub data: *const u8,
    /// What is known about the packet.
    pub info: pkt_info_t,
}

/// See `struct pkt_packet`.
pub type pkt_packet_t = pkt_packet;

/// One packet of a lean batch read (`pkt_read_slim()`): where its bytes are and how long it
/// was, nothing else (16 bytes, a third of `pkt_packet_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pkt_slim {
    /// The packet's first byte; valid until the next read call on the handle.
    pub data: *const u8,
    /// Bytes at `data` (after the snap length and a VLAN tag put back, as `pkt_info_t.caplen`).
    pub caplen: u32,
    /// Length on the wire (as `pkt_info_t.len`).
    pub len: u32,
}

/// See `struct pkt_slim`.
pub type pkt_slim_t = pkt_slim;

/// The callback of `pkt_dispatch()`: `user` as given, the packet's bytes (valid only during the
/// call) and its description.
pub type pkt_handler =
    Option<unsafe extern "C" fn(user: *mut c_void, data: *const u8, info: *const pkt_info_t)>;

/// One frame for `pkt_write_batch()`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pkt_frame {
    /// The frame's bytes, link-layer header included (unless the handle is cooked).
    pub data: *const c_void,
    /// Its length in bytes.
    pub len: usize,
}

/// See `struct pkt_frame`.
pub type pkt_frame_t = pkt_frame;

/// Packet counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct pkt_stats {
    /// Packets that passed the kernel filter and reached the socket, dropped ones included.
    pub recvs: u64,
    /// Packets dropped because the ring was full.
    pub drops: u64,
}

/// See `struct pkt_stats`.
pub type pkt_stats_t = pkt_stats;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_cargo() {
        assert_eq!(PKT_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(PKT_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(PKT_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    }

    #[test]
    fn constants_match_the_library() {
        assert_eq!(PKT_LINKTYPE_NONE, crate::handle::LINKTYPE_NONE);
        assert_eq!(PKT_LINKTYPE_ETHERNET, crate::handle::LINKTYPE_ETHERNET);
        assert_eq!(PKT_PROTO_ALL, crate::config::PROTO_ALL);
        assert_eq!(PKT_DIR_OUT, crate::Direction::Out as u8);
        assert_eq!(PKT_TSTAMP_MICRO, crate::TstampResolution::Micro as u8);
        assert_eq!(std::mem::size_of::<pkt_bpf_insn_t>(), 8);
    }
}

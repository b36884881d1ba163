//! What a read gives: a packet's description ([`Info`], laid out as the C API's `pkt_info_t`),
//! the packet itself ([`Packet`]) and the counters ([`Stats`]). A leaf: it imports only `sys`, so the ring walkers, the savefile writers and the handle all build on it without a
//! module cycle.

use crate::sys;

/// Everything known about a captured packet. Laid out as the C API's `pkt_info_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// Capture time: seconds since the epoch.
    pub sec: i64,
    /// Nanoseconds (a multiple of 1000 with micro resolution).
    pub nsec: u32,
    /// Bytes captured (the length of [`Packet::data`]).
    pub caplen: u32,
    /// Length on the wire.
    pub len: u32,
    pub ifindex: i32,
    /// The ring's status word (`TP_STATUS_*`).
    pub status: u32,
    /// Outer VLAN tag the kernel moved out of the bytes, if [`vlan_valid`] (status).
    pub vlan_tpid: u16,
    pub vlan_tci: u16,
    /// Ethertype, host byte order.
    pub protocol: u16,
    /// ARPHRD of the interface the packet was seen on.
    pub linktype: u16,
    /// `PACKET_HOST`, `PACKET_BROADCAST`, ..., `PACKET_OUTGOING`.
    pub pkttype: u8,
}

/// A packet in the ring (or, for the last one of a burst, in the handle's side buffer).
#[derive(Debug)]
pub struct Packet<'a> {
    pub data: &'a [u8],
    pub info: Info,
}

/// Packet counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets that passed the kernel filter and reached the socket (drops included).
    pub recvs: u64,
    /// Packets dropped for lack of ring space.
    pub drops: u64,
}

/// 0 for a kernel (software) timestamp, 1 for a hardware one, -1 when the status word says
/// neither.
pub fn tstamp_valid(status: u32) -> i8 {
    if status & sys::TP_STATUS_TS_RAW_HARDWARE != 0 {
        1
    } else if status & (sys::TP_STATUS_TS_SOFTWARE | sys::TP_STATUS_TS_SYS_HARDWARE) != 0 {
        0
    } else {
        -1
    }
}

/// True when the status word says the kernel moved a VLAN tag into the packet's metadata.
pub fn vlan_valid(status: u32) -> bool {
    status & sys::TP_STATUS_VLAN_VALID != 0
}

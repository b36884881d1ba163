//! What every packet handed out gets done to it after any filter ran ([`Post`]): the outer VLAN
//! tag the kernel took out goes back in front of the ethertype (link-layer captures), and the
//! snap length trims the bytes. The tag goes back in place, into the `PACKET_RESERVE` room in
//! front of the packet, so that nothing is copied.

use super::{Frame, Mapping};
use crate::sys;

/// What every packet handed out gets done to it after any filter ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Post {
    /// The status bit of packets whose outer VLAN tag goes back into the bytes (link-layer
    /// captures): `TP_STATUS_VLAN_VALID`, or 0 for none.
    pub tagged: u32,
    /// Most bytes handed out per packet (`u32::MAX`: no limit).
    pub snap: u32,
}

impl Post {
    /// The settings for a capture: `snaplen` 0 means whole packets.
    pub fn new(vlan_insert: bool, snaplen: u32) -> Post {
        Post {
            tagged: if vlan_insert { sys::TP_STATUS_VLAN_VALID } else { 0 },
            snap: if snaplen == 0 { u32::MAX } else { snaplen },
        }
    }

    /// Applies the settings to `f`, whose bytes are in `map` and ours. (The V3 block walk does
    /// the same inline, reading the tag from the ring header only for tagged packets.)
    #[inline(always)]
    pub(super) fn apply(&self, map: &Mapping, f: &mut Frame) {
        if f.status & self.tagged != 0 {
            (f.data_off, f.caplen, f.len) = insert_vlan(
                map,
                f.data_off,
                f.caplen,
                f.len,
                f.room,
                f.status,
                f.vlan_tci,
                f.vlan_tpid,
            );
        }
        f.caplen = f.caplen.min(self.snap);
    }
}

/// Where the Ethernet header's ethertype sits: the tag goes in front of it.
const ETH_TYPE_OFF: usize = 12;

/// Puts the outer VLAN tag the kernel took out back in front of the ethertype: the 12 address
/// bytes move 4 bytes back into the reserved room, the tag goes after them. Packets too short for
/// an Ethernet header, or without room in front (never with our `PACKET_RESERVE`), stay as they
/// are. Out of line for the loops, where tagged packets are the exception.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_vlan(
    map: &Mapping,
    data_off: usize,
    caplen: u32,
    len: u32,
    room: u16,
    status: u32,
    tci: u16,
    tpid: u16,
) -> (usize, u32, u32) {
    put_vlan(map, data_off, caplen, len, room, status, tci, tpid)
}

/// [`insert_vlan`] inline: it calls nothing and cannot panic (a range outside the mapping, which
/// the callers' checks rule out, leaves the packet as it is), so that `pkt_read`'s fast path
/// needs no call.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn put_vlan(
    map: &Mapping,
    data_off: usize,
    caplen: u32,
    len: u32,
    room: u16,
    status: u32,
    tci: u16,
    tpid: u16,
) -> (usize, u32, u32) {
    if (caplen as usize) < ETH_TYPE_OFF || room < 4 || data_off < 4 || data_off + ETH_TYPE_OFF > map.len() {
        return (data_off, caplen, len);
    }
    let tpid = if status & sys::TP_STATUS_VLAN_TPID_VALID != 0 {
        tpid
    } else {
        sys::ETH_P_8021Q
    };
    let mut tag = [0u8; 4];
    tag[..2].copy_from_slice(&tpid.to_be_bytes());
    tag[2..].copy_from_slice(&tci.to_be_bytes());
    let start = data_off - 4;
    // SAFETY: `start .. data_off + caplen` lies in the packet's slot (the parser checked the
    // bytes, `room` says the 4 bytes in front of them belong to the slot and hold no header; and
    // `start + ETH_TYPE_OFF + 4 <= map.len()`, checked above), the slot is ours, and no
    // reference to these bytes has been handed out yet.
    unsafe {
        let p = map.map.as_mut_ptr().add(start);
        std::ptr::copy(p.add(4), p, ETH_TYPE_OFF);
        std::ptr::copy_nonoverlapping(tag.as_ptr(), p.add(ETH_TYPE_OFF), 4);
    }
    (start, caplen + 4, len.saturating_add(4))
}

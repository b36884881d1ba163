//! What every packet handed out gets done to it after any filter ran ([`Post`]): the outer VLAN
//! tag the kernel took out goes back in front of the ethertype (link-layer captures), and the
//! snap length trims the bytes. The tag goes back in place, into the `PACKET_RESERVE` room in
//! front of the packet, so that nothing is copied.

use super::mapping::{Data, Span};
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
            let at = At {
                map,
                off: f.data_off,
                caplen: f.caplen,
            };
            let (at, len) = insert_vlan(at, f.len, f.room, f.status, f.vlan_tci, f.vlan_tpid);
            (f.data_off, f.caplen, f.len) = (at.off, at.caplen, len);
        }
        f.caplen = f.caplen.min(self.snap);
    }
}

/// Where the Ethernet header's ethertype sits: the tag goes in front of it.
const ETH_TYPE_OFF: usize = 12;

/// A packet's bytes in the ring that a tag can be put in front of: described by their offset in
/// the mapping ([`At`], for a [`Frame`]), or held in the V3 block being walked ([`Data`]).
pub(super) trait Tagged: Sized {
    /// The bytes once the tag went back, or did not.
    type Out;
    /// The number of bytes.
    fn caplen(&self) -> u32;
    /// Inserts `ins` after the first `head` bytes, which move 4 bytes back (the bytes then start
    /// 4 bytes earlier and are 4 longer); Err, with nothing changed, when the 4 bytes in front
    /// or the `head` bytes are not inside the mapping (the block, for [`Data`]).
    fn insert_at(self, head: usize, ins: [u8; 4]) -> Result<Self::Out, Self>;
    /// The bytes as they are.
    fn keep(self) -> Self::Out;
}

/// A [`Frame`]'s bytes: `caplen` of them at `off` in `map`.
pub(super) struct At<'a> {
    map: &'a Mapping,
    off: usize,
    caplen: u32,
}

impl Tagged for At<'_> {
    type Out = Self;
    #[inline(always)]
    fn caplen(&self) -> u32 {
        self.caplen
    }
    #[inline(always)]
    fn insert_at(self, head: usize, ins: [u8; 4]) -> Result<Self, Self> {
        if !self.map.insert_at(self.off, head, ins) {
            return Err(self);
        }
        Ok(At {
            off: self.off - 4,
            caplen: self.caplen + 4,
            ..self
        })
    }
    #[inline(always)]
    fn keep(self) -> Self {
        self
    }
}

impl<'a> Tagged for Data<'a> {
    type Out = Span<'a>;
    #[inline(always)]
    fn caplen(&self) -> u32 {
        self.len()
    }
    #[inline(always)]
    fn insert_at(self, head: usize, ins: [u8; 4]) -> Result<Span<'a>, Self> {
        Data::insert_at(self, head, ins)
    }
    #[inline(always)]
    fn keep(self) -> Span<'a> {
        self.span()
    }
}

/// Puts the outer VLAN tag the kernel took out back in front of the ethertype: the 12 address
/// bytes move 4 bytes back into the reserved room, the tag goes after them. Packets too short for
/// an Ethernet header, or without room in front (never with our `PACKET_RESERVE`), stay as they
/// are. Out of line for the loops, where tagged packets are the exception. Returns the bytes
/// and the length on the wire, both 4 longer when the tag went back.
#[cold]
#[inline(never)]
pub(super) fn insert_vlan<P: Tagged>(
    p: P,
    len: u32,
    room: u16,
    status: u32,
    tci: u16,
    tpid: u16,
) -> (P::Out, u32) {
    put_vlan(p, len, room, status, tci, tpid)
}

/// [`insert_vlan`] inline: it calls nothing and cannot panic (a range outside the mapping, which
/// the callers' checks rule out, leaves the packet as it is), so that `pkt_read`'s fast path
/// needs no call.
#[inline(always)]
pub(super) fn put_vlan<P: Tagged>(
    p: P,
    len: u32,
    room: u16,
    status: u32,
    tci: u16,
    tpid: u16,
) -> (P::Out, u32) {
    // `room` says how many bytes in front of the data belong to the slot and hold no header.
    if (p.caplen() as usize) < ETH_TYPE_OFF || room < 4 {
        return (p.keep(), len);
    }
    let tpid = if status & sys::TP_STATUS_VLAN_TPID_VALID != 0 {
        tpid
    } else {
        sys::ETH_P_8021Q
    };
    let mut tag = [0u8; 4];
    tag[..2].copy_from_slice(&tpid.to_be_bytes());
    tag[2..].copy_from_slice(&tci.to_be_bytes());
    match p.insert_at(ETH_TYPE_OFF, tag) {
        Ok(p) => (p, len.saturating_add(4)),
        Err(p) => (p.keep(), len),
    }
}

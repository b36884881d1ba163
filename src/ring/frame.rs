//! What describing a packet needs: [`Frame`], a packet's header fields copied out of the ring
//! (the general read path and TPACKET_V2), and [`Describe`], the interface the readers fill a
//! packet's description through, implemented by a [`Frame`] and by
//! [`V3View`](super::V3View), which loads each field from the ring header where it is used.

/// One packet in the ring, described by offsets and copies of its header fields, so that
/// describing it borrows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Frame {
    /// Offset of the first data byte in the mapping.
    pub data_off: usize,
    pub caplen: u32,
    pub len: u32,
    pub sec: u32,
    pub nsec: u32,
    pub status: u32,
    /// Offset of the network header relative to the data.
    pub net_off: u32,
    pub rxhash: u32,
    pub vlan_tci: u16,
    pub vlan_tpid: u16,
    pub ifindex: i32,
    pub protocol: u16,
    pub hatype: u16,
    pub pkttype: u8,
    /// The link-layer address length and bytes of the `sockaddr_ll` (`sll_halen`, `sll_addr`).
    pub halen: u8,
    pub addr: [u8; 8],
    /// This packet is the last of its slot: the slot goes back to the kernel at the next call.
    pub last_in_slot: bool,
    /// Bytes of the slot in front of the data that hold no header (the `PACKET_RESERVE` room).
    pub room: u16,
}

/// What describing a packet needs, whether kept in a [`Frame`] or read from the ring header as
/// needed ([`V3View`](super::V3View)).
pub trait Describe {
    fn sec(&self) -> u32;
    fn nsec(&self) -> u32;
    fn caplen(&self) -> u32;
    fn len(&self) -> u32;
    fn status(&self) -> u32;
    fn vlan_tci(&self) -> u16;
    fn vlan_tpid(&self) -> u16;
    fn ifindex(&self) -> i32;
    fn protocol(&self) -> u16;
    fn hatype(&self) -> u16;
    fn pkttype(&self) -> u8;
    /// `hatype` in the low 16 bits, `pkttype` in the next 8 (the top 8 bits are whatever follows
    /// them in the source: what [`put_link`](super::put_link) writes into the padding after `pkttype`).
    #[inline(always)]
    fn link(&self) -> u32 {
        self.hatype() as u32 | (self.pkttype() as u32) << 16
    }
    /// Offset of the first data byte in the mapping.
    fn data_off(&self) -> usize;
    fn last_in_slot(&self) -> bool;
    /// The `sockaddr_ll`'s address length and (up to 8) address bytes: for a cooked capture,
    /// the source of the link-layer header the kernel removed.
    fn link_addr(&self) -> (u8, [u8; 8]);
}

impl Describe for Frame {
    #[inline(always)]
    fn link_addr(&self) -> (u8, [u8; 8]) {
        (self.halen, self.addr)
    }
    #[inline(always)]
    fn sec(&self) -> u32 {
        self.sec
    }
    #[inline(always)]
    fn nsec(&self) -> u32 {
        self.nsec
    }
    #[inline(always)]
    fn caplen(&self) -> u32 {
        self.caplen
    }
    #[inline(always)]
    fn len(&self) -> u32 {
        self.len
    }
    #[inline(always)]
    fn status(&self) -> u32 {
        self.status
    }
    #[inline(always)]
    fn vlan_tci(&self) -> u16 {
        self.vlan_tci
    }
    #[inline(always)]
    fn vlan_tpid(&self) -> u16 {
        self.vlan_tpid
    }
    #[inline(always)]
    fn ifindex(&self) -> i32 {
        self.ifindex
    }
    #[inline(always)]
    fn protocol(&self) -> u16 {
        self.protocol
    }
    #[inline(always)]
    fn hatype(&self) -> u16 {
        self.hatype
    }
    #[inline(always)]
    fn pkttype(&self) -> u8 {
        self.pkttype
    }
    #[inline(always)]
    fn data_off(&self) -> usize {
        self.data_off
    }
    #[inline(always)]
    fn last_in_slot(&self) -> bool {
        self.last_in_slot
    }
}

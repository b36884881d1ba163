//! pcap link types (the `LINKTYPE_*` values written in savefiles) and the mapping from Linux
//! interface types (`ARPHRD_*`) to them.
//!
//! The mapping follows what libpcap does on Linux, with one difference: libpkt opens every
//! interface that is not Ethernet (or loopback) in cooked mode, so for a live handle the only
//! link types that occur are `EN10MB` and the cooked ones. The table below is for callers that
//! capture with other tools or build packets themselves.

/// BSD loopback: a 4-byte address family in host byte order, then the packet.
pub const NULL: u16 = 0;
/// Ethernet (and Linux loopback, which carries Ethernet headers).
pub const EN10MB: u16 = 1;
/// Experimental 3 Mb Ethernet.
pub const EN3MB: u16 = 2;
/// ProNET token ring.
pub const PRONET: u16 = 4;
/// Chaosnet.
pub const CHAOS: u16 = 5;
/// IEEE 802.5 token ring.
pub const IEEE802_5: u16 = 6;
/// FDDI.
pub const FDDI: u16 = 10;
/// The DLT value of raw IP on Linux; files say [`RAW`] instead.
pub const DLT_RAW_ALIAS: u16 = 12;
/// Raw IP: the packet starts with an IPv4 or IPv6 header.
pub const RAW: u16 = 101;
/// Cisco HDLC.
pub const C_HDLC: u16 = 104;
/// IEEE 802.11 without radio information.
pub const IEEE802_11: u16 = 105;
/// Frame Relay.
pub const FRELAY: u16 = 107;
/// Linux cooked capture v1: a 16-byte header in front of the network-layer packet.
pub const LINUX_SLL: u16 = 113;
/// LocalTalk.
pub const LTALK: u16 = 114;
/// IEEE 802.11 with a Prism monitor-mode header.
pub const PRISM_HEADER: u16 = 119;
/// IEEE 802.11 with a radiotap header.
pub const IEEE802_11_RADIOTAP: u16 = 127;
/// ARCnet, Linux style.
pub const ARCNET_LINUX: u16 = 129;
/// The first of the sixteen link types reserved for private use (USER0..USER15).
pub const USER0: u16 = 147;
/// The last private-use link type.
pub const USER15: u16 = 162;
/// AX.25 in KISS framing.
pub const AX25_KISS: u16 = 202;
/// Fibre Channel FC-2 frames.
pub const FC_2: u16 = 224;
/// SocketCAN frames.
pub const CAN_SOCKETCAN: u16 = 227;
/// Raw IPv4.
pub const IPV4: u16 = 228;
/// Raw IPv6.
pub const IPV6: u16 = 229;
/// IEEE 802.15.4 without FCS.
pub const IEEE802_15_4_NOFCS: u16 = 230;
/// Linux netlink (nlmon).
pub const NETLINK: u16 = 253;
/// Linux vsock monitoring.
pub const VSOCK: u16 = 271;
/// Linux cooked capture v2: a 20-byte header with the interface index.
pub const LINUX_SLL2: u16 = 276;

/// Length of the Linux cooked capture v1 header.
pub const SLL_HDR_LEN: usize = 16;
/// Length of the Linux cooked capture v2 header.
pub const SLL2_HDR_LEN: usize = 20;

// linux/if_arp.h
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_EETHER: u16 = 2;
const ARPHRD_AX25: u16 = 3;
const ARPHRD_PRONET: u16 = 4;
const ARPHRD_CHAOS: u16 = 5;
const ARPHRD_IEEE802: u16 = 6;
const ARPHRD_ARCNET: u16 = 7;
const ARPHRD_DLCI: u16 = 15;
const ARPHRD_METRICOM: u16 = 23;
const ARPHRD_SLIP: u16 = 256;
const ARPHRD_CSLIP: u16 = 257;
const ARPHRD_SLIP6: u16 = 258;
const ARPHRD_CSLIP6: u16 = 259;
const ARPHRD_ADAPT: u16 = 264;
const ARPHRD_CAN: u16 = 280;
const ARPHRD_PPP: u16 = 512;
const ARPHRD_CISCO: u16 = 513;
const ARPHRD_RAWHDLC: u16 = 518;
const ARPHRD_RAWIP: u16 = 519;
const ARPHRD_TUNNEL: u16 = 768;
const ARPHRD_TUNNEL6: u16 = 769;
const ARPHRD_FRAD: u16 = 770;
const ARPHRD_LOOPBACK: u16 = 772;
const ARPHRD_LOCALTLK: u16 = 773;
const ARPHRD_FDDI: u16 = 774;
const ARPHRD_SIT: u16 = 776;
const ARPHRD_FCPP: u16 = 784;
const ARPHRD_FCAL: u16 = 785;
const ARPHRD_FCPL: u16 = 786;
const ARPHRD_FCFABRIC: u16 = 787;
const ARPHRD_IEEE802_TR: u16 = 800;
const ARPHRD_IEEE80211: u16 = 801;
const ARPHRD_IEEE80211_PRISM: u16 = 802;
const ARPHRD_IEEE80211_RADIOTAP: u16 = 803;
const ARPHRD_IEEE802154: u16 = 804;
const ARPHRD_NETLINK: u16 = 824;
const ARPHRD_VSOCKMON: u16 = 826;
const ARPHRD_NONE: u16 = 0xfffe;

/// The link type of packets captured on an interface of type `arphrd`.
///
/// `cooked` (a SOCK_DGRAM capture: no link-layer header in the data) gives [`LINUX_SLL2`],
/// whose header the dumper builds from the packet's metadata. So does an `arphrd` without a
/// pcap equivalent, and 0xffff (`PKT_LINKTYPE_NONE`, all interfaces): libpcap falls back to
/// cooked mode for such interfaces, and libpkt opens every interface that is not Ethernet
/// cooked anyway.
pub fn dlt_of(arphrd: u16, cooked: bool) -> u16 {
    if cooked {
        return LINUX_SLL2;
    }
    match arphrd {
        ARPHRD_ETHER | ARPHRD_LOOPBACK | ARPHRD_METRICOM => EN10MB,
        ARPHRD_EETHER => EN3MB,
        ARPHRD_AX25 => AX25_KISS,
        ARPHRD_PRONET => PRONET,
        ARPHRD_CHAOS => CHAOS,
        ARPHRD_IEEE802 | ARPHRD_IEEE802_TR => IEEE802_5,
        ARPHRD_ARCNET => ARCNET_LINUX,
        ARPHRD_FDDI => FDDI,
        ARPHRD_IEEE80211 => IEEE802_11,
        ARPHRD_IEEE80211_PRISM => PRISM_HEADER,
        ARPHRD_IEEE80211_RADIOTAP => IEEE802_11_RADIOTAP,
        ARPHRD_IEEE802154 => IEEE802_15_4_NOFCS,
        ARPHRD_CISCO => C_HDLC,
        ARPHRD_FRAD => FRELAY,
        ARPHRD_LOCALTLK => LTALK,
        ARPHRD_FCPP | ARPHRD_FCAL | ARPHRD_FCPL | ARPHRD_FCFABRIC => FC_2,
        ARPHRD_CAN => CAN_SOCKETCAN,
        ARPHRD_NETLINK => NETLINK,
        ARPHRD_VSOCKMON => VSOCK,
        // No link-layer header at all: the data is an IP packet.
        ARPHRD_NONE | ARPHRD_RAWIP | ARPHRD_PPP | ARPHRD_TUNNEL | ARPHRD_TUNNEL6 | ARPHRD_SIT
        | ARPHRD_SLIP | ARPHRD_CSLIP | ARPHRD_SLIP6 | ARPHRD_CSLIP6 | ARPHRD_ADAPT | ARPHRD_RAWHDLC
        | ARPHRD_DLCI => RAW,
        _ => LINUX_SLL2,
    }
}

/// The link type to write for `linktype` as given to a dumper, or None when the dumper does not
/// know it. The DLT value of raw IP (12) becomes the file value (101).
pub fn normalize(linktype: u16) -> Option<u16> {
    let known = matches!(
        linktype,
        NULL | EN10MB
            | EN3MB
            | PRONET
            | CHAOS
            | IEEE802_5
            | FDDI
            | RAW
            | C_HDLC
            | IEEE802_11
            | FRELAY
            | LINUX_SLL
            | LTALK
            | PRISM_HEADER
            | IEEE802_11_RADIOTAP
            | ARCNET_LINUX
            | USER0
            ..=USER15
                | AX25_KISS
                | FC_2
                | CAN_SOCKETCAN
                | IPV4
                | IPV6
                | IEEE802_15_4_NOFCS
                | NETLINK
                | VSOCK
                | LINUX_SLL2
    );
    match linktype {
        DLT_RAW_ALIAS => Some(RAW),
        l if known => Some(l),
        _ => None,
    }
}

/// Length of the header a dumper builds in front of the data for `linktype` (cooked captures).
pub fn built_header_len(linktype: u16) -> usize {
    match linktype {
        LINUX_SLL => SLL_HDR_LEN,
        LINUX_SLL2 => SLL2_HDR_LEN,
        _ => 0,
    }
}

/// What the cooked headers say about a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CookedMeta {
    pub pkttype: u8,
    pub hatype: u16,
    pub protocol: u16,
    pub ifindex: i32,
}

/// The 16-byte Linux cooked capture v1 header: packet type, ARPHRD, address length (0: the
/// address is not known), 8 address bytes, protocol; all big endian.
pub(crate) fn sll_header(m: &CookedMeta) -> [u8; SLL_HDR_LEN] {
    let mut h = [0u8; SLL_HDR_LEN];
    h[0..2].copy_from_slice(&u16::from(m.pkttype).to_be_bytes());
    h[2..4].copy_from_slice(&m.hatype.to_be_bytes());
    // 4..6 address length 0, 6..14 address: zero
    h[14..16].copy_from_slice(&m.protocol.to_be_bytes());
    h
}

/// The 20-byte Linux cooked capture v2 header: protocol, reserved, interface index, ARPHRD,
/// packet type, address length (0), 8 address bytes; all big endian.
pub(crate) fn sll2_header(m: &CookedMeta) -> [u8; SLL2_HDR_LEN] {
    let mut h = [0u8; SLL2_HDR_LEN];
    h[0..2].copy_from_slice(&m.protocol.to_be_bytes());
    // 2..4 reserved
    h[4..8].copy_from_slice(&m.ifindex.to_be_bytes());
    h[8..10].copy_from_slice(&m.hatype.to_be_bytes());
    h[10] = m.pkttype;
    // 11 address length 0, 12..20 address: zero
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arphrd_mapping() {
        assert_eq!(dlt_of(ARPHRD_ETHER, false), EN10MB);
        assert_eq!(dlt_of(ARPHRD_LOOPBACK, false), EN10MB);
        assert_eq!(dlt_of(ARPHRD_NONE, false), RAW);
        assert_eq!(dlt_of(ARPHRD_RAWIP, false), RAW);
        assert_eq!(dlt_of(ARPHRD_PPP, false), RAW);
        assert_eq!(dlt_of(ARPHRD_IEEE80211, false), IEEE802_11);
        assert_eq!(dlt_of(ARPHRD_IEEE80211_RADIOTAP, false), 127);
        assert_eq!(dlt_of(ARPHRD_CAN, false), CAN_SOCKETCAN);
        // cooked, unknown and "all interfaces" are cooked v2
        assert_eq!(dlt_of(ARPHRD_ETHER, true), LINUX_SLL2);
        assert_eq!(dlt_of(ARPHRD_NONE, true), LINUX_SLL2);
        assert_eq!(dlt_of(32, false), LINUX_SLL2); // InfiniBand
        assert_eq!(dlt_of(0xffff, false), LINUX_SLL2);
    }

    #[test]
    fn every_mapped_linktype_is_writable() {
        for a in 0..=u16::MAX {
            for cooked in [false, true] {
                let l = dlt_of(a, cooked);
                assert_eq!(normalize(l), Some(l), "arphrd {a} -> {l}");
            }
        }
    }

    #[test]
    fn normalize_aliases_and_rejects() {
        assert_eq!(normalize(12), Some(RAW));
        assert_eq!(normalize(101), Some(RAW));
        assert_eq!(normalize(150), Some(150));
        assert_eq!(normalize(LINUX_SLL2), Some(LINUX_SLL2));
        assert_eq!(normalize(3), None);
        assert_eq!(normalize(0xffff), None);
        assert_eq!(normalize(277), None);
    }

    #[test]
    fn cooked_headers() {
        let m = CookedMeta {
            pkttype: 4,
            hatype: 772,
            protocol: 0x0800,
            ifindex: 0x01020304,
        };
        assert_eq!(
            sll_header(&m),
            [0, 4, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]
        );
        assert_eq!(
            sll2_header(&m),
            [0x08, 0x00, 0, 0, 1, 2, 3, 4, 0x03, 0x04, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(built_header_len(LINUX_SLL), 16);
        assert_eq!(built_header_len(LINUX_SLL2), 20);
        assert_eq!(built_header_len(EN10MB), 0);
    }
}

//! Link types with a fixed-length header that libpcap's generator knows by their offsets and a
//! few tests of their own (issue 15): serial IP and PPP variants (SLIP, BSD/OS's SLIP and PPP,
//! pppd's PPP), LLC-encapsulated ATM (RFC 1483, Linux's CLIP), IP over Fibre Channel, OpenBSD's
//! `enc`, LocalTalk, Frame Relay, IP over FireWire, Symantec's firewall, Juniper's link types
//! (a cookie with the magic `MGC` and a direction flag), BACnet MS/TP, Solaris' IPNET, Hilscher's
//! netANALYZER (Ethernet after a 4- or 12-byte pseudo-header) and the SS7 link types (MTP2, MTP2
//! with a pseudo-header, ERF), whose keywords are in `mtp.rs`.
//!
//! Each is libpcap 1.10.3's `init_linktype` case (the offsets of the link-layer type field,
//! the payload and the network layer) and its arms in `gen_linktype`, `gen_inbound`,
//! `gen_llc_internal`, `gen_proto` and the MAC address functions. Offsets libpcap leaves
//! "not set" (`OFFSET_NOT_SET`, all ones) are kept as such, with the same wrapping arithmetic.

//!
//! A child module of `gen` (declared there with `#[path]`), as `legacy.rs`.

use super::*;

pub(super) const DLT_SLIP: u16 = 8;
pub(super) const DLT_ATM_RFC1483: u16 = 11;
pub(super) const DLT_SLIP_BSDOS: u16 = 15;
pub(super) const DLT_PPP_BSDOS: u16 = 16;
pub(super) const DLT_ATM_CLIP: u16 = 19;
pub(super) const DLT_SYMANTEC_FIREWALL: u16 = 99;
pub(super) const DLT_FRELAY: u16 = 107;
pub(super) const DLT_ENC: u16 = 109;
pub(super) const DLT_LTALK: u16 = 114;
pub(super) const DLT_IP_OVER_FC: u16 = 122;
pub(super) const DLT_APPLE_IP_OVER_IEEE1394: u16 = 138;
pub(super) const DLT_MTP2_WITH_PHDR: u16 = 139;
pub(super) const DLT_MTP2: u16 = 140;
pub(super) const DLT_BACNET_MS_TP: u16 = 165;
pub(super) const DLT_PPP_PPPD: u16 = 166;
pub(super) const DLT_MFR: u16 = 182;
pub(super) const DLT_ERF: u16 = 197;
pub(super) const DLT_IPNET: u16 = 226;
pub(super) const DLT_NETANALYZER: u16 = 240;
pub(super) const DLT_NETANALYZER_TRANSPARENT: u16 = 241;

/// Juniper's link types (DLT_JUNIPER_*), every one with the same cookie check.
pub(super) const JUNIPER: [u16; 22] = [
    130, 131, 132, 133, 134, 135, 136, 137, 164, 167, 168, 178, 179, 180, 181, 183, 194, 200, 232, 233, 234,
    238,
];

/// libpcap's `OFFSET_NOT_SET`.
const NOT_SET: u32 = u32::MAX;

/// Offsets of a link type of this family, as libpcap's `init_linktype` sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Layout {
    /// The link-layer header (after a pseudo-header: netANALYZER).
    pub hdr: u32,
    /// The link-layer type field, if the header has one.
    pub linktype: Option<u32>,
    pub payload: u32,
    pub nl: u32,
    pub nl_nosnap: u32,
}

const fn lay(linktype: Option<u32>, payload: u32, nl: u32, nl_nosnap: u32) -> Layout {
    Layout {
        hdr: 0,
        linktype,
        payload,
        nl,
        nl_nosnap,
    }
}

/// The layout of `dlt`, if it is one of this family.
pub(super) fn layout(dlt: u16) -> Option<Layout> {
    Some(match dlt {
        DLT_SLIP => lay(None, 16, 0, 0),
        DLT_SLIP_BSDOS => lay(None, 24, 0, 0),
        DLT_PPP_BSDOS => lay(Some(5), 24, 0, 0),
        DLT_PPP_PPPD => lay(Some(2), 4, 0, 0),
        DLT_ATM_RFC1483 | DLT_ATM_CLIP => lay(Some(0), 0, 8, 3),
        DLT_SYMANTEC_FIREWALL => lay(Some(6), 44, 0, 0),
        DLT_FRELAY | DLT_LTALK => lay(None, 0, 0, 0),
        DLT_MFR => lay(None, 0, 4, 0),
        DLT_ENC => lay(Some(0), 12, 0, 0),
        DLT_IP_OVER_FC => lay(Some(16), 16, 8, 3),
        DLT_APPLE_IP_OVER_IEEE1394 => lay(Some(16), 18, 0, 0),
        DLT_MTP2 | DLT_MTP2_WITH_PHDR | DLT_ERF | DLT_BACNET_MS_TP => lay(None, NOT_SET, NOT_SET, NOT_SET),
        DLT_IPNET => lay(Some(1), 24, 0, NOT_SET),
        DLT_NETANALYZER => Layout {
            hdr: 4,
            ..lay(Some(16), 18, 0, 3)
        },
        DLT_NETANALYZER_TRANSPARENT => Layout {
            hdr: 12,
            ..lay(Some(24), 26, 0, 3)
        },
        // Juniper: a cookie in front of the frame.
        130 | 131 | 134 | 179 | 180 | 181 => lay(Some(4), 4, 0, NOT_SET),
        137 => lay(Some(4), 4, 0, 10),
        135 => lay(Some(8), 8, 0, 10),
        167 | 178 => lay(Some(16), 14, 18, 21),
        168 => lay(Some(4), 6, 0, NOT_SET),
        133 => lay(Some(6), 12, 0, NOT_SET),
        132 => lay(Some(6), NOT_SET, NOT_SET, NOT_SET),
        164 => lay(Some(12), 12, 0, NOT_SET),
        136 => lay(Some(12), NOT_SET, NOT_SET, NOT_SET),
        183 | 200 => lay(Some(18), NOT_SET, NOT_SET, NOT_SET),
        194 | 232 | 233 | 234 | 238 => lay(Some(8), NOT_SET, NOT_SET, NOT_SET),
        _ => return None,
    })
}

/// Whether `dlt` is netANALYZER's Ethernet (libpcap treats it as DLT_EN10MB after its
/// pseudo-header nearly everywhere).
pub(super) fn is_netanalyzer(link: Link) -> bool {
    matches!(link, Link::Fixed(DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT))
}

impl Gen {
    /// `gen_linktype` on a link type of this family (not netANALYZER, which is Ethernet's).
    pub(super) fn fixed_linktype(&mut self, dlt: u16, p: u32) -> GResult<Node> {
        match dlt {
            // The IP version nibble, as raw IP.
            DLT_SLIP | DLT_SLIP_BSDOS => match p {
                ETHERTYPE_IP => self.mcmp(Rel::LinkHdr, 0, BPF_B, 0x40, 0xf0),
                ETHERTYPE_IPV6 => self.mcmp(Rel::LinkHdr, 0, BPF_B, 0x60, 0xf0),
                _ => Ok(Node::Const(false)),
            },
            DLT_PPP_PPPD => self.cmp(Rel::LinkType, 0, BPF_H, ethertype_to_ppptype(p)),
            DLT_PPP_BSDOS => match p {
                ETHERTYPE_IP => {
                    // PPP_IP, Van Jacobson compressed and uncompressed TCP/IP.
                    let b0 = self.cmp(Rel::LinkType, 0, BPF_H, 0x21)?;
                    let b1 = self.cmp(Rel::LinkType, 0, BPF_H, 0x2d)?;
                    let b1 = Node::or(b0, b1);
                    let b0 = self.cmp(Rel::LinkType, 0, BPF_H, 0x2f)?;
                    Ok(Node::or(b1, b0))
                }
                _ => self.cmp(Rel::LinkType, 0, BPF_H, ethertype_to_ppptype(p)),
            },
            DLT_ATM_RFC1483 | DLT_ATM_CLIP | DLT_IP_OVER_FC => self.llc_linktype(p),
            // OpenBSD's enc: the address family, in the host's byte order as DLT_NULL's.
            DLT_ENC => match p {
                ETHERTYPE_IP => self.loopback_linktype(2),
                ETHERTYPE_IPV6 if self.savefile => {
                    let b0 = self.loopback_linktype(24)?;
                    let b1 = self.loopback_linktype(28)?;
                    let b1 = Node::or(b0, b1);
                    let b0 = self.loopback_linktype(30)?;
                    Ok(Node::or(b0, b1))
                }
                ETHERTYPE_IPV6 => self.loopback_linktype(10),
                _ => Ok(Node::Const(false)),
            },
            DLT_LTALK => Ok(Node::Const(p == ETHERTYPE_ATALK)),
            // The frame control field (UI, 0x03) and the NLPID after the 2-byte address.
            DLT_FRELAY => match p {
                ETHERTYPE_IP => self.cmp(Rel::LinkHdr, 2, BPF_H, 0x03cc),
                ETHERTYPE_IPV6 => self.cmp(Rel::LinkHdr, 2, BPF_H, 0x038e),
                LLCSAP_ISONS => {
                    let b0 = self.cmp(Rel::LinkHdr, 2, BPF_H, 0x0381)?;
                    let b1 = self.cmp(Rel::LinkHdr, 2, BPF_H, 0x0382)?;
                    let b2 = self.cmp(Rel::LinkHdr, 2, BPF_H, 0x0383)?;
                    let b2 = Node::or(b1, b2);
                    Ok(Node::or(b0, b2))
                }
                _ => Ok(Node::Const(false)),
            },
            DLT_MFR => Err("Multi-link Frame Relay link-layer type filtering not implemented".into()),
            d if JUNIPER.contains(&d) => {
                // Only the magic number of the cookie ("MGC").
                self.mcmp(Rel::LinkHdr, 0, BPF_W, 0x4d47_4300, 0xffff_ff00)
            }
            DLT_BACNET_MS_TP => self.mcmp(Rel::LinkHdr, 0, BPF_W, 0x55ff_0000, 0xffff_0000),
            DLT_IPNET => match p {
                ETHERTYPE_IP => self.cmp(Rel::LinkType, 0, BPF_B, 2),
                ETHERTYPE_IPV6 => self.cmp(Rel::LinkType, 0, BPF_B, 26),
                _ => Ok(Node::Const(false)),
            },
            DLT_MTP2 | DLT_MTP2_WITH_PHDR => Err("MTP2 link-layer type filtering not implemented".into()),
            DLT_ERF => Err("ERF link-layer type filtering not implemented".into()),
            // A type field libpcap takes for an Ethertype.
            _ if self.off_linktype.is_some() => self.cmp(Rel::LinkType, 0, BPF_H, p),
            _ => Err(format!(
                "{} link-layer type filtering not implemented",
                self.link_desc()
            )),
        }
    }

    /// `gen_inbound`'s arms for this family; `None` for libpcap's default (the kernel's
    /// packet type).
    pub(super) fn fixed_inbound(&mut self, dlt: u16, outbound: bool) -> Option<GResult<Node>> {
        Some(match dlt {
            // link[0] == 0 (not reversed) for inbound, != 0 for outbound.
            DLT_SLIP => {
                let load = Arth::Load {
                    proto: Proto::Link,
                    index: Box::new(Arth::Num(0)),
                    size: 1,
                    pos: 0,
                };
                self.relation(JEQ, &load, &Arth::Num(0), outbound)
                    .map_err(|(_, m)| m)
            }
            DLT_IPNET => self.cmp(Rel::LinkHdr, 2, BPF_H, if outbound { 1 } else { 2 }),
            DLT_PPP_PPPD => self.cmp(Rel::LinkHdr, 0, BPF_B, if outbound { 1 } else { 0 }),
            d if JUNIPER.contains(&d) => {
                self.mcmp(Rel::LinkHdr, 3, BPF_B, if outbound { 0 } else { 1 }, 0x01)
            }
            _ => return None,
        })
    }

    /// `iso proto N` on Frame Relay: the NLPID right after the address and a UI control field.
    pub(super) fn frelay_iso_proto(&mut self, v: u32) -> GResult<Node> {
        self.cmp(Rel::LinkHdr, 2, BPF_H, (0x03 << 8) | v)
    }

    /// IP over Fibre Channel's MAC addresses: destination at 2, source at 10.
    pub(super) fn ipfc_host(&mut self, mac: &[u8], dir: Dir) -> GResult<Node> {
        self.machostop(mac, dir, 10, 2)
    }
}

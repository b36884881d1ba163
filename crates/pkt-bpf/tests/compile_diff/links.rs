//! The packet corpus framed for the link types beyond Ethernet, cooked and raw IP (issue 15):
//! every Ethernet frame of the corpus with its link-layer header replaced by the link type's,
//! the protocol mapped to the link type's field (PPP protocol numbers, address families,
//! ARCNET types, LLC/SNAP for 802.x), addresses kept where the link type has MAC addresses, and
//! truncations of the new headers. Deterministic: the same frames give the same corpus.

use super::packets::Packet;
use pkt_bpf::Meta;

#[path = "links_wlan.rs"]
mod wlan;
pub use wlan::{
    DLT_IEEE802_11, DLT_IEEE802_11_RADIO, DLT_IEEE802_11_RADIO_AVS, DLT_PFLOG, DLT_PPI, DLT_PRISM_HEADER,
};

/// pcap link types (DLT values on Linux) framed here.
pub const DLT_NULL: u16 = 0;
pub const DLT_IEEE802: u16 = 6;
pub const DLT_ARCNET: u16 = 7;
pub const DLT_PPP: u16 = 9;
pub const DLT_FDDI: u16 = 10;
pub const DLT_RAW_OPENBSD: u16 = 14;
pub const DLT_PPP_SERIAL: u16 = 50;
pub const DLT_PPP_ETHER: u16 = 51;
pub const DLT_C_HDLC: u16 = 104;
pub const DLT_SUNATM: u16 = 123;
pub const DLT_LOOP: u16 = 108;
pub const DLT_ARCNET_LINUX: u16 = 129;
/// DLT_USER0: a link type of the "matching" range libpcap knows nothing about.
pub const DLT_USER0: u16 = 147;
/// DLT_USB_LINUX: one of the matching range whose filtering libpcap refuses by name.
pub const DLT_USB_LINUX: u16 = 189;
pub const DLT_MPLS: u16 = 219;
pub const DLT_IPV4: u16 = 228;
pub const DLT_IPV6: u16 = 229;
pub const DLT_NFLOG: u16 = 239;
pub const DLT_SLIP: u16 = 8;
pub const DLT_ATM_RFC1483: u16 = 11;
pub const DLT_PPP_BSDOS: u16 = 16;
pub const DLT_FRELAY: u16 = 107;
pub const DLT_ENC: u16 = 109;
pub const DLT_IP_OVER_FC: u16 = 122;
pub const DLT_MTP2: u16 = 140;
pub const DLT_PPP_PPPD: u16 = 166;
pub const DLT_JUNIPER_ETHER: u16 = 178;
pub const DLT_IPNET: u16 = 226;
pub const DLT_NETANALYZER: u16 = 240;
pub const DLT_NETANALYZER_TRANSPARENT: u16 = 241;

/// libpcap's name of each link type, for reports.
pub fn name(lt: u16) -> Option<&'static str> {
    Some(match lt {
        DLT_NULL => "NULL",
        DLT_IEEE802 => "IEEE802",
        DLT_ARCNET => "ARCNET",
        DLT_PPP => "PPP",
        DLT_FDDI => "FDDI",
        DLT_RAW_OPENBSD => "RAW(14)",
        DLT_PPP_SERIAL => "PPP_SERIAL",
        DLT_PPP_ETHER => "PPP_ETHER",
        DLT_C_HDLC => "C_HDLC",
        DLT_SUNATM => "SUNATM",
        DLT_LOOP => "LOOP",
        DLT_ARCNET_LINUX => "ARCNET_LINUX",
        DLT_USER0 => "USER0",
        DLT_USB_LINUX => "USB_LINUX",
        DLT_MPLS => "MPLS",
        DLT_IPV4 => "IPV4",
        DLT_IPV6 => "IPV6",
        DLT_NFLOG => "NFLOG",
        DLT_SLIP => "SLIP",
        DLT_ATM_RFC1483 => "ATM_RFC1483",
        DLT_PPP_BSDOS => "PPP_BSDOS",
        DLT_FRELAY => "FRELAY",
        DLT_ENC => "ENC",
        DLT_IP_OVER_FC => "IP_OVER_FC",
        DLT_MTP2 => "MTP2",
        DLT_PPP_PPPD => "PPP_PPPD",
        DLT_JUNIPER_ETHER => "JUNIPER_ETHER",
        DLT_IPNET => "IPNET",
        DLT_NETANALYZER => "NETANALYZER",
        DLT_NETANALYZER_TRANSPARENT => "NETANALYZER_TRANSPARENT",
        other => return wlan::name(other),
    })
}

/// What an Ethernet frame carries: its Ethertype (or 802.3 length), addresses and payload.
struct Parts<'a> {
    dst: [u8; 6],
    src: [u8; 6],
    et: u16,
    payload: &'a [u8],
    /// Wire length of the payload.
    wire: u32,
}

fn parts(p: &Packet) -> Option<Parts<'_>> {
    let d = &p.data;
    if d.len() < 14 {
        return None;
    }
    Some(Parts {
        dst: d[..6].try_into().unwrap(),
        src: d[6..12].try_into().unwrap(),
        et: u16::from_be_bytes([d[12], d[13]]),
        payload: &d[14..],
        wire: p.wirelen - 14,
    })
}

/// The PPP protocol of a frame's payload (libpcap's ethertype_to_ppptype and a few more).
fn ppp_proto(et: u16, payload: &[u8]) -> u16 {
    match et {
        0x0800 => 0x0021,
        0x86dd => 0x0057,
        0x8847 => 0x0281,
        0x8848 => 0x0283,
        0x6003 => 0x0027,
        0x809b => 0x0029,
        0x0600 => 0x0025,
        0x8137 => 0x002b,
        _ if et <= 1500 => match payload {
            [0xfe, 0xfe, ..] => 0x0023,
            [0x42, 0x42, ..] => 0x0031,
            [0xe0, ..] | [0xff, 0xff, ..] => 0x002b,
            _ => 0x003d,
        },
        other => other,
    }
}

/// An 802.2 header and payload for 802.x media: SNAP with the Ethertype for Ethernet II
/// frames, the frame's own LLC for 802.3 ones.
fn llc(et: u16, payload: &[u8]) -> Vec<u8> {
    if et > 1500 {
        let org: [u8; 3] = if et == 0x809b { [0x08, 0x00, 0x07] } else { [0; 3] };
        [&[0xaa, 0xaa, 0x03][..], &org, &et.to_be_bytes(), payload].concat()
    } else {
        payload.to_vec()
    }
}

fn arctype(et: u16, i: usize) -> u8 {
    match et {
        0x0800 => [212, 240][i % 2],
        0x86dd => 0xc4,
        0x0806 => [213, 241][i % 2],
        0x8035 => 214,
        0x809b => 221,
        _ => [250, 247, 0x00][i % 3],
    }
}

fn arc_addr(mac: &[u8; 6]) -> u8 {
    if mac == &[0xff; 6] {
        0
    } else {
        mac[5]
    }
}

/// The frame with link-layer header `hdr` in front of the payload, and its metadata.
fn framed(p: &Packet, desc: &str, hdr: &[u8], payload: &[u8], wire: u32, hatype: u16) -> Packet {
    let len = hdr.len() as u32 + wire;
    Packet {
        desc: format!("{desc}: {}", p.desc),
        data: [hdr, payload].concat(),
        wirelen: len,
        meta: Meta {
            len,
            net_off: hdr.len() as u32,
            hatype,
            ..p.meta
        },
    }
}

/// One link type's header (and payload, for those that rewrite it) for frame `i`.
fn frame(lt: u16, i: usize, p: &Packet, f: &Parts) -> Option<Packet> {
    let (et, pl, wire) = (f.et, f.payload, f.wire);
    let v4 = et == 0x0800;
    let v6 = et == 0x86dd;
    Some(match lt {
        DLT_NULL | DLT_LOOP => {
            let af: u32 = if v4 {
                2
            } else if v6 {
                [10, 24, 28, 30][i % 4]
            } else {
                [0, 7, 23, 0x1e00_0000][i % 4]
            };
            let hdr = if lt == DLT_NULL {
                af.to_le_bytes()
            } else {
                af.to_be_bytes()
            };
            framed(p, name(lt)?, &hdr, pl, wire, 772)
        }
        DLT_PPP | DLT_PPP_SERIAL => {
            let proto = ppp_proto(et, pl).to_be_bytes();
            let hdr = if lt == DLT_PPP_SERIAL && i % 5 == 0 {
                // Cisco HDLC framing on a serial line.
                vec![0x0f, 0x00, (et >> 8) as u8, et as u8]
            } else {
                vec![0xff, 0x03, proto[0], proto[1]]
            };
            framed(p, name(lt)?, &hdr, pl, wire, 512)
        }
        DLT_PPP_ETHER => {
            let proto = ppp_proto(et, pl).to_be_bytes();
            let sess = [0x0001u16, 0x1234, 0xffff][i % 3].to_be_bytes();
            let n = ((wire + 2) as u16).to_be_bytes();
            let hdr = [0x11, 0x00, sess[0], sess[1], n[0], n[1], proto[0], proto[1]];
            framed(p, name(lt)?, &hdr, pl, wire, 512)
        }
        DLT_C_HDLC => {
            let addr = if f.dst[0] & 1 == 1 { 0x8f } else { 0x0f };
            let t = if et <= 1500 && pl.starts_with(&[0xfe, 0xfe]) {
                0xfefe
            } else {
                et
            };
            let hdr = [addr, 0x00, (t >> 8) as u8, t as u8];
            framed(p, name(lt)?, &hdr, pl, wire, 513)
        }
        DLT_IPV4 | DLT_IPV6 => {
            // The link type's own packets, and every seventh of the other version.
            let own = if lt == DLT_IPV4 { v4 } else { v6 };
            let other = if lt == DLT_IPV4 { v6 } else { v4 };
            if !(own || other && i % 7 == 0) {
                return None;
            }
            framed(p, name(lt)?, &[], pl, wire, 0xfffe)
        }
        DLT_IEEE802 | DLT_FDDI => {
            let body = llc(et, pl);
            let extra = body.len() as u32 - pl.len() as u32;
            let mut hdr = if lt == DLT_IEEE802 {
                vec![0x10, 0x40]
            } else {
                vec![0x50]
            };
            hdr.extend(f.dst);
            hdr.extend(f.src);
            framed(
                p,
                name(lt)?,
                &hdr,
                &body,
                wire + extra,
                if lt == DLT_FDDI { 774 } else { 800 },
            )
        }
        DLT_ARCNET | DLT_ARCNET_LINUX => {
            let (s, d) = (arc_addr(&f.src), arc_addr(&f.dst));
            let t = arctype(et, i);
            let hdr: Vec<u8> = if lt == DLT_ARCNET {
                vec![s, d, t, 0, 0, i as u8]
            } else {
                vec![s, d, 0, 0, t, 0, 0, i as u8]
            };
            framed(p, name(lt)?, &hdr, pl, wire, 7)
        }
        DLT_SUNATM => {
            // Pseudo-header: direction bit and protocol type, VPI, VCI. Frames alternate
            // between LLC encapsulation, LANE (an Ethernet frame behind a 2-byte LANE header,
            // some LE control frames) and signalling/OAM circuits.
            let dirbit = if i % 2 == 0 { 0x80 } else { 0 };
            let vpi = [0u8, 0, 1, 7][i % 4];
            match i % 5 {
                0 | 1 => {
                    let body = llc(et, pl);
                    let extra = body.len() as u32 - pl.len() as u32;
                    let vci = [32u16, 100, 5, 16][i % 4].to_be_bytes();
                    framed(
                        p,
                        "SUNATM LLC",
                        &[dirbit | 2, vpi, vci[0], vci[1]],
                        &body,
                        wire + extra,
                        19,
                    )
                }
                2 | 3 => {
                    let lane: [u8; 2] = if i % 7 == 0 { [0xff, 0x00] } else { [0x00, 0x01] };
                    let hdr = [dirbit | 1, vpi, 0, 33, lane[0], lane[1]];
                    framed(p, "SUNATM LANE", &hdr, &p.data, p.wirelen, 19)
                }
                _ => {
                    // Signalling (VCI 5, or 1 for meta), OAM F4 (VCI 3, 4), ILMI (16), BCC (2).
                    let vci = [5u16, 1, 3, 4, 16, 2][i % 6].to_be_bytes();
                    let msg = [0x05u8, 0x02, 0x07, 0x0f, 0x4d, 0x5a, 0x33][i % 7];
                    let body = [0x09, 0x03, 0x00, 0x00, 0x01, msg, 0x80, 0x00];
                    framed(p, "SUNATM signalling", &[dirbit, 0, vci[0], vci[1]], &body, 8, 19)
                }
            }
        }
        DLT_NFLOG => {
            if i % 3 != 0 {
                return None;
            }
            let af = if v6 { 10 } else { 2 };
            let tlv_len = ((4 + pl.len()) as u16).to_le_bytes();
            let hdr = [af, 0, 0, 1, tlv_len[0], tlv_len[1], 9, 0];
            framed(p, name(lt)?, &hdr, pl, wire, 0xffff)
        }
        // Serial IP: a 16-byte header (direction byte first), then IP only.
        DLT_SLIP => {
            if !(v4 || v6 || i % 9 == 0) {
                return None;
            }
            let mut hdr = [0u8; 16];
            hdr[0] = (i % 2) as u8;
            framed(p, name(lt)?, &hdr, pl, wire, 256)
        }
        // pppd's PPP: a direction byte instead of the address; BSD/OS's: a 24-byte header with
        // the protocol at 5.
        DLT_PPP_PPPD => {
            let proto = ppp_proto(et, pl).to_be_bytes();
            let hdr = [(i % 2) as u8, 0x03, proto[0], proto[1]];
            framed(p, name(lt)?, &hdr, pl, wire, 512)
        }
        DLT_PPP_BSDOS => {
            let proto = if v4 {
                [0x21u16, 0x2d, 0x2f][i % 3]
            } else {
                ppp_proto(et, pl)
            }
            .to_be_bytes();
            let mut hdr = [0u8; 24];
            hdr[0] = (i % 2) as u8;
            hdr[5] = proto[0];
            hdr[6] = proto[1];
            framed(p, name(lt)?, &hdr, pl, wire, 512)
        }
        // LLC-encapsulated ATM and IP over Fibre Channel (a 16-byte header: destination at 2,
        // source at 10).
        DLT_ATM_RFC1483 => {
            let body = llc(et, pl);
            let extra = body.len() as u32 - pl.len() as u32;
            framed(p, name(lt)?, &[], &body, wire + extra, 19)
        }
        DLT_IP_OVER_FC => {
            let body = llc(et, pl);
            let extra = body.len() as u32 - pl.len() as u32;
            let mut hdr = vec![0u8, 0];
            hdr.extend(f.dst);
            hdr.extend([0, 0]);
            hdr.extend(f.src);
            framed(p, name(lt)?, &hdr, &body, wire + extra, 786)
        }
        // Frame Relay: a 2-byte address, UI and an NLPID (IP 0xcc, IPv6 0x8e, OSI's).
        DLT_FRELAY => {
            let nlpid = if v4 {
                0xcc
            } else if v6 {
                0x8e
            } else {
                [0x81u8, 0x82, 0x83, 0x80][i % 4]
            };
            framed(p, name(lt)?, &[0x18, 0x41, 0x03, nlpid], pl, wire, 770)
        }
        // OpenBSD's enc: the address family in this host's byte order, SPI and flags.
        DLT_ENC => {
            let af: u32 = if v4 {
                2
            } else if v6 {
                [10, 24, 28, 30][i % 4]
            } else {
                0
            };
            let mut hdr = af.to_ne_bytes().to_vec();
            hdr.extend([0, 0, 0x10, 0x01, 0, 0, 0, (i % 4) as u8]);
            framed(p, name(lt)?, &hdr, pl, wire, 0xffff)
        }
        // Solaris' ipnet: version, family (2, 26), direction (1 out, 2 in), 24 bytes.
        DLT_IPNET => {
            let fam = if v4 {
                2
            } else if v6 {
                26
            } else {
                [0u8, 7][i % 2]
            };
            let mut hdr = [0u8; 24];
            hdr[0] = 1;
            hdr[1] = fam;
            hdr[3] = [1u8, 2, 0][i % 3];
            framed(p, name(lt)?, &hdr, pl, wire, 0xffff)
        }
        // netANALYZER: a 4-byte pseudo-header (and for the transparent form preamble and SFD)
        // before the whole Ethernet frame.
        DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => {
            let mut hdr = vec![0x01, 0x00, 0x00, 0x00];
            if lt == DLT_NETANALYZER_TRANSPARENT {
                hdr.extend([0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xd5]);
            }
            framed(p, name(lt)?, &hdr, &p.data, p.wirelen, 1)
        }
        // Juniper's Ethernet: the cookie (magic "MGC", flags with the direction bit), then the
        // frame; every fifth with a wrong magic.
        DLT_JUNIPER_ETHER => {
            let magic = if i % 5 == 0 { 0x4e } else { 0x43 };
            let hdr = [0x4d, 0x47, magic, (i % 2) as u8];
            framed(p, name(lt)?, &hdr, &p.data, p.wirelen, 1)
        }
        // MTP2: signal units (a pseudo 2-byte prefix, the length indicator at 2, SIO, the
        // routing label), taken from the frame's bytes.
        DLT_MTP2 => {
            if i % 3 != 0 {
                return None;
            }
            let li = [0u8, 1, 2, 3, 0x3f, 0x40 | (i as u8 & 0x3f)][i % 6];
            let hdr = [0x00, 0x00, li];
            framed(p, name(lt)?, &hdr, &p.data, p.wirelen, 0xffff)
        }
        DLT_USER0 | DLT_MPLS | DLT_USB_LINUX => {
            if i % 2 != 0 {
                return None;
            }
            framed(p, name(lt)?, &p.data[..14], pl, wire, 0xffff)
        }
        _ => return None,
    })
}

/// The corpus for link type `lt`, from the Ethernet corpus (and for RAW(14) the raw one).
pub fn corpus(lt: u16, en10mb: &[Packet], raw: &[Packet]) -> Vec<Packet> {
    if lt == DLT_RAW_OPENBSD {
        return raw.to_vec();
    }
    let mut out: Vec<Packet> = match wlan::corpus(lt, en10mb) {
        Some(c) => c,
        None => en10mb
            .iter()
            .enumerate()
            .filter_map(|(i, p)| frame(lt, i, p, &parts(p)?))
            .collect(),
    };
    // Truncations of the header of a first IPv4 and a first IPv6 packet, and a few bytes
    // into the payload.
    let bases: Vec<Packet> = out
        .iter()
        .filter(|p| p.data.len() > p.meta.net_off as usize + 8)
        .take(2)
        .cloned()
        .collect();
    for base in bases {
        let hl = base.meta.net_off as usize;
        for n in 0..(hl + 4).min(base.data.len()) {
            out.push(Packet {
                desc: format!("[truncated to {n}] {}", base.desc),
                data: base.data[..n].to_vec(),
                wirelen: n as u32,
                meta: Meta {
                    len: n as u32,
                    ..base.meta
                },
            });
        }
    }
    out
}

/// Link types of the `links` test, in order.
pub const ALL: [u16; 36] = [
    DLT_NULL,
    DLT_LOOP,
    DLT_PPP,
    DLT_PPP_SERIAL,
    DLT_PPP_ETHER,
    DLT_C_HDLC,
    DLT_SUNATM,
    DLT_IPV4,
    DLT_IPV6,
    DLT_RAW_OPENBSD,
    DLT_IEEE802,
    DLT_FDDI,
    DLT_ARCNET,
    DLT_ARCNET_LINUX,
    DLT_NFLOG,
    DLT_MPLS,
    DLT_USER0,
    DLT_USB_LINUX,
    DLT_IEEE802_11,
    DLT_PRISM_HEADER,
    DLT_IEEE802_11_RADIO,
    DLT_IEEE802_11_RADIO_AVS,
    DLT_PPI,
    DLT_PFLOG,
    DLT_SLIP,
    DLT_PPP_PPPD,
    DLT_PPP_BSDOS,
    DLT_ATM_RFC1483,
    DLT_IP_OVER_FC,
    DLT_FRELAY,
    DLT_ENC,
    DLT_IPNET,
    DLT_NETANALYZER,
    DLT_NETANALYZER_TRANSPARENT,
    DLT_JUNIPER_ETHER,
    DLT_MTP2,
];

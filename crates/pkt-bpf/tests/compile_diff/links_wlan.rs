//! The corpus framed for 802.11 (plain, after a Prism, AVS, radiotap or PPI header) and PFLOG
//! (issue 15). Every Ethernet frame becomes an 802.11 data frame (plain or QoS, in each
//! ToDS/FromDS combination, addresses where the standard puts them, the payload in LLC/SNAP);
//! management (beacon, probes, association, authentication, action ...) and control frames
//! (RTS, CTS, ACK, PS-Poll, CF-End, block acks), null frames and reserved types come on top.
//! The radio headers vary: radiotap of several lengths and presence words (TSFT or not, the
//! flags field with and without the data-pad bit, which pads the 802.11 header to 4 bytes,
//! extended presence bitmaps), Prism headers (144 bytes) and, on the Prism DLT, AVS headers as
//! some drivers send them, AVS headers of two lengths, PPI headers with and without fields and
//! with another DLT (Ethernet) inside. PFLOG: pf headers of the usual lengths (61 rounded to
//! 64, 64, 68, 100) in front of IPv4 and IPv6 packets, with both address families (and the
//! BSDs' IPv6 values), directions, rule numbers, reasons, actions, interface and ruleset names.

use super::{llc, parts, Parts};
use crate::packets::Packet;
use pkt_bpf::Meta;

pub const DLT_IEEE802_11: u16 = 105;
pub const DLT_PFLOG: u16 = 117;
pub const DLT_PRISM_HEADER: u16 = 119;
pub const DLT_IEEE802_11_RADIO: u16 = 127;
pub const DLT_IEEE802_11_RADIO_AVS: u16 = 163;
pub const DLT_PPI: u16 = 192;

/// The BSSID of the corpus's 802.11 frames, and a second access point (four-address frames).
const BSSID: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];
const AP2: [u8; 6] = [0x02, 0, 0, 0, 0, 0xcc];
const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_C: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x56];
const BCAST: [u8; 6] = [0xff; 6];
const MCAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

pub fn name(lt: u16) -> Option<&'static str> {
    Some(match lt {
        DLT_IEEE802_11 => "IEEE802_11",
        DLT_PFLOG => "PFLOG",
        DLT_PRISM_HEADER => "PRISM_HEADER",
        DLT_IEEE802_11_RADIO => "IEEE802_11_RADIO",
        DLT_IEEE802_11_RADIO_AVS => "IEEE802_11_RADIO_AVS",
        DLT_PPI => "PPI",
        _ => return None,
    })
}

/// An 802.11 frame: its MAC header (with any padding after it), the body, the body's wire
/// length, and a description.
struct Frame {
    desc: String,
    hdr: Vec<u8>,
    body: Vec<u8>,
    body_wire: u32,
    meta: Meta,
}

impl Frame {
    /// The padding after the header when the radio header says so: to a multiple of 4 from the
    /// start of the packet (libpcap's rounding; drivers pad from the 802.11 header, the same
    /// where the radio header's length is a multiple of 4).
    fn pad(&self, prefix: usize) -> usize {
        (4 - (prefix + self.hdr.len()) % 4) % 4
    }
}

fn mac_hdr(fc0: u8, fc1: u8, addrs: &[[u8; 6]], seq: u16, tail: &[u8]) -> Vec<u8> {
    let mut h = vec![fc0, fc1, 0x2c, 0x00];
    h.extend(addrs[0]);
    if addrs.len() > 1 {
        h.extend(addrs[1]);
    }
    if addrs.len() > 2 {
        h.extend(addrs[2]);
        h.extend((seq << 4).to_le_bytes());
    }
    if addrs.len() > 3 {
        h.extend(addrs[3]);
    }
    h.extend(tail);
    h
}

/// Ethernet frame `i` as an 802.11 data frame.
fn data_frame(i: usize, p: &Packet, f: &Parts) -> Frame {
    let ds = (i % 4) as u8;
    let (fc0, qos) = match (i / 4) % 4 {
        0 => (0x08, false),
        1 | 3 => (0x88, true),
        // Data + CF-Ack.
        _ => (0x18, false),
    };
    let fc1 = ds | [0x00, 0x08, 0x10, 0x40][(i / 16) % 4];
    let (dst, src) = (f.dst, f.src);
    let addrs: Vec<[u8; 6]> = match ds {
        0 => vec![dst, src, BSSID],
        1 => vec![BSSID, src, dst],
        2 => vec![dst, BSSID, src],
        _ => vec![BSSID, AP2, dst, src],
    };
    let tail: &[u8] = if qos { &[(i % 8) as u8, 0] } else { &[] };
    let hdr = mac_hdr(fc0, fc1, &addrs, i as u16, tail);
    let body = llc(f.et, f.payload);
    let body_wire = f.wire + (body.len() - f.payload.len()) as u32;
    let dirs = ["nods", "tods", "fromds", "dstods"][ds as usize];
    Frame {
        desc: format!(
            "802.11 {} {dirs}: {}",
            if qos { "QoS data" } else { "data" },
            p.desc
        ),
        hdr,
        body,
        body_wire,
        meta: p.meta,
    }
}

/// Management, control and null frames, reserved types.
fn other_frames(meta: Meta) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut push = |desc: String, hdr: Vec<u8>, body: Vec<u8>| {
        let body_wire = body.len() as u32;
        out.push(Frame {
            desc,
            hdr,
            body,
            body_wire,
            meta,
        });
    };
    let mgt = [
        (0x00, "assoc-req"),
        (0x10, "assoc-resp"),
        (0x20, "reassoc-req"),
        (0x30, "reassoc-resp"),
        (0x40, "probe-req"),
        (0x50, "probe-resp"),
        (0x80, "beacon"),
        (0x90, "atim"),
        (0xa0, "disassoc"),
        (0xb0, "auth"),
        (0xc0, "deauth"),
        (0xd0, "action"),
        (0xe0, "action-no-ack"),
    ];
    let combos = [(BCAST, BSSID), (MAC_A, BSSID), (MAC_B, MAC_C), (MCAST, MAC_A)];
    for (k, &(st, n)) in mgt.iter().enumerate() {
        for (c, &(da, sa)) in combos.iter().enumerate() {
            // Mostly no DS bits; some with them set (libpcap ignores them for management).
            let fc1 = if (k + c) % 5 == 0 { [1, 2, 3][k % 3] } else { 0 };
            let hdr = mac_hdr(st, fc1, &[da, sa, BSSID], (k * 4 + c) as u16, &[]);
            let body: Vec<u8> = match st {
                0x80 | 0x50 => {
                    let mut b = vec![1, 2, 3, 4, 5, 6, 7, 8, 0x64, 0, 0x11, 0x04, 0, 6];
                    b.extend(b"libpkt");
                    b.extend([1, 2, 0x82, 0x84]);
                    b
                }
                0x40 => [&[0u8, 4][..], b"test", &[1, 1, 0x82]].concat(),
                0xb0 => vec![0, 0, 1, 0, 0, 0],
                0xa0 | 0xc0 => vec![7, 0],
                0x90 => vec![],
                _ => vec![0x31, 0x04, 0x0a, 0x00, 0, 3, b'a', b'b', b'c'],
            };
            push(format!("802.11 {n} {da:02x?} < {sa:02x?} fc1 {fc1}"), hdr, body);
        }
    }
    let ctl_addrs = [(MAC_A, BSSID), (BSSID, MAC_B), (BCAST, MAC_C), (MAC_B, MAC_A)];
    let ctl: [(u8, &str, usize, &[u8]); 8] = [
        (0xb4, "rts", 2, &[]),
        (0xc4, "cts", 1, &[]),
        (0xd4, "ack", 1, &[]),
        (0xa4, "ps-poll", 2, &[]),
        (0xe4, "cf-end", 2, &[]),
        (0xf4, "cf-end-ack", 2, &[]),
        (0x84, "block-ack-req", 2, &[0x04, 0x00, 0x10, 0x00]),
        (
            0x94,
            "block-ack",
            2,
            &[0x04, 0x00, 0x10, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0],
        ),
    ];
    for (k, &(fc0, n, naddr, tail)) in ctl.iter().enumerate() {
        for (c, &(ra, ta)) in ctl_addrs.iter().enumerate() {
            let fc1 = [0u8, 0, 0x10, 3][(k + c) % 4];
            let hdr = if n == "ps-poll" {
                // AID instead of duration, then BSSID and TA.
                let mut h = vec![fc0, fc1, 0x01, 0xc0];
                h.extend(BSSID);
                h.extend(ta);
                h
            } else {
                let mut h = vec![fc0, fc1, 0x2c, 0x00];
                h.extend(ra);
                if naddr > 1 {
                    h.extend(ta);
                }
                h.extend(tail);
                h
            };
            push(format!("802.11 {n} {ra:02x?} < {ta:02x?} fc1 {fc1}"), hdr, vec![]);
        }
    }
    for (k, &fc0) in [0x48u8, 0xc8, 0x48, 0xc8, 0x58, 0xe8, 0xf8, 0x68]
        .iter()
        .enumerate()
    {
        let ds = (k % 4) as u8;
        let addrs: Vec<[u8; 6]> = match ds {
            0 => vec![MAC_B, MAC_A, BSSID],
            1 => vec![BSSID, MAC_A, MAC_B],
            2 => vec![MAC_A, BSSID, MAC_C],
            _ => vec![BSSID, AP2, MAC_B, MAC_A],
        };
        let tail: &[u8] = if fc0 & 0x80 != 0 { &[0, 0] } else { &[] };
        let hdr = mac_hdr(fc0, ds, &addrs, k as u16, tail);
        push(format!("802.11 null fc0 {fc0:#x} ds {ds}"), hdr, vec![]);
    }
    // Reserved type 3, a frame of protocol version 1.
    for (k, &fc0) in [0x0cu8, 0x3c, 0xfc, 0x09, 0x89].iter().enumerate() {
        let hdr = mac_hdr(fc0, (k % 4) as u8, &[MAC_A, MAC_B, BSSID], 7, &[0, 0]);
        push(
            format!("802.11 reserved fc0 {fc0:#x}"),
            hdr,
            vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45, 0],
        );
    }
    out
}

/// The corpus's 802.11 frames.
fn frames(en10mb: &[Packet]) -> Vec<Frame> {
    let mut out: Vec<Frame> = en10mb
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some(data_frame(i, p, &parts(p)?)))
        .collect();
    let meta = en10mb.first().map(|p| p.meta).unwrap_or_default();
    out.extend(other_frames(meta));
    out
}

/// A radiotap header (variant `j`) and whether it says the 802.11 header is padded.
fn radiotap(j: usize) -> (Vec<u8>, bool) {
    // (present words, fields after them, padded): fields with their alignment as drivers
    // write them; flags 0x20 is the data-pad bit, 0x10 FCS at the end (not added here).
    let (present, fields, pad): (Vec<u32>, Vec<u8>, bool) = match j % 10 {
        0 => (vec![0], vec![], false),
        // Flags, rate.
        1 => (vec![0x06], vec![0x00, 0x0c], false),
        2 => (vec![0x06], vec![0x20, 0x0c], true),
        // TSFT, flags, rate, channel, antenna signal.
        3 => (
            vec![0x2f],
            [
                &[1u8, 2, 3, 4, 5, 6, 7, 8][..],
                &[0x00, 0x02, 0x6c, 0x09, 0xa0, 0x00, 0xd0],
            ]
            .concat(),
            false,
        ),
        4 => (
            vec![0x2f],
            [
                &[1u8, 2, 3, 4, 5, 6, 7, 8][..],
                &[0x20, 0x02, 0x6c, 0x09, 0xa0, 0x00, 0xd0],
            ]
            .concat(),
            true,
        ),
        // An extended presence bitmap: libpcap leaves the padding alone then.
        5 => (
            vec![0x8000_002f, 0x0000_0000],
            [
                &[0u8; 4][..],
                &[1, 2, 3, 4, 5, 6, 7, 8],
                &[0x20, 0x02, 0x6c, 0x09, 0xa0, 0x00],
            ]
            .concat(),
            true,
        ),
        6 => (
            vec![0x8000_0002, 0x8000_0000, 0x0000_0001],
            vec![0x00, 0x00, 0x00, 0x00, 0x10],
            false,
        ),
        // The data-pad bit where the flags field is not present (rate only): not padded.
        7 => (vec![0x04], vec![0x20], false),
        // TSFT without flags.
        8 => (vec![0x01], vec![0x20, 2, 3, 4, 5, 6, 7, 8], false),
        // Flags with FCS bit, channel, antenna, padded to a longer header.
        _ => (
            vec![0x0000_080a],
            vec![
                0x30, 0x00, 0x6c, 0x09, 0xa0, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
            true,
        ),
    };
    let len = 4 + 4 * present.len() + fields.len();
    let mut h = vec![0, 0];
    h.extend((len as u16).to_le_bytes());
    for w in present {
        h.extend(w.to_le_bytes());
    }
    h.extend(fields);
    (h, pad)
}

/// A Prism header (144 bytes), or on every fifth frame an AVS header, as drivers of
/// ARPHRD_IEEE80211_PRISM send either.
fn prism(j: usize) -> Vec<u8> {
    if j % 5 == 0 {
        return avs(j / 5);
    }
    let mut h = Vec::with_capacity(144);
    h.extend(0x44u32.to_le_bytes());
    h.extend(144u32.to_le_bytes());
    let mut dev = [0u8; 16];
    dev[..5].copy_from_slice(b"wlan0");
    h.extend(dev);
    for item in 0..10u32 {
        h.extend((0x1044 + item * 0x1000).to_le_bytes());
        h.extend(0u16.to_le_bytes());
        h.extend(4u16.to_le_bytes());
        h.extend((j as u32 * 7 + item).to_le_bytes());
    }
    debug_assert_eq!(h.len(), 144);
    h
}

/// An AVS header: version 1, 64 bytes (72 on every third, with room the length says).
fn avs(j: usize) -> Vec<u8> {
    let len: u32 = if j % 3 == 1 { 72 } else { 64 };
    let mut h = Vec::new();
    h.extend(0x8021_1001u32.to_be_bytes());
    h.extend(len.to_be_bytes());
    h.extend((j as u64 * 1000).to_be_bytes());
    h.extend((j as u64 * 999).to_be_bytes());
    for v in [4u32, 6, 540, 1, 0, 2, -50i32 as u32, -90i32 as u32, 1, 2] {
        h.extend(v.to_be_bytes());
    }
    h.resize(len as usize, 0xee);
    h
}

/// A PPI header: no field, the 802.11-common field, or that and a MAC extension; the DLT
/// inside is 802.11 (105), except on variant 3.
fn ppi(j: usize, dlt: u32) -> Vec<u8> {
    let mut fields = Vec::new();
    if j % 4 >= 1 {
        fields.extend(2u16.to_le_bytes());
        fields.extend(20u16.to_le_bytes());
        fields.extend((j as u64).to_le_bytes());
        fields.extend([0, 0, 0x6c, 0, 0x85, 0x09, 0xa0, 0, 0, 0, 0xd0, 0xa0]);
    }
    if j % 4 == 2 {
        fields.extend(3u16.to_le_bytes());
        fields.extend(20u16.to_le_bytes());
        fields.extend([0u8; 20]);
    }
    let mut h = vec![0, 0];
    h.extend(((8 + fields.len()) as u16).to_le_bytes());
    h.extend(dlt.to_le_bytes());
    h.extend(fields);
    h
}

fn packet(desc: String, data: Vec<u8>, wirelen: u32, net_off: usize, hatype: u16, meta: Meta) -> Packet {
    Packet {
        desc,
        data,
        wirelen,
        meta: Meta {
            len: wirelen,
            net_off: net_off as u32,
            hatype,
            ..meta
        },
    }
}

/// The 802.11 frames behind `lt`'s radio header.
fn wlan_corpus(lt: u16, en10mb: &[Packet]) -> Vec<Packet> {
    let mut out = Vec::new();
    for (j, f) in frames(en10mb).iter().enumerate() {
        let (prefix, padded, hatype, what) = match lt {
            DLT_IEEE802_11 => (vec![], false, 801, "802.11"),
            DLT_PRISM_HEADER => {
                let h = prism(j);
                let what = if h.len() == 144 { "Prism" } else { "AVS on Prism" };
                (h, false, 802, what)
            }
            DLT_IEEE802_11_RADIO_AVS => (avs(j), false, 804, "AVS"),
            DLT_IEEE802_11_RADIO => {
                let (h, pad) = radiotap(j);
                (h, pad, 803, "radiotap")
            }
            _ => {
                // Every fourth PPI packet carries another DLT: the Ethernet frame itself.
                if j % 4 == 3 && j < en10mb.len() {
                    let p = &en10mb[j];
                    let h = ppi(j, 1);
                    let n = h.len();
                    out.push(packet(
                        format!("PPI(DLT 1, {n}): {}", p.desc),
                        [h, p.data.clone()].concat(),
                        n as u32 + p.wirelen,
                        n + 14,
                        0xffff,
                        p.meta,
                    ));
                    continue;
                }
                (ppi(j, 105), false, 0xffff, "PPI")
            }
        };
        let pad = if padded { f.pad(prefix.len()) } else { 0 };
        let mut data = prefix.clone();
        data.extend(&f.hdr);
        data.resize(data.len() + pad, 0);
        let net_off = data.len();
        data.extend(&f.body);
        let wire = net_off as u32 + f.body_wire;
        let desc = format!(
            "{what}({}{}): {}",
            prefix.len(),
            if pad > 0 { ", pad" } else { "" },
            f.desc
        );
        out.push(packet(desc, data, wire, net_off, hatype, f.meta));
    }
    // Truncations through the radio and 802.11 headers of a QoS four-address frame and of a
    // management frame.
    let bases: Vec<Packet> = out
        .iter()
        .filter(|p| p.desc.contains("QoS data dstods") && p.data.len() > p.meta.net_off as usize + 8)
        .take(1)
        .chain(out.iter().filter(|p| p.desc.contains("beacon")).take(1))
        .cloned()
        .collect();
    for base in bases {
        for n in (0..base.meta.net_off as usize + 12).step_by(3) {
            out.push(Packet {
                desc: format!("[truncated to {n}] {}", base.desc),
                data: base.data[..n.min(base.data.len())].to_vec(),
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

/// Ethernet frame `i` (IPv4, IPv6 and some others) behind a pf log header.
fn pflog_frame(i: usize, p: &Packet, f: &Parts) -> Option<Packet> {
    let v4 = f.et == 0x0800;
    let v6 = f.et == 0x86dd;
    if !(v4 || v6 || i % 9 == 0) {
        return None;
    }
    let length = [61u8, 64, 68, 100][i % 4];
    let hlen = (usize::from(length) + 3) & !3;
    let af = if v4 {
        2
    } else if v6 {
        [10, 10, 24, 28, 30][(i / 4) % 5]
    } else {
        [0, 7][i % 2]
    };
    let mut h = vec![length, af, ((i * 5) % 13) as u8, ((i * 3) % 17) as u8];
    let ifname: &[u8] = [
        &b"em0"[..],
        b"pflog0",
        b"lo0",
        b"eth0",
        b"em1",
        b"abcdefghijklmno",
        b"",
    ][i % 7];
    let ruleset: &[u8] = [&b""[..], b"main", b"anchor", b"0123456789abcde"][(i / 7) % 4];
    for name in [ifname, ruleset] {
        let mut b = [0u8; 16];
        b[..name.len()].copy_from_slice(name);
        h.extend(b);
    }
    h.extend([0u32, 1, 2, 3, 42, 0xffff_ffff][i % 6].to_be_bytes());
    h.extend([0u32, 7, 0xffff_ffff][(i / 2) % 3].to_be_bytes());
    for v in [1000u32, 4242, 0, 1] {
        h.extend(v.to_be_bytes());
    }
    h.push([0u8, 1, 2, 3][(i / 3) % 4]);
    h.resize(hlen, 0);
    let n = h.len();
    Some(packet(
        format!("PFLOG({length}, af {af}): {}", p.desc),
        [h, f.payload.to_vec()].concat(),
        n as u32 + f.wire,
        n,
        0xffff,
        p.meta,
    ))
}

/// The corpus for one of this module's link types, `None` for others.
pub fn corpus(lt: u16, en10mb: &[Packet]) -> Option<Vec<Packet>> {
    Some(match lt {
        DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO | DLT_IEEE802_11_RADIO_AVS | DLT_PPI => {
            wlan_corpus(lt, en10mb)
        }
        DLT_PFLOG => en10mb
            .iter()
            .enumerate()
            .filter_map(|(i, p)| pflog_frame(i, p, &parts(p)?))
            .collect(),
        _ => return None,
    })
}

//! The ring walkers over synthetic rings: blocks and frames written the way the kernel writes
//! them into an anonymous mapping, read back through `Rx` — no kernel, no socket, no root.
//! Covers the paths real traffic rarely takes: corrupt headers (block descriptors, strides,
//! offsets and lengths pointing outside their block or frame), the last packet of a block, the
//! wrap from the last block to the first, VLAN tags put back (or not, without room) and the snap
//! length; through `Rx::next`, the batch walker and `pkt_read`'s fast path (`read_mid`), for
//! TPACKET_V3 blocks and TPACKET_V2 frames.

use std::mem::{offset_of, size_of};
use std::sync::Arc;

use super::*;
use crate::sys::{
    tpacket_align, Tpacket2Hdr, Tpacket3Hdr, TpacketBlockDesc, TP_STATUS_KERNEL, TP_STATUS_USER,
    TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID,
};

/// Where the kernel puts a packet's data: after the header, the sockaddr_ll and some room (the
/// PACKET_RESERVE room the VLAN tag goes back into).
const MAC: u16 = 96;
const SLL: usize = tpacket_align(size_of::<Tpacket3Hdr>());
const V2_SLL: usize = tpacket_align(size_of::<Tpacket2Hdr>());

#[derive(Clone)]
struct Pkt {
    data: Vec<u8>,
    len: u32,
    status: u32,
    tci: u16,
    tpid: u16,
    /// Where the data starts, from the frame header.
    mac: u16,
}

fn pkt(seq: u8, size: usize) -> Pkt {
    let mut data: Vec<u8> = (0..size)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seq))
        .collect();
    data[12] = 0x88;
    data[13] = 0xb5;
    data[14] = seq;
    Pkt {
        data,
        len: size as u32,
        status: TP_STATUS_USER,
        tci: 0,
        tpid: 0,
        mac: MAC,
    }
}

fn v3_geo(block_size: u32, block_nr: u32) -> Geometry {
    Geometry {
        version: Version::V3,
        block_size,
        block_nr,
        frame_size: block_size,
        frame_nr: block_nr,
    }
}

fn ring(geo: Geometry, post: Post) -> (Arc<Mapping>, Rx) {
    let map = Arc::new(Mapping::anon(geo.size() as usize));
    let rx = Rx::new(geo.version, Arc::clone(&map), geo, post);
    (map, rx)
}

/// Writes `pkts` into V3 block `b` as the kernel does and hands the block over.
fn fill_v3(map: &Mapping, geo: Geometry, b: u32, pkts: &[Pkt]) {
    let base = b as usize * geo.block_size as usize;
    let first = tpacket_align(size_of::<TpacketBlockDesc>());
    let mut off = first;
    for (i, p) in pkts.iter().enumerate() {
        let at = base + off;
        let next = tpacket_align(p.mac as usize + p.data.len());
        let w = |field: usize, v: u32| map.write_u32(at + field, v);
        w(
            offset_of!(Tpacket3Hdr, tp_next_offset),
            if i + 1 == pkts.len() { 0 } else { next as u32 },
        );
        w(offset_of!(Tpacket3Hdr, tp_sec), 1000 + i as u32);
        w(offset_of!(Tpacket3Hdr, tp_nsec), 500);
        w(offset_of!(Tpacket3Hdr, tp_snaplen), p.data.len() as u32);
        w(offset_of!(Tpacket3Hdr, tp_len), p.len);
        w(offset_of!(Tpacket3Hdr, tp_status), p.status);
        // tp_mac and tp_net share a word.
        w(
            offset_of!(Tpacket3Hdr, tp_mac),
            p.mac as u32 | ((p.mac as u32 + 14) << 16),
        );
        w(offset_of!(Tpacket3Hdr, tp_vlan_tci), p.tci as u32);
        w(offset_of!(Tpacket3Hdr, tp_vlan_tpid), p.tpid as u32);
        write_sll(map, at + SLL);
        map.copy_in(at + p.mac as usize, &p.data);
        off += next;
    }
    let d = |field: usize, v: u32| map.write_u32(base + field, v);
    d(offset_of!(TpacketBlockDesc, version), 1);
    d(offset_of!(TpacketBlockDesc, num_pkts), pkts.len() as u32);
    d(offset_of!(TpacketBlockDesc, offset_to_first_pkt), first as u32);
    d(offset_of!(TpacketBlockDesc, blk_len), off as u32);
    map.set_status(base + offset_of!(TpacketBlockDesc, block_status), TP_STATUS_USER);
}

fn write_sll(map: &Mapping, at: usize) {
    // sll_family 17, protocol 0x88b5 (network order), ifindex 7, hatype 1, pkttype 0 (host).
    map.write_u32(at, 17 | (0xb588 << 16));
    map.write_u32(at + 4, 7);
    map.write_u32(at + 8, 1);
}

fn block_status(map: &Mapping, geo: Geometry, b: u32) -> u32 {
    map.status(b as usize * geo.block_size as usize + offset_of!(TpacketBlockDesc, block_status))
}

/// Reads packets with `Rx::next` until the ring has nothing more; returns their bytes, and the
/// frames.
fn read_all(rx: &mut Rx) -> (Vec<Vec<u8>>, Vec<Frame>) {
    let (mut bytes, mut frames) = (Vec::new(), Vec::new());
    loop {
        rx.release_done();
        match rx.next() {
            Ok(Some(mut f)) => {
                rx.finish(&mut f);
                bytes.push(rx.bytes(f.data_off, f.caplen as usize).to_vec());
                frames.push(f);
            }
            Ok(None) => return (bytes, frames),
            Err(Corrupt) => bytes.push(b"CORRUPT".to_vec()),
        }
        assert!(bytes.len() < 1000, "the walk does not end");
    }
}

#[test]
fn v3_block_read_and_given_back() {
    let geo = v3_geo(16384, 4);
    let (map, mut rx) = ring(geo, Post::new(false, 0));
    let pkts = [pkt(1, 60), pkt(2, 1514), pkt(3, 100)];
    fill_v3(&map, geo, 0, &pkts);
    let (bytes, frames) = read_all(&mut rx);
    assert_eq!(bytes.len(), 3);
    for (b, p) in bytes.iter().zip(&pkts) {
        assert_eq!(b, &p.data);
    }
    assert_eq!(
        frames.iter().map(|f| f.last_in_slot).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert_eq!((frames[1].sec, frames[1].nsec, frames[1].len), (1001, 500, 1514));
    assert_eq!(
        (frames[0].ifindex, frames[0].protocol, frames[0].hatype),
        (7, 0x88b5, 1)
    );
    // read_all's last call (which found nothing) gave the block back.
    assert_eq!(block_status(&map, geo, 0), TP_STATUS_KERNEL);

    // The last packet's slot is held while its packet may still be referenced: until the next
    // read call gives it back.
    fill_v3(&map, geo, 1, &pkts[..1]);
    rx.release_done();
    let f = rx.next().expect("a frame").expect("a packet");
    assert!(f.last_in_slot);
    assert!(matches!(rx.next(), Ok(None)));
    assert_eq!(block_status(&map, geo, 1), TP_STATUS_USER);
    rx.release_done();
    assert_eq!(block_status(&map, geo, 1), TP_STATUS_KERNEL);
}

#[test]
fn v3_walk_wraps_from_the_last_block_to_the_first() {
    let geo = v3_geo(8192, 4);
    let (map, mut rx) = ring(geo, Post::new(false, 0));
    let mut seen = Vec::new();
    // Ten blocks through a ring of four: two and a half wraps, each block read by the batch
    // walker and given back before the "kernel" fills it again.
    for round in 0..10u32 {
        let b = round % 4;
        assert_eq!(
            block_status(&map, geo, b),
            TP_STATUS_KERNEL,
            "block {b} not given back"
        );
        let pkts: Vec<Pkt> = (0..5)
            .map(|i| pkt((round * 5 + i) as u8, 64 + i as usize * 100))
            .collect();
        fill_v3(&map, geo, b, &pkts);
        let mut got = 0;
        loop {
            rx.release_done();
            match rx.walk_block(3, |data, v| {
                seen.push(data[14]);
                assert_eq!(v.caplen() as usize, data.len());
                true
            }) {
                Some(Walk::Ready(n)) => got += n,
                Some(Walk::Empty) => break,
                other => panic!("walk: {:?}", other.map(|_| ())),
            }
        }
        assert_eq!(got, 5, "round {round}");
    }
    rx.release_done();
    assert_eq!(seen, (0..50u8).collect::<Vec<_>>());
    for b in 0..4 {
        assert_eq!(block_status(&map, geo, b), TP_STATUS_KERNEL);
    }
}

#[test]
fn v3_corrupt_headers_skip_the_rest_of_their_block() {
    let geo = v3_geo(8192, 4);
    // A packet whose data runs past the block: the first packet is read, the rest of the block
    // skipped (reported once), and the next block is read normally.
    let (map, mut rx) = ring(geo, Post::new(false, 0));
    let pkts = [pkt(1, 60), pkt(2, 60), pkt(3, 60)];
    fill_v3(&map, geo, 0, &pkts);
    let second = tpacket_align(size_of::<TpacketBlockDesc>()) + tpacket_align(MAC as usize + 60);
    map.write_u32(second + offset_of!(Tpacket3Hdr, tp_snaplen), 9000);
    fill_v3(&map, geo, 1, &[pkt(4, 60)]);
    let (bytes, _) = read_all(&mut rx);
    let firsts: Vec<&[u8]> = bytes
        .iter()
        .map(|b| if b.len() > 14 { &b[14..15] } else { &b[..] })
        .collect();
    assert_eq!(firsts, [&[1u8][..], b"CORRUPT", &[4u8][..]]);

    // A data offset inside the headers, a next offset of 0 mid-block, a first-packet offset
    // inside the block descriptor, an empty block: each is skipped, never read as a packet.
    for spoil in 0..4 {
        let (map, mut rx) = ring(geo, Post::new(false, 0));
        fill_v3(&map, geo, 0, &[pkt(1, 60), pkt(2, 60)]);
        let first = tpacket_align(size_of::<TpacketBlockDesc>());
        match spoil {
            0 => map.write_u32(first + offset_of!(Tpacket3Hdr, tp_mac), 8 | (22 << 16)),
            1 => map.write_u32(first + offset_of!(Tpacket3Hdr, tp_next_offset), 0),
            2 => map.write_u32(offset_of!(TpacketBlockDesc, offset_to_first_pkt), 8),
            _ => map.write_u32(offset_of!(TpacketBlockDesc, num_pkts), 0),
        }
        fill_v3(&map, geo, 1, &[pkt(9, 60)]);
        let (bytes, _) = read_all(&mut rx);
        let last = bytes.last().expect("the next block is read");
        assert_eq!(last[14], 9, "spoil {spoil}: {bytes:?}");
        assert!(bytes.len() <= 3, "spoil {spoil}: {} reads", bytes.len());
        assert!(
            bytes.iter().all(|b| b == b"CORRUPT" || b.len() == 60),
            "spoil {spoil}"
        );
    }
}

#[test]
fn v3_vlan_tag_goes_back_and_snap_length_trims() {
    let geo = v3_geo(8192, 4);
    let mut tagged = pkt(1, 100);
    tagged.status |= TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID;
    tagged.tci = 0x2064;
    tagged.tpid = 0x88a8;
    let plain = pkt(2, 100);
    let mut want = tagged.data[..12].to_vec();
    want.extend_from_slice(&[0x88, 0xa8, 0x20, 0x64]);
    want.extend_from_slice(&tagged.data[12..]);

    // Both read paths, one packet at a time and the batch walk: each packet's bytes and its
    // length on the wire.
    let read = |post: Post, batch: bool| {
        let (map, mut rx) = ring(geo, post);
        fill_v3(&map, geo, 0, &[tagged.clone(), plain.clone()]);
        if batch {
            let mut got = Vec::new();
            rx.walk_block(10, |d, v| {
                got.push((d.to_vec(), v.len()));
                true
            });
            got
        } else {
            let (bytes, frames) = read_all(&mut rx);
            bytes.into_iter().zip(frames.iter().map(|f| f.len)).collect()
        }
    };
    for batch in [false, true] {
        let got = read(Post::new(true, 0), batch);
        assert_eq!(got[0], (want.clone(), 104), "batch {batch}");
        assert_eq!(got[1], (plain.data.clone(), 100), "batch {batch}");
        // The snap length trims the bytes handed out (after a tag went back), never the length
        // on the wire.
        let got = read(Post::new(true, 20), batch);
        assert_eq!(got[0], (want[..20].to_vec(), 104), "batch {batch}");
        assert_eq!(got[1], (plain.data[..20].to_vec(), 100), "batch {batch}");
    }
    // Without re-insertion the bytes stay as the kernel left them.
    let (map, mut rx) = ring(geo, Post::new(false, 0));
    fill_v3(&map, geo, 0, &[tagged.clone()]);
    let (bytes, _) = read_all(&mut rx);
    assert_eq!(bytes[0], tagged.data);
}

/// Writes `p` into V2 frame `i` and hands it over.
fn fill_v2(map: &Mapping, geo: Geometry, i: u32, p: &Pkt, mac: u16) {
    let fpb = geo.block_size / geo.frame_size;
    let at = (i / fpb) as usize * geo.block_size as usize + (i % fpb) as usize * geo.frame_size as usize;
    let w = |field: usize, v: u32| map.write_u32(at + field, v);
    w(offset_of!(Tpacket2Hdr, tp_len), p.len);
    w(offset_of!(Tpacket2Hdr, tp_snaplen), p.data.len() as u32);
    w(
        offset_of!(Tpacket2Hdr, tp_mac),
        mac as u32 | ((mac as u32 + 14) << 16),
    );
    w(offset_of!(Tpacket2Hdr, tp_sec), 7);
    w(offset_of!(Tpacket2Hdr, tp_nsec), 8);
    w(
        offset_of!(Tpacket2Hdr, tp_vlan_tci),
        p.tci as u32 | ((p.tpid as u32) << 16),
    );
    write_sll(map, at + V2_SLL);
    map.copy_in(at + mac as usize, &p.data);
    map.set_status(at + offset_of!(Tpacket2Hdr, tp_status), p.status);
}

#[test]
fn v2_frames_wrap_and_bad_offsets_are_corrupt() {
    let geo = Geometry {
        version: Version::V2,
        block_size: 8192,
        block_nr: 2,
        frame_size: 2048,
        frame_nr: 8,
    };
    let (map, mut rx) = ring(geo, Post::new(true, 0));
    let mut seen = Vec::new();
    for round in 0..20u32 {
        let i = round % 8;
        let mut p = pkt(round as u8, 200);
        if round == 5 {
            p.status |= TP_STATUS_VLAN_VALID;
            p.tci = 5;
        }
        fill_v2(&map, geo, i, &p, 80);
        let (bytes, frames) = read_all(&mut rx);
        assert_eq!(bytes.len(), 1, "round {round}");
        assert!(frames[0].last_in_slot);
        if round == 5 {
            // No TPID from the kernel: 802.1Q.
            assert_eq!(&bytes[0][12..16], &[0x81, 0x00, 0x00, 0x05]);
            seen.push(bytes[0][18]);
        } else {
            seen.push(bytes[0][14]);
        }
    }
    assert_eq!(seen, (0..20u8).collect::<Vec<_>>());
    // Data inside the header, or running past the frame: reported, the frame given back.
    for (mac, size) in [(8u16, 60usize), (80, 2000)] {
        let (map, mut rx) = ring(geo, Post::new(false, 0));
        fill_v2(&map, geo, 0, &pkt(1, size), mac);
        fill_v2(&map, geo, 1, &pkt(2, 60), 80);
        let (bytes, _) = read_all(&mut rx);
        assert_eq!(bytes[0], b"CORRUPT", "mac {mac}");
        assert_eq!(bytes[1][14], 2);
        rx.release_done();
        assert_eq!(map.status(offset_of!(Tpacket2Hdr, tp_status)), TP_STATUS_KERNEL);
    }
}

/// End of a V3 frame header and its sockaddr_ll: the least `tp_mac`, and where no room is left
/// in front of the data.
const HDR_END: u16 = (SLL + size_of::<libc::sockaddr_ll>()) as u16;

/// The offset in its block of each packet's header, as `fill_v3` lays them out.
fn v3_offsets(pkts: &[Pkt]) -> Vec<usize> {
    let mut off = tpacket_align(size_of::<TpacketBlockDesc>());
    pkts.iter()
        .map(|p| {
            let at = off;
            off += tpacket_align(p.mac as usize + p.data.len());
            at
        })
        .collect()
}

/// What reading handed out: a packet's bytes, its length on the wire and whether it was the last
/// of its slot; or a corrupt slot reported.
#[derive(Debug, PartialEq)]
enum Got {
    Pkt(Vec<u8>, u32, bool),
    Corrupt,
}

/// Reads with `Rx::next` until the ring has nothing more.
fn next_all(rx: &mut Rx) -> Vec<Got> {
    let (bytes, frames) = read_all(rx);
    let mut frames = frames.into_iter();
    bytes
        .into_iter()
        .map(|b| {
            if b == b"CORRUPT" {
                Got::Corrupt
            } else {
                let f = frames.next().expect("a frame for each packet");
                Got::Pkt(b, f.len, f.last_in_slot)
            }
        })
        .collect()
}

/// Reads with the batch walker, `max` packets at a time, until the ring has nothing more.
fn walk_all(rx: &mut Rx, max: usize) -> Vec<Got> {
    let mut got = Vec::new();
    loop {
        rx.release_done();
        let walked = rx.walk_block(max, |d, v| {
            assert_eq!(v.caplen() as usize, d.len());
            got.push(Got::Pkt(d.to_vec(), v.len(), v.last_in_slot()));
            true
        });
        match walked {
            Some(Walk::Ready(n)) => assert!(n >= 1 && n <= max, "{n}"),
            Some(Walk::Corrupt) => got.push(Got::Corrupt),
            Some(Walk::Empty) => return got,
            None => panic!("not a V3 ring"),
        }
        assert!(got.len() < 1000, "the walk does not end");
    }
}

/// `p` as read back: all of it, its length on the wire, last of its slot or not.
fn whole(p: &Pkt, last: bool) -> Got {
    Got::Pkt(p.data.clone(), p.len, last)
}

#[test]
fn v3_corrupt_block_headers_and_strides_skip_the_block() {
    let geo = v3_geo(8192, 4);
    let bs = geo.block_size;
    let pkts = [pkt(1, 60), pkt(2, 60), pkt(3, 60)];
    let at = v3_offsets(&pkts);
    let desc = |f: usize| f;
    let hdr = |i: usize, f: usize| at[i] + f;
    // What spoils block 0, and what `Rx::next` then hands out of it (the batch walker hands out
    // a prefix of the block's packets, checked below).
    let next_offset = offset_of!(Tpacket3Hdr, tp_next_offset);
    let spoils: [(&str, usize, u32, Vec<Got>); 8] = [
        (
            "first packet just past the block",
            desc(offset_of!(TpacketBlockDesc, offset_to_first_pkt)),
            bs,
            vec![Got::Corrupt],
        ),
        (
            "first packet far past the block",
            desc(offset_of!(TpacketBlockDesc, offset_to_first_pkt)),
            u32::MAX,
            vec![Got::Corrupt],
        ),
        (
            "first packet's headers across the block's end",
            desc(offset_of!(TpacketBlockDesc, offset_to_first_pkt)),
            bs - HDR_END as u32 + 1,
            vec![Got::Corrupt],
        ),
        (
            "more packets counted than written (the last one's next offset is 0)",
            desc(offset_of!(TpacketBlockDesc, num_pkts)),
            10,
            vec![whole(&pkts[0], false), whole(&pkts[1], false), Got::Corrupt],
        ),
        (
            "a next offset to the block's end",
            hdr(1, next_offset),
            bs - at[1] as u32,
            vec![whole(&pkts[0], false), whole(&pkts[1], false), Got::Corrupt],
        ),
        (
            "a next offset far past the block",
            hdr(1, next_offset),
            u32::MAX,
            vec![whole(&pkts[0], false), whole(&pkts[1], false), Got::Corrupt],
        ),
        (
            "a next offset whose headers cross the block's end",
            hdr(0, next_offset),
            bs - at[0] as u32 - HDR_END as u32 + 1,
            vec![whole(&pkts[0], false), Got::Corrupt],
        ),
        (
            "data past the block's end",
            hdr(2, offset_of!(Tpacket3Hdr, tp_snaplen)),
            bs - (at[2] as u32 + MAC as u32) + 1,
            vec![whole(&pkts[0], false), whole(&pkts[1], false), Got::Corrupt],
        ),
    ];
    for (what, field, value, want) in spoils {
        for walk in [None, Some(1), Some(2), Some(64)] {
            let (map, mut rx) = ring(geo, Post::new(false, 0));
            fill_v3(&map, geo, 0, &pkts);
            map.write_u32(field, value);
            fill_v3(&map, geo, 1, &[pkt(9, 60)]);
            let got = match walk {
                None => next_all(&mut rx),
                Some(max) => walk_all(&mut rx, max),
            };
            let (last, rest) = got.split_last().expect("something read");
            assert_eq!(last, &whole(&pkt(9, 60), true), "{what}, walk {walk:?}: {got:?}");
            match walk {
                None => assert_eq!(rest, &want[..], "{what}"),
                Some(_) => {
                    // The block's packets in order, as long as they are sound; at most one
                    // corrupt report, and nothing read after it.
                    let good: Vec<&Got> = rest.iter().take_while(|g| **g != Got::Corrupt).collect();
                    assert!(rest.len() - good.len() <= 1, "{what}, walk {walk:?}: {got:?}");
                    for (i, g) in good.iter().enumerate() {
                        let Got::Pkt(b, len, _) = g else { unreachable!() };
                        assert_eq!((b, *len), (&pkts[i].data, pkts[i].len), "{what}, walk {walk:?}");
                    }
                }
            }
            rx.release_done();
            for b in 0..2 {
                assert_eq!(block_status(&map, geo, b), TP_STATUS_KERNEL, "{what}: block {b}");
            }
        }
    }
}

#[test]
fn v3_the_last_packet_of_a_block_ends_it_whatever_its_next_offset() {
    let geo = v3_geo(8192, 4);
    let pkts = [pkt(1, 60), pkt(2, 1000), pkt(3, 70)];
    let at = v3_offsets(&pkts);
    for walk in [None, Some(1), Some(3), Some(64)] {
        let (map, mut rx) = ring(geo, Post::new(false, 0));
        fill_v3(&map, geo, 0, &pkts);
        // The kernel leaves the last packet's next offset as it likes: never followed.
        map.write_u32(at[2] + offset_of!(Tpacket3Hdr, tp_next_offset), 0xdead_beef);
        let got = match walk {
            None => next_all(&mut rx),
            Some(max) => walk_all(&mut rx, max),
        };
        let want = vec![
            whole(&pkts[0], false),
            whole(&pkts[1], false),
            whole(&pkts[2], true),
        ];
        assert_eq!(got, want, "walk {walk:?}");
        assert_eq!(block_status(&map, geo, 0), TP_STATUS_KERNEL);
    }
}

#[test]
fn v3_data_may_end_at_the_block_end_not_past_it() {
    let geo = v3_geo(8192, 4);
    let first = tpacket_align(size_of::<TpacketBlockDesc>());
    let fits = pkt(1, geo.block_size as usize - first - MAC as usize);
    for (over, walk) in [(0, None), (0, Some(8)), (1, None), (1, Some(8))] {
        let (map, mut rx) = ring(geo, Post::new(false, 0));
        fill_v3(&map, geo, 0, std::slice::from_ref(&fits));
        map.write_u32(
            first + offset_of!(Tpacket3Hdr, tp_snaplen),
            fits.data.len() as u32 + over,
        );
        let got = match walk {
            None => next_all(&mut rx),
            Some(max) => walk_all(&mut rx, max),
        };
        let want = if over == 0 {
            whole(&fits, true)
        } else {
            Got::Corrupt
        };
        assert_eq!(got, [want], "over {over}, walk {walk:?}");
    }
}

/// A tagged copy of `p`: the kernel took out the tag (`tpid` 0 when it gives none).
fn tagged(mut p: Pkt, tci: u16, tpid: u16) -> Pkt {
    p.status |= TP_STATUS_VLAN_VALID;
    if tpid != 0 {
        p.status |= TP_STATUS_VLAN_TPID_VALID;
    }
    (p.tci, p.tpid) = (tci, tpid);
    p
}

/// `p`'s bytes with its tag put back, and its length on the wire.
fn with_tag(p: &Pkt) -> (Vec<u8>, u32) {
    let tpid = if p.tpid == 0 { 0x8100 } else { p.tpid };
    let mut b = p.data[..12].to_vec();
    b.extend_from_slice(&tpid.to_be_bytes());
    b.extend_from_slice(&p.tci.to_be_bytes());
    b.extend_from_slice(&p.data[12..]);
    (b, p.len + 4)
}

#[test]
fn v3_read_mid_takes_the_packets_inside_a_block() {
    let geo = v3_geo(16384, 4);
    for snap in [0u32, 20] {
        let cut = |b: &[u8]| b[..b.len().min(if snap == 0 { usize::MAX } else { snap as usize })].to_vec();
        let (map, mut rx) = ring(geo, Post::new(true, snap));
        let mut pkts: Vec<Pkt> = (0..6).map(|i| pkt(i, 100 + i as usize)).collect();
        pkts[3] = tagged(pkts[3].clone(), 0x0123, 0x88a8);
        fill_v3(&map, geo, 0, &pkts);
        fill_v3(&map, geo, 1, &[pkt(10, 60), pkt(11, 60), pkt(12, 60)]);
        let mid = |rx: &mut Rx, tags: bool| {
            let mut desc = None;
            let describe =
                |v: &V3View<'_>| desc = Some((v.sec(), v.len(), v.caplen(), v.data_off(), v.last_in_slot()));
            let bytes = if tags {
                rx.read_mid::<true>(describe)
            } else {
                rx.read_mid::<false>(describe)
            }
            .map(<[u8]>::to_vec);
            let bytes = bytes?;
            let (sec, len, caplen, off, last) = desc.expect("described");
            assert!(!last);
            assert_eq!(caplen as usize, bytes.len());
            assert_eq!(rx.bytes(off, caplen as usize), &bytes[..]);
            Some((sec, bytes, len))
        };
        // Nothing walked yet: the fast path has nothing.
        assert_eq!(mid(&mut rx, true), None);
        // pkt_read's way: a walk of one packet opens the block, the fast path takes the next
        // ones but not the block's last, which the next walk takes.
        assert_eq!(walk_one(&mut rx), Some(Got::Pkt(cut(&pkts[0].data), 100, false)));
        assert_eq!(mid(&mut rx, false), Some((1001, cut(&pkts[1].data), 101)));
        assert_eq!(mid(&mut rx, true), Some((1002, cut(&pkts[2].data), 102)));
        // A tag to put back: not without TAGS, and nothing changed then.
        assert_eq!(mid(&mut rx, false), None);
        let (b, len) = with_tag(&pkts[3]);
        assert_eq!(mid(&mut rx, true), Some((1003, cut(&b), len)));
        assert_eq!(mid(&mut rx, true), Some((1004, cut(&pkts[4].data), 104)));
        assert_eq!(mid(&mut rx, true), None, "the block's last packet");
        assert_eq!(walk_one(&mut rx), Some(Got::Pkt(cut(&pkts[5].data), 105, true)));
        // Without giving the finished block back first, the next walk holds it: no fast path.
        let walked = rx.walk_block(1, |_, _| true);
        assert!(matches!(walked, Some(Walk::Ready(1))));
        assert_eq!(rx.held(), 1);
        assert_eq!(mid(&mut rx, true), None, "a block held");
        assert_eq!(block_status(&map, geo, 0), TP_STATUS_USER);
        assert_eq!(
            walk_one(&mut rx),
            Some(Got::Pkt(cut(&pkt(11, 60).data), 60, false))
        );
        assert_eq!(block_status(&map, geo, 0), TP_STATUS_KERNEL);
        assert_eq!(mid(&mut rx, true), None, "the block's last packet");
        // A walk set up for more: the fast path may go on after a walk of several.
        fill_v3(
            &map,
            geo,
            2,
            &[pkt(20, 60), pkt(21, 60), pkt(22, 60), pkt(23, 60)],
        );
        assert!(walk_one(&mut rx).is_some());
        rx.release_done();
        assert!(matches!(rx.walk_block(2, |_, _| true), Some(Walk::Ready(2))));
        assert_eq!(mid(&mut rx, true).map(|m| m.1), Some(cut(&pkt(22, 60).data)));
        assert_eq!(mid(&mut rx, true), None);
    }
}

/// One packet with the batch walker, as `pkt_read` reads the first of a block.
fn walk_one(rx: &mut Rx) -> Option<Got> {
    rx.release_done();
    let mut got = None;
    match rx.walk_block(1, |d, v| {
        got = Some(Got::Pkt(d.to_vec(), v.len(), v.last_in_slot()));
        true
    }) {
        Some(Walk::Ready(1)) => got,
        Some(Walk::Empty) => None,
        Some(Walk::Corrupt) => Some(Got::Corrupt),
        _ => panic!("walk"),
    }
}

#[test]
fn v3_read_mid_leaves_anything_unusual_to_the_walk() {
    let geo = v3_geo(16384, 4);
    let pkts: Vec<Pkt> = (0..4).map(|i| pkt(i, 80)).collect();
    let at = v3_offsets(&pkts);
    for spoil in 0..3 {
        let (map, mut rx) = ring(geo, Post::new(false, 0));
        fill_v3(&map, geo, 0, &pkts);
        match spoil {
            // Data inside the headers, past the block, a next offset of 0 mid-block.
            0 => map.write_u32(at[1] + offset_of!(Tpacket3Hdr, tp_mac), 8 | (22 << 16)),
            1 => map.write_u32(at[1] + offset_of!(Tpacket3Hdr, tp_snaplen), 20000),
            _ => map.write_u32(at[1] + offset_of!(Tpacket3Hdr, tp_next_offset), 0),
        }
        fill_v3(&map, geo, 1, &[pkt(9, 60)]);
        assert_eq!(walk_one(&mut rx), Some(whole(&pkts[0], false)));
        assert!(rx.read_mid::<true>(|_| {}).is_none(), "spoil {spoil}");
        // The walk then reports it (or, for a zero stride, hands the packet out and skips the
        // rest), and the next block is read.
        let rest = walk_all(&mut rx, 1);
        let want_first = if spoil == 2 {
            whole(&pkts[1], false)
        } else {
            Got::Corrupt
        };
        assert_eq!(rest, [want_first, whole(&pkt(9, 60), true)], "spoil {spoil}");
    }
}

#[test]
fn vlan_tags_go_back_only_with_room_and_an_ethernet_header() {
    let geo = v3_geo(16384, 4);
    // Room for the tag in front (mac - HDR_END): none, exactly 4, plenty; and a frame too short
    // for an Ethernet header.
    let mut no_room = tagged(pkt(1, 100), 7, 0);
    no_room.mac = HDR_END;
    let mut just = tagged(pkt(2, 100), 8, 0x88a8);
    just.mac = HDR_END + 4;
    let mut short = tagged(pkt(3, 100), 9, 0);
    short.data.truncate(11);
    short.len = 11;
    let plenty = tagged(pkt(4, 100), 10, 0);
    let pkts = [
        pkt(0, 60),
        no_room.clone(),
        just.clone(),
        short.clone(),
        plenty.clone(),
        pkt(5, 60),
    ];
    let tag = |p: &Pkt, last: bool| {
        let (b, len) = with_tag(p);
        Got::Pkt(b, len, last)
    };
    let want = vec![
        whole(&pkts[0], false),
        whole(&no_room, false),
        tag(&just, false),
        whole(&short, false),
        tag(&plenty, false),
        whole(&pkts[5], true),
    ];
    for walk in [None, Some(1), Some(64)] {
        let (map, mut rx) = ring(geo, Post::new(true, 0));
        fill_v3(&map, geo, 0, &pkts);
        let got = match walk {
            None => next_all(&mut rx),
            Some(max) => walk_all(&mut rx, max),
        };
        assert_eq!(got, want, "walk {walk:?}");
    }
    // pkt_read's fast path puts them back the same way.
    let (map, mut rx) = ring(geo, Post::new(true, 0));
    fill_v3(&map, geo, 0, &pkts);
    let mut got = vec![walk_one(&mut rx).expect("a packet")];
    for _ in 1..5 {
        let mut len = 0;
        let b = rx
            .read_mid::<true>(|v| len = v.len())
            .expect("inside the block")
            .to_vec();
        got.push(Got::Pkt(b, len, false));
    }
    got.push(walk_one(&mut rx).expect("the last packet"));
    assert_eq!(got, want, "read_mid");
}

#[test]
fn v3_snap_length_without_vlan_and_whole_packets() {
    let geo = v3_geo(8192, 4);
    let t = tagged(pkt(1, 100), 0x0042, 0);
    let plain = pkt(2, 100);
    for (snap, walk) in [
        (0, None),
        (0, Some(4)),
        (20, None),
        (20, Some(4)),
        (100, Some(4)),
        (101, None),
    ] {
        // Without re-insertion (a cooked capture, or none asked for) the tag stays out.
        let (map, mut rx) = ring(geo, Post::new(false, snap));
        fill_v3(&map, geo, 0, &[t.clone(), plain.clone()]);
        let got = match walk {
            None => next_all(&mut rx),
            Some(max) => walk_all(&mut rx, max),
        };
        let keep = if snap == 0 { 100 } else { (snap as usize).min(100) };
        let want = [
            Got::Pkt(t.data[..keep].to_vec(), 100, false),
            Got::Pkt(plain.data[..keep].to_vec(), 100, true),
        ];
        assert_eq!(got, want, "snap {snap}, walk {walk:?}");
    }
}

#[test]
fn v2_snap_length_tpid_and_room() {
    let geo = Geometry {
        version: Version::V2,
        block_size: 8192,
        block_nr: 2,
        frame_size: 2048,
        frame_nr: 8,
    };
    // The least tp_mac of a V2 frame: header and sockaddr_ll, no room for a tag in front.
    let least = (V2_SLL + size_of::<libc::sockaddr_ll>()) as u16;
    let t = tagged(pkt(1, 200), 0x0abc, 0x88a8);
    let (b, len) = with_tag(&t);
    let mut short = tagged(pkt(2, 100), 3, 0);
    short.data.truncate(11);
    short.len = 11;
    let cases: [(Post, &Pkt, u16, Vec<u8>, u32); 6] = [
        // The tag goes back (TPID from the kernel), then the snap length trims.
        (Post::new(true, 0), &t, 80, b.clone(), len),
        (Post::new(true, 20), &t, 80, b[..20].to_vec(), len),
        // Not asked for: the bytes stay as the kernel left them, trimmed.
        (Post::new(false, 20), &t, 80, t.data[..20].to_vec(), t.len),
        // Exactly room for it; no room; too short for an Ethernet header.
        (Post::new(true, 0), &t, least + 4, b.clone(), len),
        (Post::new(true, 0), &t, least, t.data.clone(), t.len),
        (Post::new(true, 0), &short, 80, short.data.clone(), short.len),
    ];
    for (i, (post, p, mac, want, want_len)) in cases.into_iter().enumerate() {
        let (map, mut rx) = ring(geo, post);
        fill_v2(&map, geo, 0, p, mac);
        let (bytes, frames) = read_all(&mut rx);
        assert_eq!(bytes, [want], "case {i}");
        assert_eq!(
            (frames[0].len, frames[0].last_in_slot),
            (want_len, true),
            "case {i}"
        );
        rx.release_done();
        assert_eq!(map.status(offset_of!(Tpacket2Hdr, tp_status)), TP_STATUS_KERNEL);
    }
    // Data running exactly to the frame's end is read; a byte more is corrupt.
    for over in [0usize, 1] {
        let (map, mut rx) = ring(geo, Post::new(false, 0));
        let p = pkt(5, geo.frame_size as usize - 80);
        fill_v2(&map, geo, 0, &p, 80);
        map.write_u32(offset_of!(Tpacket2Hdr, tp_snaplen), (p.data.len() + over) as u32);
        let (bytes, _) = read_all(&mut rx);
        let want = if over == 0 {
            p.data.clone()
        } else {
            b"CORRUPT".to_vec()
        };
        assert_eq!(bytes, [want], "over {over}");
    }
}

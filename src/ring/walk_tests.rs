//! The ring walkers over synthetic rings: blocks and frames written the way the kernel writes
//! them into an anonymous mapping, read back through `Rx` — no kernel, no socket, no root.
//! Covers the paths real traffic rarely takes: corrupt headers, the last packet of a block, the
//! wrap from the last block to the first, VLAN tags put back and the snap length.

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
        let next = tpacket_align(MAC as usize + p.data.len());
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
            MAC as u32 | ((MAC as u32 + 14) << 16),
        );
        w(offset_of!(Tpacket3Hdr, tp_vlan_tci), p.tci as u32);
        w(offset_of!(Tpacket3Hdr, tp_vlan_tpid), p.tpid as u32);
        write_sll(map, at + SLL);
        map.copy_in(at + MAC as usize, &p.data);
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

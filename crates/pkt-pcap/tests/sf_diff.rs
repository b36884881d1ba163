//! The savefile reader (`pkt_pcap::sf`) against the system's libpcap (1.10.3 on Debian): a
//! corpus of files generated here (pcap µs/ns/Kuznetzov in both byte orders and every version
//! libpcap knows, many link types, the pseudo-headers libpcap byte-swaps, caplen/snaplen
//! corners; pcapng with several sections and interfaces, if_tsresol/if_tsoffset, SPB, the
//! obsolete PB, unknown blocks and every block error), each small one cut at every byte, and
//! fixed-seed random mutations of all of them. `tests/sf_oracle.c`, built here with
//! `cc ... -lpcap` (libpcap is a test-only reference), opens each file with
//! `pcap_open_offline_with_tstamp_precision` and prints its header values, records and final
//! error or EOF; this test prints the same from `Savefile` and compares, line for line.
//!
//! Without `cc` or libpcap-dev the test says SKIPPED, which with CI=true is a failure. The
//! report (every difference) goes to `target/tmp/sf_diff/report.txt`.
//!
//! Longer runs by hand: `SF_DIFF_MUTANTS=200000 SF_DIFF_SEED=7 cargo test --release -p pkt-pcap
//! --test sf_diff` (defaults: 4000 mutants, a fixed seed).

#![allow(clippy::too_many_arguments)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pkt_pcap::sf::Savefile;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn work_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sf_diff");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Builds the oracle; `Err` says why it could not be built.
fn build_oracle() -> Result<PathBuf, String> {
    let bin = work_dir().join("sf_oracle");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sf_oracle.c");
    let out = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&bin)
        .arg(&src)
        .arg("-lpcap")
        .output()
        .map_err(|e| format!("cannot run cc: {e} (install gcc and libpcap-dev)"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot build sf_oracle (is libpcap-dev installed? apt-get install libpcap-dev):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(bin)
}

// ---------------------------------------------------------------------------------------------
// Byte writers.
// ---------------------------------------------------------------------------------------------

/// Bytes in a chosen byte order.
#[derive(Default, Clone)]
struct W {
    be: bool,
    b: Vec<u8>,
}

impl W {
    fn new(be: bool) -> W {
        W { be, b: Vec::new() }
    }
    fn u8(&mut self, v: u8) -> &mut W {
        self.b.push(v);
        self
    }
    fn u16(&mut self, v: u16) -> &mut W {
        let b = if self.be { v.to_be_bytes() } else { v.to_le_bytes() };
        self.b.extend_from_slice(&b);
        self
    }
    fn u32(&mut self, v: u32) -> &mut W {
        let b = if self.be { v.to_be_bytes() } else { v.to_le_bytes() };
        self.b.extend_from_slice(&b);
        self
    }
    fn u64(&mut self, v: u64) -> &mut W {
        let b = if self.be { v.to_be_bytes() } else { v.to_le_bytes() };
        self.b.extend_from_slice(&b);
        self
    }
    fn be16(&mut self, v: u16) -> &mut W {
        self.b.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn bytes(&mut self, v: &[u8]) -> &mut W {
        self.b.extend_from_slice(v);
        self
    }
    fn pad4(&mut self) -> &mut W {
        while self.b.len() % 4 != 0 {
            self.b.push(0);
        }
        self
    }
    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.b)
    }
}

/// Deterministic xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn payload(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// pcap.
// ---------------------------------------------------------------------------------------------

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
const MAGIC_KUZ: u32 = 0xa1b2_cd34;

fn pcap_hdr(be: bool, magic: u32, major: u16, minor: u16, snaplen: u32, linktype: u32) -> Vec<u8> {
    W::new(be)
        .u32(magic)
        .u16(major)
        .u16(minor)
        .u32(0)
        .u32(0)
        .u32(snaplen)
        .u32(linktype)
        .take()
}

/// A record header (the caplen/len fields as given, in that order) and `data`; Kuznetzov's
/// header has 8 more bytes (ifindex, protocol, pkt_type, padding).
fn pcap_rec(be: bool, kuz: bool, sec: u32, frac: u32, f1: u32, f2: u32, data: &[u8]) -> Vec<u8> {
    let mut w = W::new(be);
    w.u32(sec).u32(frac).u32(f1).u32(f2);
    if kuz {
        w.u32(7).u16(0x0800).u8(4).u8(0);
    }
    w.bytes(data);
    w.take()
}

/// A pcap file with records (sec, frac, caplen, len, data); caplen is written as given.
fn pcap_file(
    be: bool,
    magic: u32,
    ver: (u16, u16),
    snaplen: u32,
    linktype: u32,
    recs: &[(u32, u32, u32, u32, Vec<u8>)],
) -> Vec<u8> {
    let mut f = pcap_hdr(be, magic, ver.0, ver.1, snaplen, linktype);
    for (sec, frac, caplen, len, data) in recs {
        f.extend(pcap_rec(be, magic == MAGIC_KUZ, *sec, *frac, *caplen, *len, data));
    }
    f
}

fn eth_recs(n: usize) -> Vec<(u32, u32, u32, u32, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let cap = [60usize, 14, 0, 1514, 100][i % 5];
            let len = if i % 3 == 1 { cap as u32 + 40 } else { cap as u32 };
            (
                1_700_000_000 + i as u32,
                (i as u32 * 123_457) % 1_000_000,
                cap as u32,
                len,
                payload(cap, i as u8),
            )
        })
        .collect()
}

// Pseudo-headers written in a file's byte order, for the swap paths.

fn usb_mmapped(
    be: bool,
    transfer: u8,
    event: u8,
    ep: u8,
    data_flag: u8,
    urb_len: u32,
    descs: &[(u32, u32, u32)],
    data: &[u8],
) -> Vec<u8> {
    let mut w = W::new(be);
    w.u64(0x1122_3344_5566_7788)
        .u8(event)
        .u8(transfer)
        .u8(ep)
        .u8(3)
        .u16(2)
        .u8(b'-')
        .u8(data_flag);
    w.u64(1_600_000_000)
        .u32(123_456)
        .u32(0xffff_ffee)
        .u32(urb_len)
        .u32(data.len() as u32);
    w.u32(1).u32(descs.len() as u32); // iso error_count, numdesc (or the setup bytes)
    w.u32(8).u32(1000).u32(0x204).u32(descs.len() as u32);
    for (status, off, len) in descs {
        w.u32(*status).u32(*off).u32(*len).u32(0);
    }
    w.bytes(data);
    w.take()
}

fn usb_plain(be: bool, transfer: u8, data: &[u8]) -> Vec<u8> {
    let mut w = W::new(be);
    w.u64(0xdead_beef_0102_0304)
        .u8(b'S')
        .u8(transfer)
        .u8(0x02)
        .u8(5)
        .u16(1)
        .u8(0)
        .u8(0);
    w.u64(1_600_000_001)
        .u32(7)
        .u32(0xffff_ff8d)
        .u32(64)
        .u32(data.len() as u32);
    w.u32(0x0102_0304).u32(0x0506_0708);
    w.bytes(data);
    w.take()
}

fn nflog(be: bool, version: u8, tlvs: &[(u16, u16, Vec<u8>)]) -> Vec<u8> {
    let mut w = W::new(be);
    w.u8(2).u8(version).be16(0x1234);
    for (len, ty, val) in tlvs {
        w.u16(*len).u16(*ty).bytes(val).pad4();
    }
    w.take()
}

fn sll(be: bool, proto: u16, can_id: u32, rest: &[u8]) -> Vec<u8> {
    let mut w = W::new(be);
    w.be16(0)
        .be16(0x118)
        .be16(0)
        .bytes(&[0; 8])
        .be16(proto)
        .u32(can_id)
        .bytes(rest);
    w.take()
}

fn sll2(be: bool, proto: u16, can_id: u32, rest: &[u8]) -> Vec<u8> {
    let mut w = W::new(be);
    w.be16(proto)
        .be16(0)
        .bytes(&[0, 0, 0, 3])
        .be16(0x118)
        .u8(0)
        .u8(0)
        .bytes(&[0; 8])
        .u32(can_id)
        .bytes(rest);
    w.take()
}

fn pflog(be: bool, hlen: u8) -> Vec<u8> {
    let mut w = W::new(be);
    w.u8(hlen)
        .u8(2)
        .u8(0)
        .u8(0)
        .bytes(b"eth0\0\0\0\0\0\0\0\0\0\0\0\0")
        .bytes(&[0; 16]);
    w.u32(1)
        .u32(2)
        .u32(1000)
        .u32(4242)
        .u32(0)
        .u32(0xffff_ffff)
        .u8(1)
        .bytes(&[0, 0, 0]);
    w.bytes(&payload(20, 9));
    w.take()
}

/// Pseudo-header records for one DLT (LINKTYPE value, records).
fn swap_cases(be: bool) -> Vec<(u32, Vec<Vec<u8>>)> {
    let iso_descs = [
        (0, 0, 100),
        (0, 100, 50),
        (0xffff_ffff, 0xffff_ff00, 0x200),
        (0, 300, 0),
    ];
    vec![
        (
            220,
            vec![
                // incoming isochronous completion, length from the URB length: fixed up
                usb_mmapped(be, 0, b'C', 0x81, 0, 400, &iso_descs, &payload(40, 1)),
                usb_mmapped(be, 0, b'C', 0x81, 0, 400, &iso_descs[..2], &payload(10, 2)),
                usb_mmapped(be, 0, b'S', 0x81, 0, 400, &iso_descs, &payload(40, 3)),
                usb_mmapped(be, 0, b'C', 0x01, 0, 400, &iso_descs, &[]),
                usb_mmapped(be, 0, b'C', 0x81, b'<', 400, &iso_descs, &[]),
                usb_mmapped(be, 3, b'C', 0x81, 0, 64, &[], &payload(64, 4)),
                usb_mmapped(be, 0, b'C', 0x81, 0, 0, &[], &[]),
                usb_mmapped(be, 0, b'C', 0x81, 0, 0, &[], &payload(10, 8)),
                usb_mmapped(be, 0, b'C', 0x81, 0, 400, &[(1, 2, 3); 20], &[]),
                // descriptors end exactly at the captured length
                usb_mmapped(be, 0, b'C', 0x81, 0, 400, &[(0, 0, 8)], &payload(8, 7)),
            ],
        ),
        (
            189,
            vec![
                usb_plain(be, 0, &payload(20, 5)),
                usb_plain(be, 2, &payload(8, 6)),
                usb_plain(be, 1, &[]),
            ],
        ),
        (
            239,
            vec![
                nflog(
                    be,
                    0,
                    &[
                        (8, 1, vec![8, 0, 3, 0]),
                        (5, 9, vec![0x45]),
                        (4, 2, vec![]),
                        (12, 3, payload(8, 1)),
                    ],
                ),
                nflog(be, 0, &[(1, 1, vec![])]),
                nflog(be, 0, &[(0xfffd, 1, vec![1, 2, 3, 4])]),
                nflog(be, 0, &[(400, 1, vec![1, 2, 3, 4])]),
                nflog(be, 1, &[(8, 1, vec![8, 0, 3, 0])]),
                {
                    let mut v = nflog(be, 0, &[(8, 1, vec![8, 0, 3, 0])]);
                    v.extend_from_slice(&[0, 8]);
                    v
                },
            ],
        ),
        (
            113,
            vec![
                sll(be, 0x000c, 0x8000_0123, &payload(8, 1)),
                sll(be, 0x000d, 0x123, &payload(64, 2)),
                sll(be, 0x0800, 0x4500_0014, &payload(16, 3)),
            ],
        ),
        (
            276,
            vec![
                sll2(be, 0x000c, 0x8000_0123, &payload(8, 1)),
                sll2(be, 0x000d, 0x7ff, &[]),
                sll2(be, 0x86dd, 0x6000_0000, &payload(16, 3)),
            ],
        ),
        (
            117,
            vec![
                pflog(be, 61),
                pflog(be, 48),
                pflog(be, 52),
                pflog(be, 56),
                pflog(be, 60),
                pflog(be, 10),
            ],
        ),
    ]
}

/// Every pcap base file: (name, bytes, cut at every byte?).
fn pcap_corpus(out: &mut Vec<(String, Vec<u8>, bool)>) {
    let vers: [(u16, u16); 8] = [(2, 4), (2, 3), (2, 2), (2, 1), (2, 0), (543, 0), (2, 5), (1, 9)];
    for be in [false, true] {
        let e = if be { "be" } else { "le" };
        for (mname, magic) in [("us", MAGIC_US), ("ns", MAGIC_NS), ("kuz", MAGIC_KUZ)] {
            for ver in vers {
                let mut recs = eth_recs(6);
                if magic == MAGIC_NS {
                    for (i, r) in recs.iter_mut().enumerate() {
                        r.1 = [0, 1, 999, 1000, 999_999_999, 123_456_789][i % 6];
                    }
                }
                let f = pcap_file(be, magic, ver, 65535, 1, &recs);
                let small = ver == (2, 4) || ver == (2, 3);
                let mut cut = f.clone();
                cut.truncate(if small { 24 + 2 * (16 + 60) + 20 } else { f.len() });
                out.push((format!("pcap-{e}-{mname}-v{}.{}", ver.0, ver.1), f, false));
                if small {
                    out.push((format!("pcap-{e}-{mname}-v{}.{}-small", ver.0, ver.1), cut, true));
                }
            }
            // Kuznetzov's snapshot + 14 for Ethernet only, capped at INT_MAX.
            for (snap, lt) in [
                (100u32, 1u32),
                (100, 101),
                (0x7fff_fff0, 1),
                (0x7fff_ffff, 1),
                (0, 1),
            ] {
                let recs = vec![
                    (1, 2, 114, 114, payload(114, 1)),
                    (1, 2, 115, 200, payload(115, 2)),
                ];
                out.push((
                    format!("pcap-{e}-{mname}-snap{snap}-lt{lt}"),
                    pcap_file(be, magic, (2, 4), snap, lt, &recs),
                    false,
                ));
            }
        }
        // Unsupported and archaic versions, unknown magics.
        for ver in [
            (0u16, 0u16),
            (1, 0),
            (1, 65535),
            (2, 6),
            (2, 65535),
            (3, 0),
            (543, 1),
            (542, 0),
            (65535, 0),
        ] {
            out.push((
                format!("pcap-{e}-v{}.{}", ver.0, ver.1),
                pcap_file(be, MAGIC_US, ver, 65535, 1, &eth_recs(1)),
                false,
            ));
        }
        for magic in [0xa1b2_34cdu32, 0xa12b_3c4d, 0xd4c3_b2a1_u32.swap_bytes() ^ 1, 0] {
            out.push((
                format!("pcap-{e}-magic{magic:08x}"),
                pcap_file(be, magic, (2, 4), 65535, 1, &eth_recs(1)),
                false,
            ));
        }
        // Snapshot lengths and captured lengths around them.
        for snap in [
            0u32,
            1,
            14,
            64,
            4096,
            65535,
            262_144,
            262_145,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
        ] {
            let mut recs = Vec::new();
            for cap in [0u32, 1, 13, 14, 63, 64, 65, 4095, 4096, 4097, 5000, 9000] {
                recs.push((cap, cap, cap, cap + 1, payload(cap as usize, cap as u8)));
            }
            out.push((
                format!("pcap-{e}-snap{snap}"),
                pcap_file(be, MAGIC_US, (2, 4), snap, 1, &recs),
                false,
            ));
            // One record past the maximum, one at it.
            for cap in [262_144u32, 262_145] {
                let recs = vec![
                    (1, 1, 60, 60, payload(60, 0)),
                    (2, 2, cap, cap, payload(cap as usize, 7)),
                    (3, 3, 60, 60, payload(60, 1)),
                ];
                out.push((
                    format!("pcap-{e}-snap{snap}-cap{cap}"),
                    pcap_file(be, MAGIC_US, (2, 4), snap, 1, &recs),
                    false,
                ));
            }
        }
        // A record past the snapshot whose rest is cut short (in the kept part, in the part
        // skipped, in the second 4096-byte piece of it).
        for keep in [10usize, 64 + 100, 64 + 5000] {
            let mut f = pcap_file(
                be,
                MAGIC_US,
                (2, 4),
                64,
                1,
                &[(1, 1, 9000, 9000, payload(9000, 3))],
            );
            f.truncate(24 + 16 + keep);
            out.push((format!("pcap-{e}-snap64-cut{keep}"), f, false));
        }
        // Link types: mapping, ext bits, per-DLT maxima.
        for lt in [
            0u32,
            1,
            9,
            10,
            11,
            12,
            50,
            51,
            99,
            100,
            101,
            102,
            103,
            104,
            105,
            106,
            107,
            112,
            113,
            117,
            189,
            220,
            231,
            239,
            246,
            249,
            258,
            276,
            279,
            289,
            290,
            1000,
            65535,
            65536,
            0x03ff_ffff,
            0x0400_0001,
            0x1000_0001,
            0x2000_0001,
            0xfc00_0001,
            0x8000_0069,
        ] {
            let recs = vec![(5, 6, 40, 40, payload(40, 1)), (7, 8, 20, 100, payload(20, 2))];
            out.push((
                format!("pcap-{e}-lt{lt:x}"),
                pcap_file(be, MAGIC_US, (2, 4), 0, lt, &recs),
                false,
            ));
        }
        // Bigger records where the DLT allows them (D-Bus, EBHSCR, USBPcap).
        for (lt, cap) in [
            (231u32, 300_000u32),
            (279, 300_000),
            (249, 300_000),
            (249, 1_048_577),
        ] {
            for snap in [0u32, 65535, 262_144, 2_000_000] {
                let recs = vec![
                    (1, 1, cap, cap, payload(cap as usize, 5)),
                    (2, 2, 10, 10, payload(10, 6)),
                ];
                out.push((
                    format!("pcap-{e}-lt{lt}-snap{snap}-cap{cap}"),
                    pcap_file(be, MAGIC_US, (2, 4), snap, lt, &recs),
                    false,
                ));
            }
        }
        // Time stamps: signed fields, fractions out of range, scaling.
        for magic in [MAGIC_US, MAGIC_NS] {
            let vals = [
                0u32,
                1,
                999,
                999_999,
                1_000_000,
                999_999_999,
                1_000_000_000,
                0x7fff_ffff,
                0x8000_0000,
                0xffff_fc18,
                0xffff_ffff,
            ];
            let recs: Vec<_> = vals
                .iter()
                .enumerate()
                .map(|(i, &v)| (vals[(i + 7) % vals.len()], v, 4, 4, vec![1, 2, 3, 4]))
                .collect();
            out.push((
                format!("pcap-{e}-ts-{magic:08x}"),
                pcap_file(be, magic, (2, 4), 65535, 1, &recs),
                false,
            ));
        }
        // Version 2.3's maybe-swapped lengths, 2.2's swapped ones, caplen > len.
        for ver in [(2u16, 3u16), (2, 2), (543, 0), (2, 4)] {
            let recs = vec![
                (1, 1, 10, 20, payload(10, 1)),
                (1, 1, 20, 10, payload(10, 2)),
                (1, 1, 30, 30, payload(30, 3)),
                (1, 1, 5, 300_000, payload(5, 4)),
            ];
            out.push((
                format!("pcap-{e}-lengths-v{}.{}", ver.0, ver.1),
                pcap_file(be, MAGIC_US, ver, 65535, 1, &recs),
                false,
            ));
        }
        // Pseudo-headers: whole, and cut at every captured length (with len both whole and cut).
        for (lt, recs) in swap_cases(be) {
            let mut all = Vec::new();
            for (i, r) in recs.iter().enumerate() {
                let n = r.len() as u32;
                all.push((i as u32, 0, n, n, r.clone()));
                all.push((
                    i as u32,
                    0,
                    n,
                    if lt == 220 { 64 + 16 * 4 + 400 } else { n + 100 },
                    r.clone(),
                ));
                if lt == 220 {
                    let ndesc = (n.saturating_sub(64) / 16).min(4);
                    all.push((i as u32, 1, n, 64 + 16 * ndesc + 400, r.clone()));
                }
                // An on-the-wire length shorter than what was captured.
                for len in [0u32, 4, 8, 12, 16, 20, 24, 47, 48, 51, 52] {
                    all.push((i as u32, 2, n, len, r.clone()));
                }
            }
            out.push((
                format!("pcap-{e}-pseudo-lt{lt}"),
                pcap_file(be, MAGIC_US, (2, 4), 0, lt, &all),
                false,
            ));
            let mut cuts = Vec::new();
            for r in &recs {
                for cap in 0..=r.len().min(140) as u32 {
                    cuts.push((cap, 1, cap, r.len() as u32, r[..cap as usize].to_vec()));
                    cuts.push((cap, 2, cap, cap.saturating_sub(3), r[..cap as usize].to_vec()));
                }
            }
            out.push((
                format!("pcap-{e}-pseudo-lt{lt}-cuts"),
                pcap_file(be, MAGIC_US, (2, 4), 0, lt, &cuts),
                false,
            ));
            // The same in a Kuznetzov file and a 2.2 file (lengths swapped) for variety.
            out.push((
                format!("pcap-{e}-pseudo-lt{lt}-v2.2"),
                pcap_file(be, MAGIC_US, (2, 2), 0, lt, &all),
                false,
            ));
        }
        // Small files for the cuts at every byte.
        let small = pcap_file(
            be,
            MAGIC_NS,
            (2, 4),
            96,
            1,
            &[
                (1, 999_999_999, 20, 60, payload(20, 1)),
                (2, 5, 0, 0, vec![]),
                (3, 6, 100, 100, payload(100, 2)),
            ],
        );
        out.push((format!("pcap-{e}-ns-snap96-small"), small, true));
        let small = pcap_file(
            be,
            MAGIC_KUZ,
            (2, 4),
            50,
            1,
            &[(1, 1, 70, 70, payload(70, 1)), (2, 2, 3, 3, vec![1, 2, 3])],
        );
        out.push((format!("pcap-{e}-kuz-small"), small, true));
        let r = usb_mmapped(
            be,
            0,
            b'C',
            0x81,
            0,
            400,
            &[(0, 0, 100), (0, 100, 50)],
            &payload(8, 1),
        );
        let n = r.len() as u32;
        out.push((
            format!("pcap-{e}-usb-small"),
            pcap_file(be, MAGIC_US, (2, 4), 0, 220, &[(1, 1, n, 64 + 32 + 400, r)]),
            true,
        ));
    }
    // Short and odd files.
    out.push(("empty".into(), vec![], false));
    out.push((
        "text".into(),
        b"this is not a capture file at all\n".to_vec(),
        false,
    ));
    out.push((
        "text-crlf".into(),
        b"\n\r\r\nnot a pcapng file at all\n".to_vec(),
        false,
    ));
    out.push(("magic-only".into(), MAGIC_US.to_le_bytes().to_vec(), false));
}

// ---------------------------------------------------------------------------------------------
// pcapng.
// ---------------------------------------------------------------------------------------------

const BT_SHB: u32 = 0x0a0d_0d0a;
const BT_IDB: u32 = 1;
const BT_PB: u32 = 2;
const BT_SPB: u32 = 3;
const BT_EPB: u32 = 6;

/// pcapng writer in one byte order.
struct Ng {
    be: bool,
    b: Vec<u8>,
}

type Opts = Vec<(u16, Vec<u8>)>;

impl Ng {
    fn new(be: bool) -> Ng {
        Ng { be, b: Vec::new() }
    }

    fn w(&self) -> W {
        W::new(self.be)
    }

    /// A block: type, total length, body padded to 4, total length.
    fn block(&mut self, ty: u32, body: &[u8]) -> &mut Ng {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let total = 12 + body.len() as u32;
        let mut w = self.w();
        w.u32(ty).u32(total).bytes(&body).u32(total);
        self.b.extend(w.take());
        self
    }

    /// A block with lengths as given (for the length errors).
    fn raw_block(&mut self, ty: u32, total: u32, body: &[u8], trailer: u32) -> &mut Ng {
        let mut w = self.w();
        w.u32(ty).u32(total).bytes(body).u32(trailer);
        self.b.extend(w.take());
        self
    }

    fn opts(&self, opts: &Opts, end: bool) -> Vec<u8> {
        let mut w = self.w();
        for (code, val) in opts {
            w.u16(*code).u16(val.len() as u16).bytes(val).pad4();
        }
        if end && !opts.is_empty() {
            w.u16(0).u16(0);
        }
        w.take()
    }

    fn shb(&mut self, major: u16, minor: u16, opts: &Opts) -> &mut Ng {
        let mut w = self.w();
        w.u32(0x1a2b_3c4d).u16(major).u16(minor).u64(u64::MAX);
        w.bytes(&self.opts(opts, true));
        let body = w.take();
        self.block(BT_SHB, &body)
    }

    fn idb(&mut self, linktype: u16, snaplen: u32, opts: &Opts) -> &mut Ng {
        let mut w = self.w();
        w.u16(linktype).u16(0).u32(snaplen).bytes(&self.opts(opts, true));
        let body = w.take();
        self.block(BT_IDB, &body)
    }

    /// An IDB with raw option bytes.
    fn idb_raw(&mut self, linktype: u16, snaplen: u32, opt_bytes: &[u8]) -> &mut Ng {
        let mut w = self.w();
        w.u16(linktype).u16(0).u32(snaplen).bytes(opt_bytes);
        let body = w.take();
        self.block(BT_IDB, &body)
    }

    fn epb(&mut self, ifid: u32, ts: u64, caplen: u32, len: u32, data: &[u8]) -> &mut Ng {
        let mut w = self.w();
        w.u32(ifid)
            .u32((ts >> 32) as u32)
            .u32(ts as u32)
            .u32(caplen)
            .u32(len)
            .bytes(data)
            .pad4();
        w.bytes(&self.opts(&vec![(1, b"a comment".to_vec())], true));
        let body = w.take();
        self.block(BT_EPB, &body)
    }

    fn spb(&mut self, len: u32, data: &[u8]) -> &mut Ng {
        let mut w = self.w();
        w.u32(len).bytes(data);
        let body = w.take();
        self.block(BT_SPB, &body)
    }

    fn pb(&mut self, ifid: u16, ts: u64, caplen: u32, len: u32, data: &[u8]) -> &mut Ng {
        let mut w = self.w();
        w.u16(ifid)
            .u16(3)
            .u32((ts >> 32) as u32)
            .u32(ts as u32)
            .u32(caplen)
            .u32(len)
            .bytes(data);
        let body = w.take();
        self.block(BT_PB, &body)
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.b)
    }
}

fn tsresol(v: u8) -> (u16, Vec<u8>) {
    (9, vec![v])
}

fn tsoffset(be: bool, v: u64) -> (u16, Vec<u8>) {
    (14, W::new(be).u64(v).take())
}

const TS_SAMPLES: [u64; 10] = [
    0,
    1,
    999_999,
    1_000_000,
    1_700_000_000_123_456,
    1_700_000_000_123_456_789,
    0xffff_ffff,
    0x1_0000_0000,
    0x8000_0000_0000_0000,
    u64::MAX,
];

fn pcapng_corpus(out: &mut Vec<(String, Vec<u8>, bool)>) {
    for be in [false, true] {
        let e = if be { "be" } else { "le" };
        let name_opts: Opts = vec![
            (2, b"eth0".to_vec()),
            (3, b"the first interface".to_vec()),
            (1, b"comment".to_vec()),
        ];
        // Basic files, SHB 1.0 and 1.2, EPB/SPB/PB.
        for minor in [0u16, 2] {
            let mut g = Ng::new(be);
            g.shb(
                1,
                minor,
                &vec![(1, b"section comment".to_vec()), (4, b"Linux".to_vec())],
            )
            .idb(1, 65535, &name_opts);
            for (i, ts) in TS_SAMPLES.iter().enumerate() {
                let cap = [60u32, 0, 14, 1514, 7][i % 5];
                g.epb(
                    0,
                    *ts,
                    cap,
                    cap + (i as u32 % 2) * 10,
                    &payload(cap as usize, i as u8),
                );
            }
            g.spb(60, &payload(60, 1)).spb(100_000, &payload(1000, 2)).pb(
                0,
                12_345_678,
                20,
                40,
                &payload(20, 3),
            );
            out.push((format!("ng-{e}-basic-1.{minor}"), g.take(), false));
        }
        // Versions, SHB lengths at open.
        for (maj, min) in [(1u16, 1u16), (1, 3), (2, 0), (0, 0), (0xffff, 0)] {
            let mut g = Ng::new(be);
            g.shb(maj, min, &vec![])
                .idb(1, 0, &vec![])
                .epb(0, 5, 4, 4, &[1, 2, 3, 4]);
            out.push((format!("ng-{e}-v{maj}.{min}"), g.take(), false));
        }
        for total in [
            0u32,
            12,
            24,
            27,
            28,
            30,
            32,
            1_048_576,
            1_048_577,
            1_048_580,
            0xffff_ffff,
        ] {
            let mut w = W::new(be);
            w.u32(BT_SHB)
                .u32(total)
                .u32(0x1a2b_3c4d)
                .u16(1)
                .u16(0)
                .u64(0)
                .u32(28);
            let mut f = w.take();
            let mut g = Ng::new(be);
            g.idb(1, 0, &vec![]).epb(0, 5, 4, 4, &[1, 2, 3, 4]);
            f.extend(g.take());
            out.push((format!("ng-{e}-shblen{total}"), f, false));
        }
        // No IDB; packets before an IDB; unknown blocks first; a second SHB before the IDB.
        {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).block(4, &[0; 8]).block(0x0bad, &[1, 2, 3]);
            out.push((format!("ng-{e}-noidb"), g.take(), false));
            for (n, ty) in [("epb", BT_EPB), ("spb", BT_SPB), ("pb", BT_PB)] {
                let mut g = Ng::new(be);
                g.shb(1, 0, &vec![]).block(ty, &[0; 24]).idb(1, 0, &vec![]);
                out.push((format!("ng-{e}-{n}-before-idb"), g.take(), false));
            }
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .block(5, &[0; 20])
                .block(0x4000_0bad, &[0; 7]);
            g.shb(1, 0, &vec![])
                .idb(101, 1000, &vec![])
                .epb(0, 77, 20, 20, &payload(20, 7));
            out.push((format!("ng-{e}-skip-before-idb"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .block(BT_SHB, &[1, 2, 3, 4])
                .idb(1, 0, &vec![])
                .epb(0, 77, 20, 20, &payload(20, 7));
            out.push((format!("ng-{e}-bad-shb-before-idb"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).block(BT_IDB, &[1, 2]);
            out.push((format!("ng-{e}-short-idb-at-open"), g.take(), false));
        }
        // if_tsresol and if_tsoffset: every resolution, both directions of scaling.
        for r in (0u8..=20).chain(0x80..=0x80 + 64).chain([0xc1, 0xff]) {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 0, &vec![tsresol(r)]);
            for ts in TS_SAMPLES {
                g.epb(0, ts, 2, 2, &[r, 1]);
            }
            g.spb(3, &[1, 2, 3]);
            out.push((format!("ng-{e}-tsresol{r:02x}"), g.take(), false));
        }
        for off in [0u64, 1, 1_000_000, 0x7fff_ffff_ffff_ffff, u64::MAX] {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![tsoffset(be, off), tsresol(9)]);
            for ts in TS_SAMPLES {
                g.epb(0, ts, 1, 1, &[9]);
            }
            g.spb(1, &[1]);
            out.push((format!("ng-{e}-tsoffset{off:x}"), g.take(), false));
        }
        // IDB option errors and corners.
        let bad_opts: Vec<(&str, Opts)> = vec![
            ("tsresol-len2", vec![(9, vec![6, 0])]),
            ("tsresol-len0", vec![(9, vec![])]),
            ("tsresol-twice", vec![tsresol(6), tsresol(9)]),
            ("tsoffset-len4", vec![(14, vec![0, 0, 0, 1])]),
            ("tsoffset-len9", vec![(14, vec![0; 9])]),
            ("tsoffset-twice", vec![tsoffset(be, 1), tsoffset(be, 2)]),
            ("endofopt-len4", vec![(0, vec![1, 2, 3, 4])]),
            ("endofopt-early", vec![(0, vec![]), tsresol(0xff), (9, vec![])]),
            (
                "unknown-opts",
                vec![
                    (0x7777, vec![1; 13]),
                    (2, b"wlan0".to_vec()),
                    (0xffff, vec![]),
                    tsresol(3),
                ],
            ),
        ];
        for (n, opts) in bad_opts {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &opts)
                .epb(0, 1_234_567, 4, 4, &[1, 2, 3, 4]);
            out.push((format!("ng-{e}-idbopt-{n}"), g.take(), false));
            // The same IDB as a second interface (errors come from pcap_next_ex then).
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![])
                .epb(0, 1, 1, 1, &[1])
                .idb(1, 0, &opts)
                .epb(1, 1_234_567, 4, 4, &[1, 2, 3, 4]);
            out.push((format!("ng-{e}-idbopt2-{n}"), g.take(), false));
        }
        for (i, raw) in [
            vec![9u8],                          // option header cut short
            vec![9, 0, 1, 0],                   // (little-endian view) length 1 value missing
            vec![0, 9, 0, 1],                   // (big-endian view) the same
            vec![0, 9, 0, 1, 6, 0, 0, 0, 1],    // trailing bytes
            vec![1, 0, 0xff, 0xff, 1, 2, 3, 4], // a length longer than the block
        ]
        .into_iter()
        .enumerate()
        {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb_raw(1, 0, &raw).epb(0, 1, 1, 1, &[1]);
            out.push((format!("ng-{e}-idbraw-{i}"), g.take(), false));
        }
        // Several interfaces with different resolutions; a packet on an unknown interface.
        {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 65535, &vec![])
                .idb(1, 65535, &vec![tsresol(9)])
                .idb(1, 65535, &vec![tsresol(0x94), tsoffset(be, 100)]);
            for ifid in [0u32, 1, 2, 1, 0] {
                g.epb(ifid, 1_700_000_000_987_654_321, 10, 10, &payload(10, ifid as u8));
            }
            g.pb(2, 1 << 40, 3, 3, &[1, 2, 3])
                .spb(5, &[1, 2, 3, 4, 5])
                .epb(3, 0, 1, 1, &[1]);
            out.push((format!("ng-{e}-ifaces"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 65535, &vec![]).pb(1, 5, 1, 1, &[1]);
            out.push((format!("ng-{e}-pb-unknown-if"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 65535, &vec![])
                .epb(0xffff_ffff, 5, 1, 1, &[1]);
            out.push((format!("ng-{e}-epb-if-ffffffff"), g.take(), false));
        }
        // Second IDBs: other link types, snapshot lengths (libpcap compares the DLT with the
        // raw LINKTYPE, and adjusted snapshot lengths).
        for (lt0, lt1, s0, s1) in [
            (1u16, 1u16, 65535u32, 65535u32),
            (1, 113, 65535, 65535),
            (101, 101, 0, 0),
            (101, 12, 0, 0),
            (106, 19, 0, 0),
            (113, 113, 0, 262_144),
            (113, 113, 0, 0x8000_0000),
            (1, 1, 0, 65535),
            (1, 1, 100, 101),
            (231, 231, 0, 0),
        ] {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(lt0, s0, &vec![])
                .epb(0, 1, 2, 2, &[1, 2])
                .idb(lt1, s1, &vec![])
                .epb(1, 2, 2, 2, &[3, 4]);
            out.push((format!("ng-{e}-idb2-{lt0}-{lt1}-{s0}-{s1}"), g.take(), false));
        }
        // Sections.
        {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![tsresol(9)])
                .epb(0, 1_000_000_001, 1, 1, &[1]);
            g.shb(1, 2, &vec![])
                .idb(1, 0, &vec![])
                .epb(0, 1_000_001, 1, 1, &[2])
                .shb(1, 7, &vec![])
                .idb(1, 0, &vec![tsresol(3)])
                .epb(0, 1_001, 1, 1, &[3]);
            out.push((format!("ng-{e}-sections"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![])
                .epb(0, 1, 1, 1, &[1])
                .shb(1, 0, &vec![])
                .epb(0, 2, 1, 1, &[2]);
            out.push((format!("ng-{e}-section-without-idb"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![])
                .epb(0, 1, 1, 1, &[1])
                .shb(1, 0, &vec![])
                .spb(1, &[2]);
            out.push((format!("ng-{e}-section-spb-without-idb"), g.take(), false));
            for maj in [0u16, 2, 0xffff] {
                let mut g = Ng::new(be);
                g.shb(1, 0, &vec![])
                    .idb(1, 0, &vec![])
                    .epb(0, 1, 1, 1, &[1])
                    .shb(maj, 0, &vec![])
                    .idb(1, 0, &vec![])
                    .epb(0, 2, 1, 1, &[2]);
                out.push((format!("ng-{e}-section-major{maj}"), g.take(), false));
            }
            // Other byte order in the second section: the swapped length of a 28-byte SHB is huge;
            // a 0x1c1c0000-long... so also a palindromic length: 0x10000010 read either way.
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 0, &vec![]).epb(0, 1, 1, 1, &[1]);
            let mut f = g.take();
            let mut h = Ng::new(!be);
            h.shb(1, 0, &vec![]).idb(1, 0, &vec![]).epb(0, 2, 1, 1, &[2]);
            f.extend(h.take());
            out.push((format!("ng-{e}-section-other-order"), f, false));
            for bom in [0x4d3c_2b1au32, 0x1a2b_3c4d, 0x1234_5678] {
                let mut g = Ng::new(be);
                g.shb(1, 0, &vec![]).idb(1, 0, &vec![]).epb(0, 1, 1, 1, &[1]);
                let body = W::new(be).u32(bom).u16(1).u16(0).u64(0).take();
                g.block(BT_SHB, &body).idb(1, 0, &vec![]).epb(0, 2, 1, 1, &[2]);
                out.push((format!("ng-{e}-section-bom{bom:08x}"), g.take(), false));
            }
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![])
                .block(BT_SHB, &[0; 12])
                .epb(0, 1, 1, 1, &[1]);
            out.push((format!("ng-{e}-section-short-shb"), g.take(), false));
        }
        // Block length errors after the first IDB.
        {
            let base = |g: &mut Ng| {
                g.shb(1, 0, &vec![]).idb(1, 0, &vec![]).epb(0, 1, 1, 1, &[1]);
            };
            let cases: Vec<(&str, u32, u32, usize)> = vec![
                ("len0", 0, 0, 0),
                ("len8", 8, 8, 0),
                ("len11", 11, 11, 0),
                ("len13", 13, 13, 4),
                ("len12-epb", 12, 12, 0),
                ("trailer", 16, 20, 4),
                ("len-16M", 16 * 1024 * 1024, 16 * 1024 * 1024, 100),
                ("len-16M+4", 16 * 1024 * 1024 + 4, 0, 100),
                ("len-huge", 0xffff_fffc, 0, 100),
            ];
            for (n, total, trailer, body) in cases {
                let mut g = Ng::new(be);
                base(&mut g);
                g.raw_block(BT_EPB, total, &vec![0; body], trailer);
                out.push((format!("ng-{e}-block-{n}"), g.take(), false));
            }
            // D-Bus raises the maximum block size (the file is cut short, so it is reported
            // as truncated instead).
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(231, 0, &vec![])
                .epb(0, 1, 1, 1, &[1])
                .raw_block(BT_EPB, 16 * 1024 * 1024 + 4, &[0; 100], 0);
            out.push((format!("ng-{e}-dbus-bigblock"), g.take(), false));
            // An EPB larger than 256 KiB on D-Bus, a big EPB on Ethernet.
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(231, 0, &vec![])
                .epb(0, 1, 300_000, 300_000, &payload(300_000, 1))
                .epb(0, 2, 3, 3, &[1, 2, 3]);
            out.push((format!("ng-{e}-dbus-300k"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(1, 0, &vec![])
                .epb(0, 1, 300_000, 300_000, &payload(300_000, 1));
            out.push((format!("ng-{e}-eth-300k"), g.take(), false));
        }
        // Captured lengths against the snapshot and the block.
        {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 64, &vec![]);
            g.epb(0, 1, 64, 100, &payload(64, 1))
                .spb(100, &payload(64, 2))
                .spb(30, &payload(30, 3))
                .pb(0, 3, 64, 64, &payload(64, 4));
            g.epb(0, 1, 65, 100, &payload(65, 1));
            out.push((format!("ng-{e}-snap64"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 0, &vec![]);
            let body = W::new(be)
                .u32(0)
                .u32(0)
                .u32(1)
                .u32(40)
                .u32(40)
                .bytes(&[0; 20])
                .take();
            g.block(BT_EPB, &body);
            out.push((format!("ng-{e}-epb-caplen-past-block"), g.take(), false));
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 0, &vec![]).spb(100, &[1; 20]);
            out.push((format!("ng-{e}-spb-short"), g.take(), false));
            for ty in [BT_EPB, BT_SPB, BT_PB] {
                let mut g = Ng::new(be);
                g.shb(1, 0, &vec![]).idb(1, 0, &vec![]).block(ty, &[0; 2]);
                out.push((format!("ng-{e}-fixed-short-{ty}"), g.take(), false));
            }
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(1, 0, &vec![]).block(BT_IDB, &[0; 4]);
            out.push((format!("ng-{e}-idb2-short"), g.take(), false));
        }
        // Link types and pseudo-headers in pcapng.
        for (lt, recs) in swap_cases(be) {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![]).idb(lt as u16, 0, &vec![]);
            for r in &recs {
                let n = r.len() as u32;
                g.epb(0, 5, n, n, r).epb(0, 6, n, 64 + 64 + 400, r).spb(n, r);
                for cap in (0..=n.min(100)).step_by(3) {
                    g.epb(0, 7, cap, n, &r[..cap as usize]);
                }
            }
            out.push((format!("ng-{e}-pseudo-lt{lt}"), g.take(), false));
        }
        for lt in [0u16, 9, 100, 101, 102, 103, 104, 106, 246, 258, 290, 0xffff] {
            let mut g = Ng::new(be);
            g.shb(1, 0, &vec![])
                .idb(lt, 0, &vec![])
                .epb(0, 1, 4, 4, &[1, 2, 3, 4]);
            out.push((format!("ng-{e}-lt{lt}"), g.take(), false));
        }
        // An SHB whose length is not a multiple of 4 at open (not checked there).
        {
            let mut w = W::new(be);
            w.u32(BT_SHB)
                .u32(30)
                .u32(0x1a2b_3c4d)
                .u16(1)
                .u16(0)
                .u64(0)
                .u16(0)
                .u32(30);
            let mut f = w.take();
            let mut g = Ng::new(be);
            g.idb(1, 0, &vec![]).epb(0, 5, 4, 4, &[1, 2, 3, 4]);
            f.extend(g.take());
            out.push((format!("ng-{e}-shb-len30"), f, false));
        }
        // Small files for the cuts at every byte.
        let mut g = Ng::new(be);
        g.shb(1, 0, &vec![])
            .idb(1, 64, &vec![tsresol(9), tsoffset(be, 10)])
            .epb(0, 1_500_000_000, 8, 8, &payload(8, 1))
            .spb(70, &payload(64, 2));
        g.block(5, &[0; 8]).pb(0, 3, 2, 2, &[1, 2]);
        out.push((format!("ng-{e}-small"), g.take(), true));
        let mut g = Ng::new(be);
        g.shb(1, 2, &vec![])
            .idb(113, 0, &vec![])
            .idb(113, 0, &vec![tsresol(0x83)])
            .epb(1, 9, 20, 20, &sll(be, 0x000c, 7, &[1, 2]));
        g.shb(1, 0, &vec![])
            .idb(113, 0, &vec![])
            .epb(0, 10, 20, 20, &sll(be, 0x000d, 8, &[3, 4]));
        out.push((format!("ng-{e}-small-sections"), g.take(), true));
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

const INTERESTING: [u32; 20] = [
    0,
    1,
    2,
    3,
    4,
    8,
    12,
    16,
    28,
    0x7f,
    0xff,
    0xffff,
    0x1_0000,
    0x4_0000,
    0x4_0001,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffc,
    0xffff_ffff,
    0x0a0d_0d0a,
];

fn mutate(rng: &mut Rng, f: &[u8]) -> Vec<u8> {
    let mut m = f.to_vec();
    let n = 1 + rng.below(4);
    for _ in 0..n {
        if m.is_empty() {
            m.extend(rng.bytes(4));
            continue;
        }
        let at = rng.below(m.len() as u64) as usize;
        match rng.below(9) {
            0 => m[at] = rng.next() as u8,
            1 => m[at] ^= 1 << rng.below(8),
            2 | 3 => {
                // An interesting 32-bit value at a 4-aligned offset, in either byte order.
                let at = at & !3;
                let v = INTERESTING[rng.below(INTERESTING.len() as u64) as usize];
                let b = if rng.below(2) == 0 {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                for (i, x) in b.iter().enumerate() {
                    if let Some(y) = m.get_mut(at + i) {
                        *y = *x;
                    }
                }
            }
            4 => {
                let v = INTERESTING[rng.below(INTERESTING.len() as u64) as usize] as u16;
                let b = if rng.below(2) == 0 {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                for (i, x) in b.iter().enumerate() {
                    if let Some(y) = m.get_mut((at & !1) + i) {
                        *y = *x;
                    }
                }
            }
            5 => m.truncate(at),
            6 => {
                let len = (rng.below(64) as usize).min(m.len() - at);
                m.drain(at..at + len);
            }
            7 => {
                let len = (rng.below(64) as usize).min(m.len() - at);
                let chunk = m[at..at + len].to_vec();
                let to = rng.below(m.len() as u64 + 1) as usize;
                m.splice(to..to, chunk);
            }
            _ => {
                let n = 1 + rng.below(8) as usize;
                let bytes = rng.bytes(n);
                m.splice(at..at, bytes);
            }
        }
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Our side.
// ---------------------------------------------------------------------------------------------

fn fnv1a(d: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in d {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What sf_oracle prints for one entry, from our reader.
fn ours(prec: i32, path: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "== {prec} {}", path.display());
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: both strings are NUL-terminated.
    let fp = unsafe { libc::fopen(c.as_ptr(), c"rb".as_ptr()) };
    assert!(!fp.is_null(), "fopen {}", path.display());
    // SAFETY: fp is a stream we opened for reading and use only through the Savefile.
    let mut sf = match unsafe { Savefile::open(fp, prec) } {
        Ok(sf) => sf,
        Err(e) => {
            // The stream stays ours on failure (pcap_open_offline closes it).
            // SAFETY: fp is still open and owned here.
            unsafe { libc::fclose(fp) };
            let _ = writeln!(s, "open-error {e}");
            return s;
        }
    };
    assert_eq!(sf.file(), fp);
    let (maj, min) = sf.version();
    let _ = writeln!(
        s,
        "open dlt={} ext={} snap={} swapped={} version={maj}.{min}",
        sf.linktype(),
        sf.linktype_ext() as i32,
        sf.snapshot(),
        i32::from(sf.is_swapped())
    );
    loop {
        match sf.next() {
            Ok(Some(r)) => {
                assert_eq!(r.frac, r.tv_usec as u32);
                assert_eq!(r.data.len(), r.caplen as usize);
                let _ = writeln!(
                    s,
                    "rec {} {} {} {} {:016x}",
                    r.sec,
                    r.tv_usec,
                    r.caplen,
                    r.len,
                    fnv1a(r.data)
                );
            }
            Ok(None) => {
                let _ = writeln!(s, "eof");
                break;
            }
            Err(e) => {
                let _ = writeln!(s, "error -1 {e}");
                break;
            }
        }
    }
    s
}

/// Splits the oracle's output into its entries.
fn entries(out: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for line in out.split_inclusive('\n') {
        if line.starts_with("== ") || v.is_empty() {
            v.push(String::new());
        }
        v.last_mut().unwrap().push_str(line);
    }
    v
}

#[test]
fn savefiles_match_libpcap() {
    let oracle = match build_oracle() {
        Ok(b) => b,
        Err(why) => {
            if ci() {
                panic!("CI=true: {why}");
            }
            eprintln!("sf_diff: SKIPPED: {why}");
            return;
        }
    };
    let t0 = std::time::Instant::now();
    let mut base = Vec::new();
    pcap_corpus(&mut base);
    pcapng_corpus(&mut base);
    let dir = work_dir().join("files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // (precisions, name, bytes)
    let mut files: Vec<(&[i32], String, Vec<u8>)> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (name, bytes, _) in &base {
        assert!(names.insert(name.clone()), "duplicate name {name}");
        files.push((&[0, 1, 2], name.clone(), bytes.clone()));
    }
    let (mut n_cut, mut n_mut) = (0usize, 0usize);
    for (name, bytes, cut) in &base {
        if *cut {
            for i in 0..bytes.len() {
                files.push((&[0, 1], format!("{name}-cut{i}"), bytes[..i].to_vec()));
                n_cut += 1;
            }
        }
    }
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng = Rng(env("SF_DIFF_SEED").map_or(0x005e_ed0f_5a7e_f11e, |s| {
        s.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
    }));
    let n_mutants = env("SF_DIFF_MUTANTS").unwrap_or(4000);
    let small: Vec<_> = base.iter().filter(|(_, b, _)| b.len() <= 4096).collect();
    for i in 0..n_mutants {
        let (name, bytes, _) = small[rng.below(small.len() as u64) as usize];
        let m = mutate(&mut rng, bytes);
        files.push((&[0, 1], format!("{name}-mut{i}"), m));
        n_mut += 1;
    }

    let mut list = String::new();
    let mut paths = Vec::new();
    for (precs, name, bytes) in &files {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        for prec in *precs {
            let _ = writeln!(list, "{prec} {}", p.display());
            paths.push((*prec, p.clone()));
        }
    }
    // A directory: fopen succeeds, the first fread fails (EISDIR).
    let sub = dir.join("a-directory");
    std::fs::create_dir_all(&sub).unwrap();
    for prec in [0, 1] {
        let _ = writeln!(list, "{prec} {}", sub.display());
        paths.push((prec, sub.clone()));
    }
    let list_path = work_dir().join("list.txt");
    std::fs::write(&list_path, &list).unwrap();

    let out = Command::new(&oracle)
        .arg(&list_path)
        .output()
        .expect("run sf_oracle");
    assert!(
        out.status.success(),
        "sf_oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = entries(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        theirs.len(),
        paths.len(),
        "sf_oracle printed {} entries for {} lines",
        theirs.len(),
        paths.len()
    );

    let mut report = String::new();
    let mut diffs = 0usize;
    let (mut opened, mut records, mut errors) = (0usize, 0usize, 0usize);
    for ((prec, path), theirs) in paths.iter().zip(&theirs) {
        let mine = ours(*prec, path);
        if mine.contains("\nopen ") {
            opened += 1;
        }
        records += mine.matches("\nrec ").count();
        if mine.contains("\nerror ") || mine.contains("\nopen-error ") {
            errors += 1;
        }
        if mine != *theirs {
            diffs += 1;
            let _ = writeln!(report, "--- libpcap\n{theirs}+++ ours\n{mine}");
        }
    }
    let summary = format!(
        "sf_diff: {} files ({} base, {n_cut} cuts, {n_mut} mutants, 1 directory), {} entries compared \
         (both precisions; 2 too for base files): {opened} opened, {records} records, {errors} ending in an error; \
         {diffs} differences; {:.1} s",
        files.len() + 1,
        base.len(),
        paths.len(),
        t0.elapsed().as_secs_f64()
    );
    let report_path = work_dir().join("report.txt");
    std::fs::write(&report_path, format!("{summary}\n{report}")).unwrap();
    eprintln!("{summary}");
    if diffs != 0 {
        let first: String = report.lines().take(60).collect::<Vec<_>>().join("\n");
        panic!("{diffs} differences (all in {}):\n{first}", report_path.display());
    }
}

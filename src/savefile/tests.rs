//! The savefile reader on files written by hand (both byte orders, every block and option it
//! reads, hostile lengths, truncation at every byte, seeded mutations) and by libpkt's own
//! writer (`crate::dump`), read from a mapped file and from a stream.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::dump::{linktype, Dumper, Format as DumpFormat, Options};

// ---- what a read gives ----------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
struct Got {
    sec: i64,
    nsec: u32,
    caplen: u32,
    len: u32,
    ifindex: i32,
    linktype: u16,
    pkttype: u8,
    data: Vec<u8>,
}

impl Got {
    fn of(p: &Packet<'_>) -> Got {
        assert_eq!(p.data.len(), p.info.caplen as usize);
        Got {
            sec: p.info.sec,
            nsec: p.info.nsec,
            caplen: p.info.caplen,
            len: p.info.len,
            ifindex: p.info.ifindex,
            linktype: p.info.linktype,
            pkttype: p.info.pkttype,
            data: p.data.to_vec(),
        }
    }
}

/// How reading a file ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    /// The open failed with this errno.
    Open(i32),
    /// Every packet was read (ENODATA).
    Eof,
    /// A read failed with this errno after the packets.
    Err(i32),
}

fn errno(e: &Error) -> i32 {
    e.errno().0
}

const ENODATA: i32 = libc::ENODATA;
const EBADMSG: i32 = libc::EBADMSG;

/// Reads every packet with `read`, at most `limit` calls (a reader that loops is a failure).
fn drain(r: &mut Offline, limit: usize) -> (Vec<Got>, End) {
    let mut out = Vec::new();
    for _ in 0..limit {
        match r.read() {
            Ok(Some(p)) => out.push(Got::of(&p)),
            Ok(None) => {}
            Err(e) if errno(&e) == ENODATA => {
                // The end sticks.
                assert_eq!(errno(&r.read().unwrap_err()), ENODATA);
                return (out, End::Eof);
            }
            Err(e) => {
                // So does an error, with the same errno.
                assert_eq!(errno(&r.read().unwrap_err()), errno(&e), "{e}");
                return (out, End::Err(errno(&e)));
            }
        }
    }
    panic!("no end after {limit} reads");
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A temporary file, removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new(bytes: &[u8]) -> Tmp {
        let t = Tmp::path();
        std::fs::write(&t.0, bytes).unwrap();
        t
    }

    fn path() -> Tmp {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        Tmp(std::env::temp_dir().join(format!("pkt-savefile-{}-{n}", std::process::id())))
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads `bytes` from a mapped file.
fn read_file(bytes: &[u8], cfg: &Config) -> (Vec<Got>, End) {
    let t = Tmp::new(bytes);
    match Offline::open(&t.0, cfg) {
        Ok(mut r) => {
            assert!(matches!(r.src, Source::Mapped(_)));
            drain(&mut r, bytes.len() + 2)
        }
        Err(e) => (Vec::new(), End::Open(errno(&e))),
    }
}

/// Reads `bytes` as a stream (a socket: not mappable), written `chunk` bytes at a time by a
/// thread.
fn read_stream(bytes: &[u8], chunk: usize, cfg: &Config) -> (Vec<Got>, End) {
    let (mut tx, rx) = UnixStream::pair().unwrap();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        for c in data.chunks(chunk.max(1)) {
            if tx.write_all(c).is_err() {
                break; // the reader gave up (an error at open)
            }
        }
    });
    let got = match Offline::from_fd(OwnedFd::from(rx), cfg) {
        Ok(mut r) => {
            assert!(matches!(r.src, Source::Stream(_)));
            let got = drain(&mut r, bytes.len() + 2);
            // The buffer holds at most a record and grows only as bytes arrive: never past the
            // cap, nor much past twice what the input gave.
            let a = r.src.allocated();
            assert!(a <= source::STREAM_CAP, "{a} bytes buffered");
            assert!(
                a <= (2 * bytes.len()).max(source::READ_CHUNK),
                "{a} bytes for {}",
                bytes.len()
            );
            got
        }
        Err(e) => (Vec::new(), End::Open(errno(&e))),
    };
    writer.join().unwrap();
    got
}

/// Reads `bytes` both ways, which must agree.
fn read_both(bytes: &[u8]) -> (Vec<Got>, End) {
    let cfg = Config::default();
    let f = read_file(bytes, &cfg);
    let s = read_stream(bytes, 4096, &cfg);
    assert_eq!(f, s, "mapped and streamed reads differ");
    f
}

// ---- building files ---------------------------------------------------------------------------

fn w16(out: &mut Vec<u8>, be: bool, v: u16) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn w32(out: &mut Vec<u8>, be: bool, v: u32) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn w64(out: &mut Vec<u8>, be: bool, v: u64) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn frame(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

/// A pcap file header.
fn pcap_header(be: bool, magic: u32, version: (u16, u16), snaplen: u32, linktype: u32) -> Vec<u8> {
    let mut v = Vec::new();
    w32(&mut v, be, magic);
    w16(&mut v, be, version.0);
    w16(&mut v, be, version.1);
    w32(&mut v, be, 0);
    w32(&mut v, be, 0);
    w32(&mut v, be, snaplen);
    w32(&mut v, be, linktype);
    v
}

fn pcap_record(out: &mut Vec<u8>, be: bool, sec: u32, frac: u32, len: u32, data: &[u8]) {
    w32(out, be, sec);
    w32(out, be, frac);
    w32(out, be, data.len() as u32);
    w32(out, be, len);
    out.extend_from_slice(data);
}

/// A pcapng option.
fn opt(be: bool, code: u16, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    w16(&mut v, be, code);
    w16(&mut v, be, value.len() as u16);
    v.extend_from_slice(value);
    v.resize(v.len().div_ceil(4) * 4, 0);
    v
}

fn end_opt() -> Vec<u8> {
    vec![0; 4]
}

/// A pcapng block: type, length, body (padded), length.
fn block(out: &mut Vec<u8>, be: bool, btype: u32, body: &[u8]) {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    w32(out, be, btype);
    w32(out, be, len);
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    w32(out, be, len);
}

fn shb(out: &mut Vec<u8>, be: bool, opts: &[u8]) {
    let mut b = Vec::new();
    w32(&mut b, be, 0x1a2b_3c4d);
    w16(&mut b, be, 1);
    w16(&mut b, be, 0);
    w64(&mut b, be, u64::MAX);
    b.extend_from_slice(opts);
    block(out, be, 0x0a0d_0d0a, &b);
}

fn idb(out: &mut Vec<u8>, be: bool, linktype: u16, snaplen: u32, opts: &[u8]) {
    let mut b = Vec::new();
    w16(&mut b, be, linktype);
    w16(&mut b, be, 0);
    w32(&mut b, be, snaplen);
    b.extend_from_slice(opts);
    block(out, be, 1, &b);
}

fn epb(out: &mut Vec<u8>, be: bool, id: u32, ts: u64, len: u32, data: &[u8], opts: &[u8]) {
    let mut b = Vec::new();
    w32(&mut b, be, id);
    w32(&mut b, be, (ts >> 32) as u32);
    w32(&mut b, be, ts as u32);
    w32(&mut b, be, data.len() as u32);
    w32(&mut b, be, len);
    b.extend_from_slice(data);
    b.resize(b.len().div_ceil(4) * 4, 0);
    b.extend_from_slice(opts);
    block(out, be, 6, &b);
}

fn pb(out: &mut Vec<u8>, be: bool, id: u16, ts: u64, len: u32, data: &[u8], opts: &[u8]) {
    let mut b = Vec::new();
    w16(&mut b, be, id);
    w16(&mut b, be, 0);
    w32(&mut b, be, (ts >> 32) as u32);
    w32(&mut b, be, ts as u32);
    w32(&mut b, be, data.len() as u32);
    w32(&mut b, be, len);
    b.extend_from_slice(data);
    b.resize(b.len().div_ceil(4) * 4, 0);
    b.extend_from_slice(opts);
    block(out, be, 2, &b);
}

fn spb(out: &mut Vec<u8>, be: bool, len: u32, data: &[u8]) {
    let mut b = Vec::new();
    w32(&mut b, be, len);
    b.extend_from_slice(data);
    block(out, be, 3, &b);
}

fn isb(out: &mut Vec<u8>, be: bool, id: u32, opts: &[u8]) {
    let mut b = Vec::new();
    w32(&mut b, be, id);
    w64(&mut b, be, 0);
    b.extend_from_slice(opts);
    block(out, be, 5, &b);
}

fn got(sec: i64, nsec: u32, data: &[u8], len: u32, ifindex: i32, linktype: u16, pkttype: u8) -> Got {
    Got {
        sec,
        nsec,
        caplen: data.len() as u32,
        len,
        ifindex,
        linktype,
        pkttype,
        data: data.to_vec(),
    }
}

// ---- pcap -------------------------------------------------------------------------------------

#[test]
fn pcap_both_byte_orders_micro_and_nano() {
    for be in [false, true] {
        for (magic, nano) in [(0xa1b2_c3d4, false), (0xa1b2_3c4d, true)] {
            let mut f = pcap_header(be, magic, (2, 4), 65535, 1);
            let a = frame(60, 1);
            let b = frame(1514, 2);
            pcap_record(&mut f, be, 1_700_000_000, 123_456, 60, &a);
            pcap_record(&mut f, be, 0xffff_fff0, 999_999, 2000, &b);
            pcap_record(&mut f, be, 7, 0, 0, &[]);
            let unit = if nano { 1 } else { 1000 };
            let (pkts, end) = read_both(&f);
            assert_eq!(end, End::Eof);
            assert_eq!(
                pkts,
                [
                    got(1_700_000_000, 123_456 * unit, &a, 60, 0, 1, 0),
                    // Seconds are unsigned (2106 fits), as in libpcap >= 1.11 and the draft.
                    // Seconds are signed 32 bits, as libpcap 1.10 reads them.
                    got(-16, 999_999 * unit, &b, 2000, 0, 1, 0),
                    got(7, 0, &[], 0, 0, 1, 0),
                ],
                "be {be} nano {nano}"
            );
            let t = Tmp::new(&f);
            let r = Offline::open(&t.0, &Config::default()).unwrap();
            assert_eq!(r.dlt(), 1);
            assert_eq!(
                r.iface(0),
                Some(IfaceInfo {
                    dlt: 1,
                    snaplen: 65535
                })
            );
            assert_eq!(r.iface(1), None);
        }
    }
}

#[test]
fn pcap_micro_resolution_and_snaplen_config() {
    let mut f = pcap_header(false, 0xa1b2_3c4d, (2, 4), 0, 1);
    let a = frame(100, 3);
    pcap_record(&mut f, false, 5, 123_456_789, 100, &a);
    let cfg = Config {
        tstamp_resolution: TstampResolution::Micro,
        snaplen: 40,
        ..Config::default()
    };
    let (pkts, end) = read_file(&f, &cfg);
    assert_eq!(end, End::Eof);
    assert_eq!(pkts, [got(5, 123_456_000, &a[..40], 100, 0, 1, 0)]);
    assert_eq!(read_stream(&f, 7, &cfg).0, pkts);
}

#[test]
fn pcap_fraction_over_a_second_carries() {
    let mut f = pcap_header(false, 0xa1b2_c3d4, (2, 4), 0, 1);
    pcap_record(&mut f, false, 10, 2_500_000, 4, &[1, 2, 3, 4]);
    pcap_record(&mut f, false, 10, u32::MAX, 4, &[1, 2, 3, 4]);
    let (pkts, _) = read_both(&f);
    assert_eq!((pkts[0].sec, pkts[0].nsec), (12, 500_000_000));
    // The fraction is signed 32 bits too, as libpcap reads it: u32::MAX µs is -1 µs.
    assert_eq!((pkts[1].sec, pkts[1].nsec), (9, 999_999_000));
}

#[test]
fn pcap_old_versions_swap_lengths() {
    let data = frame(20, 9);
    for (version, swap) in [((2, 2), true), ((543, 0), true), ((2, 4), false)] {
        let mut f = pcap_header(false, 0xa1b2_c3d4, version, 0, 1);
        // As those writers laid them out: len first, then caplen.
        let (first, second) = if swap { (100, 20) } else { (20, 100) };
        w32(&mut f, false, 1);
        w32(&mut f, false, 0);
        w32(&mut f, false, first);
        w32(&mut f, false, second);
        f.extend_from_slice(&data);
        assert_eq!(read_both(&f).0, [got(1, 0, &data, 100, 0, 1, 0)], "{version:?}");
    }
    // 2.3: swapped only where caplen would exceed len.
    let mut f = pcap_header(false, 0xa1b2_c3d4, (2, 3), 0, 1);
    for (a, b) in [(20u32, 100u32), (100, 20)] {
        w32(&mut f, false, 1);
        w32(&mut f, false, 0);
        w32(&mut f, false, a);
        w32(&mut f, false, b);
        f.extend_from_slice(&data);
    }
    let (pkts, end) = read_both(&f);
    assert_eq!(end, End::Eof);
    assert_eq!(
        pkts,
        [got(1, 0, &data, 100, 0, 1, 0), got(1, 0, &data, 100, 0, 1, 0)]
    );
}

#[test]
fn pcap_kuznetzov_records() {
    for be in [false, true] {
        let mut f = pcap_header(be, 0xa1b2_cd34, (2, 4), 50, 1);
        let a = frame(64, 4);
        w32(&mut f, be, 3);
        w32(&mut f, be, 4);
        w32(&mut f, be, 64);
        w32(&mut f, be, 64);
        w32(&mut f, be, 2); // interface index
        f.extend_from_slice(&[0x08, 0x00, 4, 0]); // protocol (network order), packet type, pad
        f.extend_from_slice(&a);
        let (pkts, end) = read_both(&f);
        assert_eq!(end, End::Eof);
        // Ethernet: the header's snap length (50) counts without the 14-byte header, as
        // libpcap reads it; the packet type comes from the record.
        assert_eq!(pkts, [got(3, 4000, &a, 64, 0, 1, 4)]);
    }
}

#[test]
fn pcap_header_errors() {
    for (bytes, errno) in [
        (vec![], EBADMSG),
        (vec![0xd4, 0xc3], EBADMSG),
        (vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0], EBADMSG),
        (
            pcap_header(false, 0xa1b2_c3d4, (2, 4), 0, 1)[..23].to_vec(),
            EBADMSG,
        ),
        (pcap_header(false, 0xa1b2_c3d4, (1, 0), 0, 1), EBADMSG),
        (pcap_header(false, 0xa1b2_c3d4, (2, 5), 0, 1), EBADMSG),
        (pcap_header(true, 0xa1b2_c3d4, (3, 0), 0, 1), EBADMSG),
        (pcap_header(false, 0xa1b2_c3d4, (2, 4), 0, 0x0001_0001), EBADMSG),
    ] {
        assert_eq!(read_both(&bytes).1, End::Open(errno), "{bytes:02x?}");
    }
    // The FCS bits above the link type are ignored.
    let f = pcap_header(false, 0xa1b2_c3d4, (2, 4), 0, 0x1000_0001);
    assert_eq!(read_both(&f), (vec![], End::Eof));
    let t = Tmp::new(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    let e = Offline::open(&t.0, &Config::default()).unwrap_err();
    assert!(e.to_string().contains("first bytes 7f 45 4c 46"), "{e}");
    let e = Offline::open("/nonexistent/x.pcap", &Config::default()).unwrap_err();
    assert_eq!(errno(&e), libc::ENOENT);
    let e = Offline::open(std::env::temp_dir(), &Config::default()).unwrap_err();
    assert_eq!(errno(&e), libc::EISDIR, "{e}");
}

#[test]
fn pcap_record_limits() {
    let a = frame(300, 5);
    // Longer than the header's snap length: cut to it, the rest skipped.
    let mut f = pcap_header(false, 0xa1b2_c3d4, (2, 4), 100, 1);
    pcap_record(&mut f, false, 1, 0, 300, &a);
    pcap_record(&mut f, false, 2, 0, 300, &a[..50]);
    let (pkts, end) = read_both(&f);
    assert_eq!(end, End::Eof);
    assert_eq!(
        pkts,
        [
            got(1, 0, &a[..100], 300, 0, 1, 0),
            got(2, 0, &a[..50], 300, 0, 1, 0)
        ]
    );
    // Over 262144: an error, after the packets before it.
    for caplen in [262_145u32, 1 << 31, u32::MAX] {
        let mut f = pcap_header(false, 0xa1b2_c3d4, (2, 4), 0, 1);
        pcap_record(&mut f, false, 1, 0, 60, &a[..60]);
        let at = f.len();
        w32(&mut f, false, 1);
        w32(&mut f, false, 0);
        w32(&mut f, false, caplen);
        w32(&mut f, false, caplen);
        f.extend_from_slice(&a);
        let (pkts, end) = read_both(&f);
        assert_eq!((pkts.len(), end), (1, End::Err(EBADMSG)), "{caplen}");
        let t = Tmp::new(&f);
        let mut r = Offline::open(&t.0, &Config::default()).unwrap();
        r.read().unwrap();
        let e = r.read().unwrap_err();
        assert!(e.to_string().contains(&format!("at byte {at}")), "{e}");
    }
    // Exactly 262144 is fine.
    let big = frame(262_144, 6);
    let mut f = pcap_header(true, 0xa1b2_c3d4, (2, 4), 0, 1);
    pcap_record(&mut f, true, 1, 0, 262_144, &big);
    assert_eq!(read_both(&f).0[0].data, big);
}

// ---- pcapng -----------------------------------------------------------------------------------

/// A file of two sections (little-endian, then big-endian), three interfaces of two link types
/// with odd units and offsets, every packet block type, unknown blocks and options, statistics.
fn pcapng_sample() -> (Vec<u8>, Vec<Got>) {
    let (a, b, c, d) = (frame(60, 1), frame(33, 2), frame(1500, 3), frame(7, 4));
    let mut f = Vec::new();
    let mut want = Vec::new();
    // Section 1, little-endian.
    shb(
        &mut f,
        false,
        &[opt(false, 4, b"test writer"), end_opt()].concat(),
    );
    block(&mut f, false, 0x0bad_cafe, &[1, 2, 3, 4, 5]); // unknown block
    idb(
        &mut f,
        false,
        1,
        0,
        &[opt(false, 2, b"eth0"), opt(false, 9, &[3]), end_opt()].concat(),
    );
    idb(
        &mut f,
        false,
        101,
        1000,
        &[
            opt(false, 9, &[0x80 | 20]),
            opt(false, 14, &100i64.to_le_bytes()),
            opt(false, 0x7777, b"x"),
        ]
        .concat(),
    );
    // ms units: 1234.567 s
    epb(
        &mut f,
        false,
        0,
        1_234_567,
        60,
        &a,
        &[opt(false, 2, &1u32.to_le_bytes()), end_opt()].concat(),
    );
    want.push(got(1_234, 567_000_000, &a, 60, 0, 1, 0));
    // 2^-20 units, offset 100 s: 3.5 s + 100
    epb(
        &mut f,
        false,
        1,
        3 << 20 | 1 << 19,
        33,
        &b,
        &opt(false, 2, &2u32.to_le_bytes()),
    );
    want.push(got(103, 500_000_000, &b, 33, 1, 101, 4));
    // Obsolete packet block, with pack_flags: multicast.
    pb(
        &mut f,
        false,
        0,
        5_000,
        40,
        &d,
        &opt(false, 2, &(1u32 | 2 << 2).to_le_bytes()),
    );
    want.push(got(5, 0, &d, 40, 0, 1, 2));
    // Simple packet block: interface 0's snap length (262144 for 0), no time.
    spb(&mut f, false, 1500, &c);
    want.push(got(0, 0, &c, 1500, 0, 1, 0));
    isb(
        &mut f,
        false,
        0,
        &[
            opt(false, 5, &3u64.to_le_bytes()),
            opt(false, 7, &7u64.to_le_bytes()),
        ]
        .concat(),
    );
    isb(&mut f, false, 1, &opt(false, 5, &2u64.to_le_bytes()));
    isb(&mut f, false, 9, &opt(false, 5, &1000u64.to_le_bytes())); // unknown interface: ignored
                                                                   // Section 2, big-endian: interfaces start afresh (global numbers 2 and 3).
    shb(&mut f, true, &[]);
    idb(
        &mut f,
        true,
        276,
        100,
        &[opt(true, 9, &[9]), opt(true, 14, &(-10i64).to_be_bytes())].concat(),
    );
    idb(&mut f, true, 1, 0, &[]);
    epb(&mut f, true, 1, 2_000_001, 60, &a, &[]);
    want.push(got(2, 1000, &a, 60, 3, 1, 0));
    epb(
        &mut f,
        true,
        0,
        12_000_000_123,
        2000,
        &c[..100],
        &opt(true, 2, &(1u32 | 3 << 2).to_be_bytes()),
    );
    want.push(got(2, 123, &c[..100], 2000, 2, 276, 1));
    // Simple packet block cut to interface 0's snap length (100).
    spb(&mut f, true, 1500, &c[..100]);
    want.push(got(-10, 0, &c[..100], 1500, 2, 276, 0));
    isb(&mut f, true, 0, &opt(true, 7, &5u64.to_be_bytes()));
    (f, want)
}

#[test]
fn pcapng_sections_interfaces_units_and_blocks() {
    let (f, want) = pcapng_sample();
    let (pkts, end) = read_both(&f);
    assert_eq!(end, End::Eof);
    assert_eq!(pkts, want);
    let t = Tmp::new(&f);
    let mut r = Offline::open(&t.0, &Config::default()).unwrap();
    assert_eq!(r.dlt(), 1);
    assert_eq!(
        r.iface(0),
        Some(IfaceInfo {
            dlt: 1,
            snaplen: 262_144
        })
    );
    assert_eq!(r.iface(1), None, "not read yet");
    drain(&mut r, 100);
    assert_eq!(
        r.iface(1),
        Some(IfaceInfo {
            dlt: 101,
            snaplen: 1000
        })
    );
    assert_eq!(
        r.iface(2),
        Some(IfaceInfo {
            dlt: 276,
            snaplen: 100
        })
    );
    assert_eq!(r.iface(4), None);
    // Drops: interface 0's osdrop 7 (not ifdrop 3), interface 1's ifdrop 2, interface 2's 5.
    let st = r.control().stats(true);
    assert_eq!(st, Stats { recvs: 7, drops: 14 });
    assert_eq!(r.control().stats(false), Stats { recvs: 0, drops: 0 });
}

#[test]
fn pcapng_every_decimal_and_binary_unit() {
    for be in [false, true] {
        for n in 0..=19u8 {
            let mut f = Vec::new();
            shb(&mut f, be, &[]);
            idb(&mut f, be, 1, 0, &opt(be, 9, &[n]));
            let unit = 10u64.pow(u32::from(n));
            // 1 s and a half (exactly, from 10^-1 on).
            let t = unit + unit / 2;
            epb(&mut f, be, 0, t, 4, &[1, 2, 3, 4], &[]);
            let (pkts, end) = read_both(&f);
            assert_eq!(end, End::Eof);
            let half = if n == 0 { 0 } else { 500_000_000 };
            assert_eq!((pkts[0].sec, pkts[0].nsec), (1, half), "10^-{n}");
        }
        for s in [0u8, 1, 10, 20, 32, 40, 63] {
            let mut f = Vec::new();
            shb(&mut f, be, &[]);
            idb(&mut f, be, 1, 0, &opt(be, 9, &[0x80 | s]));
            let t = if s == 63 {
                1 << 62
            } else {
                (3u64 << s) | ((1u64 << s) >> 2)
            };
            epb(&mut f, be, 0, t, 4, &[1, 2, 3, 4], &[]);
            let (pkts, _) = read_both(&f);
            let want = match s {
                0 => (3, 0),
                1 => (3, 0),
                63 => (0, 500_000_000),
                _ => (3, 250_000_000),
            };
            assert_eq!((pkts[0].sec, pkts[0].nsec), want, "2^-{s}");
        }
    }
}

#[test]
fn pcapng_header_errors() {
    let mut ok_shb = Vec::new();
    shb(&mut ok_shb, false, &[]);
    // SHB only, SHB then EOF, a packet before any interface, a bad magic, a bad version.
    let mut before = ok_shb.clone();
    epb(&mut before, false, 0, 0, 4, &[1, 2, 3, 4], &[]);
    let mut bad_magic = ok_shb.clone();
    bad_magic[8] = 0x11;
    let mut bad_version = ok_shb.clone();
    bad_version[12] = 2;
    let mut bad_resol = ok_shb.clone();
    idb(&mut bad_resol, false, 1, 0, &opt(false, 9, &[20]));
    let mut two_resol = ok_shb.clone();
    idb(
        &mut two_resol,
        false,
        1,
        0,
        &[opt(false, 9, &[6]), opt(false, 9, &[9])].concat(),
    );
    let mut cut_opt = ok_shb.clone();
    idb(&mut cut_opt, false, 1, 0, &[9, 0, 100, 0]);
    for (name, f) in [
        ("shb only", ok_shb.clone()),
        ("cut shb", ok_shb[..20].to_vec()),
        ("packet first", before),
        ("magic", bad_magic),
        ("version", bad_version),
        ("resolution", bad_resol),
        ("two resolutions", two_resol),
        ("cut option", cut_opt),
    ] {
        assert_eq!(read_both(&f).1, End::Open(EBADMSG), "{name}");
    }
}

#[test]
fn pcapng_hostile_lengths() {
    let mut head = Vec::new();
    shb(&mut head, false, &[]);
    idb(&mut head, false, 1, 0, &[]);
    epb(&mut head, false, 0, 0, 4, &[1, 2, 3, 4], &[]);
    let good = read_both(&head).0;
    assert_eq!(good.len(), 1);
    for len in [0u32, 1, 4, 8, 11, 13, 1 << 31, u32::MAX, (16 << 20) + 4] {
        let mut f = head.clone();
        w32(&mut f, false, 6);
        w32(&mut f, false, len);
        f.extend_from_slice(&[0; 64]);
        let (pkts, end) = read_both(&f);
        assert_eq!(
            (pkts, end),
            (good.clone(), End::Err(EBADMSG)),
            "block length {len}"
        );
    }
    // caplen fields: past the block, past the interface's snap length.
    for caplen in [5u32, 100, 1 << 31, u32::MAX] {
        let mut f = head.clone();
        let mut b = Vec::new();
        for v in [0u32, 0, 0, caplen, caplen] {
            w32(&mut b, false, v);
        }
        b.extend_from_slice(&[0; 4]);
        block(&mut f, false, 6, &b);
        assert_eq!(
            read_both(&f),
            (good.clone(), End::Err(EBADMSG)),
            "caplen {caplen}"
        );
    }
    let mut f = Vec::new();
    shb(&mut f, false, &[]);
    idb(&mut f, false, 1, 10, &[]);
    epb(&mut f, false, 0, 0, 11, &frame(11, 0), &[]);
    assert_eq!(read_both(&f), (vec![], End::Err(EBADMSG)), "over the snap length");
    // Trailing length disagreeing.
    let mut f = head.clone();
    epb(&mut f, false, 0, 0, 4, &[1, 2, 3, 4], &[]);
    let n = f.len();
    f[n - 1] = 0x40;
    assert_eq!(read_both(&f), (good.clone(), End::Err(EBADMSG)));
    // Interface out of range (the section has 1).
    for id in [1u32, 2, u32::MAX] {
        let mut f = head.clone();
        epb(&mut f, false, id, 0, 4, &[1, 2, 3, 4], &[]);
        assert_eq!(read_both(&f), (good.clone(), End::Err(EBADMSG)), "interface {id}");
    }
    // A new section forgets the interfaces of the old one.
    let mut f = head.clone();
    shb(&mut f, true, &[]);
    epb(&mut f, true, 0, 0, 4, &[1, 2, 3, 4], &[]);
    assert_eq!(read_both(&f), (good.clone(), End::Err(EBADMSG)));
    // Blocks of length 12 (empty) of unknown types: skipped, one by one.
    let mut f = head.clone();
    for _ in 0..1000 {
        block(&mut f, false, 0x99, &[]);
    }
    assert_eq!(read_both(&f), (good.clone(), End::Eof));
    // Options with absurd lengths in packet and statistics blocks are ignored (libpcap reads
    // none of them); in an interface description they are errors (they set the times).
    let mut f = head.clone();
    epb(
        &mut f,
        false,
        0,
        0,
        4,
        &[1, 2, 3, 4],
        &[2, 0, 0xff, 0xff, 1, 2, 3, 4],
    );
    isb(&mut f, false, 0, &[7, 0, 0xff, 0xff]);
    let (pkts, end) = read_both(&f);
    assert_eq!((pkts.len(), end), (2, End::Eof));
    let mut f = head.clone();
    idb(&mut f, false, 1, 0, &[9, 0, 0xff, 0xff]);
    assert_eq!(read_both(&f), (good.clone(), End::Err(EBADMSG)));
}

#[test]
fn hostile_lengths_do_not_make_streams_allocate() {
    let mut f = Vec::new();
    shb(&mut f, false, &[]);
    idb(&mut f, false, 1, 0, &[]);
    // A block that claims the largest length, and then 100 bytes.
    w32(&mut f, false, 6);
    w32(&mut f, false, MAX_BLOCK as u32);
    f.extend_from_slice(&[0; 100]);
    assert_eq!(
        read_stream(&f, 10, &Config::default()),
        (vec![], End::Err(EBADMSG))
    );
    let mut p = pcap_header(false, 0xa1b2_c3d4, (2, 4), 0, 1);
    w32(&mut p, false, 0);
    w32(&mut p, false, 0);
    w32(&mut p, false, 262_144);
    w32(&mut p, false, 262_144);
    assert_eq!(
        read_stream(&p, 10, &Config::default()),
        (vec![], End::Err(EBADMSG))
    );
}

#[test]
fn too_many_interfaces() {
    let mut f = Vec::new();
    shb(&mut f, false, &[]);
    for _ in 0..MAX_IFACES {
        idb(&mut f, false, 1, 0, &[]);
    }
    epb(&mut f, false, (MAX_IFACES - 1) as u32, 0, 1, &[9], &[]);
    let mut more = f.clone();
    idb(&mut more, false, 1, 0, &[]);
    let (pkts, end) = read_file(&f, &Config::default());
    assert_eq!((pkts.len(), end), (1, End::Eof));
    assert_eq!(pkts[0].ifindex, (MAX_IFACES - 1) as i32);
    let (pkts, end) = read_file(&more, &Config::default());
    assert_eq!((pkts.len(), end), (1, End::Err(EBADMSG)));
}

// ---- truncation and mutation ------------------------------------------------------------------

/// A small pcap file of `n` packets.
fn small_pcap(be: bool, nano: bool, n: usize) -> Vec<u8> {
    let magic = if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut f = pcap_header(be, magic, (2, 4), 0, 1);
    for i in 0..n {
        pcap_record(
            &mut f,
            be,
            i as u32,
            i as u32 * 3,
            70,
            &frame(10 + i * 7, i as u8),
        );
    }
    f
}

/// Every prefix of `f` reads as a prefix of its packets, then the end (at a record boundary)
/// or an error, the same mapped and streamed.
fn check_truncations(f: &[u8]) {
    let (all, end) = read_both(f);
    assert_eq!(end, End::Eof);
    let mut boundaries = 0;
    for cut in 0..f.len() {
        let (pkts, end) = read_file(&f[..cut], &Config::default());
        assert!(all.starts_with(&pkts), "cut {cut}");
        match end {
            End::Eof => boundaries += 1,
            End::Err(EBADMSG) | End::Open(EBADMSG) => {}
            other => panic!("cut {cut}: {other:?}"),
        }
        if cut % 5 == 0 {
            assert_eq!(
                read_stream(&f[..cut], 3, &Config::default()),
                (pkts, end),
                "cut {cut}"
            );
        }
    }
    assert!(
        boundaries >= all.len(),
        "{boundaries} clean ends for {} packets",
        all.len()
    );
}

#[test]
fn truncated_at_every_byte() {
    check_truncations(&small_pcap(false, false, 4));
    check_truncations(&small_pcap(true, true, 3));
    check_truncations(&pcapng_sample().0);
}

/// xorshift64*: a fixed-seed generator for the mutation test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The files the mutations start from: hand-made and from libpkt's writer.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = vec![
        small_pcap(false, false, 5),
        small_pcap(true, true, 5),
        pcapng_sample().0,
    ];
    for (format, nano) in [(DumpFormat::Pcap, false), (DumpFormat::Pcapng, true)] {
        let t = Tmp::path();
        write_dump(&t.0, format, nano, linktype::EN10MB, &sample_packets());
        out.push(std::fs::read(&t.0).unwrap());
    }
    out
}

#[test]
fn mutations_never_panic_hang_or_overallocate() {
    let seeds = seeds();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let interesting = [
        0u32,
        1,
        4,
        11,
        12,
        0x7fff_ffff,
        0x8000_0000,
        u32::MAX,
        262_145,
        16 << 20,
    ];
    let mut outcomes = [0usize; 3];
    for case in 0..4000 {
        let mut f = seeds[case % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            match rng.below(5) {
                0 => {
                    let i = rng.below(f.len());
                    f[i] ^= 1 << rng.below(8);
                }
                1 => {
                    let i = rng.below(f.len());
                    f[i] = rng.next() as u8;
                }
                2 if f.len() >= 4 => {
                    // An interesting value in a 32-bit field (aligned: where lengths are).
                    let i = rng.below(f.len() / 4) * 4;
                    let v = interesting[rng.below(interesting.len())];
                    let bytes = if rng.below(2) == 0 {
                        v.to_le_bytes()
                    } else {
                        v.to_be_bytes()
                    };
                    f[i..i + 4].copy_from_slice(&bytes);
                }
                3 => {
                    let n = rng.below(f.len() + 1);
                    f.truncate(n);
                }
                _ => {
                    // Duplicate a span somewhere.
                    if !f.is_empty() {
                        let a = rng.below(f.len());
                        let b = (a + rng.below(64)).min(f.len());
                        let at = rng.below(f.len());
                        let span = f[a..b].to_vec();
                        f.splice(at..at, span);
                    }
                }
            }
        }
        let (pkts, end) = read_file(&f, &Config::default());
        for p in &pkts {
            // len is the file's, as libpcap gives it (it may be below caplen in a damaged file).
            assert!(p.caplen <= MAX_CAPLEN && p.nsec < 1_000_000_000);
        }
        outcomes[match end {
            End::Eof => 0,
            End::Err(_) => 1,
            End::Open(_) => 2,
        }] += 1;
        if case % 16 == 0 {
            assert_eq!(
                read_stream(&f, 1 + rng.below(5000), &Config::default()),
                (pkts, end),
                "case {case}"
            );
        }
    }
    // The mutations reach every outcome.
    assert!(outcomes.iter().all(|&n| n > 100), "{outcomes:?}");
}

// ---- libpkt's writer, read back ---------------------------------------------------------------

fn sample_packets() -> Vec<(Vec<u8>, Info)> {
    let mut out = Vec::new();
    for i in 0..40u32 {
        let n = [0usize, 1, 14, 60, 61, 62, 63, 1514, 9000][i as usize % 9];
        let info = Info {
            sec: 1_700_000_000 + i64::from(i),
            nsec: (u64::from(i) * 123_456_789 % 1_000_000_000) as u32,
            caplen: n as u32,
            len: n as u32 + (i % 3) * 10,
            ifindex: [2, 3, 7][i as usize % 3],
            protocol: 0x0800,
            linktype: 1,
            pkttype: (i % 5) as u8,
            ..Info::default()
        };
        out.push((frame(n, i as u8), info));
    }
    out
}

fn write_dump(path: &Path, format: DumpFormat, nano: bool, lt: u16, pkts: &[(Vec<u8>, Info)]) {
    let opts = Options {
        format,
        resolution: if nano {
            TstampResolution::Nano
        } else {
            TstampResolution::Micro
        },
        ..Options::new(lt)
    };
    let mut d = Dumper::create(path, &opts).unwrap();
    d.set_ifname_lookup(Box::new(|i| Some(format!("if{i}"))));
    for (data, info) in pkts {
        d.write(data, info).unwrap();
    }
    d.set_stats(Stats { recvs: 50, drops: 3 });
    d.close().unwrap();
}

#[test]
fn round_trip_of_the_writer() {
    let pkts = sample_packets();
    for format in [DumpFormat::Pcap, DumpFormat::Pcapng] {
        for nano in [false, true] {
            for lt in [
                linktype::EN10MB,
                linktype::RAW,
                linktype::LINUX_SLL,
                linktype::LINUX_SLL2,
            ] {
                let t = Tmp::path();
                write_dump(&t.0, format, nano, lt, &pkts);
                let bytes = std::fs::read(&t.0).unwrap();
                let (back, end) = read_both(&bytes);
                assert_eq!(end, End::Eof);
                assert_eq!(back.len(), pkts.len());
                let hdr = linktype::built_header_len(lt);
                let mut ifaces: Vec<i32> = Vec::new();
                for ((data, info), b) in pkts.iter().zip(&back) {
                    let what = format!("{format:?} nano {nano} linktype {lt}");
                    let want_ns = if nano { info.nsec } else { info.nsec / 1000 * 1000 };
                    assert_eq!((b.sec, b.nsec), (info.sec, want_ns), "{what}");
                    assert_eq!(b.len, info.len + hdr as u32, "{what}");
                    assert_eq!(b.caplen as usize, hdr + data.len(), "{what}");
                    assert_eq!(&b.data[hdr..], &data[..], "{what}");
                    assert_eq!(b.linktype, lt, "{what}");
                    if format == DumpFormat::Pcapng {
                        // One interface per ifindex, numbered in the order first seen.
                        let id = match ifaces.iter().position(|&i| i == info.ifindex) {
                            Some(id) => id,
                            None => {
                                ifaces.push(info.ifindex);
                                ifaces.len() - 1
                            }
                        };
                        assert_eq!(b.ifindex, id as i32, "{what}");
                        assert_eq!(b.pkttype, info.pkttype, "{what}");
                    }
                }
                let mut r = Offline::open(&t.0, &Config::default()).unwrap();
                assert_eq!(r.dlt(), lt);
                drain(&mut r, 1000);
                let st = r.control().stats(true);
                let drops = if format == DumpFormat::Pcapng { 3 * 3 } else { 0 };
                assert_eq!(st, Stats { recvs: 40, drops });
            }
        }
    }
}

// ---- reading calls ----------------------------------------------------------------------------

#[test]
fn batches_stay_valid_on_streams_and_dispatch_counts() {
    let f = small_pcap(false, true, 300);
    let (all, _) = read_file(&f, &Config::default());
    let (mut tx, rx) = UnixStream::pair().unwrap();
    let data = f.clone();
    let writer = std::thread::spawn(move || {
        for c in data.chunks(1000) {
            tx.write_all(c).unwrap();
        }
    });
    let mut r = Offline::from_fd(OwnedFd::from(rx), &Config::default()).unwrap();
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let mut ptrs = Vec::new();
        match r.batch_with(64, |_, d, i| ptrs.push((d.as_ptr() as usize, d.len(), *i))) {
            Ok(n) => assert_eq!(n, ptrs.len()),
            Err(e) if errno(&e) == ENODATA => break,
            Err(e) => panic!("{e}"),
        }
        // Every packet of the batch is still where it was handed out.
        let w = r.src.window();
        for (p, n, i) in ptrs {
            let at = p - w.as_ptr() as usize;
            let d = &w[at..at + n];
            seen.push(Got::of(&Packet { data: d, info: i }));
        }
    }
    writer.join().unwrap();
    assert_eq!(seen, all);
    // dispatch: up to the end with 0, the count, 0 at the end.
    let t = Tmp::new(&f);
    let mut r = Offline::open(&t.0, &Config::default()).unwrap();
    assert_eq!(r.dispatch(10, |_| {}).unwrap(), 10);
    let mut n = 0;
    assert_eq!(r.dispatch(0, |_| n += 1).unwrap(), 290);
    assert_eq!(n, 290);
    assert_eq!(r.dispatch(0, |_| {}).unwrap(), 0);
    assert_eq!(r.read_batch(5, |_| {}).unwrap_err().errno().0, ENODATA);
}

#[test]
fn breakloop_once_and_mid_dispatch() {
    let f = small_pcap(false, false, 20);
    let t = Tmp::new(&f);
    let mut r = Offline::open(&t.0, &Config::default()).unwrap();
    let ctl = Arc::clone(r.control());
    ctl.breakloop().unwrap();
    ctl.breakloop().unwrap();
    assert_eq!(r.read().unwrap_err().errno(), Errno::EINTR);
    assert!(r.read().unwrap().is_some());
    let mut n = 0;
    let got = r
        .dispatch(0, |_| {
            n += 1;
            if n == 5 {
                ctl.breakloop().unwrap();
            }
        })
        .unwrap();
    assert_eq!(got, 5);
    assert_eq!(r.dispatch(0, |_| {}).unwrap_err().errno(), Errno::EINTR);
    assert_eq!(r.dispatch(0, |_| {}).unwrap(), 14);
    // A stream read waiting for a pipe wakes.
    let (tx, rx) = UnixStream::pair().unwrap();
    let mut head = &f[..24 + 16 + 10];
    std::io::copy(&mut head, &mut &tx).unwrap();
    let mut r = Offline::from_fd(OwnedFd::from(rx), &Config::default()).unwrap();
    assert!(r.read().unwrap().is_some());
    let ctl = Arc::clone(r.control());
    let waker = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        ctl.breakloop().unwrap();
    });
    assert_eq!(r.read().unwrap_err().errno(), Errno::EINTR);
    waker.join().unwrap();
    drop(tx);
    assert_eq!(errno(&r.read().unwrap_err()), ENODATA);
}

#[test]
fn filters_run_on_savefile_packets() {
    use crate::filter::{BPF_ABS, BPF_B, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_LEN, BPF_RET, BPF_W};
    // Packets of 10, 17, 24, ... bytes, first byte = index: keep those whose first byte is 2,
    // then those of wire length 70 cut to 8 bytes.
    let f = small_pcap(false, false, 6);
    let t = Tmp::new(&f);
    let first_is_2 = [
        Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 0),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
        Insn::stmt(BPF_RET | BPF_K, 0xffff),
        Insn::stmt(BPF_RET | BPF_K, 0),
    ];
    let mut r = Offline::open(
        &t.0,
        &Config {
            filter: Some(first_is_2.to_vec()),
            ..Config::default()
        },
    )
    .unwrap();
    let (pkts, end) = drain(&mut r, 100);
    assert_eq!((pkts.len(), end), (1, End::Eof));
    assert_eq!(pkts[0].data[0], 2);
    let len70 = [
        Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 70, 0, 1),
        Insn::stmt(BPF_RET | BPF_K, 8),
        Insn::stmt(BPF_RET | BPF_K, 0),
    ];
    let mut r = Offline::open(&t.0, &Config::default()).unwrap();
    r.set_filter(Some(&len70)).unwrap();
    let (pkts, _) = drain(&mut r, 100);
    assert_eq!(pkts.len(), 6);
    assert!(pkts.iter().all(|p| p.caplen == 8));
    // An ancillary load (the kernel's protocol field) rejects every packet, as in libpcap.
    let anc = [
        Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0xffff_f000),
        Insn::stmt(BPF_RET | BPF_K, 0xffff),
    ];
    let mut r = Offline::open(
        &t.0,
        &Config {
            max_nil_read: 2,
            ..Config::default()
        },
    )
    .unwrap();
    r.set_filter(Some(&anc)).unwrap();
    // Nil reads after 2 skips each: 3 of them, then the end.
    assert!(r.read().unwrap().is_none());
    assert!(r.read().unwrap().is_none());
    assert!(r.read().unwrap().is_none());
    assert_eq!(errno(&r.read().unwrap_err()), ENODATA);
    assert_eq!(r.control().stats(true).recvs, 6);
    // Invalid programs are refused and the filter stays.
    assert_eq!(
        r.set_filter(Some(&[Insn::stmt(0x15, 0)])).unwrap_err().errno(),
        Errno::EINVAL
    );
    r.set_filter(None).unwrap();
}

#[test]
fn config_fields_that_cannot_apply() {
    let t = Tmp::new(&small_pcap(false, false, 1));
    for cfg in [
        Config {
            direction: Direction::In,
            ..Config::default()
        },
        Config {
            proto: 0x0800,
            ..Config::default()
        },
    ] {
        assert_eq!(Offline::open(&t.0, &cfg).unwrap_err().errno(), Errno::EINVAL);
    }
    let cfg = Config {
        proto: 0,
        read_timeout_ms: 5,
        nonblock: true,
        promiscuous: true,
        ..Config::default()
    };
    let r = Offline::open(&t.0, &cfg).unwrap();
    assert_eq!(r.control().config().read_timeout_ms, 5);
}

#[test]
fn from_the_current_offset_of_a_descriptor() {
    let f = small_pcap(false, false, 3);
    let mut padded = b"junk before the file".to_vec();
    let skip = padded.len() as u64;
    padded.extend_from_slice(&f);
    let t = Tmp::new(&padded);
    let mut file = File::open(&t.0).unwrap();
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(skip)).unwrap();
    let mut r = Offline::from_fd(OwnedFd::from(file), &Config::default()).unwrap();
    assert_eq!(drain(&mut r, 10).0, read_file(&f, &Config::default()).0);
}

/// Whether a file is in the other byte order than this host's (`pcap_is_swapped`): the pcap
/// header's, the section of a pcapng file's first interface (`pkt_setfilter_expr` compiles
/// DLT_NULL's address family for it: src/ffi/filter.rs tests that).
#[test]
fn swapped_is_the_files_byte_order_against_the_hosts() {
    let host_be = cfg!(target_endian = "big");
    for be in [false, true] {
        let pcap = pcap_header(be, 0xa1b2_c3d4, (2, 4), 65535, 0);
        let mut pcapng = Vec::new();
        shb(&mut pcapng, be, &[]);
        idb(&mut pcapng, be, 0, 65535, &[]);
        // A first section without interfaces, in the other byte order: the one of interface 0
        // counts.
        let mut later = Vec::new();
        shb(&mut later, !be, &[]);
        shb(&mut later, be, &[]);
        idb(&mut later, be, 0, 65535, &[]);
        shb(&mut later, !be, &[]);
        idb(&mut later, !be, 0, 65535, &[]);
        for file in [pcap, pcapng, later] {
            let t = Tmp::new(&file);
            let r = Offline::open(&t.0, &Config::default()).unwrap();
            assert_eq!(r.control().swapped(), be != host_be, "be {be}");
        }
    }
}

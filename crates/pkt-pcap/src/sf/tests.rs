//! The reader's rules on small files built here (the differential test against libpcap is
//! `tests/sf_diff.rs`). "Native" is this host's byte order, "swapped" the other one.

use super::Savefile;

/// Bytes in the host's order or the other one.
struct W {
    swapped: bool,
    b: Vec<u8>,
}

impl W {
    fn new(swapped: bool) -> W {
        W {
            swapped,
            b: Vec::new(),
        }
    }
    fn u16(mut self, v: u16) -> W {
        let v = if self.swapped { v.swap_bytes() } else { v };
        self.b.extend_from_slice(&v.to_ne_bytes());
        self
    }
    fn u32(mut self, v: u32) -> W {
        let v = if self.swapped { v.swap_bytes() } else { v };
        self.b.extend_from_slice(&v.to_ne_bytes());
        self
    }
    fn u64(mut self, v: u64) -> W {
        let v = if self.swapped { v.swap_bytes() } else { v };
        self.b.extend_from_slice(&v.to_ne_bytes());
        self
    }
    fn bytes(mut self, v: &[u8]) -> W {
        self.b.extend_from_slice(v);
        self
    }
}

/// A stream holding `bytes` (a temporary file, read from the start).
fn stream(bytes: &[u8]) -> *mut libc::FILE {
    // SAFETY: tmpfile has no preconditions.
    let fp = unsafe { libc::tmpfile() };
    assert!(!fp.is_null());
    // SAFETY: fp is a valid stream; bytes is readable for its length.
    unsafe {
        assert_eq!(
            libc::fwrite(bytes.as_ptr().cast(), 1, bytes.len(), fp),
            bytes.len()
        );
        libc::rewind(fp);
    }
    fp
}

fn open(bytes: &[u8], precision: i32) -> Result<Savefile, String> {
    let fp = stream(bytes);
    // SAFETY: fp is a fresh stream used only through the Savefile.
    let r = unsafe { Savefile::open(fp, precision) };
    if r.is_err() {
        // SAFETY: on failure the stream stays ours.
        unsafe { libc::fclose(fp) };
    }
    r
}

/// (sec, tv_usec, caplen, len, data) of every record, and the final error if any.
type Recs = (Vec<(i64, i64, u32, u32, Vec<u8>)>, Option<String>);

fn records(sf: &mut Savefile) -> Recs {
    let mut v = Vec::new();
    loop {
        match sf.next() {
            Ok(Some(r)) => {
                assert_eq!(r.frac, r.tv_usec as u32);
                v.push((r.sec, r.tv_usec, r.caplen, r.len, r.data.to_vec()));
            }
            Ok(None) => return (v, None),
            Err(e) => return (v, Some(e)),
        }
    }
}

fn pcap_hdr(swapped: bool, magic: u32, ver: (u16, u16), snaplen: u32, linktype: u32) -> W {
    W::new(swapped)
        .u32(magic)
        .u16(ver.0)
        .u16(ver.1)
        .u32(0)
        .u32(0)
        .u32(snaplen)
        .u32(linktype)
}

fn rec(w: W, sec: u32, frac: u32, caplen: u32, len: u32, data: &[u8]) -> W {
    w.u32(sec).u32(frac).u32(caplen).u32(len).bytes(data)
}

#[test]
fn null_stream() {
    // SAFETY: NULL is allowed.
    let e = unsafe { Savefile::open(std::ptr::null_mut(), 0) }.err().unwrap();
    assert_eq!(e, "Null FILE * pointer provided to savefile open routine");
}

#[test]
fn pcap_header_values() {
    for swapped in [false, true] {
        let f = rec(
            pcap_hdr(swapped, 0xa1b2_c3d4, (2, 4), 1500, 0x1000_0069),
            7,
            8,
            3,
            4,
            &[1, 2, 3],
        );
        let mut sf = open(&f.b, 0).unwrap();
        assert_eq!(sf.linktype(), 105);
        assert_eq!(sf.linktype_ext(), 0x1000_0000);
        assert_eq!(sf.snapshot(), 1500);
        assert_eq!(sf.is_swapped(), swapped);
        assert_eq!(sf.version(), (2, 4));
        assert_eq!(records(&mut sf), (vec![(7, 8, 3, 4, vec![1, 2, 3])], None));
    }
}

#[test]
fn pcap_header_errors() {
    let cases: [(&[u8], &str); 4] = [
        (
            &[],
            "truncated dump file; tried to read 4 file header bytes, only got 0",
        ),
        (
            &[0xd4, 0xc3],
            "truncated dump file; tried to read 4 file header bytes, only got 2",
        ),
        (b"GET / HTTP/1.1\r\n", "unknown file format"),
        (&[0x0a, 0x0d, 0x0d, 0x0a, 1, 2, 3], "unknown file format"),
    ];
    for (f, want) in cases {
        assert_eq!(open(f, 0).err().unwrap(), want);
    }
    let h = pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 0, 1).b;
    assert_eq!(
        open(&h[..10], 0).err().unwrap(),
        "truncated dump file; tried to read 24 file header bytes, only got 6"
    );
    for (ver, want) in [
        ((1, 9), "archaic pcap savefile format"),
        ((2, 5), "unsupported pcap savefile version 2.5"),
        ((543, 1), "unsupported pcap savefile version 543.1"),
        ((3, 0), "unsupported pcap savefile version 3.0"),
    ] {
        assert_eq!(
            open(&pcap_hdr(true, 0xa1b2_c3d4, ver, 0, 1).b, 0).err().unwrap(),
            want
        );
    }
    assert!(open(&pcap_hdr(false, 0xa1b2_c3d4, (543, 0), 0, 1).b, 0).is_ok());
    assert_eq!(
        open(&pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 0, 1).b, 2)
            .err()
            .unwrap(),
        "unknown time stamp resolution 2"
    );
    // A bad precision on a file that is neither format: the format error comes first.
    assert_eq!(open(b"hello, world", 7).err().unwrap(), "unknown file format");
}

#[test]
fn pcap_time_stamps() {
    // Native fields are signed; swapped ones come through libpcap's unsigned SWAPLONG.
    for swapped in [false, true] {
        let f = rec(
            pcap_hdr(swapped, 0xa1b2_c3d4, (2, 4), 0, 1),
            0xffff_ffff,
            0xffff_ff00,
            0,
            0,
            &[],
        );
        let (r, e) = records(&mut open(&f.b, 0).unwrap());
        assert_eq!(e, None);
        if swapped {
            assert_eq!((r[0].0, r[0].1), (0xffff_ffff, 0xffff_ff00));
        } else {
            assert_eq!((r[0].0, r[0].1), (-1, -256));
        }
        // µs → ns.
        let (r, _) = records(&mut open(&f.b, 1).unwrap());
        let us: i64 = if swapped { 0xffff_ff00 } else { -256 };
        assert_eq!(r[0].1, us * 1000);
    }
    // ns → µs truncates (toward zero for a negative fraction); ns → ns passes through.
    let f = rec(
        pcap_hdr(false, 0xa1b2_3c4d, (2, 4), 0, 1),
        1,
        123_456_789,
        0,
        0,
        &[],
    );
    let f = rec(f, 2, (-1500i32) as u32, 0, 0, &[]);
    let (r, _) = records(&mut open(&f.b, 0).unwrap());
    assert_eq!((r[0].1, r[1].1), (123_456, -1));
    let (r, _) = records(&mut open(&f.b, 1).unwrap());
    assert_eq!((r[0].1, r[1].1), (123_456_789, -1500));
}

#[test]
fn pcap_lengths_by_version() {
    // 2.2 and 543.0: len then caplen; 2.3: swapped only when caplen > len.
    for (ver, want) in [
        ((2, 2), [(4, 2), (2, 4)]),
        ((543, 0), [(4, 2), (2, 4)]),
        ((2, 3), [(2, 4), (2, 4)]),
        ((2, 4), [(2, 4), (4, 2)]),
    ] {
        let w = pcap_hdr(false, 0xa1b2_c3d4, ver, 0, 1);
        let cap0 = want[0].0;
        let w = w.u32(1).u32(1).u32(2).u32(4).bytes(&vec![0; cap0 as usize]);
        let cap1 = want[1].0;
        let w = w.u32(1).u32(1).u32(4).u32(2).bytes(&vec![0; cap1 as usize]);
        let (r, e) = records(&mut open(&w.b, 0).unwrap());
        assert_eq!(e, None, "{ver:?}");
        let got: Vec<_> = r.iter().map(|r| (r.2, r.3)).collect();
        assert_eq!(got, want.to_vec(), "{ver:?}");
    }
}

#[test]
fn pcap_caplen_over_snapshot() {
    // Kept to the snapshot length, the rest skipped: the next record is read normally.
    let data: Vec<u8> = (0..=255u8).cycle().take(9000).collect();
    let w = rec(
        pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 100, 1),
        1,
        0,
        9000,
        9000,
        &data,
    );
    let w = rec(w, 2, 0, 3, 3, &[7, 8, 9]);
    let (r, e) = records(&mut open(&w.b, 0).unwrap());
    assert_eq!(e, None);
    assert_eq!((r[0].2, r[0].3, &r[0].4[..]), (100, 9000, &data[..100]));
    assert_eq!(r[1].4, vec![7, 8, 9]);
    // Cut short in the kept part, then in the skipped part.
    let e = records(&mut open(&w.b[..24 + 16 + 50], 0).unwrap()).1.unwrap();
    assert_eq!(
        e,
        "truncated dump file; tried to read 100 captured bytes, only got 50"
    );
    let e = records(&mut open(&w.b[..24 + 16 + 5000], 0).unwrap()).1.unwrap();
    assert_eq!(
        e,
        "truncated dump file; tried to read 9000 captured bytes, only got 5000"
    );
    // Past the DLT's maximum: an error, worded by whether it is past the snapshot too.
    let w = rec(
        pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 100, 1),
        1,
        0,
        262_145,
        262_145,
        &[],
    );
    let e = records(&mut open(&w.b, 0).unwrap()).1.unwrap();
    assert_eq!(
        e,
        "invalid packet capture length 262145, bigger than snaplen of 100"
    );
    let w = rec(
        pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 0x7fff_ffff, 1),
        1,
        0,
        262_145,
        262_145,
        &[],
    );
    let e = records(&mut open(&w.b, 0).unwrap()).1.unwrap();
    assert_eq!(
        e,
        "invalid packet capture length 262145, bigger than maximum of 262144"
    );
    // D-Bus allows more.
    let big = vec![0x5a; 300_000];
    let w = rec(
        pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 0, 231),
        1,
        0,
        300_000,
        300_000,
        &big,
    );
    let mut sf = open(&w.b, 0).unwrap();
    assert_eq!(sf.snapshot(), 128 * 1024 * 1024);
    let (r, e) = records(&mut sf);
    assert_eq!((e, r[0].2), (None, 300_000));
    // Record header cut short; a clean end.
    let w = rec(pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 0, 1), 1, 0, 1, 1, &[1]);
    let e = records(&mut open(&w.b[..24 + 7], 0).unwrap()).1.unwrap();
    assert_eq!(
        e,
        "truncated dump file; tried to read 16 header bytes, only got 7"
    );
}

#[test]
fn kuznetzov() {
    for (lt, snap, want) in [(1, 100, 114), (101, 100, 100), (1, 0x7fff_fff5, 0x7fff_ffff)] {
        let w = pcap_hdr(false, 0xa1b2_cd34, (2, 4), snap, lt);
        let w = w
            .u32(1)
            .u32(2)
            .u32(3)
            .u32(3)
            .u32(9)
            .u16(0x800)
            .bytes(&[4, 0])
            .bytes(&[1, 2, 3]);
        let mut sf = open(&w.b, 0).unwrap();
        assert_eq!(sf.snapshot(), want);
        let (r, e) = records(&mut sf);
        assert_eq!((e, r[0].4.clone()), (None, vec![1, 2, 3]));
        let e = records(&mut open(&w.b[..24 + 20], 0).unwrap()).1.unwrap();
        assert_eq!(
            e,
            "truncated dump file; tried to read 24 header bytes, only got 20"
        );
    }
}

#[test]
fn pseudo_header_swapped_only_in_swapped_files() {
    // Linux SLL with SocketCAN: the CAN ID is put in host order in a swapped file.
    for swapped in [false, true] {
        let mut hdr = vec![0u8; 16];
        hdr[15] = 0x0c;
        let pkt = W::new(swapped).bytes(&hdr).u32(0x1234_5678).bytes(&[1, 2]).b;
        let n = pkt.len() as u32;
        let w = rec(pcap_hdr(swapped, 0xa1b2_c3d4, (2, 4), 0, 113), 1, 0, n, n, &pkt);
        let (r, _) = records(&mut open(&w.b, 0).unwrap());
        assert_eq!(r[0].4[16..20], 0x1234_5678u32.to_ne_bytes());
    }
}

// --- pcapng ---

fn block(swapped: bool, ty: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let total = 12 + body.len() as u32;
    W::new(swapped).u32(ty).u32(total).bytes(&body).u32(total).b
}

fn shb(swapped: bool, major: u16, minor: u16) -> Vec<u8> {
    block(
        swapped,
        0x0a0d_0d0a,
        &W::new(swapped)
            .u32(0x1a2b_3c4d)
            .u16(major)
            .u16(minor)
            .u64(u64::MAX)
            .b,
    )
}

fn idb(swapped: bool, linktype: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut w = W::new(swapped).u16(linktype).u16(0).u32(snaplen);
    for (code, val) in opts {
        w = w.u16(*code).u16(val.len() as u16).bytes(val);
        while w.b.len() % 4 != 0 {
            w.b.push(0);
        }
    }
    block(swapped, 1, &w.b)
}

fn epb(swapped: bool, ifid: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let n = data.len() as u32;
    let w = W::new(swapped)
        .u32(ifid)
        .u32((ts >> 32) as u32)
        .u32(ts as u32)
        .u32(n)
        .u32(n)
        .bytes(data);
    block(swapped, 6, &w.b)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn pcapng_basic_and_resolutions() {
    for swapped in [false, true] {
        let tsoff = W::new(swapped).u64(100).b;
        let f = cat(&[
            shb(swapped, 1, 2),
            idb(swapped, 1, 0, &[(2, b"eth0"), (9, &[9])]),
            idb(swapped, 1, 0, &[(9, &[0x80 | 10]), (14, &tsoff)]),
            idb(swapped, 1, 0, &[(9, &[3])]),
            epb(swapped, 0, 1_500_000_000_123_456_789, &[1]),
            epb(swapped, 1, (5 << 10) | 512, &[2]),
            epb(swapped, 2, 7_123, &[3]),
        ]);
        let mut sf = open(&f, 0).unwrap();
        assert_eq!((sf.linktype(), sf.linktype_ext(), sf.snapshot()), (1, 0, 262_144));
        assert_eq!((sf.is_swapped(), sf.version()), (swapped, (1, 2)));
        let (r, e) = records(&mut sf);
        assert_eq!(e, None);
        let ts: Vec<_> = r.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(ts, vec![(1_500_000_000, 123_456), (105, 500_000), (7, 123_000)]);
        let (r, _) = records(&mut open(&f, 1).unwrap());
        let ts: Vec<_> = r.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(
            ts,
            vec![(1_500_000_000, 123_456_789), (105, 500_000_000), (7, 123_000_000)]
        );
    }
}

#[test]
fn pcapng_errors() {
    let s = false;
    let tail = cat(&[idb(s, 1, 0, &[]), epb(s, 0, 1, &[1])]);
    // SHB length limits at open.
    let mut bad = shb(s, 1, 0);
    bad[4..8].copy_from_slice(&24u32.to_ne_bytes());
    assert_eq!(
        open(&bad, 0).err().unwrap(),
        "Section Header Block in pcapng dump file has invalid length 28 < _24_ < 1048576 (BT_SHB_INSANE_MAX)"
    );
    assert_eq!(
        open(&cat(&[shb(s, 1, 1), tail.clone()]), 0).err().unwrap(),
        "unsupported pcapng savefile version 1.1"
    );
    assert_eq!(
        open(&shb(s, 1, 0), 0).err().unwrap(),
        "the capture file has no Interface Description Blocks"
    );
    assert_eq!(
        open(&cat(&[shb(s, 1, 0), epb(s, 0, 1, &[1])]), 0).err().unwrap(),
        "the capture file has a packet block before any Interface Description Blocks"
    );
    assert_eq!(
        open(&cat(&[shb(s, 1, 0), idb(s, 1, 0, &[(9, &[20])])]), 0)
            .err()
            .unwrap(),
        "Interface Description Block if_tsresol option resolution 10^-20 is too high"
    );
    assert_eq!(
        open(&cat(&[shb(s, 1, 0), idb(s, 1, 0, &[(9, &[0x80 | 64])])]), 0)
            .err()
            .unwrap(),
        "Interface Description Block if_tsresol option resolution 2^-64 is too high"
    );
    // After the open: unknown interface, other link type (compared as libpcap does: the DLT of
    // the first IDB against the LINKTYPE of this one), other byte order, bad lengths.
    let next_err = |f: &[u8]| records(&mut open(f, 0).unwrap()).1.unwrap();
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), tail.clone(), epb(s, 1, 1, &[1])])),
        "a packet arrived on interface 1, but there's no Interface Description Block for that interface"
    );
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), idb(s, 101, 0, &[]), idb(s, 101, 0, &[])])),
        "an interface has a type 101 different from the type of the first interface"
    );
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), idb(s, 1, 0, &[]), idb(s, 1, 100, &[])])),
        "an interface has a snapshot length 100 different from the snapshot length of the first interface"
    );
    assert_eq!(
        next_err(&cat(&[
            shb(s, 1, 0),
            tail.clone(),
            shb(s, 1, 0),
            epb(s, 0, 1, &[1])
        ])),
        "a packet arrived on interface 0, but there's no Interface Description Block for that interface"
    );
    let mut other = shb(s, 1, 0);
    other[8..12].copy_from_slice(&0x1a2b_3c4du32.swap_bytes().to_ne_bytes());
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), tail.clone(), other])),
        "the file has sections with different byte orders"
    );
    let mut blk = epb(s, 0, 1, &[1]);
    let n = blk.len();
    blk[n - 4..].copy_from_slice(&4u32.to_ne_bytes());
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), tail.clone(), blk])),
        "block total length in header and trailer don't match"
    );
    let big = W::new(s).u32(6).u32(16 * 1024 * 1024 + 4).b;
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), tail.clone(), big])),
        "pcapng block size 16777220 > maximum 16777216"
    );
    let odd = W::new(s).u32(6).u32(13).b;
    assert_eq!(
        next_err(&cat(&[shb(s, 1, 0), tail.clone(), odd])),
        "block in pcapng dump file has a length of 13 that is not a multiple of 4"
    );
    let f = cat(&[shb(s, 1, 0), tail.clone(), epb(s, 0, 1, &[1, 2, 3])]);
    assert_eq!(
        next_err(&f[..f.len() - 3]),
        "truncated pcapng dump file; tried to read 28 bytes, only got 25"
    );
    assert_eq!(
        next_err(&f[..f.len() - 35]),
        "truncated pcapng dump file; tried to read 8 bytes, only got 1"
    );
    // An SPB with a length past the snapshot: cut to it.
    let f = cat(&[
        shb(s, 1, 0),
        idb(s, 1, 4, &[]),
        block(s, 3, &W::new(s).u32(100).bytes(&[1, 2, 3, 4]).b),
    ]);
    let (r, e) = records(&mut open(&f, 0).unwrap());
    assert_eq!((e, r[0].2, r[0].3), (None, 4, 100));
}

#[test]
fn read_from_a_pipe() {
    let f = rec(pcap_hdr(false, 0xa1b2_c3d4, (2, 4), 0, 1), 1, 2, 3, 3, &[4, 5, 6]).b;
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let writer = std::thread::spawn(move || {
        for chunk in f.chunks(5) {
            // SAFETY: fds[1] is the pipe's write end, owned by this thread; chunk is readable.
            let n = unsafe { libc::write(fds[1], chunk.as_ptr().cast(), chunk.len()) };
            assert_eq!(n, chunk.len() as isize);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // SAFETY: closing our end.
        unsafe { libc::close(fds[1]) };
    });
    // SAFETY: fds[0] is the pipe's read end; the mode is a C string.
    let fp = unsafe { libc::fdopen(fds[0], c"rb".as_ptr()) };
    assert!(!fp.is_null());
    // SAFETY: fp is a fresh stream used only through the Savefile.
    let mut sf = unsafe { Savefile::open(fp, 0) }.unwrap();
    assert_eq!(sf.file(), fp);
    assert_eq!(records(&mut sf), (vec![(1, 2, 3, 3, vec![4, 5, 6])], None));
    writer.join().unwrap();
    drop(sf);
    // The Savefile closed the stream, and with it the descriptor.
    // SAFETY: F_GETFD on a closed descriptor only fails.
    assert_eq!(unsafe { libc::fcntl(fds[0], libc::F_GETFD) }, -1);
}

#[test]
fn failed_open_leaves_the_stream_open() {
    let fp = stream(b"nothing");
    // SAFETY: fp is a valid stream.
    assert!(unsafe { Savefile::open(fp, 0) }.is_err());
    // SAFETY: still open and ours: fclose succeeds.
    assert_eq!(unsafe { libc::fclose(fp) }, 0);
}

#[test]
fn a_directory_is_a_read_error() {
    // SAFETY: both strings are NUL-terminated.
    let fp = unsafe { libc::fopen(c"/".as_ptr(), c"rb".as_ptr()) };
    if fp.is_null() {
        return;
    }
    // SAFETY: fp is a valid stream.
    let e = unsafe { Savefile::open(fp, 0) }.err().unwrap();
    assert_eq!(e, "error reading dump file: Is a directory");
    // SAFETY: still ours.
    unsafe { libc::fclose(fp) };
}

//! Dumper tests over in-memory sinks: exact bytes, buffering, and failures in the middle of a
//! record.

use std::io::{self, Write};

use super::*;

/// An in-memory sink that can run out of space after `limit` bytes (a short write, then
/// ENOSPC), refuse truncation (a pipe), or be interrupted once.
#[derive(Default)]
struct MemSink {
    data: Vec<u8>,
    limit: Option<usize>,
    pipe: bool,
    interrupt: bool,
    writes: usize,
}

impl Write for MemSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        if std::mem::take(&mut self.interrupt) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let room = self.limit.map_or(usize::MAX, |l| l - self.data.len());
        if room == 0 {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        let n = buf.len().min(room);
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink for MemSink {
    fn truncate(&mut self, len: u64) -> io::Result<bool> {
        if self.pipe {
            return Ok(false);
        }
        self.data.truncate(len as usize);
        Ok(true)
    }

    fn name(&self) -> &str {
        "memory"
    }
}

fn info(sec: i64, nsec: u32, caplen: usize, len: u32) -> Info {
    Info {
        sec,
        nsec,
        caplen: caplen as u32,
        len,
        ifindex: 2,
        protocol: 0x88b5,
        linktype: 1,
        pkttype: 0,
        ..Info::default()
    }
}

fn opts(linktype: u16, format: Format, nano: bool, snaplen: u32) -> Options {
    Options {
        linktype,
        snaplen,
        format,
        resolution: if nano {
            TstampResolution::Nano
        } else {
            TstampResolution::Micro
        },
    }
}

fn le32(v: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(v[off..off + 4].try_into().unwrap())
}

/// The records of a pcap file: (sec, frac, caplen, len, data). Panics on a torn record.
fn pcap_records(v: &[u8]) -> Vec<(u32, u32, u32, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = pcap::FILE_HEADER_LEN;
    while off < v.len() {
        assert!(off + 16 <= v.len(), "torn record header at {off}");
        let cap = le32(v, off + 8) as usize;
        assert!(off + 16 + cap <= v.len(), "torn record data at {off}");
        out.push((
            le32(v, off),
            le32(v, off + 4),
            cap as u32,
            le32(v, off + 12),
            v[off + 16..off + 16 + cap].to_vec(),
        ));
        off += 16 + cap;
    }
    out
}

/// The blocks of a pcapng file: (type, body without type and lengths). Panics on a torn
/// block.
fn pcapng_blocks(v: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < v.len() {
        assert!(off + 12 <= v.len(), "torn block at {off}");
        let len = le32(v, off + 4) as usize;
        assert!(len % 4 == 0 && off + len <= v.len(), "torn block at {off}");
        assert_eq!(le32(v, off + len - 4) as usize, len);
        out.push((le32(v, off), v[off + 8..off + len - 4].to_vec()));
        off += len;
    }
    out
}

fn names(i: i32) -> Option<String> {
    (i != 99).then(|| format!("if{i}"))
}

fn pcapng_dumper(nano: bool) -> Dumper<MemSink> {
    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcapng, nano, 0)).unwrap();
    d.set_ifname_lookup(Box::new(names));
    d
}

#[test]
fn pcap_micro_exact_bytes_and_truncated_fraction() {
    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcap, false, 0)).unwrap();
    // The header is written at once.
    assert_eq!(d.sink.as_ref().unwrap().data.len(), 24);
    d.write(&[1, 2, 3], &info(0x6000_0000, 123_456_999, 3, 64))
        .unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    #[rustfmt::skip]
    let want: Vec<u8> = [
        &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0][..], &[0; 8], &[0, 0, 4, 0], &[1, 0, 0, 0],
        &[0, 0, 0, 0x60],                     // seconds
        &[0x40, 0xe2, 0x01, 0],               // 123456 µs: 999 ns truncated, not rounded
        &[3, 0, 0, 0], &[64, 0, 0, 0], &[1, 2, 3],
    ].concat();
    assert_eq!(sink.data, want);
}

#[test]
fn pcap_nano() {
    let mut d = Dumper::new(MemSink::default(), &opts(101, Format::Pcap, true, 0)).unwrap();
    d.write(&[0x45; 20], &info(1, 999_999_999, 20, 20)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    assert_eq!(le32(&sink.data, 0), pcap::MAGIC_NANO);
    assert_eq!(le32(&sink.data, 20), 101);
    assert_eq!(
        pcap_records(&sink.data),
        [(1, 999_999_999, 20, 20, vec![0x45; 20])]
    );
}

#[test]
fn raw_alias_and_snaplen_in_header() {
    let mut d = Dumper::new(MemSink::default(), &opts(12, Format::Pcap, false, 96)).unwrap();
    assert_eq!(d.linktype(), 101);
    assert_eq!(d.snaplen(), 96);
    d.flush().unwrap();
    let (sink, _) = d.finish();
    assert_eq!(le32(&sink.data, 16), 96);
    assert_eq!(le32(&sink.data, 20), 101);
}

#[test]
fn snaplen_cuts_data_and_keeps_len() {
    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcap, false, 10)).unwrap();
    let data: Vec<u8> = (0..30).collect();
    d.write(&data, &info(5, 0, 30, 1500)).unwrap();
    d.write(&data[..4], &info(5, 0, 4, 4)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    let recs = pcap_records(&sink.data);
    assert_eq!(recs[0], (5, 0, 10, 1500, data[..10].to_vec()));
    assert_eq!(recs[1], (5, 0, 4, 4, data[..4].to_vec()));
}

#[test]
fn sll_header_built_from_info() {
    let mut d = Dumper::new(MemSink::default(), &opts(113, Format::Pcap, false, 0)).unwrap();
    let i = Info {
        pkttype: 4,
        linktype: 772,
        protocol: 0x0800,
        ifindex: 7,
        ..info(1, 0, 2, 50)
    };
    d.write(&[0x45, 0], &i).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    let recs = pcap_records(&sink.data);
    let (_, _, cap, len, bytes) = &recs[0];
    assert_eq!((*cap, *len), (18, 66));
    assert_eq!(
        bytes[..],
        [0, 4, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, 0x45, 0]
    );
}

#[test]
fn sll2_header_built_from_info_and_cut_by_snaplen() {
    let mut d = Dumper::new(MemSink::default(), &opts(276, Format::Pcap, false, 24)).unwrap();
    let i = Info {
        pkttype: 1,
        linktype: 1,
        protocol: 0x0806,
        ifindex: 0x0102,
        ..info(1, 0, 28, 28)
    };
    let payload = [0xee; 28];
    d.write(&payload, &i).unwrap();
    let mut tiny = Dumper::new(MemSink::default(), &opts(276, Format::Pcap, false, 8)).unwrap();
    tiny.write(&payload, &i).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    let (_, _, cap, len, bytes) = &pcap_records(&sink.data)[0];
    assert_eq!((*cap, *len), (24, 48));
    #[rustfmt::skip]
    assert_eq!(bytes[..], [
        0x08, 0x06, 0, 0, 0, 0, 0x01, 0x02, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0xee, 0xee, 0xee, 0xee,
    ]);
    // A snap length shorter than the cooked header cuts the header.
    let (sink, r) = tiny.finish();
    r.unwrap();
    let (_, _, cap, len, bytes) = &pcap_records(&sink.data)[0];
    assert_eq!((*cap, *len), (8, 48));
    assert_eq!(bytes[..], [0x08, 0x06, 0, 0, 0, 0, 0x01, 0x02]);
}

#[test]
fn pcapng_one_idb_per_interface_in_order() {
    let mut d = pcapng_dumper(false);
    let at = |ifindex, pkttype| Info {
        ifindex,
        pkttype,
        ..info(2, 1_500, 1, 60)
    };
    d.write(&[1], &at(5, 0)).unwrap();
    d.write(&[2], &at(5, 4)).unwrap();
    d.write(&[3], &at(99, 1)).unwrap();
    d.write(&[4], &at(5, 3)).unwrap();
    d.write(&[5], &at(99, 2)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    let b = pcapng_blocks(&sink.data);
    let types: Vec<u32> = b.iter().map(|x| x.0).collect();
    assert_eq!(types, [pcapng::SHB, 1, 6, 6, 1, 6, 6, 6]);
    // IDB of ifindex 5: Ethernet, snaplen 262144, if_name "if5", if_tsresol 6
    #[rustfmt::skip]
    assert_eq!(b[1].1, [
        &[1, 0, 0, 0][..], &[0, 0, 4, 0],
        &[2, 0, 3, 0], b"if5", &[0],
        &[9, 0, 1, 0], &[6, 0, 0, 0],
        &[0, 0, 0, 0],
    ].concat());
    // ifindex 99 has no name: no if_name option
    assert_eq!(
        b[4].1,
        [
            &[1, 0, 0, 0][..],
            &[0, 0, 4, 0],
            &[9, 0, 1, 0],
            &[6, 0, 0, 0],
            &[0; 4]
        ]
        .concat()
    );
    // EPBs: interface id, time 2.000001 s in µs, flags from the packet type
    let epb = |i: usize| -> (u32, u64, u32, u32, u8, u32) {
        let v = &b[i].1;
        let ts = (u64::from(le32(v, 4)) << 32) | u64::from(le32(v, 8));
        (le32(v, 0), ts, le32(v, 12), le32(v, 16), v[20], le32(v, 28))
    };
    assert_eq!(epb(2), (0, 2_000_001, 1, 60, 1, 0b00101));
    assert_eq!(epb(3), (0, 2_000_001, 1, 60, 2, 0b00010));
    assert_eq!(epb(5), (1, 2_000_001, 1, 60, 3, 0b01101));
    assert_eq!(epb(6), (0, 2_000_001, 1, 60, 4, 0b10001));
    assert_eq!(epb(7), (1, 2_000_001, 1, 60, 5, 0b01001));
}

#[test]
fn pcapng_section_header_names_libpkt() {
    let d = pcapng_dumper(true);
    let (sink, r) = d.finish();
    r.unwrap();
    let b = pcapng_blocks(&sink.data);
    // The section header, and the description of an interface (none was seen).
    assert_eq!(b.len(), 2);
    let body = &b[0].1;
    assert_eq!(le32(body, 0), pcapng::BYTE_ORDER_MAGIC);
    let app = concat!("libpkt ", env!("CARGO_PKG_VERSION"));
    assert!(body.windows(app.len()).any(|w| w == app.as_bytes()));
    if let Some(rel) = crate::sys::kernel_release() {
        let os = format!("Linux {rel}");
        assert!(body.windows(os.len()).any(|w| w == os.as_bytes()));
    }
}

#[test]
fn pcapng_nano_timestamps_and_tsresol() {
    let mut d = pcapng_dumper(true);
    d.write(&[0; 5], &info(0x1_0000, 7, 5, 5)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    let b = pcapng_blocks(&sink.data);
    assert_eq!(b[1].1[20], 9); // if_tsresol, after if_name "if2"
    let v = &b[2].1;
    let ts = (u64::from(le32(v, 4)) << 32) | u64::from(le32(v, 8));
    assert_eq!(ts, 0x1_0000 * 1_000_000_000 + 7);
    // 5 data bytes padded to 8
    assert_eq!(v.len(), 20 + 8 + 8 + 4);
}

#[test]
fn pcapng_statistics_blocks_at_close() {
    let mut d = pcapng_dumper(false);
    d.started = (10, 500_000_000);
    d.write(
        &[1],
        &Info {
            ifindex: 3,
            ..info(11, 0, 1, 1)
        },
    )
    .unwrap();
    d.write(
        &[1],
        &Info {
            ifindex: 4,
            ..info(11, 0, 1, 1)
        },
    )
    .unwrap();
    d.set_stats(Stats { recvs: 9, drops: 2 });
    let (sink, r) = d.finish_at((12, 250_999));
    r.unwrap();
    let b = pcapng_blocks(&sink.data);
    let isbs: Vec<&Vec<u8>> = b.iter().filter(|x| x.0 == pcapng::ISB).map(|x| &x.1).collect();
    assert_eq!(isbs.len(), 2);
    for (id, v) in isbs.iter().enumerate() {
        #[rustfmt::skip]
        assert_eq!(v[..], [
            &(id as u32).to_le_bytes()[..], &[0, 0, 0, 0], &12_000_250u32.to_le_bytes(),
            &[2, 0, 8, 0], &[0, 0, 0, 0], &10_500_000u32.to_le_bytes(),
            &[3, 0, 8, 0], &[0, 0, 0, 0], &12_000_250u32.to_le_bytes(),
            &[4, 0, 8, 0], &9u64.to_le_bytes(),
            &[7, 0, 8, 0], &2u64.to_le_bytes(),
            &[0, 0, 0, 0],
        ].concat());
    }
    // pcap ignores statistics; no stats, no ISB
    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcap, false, 0)).unwrap();
    d.set_stats(Stats { recvs: 1, drops: 1 });
    let (sink, r) = d.finish();
    r.unwrap();
    assert_eq!(sink.data.len(), 24);
    let mut d = pcapng_dumper(false);
    d.write(&[1], &info(1, 0, 1, 1)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    assert!(pcapng_blocks(&sink.data).iter().all(|x| x.0 != pcapng::ISB));
}

#[test]
fn writes_are_buffered_until_flush_or_full() {
    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcap, false, 0)).unwrap();
    let data = [0u8; 1000];
    d.write(&data, &info(1, 0, 1000, 1000)).unwrap();
    assert_eq!(d.sink.as_ref().unwrap().data.len(), 24);
    assert_eq!(d.bytes(), 24 + 1016);
    d.flush().unwrap();
    assert_eq!(d.sink.as_ref().unwrap().data.len(), 24 + 1016);
    let writes = d.sink.as_ref().unwrap().writes;
    // 64 records of 1016 bytes fill the buffer; the 65th sends them out in one write
    for _ in 0..64 {
        d.write(&data, &info(1, 0, 1000, 1000)).unwrap();
    }
    assert_eq!(d.sink.as_ref().unwrap().writes, writes);
    d.write(&data, &info(1, 0, 1000, 1000)).unwrap();
    assert_eq!(d.sink.as_ref().unwrap().writes, writes + 1);
    assert_eq!(d.sink.as_ref().unwrap().data.len(), 24 + 65 * 1016);
    // a record larger than the buffer is fine
    let big = vec![7u8; 200_000];
    d.write(&big, &info(1, 0, big.len(), 200_000)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    let recs = pcap_records(&sink.data);
    assert_eq!(recs.len(), 67);
    assert_eq!(recs[66].4, big);
}

#[test]
fn interrupted_write_is_retried() {
    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcap, false, 0)).unwrap();
    d.sink.as_mut().unwrap().interrupt = true;
    d.write(&[1, 2], &info(1, 0, 2, 2)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    assert_eq!(pcap_records(&sink.data).len(), 1);
}

/// Writes 100-byte records until the sink fills up; returns the dumper's results and output.
fn fill_until_full(
    format: Format,
    limit: usize,
    pipe: bool,
    flush_each: bool,
) -> (usize, Error, MemSink, u64) {
    let sink = MemSink {
        limit: Some(limit),
        pipe,
        ..MemSink::default()
    };
    let mut d = Dumper::new(sink, &opts(1, format, false, 0)).unwrap();
    d.set_ifname_lookup(Box::new(names));
    let mut ok = 0;
    let err = loop {
        let data = [ok as u8; 100];
        let r = d.write(&data, &info(1, 0, 100, 100));
        let r = if flush_each { r.and_then(|()| d.flush()) } else { r };
        match r {
            Ok(()) => ok += 1,
            Err(e) => break e,
        }
        assert!(ok < 100_000);
    };
    let bytes = d.bytes();
    // sticky: the same error from every later call
    assert_eq!(d.write(&[1], &info(1, 0, 1, 1)).unwrap_err(), err);
    assert_eq!(d.flush().unwrap_err(), err);
    let (sink, r) = d.finish();
    assert_eq!(r.unwrap_err(), err);
    (ok, err, sink, bytes)
}

#[test]
fn full_disk_leaves_only_whole_records() {
    for limit in [24 + 116 * 3 + 50, 24 + 116 * 600 + 1, 24 + 116 * 600] {
        let (ok, err, sink, bytes) = fill_until_full(Format::Pcap, limit, false, false);
        assert_eq!(err.errno(), Errno(libc::ENOSPC));
        assert_eq!(
            err.to_string(),
            "savefile: write to memory (No space left on device)"
        );
        let recs = pcap_records(&sink.data);
        assert_eq!(bytes, sink.data.len() as u64);
        assert_eq!(sink.data.len(), 24 + recs.len() * 116);
        // records are the first ones, in order; buffered ones may be lost with the error
        assert!(recs.len() <= ok, "{} records, {ok} accepted", recs.len());
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.4, [i as u8; 100]);
        }
        // with a flush after each record, every accepted record is in the file
        let (ok, _, sink, _) = fill_until_full(Format::Pcap, limit, false, true);
        assert_eq!(pcap_records(&sink.data).len(), ok);
        assert_eq!(ok, (limit - 24) / 116);
    }
}

#[test]
fn full_disk_pcapng() {
    let (ok, err, sink, bytes) = fill_until_full(Format::Pcapng, 5000, false, true);
    assert_eq!(err.errno(), Errno(libc::ENOSPC));
    let blocks = pcapng_blocks(&sink.data);
    assert_eq!(blocks.iter().filter(|b| b.0 == pcapng::EPB).count(), ok);
    assert_eq!(bytes, sink.data.len() as u64);
}

#[test]
fn unbuffered_sink_keeps_a_torn_record() {
    let limit = 24 + 116 + 50;
    let (_, _, sink, bytes) = fill_until_full(Format::Pcap, limit, true, true);
    assert_eq!(sink.data.len(), limit);
    assert_eq!(bytes, limit as u64);
}

#[test]
fn failing_header_fails_creation() {
    let sink = MemSink {
        limit: Some(10),
        ..MemSink::default()
    };
    let e = Dumper::new(sink, &opts(1, Format::Pcap, false, 0)).unwrap_err();
    assert_eq!(e.errno(), Errno(libc::ENOSPC));
}

#[test]
fn bad_arguments() {
    let bad = |o: Options| Dumper::new(MemSink::default(), &o).unwrap_err().errno();
    assert_eq!(bad(opts(3, Format::Pcap, false, 0)), Errno::EINVAL);
    assert_eq!(bad(opts(0xffff, Format::Pcapng, false, 0)), Errno::EINVAL);
    assert_eq!(bad(opts(1, Format::Pcap, false, MAX_SNAPLEN + 1)), Errno::EINVAL);

    let mut d = Dumper::new(MemSink::default(), &opts(1, Format::Pcap, false, 0)).unwrap();
    let e = |r: Result<(), Error>| r.unwrap_err().errno();
    assert_eq!(e(d.write(&[0; 10], &info(1, 0, 10, 9))), Errno::EINVAL);
    assert_eq!(
        e(d.write(&[0; 10], &info(1, 1_000_000_000, 10, 10))),
        Errno::EINVAL
    );
    assert_eq!(e(d.write(&[0; 10], &info(-1, 0, 10, 10))), Errno::EINVAL);
    assert_eq!(e(d.write(&[0; 10], &info(1 << 32, 0, 10, 10))), Errno::EINVAL);
    // argument errors do not stick
    d.write(&[0; 10], &info(1, 0, 10, 10)).unwrap();
    let (sink, r) = d.finish();
    r.unwrap();
    assert_eq!(pcap_records(&sink.data).len(), 1);
    // pcapng has 64-bit times
    let mut d = pcapng_dumper(true);
    d.write(&[0; 10], &info(1 << 32, 0, 10, 10)).unwrap();
}

#[test]
fn timestamp_units() {
    assert_eq!(ts_units(1, 999_999_999, false), Some(1_999_999));
    assert_eq!(ts_units(1, 999_999_999, true), Some(1_999_999_999));
    assert_eq!(ts_units(-1, 0, true), None);
    assert_eq!(ts_units(i64::MAX, 0, true), None);
}

#[test]
fn file_sink_truncates_regular_files() {
    let dir = std::env::temp_dir().join(format!("pkt-dump-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.pcap");
    std::fs::write(&path, b"old contents that must go away").unwrap();
    let mut d = Dumper::create(&path, &opts(1, Format::Pcap, true, 0)).unwrap();
    d.write(&[9; 40], &info(3, 4, 40, 40)).unwrap();
    d.close().unwrap();
    let v = std::fs::read(&path).unwrap();
    assert_eq!(pcap_records(&v), [(3, 4, 40, 40, vec![9; 40])]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::remove_file(&path).unwrap();
    let d = Dumper::create(&path, &opts(1, Format::Pcap, false, 0)).unwrap();
    let mode = d
        .sink
        .as_ref()
        .unwrap()
        .file()
        .metadata()
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o133, 0, "mode {mode:o}"); // at most 0644
    drop(d);
    let mut f = FileSink::open(&path).unwrap();
    f.write_all(b"abcdef").unwrap();
    assert!(f.truncate(2).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), b"ab");
    let e = Dumper::create(dir.join("no/such/dir.pcap"), &opts(1, Format::Pcap, false, 0)).unwrap_err();
    assert_eq!(e.errno(), Errno(libc::ENOENT));
    assert!(e.to_string().contains("no/such/dir.pcap"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pcapng_without_packets_still_describes_an_interface() {
    let mut d = pcapng_dumper(false);
    d.set_stats(Stats { recvs: 0, drops: 0 });
    let (sink, r) = d.finish();
    r.unwrap();
    let b = pcapng_blocks(&sink.data);
    let types: Vec<u32> = b.iter().map(|x| x.0).collect();
    assert_eq!(types, [pcapng::SHB, pcapng::IDB, pcapng::ISB]);
    // link type 1, as the dumper was opened
    assert_eq!(u16::from_le_bytes([b[1].1[0], b[1].1[1]]), 1);
}

//! `pcap_dump` writes each record into the stream's buffer itself when it fits (glibc's
//! `putc_unlocked` way) and through `fwrite` when it does not: the file must hold exactly the
//! records written, in order, whatever their sizes against the 128 KiB buffer, with
//! `pcap_dump_ftell` right after every record and `pcap_dump_flush` in between; and records
//! written by several threads to one dumper must each stay whole.
//!
//! (The test harness has threads, so this runs the locked path; the single-threaded path is
//! what tcpdump runs, compared byte for byte with libpcap's files by tests/compat/run.sh.)

use std::ffi::CString;
use std::path::PathBuf;

use pkt_pcap::dump::{pcap_dump, pcap_dump_close, pcap_dump_flush, pcap_dump_ftell, pcap_dump_open};
use pkt_pcap::handle::{pcap_close, pcap_open_dead};
use pkt_pcap::types::PcapPkthdr;

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pkt-pcap-dump-{}-{name}", std::process::id()))
}

/// A fixed-seed generator (the sizes must be the same on every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

fn header(sec: u32, usec: u32, caplen: u32, len: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    for (k, v) in [sec, usec, caplen, len].into_iter().enumerate() {
        h[k * 4..k * 4 + 4].copy_from_slice(&v.to_ne_bytes());
    }
    h
}

#[test]
fn records_of_every_size_land_whole_and_in_order() {
    let path = tmp("sizes.pcap");
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let p = pcap_open_dead(1, 262144);
    assert!(!p.is_null());
    // SAFETY: a handle from pcap_open_dead; a NUL-terminated name.
    let d = unsafe { pcap_dump_open(p, c.as_ptr()) };
    assert!(!d.is_null(), "pcap_dump_open failed");
    let mut expect = Vec::new();
    let mut rng = Lcg(0x5eed);
    let mut sizes: Vec<u32> = (0..3000)
        .map(|k| match k % 10 {
            0 => 0,
            1 => rng.next() % 200_000, // larger than what is left of the buffer, often all of it
            _ => rng.next() % 1600,
        })
        .collect();
    sizes.extend([131_072 - 16, 131_072, 131_072 + 1, 262_144, 1, 0]);
    // SAFETY: an open dumper.
    let mut pos = unsafe { pcap_dump_ftell(d) } as usize;
    assert_eq!(pos, 24, "the file header comes first");
    for (k, &n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..n).map(|b| (b as u8) ^ (k as u8)).collect();
        let h = PcapPkthdr {
            ts: libc::timeval {
                tv_sec: 1_700_000_000 + k as libc::time_t,
                tv_usec: (k * 7 % 1_000_000) as libc::suseconds_t,
            },
            caplen: n,
            len: n + 4,
        };
        // SAFETY: a dumper as `user`; `data` has caplen bytes.
        unsafe { pcap_dump(d.cast(), &h, data.as_ptr()) };
        expect.extend_from_slice(&header(h.ts.tv_sec as u32, h.ts.tv_usec as u32, n, n + 4));
        expect.extend_from_slice(&data);
        pos += 16 + n as usize;
        // SAFETY: an open dumper.
        let at = unsafe { pcap_dump_ftell(d) } as usize;
        assert_eq!(at, pos, "ftell after record {k} ({n} bytes)");
        if k % 500 == 499 {
            // SAFETY: an open dumper.
            assert_eq!(unsafe { pcap_dump_flush(d) }, 0);
        }
    }
    // SAFETY: closed once; the handle too.
    unsafe {
        pcap_dump_close(d);
        pcap_close(p);
    }
    let got = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(got.len(), 24 + expect.len(), "file length");
    assert!(got[24..] == expect[..], "records differ from what was written");
}

#[test]
fn records_from_several_threads_stay_whole() {
    const THREADS: usize = 4;
    const EACH: usize = 4000;
    let path = tmp("threads.pcap");
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let p = pcap_open_dead(1, 262144);
    // SAFETY: a handle from pcap_open_dead; a NUL-terminated name.
    let d = unsafe { pcap_dump_open(p, c.as_ptr()) };
    assert!(!d.is_null());
    let dumper = d as usize;
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut rng = Lcg(t as u64 + 1);
                for k in 0..EACH {
                    let n = rng.next() % 3000;
                    let data = vec![t as u8 + 1; n as usize];
                    let h = PcapPkthdr {
                        ts: libc::timeval {
                            tv_sec: t as libc::time_t,
                            tv_usec: k as libc::suseconds_t,
                        },
                        caplen: n,
                        len: n,
                    };
                    // SAFETY: the dumper stays open until every thread is joined.
                    unsafe { pcap_dump(dumper as *mut u8, &h, data.as_ptr()) };
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // SAFETY: closed once, after the writers.
    unsafe {
        pcap_dump_close(d);
        pcap_close(p);
    }
    let got = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let word = |o: usize| u32::from_ne_bytes(got[o..o + 4].try_into().unwrap());
    let mut next = [0u32; THREADS];
    let mut off = 24;
    while off < got.len() {
        let (t, k, n) = (word(off) as usize, word(off + 4), word(off + 8) as usize);
        assert!(t < THREADS, "record at {off}: thread {t}");
        assert_eq!(k, next[t], "thread {t}'s records out of order at {off}");
        next[t] += 1;
        let body = &got[off + 16..off + 16 + n];
        assert!(
            body.iter().all(|&b| b == t as u8 + 1),
            "record at {off} mixed with another's bytes"
        );
        off += 16 + n;
    }
    assert_eq!(off, got.len());
    assert_eq!(next, [EACH as u32; THREADS], "records per thread");
}

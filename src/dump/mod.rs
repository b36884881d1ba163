//! Savefiles: pcap (microsecond and nanosecond) and pcapng writers for captured packets.
//!
//! A [`Dumper`] writes the file header when it is created, then one record per
//! [`Dumper::write`]. Records are buffered (64 KiB) and atomic: after a failed write(2) (a full
//! disk, a closed pipe) the output is cut back to the end of the last whole record, so the
//! file stays readable, and the error sticks: every later call returns it.
//!
//! ```no_run
//! use pkt::dump::{linktype, Dumper, Format, Options};
//! # fn main() -> Result<(), pkt::Error> {
//! let mut h = pkt::Handle::open(Some("eth0"), &pkt::Config::default())?;
//! let lt = linktype::dlt_of(h.control().linktype(), h.control().config().cooked);
//! let mut d = Dumper::create("/tmp/x.pcapng", &Options { format: Format::Pcapng, ..Options::new(lt) })?;
//! for _ in 0..10 {
//!     if let Some(p) = h.read(true)? {
//!         d.write(p.data, &p.info)?;
//!     }
//! }
//! d.set_stats(h.control().stats(true)?);
//! d.close()
//! # }
//! ```

pub mod linktype;
mod pcap;
mod pcapng;
mod sink;

use std::collections::HashMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

pub use sink::{FileSink, Sink};

use crate::config::TstampResolution;
use crate::error::{Errno, Error};
use crate::packet::{Info, Stats};
use linktype::CookedMeta;

/// The snap length used when none is given, and the largest one: the most libpcap reads.
pub const MAX_SNAPLEN: u32 = 262_144;
/// Records are gathered in a buffer of this size before they are written out.
pub const BUFFER_SIZE: usize = 64 * 1024;

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap (libpcap's savefile).
    Pcap,
    /// pcapng: one section, an interface description per interface seen, enhanced packet
    /// blocks with the direction, interface statistics at close.
    Pcapng,
}

/// How a dumper writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// pcap link type (`linktype::*`; 12, the DLT value of raw IP, is written as 101).
    pub linktype: u16,
    /// Bytes kept of each record (cooked headers included); 0 means [`MAX_SNAPLEN`].
    pub snaplen: u32,
    pub format: Format,
    /// Timestamp unit in the file: microseconds (the fraction is `nsec / 1000`, truncated) or
    /// nanoseconds.
    pub resolution: TstampResolution,
}

impl Options {
    /// pcap with microsecond timestamps and the largest snap length.
    pub fn new(linktype: u16) -> Options {
        Options {
            linktype,
            snaplen: 0,
            format: Format::Pcap,
            resolution: TstampResolution::Micro,
        }
    }
}

/// Finds an interface's name from its index; None when unknown.
pub type IfnameLookup = Box<dyn FnMut(i32) -> Option<String> + Send>;

/// Writes packets to a pcap or pcapng savefile. Used by one thread at a time.
pub struct Dumper<S: Sink> {
    /// None only after `finish` took it.
    sink: Option<S>,
    format: Format,
    nano: bool,
    linktype: u16,
    snaplen: u32,
    buf: Vec<u8>,
    /// Where each record in `buf` ends.
    ends: Vec<usize>,
    /// Bytes of the output known to be complete (the file header and whole records).
    kept: u64,
    error: Option<Error>,
    /// pcapng: interface id by ifindex, in the order the IDBs were written.
    ifaces: HashMap<i32, u32>,
    iface_order: Vec<i32>,
    last_iface: Option<(i32, u32)>,
    lookup: IfnameLookup,
    stats: Option<Stats>,
    /// Wall-clock time at creation (seconds, nanoseconds), for `isb_starttime`.
    started: (i64, u32),
}

impl Dumper<FileSink> {
    /// Creates (or truncates) `path` and writes the file header; `-` is standard output, which
    /// stays open after [`Dumper::close`].
    pub fn create(path: impl AsRef<Path>, opts: &Options) -> Result<Dumper<FileSink>, Error> {
        check_options(opts)?;
        Dumper::new(FileSink::open(path.as_ref())?, opts)
    }
}

impl<S: Sink> Dumper<S> {
    /// Starts a savefile on `sink`: writes (and flushes) the file header or, for pcapng, the
    /// section header block. `-EINVAL` for an unknown link type or a snap length over
    /// [`MAX_SNAPLEN`].
    pub fn new(sink: S, opts: &Options) -> Result<Dumper<S>, Error> {
        let linktype = check_options(opts)?;
        let snaplen = if opts.snaplen == 0 {
            MAX_SNAPLEN
        } else {
            opts.snaplen
        };
        let nano = opts.resolution == TstampResolution::Nano;
        let mut d = Dumper {
            sink: Some(sink),
            format: opts.format,
            nano,
            linktype,
            snaplen,
            buf: Vec::with_capacity(BUFFER_SIZE),
            ends: Vec::new(),
            kept: 0,
            error: None,
            ifaces: HashMap::new(),
            iface_order: Vec::new(),
            last_iface: None,
            lookup: Box::new(system_ifname),
            stats: None,
            started: now(),
        };
        match d.format {
            Format::Pcap => pcap::file_header(&mut d.buf, nano, snaplen, linktype),
            Format::Pcapng => {
                let os = crate::sys::kernel_release().map(|r| format!("Linux {r}"));
                let app = concat!("libpkt ", env!("CARGO_PKG_VERSION"));
                pcapng::shb(&mut d.buf, os.as_deref(), app);
            }
        }
        d.ends.push(d.buf.len());
        d.flush()?;
        Ok(d)
    }

    /// Replaces how pcapng interface names are found (by default: the names of the calling
    /// thread's network namespace, looked up when an interface is first seen).
    pub fn set_ifname_lookup(&mut self, lookup: IfnameLookup) {
        self.lookup = lookup;
    }

    /// The link type written in the file.
    pub fn linktype(&self) -> u16 {
        self.linktype
    }

    /// The snap length in effect.
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// Appends one record: `data` (the packet's captured bytes, `info.caplen` of them; the
    /// length of `data` counts), cut to the snap length, with `info.len` as the original
    /// length. For the cooked link types ([`linktype::LINUX_SLL`], [`linktype::LINUX_SLL2`])
    /// `data` starts at the network header and the cooked header is built from `info`, with an
    /// empty link-layer address. pcapng: the first record of an `info.ifindex` is preceded by
    /// that interface's description block.
    ///
    /// Errors: `EINVAL` for `info.len` below the data's length, `nsec` of a second or more, a
    /// negative time or, in pcap, seconds beyond 32 bits (nothing is written then, and the
    /// dumper stays usable); the errno of a failed write(2), which sticks.
    pub fn write(&mut self, data: &[u8], info: &Info) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let hdr_len = linktype::built_header_len(self.linktype);
        if (info.len as usize) < data.len() {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_dump_write",
                "info len is smaller than caplen",
            ));
        }
        if info.nsec >= 1_000_000_000 || info.sec < 0 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_dump_write",
                "invalid timestamp",
            ));
        }
        let orig_len = u32::try_from(info.len as u64 + hdr_len as u64).unwrap_or(u32::MAX);
        let meta = CookedMeta {
            pkttype: info.pkttype,
            hatype: info.linktype,
            protocol: info.protocol,
            ifindex: info.ifindex,
        };
        let mut hdr = [0u8; linktype::SLL2_HDR_LEN];
        match self.linktype {
            linktype::LINUX_SLL => hdr[..hdr_len].copy_from_slice(&linktype::sll_header(&meta)),
            linktype::LINUX_SLL2 => hdr[..hdr_len].copy_from_slice(&linktype::sll2_header(&meta)),
            _ => {}
        }
        let cap = (hdr_len + data.len()).min(self.snaplen as usize);
        let hdr_part = &hdr[..hdr_len.min(cap)];
        let parts = [hdr_part, &data[..cap - hdr_part.len()]];

        match self.format {
            Format::Pcap => {
                let sec = u32::try_from(info.sec).map_err(|_| {
                    Error::with_detail(
                        Errno::EINVAL,
                        "pkt_dump_write",
                        "time beyond 2106 does not fit a pcap file (use pcapng)",
                    )
                })?;
                let frac = if self.nano { info.nsec } else { info.nsec / 1000 };
                self.reserve(pcap::RECORD_HEADER_LEN + cap)?;
                pcap::record(&mut self.buf, sec, frac, orig_len, &parts);
            }
            Format::Pcapng => {
                let ts = ts_units(info.sec, info.nsec, self.nano).ok_or_else(|| {
                    Error::with_detail(Errno::EINVAL, "pkt_dump_write", "invalid timestamp")
                })?;
                let if_id = self.iface_id(info.ifindex)?;
                self.reserve(pcapng::epb_len(cap))?;
                let flags = pcapng::flags_of(info.pkttype);
                pcapng::epb(&mut self.buf, if_id, ts, orig_len, &parts, flags);
            }
        }
        self.ends.push(self.buf.len());
        Ok(())
    }

    /// The pcapng interface id of `ifindex`, writing its description block first if it is new.
    fn iface_id(&mut self, ifindex: i32) -> Result<u32, Error> {
        if let Some((i, id)) = self.last_iface {
            if i == ifindex {
                return Ok(id);
            }
        }
        let id = match self.ifaces.get(&ifindex) {
            Some(&id) => id,
            None => {
                let id = self.iface_order.len() as u32;
                let name = (self.lookup)(ifindex);
                self.reserve(pcapng::idb_len(name.as_deref()))?;
                let tsresol = if self.nano { 9 } else { 6 };
                pcapng::idb(
                    &mut self.buf,
                    self.linktype,
                    self.snaplen,
                    name.as_deref(),
                    tsresol,
                );
                self.ends.push(self.buf.len());
                self.ifaces.insert(ifindex, id);
                self.iface_order.push(ifindex);
                id
            }
        };
        self.last_iface = Some((ifindex, id));
        Ok(id)
    }

    /// Makes room for a record of `n` bytes: writes the buffer out first when the record would
    /// not fit in it. A record larger than the buffer goes in alone.
    fn reserve(&mut self, n: usize) -> Result<(), Error> {
        if !self.buf.is_empty() && self.buf.len() + n > BUFFER_SIZE {
            self.write_out()?;
        }
        Ok(())
    }

    /// Writes the buffer to the sink. On failure keeps only whole records in the output (cut
    /// back where the sink allows it) and records the error, which then sticks.
    fn write_out(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        let mut done = 0;
        let mut failure = None;
        while done < self.buf.len() {
            match sink.write(&self.buf[done..]) {
                Ok(0) => {
                    failure = Some(Errno::EIO);
                    break;
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(sink::errno_of(&e));
                    break;
                }
            }
        }
        let Some(errno) = failure else {
            self.kept += self.buf.len() as u64;
            self.buf.clear();
            self.ends.clear();
            return Ok(());
        };
        let whole = self.ends.partition_point(|&e| e <= done);
        let whole = if whole == 0 { 0 } else { self.ends[whole - 1] };
        if whole == done || matches!(sink.truncate(self.kept + whole as u64), Ok(true)) {
            self.kept += whole as u64;
        } else {
            // The output cannot be cut back (a pipe): the partial record stays.
            self.kept += done as u64;
        }
        self.buf.clear();
        self.ends.clear();
        let e = Error::with_detail(errno, "savefile", format!("write to {}", sink.name()));
        self.error = Some(e.clone());
        Err(e)
    }

    /// Writes the buffered records out (no fsync). Returns the sticky error, if any.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.write_out()?;
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        if let Err(e) = sink.flush() {
            let e = Error::with_detail(sink::errno_of(&e), "savefile", format!("flush {}", sink.name()));
            self.error = Some(e.clone());
            return Err(e);
        }
        Ok(())
    }

    /// Remembers capture counters for pcapng's interface statistics blocks, written at close
    /// (one per interface, each with these socket-wide counts). Ignored for pcap.
    pub fn set_stats(&mut self, stats: Stats) {
        self.stats = Some(stats);
    }

    /// Size of the output once the buffer is written out: the file header and every record
    /// accepted so far. After a write error, the size the output was cut back to.
    pub fn bytes(&self) -> u64 {
        self.kept + self.buf.len() as u64
    }

    /// The sticky error, if a write failed.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Writes the statistics blocks (pcapng, when counters were given), flushes, and closes
    /// the output (standard output stays open). Returns the first error the dumper met.
    pub fn close(self) -> Result<(), Error> {
        self.finish().1
    }

    /// As [`Dumper::close`], handing the sink back instead of dropping it.
    pub fn finish(self) -> (S, Result<(), Error>) {
        let end = now();
        self.finish_at(end)
    }

    fn finish_at(mut self, end: (i64, u32)) -> (S, Result<(), Error>) {
        // A pcapng file without an interface description cannot say its link type, and tcpdump
        // refuses it: a capture that saw no packet still describes one (unnamed) interface.
        let described =
            if self.format == Format::Pcapng && self.iface_order.is_empty() && self.error.is_none() {
                self.iface_id(0).map(|_| ())
            } else {
                Ok(())
            };
        let r = described
            .and_then(|()| self.write_statistics(end))
            .and_then(|()| self.flush());
        let sink = self.sink.take().expect("the sink is taken only here");
        (sink, r)
    }

    fn write_statistics(&mut self, end: (i64, u32)) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let Some(st) = self.stats else {
            return Ok(());
        };
        if self.format != Format::Pcapng {
            return Ok(());
        }
        let c = pcapng::IsbCounts {
            start: ts_units(self.started.0, self.started.1, self.nano).unwrap_or(0),
            end: ts_units(end.0, end.1, self.nano).unwrap_or(0),
            recv: st.recvs,
            drop: st.drops,
        };
        for id in 0..self.iface_order.len() as u32 {
            self.reserve(pcapng::isb_len())?;
            pcapng::isb(&mut self.buf, id, &c);
            self.ends.push(self.buf.len());
        }
        Ok(())
    }
}

impl<S: Sink> Drop for Dumper<S> {
    /// A dumper dropped without [`Dumper::close`] still writes its buffer out (errors are lost:
    /// call `close` to see them).
    fn drop(&mut self) {
        if self.sink.is_some() {
            let _ = self.flush();
        }
    }
}

impl<S: Sink> std::fmt::Debug for Dumper<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dumper")
            .field("format", &self.format)
            .field("linktype", &self.linktype)
            .field("snaplen", &self.snaplen)
            .field("nano", &self.nano)
            .field("bytes", &self.bytes())
            .field("error", &self.error)
            .finish()
    }
}

/// The link type to write, or `EINVAL`.
fn check_options(opts: &Options) -> Result<u16, Error> {
    if opts.snaplen > MAX_SNAPLEN {
        return Err(Error::with_detail(
            Errno::EINVAL,
            "pkt_dump_open",
            format!("snaplen {} is over {MAX_SNAPLEN}", opts.snaplen),
        ));
    }
    linktype::normalize(opts.linktype).ok_or_else(|| {
        Error::with_detail(
            Errno::EINVAL,
            "pkt_dump_open",
            format!("unknown link type {}", opts.linktype),
        )
    })
}

/// A time in the file's unit (µs or ns since the epoch); None when negative or too large.
fn ts_units(sec: i64, nsec: u32, nano: bool) -> Option<u64> {
    let sec = u64::try_from(sec).ok()?;
    if nano {
        sec.checked_mul(1_000_000_000)?.checked_add(u64::from(nsec))
    } else {
        sec.checked_mul(1_000_000)?.checked_add(u64::from(nsec / 1000))
    }
}

fn now() -> (i64, u32) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(_) => (0, 0),
    }
}

/// The name of interface `ifindex` in the calling thread's network namespace: the names listed
/// in its /proc/net/dev, matched by index.
fn system_ifname(ifindex: i32) -> Option<String> {
    if ifindex <= 0 {
        return None;
    }
    let list = std::fs::read_to_string("/proc/thread-self/net/dev")
        .or_else(|_| std::fs::read_to_string("/proc/self/net/dev"))
        .ok()?;
    list.lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim()))
        .find(|n| crate::sys::iface_info(n.as_bytes()).is_ok_and(|i| i.ifindex == ifindex))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests;

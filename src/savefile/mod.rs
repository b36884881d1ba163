//! Reading savefiles: pcap (either byte order; microsecond, nanosecond and Kuznetzov's modified
//! format) and pcapng (several sections, either byte order in each; several interfaces, also of
//! different link types; `if_tsresol` in powers of 10 and 2, `if_tsoffset`; enhanced, simple and
//! obsolete packet blocks; statistics blocks for drops), from a file or a stream.
//!
//! An [`Offline`] is the reader (one thread at a time, as a [`crate::Handle`]); its
//! [`OfflineControl`] is shared with other threads: break a loop, read the counters. A regular
//! file is mapped and its packets are handed out where they lie (no copy, no system call, no
//! allocation per packet); a pipe or standard input is read in large chunks into a buffer.
//!
//! Safe Rust over a byte window: the parsers (`pcap`, `pcapng`) look at the record at the start
//! of the bytes at hand and say what it is ([`Step`]), how many bytes it needs, or why it is
//! damaged; nothing in a file can make them allocate more than the fixed limits (a block of
//! [`MAX_BLOCK`] bytes, a packet of [`MAX_CAPLEN`], [`MAX_IFACES`] interfaces) or loop without
//! consuming input.
//!
//! ```no_run
//! # fn main() -> Result<(), pkt::Error> {
//! let mut f = pkt::savefile::Offline::open("capture.pcapng", &pkt::Config::default())?;
//! loop {
//!     match f.read() {
//!         Ok(Some(p)) => println!("{} bytes on interface {}", p.info.caplen, p.info.ifindex),
//!         Ok(None) => {} // only filtered-out packets were skipped: read again
//!         Err(e) if e.errno() == pkt::Errno(libc::ENODATA) => break,
//!         Err(e) => return Err(e),
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod pcap;
mod pcapng;
mod source;

use std::fs::File;
use std::io::Seek;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::{Config, Direction, TstampResolution, PROTO_ALL};
use crate::error::{Errno, Error};
use crate::filter::{self, Insn};
use crate::packet::{Info, Packet, Stats};
use crate::sys;
use pcap::Pcap;
use pcapng::Pcapng;
pub use pcapng::{MAX_BLOCK, MAX_IFACES};
use source::{Breaker, Fill, Source};

/// The longest packet a savefile may hold (libpcap's limit); longer records are errors.
pub const MAX_CAPLEN: u32 = 262_144;

/// What a parser found at the start of the bytes at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// A packet: `info.caplen` bytes at offset `data`; the next record is at `next`.
    Packet { data: usize, info: Info, next: usize },
    /// A record without a packet, `next` bytes long.
    Other(usize),
    /// The record needs this many bytes, more than are at hand.
    Need(usize),
    /// No bytes at all.
    End,
}

/// Why a record is damaged.
type Bad = String;

/// A 16-bit field at `off` in the given byte order. `off + 2 <= b.len()`, which the parsers
/// check before they read a record's fields.
#[inline(always)]
fn rd16(b: &[u8], off: usize, be: bool) -> u16 {
    let v = [b[off], b[off + 1]];
    if be {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

/// A 32-bit field, as [`rd16`].
#[inline(always)]
fn rd32(b: &[u8], off: usize, be: bool) -> u32 {
    let v = [b[off], b[off + 1], b[off + 2], b[off + 3]];
    if be {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

/// Seconds and a fraction in nanoseconds as (sec, nsec): a fraction outside [0, 1 s) (a damaged
/// or odd writer's, negative as libpcap reads it) carries into the seconds, so that the instant
/// is the one libpcap gives.
#[inline(always)]
fn carry(sec: i64, frac_ns: i64) -> (i64, u32) {
    if (0..1_000_000_000).contains(&frac_ns) {
        (sec, frac_ns as u32)
    } else {
        (
            sec.wrapping_add(frac_ns.div_euclid(1_000_000_000)),
            frac_ns.rem_euclid(1_000_000_000) as u32,
        )
    }
}

/// The file format and its state.
enum Format {
    Pcap(Pcap),
    Pcapng(Pcapng),
}

impl Format {
    #[inline(always)]
    fn step(&mut self, w: &[u8]) -> Result<Step, Bad> {
        match self {
            Format::Pcap(p) => p.step(w),
            Format::Pcapng(p) => p.step(w),
        }
    }
}

/// An interface of a savefile: pcap files have one (number 0), pcapng files one per interface
/// description block, numbered in file order over all sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfaceInfo {
    /// Its pcap link type (`LINKTYPE_*`, as written in the file).
    pub dlt: u16,
    /// Its snap length (0 in the file, or more than [`MAX_CAPLEN`], reads as [`MAX_CAPLEN`]).
    pub snaplen: u32,
}

/// How a read treats the packets it walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Packets stay valid until the next call: a stream is not refilled after the first.
    Batch,
    /// Packets are valid during the callback only; `breakloop` ends it after the current one;
    /// no nil reads.
    Dispatch,
}

/// The part of an [`Offline`] that any thread may use while another reads.
pub struct OfflineControl {
    brk: Breaker,
    /// Packet records read so far (published by the reader).
    recvs: AtomicU64,
    /// Drops of the pcapng statistics blocks read so far.
    drops: AtomicU64,
    last: Mutex<Stats>,
    config: Config,
    dlt: u16,
    swapped: bool,
    fd: RawFd,
}

impl OfflineControl {
    /// Makes the next read return `EINTR` (once), or ends a dispatch or loop after the packet
    /// being handed out; wakes a read waiting for a pipe. Async-signal-safe: an atomic store
    /// and, for streams, one write(2) to an eventfd.
    pub fn breakloop(&self) -> Result<(), Error> {
        self.brk.signal()
    }

    /// `recvs`: packet records read from the file so far (those a filter rejected included);
    /// `drops`: the drops recorded by the pcapng statistics blocks read so far (per interface
    /// its last block's `isb_osdrop`, or `isb_ifdrop` without it; summed). With `total`, since
    /// the open; otherwise since the previous call.
    pub fn stats(&self, total: bool) -> Stats {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Stats {
            recvs: self.recvs.load(Ordering::Relaxed),
            drops: self.drops.load(Ordering::Relaxed),
        };
        let delta = Stats {
            recvs: now.recvs.wrapping_sub(last.recvs),
            drops: now.drops.wrapping_sub(last.drops),
        };
        *last = now;
        if total {
            now
        } else {
            delta
        }
    }

    /// The configuration given at open (defaults applied; no filter).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The file's link type: a pcap file's header, a pcapng file's first interface.
    pub fn dlt(&self) -> u16 {
        self.dlt
    }

    /// Whether the file was written in the other byte order than this host's (libpcap's
    /// `pcap_is_swapped`): a pcap file's header, a pcapng file's section of its first interface
    /// (the one [`OfflineControl::dlt`] describes). Filters compiled for the file need it:
    /// DLT_NULL's and DLT_ENC's address family is in the writer's byte order.
    pub fn swapped(&self) -> bool {
        self.swapped
    }

    /// The handle's descriptor of the file (like `pcap_fileno`): for poll(2) on a pipe. It
    /// belongs to the handle.
    pub fn fd(&self) -> RawFd {
        self.fd
    }
}

/// A savefile being read.
pub struct Offline {
    ctl: Arc<OfflineControl>,
    src: Source,
    /// Where the next record starts in `src.window()`.
    pos: usize,
    fmt: Format,
    user: Option<Vec<Insn>>,
    micro: bool,
    /// Bytes kept of each packet; 0: all.
    snaplen: u32,
    max_nil: u64,
    /// The end (`ENODATA`) or the error that stopped reading, returned by every later read.
    stop: Option<Error>,
    recvs: u64,
    /// How messages name the input.
    name: String,
    // Last: the mapping goes before the file is closed.
    file: File,
}

impl std::fmt::Debug for Offline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offline")
            .field("name", &self.name)
            .field("dlt", &self.ctl.dlt)
            .field("offset", &self.src.offset(self.pos))
            .field("stop", &self.stop)
            .finish()
    }
}

/// The error at the end of a file.
fn end_of_file() -> Error {
    Error::new(Errno(libc::ENODATA), "savefile: end of file")
}

fn bad_header(detail: String) -> Error {
    Error::with_detail(Errno(libc::EBADMSG), "pkt_open_offline", detail)
}

/// A savefile being opened: its bytes, before the format is known.
struct Opening<'a> {
    src: Source,
    pos: usize,
    brk: Breaker,
    file: &'a File,
    name: &'a str,
}

impl Opening<'_> {
    /// Makes the window hold `need` bytes from `pos`; false at the end of the input.
    fn fill(&mut self, need: usize) -> Result<bool, Error> {
        loop {
            match self.src.refill(self.file, &mut self.pos, need, &self.brk)? {
                Fill::Ready => return Ok(true),
                Fill::Eof => return Ok(false),
                // Nobody can call breakloop on a handle being opened: a stray wake-up.
                Fill::Break => {
                    self.brk.take();
                }
            }
        }
    }

    /// Bytes at hand from `pos`.
    fn have(&self) -> usize {
        self.src.window().len().saturating_sub(self.pos)
    }

    /// Reads the file header (pcapng: up to and including the first interface description,
    /// so that the file's link type is known).
    fn header(&mut self) -> Result<Format, Error> {
        let name = self.name;
        if !self.fill(4)? {
            return Err(bad_header(match self.have() {
                0 => format!("{name} is empty: not a pcap or pcapng file"),
                n => format!("{name} is not a pcap or pcapng file: only {n} byte(s)"),
            }));
        }
        let w = &self.src.window()[self.pos..];
        let first = [w[0], w[1], w[2], w[3]];
        if pcap::magic_order(first).is_some() {
            if !self.fill(pcap::FILE_HEADER_LEN)? {
                return Err(bad_header(format!(
                    "{name}: truncated pcap file header ({} of 24 bytes)",
                    self.have()
                )));
            }
            let w = &self.src.window()[self.pos..];
            let mut h = [0u8; pcap::FILE_HEADER_LEN];
            h.copy_from_slice(&w[..pcap::FILE_HEADER_LEN]);
            let p = Pcap::header(&h).map_err(|why| bad_header(format!("{name}: {why}")))?;
            self.pos += pcap::FILE_HEADER_LEN;
            return Ok(Format::Pcap(p));
        }
        if first != pcapng::SHB_BYTES {
            return Err(bad_header(format!(
                "{name} is not a pcap or pcapng file: first bytes {:02x} {:02x} {:02x} {:02x}",
                first[0], first[1], first[2], first[3]
            )));
        }
        // A packet block before the first interface description is an error of the step.
        let mut ng = Pcapng::new();
        while ng.ifaces().is_empty() {
            let at = self.src.offset(self.pos);
            match ng.step(&self.src.window()[self.pos..]) {
                Ok(Step::Other(n)) => self.pos += n,
                Ok(Step::Packet { .. }) => {
                    return Err(Error::new(
                        Errno::EIO,
                        "pkt_open_offline: packet without interface",
                    ))
                }
                Ok(Step::End) => {
                    if !self.fill(1)? {
                        return Err(bad_header(format!(
                            "{name}: pcapng file without an interface description block"
                        )));
                    }
                }
                Ok(Step::Need(n)) => {
                    if !self.fill(n)? {
                        return Err(bad_header(format!(
                            "{name}: truncated pcapng block at byte {at} ({} of its {n} bytes)",
                            self.have()
                        )));
                    }
                }
                Err(why) => {
                    return Err(bad_header(format!(
                        "{name}: damaged pcapng block at byte {at}: {why}"
                    )))
                }
            }
        }
        Ok(Format::Pcapng(ng))
    }
}

impl Offline {
    /// Opens the savefile at `path` ("-" is standard input) with the settings of `cfg` that
    /// apply to savefiles: `snaplen` (caps each packet's captured length), `tstamp_resolution`,
    /// `filter` (run in user space over each packet) and `max_nil_read`. `direction` and
    /// `proto` cannot apply to a savefile: other values than the defaults are `EINVAL`.
    ///
    /// A regular file is mapped: it must not be truncated or rewritten while it is read (a
    /// truncation makes reading the lost part raise SIGBUS); what is appended after the open is
    /// not read. Errors: the open's errno (`ENOENT`, `EACCES`, ...); `EBADMSG` when the input is
    /// not a pcap or pcapng file, or its header is damaged (the message says what was found).
    pub fn open(path: impl AsRef<Path>, cfg: &Config) -> Result<Offline, Error> {
        let path = path.as_ref();
        if path.as_os_str() == "-" {
            let fd = std::io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| Error::with_detail(errno_of(&e), "pkt_open_offline", "standard input"))?;
            return Offline::from_file(File::from(fd), "standard input".into(), cfg);
        }
        let name = format!("\"{}\"", path.display());
        let file = File::open(path).map_err(|e| {
            Error::with_detail(errno_of(&e), "pkt_open_offline", format!("cannot open {name}"))
        })?;
        Offline::from_file(file, name, cfg)
    }

    /// As [`Offline::open`], reading from `fd` (from its current offset), which the reader
    /// then owns.
    pub fn from_fd(fd: OwnedFd, cfg: &Config) -> Result<Offline, Error> {
        let name = format!("descriptor {}", fd.as_raw_fd());
        Offline::from_file(File::from(fd), name, cfg)
    }

    fn from_file(mut file: File, name: String, cfg: &Config) -> Result<Offline, Error> {
        if cfg.direction != Direction::InOut {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "config.direction",
                "a savefile has no direction to select: use PKT_DIR_INOUT",
            ));
        }
        if cfg.proto != PROTO_ALL && cfg.proto != 0 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "config.proto",
                "a savefile cannot select an ethertype: use PKT_PROTO_ALL (or a filter)",
            ));
        }
        let user = match cfg.filter.as_deref() {
            Some(p) if !p.is_empty() => Some(offline_program(p, "config.filter")?),
            _ => None,
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::with_detail(errno_of(&e), "pkt_open_offline", format!("fstat {name}")))?;
        let (src, pos) = match meta.is_file().then(|| file.stream_position()) {
            Some(Ok(at)) if meta.len() > at => {
                let len = usize::try_from(meta.len()).map_err(|_| {
                    Error::with_detail(Errno::ENOMEM, "pkt_open_offline", "file too large to map")
                })?;
                let map = sys::map_file(&file, len)
                    .map_err(|e| Error::with_detail(e, "pkt_open_offline", format!("mmap {name}")))?;
                (Source::mapped(Some(map)), at as usize)
            }
            Some(Ok(at)) => (Source::mapped(None), at as usize),
            // Pipes, terminals, sockets, devices; also files that report no size (procfs).
            _ => (Source::stream(0), 0),
        };
        let stream = matches!(src, Source::Stream(_));
        let mut opening = Opening {
            src,
            pos,
            brk: Breaker::new(stream)?,
            file: &file,
            name: &name,
        };
        let fmt = opening.header()?;
        let Opening { src, pos, brk, .. } = opening;
        let (dlt, be) = match &fmt {
            Format::Pcap(p) => (p.dlt(), p.big_endian()),
            Format::Pcapng(ng) => (ng.ifaces()[0].dlt, ng.big_endian()),
        };
        Ok(Offline {
            ctl: Arc::new(OfflineControl {
                brk,
                recvs: AtomicU64::new(0),
                drops: AtomicU64::new(0),
                last: Mutex::new(Stats::default()),
                config: Config {
                    filter: None,
                    ..cfg.clone()
                },
                dlt,
                swapped: be != cfg!(target_endian = "big"),
                fd: file.as_raw_fd(),
            }),
            src,
            pos,
            fmt,
            user,
            micro: cfg.tstamp_resolution == TstampResolution::Micro,
            snaplen: cfg.snaplen,
            max_nil: cfg.max_nil_read.max(1),
            stop: None,
            recvs: 0,
            name,
            file,
        })
    }

    /// The shared side, for other threads (break, stats).
    pub fn control(&self) -> &Arc<OfflineControl> {
        &self.ctl
    }

    /// The file's link type (see [`OfflineControl::dlt`]).
    pub fn dlt(&self) -> u16 {
        self.ctl.dlt
    }

    /// Interface `index` as read so far (a packet's `ifindex`): None when the file has not
    /// described it (yet).
    pub fn iface(&self, index: i32) -> Option<IfaceInfo> {
        let i = usize::try_from(index).ok()?;
        match &self.fmt {
            Format::Pcap(p) => (i == 0).then(|| IfaceInfo {
                dlt: p.dlt(),
                snaplen: p.snapshot(),
            }),
            Format::Pcapng(ng) => ng.ifaces().get(i).map(|f| IfaceInfo {
                dlt: f.dlt,
                snaplen: f.snaplen,
            }),
        }
    }

    /// Replaces the filter (None or empty: none), run in user space over every packet read
    /// after the call, whatever its interface's link type. `EINVAL` for a program that is not
    /// valid classic BPF.
    pub fn set_filter(&mut self, prog: Option<&[Insn]>) -> Result<(), Error> {
        self.user = match prog {
            Some(p) if !p.is_empty() => Some(offline_program(p, "pkt_setfilter")?),
            _ => None,
        };
        Ok(())
    }

    /// Reads the next packet. `Ok(None)` is a nil read (`max_nil_read` packets in a row were
    /// rejected by the filter); `ENODATA` the end of the file (every later read too); `EBADMSG`
    /// a damaged or truncated record (its byte offset in the message; every later read too);
    /// `EINTR` a pending [`OfflineControl::breakloop`] (once).
    pub fn read(&mut self) -> Result<Option<Packet<'_>>, Error> {
        let mut got = None;
        self.walk(1, Mode::Batch, |_, data, info| {
            got = Some((data.as_ptr() as usize, data.len(), *info));
            true
        })?;
        let Some((at, len, info)) = got else {
            return Ok(None);
        };
        // The bytes of the packet just walked are still at hand: nothing was read since.
        let w = self.src.window();
        let start = at.wrapping_sub(w.as_ptr() as usize);
        let data = w
            .get(start..start.wrapping_add(len))
            .ok_or_else(|| Error::new(Errno::EIO, "savefile: internal bounds error"))?;
        Ok(Some(Packet { data, info }))
    }

    /// Reads up to `max` packets and hands each to `f`; returns the count (0: a nil read, as
    /// [`Offline::read`]), the same errors when none was read. Stops early where a stream's
    /// buffer needs reading again, and at the end or a damaged record (reported by the next
    /// call).
    pub fn read_batch(&mut self, max: usize, mut f: impl FnMut(Packet<'_>)) -> Result<usize, Error> {
        self.walk(max, Mode::Batch, |_, data, info| {
            f(Packet { data, info: *info });
            true
        })
    }

    /// libpcap's `pcap_dispatch` on a savefile: hands up to `max` packets (0: up to the end of
    /// the file) to `f`, each valid only during its call, and returns the count: 0 at the end
    /// of the file. A [`OfflineControl::breakloop`] ends it after the current packet (`EINTR`
    /// when none was handed out; otherwise the break stays pending). A damaged record after
    /// some packets ends it with their count; the next call reports it.
    pub fn dispatch(&mut self, max: usize, mut f: impl FnMut(Packet<'_>)) -> Result<usize, Error> {
        self.dispatch_with(max, |data, info| f(Packet { data, info: *info }))
    }

    /// [`Offline::dispatch`] over raw parts, for the C boundary.
    pub(crate) fn dispatch_with(
        &mut self,
        max: usize,
        mut f: impl FnMut(&[u8], &Info),
    ) -> Result<usize, Error> {
        let max = if max == 0 { usize::MAX } else { max };
        match self.walk(max, Mode::Dispatch, |_, data, info| {
            f(data, info);
            true
        }) {
            Err(e) if e.errno() == Errno(libc::ENODATA) => Ok(0),
            r => r,
        }
    }

    /// [`Offline::read_batch`] over raw parts: `f(i, data, info)` for packet `i` of the call.
    /// The bytes of every packet handed out stay where they are until the next call (a stream
    /// is never refilled after the first packet of a call), which the C boundary's batch relies
    /// on.
    pub(crate) fn batch_with(
        &mut self,
        max: usize,
        mut f: impl FnMut(usize, &[u8], &Info),
    ) -> Result<usize, Error> {
        self.walk(max, Mode::Batch, |i, data, info| {
            f(i, data, info);
            true
        })
    }

    /// Walks up to `max` packets that pass the filter and hands each to `f(i, data, info)`
    /// (false stops after it). The one loop under every read.
    #[inline(always)]
    fn walk(
        &mut self,
        max: usize,
        mode: Mode,
        mut f: impl FnMut(usize, &[u8], &Info) -> bool,
    ) -> Result<usize, Error> {
        if self.ctl.brk.take() {
            return Err(Error::new(Errno::EINTR, "pkt_read: loop broken"));
        }
        let dispatch = mode == Mode::Dispatch;
        let (mut count, mut skipped) = (0usize, 0u64);
        while count < max {
            if dispatch && count > 0 && self.ctl.brk.pending() {
                break;
            }
            if let Some(e) = &self.stop {
                if count > 0 {
                    break;
                }
                let e = e.clone();
                self.publish();
                return Err(e);
            }
            let w = self.src.window();
            let Some(rest) = w.get(self.pos..) else {
                self.stop = Some(Error::new(Errno::EIO, "savefile: internal position error"));
                continue;
            };
            match self.fmt.step(rest) {
                Ok(Step::Packet { data, mut info, next }) => {
                    let start = self.pos + data;
                    self.pos += next;
                    self.recvs += 1;
                    let Some(bytes) = w.get(start..start + info.caplen as usize) else {
                        self.stop = Some(Error::new(Errno::EIO, "savefile: internal bounds error"));
                        continue;
                    };
                    if let Some(prog) = &self.user {
                        // libpcap's semantics, as pkt_offline_filter() and pcap_offline_filter().
                        let keep = filter::run_offline(prog, bytes, info.len);
                        if keep == 0 {
                            skipped += 1;
                            if !dispatch && count == 0 && skipped >= self.max_nil {
                                break;
                            }
                            continue;
                        }
                        info.caplen = info.caplen.min(keep);
                    }
                    if self.snaplen != 0 {
                        info.caplen = info.caplen.min(self.snaplen);
                    }
                    if self.micro {
                        info.nsec = info.nsec / 1000 * 1000;
                    }
                    let go = f(count, &bytes[..info.caplen as usize], &info);
                    count += 1;
                    if !go {
                        break;
                    }
                }
                Ok(Step::Other(n)) => {
                    self.pos += n;
                    if let Format::Pcapng(ng) = &self.fmt {
                        self.ctl.drops.store(ng.drops(), Ordering::Relaxed);
                    }
                }
                Ok(step @ (Step::Need(_) | Step::End)) => {
                    let need = match step {
                        Step::Need(n) => n,
                        _ => 1,
                    };
                    if count > 0 && !dispatch && matches!(self.src, Source::Stream(_)) {
                        // Refilling would move the packets already handed out.
                        break;
                    }
                    let at = self.src.offset(self.pos);
                    match self.src.refill(&self.file, &mut self.pos, need, &self.ctl.brk) {
                        Ok(Fill::Ready) => {}
                        Ok(Fill::Eof) if step == Step::End => self.stop = Some(end_of_file()),
                        Ok(Fill::Eof) => {
                            let have = self.src.window().len() - self.pos;
                            self.stop = Some(Error::with_detail(
                                Errno(libc::EBADMSG),
                                "pkt_read",
                                format!(
                                    "{}: truncated record at byte {at}: {have} of its {need} bytes",
                                    self.name
                                ),
                            ));
                        }
                        Ok(Fill::Break) => {
                            if count > 0 {
                                break;
                            }
                            self.ctl.brk.take();
                            self.publish();
                            return Err(Error::new(Errno::EINTR, "pkt_read: loop broken"));
                        }
                        Err(e) => self.stop = Some(e),
                    }
                }
                Err(why) => {
                    let at = self.src.offset(self.pos);
                    self.stop = Some(Error::with_detail(
                        Errno(libc::EBADMSG),
                        "pkt_read",
                        format!("{}: damaged record at byte {at}: {why}", self.name),
                    ));
                }
            }
        }
        self.publish();
        Ok(count)
    }

    /// Makes the count of records read visible to [`OfflineControl::stats`] (a plain store:
    /// only this thread writes it).
    #[inline(always)]
    fn publish(&self) {
        self.ctl.recvs.store(self.recvs, Ordering::Relaxed);
    }
}

/// A program for savefile packets: validated as for a live handle, then run with libpcap's
/// semantics (`pkt_bpf::run_offline`, as `pkt_offline_filter()` and libpcap's
/// `pcap_offline_filter()`): a load that only the kernel can answer (ancillary `SKF_AD_*` data,
/// the `SKF_NET_OFF`/`SKF_LL_OFF` offsets) rejects the packet.
fn offline_program(prog: &[Insn], what: &'static str) -> Result<Vec<Insn>, Error> {
    filter::validate(prog)
        .map_err(|r| Error::with_detail(Errno::EINVAL, what, format!("invalid filter: {r}")))?;
    Ok(prog.to_vec())
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}

#[cfg(test)]
mod tests;

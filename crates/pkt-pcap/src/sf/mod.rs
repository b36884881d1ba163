//! The savefile reader: pcap and pcapng files read from a C `FILE *` exactly as libpcap 1.10.3
//! reads them (`savefile.c`, `sf-pcap.c`, `sf-pcapng.c`, `pcap-util.c`): the same files open,
//! with the same link type, snapshot length, version and byte order; the same records, with
//! the same time stamps (scaled to the precision asked for), lengths and bytes (pseudo-headers
//! of swapped files put in host order); and the same error text, word for word, for every
//! damaged file. `crates/pkt-pcap/tests/sf_diff.rs` compares it with the system's libpcap.
//!
//! - [`linktype`]: LINKTYPE_ → DLT_, the largest packet per DLT, snapshot adjustment.
//! - [`pcap`]: the pcap format (µs, ns, Kuznetzov's, versions 2.0 to 2.4 and 543.0).
//! - [`pcapng`]: the pcapng format.
//! - [`post`]: what libpcap does to a record once read (`pcap_post_process`).
//!
//! Nothing here panics on any input: no indexing (bounds-checked `get` everywhere), arithmetic
//! that is checked, saturating or wrapping as libpcap's C is, and allocations that grow only as
//! far as the file really goes (a record or block is read in pieces of at most 1 MiB, within
//! libpcap's own limits: 256 KiB per packet, 128 MiB for D-Bus, 16 MiB per pcapng block).

#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod file;
pub mod linktype;
mod pcap;
mod pcapng;
pub mod post;

use file::CFile;

/// `PCAP_ERRBUF_SIZE`: libpcap's messages are cut to 255 bytes.
const ERRBUF_MAX: usize = 255;

/// A message as it would come out of libpcap's 256-byte error buffer.
fn errbuf(mut s: String) -> String {
    if s.len() > ERRBUF_MAX {
        let mut cut = ERRBUF_MAX;
        while !s.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        s.truncate(cut);
    }
    s
}

/// What the file header says (`p->linktype`, `linktype_ext`, `snapshot`, `swapped`,
/// `version_major`/`version_minor`).
#[derive(Clone, Copy, Debug)]
struct Info {
    linktype: i32,
    linktype_ext: u32,
    snapshot: i32,
    swapped: bool,
    version: (i32, i32),
}

/// One record's header as a format reader produces it; its bytes are at `off` in the buffer.
struct Hdr {
    sec: i64,
    /// What libpcap stores in `ts.tv_usec`.
    frac: i64,
    caplen: u32,
    len: u32,
    off: usize,
}

enum Format {
    Pcap(pcap::Pcap),
    Pcapng(pcapng::Pcapng),
}

/// An open savefile: the `FILE *`, what its header says, and the record (or pcapng block)
/// buffer.
pub struct Savefile {
    file: CFile,
    info: Info,
    format: Format,
    buf: Vec<u8>,
}

/// One record; `data` is valid until the next call on the [`Savefile`].
#[derive(Debug)]
pub struct Record<'a> {
    /// `ts.tv_sec` as libpcap sets it.
    pub sec: i64,
    /// The fraction of the second, µs or ns per the precision asked for at open: the low 32
    /// bits of [`Record::tv_usec`] (the same value for every well-formed file).
    pub frac: u32,
    /// Exactly what libpcap stores in `struct pcap_pkthdr`'s `ts.tv_usec` (a `long`): in a
    /// damaged file it can be negative (a native-order pcap file's fraction is a signed 32-bit
    /// field) or, scaled up to ns, above `u32::MAX`. Put this one in the C header.
    pub tv_usec: i64,
    pub caplen: u32,
    pub len: u32,
    pub data: &'a [u8],
}

impl Savefile {
    /// Reads and checks the file header from `fp` (a C `FILE *` opened for reading, possibly a
    /// pipe), as `pcap_fopen_offline_with_tstamp_precision` does.
    ///
    /// Ownership follows libpcap: on success the [`Savefile`] owns `fp` and `fclose`s it when
    /// dropped, unless it is `stdin`; on failure `fp` is left open and stays the caller's
    /// (`pcap_fopen_offline` does not close it; `pcap_open_offline` closes what it opened,
    /// unless that was `stdin` for "-"). A NULL `fp` fails with libpcap's message.
    ///
    /// `precision`: 0 micro, 1 nano; anything else fails, for a pcap or pcapng file, with
    /// "unknown time stamp resolution N" once the header has been checked (libpcap's order).
    /// `Err` is libpcap's errbuf text exactly (no trailing newline).
    ///
    /// # Safety
    /// `fp` is NULL or a valid `FILE *` opened for reading that nothing else uses while the
    /// [`Savefile`] lives (and that nobody else closes once `open` succeeded).
    pub unsafe fn open(fp: *mut libc::FILE, precision: i32) -> Result<Savefile, String> {
        Self::open_inner(fp, precision).map_err(errbuf)
    }

    fn open_inner(fp: *mut libc::FILE, precision: i32) -> Result<Savefile, String> {
        if fp.is_null() {
            return Err("Null FILE * pointer provided to savefile open routine".into());
        }
        let file = CFile::new(fp);
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic)?;
        if n != magic.len() {
            return Err(format!(
                "truncated dump file; tried to read 4 file header bytes, only got {n}"
            ));
        }
        let mut buf = Vec::new();
        let (info, format) = if let Some((info, p)) = pcap::open(&file, magic, precision)? {
            (info, Format::Pcap(p))
        } else if let Some((info, p)) = pcapng::open(&file, magic, precision, &mut buf)? {
            (info, Format::Pcapng(p))
        } else {
            return Err("unknown file format".into());
        };
        Ok(Savefile {
            file,
            info,
            format,
            buf,
        })
    }

    /// The DLT_ value, as `pcap_datalink()`.
    pub fn linktype(&self) -> i32 {
        self.info.linktype
    }

    /// libpcap's `p->linktype_ext`: the upper 6 bits of a pcap header's link type field (e.g.
    /// the FCS length bits), 0 for pcapng. `pcap_datalink_ext()` in 1.10.3 returns exactly this
    /// (not OR-ed with the link type).
    pub fn linktype_ext(&self) -> u32 {
        self.info.linktype_ext
    }

    /// As `pcap_snapshot()`.
    pub fn snapshot(&self) -> i32 {
        self.info.snapshot
    }

    /// As `pcap_is_swapped()`.
    pub fn is_swapped(&self) -> bool {
        self.info.swapped
    }

    /// As `pcap_major_version()`, `pcap_minor_version()`: the pcap header's version (2.x or
    /// 543.0), or the first pcapng section's (1.0 or 1.2).
    pub fn version(&self) -> (i32, i32) {
        self.info.version
    }

    /// libpcap's `p->bufsize` for the file as read so far, as `pcap_bufsize()`.
    pub fn bufsize(&self) -> i32 {
        let n = match &self.format {
            Format::Pcap(p) => p.bufsize,
            Format::Pcapng(p) => p.bufsize.get(),
        };
        i32::try_from(n).unwrap_or(i32::MAX)
    }

    /// The stream, as `pcap_file()`.
    pub fn file(&self) -> *mut libc::FILE {
        self.file.as_ptr()
    }

    /// The next record: `Ok(None)` at end of file, `Err(libpcap's exact errbuf text)` for
    /// damaged input. After an error, a further call goes on reading from where the stream is,
    /// as libpcap would.
    #[allow(clippy::should_implement_trait)] // the interface the C side is written against
    pub fn next(&mut self) -> Result<Option<Record<'_>>, String> {
        let hdr = match &mut self.format {
            Format::Pcap(p) => p.next(&self.file, &self.info, &mut self.buf),
            Format::Pcapng(p) => p.next(&self.file, &self.info, &mut self.buf),
        }
        .map_err(errbuf)?;
        let Some(mut hdr) = hdr else {
            return Ok(None);
        };
        let end = hdr.off.saturating_add(hdr.caplen as usize);
        let data = self.buf.get_mut(hdr.off..end).unwrap_or(&mut []);
        post::post_process(
            self.info.linktype,
            self.info.swapped,
            hdr.caplen,
            &mut hdr.len,
            data,
        );
        Ok(Some(Record {
            sec: hdr.sec,
            frac: hdr.frac as u32,
            tv_usec: hdr.frac,
            caplen: hdr.caplen,
            len: hdr.len,
            data,
        }))
    }
}

impl Drop for Savefile {
    fn drop(&mut self) {
        if !self.file.is_stdin() {
            // SAFETY: the Savefile owns the stream since `open` succeeded (its contract), and
            // this is the only place that closes it.
            unsafe { libc::fclose(self.file.as_ptr()) };
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests;

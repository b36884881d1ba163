//! The `FILE *` a savefile is read from: `fread` as libpcap calls it, and libpcap's message when
//! the stream reports an error.

use std::ffi::CStr;

/// Largest piece read at once into a growing buffer: a header that announces a large record
/// never makes us allocate more than the file actually holds plus this.
const CHUNK: usize = 1 << 20;

/// A `FILE *` opened for reading. It does not close the stream: [`super::Savefile`] does.
pub(super) struct CFile {
    fp: *mut libc::FILE,
}

impl CFile {
    /// Wraps `fp`, which must be a valid stream opened for reading that outlives this value.
    pub(super) fn new(fp: *mut libc::FILE) -> CFile {
        CFile { fp }
    }

    pub(super) fn as_ptr(&self) -> *mut libc::FILE {
        self.fp
    }

    /// Whether this is the C library's `stdin` (libpcap never closes that one).
    pub(super) fn is_stdin(&self) -> bool {
        std::ptr::eq(self.fp, crate::cstdio::stdin_stream())
    }

    /// `fread(buf, 1, buf.len(), fp)`: the number of bytes read, which is short only at end of
    /// file or on an error. `Err` is libpcap's message for a short read on which `ferror()` is
    /// set ("error reading dump file: " and `strerror(errno)`).
    pub(super) fn read(&self, buf: &mut [u8]) -> Result<usize, String> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes and `fp` is a valid stream
        // (the contract of `new`).
        let n = unsafe { libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), self.fp) };
        if n < buf.len() {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            // SAFETY: `fp` is a valid stream.
            if unsafe { libc::ferror(self.fp) } != 0 {
                return Err(errmsg_for_errno("error reading dump file", errno));
            }
        }
        Ok(n.min(buf.len()))
    }

    /// Appends up to `n` bytes to `buf` (read in pieces of at most [`CHUNK`], so the buffer
    /// grows only as far as the file really goes) and returns how many were read.
    pub(super) fn read_append(&self, buf: &mut Vec<u8>, n: usize) -> Result<usize, String> {
        let mut done = 0usize;
        while done < n {
            let want = n.saturating_sub(done).min(CHUNK);
            let start = buf.len();
            buf.resize(start.saturating_add(want), 0);
            let got = match buf.get_mut(start..) {
                Some(tail) => self.read(tail),
                None => Ok(0),
            };
            let got = match got {
                Ok(g) => g,
                Err(e) => {
                    buf.truncate(start);
                    return Err(e);
                }
            };
            buf.truncate(start.saturating_add(got));
            done = done.saturating_add(got);
            if got < want {
                break;
            }
        }
        Ok(done)
    }
}

/// libpcap's `pcap_fmt_errmsg_for_errno`: `what`, ": " and the C library's text for `errno`.
pub(super) fn errmsg_for_errno(what: &str, errno: i32) -> String {
    let mut text = [0 as libc::c_char; 256];
    // SAFETY: `text` is writable for its whole length; strerror_r (the XSI one) writes a
    // NUL-terminated string of at most that many bytes.
    let rc = unsafe { libc::strerror_r(errno, text.as_mut_ptr(), text.len()) };
    let s = if rc == 0 {
        // SAFETY: on success strerror_r left a NUL-terminated string in `text`.
        unsafe { CStr::from_ptr(text.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    } else {
        format!("Unknown error {errno}")
    };
    super::errbuf(format!("{what}: {s}"))
}

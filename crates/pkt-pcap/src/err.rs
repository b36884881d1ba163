//! The boundary's plumbing: the panic guard, error buffers and libpcap's error texts.

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::types::PCAP_ERRBUF_SIZE;

/// Runs `f`, turning a panic (a bug) into `fallback`: no panic crosses into C.
pub(crate) fn guard<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Copies `msg` into a caller's error buffer of [`PCAP_ERRBUF_SIZE`] bytes, cut to fit (on a
/// UTF-8 boundary is not needed: libpcap cuts bytes) and NUL-terminated. NULL is ignored.
///
/// # Safety
/// `buf` is NULL or points at `PCAP_ERRBUF_SIZE` writable bytes.
pub(crate) unsafe fn put(buf: *mut c_char, msg: &str) {
    if buf.is_null() {
        return;
    }
    let n = msg.len().min(PCAP_ERRBUF_SIZE - 1);
    // SAFETY: `buf` has PCAP_ERRBUF_SIZE bytes (the contract) and n + 1 <= PCAP_ERRBUF_SIZE;
    // `msg` has n readable bytes and does not overlap a caller's buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(msg.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
}

/// A handle's own error buffer (`pcap_geterr`).
pub(crate) struct ErrBuf(pub(crate) [c_char; PCAP_ERRBUF_SIZE]);

impl ErrBuf {
    pub(crate) fn new() -> ErrBuf {
        ErrBuf([0; PCAP_ERRBUF_SIZE])
    }

    pub(crate) fn set(&mut self, msg: &str) {
        // SAFETY: the array has PCAP_ERRBUF_SIZE bytes.
        unsafe { put(self.0.as_mut_ptr(), msg) }
    }

    pub(crate) fn clear(&mut self) {
        self.0[0] = 0;
    }

    pub(crate) fn text(&self) -> String {
        // SAFETY: `put` always leaves a NUL inside the array, and it starts zeroed.
        unsafe { CStr::from_ptr(self.0.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }
}

/// `strerror(errnum)`, as glibc words it (and "Unknown error N" past its table).
pub(crate) fn strerror(errnum: c_int) -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: the buffer is writable for its length; the GNU strerror_r returns a pointer to a
    // NUL-terminated string (ours or a static one) that lives past this call.
    let p = unsafe { gnu_strerror_r(errnum, buf.as_mut_ptr(), buf.len()) };
    if p.is_null() {
        return format!("Unknown error {errnum}");
    }
    // SAFETY: see above: a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

extern "C" {
    /// glibc's GNU-flavoured `strerror_r` (the `libc` crate binds the XSI one).
    #[link_name = "strerror_r"]
    fn gnu_strerror_r(errnum: c_int, buf: *mut c_char, len: usize) -> *mut c_char;
}

/// libpcap's `pcap_fmt_errmsg_for_errno`: "WHAT: strerror(errno)".
pub(crate) fn errno_msg(what: &str, errnum: c_int) -> String {
    format!("{what}: {}", strerror(errnum))
}

/// The calling thread's errno.
pub(crate) fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

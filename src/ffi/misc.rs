//! Library-wide functions: versions, errors, status words, interfaces.

use std::ffi::{c_char, c_int};

use super::boundary::{self, guard, opt_bytes, put};
use super::PKT_LINKTYPE_NONE;
use crate::error::{self, Errno};
use crate::handle;

/// Returns a static description of an error code returned by this library (a negative errno,
/// e.g. "Resource temporarily unavailable" for `-EAGAIN`); positive errnos are described too,
/// 0 is "Success", unknown numbers "Unknown error". Never NULL; the string must not be freed.
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_strerror(code: c_int) -> *const c_char {
    guard("pkt_strerror", || {
        let n = i32::try_from(code.unsigned_abs()).unwrap_or(-1);
        Errno(n).description_c().as_ptr()
    })
}

/// Returns a message about the calling thread's last failed call into this library, naming the
/// call, the failing step and the reason, e.g.
/// "setsockopt(PACKET_RX_RING): Cannot allocate memory". Empty ("") before any failure. Never
/// NULL.
///
/// Ownership: the string lives in thread-local storage; it stays valid until the thread exits
/// and changes at the thread's next failure. Copy it to keep it.
/// Thread safety: each thread has its own.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_errmsg() -> *const c_char {
    guard("pkt_errmsg", boundary::message_ptr)
}

/// Returns the error code (a negative errno) of the calling thread's last failed call into this
/// library, the one `pkt_errmsg()` describes; 0 before any failure. Calls that fail return the
/// same code; this is for calls that report a failure beside a result, above all a short count
/// from `pkt_write_batch()`: then it is the error of the first frame not sent.
///
/// Thread safety: each thread has its own.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_errno() -> c_int {
    guard("pkt_errno", boundary::last_code)
}

/// Returns true when `code` (a negative errno from this library) is temporary by nature:
/// retrying later can succeed. True for `-EAGAIN`, `-EINTR`, `-ETIMEDOUT`, `-ENOBUFS`,
/// `-EMFILE`, `-ENFILE`, `-ECONNRESET` and `-ECONNABORTED`; false for everything else,
/// including 0 and positive values.
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_is_temporary(code: c_int) -> bool {
    code < 0 && error::is_temporary(Errno(code.wrapping_neg()))
}

/// Returns true when `code` is `-ETIMEDOUT` (a read timeout).
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_is_timeout(code: c_int) -> bool {
    code == -libc::ETIMEDOUT
}

/// Returns the library's version, "MAJOR.MINOR.PATCH" (compare with the `PKT_VERSION_*` macros
/// of the header a program was built with). The string is static; never NULL.
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_version() -> *const c_char {
    guard("pkt_version", || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// Returns true: libpkt runs on Linux only, and a library built for another system would return
/// false (and its other functions `-ENOSYS`).
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_os_supported() -> bool {
    cfg!(target_os = "linux")
}

/// Writes the running kernel's major and minor version (from `uname`, looked up once) to
/// `*major` and `*minor`, or -1 and -1 when it cannot be found. NULL pointers are skipped.
///
/// Thread safety: any thread.
///
/// # Safety
/// `major` and `minor` are each NULL or valid for writing an `int32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_kernel_version(major: *mut i32, minor: *mut i32) {
    guard("pkt_kernel_version", || {
        let (a, b) = crate::sys::kernel_version().unwrap_or((-1, -1));
        // SAFETY: each is NULL or writable per the contract.
        unsafe {
            put(major, a);
            put(minor, b);
        }
    })
}

/// Says where a packet's timestamp comes from, given `pkt_info_t.status`: 0 the kernel
/// (software), 1 the network adapter (hardware), -1 neither is indicated.
///
/// 1 (`TP_STATUS_TS_RAW_HARDWARE`) comes only with `PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED`, for
/// the packets the adapter stamped; those it did not (the ones the host sends, for one) carry
/// the kernel's timestamp instead on the same handle (0, or -1 where the kernel has none). `TP_STATUS_TS_SYS_HARDWARE` (only kernels
/// before 3.17 set it) counts as 0: its time is the system's.
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_tstamp_valid(status: u32) -> i8 {
    handle::tstamp_valid(status)
}

/// Returns true when `pkt_info_t.status` says the kernel removed a VLAN tag from the packet and
/// `vlan_tci`/`vlan_tpid` hold it.
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_vlan_valid(status: u32) -> bool {
    handle::vlan_valid(status)
}

/// Returns the link type (ARPHRD_*) of the interface named `ifname`: `PKT_LINKTYPE_ETHERNET` for
/// Ethernet and loopback, `PKT_LINKTYPE_NONE` when there is no such interface, the name is NULL,
/// or it cannot be queried, and for "any" (all interfaces, as `pkt_linktype()` of a handle
/// opened on it).
///
/// Thread safety: any thread.
///
/// # Safety
/// `ifname` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_iface_linktype(ifname: *const c_char) -> u16 {
    guard("pkt_iface_linktype", || {
        // SAFETY: NULL or NUL-terminated per the contract.
        match unsafe { opt_bytes(ifname) } {
            Some(name) => handle::iface_linktype(name),
            None => PKT_LINKTYPE_NONE,
        }
    })
}

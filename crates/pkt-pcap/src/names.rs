//! libpcap's name tables: link types, time stamp types, status codes, and the version string.

use std::ffi::{c_char, c_int, CStr};

use crate::err::{guard, strerror};
use crate::types::*;

/// What `pcap_lib_version()` returns: libpkt's name first, so that `tcpdump --version` shows
/// which library a program runs on, then the libpcap version whose ABI this is.
pub(crate) const LIB_VERSION: &CStr =
    c"libpkt version 0.1.0 (libpcap version 1.10.3 compatible, with TPACKET_V3)";

/// # Safety
/// `s` is NULL or a NUL-terminated string.
unsafe fn text<'a>(s: *const c_char) -> Option<&'a str> {
    if s.is_null() {
        return None;
    }
    // SAFETY: NUL-terminated per the contract.
    unsafe { CStr::from_ptr(s) }.to_str().ok()
}

/// Link type value by libpcap's name ("EN10MB", any case); -1 if there is none.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn pcap_datalink_name_to_val(name: *const c_char) -> c_int {
    guard(-1, || {
        // SAFETY: per the contract.
        let Some(name) = (unsafe { text(name) }) else {
            return -1;
        };
        // libpcap compares with its table's names, which have no "DLT_" in front.
        if name.len() >= 4 && name[..4].eq_ignore_ascii_case("dlt_") {
            return -1;
        }
        pkt_bpf::compile::dlt_from_name(name).map_or(-1, c_int::from)
    })
}

fn dlt_u16(dlt: c_int) -> Option<u16> {
    u16::try_from(dlt).ok()
}

/// libpcap's name of a link type, NULL if it has none. Static storage.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_name(dlt: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        dlt_u16(dlt)
            .and_then(pkt_bpf::compile::dlt_name_c)
            .map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// libpcap's description of a link type, NULL if it has none. Static storage.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_description(dlt: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        dlt_u16(dlt)
            .and_then(pkt_bpf::compile::dlt_description_c)
            .map_or(std::ptr::null(), CStr::as_ptr)
    })
}

thread_local! {
    static UNKNOWN_DLT: std::cell::RefCell<[c_char; 40]> = const { std::cell::RefCell::new([0; 40]) };
    static UNKNOWN_STATUS: std::cell::RefCell<[c_char; 128]> = const { std::cell::RefCell::new([0; 128]) };
    static STRERROR: std::cell::RefCell<[c_char; 256]> = const { std::cell::RefCell::new([0; 256]) };
}

/// Writes `s` into a thread-local buffer and returns it (the pointer stays valid until the
/// next call of the same function on the same thread; libpcap's is a static buffer).
fn into_tls<const N: usize>(
    key: &'static std::thread::LocalKey<std::cell::RefCell<[c_char; N]>>,
    s: &str,
) -> *const c_char {
    key.with(|b| {
        let mut b = b.borrow_mut();
        let n = s.len().min(N - 1);
        for (d, &c) in b.iter_mut().zip(&s.as_bytes()[..n]) {
            *d = c as c_char;
        }
        b[n] = 0;
        b.as_ptr()
    })
}

/// The description, or "DLT N" for a link type without one.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_description_or_dlt(dlt: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        let d = pcap_datalink_val_to_description(dlt);
        if d.is_null() {
            into_tls(&UNKNOWN_DLT, &format!("DLT {dlt}"))
        } else {
            d
        }
    })
}

const TSTAMP_TYPES: [(&CStr, &CStr, c_int); 6] = [
    (c"host", c"Host", PCAP_TSTAMP_HOST),
    (c"host_lowprec", c"Host, low precision", PCAP_TSTAMP_HOST_LOWPREC),
    (c"host_hiprec", c"Host, high precision", PCAP_TSTAMP_HOST_HIPREC),
    (c"adapter", c"Adapter", PCAP_TSTAMP_ADAPTER),
    (
        c"adapter_unsynced",
        c"Adapter, not synced with system time",
        PCAP_TSTAMP_ADAPTER_UNSYNCED,
    ),
    (
        c"host_hiprec_unsynced",
        c"Host, high precision, not synced with system time",
        PCAP_TSTAMP_HOST_HIPREC_UNSYNCED,
    ),
];

/// Time stamp type by name (any case); `PCAP_ERROR` if unknown.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn pcap_tstamp_type_name_to_val(name: *const c_char) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: per the contract.
        let Some(name) = (unsafe { text(name) }) else {
            return PCAP_ERROR;
        };
        TSTAMP_TYPES
            .iter()
            .find(|t| t.0.to_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .map_or(PCAP_ERROR, |t| t.2)
    })
}

/// The name of a time stamp type, NULL if unknown. Static storage.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_val_to_name(t: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        TSTAMP_TYPES
            .iter()
            .find(|x| x.2 == t)
            .map_or(std::ptr::null(), |x| x.0.as_ptr())
    })
}

/// The description of a time stamp type, NULL if unknown. Static storage.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_val_to_description(t: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        TSTAMP_TYPES
            .iter()
            .find(|x| x.2 == t)
            .map_or(std::ptr::null(), |x| x.1.as_ptr())
    })
}

/// libpcap's text for a status code (`PCAP_ERROR_*`, `PCAP_WARNING_*`).
pub(crate) fn status_text(status: c_int) -> Option<&'static CStr> {
    Some(match status {
        PCAP_WARNING => c"Generic warning",
        PCAP_WARNING_TSTAMP_TYPE_NOTSUP => c"That type of time stamp is not supported by that device",
        PCAP_WARNING_PROMISC_NOTSUP => c"That device doesn't support promiscuous mode",
        PCAP_ERROR => c"Generic error",
        PCAP_ERROR_BREAK => c"Loop terminated by pcap_breakloop",
        PCAP_ERROR_NOT_ACTIVATED => c"The pcap_t has not been activated",
        PCAP_ERROR_ACTIVATED => c"The setting can't be changed after the pcap_t is activated",
        PCAP_ERROR_NO_SUCH_DEVICE => c"No such device exists",
        PCAP_ERROR_RFMON_NOTSUP => c"That device doesn't support monitor mode",
        PCAP_ERROR_NOT_RFMON => c"That operation is supported only in monitor mode",
        PCAP_ERROR_PERM_DENIED => c"You don't have permission to perform this capture on that device",
        PCAP_ERROR_IFACE_NOT_UP => c"That device is not up",
        PCAP_ERROR_CANTSET_TSTAMP_TYPE => c"That device doesn't support setting the time stamp type",
        PCAP_ERROR_PROMISC_PERM_DENIED => {
            c"You don't have permission to capture in promiscuous mode on that device"
        }
        PCAP_ERROR_TSTAMP_PRECISION_NOTSUP => c"That device doesn't support that time stamp precision",
        _ => return None,
    })
}

/// The text of a status code; "Unknown error: N" for others (thread-local storage).
#[no_mangle]
pub extern "C" fn pcap_statustostr(status: c_int) -> *const c_char {
    guard(std::ptr::null(), || match status_text(status) {
        Some(s) => s.as_ptr(),
        None => into_tls(&UNKNOWN_STATUS, &format!("Unknown error: {status}")),
    })
}

/// `strerror(errnum)` (thread-local storage).
#[no_mangle]
pub extern "C" fn pcap_strerror(errnum: c_int) -> *const c_char {
    guard(std::ptr::null(), || into_tls(&STRERROR, &strerror(errnum)))
}

/// The library's version string (static): libpkt's, naming the libpcap version it stands in for.
#[no_mangle]
pub extern "C" fn pcap_lib_version() -> *const c_char {
    LIB_VERSION.as_ptr()
}

//! pcap link type names and descriptions, as libpcap's `pcap_datalink_*` calls give them.

use std::ffi::{c_char, c_int, CStr};

use super::boundary::{einval, guard, guard_int};
use crate::error::{Errno, Error};
use crate::filter::compile::{dlt_description_c, dlt_from_name, dlt_name_c};

/// The pcap link type named `name`, as libpcap's `pcap_datalink_name_to_val()`: libpcap's
/// names (`"EN10MB"`, `"LINUX_SLL2"`, `"IEEE802_11_RADIO"`, ...), with or without `DLT_`, in
/// any case.
///
/// Returns the link type (0 to 65535). Errors: `-EINVAL` NULL `name`; `-ENOENT` a name libpcap
/// 1.10 does not know.
/// Thread safety: any thread.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dlt_from_name(name: *const c_char) -> c_int {
    guard_int("pkt_dlt_from_name", || {
        if name.is_null() {
            return Err(einval("pkt_dlt_from_name", "NULL name"));
        }
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let text = unsafe { CStr::from_ptr(name) }.to_string_lossy();
        dlt_from_name(&text).map(c_int::from).ok_or_else(|| {
            Error::with_detail(
                Errno(libc::ENOENT),
                "pkt_dlt_from_name",
                format!("unknown link type name \"{text}\""),
            )
        })
    })
}

/// libpcap's name of pcap link type `dlt` (`pcap_datalink_val_to_name()`), e.g. `"EN10MB"`,
/// or NULL for a value libpcap 1.10 does not name.
///
/// Ownership: a static string; do not free it. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_dlt_name(dlt: u16) -> *const c_char {
    guard("pkt_dlt_name", || {
        dlt_name_c(dlt).map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// libpcap's description of pcap link type `dlt` (`pcap_datalink_val_to_description()`),
/// e.g. `"Linux cooked v2"`, or NULL for a value libpcap 1.10 does not name.
///
/// Ownership: a static string; do not free it. Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_dlt_description(dlt: u16) -> *const c_char {
    guard("pkt_dlt_description", || {
        dlt_description_c(dlt).map_or(std::ptr::null(), CStr::as_ptr)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        // SAFETY: literals are NUL-terminated.
        unsafe {
            assert_eq!(pkt_dlt_from_name(c"EN10MB".as_ptr()), 1);
            assert_eq!(pkt_dlt_from_name(c"dlt_linux_sll2".as_ptr()), 276);
            assert_eq!(pkt_dlt_from_name(c"nosuch".as_ptr()), -libc::ENOENT);
            assert_eq!(pkt_dlt_from_name(std::ptr::null()), -libc::EINVAL);
            assert_eq!(CStr::from_ptr(pkt_dlt_name(105)).to_str(), Ok("IEEE802_11"));
            assert_eq!(
                CStr::from_ptr(pkt_dlt_description(113)).to_str(),
                Ok("Linux cooked v1")
            );
        }
        assert!(pkt_dlt_name(2).is_null());
        assert!(pkt_dlt_description(2).is_null());
    }
}

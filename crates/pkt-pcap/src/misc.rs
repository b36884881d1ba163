//! Library-wide calls: `pcap_init` and the `pcap_version` string.

use std::ffi::{c_char, c_int, c_uint};

use crate::err::{guard, put};
use crate::types::*;

/// libpcap's exported `pcap_version[]`: the libpcap version whose ABI this is.
#[no_mangle]
pub static pcap_version: [u8; 7] = *b"1.10.3\0";

/// Library initialisation (optional, as in libpcap 1.10): `PCAP_CHAR_ENC_LOCAL` or
/// `PCAP_CHAR_ENC_UTF_8` (error strings are the same either way on Linux). 0, or
/// `PCAP_ERROR` with `errbuf` for unknown options.
///
/// # Safety
/// `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_init(opts: c_uint, errbuf: *mut c_char) -> c_int {
    guard(PCAP_ERROR, || match opts {
        PCAP_CHAR_ENC_LOCAL | PCAP_CHAR_ENC_UTF_8 => 0,
        _ => {
            // SAFETY: errbuf per the contract.
            unsafe { put(errbuf, "Unknown options specified") };
            PCAP_ERROR
        }
    })
}

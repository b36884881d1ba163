//! Library-wide calls: `pcap_init` and the `pcap_version` string.

use std::ffi::{c_char, c_int, c_uint};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::err::{guard, put};
use crate::types::*;

/// libpcap's exported `pcap_version[]`: the libpcap version whose ABI this is.
#[no_mangle]
pub static pcap_version: [u8; 7] = *b"1.10.3\0";

/// Whether `pcap_init` has succeeded once (libpcap's `initialized` and `pcap_new_api`: from
/// then on `pcap_lookupdev` fails).
pub(crate) static INITIALIZED: AtomicBool = AtomicBool::new(false);
/// The encoding the first successful `pcap_init` chose was UTF-8 (libpcap's
/// `pcap_utf_8_mode`).
static UTF_8: AtomicBool = AtomicBool::new(false);

/// Library initialisation (optional, as in libpcap 1.10): `PCAP_CHAR_ENC_LOCAL` or
/// `PCAP_CHAR_ENC_UTF_8` (error strings are the same either way on Linux). 0, or
/// `PCAP_ERROR` with `errbuf` for unknown options or, as libpcap, for a later call that asks
/// for another encoding than an earlier successful one.
///
/// # Safety
/// `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_init(opts: c_uint, errbuf: *mut c_char) -> c_int {
    guard(PCAP_ERROR, || {
        let utf8 = match opts {
            PCAP_CHAR_ENC_LOCAL => false,
            PCAP_CHAR_ENC_UTF_8 => true,
            _ => {
                // SAFETY: errbuf per the contract.
                unsafe { put(errbuf, "Unknown options specified") };
                return PCAP_ERROR;
            }
        };
        if INITIALIZED.load(Ordering::SeqCst) && UTF_8.load(Ordering::SeqCst) != utf8 {
            // SAFETY: errbuf per the contract.
            unsafe {
                put(
                    errbuf,
                    "Multiple pcap_init calls with different character encodings",
                )
            };
            return PCAP_ERROR;
        }
        if utf8 {
            UTF_8.store(true, Ordering::SeqCst);
        }
        INITIALIZED.store(true, Ordering::SeqCst);
        0
    })
}

//! Timestamp sources: the `tstamp_source` values and what an interface offers.

use std::ffi::{c_char, c_int};

use super::boundary::{einval, guard_int, opt_bytes};
use crate::tstamp::{self, TstampSource};

/// `tstamp_source`: the kernel's clock when the packet entered the stack (libpcap's
/// `PCAP_TSTAMP_HOST`); the default, and offered by every interface.
pub const PKT_TSTAMP_SOURCE_SOFTWARE: u8 = 0;
/// `tstamp_source`: the network adapter's clock, converted to system time by the kernel
/// (`SOF_TIMESTAMPING_SYS_HARDWARE`; libpcap's `PCAP_TSTAMP_ADAPTER`). No driver has offered it
/// since Linux 3.17; kept for what libpcap offers.
pub const PKT_TSTAMP_SOURCE_ADAPTER: u8 = 1;
/// `tstamp_source`: the network adapter's own clock, unconverted
/// (`SOF_TIMESTAMPING_RAW_HARDWARE`; libpcap's `PCAP_TSTAMP_ADAPTER_UNSYNCED`, tcpdump's `-j
/// adapter_unsynced`): the hardware timestamps of PTP-capable adapters. Its epoch and rate are
/// the adapter's (a PTP daemon may keep it on TAI or UTC).
pub const PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED: u8 = 2;

/// Lists the timestamp sources (`PKT_TSTAMP_SOURCE_*`) interface `ifname` offers, as libpcap's
/// `pcap_list_tstamp_types()` does on Linux: it asks the driver (`ETHTOOL_GET_TS_INFO`, what
/// `ethtool -T` shows) and lists an adapter clock only if the adapter time stamps every received
/// packet (receive filter "all") and reports that clock. `PKT_TSTAMP_SOURCE_SOFTWARE` is always
/// listed, first; the others follow in the order of their values. A driver that does not answer
/// the question gets every source listed (as in libpcap): `pkt_open` then finds out.
/// `ifname` NULL, "" or "any" (all interfaces) lists software only: no adapter clock applies to
/// all interfaces.
///
/// `pkt_open` accepts exactly the sources listed here, and may still fail for an adapter clock
/// at the moment it turns it on (`-EPERM` without CAP_NET_ADMIN, `-EOPNOTSUPP` if the driver
/// refuses). Turning it on (`SIOCSHWTSTAMP` with the receive filter "all") changes the adapter
/// for every program using it, and stays after the handle closes, as with libpcap.
///
/// Returns the number of sources offered (1 to 3) and writes the first `max` of them to
/// `out[0..]` (none if `max` is 0: `out` may then be NULL, to ask for the count). Errors:
/// `-EINVAL` NULL `out` with `max` > 0; `-ENODEV` no such interface (or a name of `IFNAMSIZ`
/// bytes or more); other errnos from the ioctl. Needs no privilege.
///
/// Ownership: nothing is allocated; `out` is the caller's. Thread safety: any thread.
///
/// # Safety
/// `ifname` is NULL or a NUL-terminated string; `out` is NULL or valid for writing `max`
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_tstamp_sources(ifname: *const c_char, out: *mut u8, max: usize) -> c_int {
    guard_int("pkt_tstamp_sources", || {
        if out.is_null() && max > 0 {
            return Err(einval("pkt_tstamp_sources", "NULL out with max > 0"));
        }
        // SAFETY: `ifname` is NULL or NUL-terminated per the contract.
        let name = unsafe { opt_bytes(ifname) };
        let offered = tstamp::sources(name)?;
        let list = offered.as_slice();
        for (i, src) in list.iter().take(max).enumerate() {
            // SAFETY: `out` is non-NULL (max > 0) and writable for `max` bytes, and i < max.
            unsafe { out.add(i).write(*src as u8) };
        }
        Ok(list.len() as c_int)
    })
}

// The C values are the Rust ones.
const _: () = {
    assert!(PKT_TSTAMP_SOURCE_SOFTWARE == TstampSource::Software as u8);
    assert!(PKT_TSTAMP_SOURCE_ADAPTER == TstampSource::Adapter as u8);
    assert!(PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED == TstampSource::AdapterUnsynced as u8);
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{pkt_config_check, pkt_config_default, pkt_config_t, pkt_errmsg};

    fn check(tstamp_source: u8) -> bool {
        let mut c = std::mem::MaybeUninit::<pkt_config_t>::uninit();
        // SAFETY: `c` is writable; pkt_config_default fills every field.
        let mut c = unsafe {
            pkt_config_default(c.as_mut_ptr());
            c.assume_init()
        };
        assert_eq!(c.tstamp_source, PKT_TSTAMP_SOURCE_SOFTWARE);
        c.tstamp_source = tstamp_source;
        // SAFETY: a valid config without a filter.
        unsafe { pkt_config_check(&c) }
    }

    fn message() -> String {
        // SAFETY: pkt_errmsg returns a NUL-terminated thread-local string.
        unsafe { std::ffi::CStr::from_ptr(pkt_errmsg()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn config_check_takes_the_three_sources_only() {
        for v in [
            PKT_TSTAMP_SOURCE_SOFTWARE,
            PKT_TSTAMP_SOURCE_ADAPTER,
            PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED,
        ] {
            assert!(check(v), "{v}");
        }
        for v in [3, 4, 0x80, 255] {
            assert!(!check(v), "{v}");
            assert!(
                message().starts_with("config.tstamp_source: not one of"),
                "{}",
                message()
            );
        }
    }

    #[test]
    fn list_arguments() {
        let mut out = [0xffu8; 4];
        // SAFETY: `out` is writable for its length; the names are NUL-terminated.
        unsafe {
            assert_eq!(pkt_tstamp_sources(std::ptr::null(), out.as_mut_ptr(), 4), 1);
            assert_eq!(out, [PKT_TSTAMP_SOURCE_SOFTWARE, 0xff, 0xff, 0xff]);
            assert_eq!(pkt_tstamp_sources(c"any".as_ptr(), std::ptr::null_mut(), 0), 1);
            assert_eq!(
                pkt_tstamp_sources(c"".as_ptr(), std::ptr::null_mut(), 1),
                -libc::EINVAL
            );
            out[0] = 0xff;
            assert_eq!(
                pkt_tstamp_sources(c"no-such-if0".as_ptr(), out.as_mut_ptr(), 4),
                -libc::ENODEV
            );
            assert_eq!(out[0], 0xff, "written on failure");
            assert!(message().contains("no-such-if0"), "{}", message());
        }
    }
}

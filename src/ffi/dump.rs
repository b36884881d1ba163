//! Savefile writing over the C ABI (`pkt_dump_*`): pcap and pcapng files that tcpdump and
//! Wireshark read.

use std::ffi::{c_char, c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::boundary::{self, any, einval, guard, guard_int, put, slice, Any, Fallback};
use super::{pkt_info_t, pkt_stats_t, pkt_t, PKT_LINKTYPE_NONE};
use crate::config::TstampResolution;
use crate::dump::{linktype, Dumper, FileSink, Format, Options};
use crate::error::Error;
use crate::packet::{Info, Stats};

/// pcap link type: BSD loopback (a 4-byte address family, then the packet).
pub const PKT_DLT_NULL: u16 = 0;
/// pcap link type: Ethernet (also Linux loopback, which carries Ethernet headers).
pub const PKT_DLT_EN10MB: u16 = 1;
/// pcap link type: IEEE 802.5 token ring.
pub const PKT_DLT_IEEE802: u16 = 6;
/// pcap link type: raw IP, the packet starts with an IPv4 or IPv6 header. This is the value
/// written in files (LINKTYPE_RAW); `pkt_dump_open` also accepts 12, libpcap's DLT_RAW on
/// Linux, and writes 101.
pub const PKT_DLT_RAW: u16 = 101;
/// pcap link type: IEEE 802.11 without radio information.
pub const PKT_DLT_IEEE802_11: u16 = 105;
/// pcap link type: Linux cooked capture v1 (a 16-byte header the dumper builds).
pub const PKT_DLT_LINUX_SLL: u16 = 113;
/// pcap link type: IEEE 802.11 with a Prism monitor-mode header.
pub const PKT_DLT_PRISM_HEADER: u16 = 119;
/// pcap link type: IEEE 802.11 with a radiotap header.
pub const PKT_DLT_IEEE802_11_RADIO: u16 = 127;
/// pcap link type: the first of the private-use types USER0 (147) .. USER15 (162).
pub const PKT_DLT_USER0: u16 = 147;
/// pcap link type: SocketCAN frames.
pub const PKT_DLT_CAN_SOCKETCAN: u16 = 227;
/// pcap link type: raw IPv4.
pub const PKT_DLT_IPV4: u16 = 228;
/// pcap link type: raw IPv6.
pub const PKT_DLT_IPV6: u16 = 229;
/// pcap link type: Linux netlink (nlmon interfaces).
pub const PKT_DLT_NETLINK: u16 = 253;
/// pcap link type: Linux cooked capture v2 (a 20-byte header the dumper builds, with the
/// interface index); what cooked libpkt captures are written as.
pub const PKT_DLT_LINUX_SLL2: u16 = 276;

/// `pkt_dump_open` flag: write pcapng instead of pcap.
pub const PKT_DUMP_PCAPNG: u32 = 1;
/// `pkt_dump_open` flag: nanosecond timestamps (pcap magic 0xa1b23c4d; pcapng `if_tsresol`
/// 9). Without it timestamps are in microseconds, the fraction `nsec / 1000` truncated.
pub const PKT_DUMP_NANO: u32 = 2;

/// The opaque savefile writer behind `pkt_dumper_t *`.
pub struct pkt_dumper {
    inner: Dumper<FileSink>,
}

/// A savefile being written: from `pkt_dump_open()` until `pkt_dump_close()`.
pub type pkt_dumper_t = pkt_dumper;

impl Fallback for i64 {
    fn fallback() -> i64 {
        -i64::from(libc::EIO)
    }
}

/// The dumper behind `d`; `-EINVAL` for NULL.
///
/// # Safety
/// `d` is NULL or a live dumper used by no other thread during the call.
unsafe fn dumper<'a>(d: *mut pkt_dumper_t, what: &'static str) -> Result<&'a mut Dumper<FileSink>, Error> {
    // SAFETY: per the contract, a non-NULL `d` came from pkt_dump_open, is not closed, and only
    // this thread uses it, so this is the only reference.
    unsafe { d.as_mut() }
        .map(|d| &mut d.inner)
        .ok_or_else(|| einval(what, "NULL dumper"))
}

/// Returns the pcap link type of packets captured on an interface of type `arphrd` (an
/// `ARPHRD_*` value, as `pkt_linktype()` and `pkt_info_t.linktype` report it).
///
/// `cooked` true (a cooked capture: no link-layer header in the data) gives
/// `PKT_DLT_LINUX_SLL2`. Otherwise: Ethernet and loopback give `PKT_DLT_EN10MB`; interfaces
/// without a link-layer header (tun, ARPHRD_NONE, IP tunnels, PPP) `PKT_DLT_RAW`; IEEE 802.11
/// `PKT_DLT_IEEE802_11`, with radiotap 127 (`PKT_DLT_IEEE802_11_RADIO`), with Prism 119;
/// SocketCAN 227; netlink 253; and the other mappings libpcap makes on Linux. An `arphrd` with
/// no pcap equivalent, and `PKT_LINKTYPE_NONE` (all interfaces), give `PKT_DLT_LINUX_SLL2`:
/// libpcap falls back to a cooked capture for such interfaces, and libpkt opens every interface
/// that is not Ethernet or loopback cooked (see `pkt_dlt()` for an open handle). Every value
/// returned is accepted by `pkt_dump_open()`.
///
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pkt_dlt_of(arphrd: u16, cooked: bool) -> u16 {
    linktype::dlt_of(arphrd, cooked)
}

/// Returns the pcap link type to write the packets of handle `h` with: `PKT_DLT_LINUX_SLL2`
/// for a cooked handle (also every handle on all interfaces, and on interfaces other than
/// Ethernet and loopback, which are always cooked), otherwise `pkt_dlt_of(pkt_linktype(h),
/// false)`, i.e. `PKT_DLT_EN10MB`. For a savefile handle: the file's link type (a pcap file's
/// header, a pcapng file's first interface; each packet's own is its `pkt_info_t.linktype`).
/// `PKT_LINKTYPE_NONE` for NULL, which `pkt_dump_open()` rejects with `-EINVAL`.
///
/// Thread safety: any thread, also while another thread reads.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dlt(h: *mut pkt_t) -> u16 {
    guard("pkt_dlt", || {
        // SAFETY: `h` is NULL or live per the contract.
        match unsafe { any(h, "pkt_dlt") } {
            Ok(Any::Live(p)) => linktype::dlt_of(p.ctl.linktype(), p.ctl.config().cooked),
            Ok(Any::Offline(o)) => o.ctl.dlt(),
            Err(_) => PKT_LINKTYPE_NONE,
        }
    })
}

/// Opens a savefile: creates or truncates `path` (mode 0644 minus the umask, close-on-exec)
/// and writes the file header, or for pcapng (`PKT_DUMP_PCAPNG` in `flags`) the section header
/// block (`shb_userappl` "libpkt VERSION", `shb_os` "Linux RELEASE"). `path` "-" is standard
/// output, which `pkt_dump_close()` leaves open; do not write to it otherwise meanwhile.
///
/// `linktype` is a pcap link type (`PKT_DLT_*`; `pkt_dlt()` gives the right one for a handle;
/// 12 is taken as `PKT_DLT_RAW`). `snaplen` bounds the bytes kept of each record, cooked
/// headers included: 0 means 262144, the most libpcap reads; more is `-EINVAL`. `flags`:
/// `PKT_DUMP_PCAPNG`, `PKT_DUMP_NANO` (nanosecond timestamps; default microseconds).
///
/// Returns 0 and sets `*out` on success. On failure `*out` is left untouched, nothing leaks,
/// and `pkt_errmsg()` says why, naming the path. Errors: `-EINVAL` (NULL `path` or `out`, an
/// unknown link type or flag bit, a snap length over 262144), the errno of open(2) (`-ENOENT`,
/// `-EACCES`, `-EROFS`, `-EISDIR`, ...), `-EBADF` for "-" with standard output closed, the
/// errno of write(2) for the header (`-ENOSPC`, ...).
///
/// Ownership: the caller owns the dumper and releases it with `pkt_dump_close()`.
/// Thread safety: any thread; a dumper is then used by one thread at a time.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dump_open(
    path: *const c_char,
    linktype: u16,
    snaplen: u32,
    flags: u32,
    out: *mut *mut pkt_dumper_t,
) -> c_int {
    guard_int("pkt_dump_open", || {
        if path.is_null() || out.is_null() {
            return Err(einval("pkt_dump_open", "NULL path or out pointer"));
        }
        if flags & !(PKT_DUMP_PCAPNG | PKT_DUMP_NANO) != 0 {
            return Err(einval("pkt_dump_open", "unknown flag bits"));
        }
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let path = unsafe { CStr::from_ptr(path) };
        let opts = Options {
            linktype,
            snaplen,
            format: if flags & PKT_DUMP_PCAPNG != 0 {
                Format::Pcapng
            } else {
                Format::Pcap
            },
            resolution: if flags & PKT_DUMP_NANO != 0 {
                TstampResolution::Nano
            } else {
                TstampResolution::Micro
            },
        };
        let inner = Dumper::create(Path::new(OsStr::from_bytes(path.to_bytes())), &opts)?;
        let d = Box::into_raw(Box::new(pkt_dumper { inner }));
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { put(out, d) };
        Ok(0)
    })
}

/// Appends one record: `info->caplen` bytes at `data`, cut to the dumper's snap length, with
/// `info->len` (which must be at least `info->caplen`) as the original length and
/// `info->sec`/`info->nsec` as the time.
///
/// For `PKT_DLT_LINUX_SLL` and `PKT_DLT_LINUX_SLL2` the data is the cooked packet (what a
/// cooked handle returns, starting at the network header) and the dumper builds the cooked
/// header from `info`: packet type, `linktype` (ARPHRD), `protocol`, and for SLL2 `ifindex`.
/// The link-layer source address is not in `pkt_info_t`: the header says its length is 0.
/// For pcapng, the first record of each `info->ifindex` is preceded by an interface description
/// block (link type, snap length, `if_tsresol`, and `if_name` when the interface still exists
/// in the calling thread's network namespace); each record carries `epb_flags`: outbound for
/// `PKT_PACKET_OUTGOING`, otherwise inbound, with the reception type (unicast to this host,
/// broadcast, multicast, or promiscuous for `PKT_PACKET_OTHERHOST`).
///
/// Records are buffered (64 KiB) and atomic: each one ends up wholly in the file or not at
/// all. Returns 0 when the record was accepted; it reaches the file when the buffer fills,
/// at `pkt_dump_flush()` or at `pkt_dump_close()`. When write(2) fails (`-ENOSPC`, `-EIO`,
/// `-EPIPE`, `-EBADF`, ...) the call that triggered it returns the error, a regular file is cut
/// back to the end of its last whole record (ftruncate) so it stays readable, and records
/// accepted since the last successful flush may be lost with it (`pkt_dump_flush()` after a
/// record makes sure it is in the file). The error sticks: every later write, flush and the
/// close return it. Writing to a pipe whose reader is gone raises SIGPIPE unless the program
/// ignores it (then `-EPIPE`).
///
/// Other errors, which change nothing and do not stick: `-EINVAL` for a NULL dumper or `info`,
/// NULL `data` with `caplen` > 0, `len` < `caplen`, `nsec` of a second or more, a negative
/// time, or (pcap) a time past 2106.
///
/// Thread safety: one thread at a time per dumper.
///
/// # Safety
/// `d` is NULL or a live dumper; `data` is NULL or points to `info->caplen` readable bytes;
/// `info` is NULL or points to a `pkt_info_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dump_write(
    d: *mut pkt_dumper_t,
    data: *const u8,
    info: *const pkt_info_t,
) -> c_int {
    guard_int("pkt_dump_write", || {
        // SAFETY: `d` is NULL or live, used by this thread only, per the contract.
        let d = unsafe { dumper(d, "pkt_dump_write") }?;
        // SAFETY: `info` is NULL or points to a pkt_info_t per the contract; Info has the same
        // layout (checked at compile time in ffi/mod.rs).
        let info =
            unsafe { info.cast::<Info>().as_ref() }.ok_or_else(|| einval("pkt_dump_write", "NULL info"))?;
        // SAFETY: `data` is NULL or holds `caplen` bytes per the contract.
        let data = unsafe { slice(data, info.caplen as usize, "pkt_dump_write") }?;
        d.write(data, info)?;
        Ok(0)
    })
}

/// Writes the buffered records to the file (as fflush does; no fsync). Returns 0, the errno
/// of a failed write(2) (which sticks, see `pkt_dump_write()`), or `-EINVAL` for NULL.
///
/// Thread safety: one thread at a time per dumper.
///
/// # Safety
/// `d` is NULL or a live dumper.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dump_flush(d: *mut pkt_dumper_t) -> c_int {
    guard_int("pkt_dump_flush", || {
        // SAFETY: `d` is NULL or live, used by this thread only, per the contract.
        unsafe { dumper(d, "pkt_dump_flush") }?.flush()?;
        Ok(0)
    })
}

/// Records capture counters (typically from `pkt_stats(h, true, &st)` just before closing) for
/// pcapng's interface statistics blocks: `pkt_dump_close()` writes one per interface in the
/// file, with `isb_ifrecv` = `recvs`, `isb_osdrop` = `drops`, `isb_starttime` (when the
/// dumper was opened) and `isb_endtime` (the close). The counters are those of a socket, not
/// of an interface: with a handle on all interfaces every block carries the same socket-wide
/// counts. A later call replaces the counters. Ignored for pcap files.
///
/// Returns 0, or `-EINVAL` for a NULL dumper or `st`.
/// Thread safety: one thread at a time per dumper.
///
/// # Safety
/// `d` is NULL or a live dumper; `st` is NULL or points to a `pkt_stats_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dump_stats(d: *mut pkt_dumper_t, st: *const pkt_stats_t) -> c_int {
    guard_int("pkt_dump_stats", || {
        // SAFETY: `d` is NULL or live, used by this thread only, per the contract.
        let d = unsafe { dumper(d, "pkt_dump_stats") }?;
        // SAFETY: `st` is NULL or valid per the contract.
        let st = unsafe { st.as_ref() }.ok_or_else(|| einval("pkt_dump_stats", "NULL stats"))?;
        d.set_stats(Stats {
            recvs: st.recvs,
            drops: st.drops,
        });
        Ok(0)
    })
}

/// Returns the size of the file once the buffer is written: the header and every record
/// accepted so far (for a status line). After a write error, the size the file was cut back
/// to. `-EINVAL` for NULL.
///
/// Thread safety: one thread at a time per dumper.
///
/// # Safety
/// `d` is NULL or a live dumper.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dump_bytes(d: *mut pkt_dumper_t) -> i64 {
    guard("pkt_dump_bytes", || {
        // SAFETY: `d` is NULL or live, used by this thread only, per the contract.
        match unsafe { dumper(d, "pkt_dump_bytes") } {
            Ok(d) => i64::try_from(d.bytes()).unwrap_or(i64::MAX),
            Err(e) => i64::from(boundary::fail(&e)),
        }
    })
}

/// Finishes a savefile: writes the interface statistics blocks (pcapng, when
/// `pkt_dump_stats()` gave counters), writes out the buffer, closes the file (standard output
/// stays open) and frees the dumper, whatever happens.
///
/// Returns 0, or the first error the dumper met (an earlier sticky write error included; see
/// `pkt_dump_write()`), with the file then holding only whole records. NULL is a no-op
/// returning 0.
///
/// Thread safety: must not race with other calls on the same dumper; afterwards the dumper is
/// gone.
///
/// # Safety
/// `d` is NULL or a live dumper that is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_dump_close(d: *mut pkt_dumper_t) -> c_int {
    guard_int("pkt_dump_close", || {
        if d.is_null() {
            return Ok(0);
        }
        // SAFETY: a live dumper from pkt_dump_open, not used again per the contract.
        let d = unsafe { Box::from_raw(d) };
        d.inner.close()?;
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    #[test]
    fn constants_match_the_library() {
        assert_eq!(PKT_DLT_NULL, linktype::NULL);
        assert_eq!(PKT_DLT_EN10MB, linktype::EN10MB);
        assert_eq!(PKT_DLT_IEEE802, linktype::IEEE802_5);
        assert_eq!(PKT_DLT_RAW, linktype::RAW);
        assert_eq!(PKT_DLT_IEEE802_11, linktype::IEEE802_11);
        assert_eq!(PKT_DLT_LINUX_SLL, linktype::LINUX_SLL);
        assert_eq!(PKT_DLT_PRISM_HEADER, linktype::PRISM_HEADER);
        assert_eq!(PKT_DLT_IEEE802_11_RADIO, linktype::IEEE802_11_RADIOTAP);
        assert_eq!(PKT_DLT_USER0, linktype::USER0);
        assert_eq!(PKT_DLT_CAN_SOCKETCAN, linktype::CAN_SOCKETCAN);
        assert_eq!(PKT_DLT_IPV4, linktype::IPV4);
        assert_eq!(PKT_DLT_IPV6, linktype::IPV6);
        assert_eq!(PKT_DLT_NETLINK, linktype::NETLINK);
        assert_eq!(PKT_DLT_LINUX_SLL2, linktype::LINUX_SLL2);
    }

    #[test]
    fn mapping() {
        assert_eq!(pkt_dlt_of(1, false), PKT_DLT_EN10MB);
        assert_eq!(pkt_dlt_of(772, false), PKT_DLT_EN10MB);
        assert_eq!(pkt_dlt_of(0xfffe, false), PKT_DLT_RAW);
        assert_eq!(pkt_dlt_of(801, false), PKT_DLT_IEEE802_11);
        assert_eq!(pkt_dlt_of(803, false), PKT_DLT_IEEE802_11_RADIO);
        assert_eq!(pkt_dlt_of(1, true), PKT_DLT_LINUX_SLL2);
        assert_eq!(pkt_dlt_of(PKT_LINKTYPE_NONE, false), PKT_DLT_LINUX_SLL2);
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { pkt_dlt(ptr::null_mut()) }, PKT_LINKTYPE_NONE);
    }

    #[test]
    fn null_arguments() {
        let mut out: *mut pkt_dumper_t = ptr::null_mut();
        // SAFETY: NULL pointers and a valid out pointer.
        unsafe {
            assert_eq!(pkt_dump_open(ptr::null(), 1, 0, 0, &mut out), -libc::EINVAL);
            assert_eq!(
                pkt_dump_open(c"/dev/null".as_ptr(), 1, 0, 0, ptr::null_mut()),
                -libc::EINVAL
            );
            assert_eq!(
                pkt_dump_open(c"/dev/null".as_ptr(), 1, 0, 4, &mut out),
                -libc::EINVAL
            );
            assert_eq!(
                pkt_dump_open(c"/dev/null".as_ptr(), 3, 0, 0, &mut out),
                -libc::EINVAL
            );
            assert!(out.is_null());
            assert_eq!(
                pkt_dump_write(ptr::null_mut(), ptr::null(), ptr::null()),
                -libc::EINVAL
            );
            assert_eq!(pkt_dump_flush(ptr::null_mut()), -libc::EINVAL);
            assert_eq!(pkt_dump_stats(ptr::null_mut(), ptr::null()), -libc::EINVAL);
            assert_eq!(pkt_dump_bytes(ptr::null_mut()), -i64::from(libc::EINVAL));
            assert_eq!(pkt_dump_close(ptr::null_mut()), 0);
        }
    }

    #[test]
    fn dev_null_round_trip() {
        let mut d: *mut pkt_dumper_t = ptr::null_mut();
        let info = pkt_info_t {
            sec: 1,
            caplen: 3,
            len: 3,
            ..pkt_info_t::default()
        };
        // SAFETY: valid pointers throughout; the dumper is closed once.
        unsafe {
            assert_eq!(
                pkt_dump_open(
                    c"/dev/null".as_ptr(),
                    12,
                    0,
                    PKT_DUMP_PCAPNG | PKT_DUMP_NANO,
                    &mut d
                ),
                0
            );
            assert!(!d.is_null());
            assert_eq!(pkt_dump_write(d, [1u8, 2, 3].as_ptr(), &info), 0);
            assert_eq!(pkt_dump_write(d, ptr::null(), &info), -libc::EINVAL);
            let bad = pkt_info_t { len: 2, ..info };
            assert_eq!(pkt_dump_write(d, [1u8, 2, 3].as_ptr(), &bad), -libc::EINVAL);
            let st = pkt_stats_t { recvs: 1, drops: 0 };
            assert_eq!(pkt_dump_stats(d, &st), 0);
            assert_eq!(pkt_dump_flush(d), 0);
            assert!(pkt_dump_bytes(d) > 0);
            assert_eq!(pkt_dump_close(d), 0);
        }
    }
}

//! `pcap_t`: creation, the settings before activation, activation on a libpkt [`Handle`],
//! savefile and dead handles, and the calls that ask a handle about itself.

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_uint, CStr, CString};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use pkt::filter::Insn;
use pkt::{Config, Control, Errno, Handle, TstampResolution, TstampSource};

use crate::err::{errno_msg, guard, put, ErrBuf};
use crate::names::status_text;
use crate::sf::Savefile;
use crate::types::*;

/// libpcap's `MAXIMUM_SNAPLEN`.
pub(crate) const MAXIMUM_SNAPLEN: c_int = 262_144;
/// libpcap's Linux default ring size (2 MB).
const DEFAULT_BUFFER_SIZE: c_int = 2 * 1024 * 1024;

pub(crate) const DLT_EN10MB: c_int = 1;
pub(crate) const DLT_RAW: c_int = 12;
pub(crate) const DLT_DOCSIS: c_int = 143;
pub(crate) const DLT_LINUX_SLL: c_int = 113;
pub(crate) const DLT_LINUX_SLL2: c_int = 276;

const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;

/// The opaque `pcap_t`. The part any thread (or a signal handler) may touch while another
/// reads is [`Shared`]; the rest belongs to the one thread using the handle, as in libpcap.
pub struct Pcap {
    pub(crate) shared: Shared,
    inner: UnsafeCell<Inner>,
}

/// What `pcap_breakloop` (async-signal-safe) and `pcap_stats` use.
pub(crate) struct Shared {
    /// libpcap's `break_loop`.
    pub(crate) brk: AtomicBool,
    /// The live capture's control side, once activated.
    pub(crate) ctl: OnceLock<Arc<Control>>,
    /// `ps_ifdrop`, as libpcap counts it for promiscuous captures on one device: the growth of
    /// the device's `rx_missed_errors` + `rx_fifo_errors` since activation.
    pub(crate) ifdrop_dev: OnceLock<String>,
    pub(crate) ifdrop_last: AtomicI64,
    pub(crate) ifdrop: AtomicU32,
}

/// libpcap's `linux_if_drops`: the device's missed and FIFO receive errors (sysfs), 0 where
/// unknown.
pub(crate) fn if_drops(dev: &str) -> i64 {
    let stat = |name: &str| {
        std::fs::read_to_string(format!("/sys/class/net/{dev}/statistics/{name}"))
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    stat("rx_missed_errors") + stat("rx_fifo_errors")
}

pub(crate) enum Source {
    /// `pcap_create`d, not activated yet.
    Created,
    Live(Box<Handle>),
    Offline(Box<Savefile>),
    /// `pcap_open_dead`.
    Dead,
}

/// The settings of `pcap_set_*`.
pub(crate) struct Opts {
    pub(crate) device: CString,
    pub(crate) snaplen: c_int,
    pub(crate) promisc: bool,
    pub(crate) timeout: c_int,
    pub(crate) buffer_size: c_int,
    pub(crate) immediate: bool,
    pub(crate) rfmon: bool,
    pub(crate) tstamp_type: c_int,
    pub(crate) precision: c_int,
    pub(crate) nonblock: bool,
    pub(crate) protocol: c_int,
}

pub(crate) struct Inner {
    pub(crate) src: Source,
    pub(crate) err: ErrBuf,
    pub(crate) opt: Opts,
    pub(crate) activated: bool,
    pub(crate) linktype: c_int,
    pub(crate) linktype_ext: u32,
    pub(crate) snapshot: c_int,
    /// `pcap_list_datalinks` (empty: only `linktype`).
    pub(crate) dlts: Vec<c_int>,
    /// `pcap_list_tstamp_types` (empty: none can be set).
    pub(crate) tstamp_types: Vec<c_int>,
    pub(crate) direction: c_int,
    /// The ring's packets start at the network header; a cooked header is built in front.
    pub(crate) cooked: bool,
    /// The filter run here: always for savefiles; for live captures when the kernel cannot
    /// run it (a cooked-header field the kernel has no ancillary load for).
    pub(crate) user_filter: Option<Vec<Insn>>,
    /// A cooked header and the packet behind it.
    pub(crate) scratch: Vec<u8>,
    /// `pcap_next_ex`'s header.
    pub(crate) hdr: PcapPkthdr,
}

impl Pcap {
    fn new(opt: Opts) -> Box<Pcap> {
        Box::new(Pcap {
            shared: Shared {
                brk: AtomicBool::new(false),
                ctl: OnceLock::new(),
                ifdrop_dev: OnceLock::new(),
                ifdrop_last: AtomicI64::new(0),
                ifdrop: AtomicU32::new(0),
            },
            inner: UnsafeCell::new(Inner {
                src: Source::Created,
                err: ErrBuf::new(),
                opt,
                activated: false,
                linktype: -1,
                linktype_ext: 0,
                snapshot: 0,
                dlts: Vec::new(),
                tstamp_types: Vec::new(),
                direction: PCAP_D_INOUT,
                cooked: false,
                user_filter: None,
                scratch: Vec::new(),
                hdr: PcapPkthdr {
                    ts: libc::timeval {
                        tv_sec: 0,
                        tv_usec: 0,
                    },
                    caplen: 0,
                    len: 0,
                },
            }),
        })
    }
}

fn default_opts(device: CString) -> Opts {
    Opts {
        device,
        snaplen: MAXIMUM_SNAPLEN,
        promisc: false,
        timeout: 0,
        buffer_size: 0,
        immediate: false,
        rfmon: false,
        tstamp_type: -1,
        precision: PCAP_TSTAMP_PRECISION_MICRO,
        nonblock: false,
        protocol: 0,
    }
}

/// The handle's parts.
///
/// # Safety
/// `p` is NULL or a live `pcap_t` from this library, used by one thread at a time (libpcap's
/// rule); the reference does not outlive the call.
pub(crate) unsafe fn parts<'a>(p: *mut Pcap) -> Option<(&'a Shared, &'a mut Inner)> {
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is a live Box<Pcap> per the contract; `inner` is touched by one thread.
    unsafe { Some((&(*p).shared, &mut *(*p).inner.get())) }
}

/// The handle's own part only.
///
/// # Safety
/// As [`parts`].
pub(crate) unsafe fn inner<'a>(p: *mut Pcap) -> Option<&'a mut Inner> {
    // SAFETY: forwarded contract.
    unsafe { parts(p) }.map(|(_, i)| i)
}

fn into_raw(p: Box<Pcap>) -> *mut Pcap {
    Box::into_raw(p)
}

/// # Safety
/// `s` is NULL or NUL-terminated.
unsafe fn cstr<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: per the contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}

// ---- creation -------------------------------------------------------------------------------

/// Creates a handle for capturing on `device` (NULL: "any"); set options, then
/// `pcap_activate`. Never fails for a name: a missing device is reported by activation.
///
/// # Safety
/// `device` is NULL or NUL-terminated; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_create(device: *const c_char, errbuf: *mut c_char) -> *mut Pcap {
    guard(std::ptr::null_mut(), || {
        // SAFETY: per the contract.
        let dev = unsafe { cstr(device) }.map_or_else(|| c"any".to_owned(), CStr::to_owned);
        let p = Pcap::new(default_opts(dev));
        // SAFETY: a fresh handle.
        let i = unsafe { inner(&*p as *const Pcap as *mut Pcap) }.expect("fresh handle");
        i.tstamp_types = tstamp_types_of(i.opt.device.to_bytes());
        let _ = errbuf;
        into_raw(p)
    })
}

/// libpcap's list of settable time stamp types for a device (computed at `pcap_create`).
fn tstamp_types_of(device: &[u8]) -> Vec<c_int> {
    if device == b"any" {
        return Vec::new();
    }
    match pkt::tstamp::sources(Some(device)) {
        Ok(s) => {
            let hw: Vec<c_int> = s
                .as_slice()
                .iter()
                .filter_map(|src| match src {
                    TstampSource::Adapter => Some(PCAP_TSTAMP_ADAPTER),
                    TstampSource::AdapterUnsynced => Some(PCAP_TSTAMP_ADAPTER_UNSYNCED),
                    TstampSource::Software => None,
                })
                .collect();
            if hw.is_empty() {
                Vec::new()
            } else {
                std::iter::once(PCAP_TSTAMP_HOST).chain(hw).collect()
            }
        }
        Err(_) => Vec::new(),
    }
}

/// A handle for compiling filters and writing savefiles of `linktype`, with micro- or
/// nanosecond precision.
#[no_mangle]
pub extern "C" fn pcap_open_dead_with_tstamp_precision(
    linktype: c_int,
    snaplen: c_int,
    precision: c_uint,
) -> *mut Pcap {
    guard(std::ptr::null_mut(), || {
        let precision = match precision {
            0 => PCAP_TSTAMP_PRECISION_MICRO,
            1 => PCAP_TSTAMP_PRECISION_NANO,
            _ => return std::ptr::null_mut(),
        };
        let mut opt = default_opts(CString::default());
        opt.precision = precision;
        let p = Pcap::new(opt);
        // SAFETY: a fresh handle.
        let i = unsafe { inner(&*p as *const Pcap as *mut Pcap) }.expect("fresh handle");
        i.src = Source::Dead;
        i.linktype = linktype;
        i.snapshot = snaplen;
        i.activated = true;
        into_raw(p)
    })
}

/// `pcap_open_dead_with_tstamp_precision` with microseconds.
#[no_mangle]
pub extern "C" fn pcap_open_dead(linktype: c_int, snaplen: c_int) -> *mut Pcap {
    pcap_open_dead_with_tstamp_precision(linktype, snaplen, 0)
}

/// Opens a savefile read from `fp` (the handle owns it from then on and closes it in
/// `pcap_close`, unless it is stdin; on failure it stays the caller's).
///
/// # Safety
/// `fp` is NULL or an open `FILE *`; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_fopen_offline_with_tstamp_precision(
    fp: *mut libc::FILE,
    precision: c_uint,
    errbuf: *mut c_char,
) -> *mut Pcap {
    guard(std::ptr::null_mut(), || {
        if fp.is_null() {
            // SAFETY: errbuf per the contract.
            unsafe { put(errbuf, "Null FILE * pointer provided to savefile open routine") };
            return std::ptr::null_mut();
        }
        // The precision is checked after the file header, as libpcap (its error then names the
        // precision, a file of no known format still says so first).
        let prec = if precision == 1 {
            PCAP_TSTAMP_PRECISION_NANO
        } else {
            PCAP_TSTAMP_PRECISION_MICRO
        };
        // SAFETY: `fp` is an open FILE per the contract.
        match unsafe { Savefile::open(fp, precision as i32) } {
            Ok(sf) => {
                let mut opt = default_opts(CString::default());
                opt.precision = prec;
                let p = Pcap::new(opt);
                // SAFETY: a fresh handle.
                let i = unsafe { inner(&*p as *const Pcap as *mut Pcap) }.expect("fresh handle");
                i.linktype = sf.linktype();
                i.linktype_ext = sf.linktype_ext();
                i.snapshot = sf.snapshot();
                i.src = Source::Offline(Box::new(sf));
                i.activated = true;
                into_raw(p)
            }
            Err(msg) => {
                // SAFETY: errbuf per the contract.
                unsafe { put(errbuf, &msg) };
                std::ptr::null_mut()
            }
        }
    })
}

/// `pcap_fopen_offline_with_tstamp_precision` with microseconds.
///
/// # Safety
/// As `pcap_fopen_offline_with_tstamp_precision`.
#[no_mangle]
pub unsafe extern "C" fn pcap_fopen_offline(fp: *mut libc::FILE, errbuf: *mut c_char) -> *mut Pcap {
    // SAFETY: forwarded contract.
    unsafe { pcap_fopen_offline_with_tstamp_precision(fp, 0, errbuf) }
}

/// Opens the savefile `fname` ("-": standard input).
///
/// # Safety
/// `fname` is NULL or NUL-terminated; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_open_offline_with_tstamp_precision(
    fname: *const c_char,
    precision: c_uint,
    errbuf: *mut c_char,
) -> *mut Pcap {
    guard(std::ptr::null_mut(), || {
        // SAFETY: per the contract.
        let Some(name) = (unsafe { cstr(fname) }) else {
            // SAFETY: errbuf per the contract.
            unsafe { put(errbuf, "A null pointer was supplied as the file name") };
            return std::ptr::null_mut();
        };
        let is_stdin = name.to_bytes() == b"-";
        let fp = if is_stdin {
            // glibc's stdin stream; fdopen would make a second one over fd 0.
            crate::cstdio::stdin_stream()
        } else {
            // SAFETY: both strings are NUL-terminated.
            unsafe { libc::fopen(name.as_ptr(), c"rb".as_ptr()) }
        };
        if fp.is_null() {
            let e = crate::err::errno();
            // SAFETY: errbuf per the contract.
            unsafe { put(errbuf, &errno_msg(&name.to_string_lossy(), e)) };
            return std::ptr::null_mut();
        }
        // SAFETY: `fp` is open; errbuf per the contract.
        let p = unsafe { pcap_fopen_offline_with_tstamp_precision(fp, precision, errbuf) };
        if p.is_null() && !is_stdin {
            // SAFETY: we opened it and nothing else holds it.
            unsafe { libc::fclose(fp) };
        }
        p
    })
}

/// `pcap_open_offline_with_tstamp_precision` with microseconds.
///
/// # Safety
/// As `pcap_open_offline_with_tstamp_precision`.
#[no_mangle]
pub unsafe extern "C" fn pcap_open_offline(fname: *const c_char, errbuf: *mut c_char) -> *mut Pcap {
    // SAFETY: forwarded contract.
    unsafe { pcap_open_offline_with_tstamp_precision(fname, 0, errbuf) }
}

/// Opens a live capture in one call (create, set snaplen, promisc and timeout, activate).
///
/// # Safety
/// `device` is NULL or NUL-terminated; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_open_live(
    device: *const c_char,
    snaplen: c_int,
    promisc: c_int,
    to_ms: c_int,
    errbuf: *mut c_char,
) -> *mut Pcap {
    guard(std::ptr::null_mut(), || {
        // SAFETY: per the contract.
        let p = unsafe { pcap_create(device, errbuf) };
        if p.is_null() {
            return p;
        }
        // SAFETY: `p` is ours and fresh.
        unsafe {
            pcap_set_snaplen(p, snaplen);
            pcap_set_promisc(p, promisc);
            pcap_set_timeout(p, to_ms);
        }
        // SAFETY: as above.
        let status = unsafe { pcap_activate(p) };
        if status >= 0 {
            return p;
        }
        // SAFETY: as above.
        let i = unsafe { inner(p) }.expect("live handle");
        let dev = i.opt.device.to_string_lossy().into_owned();
        let st = status_text(status).map_or_else(
            || format!("Unknown error: {status}"),
            |s| s.to_string_lossy().into_owned(),
        );
        let ebuf = i.err.text();
        let msg = match status {
            PCAP_ERROR => format!("{dev}: {ebuf}"),
            PCAP_ERROR_NO_SUCH_DEVICE | PCAP_ERROR_PERM_DENIED | PCAP_ERROR_PROMISC_PERM_DENIED
                if !ebuf.is_empty() =>
            {
                format!("{dev}: {st} ({ebuf})")
            }
            _ => format!("{dev}: {st}"),
        };
        // SAFETY: errbuf per the contract; `p` is closed once.
        unsafe {
            put(errbuf, &msg);
            pcap_close(p);
        }
        std::ptr::null_mut()
    })
}

/// Closes a handle: the capture socket and ring, or the savefile (not stdin).
///
/// # Safety
/// `p` is NULL or a handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pcap_close(p: *mut Pcap) {
    guard((), || {
        if p.is_null() {
            return;
        }
        // SAFETY: `p` came from Box::into_raw and is given back once.
        let b = unsafe { Box::from_raw(p) };
        drop(b);
    })
}

// ---- settings before activation --------------------------------------------------------------

/// Applies `f` to an unactivated handle's options; `PCAP_ERROR_ACTIVATED` after activation.
///
/// # Safety
/// As [`parts`].
unsafe fn set(p: *mut Pcap, f: impl FnOnce(&mut Opts) -> c_int) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        if i.activated {
            i.err.set("can't perform  operation on activated capture");
            return PCAP_ERROR_ACTIVATED;
        }
        f(&mut i.opt)
    })
}

/// A `pcap_set_*` that stores its argument in one option before activation (0), or fails
/// with `PCAP_ERROR_ACTIVATED` after it.
macro_rules! setter {
    ($(#[$doc:meta])* $name:ident($arg:ident) => $field:ident = $val:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `p` is a handle from this library.
        #[no_mangle]
        pub unsafe extern "C" fn $name(p: *mut Pcap, $arg: c_int) -> c_int {
            // SAFETY: forwarded contract.
            unsafe {
                set(p, |o| {
                    o.$field = $val;
                    0
                })
            }
        }
    };
}

setter!(
    /// Sets the snapshot length (out-of-range values become 262144 at activation).
    pcap_set_snaplen(snaplen) => snaplen = snaplen
);

setter!(
    /// Sets promiscuous mode.
    pcap_set_promisc(promisc) => promisc = promisc != 0
);

setter!(
    /// Sets the packet buffer timeout in ms (the TPACKET_V3 block retire time).
    pcap_set_timeout(to_ms) => timeout = to_ms
);

/// Sets the ring size in bytes.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_set_buffer_size(p: *mut Pcap, size: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        set(p, |o| {
            // libpcap ignores non-positive sizes.
            if size > 0 {
                o.buffer_size = size;
            }
            0
        })
    }
}

setter!(
    /// Delivers each packet at once (a TPACKET_V2 frame ring, as libpcap).
    pcap_set_immediate_mode(immediate) => immediate = immediate != 0
);

setter!(
    /// Asks for monitor mode (refused at activation: libpkt has no 802.11 monitor mode support).
    pcap_set_rfmon(rfmon) => rfmon = rfmon != 0
);

/// Whether monitor mode can be set: 0 (no), as libpcap for non-wireless devices;
/// `PCAP_ERROR_NO_SUCH_DEVICE` for a missing device.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_can_set_rfmon(p: *mut Pcap) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        // libpcap asks the handle's type, activated or not: a savefile never has monitor
        // mode, a dead handle has no such setting, a capture asks its device.
        match i.src {
            Source::Offline(_) => return 0,
            Source::Dead => {
                i.err.set("Rfmon mode doesn't apply on a pcap_open_dead pcap_t");
                return PCAP_ERROR;
            }
            Source::Created | Source::Live(_) => {}
        }
        let dev = i.opt.device.to_bytes();
        if dev == b"any" {
            return 0;
        }
        match pkt::iface::list() {
            Ok(l) if l.iter().any(|f| f.name == dev) => 0,
            Ok(_) => {
                i.err.clear();
                PCAP_ERROR_NO_SUCH_DEVICE
            }
            Err(e) => {
                i.err.set(&e.to_string());
                PCAP_ERROR
            }
        }
    })
}

/// Picks the time stamp type; `PCAP_WARNING_TSTAMP_TYPE_NOTSUP` for one the device does not
/// offer.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_set_tstamp_type(p: *mut Pcap, t: c_int) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        if i.activated {
            i.err.set("can't perform  operation on activated capture");
            return PCAP_ERROR_ACTIVATED;
        }
        if t < 0 {
            return PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
        }
        let ok = if i.tstamp_types.is_empty() {
            t == PCAP_TSTAMP_HOST
        } else {
            i.tstamp_types.contains(&t)
        };
        if ok {
            i.opt.tstamp_type = t;
            0
        } else {
            PCAP_WARNING_TSTAMP_TYPE_NOTSUP
        }
    })
}

/// Picks micro- or nanosecond time stamps.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_set_tstamp_precision(p: *mut Pcap, precision: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        set(p, |o| match precision {
            PCAP_TSTAMP_PRECISION_MICRO | PCAP_TSTAMP_PRECISION_NANO => {
                o.precision = precision;
                0
            }
            _ => PCAP_ERROR_TSTAMP_PRECISION_NOTSUP,
        })
    }
}

/// The time stamp precision of the handle's packets.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_get_tstamp_precision(p: *mut Pcap) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        unsafe { inner(p) }.map_or(PCAP_ERROR, |i| i.opt.precision)
    })
}

setter!(
    /// Linux: the ethertype (host byte order) the socket captures; 0 means all.
    pcap_set_protocol_linux(protocol) => protocol = protocol
);

// ---- activation ------------------------------------------------------------------------------

/// Opens the capture with the settings made. Returns 0, a warning (> 0) or an error (< 0),
/// with `pcap_geterr` saying why, as libpcap's Linux code.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_activate(p: *mut Pcap) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some((shared, i)) = (unsafe { parts(p) }) else {
            return PCAP_ERROR;
        };
        if i.activated {
            i.err.set("can't perform  operation on activated capture");
            return PCAP_ERROR_ACTIVATED;
        }
        let status = activate(shared, i);
        if status < 0 {
            if i.err.text().is_empty() {
                let st = status_text(status).map_or_else(
                    || format!("Unknown error: {status}"),
                    |s| s.to_string_lossy().into_owned(),
                );
                i.err.set(&st);
            }
        } else {
            i.activated = true;
        }
        status
    })
}

fn activate(shared: &Shared, i: &mut Inner) -> c_int {
    let dev = i.opt.device.to_bytes().to_vec();
    if dev.len() >= libc::IFNAMSIZ || dev.is_empty() {
        i.err.clear();
        return PCAP_ERROR_NO_SUCH_DEVICE;
    }
    if i.opt.snaplen <= 0 || i.opt.snaplen > MAXIMUM_SNAPLEN {
        i.opt.snaplen = MAXIMUM_SNAPLEN;
    }
    let any = dev == b"any";
    let status = 0;
    // "any" cannot be promiscuous. libpcap 1.10 means to warn (PCAP_WARNING_PROMISC_NOTSUP),
    // but its ring setup resets the status to 0, so programs see success: as here.
    let promisc = i.opt.promisc && !any;
    if any && i.opt.promisc {
        i.err.set("Promiscuous mode not supported on the \"any\" device");
    }
    if i.opt.rfmon {
        // libpcap turns monitor mode on only for mac80211 devices; libpkt has no such support.
        return PCAP_ERROR_RFMON_NOTSUP;
    }
    let cfg = Config {
        promiscuous: promisc,
        immediate: i.opt.immediate,
        buffer_size: i64::from(if i.opt.buffer_size > 0 {
            i.opt.buffer_size
        } else {
            DEFAULT_BUFFER_SIZE
        }),
        // The packet buffer timeout is the block retire time. libpcap asks for UINT_MAX ms
        // when it is 0 ("wait forever": the kernel keeps 16 bits, so 65535 ms; libpkt's 0),
        // and lets the kernel pick when it is negative.
        block_timeout_ms: match i.opt.timeout {
            t if t >= 0 => i64::from(t),
            _ => -1,
        },
        read_timeout_ms: 0,
        vlan_insert: true,
        snaplen: i.opt.snaplen as u32,
        tstamp_resolution: if i.opt.precision == PCAP_TSTAMP_PRECISION_NANO {
            TstampResolution::Nano
        } else {
            TstampResolution::Micro
        },
        tstamp_source: match i.opt.tstamp_type {
            PCAP_TSTAMP_ADAPTER => TstampSource::Adapter,
            PCAP_TSTAMP_ADAPTER_UNSYNCED => TstampSource::AdapterUnsynced,
            _ => TstampSource::Software,
        },
        proto: if i.opt.protocol != 0 {
            i.opt.protocol as u16
        } else {
            pkt::config::PROTO_ALL
        },
        ..Config::default()
    };
    if crate::devs::OTHER_SOURCES
        .iter()
        .any(|(n, _, _)| n.as_bytes() == dev)
    {
        i.err.set(&format!(
            "{}: libpkt does not capture from Bluetooth, netfilter or D-Bus sources (only network interfaces and \"any\")",
            String::from_utf8_lossy(&dev)
        ));
        return PCAP_ERROR;
    }
    let name = if any { None } else { Some(&dev[..]) };
    // The device's flags, looked up once (None for "any" or a device the list lacks).
    let flags = if any {
        None
    } else {
        pkt::iface::list()
            .ok()
            .and_then(|l| l.into_iter().find(|f| f.name == dev))
            .map(|f| f.flags)
    };
    let has = |flag: u32| flags.is_some_and(|f| f & flag != 0);
    // libpcap's bind reports a device that is down (ENETDOWN): libpkt would wait for it.
    if flags.is_some() && !has(pkt::iface::IF_UP) {
        i.err.clear();
        return PCAP_ERROR_IFACE_NOT_UP;
    }
    let h = match Handle::open_bytes(name, &cfg) {
        Ok(h) => h,
        Err(e) => return open_error(i, &e),
    };
    let arphrd = h.control().linktype();
    i.cooked = h.control().config().cooked;
    let (linktype, dlts) = if any {
        (DLT_LINUX_SLL, vec![DLT_LINUX_SLL, DLT_LINUX_SLL2])
    } else if !i.cooked && (arphrd == ARPHRD_ETHER || arphrd == ARPHRD_LOOPBACK) {
        if has(pkt::iface::IF_LOOPBACK) || has(pkt::iface::IF_WIRELESS) {
            (DLT_EN10MB, Vec::new())
        } else {
            (DLT_EN10MB, vec![DLT_EN10MB, DLT_DOCSIS])
        }
    } else {
        match c_int::from(pkt::dump::linktype::dlt_of(arphrd, false)) {
            DLT_RAW => (DLT_RAW, Vec::new()),
            _ => (DLT_LINUX_SLL, vec![DLT_LINUX_SLL, DLT_LINUX_SLL2]),
        }
    };
    i.linktype = linktype;
    i.dlts = dlts;
    i.snapshot = i.opt.snaplen;
    let _ = shared.ctl.set(Arc::clone(h.control()));
    if promisc {
        let d = String::from_utf8_lossy(&dev).into_owned();
        shared.ifdrop_last.store(if_drops(&d), Ordering::Relaxed);
        let _ = shared.ifdrop_dev.set(d);
    }
    i.src = Source::Live(Box::new(h));
    status
}

/// libpcap's status and message for a failed open.
fn open_error(i: &mut Inner, e: &pkt::Error) -> c_int {
    let errno = e.errno();
    match errno {
        Errno::ENODEV | Errno::ENXIO => {
            i.err.clear();
            PCAP_ERROR_NO_SUCH_DEVICE
        }
        Errno(libc::EPERM) | Errno(libc::EACCES) => {
            i.err.set(&errno_msg("socket", errno.0));
            PCAP_ERROR_PERM_DENIED
        }
        Errno::ENETDOWN => {
            i.err.clear();
            PCAP_ERROR_IFACE_NOT_UP
        }
        _ => {
            i.err.set(&e.to_string());
            PCAP_ERROR
        }
    }
}

// ---- questions --------------------------------------------------------------------------------

/// Runs `f` on an activated handle; `PCAP_ERROR_NOT_ACTIVATED` before activation.
///
/// # Safety
/// As [`parts`].
unsafe fn activated(p: *mut Pcap, f: impl FnOnce(&mut Inner) -> c_int) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        if !i.activated {
            return PCAP_ERROR_NOT_ACTIVATED;
        }
        f(i)
    })
}

/// The link type (`DLT_*`) of the handle's packets.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_datalink(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { activated(p, |i| i.linktype) }
}

/// A savefile's link-type extension bits (the FCS length field), without the link type: what
/// libpcap 1.10 returns.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_datalink_ext(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { activated(p, |i| i.linktype_ext as c_int) }
}

/// The snapshot length.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_snapshot(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { activated(p, |i| i.snapshot) }
}

/// Whether a savefile is in the other byte order than this host's.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_is_swapped(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        activated(p, |i| match &i.src {
            Source::Offline(sf) => c_int::from(sf.is_swapped()),
            _ => 0,
        })
    }
}

/// A savefile's major version (live and dead handles: 0, as libpcap's `sf.version_major`).
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_major_version(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        activated(p, |i| match &i.src {
            Source::Offline(sf) => sf.version().0,
            _ => 0,
        })
    }
}

/// A savefile's minor version.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_minor_version(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        activated(p, |i| match &i.src {
            Source::Offline(sf) => sf.version().1,
            _ => 0,
        })
    }
}

/// A savefile's `FILE *`; NULL for other handles.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_file(p: *mut Pcap) -> *mut libc::FILE {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        match unsafe { inner(p) }.map(|i| &i.src) {
            Some(Source::Offline(sf)) => sf.file(),
            _ => std::ptr::null_mut(),
        }
    })
}

/// The descriptor: the capture socket, or the savefile's; `PCAP_ERROR` for a dead handle.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_fileno(p: *mut Pcap) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        match unsafe { inner(p) }.map(|i| &i.src) {
            Some(Source::Live(h)) => h.control().fd(),
            // libpcap's savefile handle has no descriptor of its own (its fd is -1); only the
            // selectable descriptor is the file's.
            _ => PCAP_ERROR,
        }
    })
}

/// The descriptor to select/poll on: the socket (a savefile's descriptor for savefiles).
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_get_selectable_fd(p: *mut Pcap) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        match unsafe { inner(p) }.map(|i| &i.src) {
            Some(Source::Live(h)) => h.control().fd(),
            // SAFETY: the savefile's FILE is open while the handle is.
            Some(Source::Offline(sf)) => unsafe { libc::fileno(sf.file()) },
            _ => PCAP_ERROR,
        }
    })
}

/// NULL: on Linux the selectable descriptor always wakes when packets are ready (the block
/// retire timer), so no select timeout is required.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_get_required_select_timeout(p: *mut Pcap) -> *const libc::timeval {
    let _ = p;
    std::ptr::null()
}

/// Sets non-blocking mode: reads return 0 at once when no packet is ready.
///
/// # Safety
/// `p` is a handle from this library; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_setnonblock(p: *mut Pcap, nonblock: c_int, errbuf: *mut c_char) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        let msg = match i.src {
            Source::Live(_) | Source::Created => {
                i.opt.nonblock = nonblock != 0;
                return 0;
            }
            Source::Offline(_) => "Savefiles cannot be put into non-blocking mode",
            Source::Dead => DEAD_NONBLOCK,
        };
        i.err.set(msg);
        // SAFETY: errbuf per the contract.
        unsafe { put(errbuf, msg) };
        PCAP_ERROR
    })
}

/// Whether the handle is in non-blocking mode.
///
/// # Safety
/// `p` is a handle from this library; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_getnonblock(p: *mut Pcap, errbuf: *mut c_char) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        match unsafe { inner(p) } {
            None => PCAP_ERROR,
            Some(i) if !i.activated => {
                i.err.set("This handle hasn't been activated yet");
                PCAP_ERROR_NOT_ACTIVATED
            }
            Some(i) => match i.src {
                Source::Dead => {
                    i.err.set(DEAD_NONBLOCK);
                    // SAFETY: errbuf per the contract.
                    unsafe { put(errbuf, DEAD_NONBLOCK) };
                    PCAP_ERROR
                }
                // A savefile is never non-blocking (pcap_setnonblock refuses it).
                Source::Offline(_) => 0,
                _ => c_int::from(i.opt.nonblock),
            },
        }
    })
}

/// libpcap's words for the non-blocking mode of a `pcap_open_dead` handle.
const DEAD_NONBLOCK: &str = "A pcap_open_dead pcap_t does not have a non-blocking mode setting";

/// The link types the handle can be switched to (`*dlts`, freed with `pcap_free_datalinks`).
///
/// # Safety
/// `p` is a handle from this library; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_list_datalinks(p: *mut Pcap, out: *mut *mut c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        activated(p, |i| {
            let list = if i.dlts.is_empty() {
                vec![i.linktype]
            } else {
                i.dlts.clone()
            };
            // `out` is writable per the contract; the array is malloc'd for
            // `pcap_free_datalinks`.
            match malloc_ints(&list) {
                Some(a) => {
                    *out = a;
                    list.len() as c_int
                }
                None => {
                    i.err.set(&errno_msg("malloc", libc::ENOMEM));
                    PCAP_ERROR
                }
            }
        })
    }
}

/// A malloc'd copy of `v` (C frees it).
///
/// # Safety
/// None beyond the allocation: the caller hands the pointer to C.
pub(crate) unsafe fn malloc_ints(v: &[c_int]) -> Option<*mut c_int> {
    // SAFETY: malloc of at least one int; NULL is checked.
    let a = unsafe { libc::malloc(std::mem::size_of_val(v).max(1)) }.cast::<c_int>();
    if a.is_null() {
        return None;
    }
    // SAFETY: `a` has room for v.len() ints.
    unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), a, v.len()) };
    Some(a)
}

/// Frees a list from `pcap_list_datalinks`.
///
/// # Safety
/// `list` is NULL or from `pcap_list_datalinks`.
#[no_mangle]
pub unsafe extern "C" fn pcap_free_datalinks(list: *mut c_int) {
    // SAFETY: malloc'd by us (or NULL).
    unsafe { libc::free(list.cast()) }
}

/// Switches the link type to one of `pcap_list_datalinks` (SLL and SLL2 for cooked captures,
/// EN10MB and DOCSIS for Ethernet).
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_set_datalink(p: *mut Pcap, dlt: c_int) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        // Before activation libpcap has no list of link types and a link type of 0: only
        // DLT_NULL "matches" (returns 0); anything else is not supported by the device.
        if i.dlts.is_empty() || !i.activated {
            let current = if i.activated { i.linktype } else { 0 };
            if dlt == current && dlt >= 0 {
                return 0;
            }
        } else if i.dlts.contains(&dlt) {
            if matches!(i.src, Source::Live(_)) {
                i.linktype = dlt;
            }
            return 0;
        }
        let name = crate::names::pcap_datalink_val_to_name(dlt);
        let shown = if name.is_null() {
            format!("DLT {dlt}")
        } else {
            // SAFETY: a static NUL-terminated name.
            unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned()
        };
        i.err.set(&format!(
            "{shown} is not one of the DLTs supported by this device"
        ));
        PCAP_ERROR
    })
}

/// The settable time stamp types (`*out`, freed with `pcap_free_tstamp_types`); just
/// `PCAP_TSTAMP_HOST` when the device offers no choice.
///
/// # Safety
/// `p` is a handle from this library; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_list_tstamp_types(p: *mut Pcap, out: *mut *mut c_int) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        // A device offering no choice has host time stamps: a list of that one, as libpcap.
        let list = if i.tstamp_types.is_empty() {
            vec![PCAP_TSTAMP_HOST]
        } else {
            i.tstamp_types.clone()
        };
        // SAFETY: handed to C, freed by pcap_free_tstamp_types.
        match unsafe { malloc_ints(&list) } {
            Some(a) => {
                // SAFETY: `out` per the contract.
                unsafe { *out = a };
                list.len() as c_int
            }
            None => PCAP_ERROR,
        }
    })
}

/// Frees a list from `pcap_list_tstamp_types`.
///
/// # Safety
/// `list` is NULL or from `pcap_list_tstamp_types`.
#[no_mangle]
pub unsafe extern "C" fn pcap_free_tstamp_types(list: *mut c_int) {
    // SAFETY: malloc'd by us (or NULL).
    unsafe { libc::free(list.cast()) }
}

/// The handle's last error message (valid until the next call on the handle).
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_geterr(p: *mut Pcap) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        unsafe { inner(p) }.map_or(std::ptr::null_mut(), |i| i.err.0.as_mut_ptr())
    })
}

/// Prints "PREFIX: error" (or the error alone) on standard error.
///
/// # Safety
/// `p` is a handle from this library; `prefix` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_perror(p: *mut Pcap, prefix: *const c_char) {
    guard((), || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else { return };
        // SAFETY: per the contract.
        let line = match unsafe { cstr(prefix) } {
            Some(pre) => format!("{}: {}\n", pre.to_string_lossy(), i.err.text()),
            None => format!("{}\n", i.err.text()),
        };
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(line.as_bytes());
    })
}

/// Capture direction (`PCAP_D_INOUT`, `PCAP_D_IN`, `PCAP_D_OUT`), applied to the packets read.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_setdirection(p: *mut Pcap, d: c_int) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        if !i.activated {
            i.err.set("This handle hasn't been activated yet");
            return PCAP_ERROR_NOT_ACTIVATED;
        }
        match &i.src {
            Source::Live(_) if (PCAP_D_INOUT..=PCAP_D_OUT).contains(&d) => {
                i.direction = d;
                0
            }
            Source::Live(_) => {
                i.err.set("Invalid direction");
                PCAP_ERROR
            }
            Source::Dead => {
                i.err
                    .set("The packet direction cannot be set on a pcap_open_dead pcap_t");
                PCAP_ERROR
            }
            _ => {
                i.err.set("Setting direction is not supported on savefiles");
                PCAP_ERROR
            }
        }
    })
}

/// Makes the current or next `pcap_dispatch`/`pcap_loop` return `PCAP_ERROR_BREAK`.
/// Async-signal-safe (tcpdump calls it from its SIGINT handler): an atomic store and an
/// eventfd write that wakes a blocked read.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_breakloop(p: *mut Pcap) {
    if p.is_null() {
        return;
    }
    // SAFETY: only the shared part, which is built for use beside a reader.
    let shared = unsafe { &(*p).shared };
    shared.brk.store(true, Ordering::SeqCst);
    if let Some(ctl) = shared.ctl.get() {
        let _ = ctl.breakloop();
    }
}

/// Counters: packets received by the socket (drops included) and dropped for lack of ring
/// space, since activation, as libpcap's Linux code counts them (`PACKET_STATISTICS`).
///
/// # Safety
/// `p` is a handle from this library; `ps` is writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_stats(p: *mut Pcap, ps: *mut PcapStat) -> c_int {
    guard(PCAP_ERROR, || {
        if p.is_null() || ps.is_null() {
            return PCAP_ERROR;
        }
        // SAFETY: the shared part may be used beside a reader (a callback may call this).
        let shared = unsafe { &(*p).shared };
        match shared.ctl.get() {
            Some(ctl) => match ctl.stats(true) {
                Ok(s) => {
                    if let Some(dev) = shared.ifdrop_dev.get() {
                        let now = if_drops(dev);
                        let before = shared.ifdrop_last.swap(now, Ordering::Relaxed);
                        shared
                            .ifdrop
                            .fetch_add(now.wrapping_sub(before) as u32, Ordering::Relaxed);
                    }
                    let st = PcapStat {
                        ps_recv: s.recvs as c_uint,
                        ps_drop: s.drops as c_uint,
                        ps_ifdrop: shared.ifdrop.load(Ordering::Relaxed),
                    };
                    // SAFETY: `ps` is writable per the contract.
                    unsafe { ps.write(st) };
                    0
                }
                Err(e) => {
                    // SAFETY: forwarded contract.
                    if let Some(i) = unsafe { inner(p) } {
                        i.err.set(&errno_msg("pcap_stats", e.errno().0));
                    }
                    PCAP_ERROR
                }
            },
            None => {
                // SAFETY: forwarded contract.
                if let Some(i) = unsafe { inner(p) } {
                    match i.src {
                        Source::Offline(_) => i.err.set("Statistics aren't available from savefiles"),
                        Source::Dead => i
                            .err
                            .set("Statistics aren't available from a pcap_open_dead pcap_t"),
                        _ => {
                            i.err.set("This handle hasn't been activated yet");
                            return PCAP_ERROR_NOT_ACTIVATED;
                        }
                    }
                }
                PCAP_ERROR
            }
        }
    })
}

/// Sends a raw frame on the capture's interface; returns the bytes sent.
///
/// # Safety
/// `p` is a handle from this library; `buf` has `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_inject(p: *mut Pcap, buf: *const libc::c_void, size: usize) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return PCAP_ERROR;
        };
        let h = match &i.src {
            Source::Live(h) => h,
            Source::Created => {
                i.err.set("This handle hasn't been activated yet");
                return PCAP_ERROR_NOT_ACTIVATED;
            }
            Source::Offline(_) => {
                i.err.set("Sending packets isn't supported on savefiles");
                return PCAP_ERROR;
            }
            Source::Dead => {
                i.err.set("Packets can't be sent on a pcap_open_dead pcap_t");
                return PCAP_ERROR;
            }
        };
        if size == 0 {
            i.err
                .set("The number of bytes to be injected must not be zero: Message too long");
            return PCAP_ERROR;
        }
        if buf.is_null() {
            i.err.set("send: Bad address");
            return PCAP_ERROR;
        }
        if h.control().ifindex() <= 0 {
            i.err.set("Sending packets isn't supported on the \"any\" device");
            return PCAP_ERROR;
        }
        let bytes = if size == 0 {
            &[][..]
        } else {
            // SAFETY: `buf` has `size` bytes per the contract.
            unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), size) }
        };
        match h.control().write(bytes, 0, 0) {
            Ok(n) => n as c_int,
            Err(e) => {
                i.err.set(&errno_msg("send", e.errno().0));
                PCAP_ERROR
            }
        }
    })
}

/// `pcap_inject` returning 0 on success.
///
/// # Safety
/// As `pcap_inject`.
#[no_mangle]
pub unsafe extern "C" fn pcap_sendpacket(p: *mut Pcap, buf: *const u8, size: c_int) -> c_int {
    if size < 0 {
        // SAFETY: forwarded contract.
        if let Some(i) = unsafe { inner(p) } {
            i.err.set("The number of bytes to be sent must be positive");
        }
        return PCAP_ERROR;
    }
    // libpcap fails only on -1 (a handle not yet activated gives -3 from inject and 0 here).
    // SAFETY: forwarded contract.
    if unsafe { pcap_inject(p, buf.cast(), size as usize) } == PCAP_ERROR {
        PCAP_ERROR
    } else {
        0
    }
}

/// The size of the buffer one packet can use: the ring's frame (TPACKET_V3: libpcap's
/// 262144-byte "frame"), a savefile's record buffer as libpcap sizes it, 0 for a dead handle.
///
/// # Safety
/// `p` is a handle from this library.
#[no_mangle]
pub unsafe extern "C" fn pcap_bufsize(p: *mut Pcap) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        activated(p, |i| match &i.src {
            Source::Live(h) if h.control().config().immediate => h.geometry().1.frame_size as c_int,
            Source::Live(_) => MAXIMUM_SNAPLEN,
            Source::Offline(sf) => sf.bufsize(),
            _ => 0,
        })
    }
}

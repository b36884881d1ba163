//! Reading packets: `pcap_dispatch`, `pcap_loop`, `pcap_next` and `pcap_next_ex`, on a live
//! capture (libpkt's ring walk) or a savefile, with libpcap's counts and return values.

use std::ffi::c_int;
use std::sync::atomic::Ordering;

use pkt::packet::{vlan_valid, Info};
use pkt::Errno;

use crate::err::guard;
use crate::handle::{parts, Inner, Pcap, Shared, Source, DLT_LINUX_SLL, DLT_LINUX_SLL2};
use crate::types::*;

const PACKET_OUTGOING: u8 = 4;
const ETH_P_8021Q: u16 = 0x8100;
/// `TP_STATUS_VLAN_TPID_VALID`.
const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;

/// The most packets one unlimited `pcap_dispatch` hands over (libpcap: all that are ready).
const ALL: usize = i32::MAX as usize;

/// Where packets go: the C callback, or `pcap_next_ex`'s slot.
trait Sink {
    fn packet(&mut self, h: &PcapPkthdr, data: *const u8);
}

struct Callback {
    cb: unsafe extern "C" fn(*mut u8, *const PcapPkthdr, *const u8),
    user: *mut u8,
}

impl Sink for Callback {
    #[inline(always)]
    fn packet(&mut self, h: &PcapPkthdr, data: *const u8) {
        // SAFETY: the caller's callback with the caller's argument; the header and the bytes
        // stay valid during the call.
        unsafe { (self.cb)(self.user, h, data) }
    }
}

/// `pcap_next_ex`'s result: the header and where the bytes are.
struct Slot {
    hdr: Option<PcapPkthdr>,
    data: *const u8,
}

impl Sink for Slot {
    fn packet(&mut self, h: &PcapPkthdr, data: *const u8) {
        self.hdr = Some(*h);
        self.data = data;
    }
}

/// Where a packet's bytes are: for an empty record a real (one-byte) buffer, not the dangling
/// pointer of an empty slice, which some callers (gopacket) cannot take.
#[inline(always)]
fn bytes_ptr(data: &[u8]) -> *const u8 {
    static EMPTY: [u8; 1] = [0];
    if data.is_empty() {
        EMPTY.as_ptr()
    } else {
        data.as_ptr()
    }
}

fn timeval(sec: i64, nsec: u32, nano: bool) -> libc::timeval {
    libc::timeval {
        tv_sec: sec as libc::time_t,
        tv_usec: if nano { nsec } else { nsec / 1000 } as libc::suseconds_t,
    }
}

/// Builds the cooked header (and, for SLL, the VLAN tag libpcap inserts after it) followed by
/// the packet's bytes into `out`; returns the header's length.
fn cooked(out: &mut Vec<u8>, linktype: c_int, data: &[u8], info: &Info, halen: u8, addr: [u8; 8]) -> usize {
    out.clear();
    if linktype == DLT_LINUX_SLL2 {
        out.extend_from_slice(&info.protocol.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&info.ifindex.to_be_bytes());
        out.extend_from_slice(&info.linktype.to_be_bytes());
        out.push(info.pkttype);
        out.push(halen);
        out.extend_from_slice(&addr);
    } else {
        out.extend_from_slice(&u16::from(info.pkttype).to_be_bytes());
        out.extend_from_slice(&info.linktype.to_be_bytes());
        out.extend_from_slice(&u16::from(halen).to_be_bytes());
        out.extend_from_slice(&addr);
        if vlan_valid(info.status) {
            let tpid = if info.status & TP_STATUS_VLAN_TPID_VALID != 0 {
                info.vlan_tpid
            } else {
                ETH_P_8021Q
            };
            out.extend_from_slice(&tpid.to_be_bytes());
            out.extend_from_slice(&info.vlan_tci.to_be_bytes());
        }
        out.extend_from_slice(&info.protocol.to_be_bytes());
    }
    let hl = out.len();
    out.extend_from_slice(data);
    hl
}

/// Reads up to `max` live packets into `sink`; libpcap's return values.
fn live(shared: &Shared, i: &mut Inner, max: usize, batch: bool, sink: &mut impl Sink) -> c_int {
    let Source::Live(h) = &mut i.src else {
        return PCAP_ERROR;
    };
    // libpcap 1.10.3 notices a pending break only after handing over a packet that is ready,
    // or, blocking, when its poll wakes on the break's eventfd: so with a break pending the
    // first read does not block (and then, blocking with nothing ready, is the break).
    let pending = shared.brk.load(Ordering::SeqCst);
    let nonblock = i.opt.nonblock;
    let nano = i.opt.precision == PCAP_TSTAMP_PRECISION_NANO;
    let (direction, cooked_hdr, linktype, snapshot) = (i.direction, i.cooked, i.linktype, i.snapshot as u32);
    let cooked_hdr = cooked_hdr && (linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2);
    let user_filter = i.user_filter.as_deref();
    let scratch = &mut i.scratch;
    let mut n: c_int = 0;
    let mut poll = !nonblock && !pending;
    let mut left = max;
    loop {
        let mut each = |pk: pkt::Packet<'_>, halen: u8, addr: [u8; 8]| {
            let info = &pk.info;
            if direction != PCAP_D_INOUT {
                let out = info.pkttype == PACKET_OUTGOING;
                if (direction == PCAP_D_IN && out) || (direction == PCAP_D_OUT && !out) {
                    return;
                }
            }
            let (data, caplen, len) = if cooked_hdr {
                let hl = cooked(scratch, linktype, pk.data, info, halen, addr);
                let caplen = (scratch.len() as u32).min(snapshot);
                (&scratch[..], caplen, info.len + hl as u32)
            } else {
                (pk.data, info.caplen, info.len)
            };
            if let Some(prog) = user_filter {
                let meta = pkt_bpf::Meta {
                    len,
                    protocol: info.protocol,
                    pkttype: info.pkttype,
                    ifindex: info.ifindex,
                    hatype: info.linktype,
                    vlan_tci: info.vlan_tci,
                    vlan_present: vlan_valid(info.status),
                    vlan_tpid: info.vlan_tpid,
                    ..Default::default()
                };
                if pkt_bpf::run(prog, &data[..caplen as usize], &meta) == 0 {
                    return;
                }
            }
            let hdr = PcapPkthdr {
                ts: timeval(info.sec, info.nsec, nano),
                caplen,
                len,
            };
            sink.packet(&hdr, bytes_ptr(data));
            n += 1;
        };
        let r = if batch {
            h.read_batch_addr(poll, left, &mut each)
        } else {
            h.dispatch_addr(poll, left, &mut each)
        };
        match r {
            Ok(got) => {
                if got == 0 && n == 0 && (nonblock || !pending) {
                    // Nothing ready: non-blocking (or the timeout passed), a break stays
                    // pending, as libpcap's.
                    return 0;
                }
                if shared.brk.swap(false, Ordering::SeqCst) {
                    h.control().take_break();
                    return PCAP_ERROR_BREAK;
                }
                // Unlimited: everything that is ready, block after block.
                if got == 0 || max != ALL || batch {
                    return n;
                }
                left = max.saturating_sub(got);
                poll = false;
            }
            Err(e) if e.errno() == Errno::EINTR => {
                shared.brk.store(false, Ordering::SeqCst);
                return if n > 0 { n } else { PCAP_ERROR_BREAK };
            }
            Err(e) if e.errno() == Errno::EAGAIN => {
                // Blocking with a break pending and nothing ready: libpcap's poll wakes on
                // the break's eventfd.
                if n == 0 && pending && !nonblock && shared.brk.swap(false, Ordering::SeqCst) {
                    h.control().take_break();
                    return PCAP_ERROR_BREAK;
                }
                return n;
            }
            Err(e) => {
                if n > 0 {
                    return n;
                }
                match e.errno() {
                    Errno::ENODEV | Errno::ENXIO => i.err.set("The interface disappeared"),
                    Errno::ENETDOWN => i.err.set("The interface went down"),
                    _ => i.err.set(&e.to_string()),
                }
                return PCAP_ERROR;
            }
        }
    }
}

/// libpcap's `pcap_offline_read`: up to `cnt` packets that pass the filter (`cnt <= 0`: all);
/// 0 at the end of the file; -1 with the error (the count of a read that then failed is lost,
/// as in libpcap); -2 for a break before any packet.
fn offline(shared: &Shared, i: &mut Inner, cnt: c_int, sink: &mut impl Sink) -> c_int {
    let Source::Offline(sf) = &mut i.src else {
        return PCAP_ERROR;
    };
    let filter = i.user_filter.as_deref();
    let mut n: c_int = 0;
    loop {
        if shared.brk.load(Ordering::Relaxed) {
            if n == 0 {
                shared.brk.store(false, Ordering::SeqCst);
                return PCAP_ERROR_BREAK;
            }
            return n;
        }
        match sf.next() {
            Ok(Some(r)) => {
                let caplen = r.caplen.min(r.data.len() as u32);
                if let Some(prog) = filter {
                    if pkt_bpf::run_offline(prog, &r.data[..caplen as usize], r.len) == 0 {
                        continue;
                    }
                }
                let hdr = PcapPkthdr {
                    ts: libc::timeval {
                        tv_sec: r.sec as libc::time_t,
                        tv_usec: r.tv_usec as libc::suseconds_t,
                    },
                    caplen: r.caplen,
                    len: r.len,
                };
                sink.packet(&hdr, bytes_ptr(r.data));
                n += 1;
                if cnt > 0 && n >= cnt {
                    return n;
                }
            }
            Ok(None) => return n,
            Err(msg) => {
                i.err.set(&msg);
                return PCAP_ERROR;
            }
        }
    }
}

fn read(shared: &Shared, i: &mut Inner, cnt: c_int, batch: bool, sink: &mut impl Sink) -> c_int {
    match i.src {
        Source::Live(_) => {
            let max = if cnt <= 0 { ALL } else { cnt as usize };
            live(shared, i, max, batch, sink)
        }
        Source::Offline(_) => offline(shared, i, cnt, sink),
        Source::Created => {
            i.err.set("This handle hasn't been activated yet");
            PCAP_ERROR_NOT_ACTIVATED
        }
        Source::Dead => {
            i.err.set("Packets aren't available from a pcap_open_dead pcap_t");
            PCAP_ERROR
        }
    }
}

/// Hands up to `cnt` packets (`cnt <= 0`: all that are ready; a savefile's whole rest) to
/// `callback`. Returns the count; 0 when the packet buffer timeout passed with none, in
/// non-blocking mode with none ready, or at the end of a savefile; `PCAP_ERROR_BREAK` after
/// `pcap_breakloop`; `PCAP_ERROR` with `pcap_geterr`.
///
/// # Safety
/// `p` is a handle from this library; `callback` is a valid function.
#[no_mangle]
pub unsafe extern "C" fn pcap_dispatch(
    p: *mut Pcap,
    cnt: c_int,
    callback: PcapHandler,
    user: *mut u8,
) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some((shared, i)) = (unsafe { parts(p) }) else {
            return PCAP_ERROR;
        };
        let Some(cb) = callback else {
            i.err.set("NULL callback");
            return PCAP_ERROR;
        };
        read(shared, i, cnt, false, &mut Callback { cb, user })
    })
}

/// Hands packets to `callback` until `cnt` have been (`cnt <= 0`: forever, or to the end of a
/// savefile). Returns 0 when done, `PCAP_ERROR_BREAK` after `pcap_breakloop`, `PCAP_ERROR` on
/// an error.
///
/// # Safety
/// As `pcap_dispatch`.
#[no_mangle]
pub unsafe extern "C" fn pcap_loop(
    p: *mut Pcap,
    mut cnt: c_int,
    callback: PcapHandler,
    user: *mut u8,
) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some((shared, i)) = (unsafe { parts(p) }) else {
            return PCAP_ERROR;
        };
        let Some(cb) = callback else {
            i.err.set("NULL callback");
            return PCAP_ERROR;
        };
        let offline = matches!(i.src, Source::Offline(_));
        let mut sink = Callback { cb, user };
        loop {
            let n = loop {
                let n = read(shared, i, cnt, false, &mut sink);
                if n != 0 || offline {
                    break n;
                }
            };
            if n <= 0 {
                return n;
            }
            if cnt > 0 {
                cnt -= n;
                if cnt <= 0 {
                    return 0;
                }
            }
        }
    })
}

/// The next packet: 1 and `*hdr`/`*data` (valid until the next read on the handle); 0 when
/// the packet buffer timeout passed (or non-blocking with none ready); `PCAP_ERROR_BREAK` at
/// the end of a savefile or after `pcap_breakloop`; `PCAP_ERROR` on an error.
///
/// # Safety
/// `p` is a handle from this library; `hdr` and `data` are writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_next_ex(
    p: *mut Pcap,
    hdr: *mut *mut PcapPkthdr,
    data: *mut *const u8,
) -> c_int {
    guard(PCAP_ERROR, || {
        // SAFETY: forwarded contract.
        let Some((shared, i)) = (unsafe { parts(p) }) else {
            return PCAP_ERROR;
        };
        let mut slot = Slot {
            hdr: None,
            data: std::ptr::null(),
        };
        let offline = matches!(i.src, Source::Offline(_));
        let n = read(shared, i, 1, true, &mut slot);
        if offline && n == 0 {
            return PCAP_ERROR_BREAK;
        }
        if n <= 0 {
            return n;
        }
        let Some(h) = slot.hdr else { return PCAP_ERROR };
        i.hdr = h;
        // SAFETY: writable per the contract; the header lives in the handle.
        unsafe {
            *hdr = &mut i.hdr;
            *data = slot.data;
        }
        1
    })
}

/// The next packet's bytes (NULL on timeout, end of file or error), its header into `*h`.
///
/// # Safety
/// `p` is a handle from this library; `h` is writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_next(p: *mut Pcap, h: *mut PcapPkthdr) -> *const u8 {
    guard(std::ptr::null(), || {
        let mut hp: *mut PcapPkthdr = std::ptr::null_mut();
        let mut data: *const u8 = std::ptr::null();
        // SAFETY: forwarded contract; locals are writable.
        if unsafe { pcap_next_ex(p, &mut hp, &mut data) } != 1 {
            return std::ptr::null();
        }
        // SAFETY: `hp` points at the handle's header; `h` is writable per the contract.
        unsafe { h.write(*hp) };
        data
    })
}

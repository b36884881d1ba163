//! Writing savefiles: `pcap_dumper_t` is the `FILE *` itself, as in libpcap (programs rely on
//! `pcap_dump_file` and on `pcap_dump` taking it as its `u_char *user` argument), and the
//! bytes are libpcap's: the same file header and records for the same packets.

use std::ffi::{c_char, c_int, c_long, CStr};

use crate::cstdio::{self, stdout_stream};
use crate::err::{errno, errno_msg, guard};
use crate::handle::{inner, Inner, Pcap};
use crate::sf::linktype::dlt_to_linktype;
use crate::types::*;

const TCPDUMP_MAGIC: u32 = 0xa1b2_c3d4;
const NSEC_TCPDUMP_MAGIC: u32 = 0xa1b2_3c4d;
const KUZNETZOV_TCPDUMP_MAGIC: u32 = 0xa1b2_cd34;
const FMESQUITA_TCPDUMP_MAGIC: u32 = 0xa1b2_34cd;
const NAVTEL_TCPDUMP_MAGIC: u32 = 0xa12b_3c4d;

fn file_header(i: &Inner, linktype: u32) -> [u8; 24] {
    let nano = i.opt.precision == PCAP_TSTAMP_PRECISION_NANO;
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&(if nano { NSEC_TCPDUMP_MAGIC } else { TCPDUMP_MAGIC }).to_ne_bytes());
    h[4..6].copy_from_slice(&2u16.to_ne_bytes());
    h[6..8].copy_from_slice(&4u16.to_ne_bytes());
    // thiszone 0, sigfigs 0
    h[16..20].copy_from_slice(&(i.snapshot as u32).to_ne_bytes());
    h[20..24].copy_from_slice(&linktype.to_ne_bytes());
    h
}

/// # Safety
/// `f` is an open stream.
unsafe fn write_all(f: *mut libc::FILE, b: &[u8]) -> bool {
    // SAFETY: `b` is readable for its length; `f` open per the contract.
    unsafe { libc::fwrite(b.as_ptr().cast(), b.len(), 1, f) == 1 }
}

/// The link type to write, or the error.
fn linktype_for(i: &mut Inner, fname: &str) -> Option<u32> {
    if !i.activated {
        i.err.set(&format!(
            "{fname}: not-yet-activated pcap_t passed to pcap_dump_open"
        ));
        return None;
    }
    let lt = dlt_to_linktype(i.linktype);
    if lt == -1 {
        i.err.set(&format!(
            "{fname}: link-layer type {} isn't supported in savefiles",
            i.linktype
        ));
        return None;
    }
    Some(lt as u32 | i.linktype_ext)
}

/// Writes the header; the stream on success.
///
/// # Safety
/// `f` is an open stream that becomes the dumper's (closed here on failure unless stdout).
unsafe fn setup(i: &mut Inner, linktype: u32, f: *mut libc::FILE, fname: &str) -> *mut libc::FILE {
    let h = file_header(i, linktype);
    // SAFETY: `f` is open per the contract.
    if !unsafe { write_all(f, &h) } {
        i.err.set(&errno_msg(&format!("Can't write to {fname}"), errno()));
        // SAFETY: `f` is open and not stdout.
        if f != stdout_stream() {
            // SAFETY: ours to close.
            unsafe { cstdio::close(f) };
        }
        return std::ptr::null_mut();
    }
    f
}

/// # Safety
/// `s` is NULL or NUL-terminated.
unsafe fn name<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: per the contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}

/// Where a dumper writes: standard output ("-"), a file just opened (with its name as
/// messages show it), or nothing (the error is set).
enum Target {
    Failed,
    Stdout(u32),
    File(*mut libc::FILE, u32, String),
}

/// What `pcap_dump_open` and `pcap_dump_open_append` share: the link type to write, the name
/// checks in libpcap's order, and `fopen(fname, mode)` with a large buffer.
///
/// # Safety
/// `fname` is NULL or NUL-terminated.
unsafe fn open_target(i: &mut Inner, fname: *const c_char, mode: &CStr) -> Target {
    // SAFETY: per the contract.
    let fname_c = unsafe { name(fname) };
    let shown = fname_c
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_else(|| "(null)".into());
    let Some(lt) = linktype_for(i, &shown) else {
        return Target::Failed;
    };
    let Some(fname_c) = fname_c else {
        i.err.set("A null pointer was supplied as the file name");
        return Target::Failed;
    };
    if fname_c.to_bytes() == b"-" {
        return Target::Stdout(lt);
    }
    // SAFETY: both NUL-terminated.
    let f = unsafe { libc::fopen(fname_c.as_ptr(), mode.as_ptr()) };
    if f.is_null() {
        i.err.set(&errno_msg(&shown, errno()));
        return Target::Failed;
    }
    // SAFETY: just opened, no I/O yet.
    unsafe { cstdio::big_buffer(f) };
    Target::File(f, lt, shown)
}

/// Creates (or truncates) the savefile `fname` ("-": standard output) and writes its header:
/// the handle's link type, snapshot length and time stamp precision. NULL with `pcap_geterr`.
///
/// # Safety
/// `p` is a handle from this library; `fname` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_open(p: *mut Pcap, fname: *const c_char) -> *mut libc::FILE {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return std::ptr::null_mut();
        };
        // SAFETY: per the contract.
        let (f, lt, shown) = match unsafe { open_target(i, fname, c"wb") } {
            Target::Failed => return std::ptr::null_mut(),
            // SAFETY: stdout is open (or writes fail, reported as such).
            Target::Stdout(lt) => return unsafe { setup(i, lt, stdout_stream(), "standard output") },
            Target::File(f, lt, shown) => (f, lt, shown),
        };
        // SAFETY: `f` was just opened.
        unsafe { setup(i, lt, f, &shown) }
    })
}

/// `pcap_dump_open` on a stream the caller opened (the dumper owns it from then on).
///
/// # Safety
/// `p` is a handle from this library; `f` an open stream.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_fopen(p: *mut Pcap, f: *mut libc::FILE) -> *mut libc::FILE {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return std::ptr::null_mut();
        };
        let Some(lt) = linktype_for(i, "stream") else {
            return std::ptr::null_mut();
        };
        if f.is_null() {
            i.err.set("A null pointer was supplied as the file name");
            return std::ptr::null_mut();
        }
        // SAFETY: `f` is open per the contract.
        unsafe { setup(i, lt, f, "stream") }
    })
}

/// Opens `fname` to append records: a file that exists must be a pcap file of this host's
/// byte order with the handle's precision, version 2.4, link type and snapshot length; an
/// empty or new one gets the header.
///
/// # Safety
/// `p` is a handle from this library; `fname` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_open_append(p: *mut Pcap, fname: *const c_char) -> *mut libc::FILE {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let Some(i) = (unsafe { inner(p) }) else {
            return std::ptr::null_mut();
        };
        // SAFETY: per the contract.
        let (f, lt, shown) = match unsafe { open_target(i, fname, c"ab+") } {
            Target::Failed => return std::ptr::null_mut(),
            // SAFETY: stdout is open (or writes fail, reported as such).
            Target::Stdout(lt) => return unsafe { setup(i, lt, stdout_stream(), "standard output") },
            Target::File(f, lt, shown) => (f, lt, shown),
        };
        let fail = |i: &mut Inner, msg: String| {
            i.err.set(&msg);
            // SAFETY: ours to close.
            unsafe { cstdio::close(f) };
            std::ptr::null_mut()
        };
        let mut h = [0u8; 24];
        // SAFETY: `h` is writable; `f` open.
        let got = unsafe { libc::fread(h.as_mut_ptr().cast(), 1, h.len(), f) };
        if got != h.len() {
            // SAFETY: `f` open.
            if unsafe { libc::ferror(f) } != 0 {
                return fail(i, errno_msg(&shown, errno()));
            }
            if got > 0 {
                return fail(i, format!("{shown}: truncated pcap file header"));
            }
        }
        if got > 0 {
            let word = |o: usize| u32::from_ne_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
            let magic = word(0);
            let nano = i.opt.precision == PCAP_TSTAMP_PRECISION_NANO;
            match magic {
                TCPDUMP_MAGIC if nano => {
                    return fail(
                        i,
                        format!("{shown}: different time stamp precision, cannot append to file"),
                    )
                }
                NSEC_TCPDUMP_MAGIC if !nano => {
                    return fail(
                        i,
                        format!("{shown}: different time stamp precision, cannot append to file"),
                    )
                }
                TCPDUMP_MAGIC | NSEC_TCPDUMP_MAGIC => {}
                m if m == TCPDUMP_MAGIC.swap_bytes() || m == NSEC_TCPDUMP_MAGIC.swap_bytes() => {
                    return fail(i, format!("{shown}: different byte order, cannot append to file"))
                }
                KUZNETZOV_TCPDUMP_MAGIC | FMESQUITA_TCPDUMP_MAGIC | NAVTEL_TCPDUMP_MAGIC => {
                    return fail(i, format!("{shown}: not a pcap file to which we can append"))
                }
                m if m == KUZNETZOV_TCPDUMP_MAGIC.swap_bytes()
                    || m == FMESQUITA_TCPDUMP_MAGIC.swap_bytes()
                    || m == NAVTEL_TCPDUMP_MAGIC.swap_bytes() =>
                {
                    return fail(i, format!("{shown}: not a pcap file to which we can append"))
                }
                _ => return fail(i, format!("{shown}: not a pcap file")),
            }
            let (maj, min) = (u16::from_ne_bytes([h[4], h[5]]), u16::from_ne_bytes([h[6], h[7]]));
            if (maj, min) != (2, 4) {
                return fail(
                    i,
                    format!("{shown}: version is {maj}.{min}, cannot append to file"),
                );
            }
            if word(20) != lt {
                return fail(i, format!("{shown}: different linktype, cannot append to file"));
            }
            if word(16) != i.snapshot as u32 {
                return fail(i, format!("{shown}: different snaplen, cannot append to file"));
            }
        } else {
            let hdr = file_header(i, lt);
            // SAFETY: `f` open.
            if !unsafe { write_all(f, &hdr) } {
                return fail(i, errno_msg(&format!("Can't write to {shown}"), errno()));
            }
        }
        // SAFETY: `f` open.
        if unsafe { libc::fseek(f, 0, libc::SEEK_END) } == -1 {
            return fail(i, errno_msg(&format!("Can't seek to end of {shown}"), errno()));
        }
        f
    })
}

/// Writes one record: the header's time stamp (seconds and fraction as 32-bit words), captured
/// and wire lengths, then `caplen` bytes. `user` is the dumper (as `pcap_loop` passes it).
/// Errors are the stream's (`ferror`), as in libpcap.
///
/// # Safety
/// `user` is a dumper; `h` a header; `sp` has `h->caplen` bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump(user: *mut u8, h: *const PcapPkthdr, sp: *const u8) {
    guard((), || {
        let f = user.cast::<libc::FILE>();
        if f.is_null() || h.is_null() {
            return;
        }
        // SAFETY: `h` is a header per the contract.
        let h = unsafe { &*h };
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&(h.ts.tv_sec as u32).to_ne_bytes());
        rec[4..8].copy_from_slice(&(h.ts.tv_usec as u32).to_ne_bytes());
        rec[8..12].copy_from_slice(&h.caplen.to_ne_bytes());
        rec[12..16].copy_from_slice(&h.len.to_ne_bytes());
        let data: &[u8] = if h.caplen > 0 && !sp.is_null() {
            // SAFETY: `sp` has caplen bytes per the contract.
            unsafe { std::slice::from_raw_parts(sp, h.caplen as usize) }
        } else {
            &[]
        };
        // One record is the header then the bytes, never split by another thread's writes to
        // the same stream (libpcap's two fwrites can be).
        // SAFETY: `f` is the dumper's open stream.
        unsafe { cstdio::write2(f, &rec, data) };
    })
}

/// The dumper's stream.
#[no_mangle]
pub extern "C" fn pcap_dump_file(p: *mut libc::FILE) -> *mut libc::FILE {
    p
}

/// The position in the savefile (`ftell`).
///
/// # Safety
/// `p` is a dumper.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_ftell(p: *mut libc::FILE) -> c_long {
    // SAFETY: an open stream per the contract.
    unsafe { libc::ftell(p) }
}

/// The position in the savefile, 64 bits (`ftello`).
///
/// # Safety
/// `p` is a dumper.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_ftell64(p: *mut libc::FILE) -> i64 {
    // SAFETY: an open stream per the contract.
    unsafe { libc::ftello(p) }
}

/// Flushes the stream: 0, or -1 on a write error.
///
/// # Safety
/// `p` is a dumper.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_flush(p: *mut libc::FILE) -> c_int {
    // SAFETY: an open stream per the contract.
    if unsafe { libc::fflush(p) } == libc::EOF {
        -1
    } else {
        0
    }
}

/// Closes the savefile (standard output too, as libpcap).
///
/// # Safety
/// `p` is a dumper, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_close(p: *mut libc::FILE) {
    if !p.is_null() {
        // SAFETY: the dumper's open stream, closed once.
        unsafe { cstdio::close(p) };
    }
}

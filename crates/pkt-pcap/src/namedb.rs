//! `<pcap/namedb.h>`: libpcap's name lookups (hosts, networks, ports, protocols, Ethernet
//! addresses and `/etc/ethers`), on the C library's resolvers as libpcap 1.10's Linux build
//! calls them, and its `eproto_db` table. The values and the corner cases are libpcap's; where
//! libpcap writes past its buffers on malformed input (`pcap_ether_aton` on more than six
//! bytes or a trailing separator), this stops at the buffer's end or the string's.

use std::ffi::{c_char, c_int, CStr};
use std::ptr;

use crate::err::guard;

/// `PROTO_UNDEF`.
pub const PROTO_UNDEF: c_int = -1;

/// One entry of `eproto_db`: a name and an Ethernet type (libpcap's `struct eproto`).
#[repr(C)]
pub struct Eproto {
    s: *const c_char,
    p: u16,
}

// SAFETY: the entries point at string literals and are never written.
unsafe impl Sync for Eproto {}

const fn ep(s: &'static CStr, p: u16) -> Eproto {
    Eproto { s: s.as_ptr(), p }
}

/// libpcap's exported table of Ethernet type names (tcpdump once imported it), ended by a
/// NULL name.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static eproto_db: [Eproto; 13] = [
    ep(c"aarp", 0x80f3),
    ep(c"arp", 0x0806),
    ep(c"atalk", 0x809b),
    ep(c"decnet", 0x6003),
    ep(c"ip", 0x0800),
    ep(c"ip6", 0x86dd),
    ep(c"lat", 0x6004),
    ep(c"loopback", 0x9000),
    ep(c"mopdl", 0x6001),
    ep(c"moprc", 0x6002),
    ep(c"rarp", 0x8035),
    ep(c"sca", 0x6007),
    Eproto { s: ptr::null(), p: 0 },
];

/// libpcap's LLC SAP names.
const LLC_DB: [(&CStr, c_int); 4] = [(c"iso", 0xfe), (c"stp", 0x42), (c"ipx", 0xe0), (c"netbeui", 0xf0)];

/// `struct pcap_etherent`.
#[repr(C)]
pub struct PcapEtherent {
    pub addr: [u8; 6],
    pub name: [c_char; 122],
}

#[repr(C)]
struct Netent {
    n_name: *mut c_char,
    n_aliases: *mut *mut c_char,
    n_addrtype: c_int,
    n_net: u32,
}

extern "C" {
    fn gethostbyname(name: *const c_char) -> *mut libc::hostent;
    fn getnetbyname_r(
        name: *const c_char,
        result: *mut Netent,
        buf: *mut c_char,
        len: usize,
        out: *mut *mut Netent,
        h_errno: *mut c_int,
    ) -> c_int;
    fn getprotobyname_r(
        name: *const c_char,
        result: *mut libc::protoent,
        buf: *mut c_char,
        len: usize,
        out: *mut *mut libc::protoent,
    ) -> c_int;
    fn ether_hostton(name: *const c_char, addr: *mut [u8; 6]) -> c_int;
}

/// # Safety
/// `s` is NULL or NUL-terminated.
unsafe fn cstr<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: per the contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}

/// The host's IPv4 addresses (`gethostbyname`) in host byte order, as a NULL-terminated list
/// that the next call reuses; NULL when unknown. Not thread-safe (libpcap's is not either).
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoaddr(name: *const c_char) -> *mut *mut u32 {
    guard(ptr::null_mut(), || {
        // SAFETY: per the contract.
        if unsafe { cstr(name) }.is_none() {
            return ptr::null_mut();
        }
        // SAFETY: a NUL-terminated name; the result is the C library's static entry.
        let hp = unsafe { gethostbyname(name) };
        if hp.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: a hostent from the C library: a NULL-terminated list of 4-byte addresses,
        // turned to host byte order in place as libpcap does.
        unsafe {
            let list = (*hp).h_addr_list.cast::<*mut u32>();
            let mut p = list;
            while !(*p).is_null() {
                let a = (*p).read_unaligned();
                (*p).write_unaligned(u32::from_be(a));
                p = p.add(1);
            }
            list
        }
    })
}

/// `getaddrinfo(name)` for any family (the caller frees it with `freeaddrinfo`); NULL when
/// unknown.
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoaddrinfo(name: *const c_char) -> *mut libc::addrinfo {
    guard(ptr::null_mut(), || {
        // SAFETY: all-zero is a valid addrinfo (no pointers set).
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        hints.ai_protocol = libc::IPPROTO_TCP;
        let mut res = ptr::null_mut();
        // SAFETY: `name` per the contract (NULL is refused by getaddrinfo with a NULL
        // service); hints and res are valid.
        let e = unsafe { libc::getaddrinfo(name, ptr::null(), &hints, &mut res) };
        if e != 0 {
            ptr::null_mut()
        } else {
            res
        }
    })
}

/// The network number of a name in `/etc/networks` (`getnetbyname_r`), 0 when unknown.
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametonetaddr(name: *const c_char) -> u32 {
    guard(0, || {
        // SAFETY: per the contract.
        if unsafe { cstr(name) }.is_none() {
            return 0;
        }
        // SAFETY: all-zero is a valid netent.
        let mut ne: Netent = unsafe { std::mem::zeroed() };
        let mut buf = [0 as c_char; 1024];
        let (mut out, mut herr) = (ptr::null_mut(), 0);
        // SAFETY: valid buffers of the sizes given; `name` NUL-terminated.
        let e = unsafe { getnetbyname_r(name, &mut ne, buf.as_mut_ptr(), buf.len(), &mut out, &mut herr) };
        if e != 0 || out.is_null() {
            return 0;
        }
        // SAFETY: `out` points at `ne`, filled.
        unsafe { (*out).n_net }
    })
}

/// The port of a service for one protocol, or -1 (libpcap's loop over `getaddrinfo`); None
/// for a real error.
fn service_port(name: *const c_char, socktype: c_int, proto: c_int) -> Option<c_int> {
    // SAFETY: all-zero is a valid addrinfo.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_protocol = proto;
    let mut res = ptr::null_mut();
    // SAFETY: `name` is NUL-terminated (checked by the caller); hints and res valid.
    let e = unsafe { libc::getaddrinfo(ptr::null(), name, &hints, &mut res) };
    if e != 0 {
        return (e == libc::EAI_NONAME || e == libc::EAI_SERVICE).then_some(-1);
    }
    let mut port = -1;
    let mut ai = res;
    // SAFETY: the list getaddrinfo returned, walked to its end and freed once.
    unsafe {
        while !ai.is_null() {
            let a = (*ai).ai_addr;
            if !a.is_null() {
                match c_int::from((*a).sa_family) {
                    libc::AF_INET => {
                        port = c_int::from(u16::from_be((*a.cast::<libc::sockaddr_in>()).sin_port));
                        break;
                    }
                    libc::AF_INET6 => {
                        port = c_int::from(u16::from_be((*a.cast::<libc::sockaddr_in6>()).sin6_port));
                        break;
                    }
                    _ => {}
                }
            }
            ai = (*ai).ai_next;
        }
        libc::freeaddrinfo(res);
    }
    Some(port)
}

/// A service name's port and protocol (`IPPROTO_TCP`, `IPPROTO_UDP`, or `PROTO_UNDEF` when
/// both have it at the same port): 1, or 0 when unknown.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `port` and `proto` are writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoport(name: *const c_char, port: *mut c_int, proto: *mut c_int) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        if unsafe { cstr(name) }.is_none() || port.is_null() || proto.is_null() {
            return 0;
        }
        let Some(tcp) = service_port(name, libc::SOCK_STREAM, libc::IPPROTO_TCP) else {
            return 0;
        };
        let Some(udp) = service_port(name, libc::SOCK_DGRAM, libc::IPPROTO_UDP) else {
            return 0;
        };
        let (p, pr) = if tcp >= 0 {
            (
                tcp,
                if udp == tcp {
                    PROTO_UNDEF
                } else {
                    libc::IPPROTO_TCP
                },
            )
        } else if udp >= 0 {
            (udp, libc::IPPROTO_UDP)
        } else {
            return 0;
        };
        // SAFETY: writable per the contract.
        unsafe {
            *port = p;
            *proto = pr;
        }
        1
    })
}

/// "P1-P2" as two port numbers or names: 1 and the ports (protocol `PROTO_UNDEF` for numbers,
/// or the names' common protocol), 0 on failure.
///
/// # Safety
/// `name` is NULL or NUL-terminated; the outputs are writable.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoportrange(
    name: *const c_char,
    port1: *mut c_int,
    port2: *mut c_int,
    proto: *mut c_int,
) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let Some(s) = (unsafe { cstr(name) }) else {
            return 0;
        };
        if port1.is_null() || port2.is_null() || proto.is_null() {
            return 0;
        }
        let (mut p1, mut p2): (c_int, c_int) = (0, 0);
        // SAFETY: a NUL-terminated string and a format taking two ints, as libpcap.
        let n = unsafe {
            libc::sscanf(
                name,
                c"%d-%d".as_ptr(),
                &mut p1 as *mut c_int,
                &mut p2 as *mut c_int,
            )
        };
        if n == 2 {
            // SAFETY: writable per the contract.
            unsafe {
                *port1 = p1;
                *port2 = p2;
                *proto = PROTO_UNDEF;
            }
            return 1;
        }
        let b = s.to_bytes();
        let Some(dash) = b.iter().position(|&c| c == b'-') else {
            return 0;
        };
        let (Ok(a), Ok(z)) = (
            std::ffi::CString::new(&b[..dash]),
            std::ffi::CString::new(&b[dash + 1..]),
        ) else {
            return 0;
        };
        // SAFETY: NUL-terminated names; the outputs are writable per the contract.
        unsafe {
            if pcap_nametoport(a.as_ptr(), port1, proto) == 0 {
                return 0;
            }
            let first = *proto;
            if pcap_nametoport(z.as_ptr(), port2, proto) == 0 {
                return 0;
            }
            if *proto != first {
                *proto = PROTO_UNDEF;
            }
        }
        1
    })
}

/// An IP protocol's number from `/etc/protocols`, `PROTO_UNDEF` when unknown (0 when the
/// lookup itself failed, as libpcap).
///
/// # Safety
/// `s` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoproto(s: *const c_char) -> c_int {
    guard(PROTO_UNDEF, || {
        // SAFETY: per the contract.
        if unsafe { cstr(s) }.is_none() {
            return PROTO_UNDEF;
        }
        // SAFETY: all-zero is a valid protoent.
        let mut pe: libc::protoent = unsafe { std::mem::zeroed() };
        let mut buf = [0 as c_char; 1024];
        let mut out = ptr::null_mut();
        // SAFETY: valid buffers of the sizes given; `s` NUL-terminated.
        if unsafe { getprotobyname_r(s, &mut pe, buf.as_mut_ptr(), buf.len(), &mut out) } != 0 {
            return 0;
        }
        if out.is_null() {
            return PROTO_UNDEF;
        }
        // SAFETY: `out` points at `pe`, filled.
        unsafe { (*out).p_proto }
    })
}

/// An Ethernet type's value from [`eproto_db`], `PROTO_UNDEF` when not there.
///
/// # Safety
/// `s` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoeproto(s: *const c_char) -> c_int {
    guard(PROTO_UNDEF, || {
        // SAFETY: per the contract.
        let Some(s) = (unsafe { cstr(s) }) else {
            return PROTO_UNDEF;
        };
        eproto_db
            .iter()
            .take_while(|e| !e.s.is_null())
            // SAFETY: the table's names are string literals.
            .find(|e| unsafe { CStr::from_ptr(e.s) } == s)
            .map_or(PROTO_UNDEF, |e| c_int::from(e.p))
    })
}

/// An LLC SAP's value (`iso`, `stp`, `ipx`, `netbeui`), `PROTO_UNDEF` otherwise.
///
/// # Safety
/// `s` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametollc(s: *const c_char) -> c_int {
    guard(PROTO_UNDEF, || {
        // SAFETY: per the contract.
        let Some(s) = (unsafe { cstr(s) }) else {
            return PROTO_UNDEF;
        };
        LLC_DB
            .iter()
            .find(|(n, _)| *n == s)
            .map_or(PROTO_UNDEF, |&(_, v)| v)
    })
}

/// libpcap's `xdtoi`: a hex digit's value (other characters as libpcap computes them).
fn xdtoi(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    }
}

/// Parses an Ethernet address ("0:1:2:3:4:5", "00-01-02-03-04-05", "0001.0203.0405" and their
/// mixes) into 6 new bytes (`malloc`; the caller frees them); NULL when out of memory. As
/// libpcap it assumes the text is well formed; unlike libpcap it never writes past 6 bytes
/// nor reads past the string.
///
/// # Safety
/// `s` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_ether_aton(s: *const c_char) -> *mut u8 {
    guard(ptr::null_mut(), || {
        // SAFETY: per the contract.
        let Some(s) = (unsafe { cstr(s) }) else {
            return ptr::null_mut();
        };
        let mut out = [0u8; 6];
        let (b, mut k, mut n) = (s.to_bytes(), 0, 0);
        while k < b.len() && n < out.len() {
            if matches!(b[k], b':' | b'.' | b'-') {
                k += 1;
                if k == b.len() {
                    break;
                }
            }
            let mut d = xdtoi(b[k]);
            k += 1;
            if k < b.len() && b[k].is_ascii_hexdigit() {
                d = (d << 4) | xdtoi(b[k]);
                k += 1;
            }
            out[n] = d;
            n += 1;
        }
        // SAFETY: plain allocation, the caller's to free.
        let e = unsafe { libc::malloc(6) }.cast::<u8>();
        if !e.is_null() {
            // SAFETY: 6 writable bytes.
            unsafe { ptr::copy_nonoverlapping(out.as_ptr(), e, 6) };
        }
        e
    })
}

/// The Ethernet address of a host name in `/etc/ethers` (`ether_hostton`), as 6 new bytes
/// (`malloc`; the caller frees them); NULL when unknown.
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn pcap_ether_hostton(name: *const c_char) -> *mut u8 {
    guard(ptr::null_mut(), || {
        // SAFETY: per the contract.
        let Some(n) = (unsafe { cstr(name) }) else {
            return ptr::null_mut();
        };
        // libpcap copies the name into 1024 bytes first (truncating it).
        let b = n.to_bytes();
        let mut namebuf = [0 as c_char; 1024];
        for (d, &c) in namebuf.iter_mut().zip(&b[..b.len().min(1023)]) {
            *d = c as c_char;
        }
        let mut a = [0u8; 6];
        // SAFETY: a NUL-terminated name and a 6-byte address.
        if unsafe { ether_hostton(namebuf.as_ptr(), &mut a) } != 0 {
            return ptr::null_mut();
        }
        // SAFETY: plain allocation, the caller's to free.
        let e = unsafe { libc::malloc(6) }.cast::<u8>();
        if !e.is_null() {
            // SAFETY: 6 writable bytes.
            unsafe { ptr::copy_nonoverlapping(a.as_ptr(), e, 6) };
        }
        e
    })
}

thread_local! {
    static ETHERENT: std::cell::UnsafeCell<PcapEtherent> =
        const { std::cell::UnsafeCell::new(PcapEtherent { addr: [0; 6], name: [0; 122] }) };
}

/// The next entry of an `/etc/ethers`-format stream: an address and a name per line, `#`
/// comments, lines that do not start with an address skipped, names cut at 121 bytes; NULL at
/// the end of the stream (also for an entry the stream ends in). The entry is overwritten by
/// the next call on the same thread (libpcap's is one static entry).
///
/// # Safety
/// `fp` is an open stream.
#[no_mangle]
pub unsafe extern "C" fn pcap_next_etherent(fp: *mut libc::FILE) -> *mut PcapEtherent {
    guard(ptr::null_mut(), || {
        if fp.is_null() {
            return ptr::null_mut();
        }
        let mut e = PcapEtherent {
            addr: [0; 6],
            name: [0; 122],
        };
        // SAFETY: an open stream per the contract.
        if !unsafe { next_etherent(fp, &mut e) } {
            return ptr::null_mut();
        }
        ETHERENT.with(|slot| {
            let p = slot.get();
            // SAFETY: this thread's entry; the pointer the previous call returned is
            // superseded, as libpcap's static entry is.
            unsafe { p.write(e) };
            p
        })
    })
}

/// libpcap's parser of one entry; false at end of file.
///
/// # Safety
/// `fp` is an open stream.
unsafe fn next_etherent(fp: *mut libc::FILE, e: &mut PcapEtherent) -> bool {
    let getc = || {
        // SAFETY: `fp` is an open stream per the contract.
        unsafe { libc::fgetc(fp) }
    };
    let is_hex = |c: c_int| u8::try_from(c).is_ok_and(|c| c.is_ascii_hexdigit());
    let skip_space = || loop {
        let c = getc();
        if c != c_int::from(b' ') && c != c_int::from(b'\t') && c != c_int::from(b'\r') {
            return c;
        }
    };
    let skip_line = || loop {
        let c = getc();
        if c == c_int::from(b'\n') || c == libc::EOF {
            return c;
        }
    };
    let space = |c: c_int| [b' ', b'\t', b'\r', b'\n'].iter().any(|&s| c == c_int::from(s));
    loop {
        let mut c = skip_space();
        if c == libc::EOF {
            return false;
        }
        if c == c_int::from(b'\n') {
            continue;
        }
        if !is_hex(c) {
            if skip_line() == libc::EOF {
                return false;
            }
            continue;
        }
        for i in 0..6 {
            let mut d = xdtoi(c as u8);
            c = getc();
            if c == libc::EOF {
                return false;
            }
            if is_hex(c) {
                d = (d << 4) | xdtoi(c as u8);
                c = getc();
                if c == libc::EOF {
                    return false;
                }
            }
            e.addr[i] = d;
            if c != c_int::from(b':') {
                break;
            }
            c = getc();
            if c == libc::EOF {
                return false;
            }
        }
        if !space(c) {
            if skip_line() == libc::EOF {
                return false;
            }
            continue;
        }
        c = skip_space();
        if c == libc::EOF {
            return false;
        }
        if c == c_int::from(b'\n') {
            continue;
        }
        if c == c_int::from(b'#') {
            if skip_line() == libc::EOF {
                return false;
            }
            continue;
        }
        let mut k = 0;
        let mut left = e.name.len() - 1;
        loop {
            e.name[k] = c as u8 as c_char;
            k += 1;
            c = getc();
            if c == libc::EOF {
                return false;
            }
            left -= 1;
            if space(c) || left == 0 {
                break;
            }
        }
        e.name[k] = 0;
        if c != c_int::from(b'\n') {
            skip_line();
        }
        return true;
    }
}

//! Interfaces: `pcap_findalldevs` (libpkt's list, in libpcap's order and with its flags),
//! `pcap_lookupdev`, `pcap_lookupnet`.

use std::ffi::{c_char, c_int, CStr, CString};

use pkt::iface::{Iface, SockAddr};

use crate::err::{guard, put};
use crate::types::*;

/// A malloc'd copy of a C string.
fn c_strdup(s: &[u8]) -> *mut c_char {
    let Ok(c) = CString::new(s) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `c` is NUL-terminated; strdup mallocs a copy or returns NULL.
    unsafe { libc::strdup(c.as_ptr()) }
}

/// A malloc'd `sockaddr` for `a` (freed by `pcap_freealldevs`).
fn sockaddr(a: &SockAddr) -> *mut libc::sockaddr {
    // SAFETY: zeroed storage is a valid sockaddr of each kind, filled in below; NULL checked.
    unsafe {
        match a {
            SockAddr::V4(ip) => {
                let p = libc::calloc(1, std::mem::size_of::<libc::sockaddr_in>()).cast::<libc::sockaddr_in>();
                if !p.is_null() {
                    (*p).sin_family = libc::AF_INET as libc::sa_family_t;
                    (*p).sin_addr.s_addr = u32::from_ne_bytes(ip.octets());
                }
                p.cast()
            }
            SockAddr::V6 { ip, scope_id } => {
                let p =
                    libc::calloc(1, std::mem::size_of::<libc::sockaddr_in6>()).cast::<libc::sockaddr_in6>();
                if !p.is_null() {
                    (*p).sin6_family = libc::AF_INET6 as libc::sa_family_t;
                    (*p).sin6_addr.s6_addr = ip.octets();
                    (*p).sin6_scope_id = *scope_id;
                }
                p.cast()
            }
            SockAddr::Link(l) => {
                let p = libc::calloc(1, std::mem::size_of::<libc::sockaddr_ll>()).cast::<libc::sockaddr_ll>();
                if !p.is_null() {
                    (*p).sll_family = libc::AF_PACKET as u16;
                    (*p).sll_ifindex = l.ifindex;
                    (*p).sll_hatype = l.hatype;
                    (*p).sll_pkttype = l.pkttype;
                    (*p).sll_halen = l.halen;
                    (*p).sll_addr = l.addr;
                }
                p.cast()
            }
        }
    }
}

fn opt_sockaddr(a: &Option<SockAddr>) -> *mut libc::sockaddr {
    a.as_ref().map_or(std::ptr::null_mut(), sockaddr)
}

/// One malloc'd `pcap_if_t` for `f` (its `next` NULL).
fn node(f: &Iface) -> *mut PcapIf {
    let mut addrs: *mut PcapAddr = std::ptr::null_mut();
    for a in f.addresses.iter().rev() {
        // SAFETY: calloc; NULL checked; the node is filled before it is linked.
        let n = unsafe { libc::calloc(1, std::mem::size_of::<PcapAddr>()) }.cast::<PcapAddr>();
        if n.is_null() {
            continue;
        }
        // SAFETY: `n` is a fresh, zeroed PcapAddr.
        unsafe {
            (*n).addr = sockaddr(&a.addr);
            (*n).netmask = opt_sockaddr(&a.netmask);
            (*n).broadaddr = opt_sockaddr(&a.broadaddr);
            (*n).dstaddr = opt_sockaddr(&a.dstaddr);
            (*n).next = addrs;
        }
        addrs = n;
    }
    // SAFETY: calloc; NULL checked.
    let d = unsafe { libc::calloc(1, std::mem::size_of::<PcapIf>()) }.cast::<PcapIf>();
    if d.is_null() {
        return d;
    }
    // SAFETY: `d` is a fresh, zeroed PcapIf.
    unsafe {
        (*d).name = c_strdup(&f.name);
        (*d).description = f
            .description
            .map_or(std::ptr::null_mut(), |s| c_strdup(s.as_bytes()));
        (*d).addresses = addrs;
        (*d).flags = f.flags;
    }
    d
}

/// The interfaces one can capture on, "any" included, in libpcap's order (up and running
/// first, loopback last among equals) with its flags and addresses. `*alldevsp` is freed with
/// `pcap_freealldevs`. Returns 0, or `PCAP_ERROR` with `errbuf`.
///
/// # Safety
/// `alldevsp` is writable; `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_findalldevs(alldevsp: *mut *mut PcapIf, errbuf: *mut c_char) -> c_int {
    guard(PCAP_ERROR, || {
        if alldevsp.is_null() {
            return PCAP_ERROR;
        }
        match pkt::iface::list() {
            Ok(mut list) => {
                add_sources(&mut list);
                let mut head: *mut PcapIf = std::ptr::null_mut();
                for f in list.iter().rev() {
                    let d = node(f);
                    if d.is_null() {
                        continue;
                    }
                    // SAFETY: `d` is ours.
                    unsafe { (*d).next = head };
                    head = d;
                }
                // SAFETY: writable per the contract.
                unsafe { *alldevsp = head };
                0
            }
            Err(e) => {
                // SAFETY: errbuf per the contract.
                unsafe { put(errbuf, &e.to_string()) };
                PCAP_ERROR
            }
        }
    })
}

/// The capture sources Debian's libpcap lists beside the network interfaces (its Bluetooth
/// monitor, netfilter and D-Bus modules). libpkt does not capture from them (activation says
/// so), but they are listed as libpcap lists them, so that device lists and the numbers of
/// `tcpdump -D` stay those of libpcap.
pub(crate) const OTHER_SOURCES: [(&str, &str, u32); 5] = [
    (
        "bluetooth-monitor",
        "Bluetooth Linux Monitor",
        pkt::iface::IF_WIRELESS | NA,
    ),
    ("nflog", "Linux netfilter log (NFLOG) interface", NA),
    ("nfqueue", "Linux netfilter queue (NFQUEUE) interface", NA),
    ("dbus-system", "D-Bus system bus", NA),
    ("dbus-session", "D-Bus session bus", NA),
];

const NA: u32 = pkt::iface::IF_CONNECTION_STATUS_NOT_APPLICABLE;

/// Inserts [`OTHER_SOURCES`] as libpcap's `add_dev` does: before the first entry of a greater
/// figure of merit. The netfilter ones only where the kernel has netfilter netlink (as
/// libpcap's `netfilter_findalldevs`).
fn add_sources(list: &mut Vec<Iface>) {
    // SAFETY: socket(2) with constant arguments; the descriptor is closed at once.
    let nf = unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_NETFILTER,
        );
        if fd >= 0 {
            libc::close(fd);
            true
        } else {
            let e = crate::err::errno();
            e != libc::EAFNOSUPPORT && e != libc::EPROTONOSUPPORT
        }
    };
    for (name, descr, flags) in OTHER_SOURCES {
        if !nf && name.starts_with("nf") {
            continue;
        }
        let dev = Iface {
            name: name.as_bytes().to_vec(),
            description: Some(descr),
            index: 0,
            flags,
            arphrd: 0xffff,
            dlt: 0,
            addresses: Vec::new(),
        };
        let merit = pkt::iface::figure_of_merit(&dev);
        let at = list
            .iter()
            .position(|d| merit < pkt::iface::figure_of_merit(d))
            .unwrap_or(list.len());
        list.insert(at, dev);
    }
}

/// Frees a list from `pcap_findalldevs`.
///
/// # Safety
/// `alldevs` is NULL or from `pcap_findalldevs`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pcap_freealldevs(alldevs: *mut PcapIf) {
    guard((), || {
        let mut d = alldevs;
        while !d.is_null() {
            // SAFETY: every node and what it points at was malloc'd by `node`.
            unsafe {
                let next = (*d).next;
                let mut a = (*d).addresses;
                while !a.is_null() {
                    let an = (*a).next;
                    libc::free((*a).addr.cast());
                    libc::free((*a).netmask.cast());
                    libc::free((*a).broadaddr.cast());
                    libc::free((*a).dstaddr.cast());
                    libc::free(a.cast());
                    a = an;
                }
                libc::free((*d).name.cast());
                libc::free((*d).description.cast());
                libc::free(d.cast());
                d = next;
            }
        }
    })
}

thread_local! {
    static LOOKUPDEV: std::cell::RefCell<CString> = std::cell::RefCell::new(CString::default());
}

/// The first device of `pcap_findalldevs` that is not "any" or loopback (deprecated in
/// libpcap, kept for old programs); NULL with `errbuf` when there is none.
///
/// # Safety
/// `errbuf` has PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_lookupdev(errbuf: *mut c_char) -> *mut c_char {
    if crate::misc::INITIALIZED.load(std::sync::atomic::Ordering::SeqCst) {
        // SAFETY: errbuf per the contract.
        unsafe {
            put(
                errbuf,
                "pcap_lookupdev() is deprecated and is not supported in programs calling pcap_init()",
            )
        };
        return std::ptr::null_mut();
    }
    guard(std::ptr::null_mut(), || match pkt::iface::default_iface() {
        Ok(name) => LOOKUPDEV.with(|b| {
            *b.borrow_mut() = CString::new(name).unwrap_or_default();
            b.borrow().as_ptr().cast_mut()
        }),
        Err(_) => {
            // SAFETY: errbuf per the contract.
            unsafe { put(errbuf, "no suitable device found") };
            std::ptr::null_mut()
        }
    })
}

/// The IPv4 network and netmask of `device`, in network byte order (as libpcap).
///
/// # Safety
/// `device` is NULL or NUL-terminated; `netp`, `maskp` writable; `errbuf` has
/// PCAP_ERRBUF_SIZE bytes.
#[no_mangle]
pub unsafe extern "C" fn pcap_lookupnet(
    device: *const c_char,
    netp: *mut u32,
    maskp: *mut u32,
    errbuf: *mut c_char,
) -> c_int {
    guard(PCAP_ERROR, || {
        let name = if device.is_null() {
            None
        } else {
            // SAFETY: NUL-terminated per the contract.
            Some(unsafe { CStr::from_ptr(device) }.to_bytes())
        };
        // libpcap asks the kernel about "" too (libpkt takes it as "any"): no such device.
        let result = if name == Some(&b""[..]) {
            Err(pkt::Error::new(pkt::Errno::ENODEV, "SIOCGIFADDR"))
        } else {
            pkt::iface::lookupnet(name)
        };
        match result {
            Ok((net, mask)) => {
                // SAFETY: writable per the contract.
                unsafe {
                    if !netp.is_null() {
                        *netp = u32::from_ne_bytes(net.octets());
                    }
                    if !maskp.is_null() {
                        *maskp = u32::from_ne_bytes(mask.octets());
                    }
                }
                0
            }
            Err(e) => {
                let dev = name
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                let msg = match e.errno() {
                    pkt::Errno(libc::EADDRNOTAVAIL) => format!("{dev}: no IPv4 address assigned"),
                    er => crate::err::errno_msg(&format!("SIOCGIFADDR: {dev}"), er.0),
                };
                // SAFETY: errbuf per the contract.
                unsafe { put(errbuf, &msg) };
                PCAP_ERROR
            }
        }
    })
}

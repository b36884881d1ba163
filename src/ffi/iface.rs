//! Interfaces over the C ABI: the list (`pkt_iface_list`, libpcap's `pcap_findalldevs`), an
//! interface's IPv4 network (`pkt_lookupnet`) and the default interface (`pkt_default_iface`).
//!
//! The list is built in Rust ([`crate::iface::list`]) and copied into C structs here, each node,
//! name and socket address its own allocation, so that `pkt_iface_list_free` walks and frees it
//! as `pcap_freealldevs` does.

use std::ffi::{c_char, c_int, CString};
use std::mem::size_of;
use std::ptr::null_mut;

use super::boundary::{einval, guard, guard_int, opt_bytes, put};
use crate::error::{Errno, Error};
use crate::iface::{self, Iface, SockAddr};

/// `pkt_iface_t.flags`: a loopback interface. The `PKT_IF_*` values are libpcap's `PCAP_IF_*`.
pub const PKT_IF_LOOPBACK: u32 = 0x0000_0001;
/// `pkt_iface_t.flags`: the interface is up (IFF_UP).
pub const PKT_IF_UP: u32 = 0x0000_0002;
/// `pkt_iface_t.flags`: the interface is running (IFF_RUNNING: up and its link operational).
pub const PKT_IF_RUNNING: u32 = 0x0000_0004;
/// `pkt_iface_t.flags`: a wireless interface (a sysfs `wireless` directory, or an IEEE 802.11,
/// 802.15.4, 6LoWPAN or IrDA link type).
pub const PKT_IF_WIRELESS: u32 = 0x0000_0008;
/// `pkt_iface_t.flags`: the bits of the connection status, one of the four values below.
pub const PKT_IF_CONNECTION_STATUS: u32 = 0x0000_0030;
/// Connection status: not known (the driver's link state could not be read).
pub const PKT_IF_CONNECTION_STATUS_UNKNOWN: u32 = 0x0000_0000;
/// Connection status: connected (the driver reports a link; for wireless: associated).
pub const PKT_IF_CONNECTION_STATUS_CONNECTED: u32 = 0x0000_0010;
/// Connection status: disconnected (no link: no carrier, or the interface is down).
pub const PKT_IF_CONNECTION_STATUS_DISCONNECTED: u32 = 0x0000_0020;
/// Connection status: does not apply (loopback, "any", drivers that have no link state).
pub const PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE: u32 = 0x0000_0030;

/// Bytes that always hold an interface name and its terminating NUL (Linux `IFNAMSIZ`).
pub const PKT_IFNAMSIZ: usize = 16;

/// One address of an interface, in a list linked by `next`. The same layout as libpcap's
/// `pcap_addr_t`.
///
/// Each pointer is NULL when absent, or points to a `struct sockaddr_in` (`AF_INET`),
/// `struct sockaddr_in6` (`AF_INET6`, with `sin6_scope_id` set for link-local addresses) or
/// `struct sockaddr_ll` (`AF_PACKET`: the link-layer address, with `sll_ifindex`,
/// `sll_hatype` and `sll_halen`; at most 8 address bytes); read `sa_family` first.
#[repr(C)]
pub struct pkt_iface_addr {
    /// The interface's next address; NULL after the last.
    pub next: *mut pkt_iface_addr,
    /// The address; never NULL.
    pub addr: *const libc::sockaddr,
    /// Its netmask (IPv4 and IPv6; NULL for link-layer addresses).
    pub netmask: *const libc::sockaddr,
    /// The broadcast address, on interfaces that can broadcast (IFF_BROADCAST), else NULL. As
    /// in libpcap, for an address with a peer (`ip addr add A peer B`) on such an interface this
    /// is the peer.
    pub broadaddr: *const libc::sockaddr,
    /// The destination (peer) address, on point-to-point interfaces (IFF_POINTOPOINT), else
    /// NULL.
    pub dstaddr: *const libc::sockaddr,
}

/// One address of an interface (see `struct pkt_iface_addr`).
pub type pkt_iface_addr_t = pkt_iface_addr;

/// One interface of the list `pkt_iface_list()` returns, linked by `next`. Its first five
/// fields have the layout of libpcap's `pcap_if_t`; `index`, `arphrd` and `dlt` follow.
/// Everything it points to belongs to the list: read it, never change or free parts of it.
#[repr(C)]
pub struct pkt_iface {
    /// The next interface; NULL after the last.
    pub next: *mut pkt_iface,
    /// The name, NUL-terminated: the bytes the kernel has, which need not be UTF-8. Pass it to
    /// `pkt_open()` as it is.
    pub name: *const c_char,
    /// A description: "Pseudo-device that captures on all interfaces" for "any", NULL for the
    /// others (Linux has none).
    pub description: *const c_char,
    /// The addresses, NULL if none: link layer (AF_PACKET) first, then IPv4, then IPv6, each
    /// family in the kernel's order.
    pub addresses: *mut pkt_iface_addr_t,
    /// `PKT_IF_*` flags: up, running, loopback, wireless, and a connection status
    /// (`flags & PKT_IF_CONNECTION_STATUS`).
    pub flags: u32,
    /// The interface index (`if_nametoindex`); 0 for "any".
    pub index: i32,
    /// The link type (ARPHRD_*, as `pkt_info_t.linktype`; loopback is 772 here); for "any"
    /// `PKT_LINKTYPE_NONE`.
    pub arphrd: u16,
    /// The pcap link type a capture with the default configuration records, what `pkt_dlt()`
    /// says of a handle opened on the interface: `PKT_DLT_EN10MB` for Ethernet and loopback,
    /// `PKT_DLT_LINUX_SLL2` for every other type and for "any" (libpkt captures those cooked).
    pub dlt: u16,
}

/// One interface (see `struct pkt_iface`).
pub type pkt_iface_t = pkt_iface;

/// Storage for one socket address of the families in the list.
#[repr(C)]
union SockBuf {
    raw: [u8; size_of::<libc::sockaddr_in6>()],
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
    ll: libc::sockaddr_ll,
}

/// A C socket address for `a`, allocated (freed by [`free_sockaddr`]).
fn new_sockaddr(a: &SockAddr) -> *const libc::sockaddr {
    // Zeroed first: a reader sees no uninitialized bytes, whatever size it reads.
    let mut b = SockBuf {
        raw: [0; size_of::<libc::sockaddr_in6>()],
    };
    match a {
        SockAddr::V4(ip) => {
            b.v4 = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 0,
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(ip.octets()),
                },
                sin_zero: [0; 8],
            }
        }
        SockAddr::V6 { ip, scope_id } => {
            b.v6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: 0,
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr { s6_addr: ip.octets() },
                sin6_scope_id: *scope_id,
            }
        }
        SockAddr::Link(l) => {
            b.ll = libc::sockaddr_ll {
                sll_family: libc::AF_PACKET as libc::c_ushort,
                sll_protocol: 0,
                sll_ifindex: l.ifindex,
                sll_hatype: l.hatype,
                sll_pkttype: l.pkttype,
                sll_halen: l.halen,
                sll_addr: l.addr,
            }
        }
    }
    Box::into_raw(Box::new(b)).cast_const().cast()
}

fn opt_sockaddr(a: &Option<SockAddr>) -> *const libc::sockaddr {
    a.as_ref().map_or(std::ptr::null(), new_sockaddr)
}

/// # Safety
/// `p` is NULL or came from [`new_sockaddr`] and is not used again.
unsafe fn free_sockaddr(p: *const libc::sockaddr) {
    if !p.is_null() {
        // SAFETY: allocated as a Box<SockBuf> by new_sockaddr, per the contract.
        drop(unsafe { Box::from_raw(p.cast::<SockBuf>().cast_mut()) });
    }
}

/// # Safety
/// `p` is NULL or came from `CString::into_raw` and is not used again.
unsafe fn free_cstring(p: *const c_char) {
    if !p.is_null() {
        // SAFETY: see the contract.
        drop(unsafe { CString::from_raw(p.cast_mut()) });
    }
}

/// The C list of `list`, in its order; NULL for an empty list.
fn build(list: Vec<Iface>) -> *mut pkt_iface {
    let mut head: *mut pkt_iface = null_mut();
    for i in list.into_iter().rev() {
        let mut addresses: *mut pkt_iface_addr = null_mut();
        for a in i.addresses.iter().rev() {
            addresses = Box::into_raw(Box::new(pkt_iface_addr {
                next: addresses,
                addr: new_sockaddr(&a.addr),
                netmask: opt_sockaddr(&a.netmask),
                broadaddr: opt_sockaddr(&a.broadaddr),
                dstaddr: opt_sockaddr(&a.dstaddr),
            }));
        }
        // Names and descriptions came from C strings (or are constants): no NUL inside.
        let name = CString::new(i.name).unwrap_or_default().into_raw();
        let description = i
            .description
            .map_or(null_mut(), |d| CString::new(d).unwrap_or_default().into_raw());
        head = Box::into_raw(Box::new(pkt_iface {
            next: head,
            name,
            description,
            addresses,
            flags: i.flags,
            index: i.index,
            arphrd: i.arphrd,
            dlt: i.dlt,
        }));
    }
    head
}

/// # Safety
/// `list` is NULL or a list from [`build`], not used again.
unsafe fn free_list(mut list: *mut pkt_iface) {
    while !list.is_null() {
        // SAFETY: every node was allocated by build as a Box and is freed once, here.
        let node = unsafe { Box::from_raw(list) };
        list = node.next;
        let mut a = node.addresses;
        while !a.is_null() {
            // SAFETY: as the interface nodes; its addresses came from new_sockaddr.
            let addr = unsafe { Box::from_raw(a) };
            a = addr.next;
            // SAFETY: each from new_sockaddr (or NULL), freed once.
            unsafe {
                free_sockaddr(addr.addr);
                free_sockaddr(addr.netmask);
                free_sockaddr(addr.broadaddr);
                free_sockaddr(addr.dstaddr);
            }
        }
        // SAFETY: from CString::into_raw in build (or NULL), freed once.
        unsafe {
            free_cstring(node.name);
            free_cstring(node.description);
        }
    }
}

/// Lists the interfaces one can capture on, as libpcap's `pcap_findalldevs`: every network
/// interface of the calling thread's network namespace, up or down, and "any" (all
/// interfaces), with their flags, link types and addresses.
///
/// Order (libpcap's `pcap_findalldevs` order): sorted by a key whose bits are, from the most
/// significant, not running, not up, disconnected (and not wireless), loopback, "any"; equal
/// keys by interface index. So interfaces that are up, running and not disconnected come
/// first, then "any", then loopback, then disconnected ones, then those not running, then those
/// down. The first entry that is up and running, neither loopback nor "any", is the default
/// (`pkt_default_iface()`).
///
/// Flags: `PKT_IF_UP`, `PKT_IF_RUNNING`, `PKT_IF_LOOPBACK` from the interface flags;
/// `PKT_IF_WIRELESS`; the connection status from the driver's link state (`ETHTOOL_GLINK`,
/// for most drivers the carrier): connected or disconnected, not applicable where the driver
/// has none (and for loopback and "any"), unknown where it cannot be read. Addresses: every
/// link-layer, IPv4 and IPv6 address of `getifaddrs()`, IPv4 address labels (`v0:1`) under
/// their interface. An interface that disappears while the list is made is left out, and so is
/// an interface named "any", which `pkt_open()` cannot open by name.
///
/// Returns the number of interfaces (at least 1: "any") and sets `*out` to the first. Errors:
/// `-EINVAL` (NULL `out`), `-ENOMEM`, `-EMFILE`/`-ENFILE` (no descriptor for the query), other
/// errnos from the kernel; `*out` is then untouched.
///
/// Ownership: the caller owns the list and frees it, all of it at once, with
/// `pkt_iface_list_free()`; it is a snapshot, not updated afterwards.
/// Thread safety: any thread; a list may be read by several threads and is freed once.
///
/// # Safety
/// `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_iface_list(out: *mut *mut pkt_iface_t) -> c_int {
    guard_int("pkt_iface_list", || {
        if out.is_null() {
            return Err(einval("pkt_iface_list", "NULL out pointer"));
        }
        let list = iface::list()?;
        let n = c_int::try_from(list.len()).unwrap_or(c_int::MAX);
        let head = build(list);
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { put(out, head) };
        Ok(n)
    })
}

/// Frees a list from `pkt_iface_list()`: every interface, name, address and socket address in
/// it. NULL is a no-op. Pass the first interface, as `pkt_iface_list()` returned it; the list
/// must not be used afterwards.
///
/// Thread safety: any thread, once per list, while no other thread reads it.
///
/// # Safety
/// `list` is NULL or a list from `pkt_iface_list()` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_iface_list_free(list: *mut pkt_iface_t) {
    // SAFETY: NULL or an unfreed list per the contract.
    guard("pkt_iface_list_free", || unsafe { free_list(list) })
}

/// Finds the IPv4 network number and netmask of interface `ifname`, as libpcap's
/// `pcap_lookupnet`: from the interface's first IPv4 address (the first whose label is the
/// interface's name), its netmask, and the address ANDed with the netmask. Both are written in
/// network byte order (as `struct in_addr.s_addr`). A netmask of 0 is replaced by the class
/// mask of the address (A, B or C). NULL, "" and "any" (all interfaces) give 0 and 0.
///
/// Returns 0 and writes `*net` and `*mask`. Errors: `-EINVAL` (NULL `net` or `mask`),
/// `-ENODEV` (no such interface, or a name of `PKT_IFNAMSIZ` bytes or more),
/// `-EADDRNOTAVAIL` (the interface has no IPv4 address: `pkt_errmsg()` says
/// "no IPv4 address assigned"; also a netmask of 0 on an address of class D or E), other errnos
/// from the kernel; nothing is written then.
///
/// Thread safety: any thread.
///
/// # Safety
/// `ifname` is NULL or a NUL-terminated string; `net` and `mask` are NULL or valid for writing
/// a `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_lookupnet(ifname: *const c_char, net: *mut u32, mask: *mut u32) -> c_int {
    guard_int("pkt_lookupnet", || {
        if net.is_null() || mask.is_null() {
            return Err(einval("pkt_lookupnet", "NULL net or mask pointer"));
        }
        // SAFETY: NULL or NUL-terminated per the contract.
        let name = unsafe { opt_bytes(ifname) };
        let (n, m) = iface::lookupnet(name)?;
        // SAFETY: both non-NULL and writable per the contract.
        unsafe {
            put(net, u32::from_ne_bytes(n.octets()));
            put(mask, u32::from_ne_bytes(m.octets()));
        }
        Ok(0)
    })
}

/// Writes the name of the default interface to `buf`, NUL-terminated: the first interface of
/// `pkt_iface_list()`'s order that is up, running and not loopback (nor "any"). That is the
/// interface libpcap's `pcap_lookupdev` names whenever such an interface exists and is not
/// reported disconnected; where libpcap would fall back to "any" or an interface that is down,
/// this gives `-ENODEV` and the caller chooses (`pkt_open("any", ...)` captures on all
/// interfaces).
///
/// Returns the name's length in bytes (without the NUL). Errors: `-EINVAL` (NULL `buf`),
/// `-ENODEV` (no interface is up and running other than loopback), `-ERANGE` (`len` is less
/// than the name's length plus one; `PKT_IFNAMSIZ` bytes always suffice), and those of
/// `pkt_iface_list()`; `buf` is then untouched.
///
/// Thread safety: any thread.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_default_iface(buf: *mut c_char, len: usize) -> c_int {
    guard_int("pkt_default_iface", || {
        if buf.is_null() {
            return Err(einval("pkt_default_iface", "NULL buffer"));
        }
        let name = iface::default_iface()?;
        if name.len() >= len {
            return Err(Error::with_detail(
                Errno(libc::ERANGE),
                "pkt_default_iface",
                format!(
                    "the name \"{}\" needs {} bytes, the buffer has {len}",
                    name.escape_ascii(),
                    name.len() + 1
                ),
            ));
        }
        // SAFETY: `buf` is writable for `len` > name.len() bytes per the contract, and the
        // name (our own Vec) does not overlap it.
        unsafe {
            std::ptr::copy_nonoverlapping(name.as_ptr(), buf.cast::<u8>(), name.len());
            buf.add(name.len()).write(0);
        }
        Ok(c_int::try_from(name.len()).unwrap_or(c_int::MAX))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_the_rust_sides() {
        assert_eq!(PKT_IF_LOOPBACK, iface::IF_LOOPBACK);
        assert_eq!(PKT_IF_UP, iface::IF_UP);
        assert_eq!(PKT_IF_RUNNING, iface::IF_RUNNING);
        assert_eq!(PKT_IF_WIRELESS, iface::IF_WIRELESS);
        assert_eq!(PKT_IF_CONNECTION_STATUS, iface::IF_CONNECTION_STATUS);
        assert_eq!(
            PKT_IF_CONNECTION_STATUS_UNKNOWN,
            iface::IF_CONNECTION_STATUS_UNKNOWN
        );
        assert_eq!(
            PKT_IF_CONNECTION_STATUS_CONNECTED,
            iface::IF_CONNECTION_STATUS_CONNECTED
        );
        assert_eq!(
            PKT_IF_CONNECTION_STATUS_DISCONNECTED,
            iface::IF_CONNECTION_STATUS_DISCONNECTED
        );
        assert_eq!(
            PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE,
            iface::IF_CONNECTION_STATUS_NOT_APPLICABLE
        );
        assert_eq!(PKT_IFNAMSIZ, libc::IFNAMSIZ);
    }

    #[test]
    fn build_and_free() {
        use crate::iface::{Address, LinkAddr};
        use std::net::{Ipv4Addr, Ipv6Addr};
        let ll = SockAddr::Link(LinkAddr {
            ifindex: 3,
            hatype: 1,
            pkttype: 0,
            halen: 6,
            addr: [1, 2, 3, 4, 5, 6, 0, 0],
        });
        let v4 = |a: [u8; 4]| SockAddr::V4(Ipv4Addr::from(a));
        let list = vec![
            Iface {
                name: b"\xe9t0".to_vec(),
                description: None,
                index: 3,
                flags: PKT_IF_UP,
                arphrd: 1,
                dlt: 1,
                addresses: vec![
                    Address {
                        addr: ll,
                        netmask: None,
                        broadaddr: None,
                        dstaddr: None,
                    },
                    Address {
                        addr: v4([10, 0, 0, 1]),
                        netmask: Some(v4([255, 255, 255, 0])),
                        broadaddr: Some(v4([10, 0, 0, 255])),
                        dstaddr: None,
                    },
                    Address {
                        addr: SockAddr::V6 {
                            ip: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
                            scope_id: 3,
                        },
                        netmask: None,
                        broadaddr: None,
                        dstaddr: None,
                    },
                ],
            },
            Iface::any(),
        ];
        let head = build(list);
        // SAFETY: `head` is the list just built; its nodes and addresses are valid until freed.
        unsafe {
            let first = &*head;
            assert_eq!(std::ffi::CStr::from_ptr(first.name).to_bytes(), b"\xe9t0");
            assert!(first.description.is_null());
            let a = &*first.addresses;
            let sll = &*a.addr.cast::<libc::sockaddr_ll>();
            assert_eq!(sll.sll_family, libc::AF_PACKET as u16);
            assert_eq!((sll.sll_ifindex, sll.sll_halen), (3, 6));
            assert!(a.netmask.is_null());
            let b = &*a.next;
            let sin = &*b.broadaddr.cast::<libc::sockaddr_in>();
            assert_eq!(sin.sin_family, libc::AF_INET as u16);
            assert_eq!(sin.sin_addr.s_addr.to_ne_bytes(), [10, 0, 0, 255]);
            assert!(b.dstaddr.is_null());
            let c = &*b.next;
            let sin6 = &*c.addr.cast::<libc::sockaddr_in6>();
            assert_eq!(sin6.sin6_scope_id, 3);
            assert_eq!(sin6.sin6_addr.s6_addr[0], 0xfe);
            assert!(c.next.is_null());
            assert!(!first.next.is_null());
            assert!(!(*first.next).description.is_null());
            assert!((*first.next).next.is_null());
            free_list(head);
            free_list(null_mut());
        }
    }
}

//! Interfaces: the list of interfaces one can capture on ([`list`], libpcap's
//! `pcap_findalldevs`), an interface's IPv4 network ([`lookupnet`], `pcap_lookupnet`) and the
//! default interface ([`default_iface`], `pcap_lookupdev`).
//!
//! The list follows libpcap on Linux: the C library's `getifaddrs` gives the interfaces and
//! their addresses (link layer, IPv4, IPv6), the flags say up, running, loopback, wireless and the
//! connection status (the driver's link state, `ETHTOOL_GLINK`), the pseudo-interface "any"
//! (all interfaces) is added, and the list is ordered as libpcap orders it (see
//! [`figure_of_merit`]).

use std::net::Ipv4Addr;
use std::os::fd::AsFd;

use crate::dump::linktype;
use crate::error::{Context, Errno, Error};
use crate::sys::{self, ARPHRD_ETHER, ARPHRD_LOOPBACK};

/// The interface is a loopback interface.
pub const IF_LOOPBACK: u32 = 0x0000_0001;
/// The interface is up.
pub const IF_UP: u32 = 0x0000_0002;
/// The interface is running (up, and its link is operational).
pub const IF_RUNNING: u32 = 0x0000_0004;
/// The interface is wireless (Wi-Fi, IEEE 802.15.4, IrDA, ...).
pub const IF_WIRELESS: u32 = 0x0000_0008;
/// The bits of the connection status.
pub const IF_CONNECTION_STATUS: u32 = 0x0000_0030;
/// Connection status: not known.
pub const IF_CONNECTION_STATUS_UNKNOWN: u32 = 0x0000_0000;
/// Connection status: connected (for wireless: associated).
pub const IF_CONNECTION_STATUS_CONNECTED: u32 = 0x0000_0010;
/// Connection status: disconnected (no carrier, or the interface is down).
pub const IF_CONNECTION_STATUS_DISCONNECTED: u32 = 0x0000_0020;
/// Connection status: does not apply (loopback, "any", drivers without a link state).
pub const IF_CONNECTION_STATUS_NOT_APPLICABLE: u32 = 0x0000_0030;

/// The name of the pseudo-interface that stands for all interfaces.
pub const ANY: &[u8] = b"any";
/// The description of [`ANY`] in the list (libpcap's words).
pub const ANY_DESCRIPTION: &str = "Pseudo-device that captures on all interfaces";

/// The ARPHRD type reported for "any" (ARPHRD_VOID, also `PKT_LINKTYPE_NONE`).
const ARPHRD_VOID: u16 = 0xffff;

/// True for the names that mean all interfaces at open: "any" (as in libpcap); the caller
/// handles NULL and "".
pub fn is_any(name: &[u8]) -> bool {
    name == ANY
}

pub use crate::sys::{LinkAddr, SockAddr};

/// One address of an interface with what goes with it, as libpcap's `pcap_addr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// The address.
    pub addr: SockAddr,
    /// Its netmask (IPv4, IPv6; none for link-layer addresses).
    pub netmask: Option<SockAddr>,
    /// The broadcast address, on interfaces that can broadcast (IFF_BROADCAST). As in libpcap
    /// it is what the C library gives, which for an address with a peer on such an interface
    /// is the peer.
    pub broadaddr: Option<SockAddr>,
    /// The destination (peer) address, on point-to-point interfaces (IFF_POINTOPOINT).
    pub dstaddr: Option<SockAddr>,
}

/// An interface one can capture on, or "any".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    /// The name, bytes as the kernel has them (not necessarily UTF-8).
    pub name: Vec<u8>,
    /// A description: [`ANY_DESCRIPTION`] for "any", none for interfaces (Linux has none).
    pub description: Option<&'static str>,
    /// The interface index; 0 for "any".
    pub index: i32,
    /// `IF_*` flags.
    pub flags: u32,
    /// The ARPHRD type; 0xffff (`PKT_LINKTYPE_NONE`) for "any".
    pub arphrd: u16,
    /// The pcap link type a capture with the default configuration records (what `pkt_dlt()`
    /// says of a handle opened on it).
    pub dlt: u16,
    /// The addresses, link layer first, then IPv4, then IPv6, each in the kernel's order.
    pub addresses: Vec<Address>,
}

impl Iface {
    /// The entry of "any", all interfaces.
    pub(crate) fn any() -> Iface {
        Iface {
            name: ANY.to_vec(),
            description: Some(ANY_DESCRIPTION),
            index: 0,
            flags: IF_UP | IF_RUNNING | IF_CONNECTION_STATUS_NOT_APPLICABLE,
            arphrd: ARPHRD_VOID,
            dlt: linktype::dlt_of(ARPHRD_VOID, true),
            addresses: Vec::new(),
        }
    }

    /// Up, running and not loopback (nor "any"): a candidate for the default interface.
    fn is_default_candidate(&self) -> bool {
        self.flags & (IF_UP | IF_RUNNING) == IF_UP | IF_RUNNING
            && self.flags & IF_LOOPBACK == 0
            && !is_any(&self.name)
    }
}

/// The pcap link type a default capture on an interface of type `arphrd` records: libpkt opens
/// Ethernet and loopback with their link-layer header (`EN10MB`), every other type cooked.
fn dlt_for(arphrd: u16) -> u16 {
    let cooked = !matches!(arphrd, ARPHRD_ETHER | ARPHRD_LOOPBACK);
    linktype::dlt_of(arphrd, cooked)
}

/// The interface an address entry belongs to: an IPv4 address label `NAME:anything` belongs to
/// `NAME` (Linux interface names never contain ':'). libpcap strips only `:digits`.
fn owner(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(i) => &name[..i],
        None => name,
    }
}

/// ARPHRD types libpcap counts as wireless: IrDA, IEEE 802.11 (plain, Prism, radiotap), IEEE
/// 802.15.4 (and its monitor mode), 6LoWPAN.
const WIRELESS_ARPHRD: [u16; 7] = [783, 801, 802, 803, 804, 805, 825];

/// The wireless and connection-status flags, decided as libpcap's `get_if_flags` does on Linux:
/// loopback interfaces are not applicable; an interface with a sysfs `wireless` directory, or
/// of a wireless ARPHRD type, is wireless; an ARPHRD_LOOPBACK type without IFF_LOOPBACK gets
/// no status; otherwise the driver's link state (`ETHTOOL_GLINK`) says connected or
/// disconnected, and a driver without one gives not applicable. Where libpcap fails the whole
/// list (an unexpected ioctl error) the status is unknown.
fn kind_flags(
    iff_loopback: bool,
    arphrd: u16,
    sysfs_wireless: impl FnOnce() -> bool,
    link: impl FnOnce() -> Result<bool, Errno>,
) -> u32 {
    if iff_loopback {
        return IF_CONNECTION_STATUS_NOT_APPLICABLE;
    }
    let mut f = 0;
    if sysfs_wireless() {
        f |= IF_WIRELESS;
    } else if arphrd == ARPHRD_LOOPBACK {
        return 0;
    } else if WIRELESS_ARPHRD.contains(&arphrd) {
        f |= IF_WIRELESS;
    }
    f | match link() {
        Ok(true) => IF_CONNECTION_STATUS_CONNECTED,
        Ok(false) => IF_CONNECTION_STATUS_DISCONNECTED,
        Err(e) if e.0 == libc::EOPNOTSUPP || e == Errno::EINVAL => IF_CONNECTION_STATUS_NOT_APPLICABLE,
        Err(_) => IF_CONNECTION_STATUS_UNKNOWN,
    }
}

/// libpcap's sort key (`get_figure_of_merit` in pcap.c), lower first: running before not
/// running, up before down, then (not wireless and) disconnected after connected, loopback
/// after the rest, and "any" just before loopback. The sort is stable: equal keys keep the
/// kernel's order (interface index).
pub fn figure_of_merit(i: &Iface) -> u32 {
    let mut n = 0;
    if i.flags & IF_RUNNING == 0 {
        n |= 0x8000_0000;
    }
    if i.flags & IF_UP == 0 {
        n |= 0x4000_0000;
    }
    if i.flags & IF_WIRELESS == 0 && i.flags & IF_CONNECTION_STATUS == IF_CONNECTION_STATUS_DISCONNECTED {
        n |= 0x2000_0000;
    }
    if i.flags & IF_LOOPBACK != 0 {
        n |= 0x1000_0000;
    }
    if is_any(&i.name) {
        n |= 0x0800_0000;
    }
    n
}

/// Groups `getifaddrs` entries by interface, in the order interfaces first appear, with the
/// addresses in entry order. `flags` of an interface: its IFF_* flags (from the first entry).
fn group(entries: Vec<sys::IfAddrEntry>) -> Vec<(Vec<u8>, u32, Vec<Address>)> {
    let mut out: Vec<(Vec<u8>, u32, Vec<Address>)> = Vec::new();
    for e in entries {
        let name = owner(&e.name);
        if name.is_empty() {
            continue;
        }
        let pos = match out.iter().position(|(n, _, _)| n == name) {
            Some(p) => p,
            None => {
                out.push((name.to_vec(), e.flags, Vec::new()));
                out.len() - 1
            }
        };
        // As libpcap: broadcast and destination share one field of `ifaddrs`; the interface's
        // flags say which it is.
        let iff = e.flags as libc::c_int;
        if let Some(addr) = e.addr {
            out[pos].2.push(Address {
                addr,
                netmask: e.netmask,
                broadaddr: e.ifu.filter(|_| iff & libc::IFF_BROADCAST != 0),
                dstaddr: e.ifu.filter(|_| iff & libc::IFF_POINTOPOINT != 0),
            });
        }
    }
    out
}

/// Every interface one can capture on, and "any", in libpcap's order (see
/// [`figure_of_merit`]). An interface that disappears while the list is made is left out, as
/// is an interface named "any" (the name opens all interfaces).
pub fn list() -> Result<Vec<Iface>, Error> {
    let entries = sys::getifaddrs().ctx("getifaddrs")?;
    let sock = sys::ioctl_socket().ctx("socket")?;
    let mut out = Vec::new();
    for (name, iff, addresses) in group(entries) {
        if is_any(&name) {
            continue;
        }
        let (index, arphrd) = match sys::iface_index_hatype(sock.as_fd(), &name) {
            Ok(v) => v,
            // Gone (or a label that names no interface).
            Err(Errno::ENODEV) | Err(Errno::ENXIO) => continue,
            Err(e) => {
                return Err(Error::with_detail(
                    e,
                    "SIOCGIFINDEX",
                    format!("interface \"{}\"", name.escape_ascii()),
                ))
            }
        };
        let iff = iff as libc::c_int;
        let mut flags = 0;
        if iff & libc::IFF_LOOPBACK != 0 {
            flags |= IF_LOOPBACK;
        }
        if iff & libc::IFF_UP != 0 {
            flags |= IF_UP;
        }
        if iff & libc::IFF_RUNNING != 0 {
            flags |= IF_RUNNING;
        }
        flags |= kind_flags(
            iff & libc::IFF_LOOPBACK != 0,
            arphrd,
            || sysfs_wireless(&name),
            || sys::ethtool_link(sock.as_fd(), &name),
        );
        out.push(Iface {
            name,
            description: None,
            index,
            flags,
            arphrd,
            dlt: dlt_for(arphrd),
            addresses,
        });
    }
    out.push(Iface::any());
    // Stable: equal keys keep the kernel's order, as libpcap's insertion does.
    out.sort_by_key(figure_of_merit);
    Ok(out)
}

/// `/sys/class/net/NAME/wireless` exists (libpcap's `is_wifi`). sysfs shows the network
/// namespace it was mounted in (`ip netns exec` mounts the namespace's own).
fn sysfs_wireless(name: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let mut p = std::path::PathBuf::from("/sys/class/net");
    p.push(std::ffi::OsStr::from_bytes(name));
    p.push("wireless");
    p.exists()
}

/// The IPv4 network and netmask of interface `name`, as libpcap's `pcap_lookupnet`: the
/// network of its first IPv4 address (the first whose label is the interface's name). None,
/// "" and "any" (all interfaces) give 0.0.0.0/0.0.0.0. A netmask of 0 is replaced by the
/// address's class mask (A, B, C), as libpcap means to.
///
/// Errors: ENODEV (no such interface, or a name of IFNAMSIZ bytes or more), EADDRNOTAVAIL (no
/// IPv4 address, or a class D/E address with a netmask of 0), others from the ioctls.
pub fn lookupnet(name: Option<&[u8]>) -> Result<(Ipv4Addr, Ipv4Addr), Error> {
    let name = match name {
        None => return Ok((Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED)),
        Some(n) if n.is_empty() || is_any(n) => return Ok((Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED)),
        Some(n) => n,
    };
    let which = || format!("interface \"{}\"", name.escape_ascii());
    let fail = |what: &'static str| {
        move |e: Errno| match e {
            Errno::ENODEV | Errno::ENXIO => Error::with_detail(Errno::ENODEV, "pkt_lookupnet", which()),
            e if e.0 == libc::EADDRNOTAVAIL => Error::with_detail(
                e,
                "pkt_lookupnet",
                format!("{}: no IPv4 address assigned", which()),
            ),
            e => Error::with_detail(e, what, which()),
        }
    };
    let sock = sys::ioctl_socket().ctx("socket")?;
    let addr = sys::ipv4_addr(sock.as_fd(), name).map_err(fail("SIOCGIFADDR"))?;
    let mask = sys::ipv4_netmask(sock.as_fd(), name).map_err(fail("SIOCGIFNETMASK"))?;
    let addr = u32::from_be_bytes(addr);
    let mut mask = u32::from_be_bytes(mask);
    if mask == 0 {
        mask = class_mask(addr).ok_or_else(|| {
            Error::with_detail(
                Errno(libc::EADDRNOTAVAIL),
                "pkt_lookupnet",
                format!(
                    "{}: netmask 0 and address {} of no class A, B or C",
                    which(),
                    Ipv4Addr::from(addr)
                ),
            )
        })?;
    }
    Ok((Ipv4Addr::from(addr & mask), Ipv4Addr::from(mask)))
}

/// The classful netmask of a host-order IPv4 address (`IN_CLASSA_NET` ...), None for classes D
/// and E.
fn class_mask(addr: u32) -> Option<u32> {
    match addr {
        a if a & 0x8000_0000 == 0 => Some(0xff00_0000),
        a if a & 0xc000_0000 == 0x8000_0000 => Some(0xffff_0000),
        a if a & 0xe000_0000 == 0xc000_0000 => Some(0xffff_ff00),
        _ => None,
    }
}

/// The name of the default interface: the first of [`list`] that is up, running and not
/// loopback (nor "any"). ENODEV when there is none.
///
/// libpcap's `pcap_lookupdev` returns the first of its list unless that is loopback, which
/// names the same interface whenever one is up and running (the list puts those first);
/// without one it can return "any" or a disconnected interface, where this says ENODEV.
pub fn default_iface() -> Result<Vec<u8>, Error> {
    list()?
        .into_iter()
        .find(Iface::is_default_candidate)
        .map(|i| i.name)
        .ok_or_else(|| {
            Error::with_detail(
                Errno::ENODEV,
                "pkt_default_iface",
                "no interface is up and running, other than loopback",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, flags: u32) -> Iface {
        Iface {
            name: name.as_bytes().to_vec(),
            description: None,
            index: 1,
            flags,
            arphrd: 1,
            dlt: 1,
            addresses: Vec::new(),
        }
    }

    #[test]
    fn order_is_libpcaps() {
        const UR: u32 = IF_UP | IF_RUNNING;
        let mut l = vec![
            iface("lo", UR | IF_LOOPBACK | IF_CONNECTION_STATUS_NOT_APPLICABLE),
            iface("down", IF_CONNECTION_STATUS_DISCONNECTED),
            iface("upnocarrier", IF_UP | IF_CONNECTION_STATUS_DISCONNECTED),
            iface("v1", UR | IF_CONNECTION_STATUS_CONNECTED),
            iface("wdisc", UR | IF_WIRELESS | IF_CONNECTION_STATUS_DISCONNECTED),
            iface("disc", UR | IF_CONNECTION_STATUS_DISCONNECTED),
            iface("v0", UR | IF_CONNECTION_STATUS_CONNECTED),
            iface("na", UR | IF_CONNECTION_STATUS_NOT_APPLICABLE),
            Iface::any(),
        ];
        l.sort_by_key(figure_of_merit);
        let names: Vec<&[u8]> = l.iter().map(|i| &i.name[..]).collect();
        let want: [&[u8]; 9] = [
            b"v1",
            b"wdisc",
            b"v0",
            b"na",
            b"any",
            b"lo",
            b"disc",
            b"upnocarrier",
            b"down",
        ];
        assert_eq!(names, want);
    }

    #[test]
    fn kind_flags_as_libpcap() {
        let no_link = || -> Result<bool, Errno> { panic!("link asked") };
        assert_eq!(
            kind_flags(true, ARPHRD_LOOPBACK, || panic!("sysfs asked"), no_link),
            IF_CONNECTION_STATUS_NOT_APPLICABLE
        );
        // ARPHRD_LOOPBACK without IFF_LOOPBACK: no status
        assert_eq!(kind_flags(false, ARPHRD_LOOPBACK, || false, no_link), 0);
        assert_eq!(
            kind_flags(false, 1, || false, || Ok(true)),
            IF_CONNECTION_STATUS_CONNECTED
        );
        assert_eq!(
            kind_flags(false, 1, || false, || Ok(false)),
            IF_CONNECTION_STATUS_DISCONNECTED
        );
        assert_eq!(
            kind_flags(false, 1, || false, || Err(Errno(libc::EOPNOTSUPP))),
            IF_CONNECTION_STATUS_NOT_APPLICABLE
        );
        assert_eq!(
            kind_flags(false, 1, || false, || Err(Errno::EINVAL)),
            IF_CONNECTION_STATUS_NOT_APPLICABLE
        );
        assert_eq!(
            kind_flags(false, 1, || false, || Err(Errno(libc::EPERM))),
            IF_CONNECTION_STATUS_UNKNOWN
        );
        // wireless: the sysfs directory (an 802.11 station reports ARPHRD_ETHER), or the type
        assert_eq!(
            kind_flags(false, 1, || true, || Ok(true)),
            IF_WIRELESS | IF_CONNECTION_STATUS_CONNECTED
        );
        assert_eq!(
            kind_flags(false, 803, || false, || Err(Errno(libc::EOPNOTSUPP))),
            IF_WIRELESS | IF_CONNECTION_STATUS_NOT_APPLICABLE
        );
        assert_eq!(
            kind_flags(false, ARPHRD_LOOPBACK, || true, || Ok(false)),
            IF_WIRELESS | IF_CONNECTION_STATUS_DISCONNECTED
        );
    }

    #[test]
    fn labels_and_grouping() {
        assert_eq!(owner(b"v0:1"), b"v0");
        assert_eq!(owner(b"v0:x"), b"v0");
        assert_eq!(owner(b"v0"), b"v0");
        assert_eq!(owner(b"\xe9t0"), b"\xe9t0");
        let bcast = (libc::IFF_UP | libc::IFF_BROADCAST) as u32;
        let p2p = (libc::IFF_UP | libc::IFF_POINTOPOINT) as u32;
        let v4 = |a: [u8; 4]| Some(SockAddr::V4(Ipv4Addr::from(a)));
        let e = |name: &str, flags, addr, netmask, ifu| sys::IfAddrEntry {
            name: name.as_bytes().to_vec(),
            flags,
            addr,
            netmask,
            ifu,
        };
        let g = group(vec![
            e("v0", bcast, None, None, None),
            e("t0", p2p, None, None, None),
            e(
                "v0",
                bcast,
                v4([10, 0, 0, 1]),
                v4([255, 0, 0, 0]),
                v4([10, 255, 255, 255]),
            ),
            e(
                "v0:7",
                bcast,
                v4([10, 0, 0, 2]),
                v4([255, 0, 0, 0]),
                v4([10, 0, 0, 3]),
            ),
            e("t0", p2p, v4([10, 1, 0, 1]), v4([255; 4]), v4([10, 1, 0, 2])),
            e("", bcast, v4([1, 1, 1, 1]), None, None),
        ]);
        assert_eq!(g.len(), 2);
        assert_eq!((&g[0].0[..], g[0].1), (&b"v0"[..], bcast));
        assert_eq!(g[0].2.len(), 2);
        assert_eq!(g[0].2[1].addr, v4([10, 0, 0, 2]).unwrap());
        assert_eq!(g[0].2[1].broadaddr, v4([10, 0, 0, 3]));
        assert_eq!(g[0].2[1].dstaddr, None);
        assert_eq!(&g[1].0[..], b"t0");
        assert_eq!(g[1].2[0].broadaddr, None);
        assert_eq!(g[1].2[0].dstaddr, v4([10, 1, 0, 2]));
        assert_eq!(g[1].2[0].netmask, v4([255; 4]));
    }

    #[test]
    fn class_masks() {
        assert_eq!(class_mask(0x0a04_0001), Some(0xff00_0000));
        assert_eq!(class_mask(0xac10_0001), Some(0xffff_0000));
        assert_eq!(class_mask(0xc0a8_0101), Some(0xffff_ff00));
        assert_eq!(class_mask(0xe000_0001), None);
        assert_eq!(class_mask(0xf000_0001), None);
    }

    #[test]
    fn any_entry() {
        let a = Iface::any();
        assert_eq!(a.dlt, linktype::LINUX_SLL2);
        assert_eq!(a.arphrd, 0xffff);
        assert!(!a.is_default_candidate());
        assert_eq!(
            lookupnet(Some(b"any")).unwrap(),
            (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED)
        );
        assert_eq!(
            lookupnet(None).unwrap(),
            (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED)
        );
        assert_eq!(dlt_for(ARPHRD_LOOPBACK), linktype::EN10MB);
        assert_eq!(dlt_for(0xfffe), linktype::LINUX_SLL2);
    }

    #[test]
    fn lookupnet_errors() {
        let e = lookupnet(Some(b"no-such-iface0")).unwrap_err();
        assert_eq!(e.errno(), Errno::ENODEV);
        let e = lookupnet(Some(b"a-name-of-16-byt")).unwrap_err();
        assert_eq!(e.errno(), Errno::ENODEV);
    }
}

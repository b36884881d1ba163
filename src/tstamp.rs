//! Timestamp sources: which clock stamps the packets of a capture (libpcap's time stamp types on
//! Linux), what an interface offers (`ETHTOOL_GET_TS_INFO`, what `ethtool -T` shows), and
//! turning the adapter's clock on at open (`SIOCSHWTSTAMP`, then `PACKET_TIMESTAMP`), as
//! libpcap's pcap-linux.c does (`iface_get_ts_types`, `create_ring`), except that a source that
//! cannot be had is an error, never a silent fall back to software timestamps.

use std::os::fd::BorrowedFd;

use crate::error::{Context, Errno, Error};
use crate::sys::{self, EthtoolTsInfo, HwtstampConfig, HWTSTAMP_FILTER_ALL};

/// Which clock stamps captured packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TstampSource {
    /// The kernel's clock (`CLOCK_REALTIME`) when the packet entered the stack: libpcap's
    /// `PCAP_TSTAMP_HOST`. Always available.
    #[default]
    Software = 0,
    /// The adapter's clock converted to system time by the kernel
    /// (`SOF_TIMESTAMPING_SYS_HARDWARE`): libpcap's `PCAP_TSTAMP_ADAPTER`. No driver offers it
    /// since Linux 3.17 removed the conversion.
    Adapter = 1,
    /// The adapter's own clock, as it is (`SOF_TIMESTAMPING_RAW_HARDWARE`): libpcap's
    /// `PCAP_TSTAMP_ADAPTER_UNSYNCED`. Its epoch and rate are the adapter's (a PTP daemon may
    /// keep it on TAI or UTC).
    AdapterUnsynced = 2,
}

impl TstampSource {
    /// Every source, in the order of their values (and of [`sources`]' answers).
    pub const ALL: [TstampSource; 3] = [
        TstampSource::Software,
        TstampSource::Adapter,
        TstampSource::AdapterUnsynced,
    ];

    pub fn from_u8(v: u8) -> Option<TstampSource> {
        TstampSource::ALL.get(usize::from(v)).copied()
    }

    /// True for the adapter's clocks.
    pub fn is_hardware(self) -> bool {
        self != TstampSource::Software
    }

    /// The `SOF_TIMESTAMPING_*` bit that `ETHTOOL_GET_TS_INFO` reports for the source and that
    /// `PACKET_TIMESTAMP` asks for.
    fn sof_flag(self) -> u32 {
        match self {
            TstampSource::Software => sys::SOF_TIMESTAMPING_SOFTWARE,
            TstampSource::Adapter => sys::SOF_TIMESTAMPING_SYS_HARDWARE,
            TstampSource::AdapterUnsynced => sys::SOF_TIMESTAMPING_RAW_HARDWARE,
        }
    }
}

/// The sources an interface offers, in the order of [`TstampSource::ALL`]; software is always
/// among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sources {
    list: [TstampSource; 3],
    len: usize,
}

impl Sources {
    fn of(wanted: impl Fn(TstampSource) -> bool) -> Sources {
        let mut s = Sources {
            list: [TstampSource::Software; 3],
            len: 0,
        };
        for src in TstampSource::ALL {
            if src == TstampSource::Software || wanted(src) {
                s.list[s.len] = src;
                s.len += 1;
            }
        }
        s
    }

    pub fn as_slice(&self) -> &[TstampSource] {
        &self.list[..self.len]
    }

    pub fn contains(&self, src: TstampSource) -> bool {
        self.as_slice().contains(&src)
    }
}

/// libpcap's reading of the ethtool answer: the adapter's clocks only when the adapter can
/// time stamp every received packet (`HWTSTAMP_FILTER_ALL`; one that stamps only PTP packets
/// would leave most packets without), each when `so_timestamping` has its bit. Software
/// always (libpcap lists it only when `SOF_TIMESTAMPING_SOFTWARE` is set; the ring has a
/// software timestamp for every packet either way).
pub(crate) fn offered(info: &EthtoolTsInfo) -> Sources {
    let all_rx = info.rx_filters & (1 << HWTSTAMP_FILTER_ALL) != 0;
    Sources::of(|src| all_rx && info.so_timestamping & src.sof_flag() != 0)
}

/// Why `src` is not in [`offered`]`(info)`, for the message of the refusal.
fn refusal(name: &str, info: &EthtoolTsInfo, src: TstampSource) -> String {
    let raw = info.so_timestamping & sys::SOF_TIMESTAMPING_RAW_HARDWARE != 0;
    let all_rx = info.rx_filters & (1 << HWTSTAMP_FILTER_ALL) != 0;
    if !raw && info.so_timestamping & sys::SOF_TIMESTAMPING_SYS_HARDWARE == 0 {
        format!("{name} has no hardware timestamps (ethtool -T {name})")
    } else if !all_rx {
        format!(
            "{name} time stamps only some received packets in hardware (PTP), not all \
             (ethtool -T {name}: no receive filter \"all\")"
        )
    } else if src == TstampSource::Adapter {
        format!(
            "{name} has no hardware timestamps converted to system time (Linux dropped them in \
             3.17): PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED gives the adapter's own clock (ethtool -T \
             {name})"
        )
    } else {
        format!("{name} has no raw hardware timestamps (ethtool -T {name})")
    }
}

/// Names as they are shown in messages (Linux names are bytes).
fn shown(name: &[u8]) -> String {
    name.escape_ascii().to_string()
}

/// True for the names that mean all interfaces: NULL, "" and "any" (as `pkt_open` takes them;
/// `iface::is_any` is not used: iface sits above config, which uses this module).
fn all_interfaces(ifname: Option<&[u8]>) -> bool {
    matches!(ifname, None | Some(b"") | Some(b"any"))
}

/// The ethtool answer for `name`; None when the driver gives none (EOPNOTSUPP, EINVAL), where
/// libpcap then offers every source and lets `SIOCSHWTSTAMP` decide at open.
fn query(name: &[u8], what: &'static str) -> Result<Option<EthtoolTsInfo>, Error> {
    match sys::ethtool_ts_info(name) {
        Ok(info) => Ok(Some(info)),
        Err(Errno(libc::EOPNOTSUPP)) | Err(Errno::EINVAL) => Ok(None),
        Err(Errno::ENODEV) | Err(Errno::ENXIO) => Err(Error::with_detail(
            Errno::ENODEV,
            what,
            format!("interface \"{}\"", shown(name)),
        )),
        Err(e) => Err(Error::new(e, "ioctl(SIOCETHTOOL, ETHTOOL_GET_TS_INFO)")),
    }
}

/// The sources interface `ifname` offers (None, "" or "any": all interfaces, which offer only
/// software timestamps, as in libpcap: no adapter clock can be turned on for interfaces that
/// do not exist yet).
pub fn sources(ifname: Option<&[u8]>) -> Result<Sources, Error> {
    const WHAT: &str = "pkt_tstamp_sources";
    if all_interfaces(ifname) {
        return Ok(Sources::of(|_| false));
    }
    let name = ifname.unwrap_or_default();
    Ok(match query(name, WHAT)? {
        Some(info) => offered(&info),
        None => Sources::of(|_| true),
    })
}

/// At open, on the packet socket `fd` (before the ring exists): makes `src` stamp the packets
/// of interface `ifname` (None: all interfaces). Software timestamps need nothing.
///
/// For an adapter clock: refused (`EOPNOTSUPP`) on all interfaces and where the ethtool answer
/// does not offer it; then, unless the adapter already stamps every received packet,
/// `SIOCSHWTSTAMP` with the receive filter "all" (its transmit setting and flags kept where the
/// driver reports them, else libpcap's `HWTSTAMP_TX_ON`): `EPERM` without CAP_NET_ADMIN,
/// `EOPNOTSUPP` where the driver refuses or narrows the filter. The setting stays after the
/// handle closes, as with libpcap: it belongs to the adapter. Last, `PACKET_TIMESTAMP`.
pub fn enable(fd: BorrowedFd<'_>, ifname: Option<&[u8]>, src: TstampSource) -> Result<(), Error> {
    const WHAT: &str = "config.tstamp_source";
    let eopnotsupp = Errno(libc::EOPNOTSUPP);
    if !src.is_hardware() {
        return Ok(());
    }
    let name = match ifname {
        Some(n) if !n.is_empty() => n,
        _ => {
            return Err(Error::with_detail(
                eopnotsupp,
                WHAT,
                "hardware timestamps need one interface: all interfaces have none",
            ))
        }
    };
    if let Some(info) = query(name, "pkt_open")? {
        if !offered(&info).contains(src) {
            return Err(Error::with_detail(
                eopnotsupp,
                WHAT,
                refusal(&shown(name), &info, src),
            ));
        }
    }
    let current = sys::get_hwtstamp(fd, name).ok();
    if current.map(|c| c.rx_filter) != Some(HWTSTAMP_FILTER_ALL) {
        let want = HwtstampConfig {
            flags: current.map_or(0, |c| c.flags),
            tx_type: current.map_or(sys::HWTSTAMP_TX_ON, |c| c.tx_type),
            rx_filter: HWTSTAMP_FILTER_ALL,
        };
        const SET: &str = "ioctl(SIOCSHWTSTAMP)";
        let n = shown(name);
        match sys::set_hwtstamp(fd, name, want) {
            Ok(got) if got.rx_filter == HWTSTAMP_FILTER_ALL => {}
            Ok(got) => {
                return Err(Error::with_detail(
                    eopnotsupp,
                    SET,
                    format!(
                        "{n} time stamps only some received packets in hardware (receive filter \
                         {} instead of \"all\"; ethtool -T {n})",
                        got.rx_filter
                    ),
                ))
            }
            Err(Errno(libc::EPERM)) => {
                return Err(Error::with_detail(
                    Errno(libc::EPERM),
                    SET,
                    format!("turning on hardware timestamps on {n} needs CAP_NET_ADMIN"),
                ))
            }
            // ERANGE: the adapter time stamps some packets, not all (libpcap's reading).
            Err(Errno(libc::EOPNOTSUPP)) | Err(Errno(libc::ERANGE)) => {
                return Err(Error::with_detail(
                    eopnotsupp,
                    SET,
                    format!("{n} cannot time stamp every received packet in hardware (ethtool -T {n})"),
                ))
            }
            Err(e) => return Err(Error::new(e, SET)),
        }
    }
    let flag = src.sof_flag() as libc::c_int;
    sys::setsockopt(fd, sys::SOL_PACKET, sys::PACKET_TIMESTAMP, &flag).ctx("setsockopt(PACKET_TIMESTAMP)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{SOF_TIMESTAMPING_RAW_HARDWARE as RAW, SOF_TIMESTAMPING_SYS_HARDWARE as SYS};
    use TstampSource::*;

    /// An ethtool answer with these `so_timestamping` bits and receive filters.
    fn info(so_timestamping: u32, rx_filters: u32) -> EthtoolTsInfo {
        EthtoolTsInfo {
            so_timestamping,
            rx_filters,
            phc_index: -1,
            ..EthtoolTsInfo::default()
        }
    }

    const SW: u32 = (1 << 1) | (1 << 3) | (1 << 4); // TX_SOFTWARE | RX_SOFTWARE | SOFTWARE
    const HW: u32 = 1 | (1 << 2); // TX_HARDWARE | RX_HARDWARE
    const ALL: u32 = 1 << HWTSTAMP_FILTER_ALL;
    const PTP_V2_EVENT: u32 = 1 << 12;

    #[test]
    fn values() {
        for (v, s) in [(0, Software), (1, Adapter), (2, AdapterUnsynced)] {
            assert_eq!(TstampSource::from_u8(v), Some(s));
            assert_eq!(s as u8, v);
        }
        for v in [3, 4, 255] {
            assert_eq!(TstampSource::from_u8(v), None);
        }
        assert_eq!(TstampSource::default(), Software);
        assert!(!Software.is_hardware() && Adapter.is_hardware() && AdapterUnsynced.is_hardware());
    }

    #[test]
    fn what_interfaces_offer() {
        // veth, lo, dummy, bridges: software only (the kernel's default answer).
        assert_eq!(offered(&info(SW, 0)).as_slice(), [Software]);
        assert_eq!(offered(&info(0, 0)).as_slice(), [Software]);
        // A PTP adapter that stamps all received packets: the raw clock.
        assert_eq!(
            offered(&info(SW | HW | RAW, ALL | 1)).as_slice(),
            [Software, AdapterUnsynced]
        );
        // One that stamps only PTP packets: none, as in libpcap.
        assert_eq!(
            offered(&info(SW | HW | RAW, 1 | PTP_V2_EVENT)).as_slice(),
            [Software]
        );
        // A pre-3.17 driver with the converted clock too.
        assert_eq!(
            offered(&info(SW | HW | RAW | SYS, ALL)).as_slice(),
            TstampSource::ALL
        );
        assert_eq!(offered(&info(SYS, ALL)).as_slice(), [Software, Adapter]);
    }

    #[test]
    fn refusals_say_why() {
        let none = refusal("v0", &info(SW, 0), AdapterUnsynced);
        assert_eq!(none, "v0 has no hardware timestamps (ethtool -T v0)");
        assert_eq!(refusal("v0", &info(SW, 0), Adapter), none);
        let ptp = refusal("eth0", &info(SW | HW | RAW, 1 | PTP_V2_EVENT), AdapterUnsynced);
        assert!(ptp.contains("only some received packets"), "{ptp}");
        let sys = refusal("eth0", &info(SW | HW | RAW, ALL), Adapter);
        assert!(sys.contains("PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED"), "{sys}");
        let raw = refusal("eth0", &info(SYS, ALL), AdapterUnsynced);
        assert_eq!(raw, "eth0 has no raw hardware timestamps (ethtool -T eth0)");
    }

    #[test]
    fn all_interfaces_offer_software_only() {
        for name in [None, Some(&b""[..]), Some(&b"any"[..])] {
            assert_eq!(sources(name).unwrap().as_slice(), [Software]);
        }
        assert_eq!(sources(Some(b"no-such-if0")).unwrap_err().errno(), Errno::ENODEV);
        assert_eq!(
            sources(Some(b"a-name-longer-than-ifnamsiz")).unwrap_err().errno(),
            Errno::ENODEV
        );
    }

    #[test]
    fn loopback_offers_software_only() {
        // A read-only query: lo never has an adapter clock.
        assert_eq!(sources(Some(b"lo")).unwrap().as_slice(), [Software]);
    }
}

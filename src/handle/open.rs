//! Opening a capture: [`Handle::open`] turns a [`Config`] into a packet socket (TPACKET version,
//! reserve, timestamps), an RX ring (and a TX ring with its second socket), the kernel filter
//! (the selection prefix and the user's program), the binding and the break eventfd, and the
//! effective configuration.

use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};

use super::filter::{install, Installed, UserFilter};
use super::prefix::{self, Selection};
use super::{linktype_of, Control, Handle, StatsAcc, LINKTYPE_NONE};
use crate::config::{Config, Direction, TstampResolution, TxMode};
use crate::error::{Context, Errno, Error};
use crate::ring::{Geometry, Post, Rx, TxRing, Version, RESERVE};
use crate::socket::Socket;
use crate::sys::{self, ARPHRD_ETHER, ARPHRD_LOOPBACK};

/// Extra wait after the retire timeout before a gone interface is reported.
const GONE_MARGIN_NS: u64 = 50_000_000;

impl Handle {
    /// Opens a capture on `ifname` (None, "" or "any": all interfaces).
    pub fn open(ifname: Option<&str>, cfg: &Config) -> Result<Handle, Error> {
        Handle::open_bytes(ifname.map(str::as_bytes), cfg)
    }

    /// [`Handle::open`] with the interface name as bytes: Linux names are bytes, not
    /// necessarily UTF-8 (`ip link add name $'\xe9t0' ...` is a valid name).
    pub fn open_bytes(ifname: Option<&[u8]>, cfg: &Config) -> Result<Handle, Error> {
        cfg.check()?;
        // "any" is libpcap's name for all interfaces.
        let ifname = ifname.filter(|n| !n.is_empty() && !crate::iface::is_any(n));
        let (ifindex, hatype, mtu) = match ifname {
            None => (0, None, 0),
            Some(n) => {
                let i = sys::iface_info(n).map_err(|e| {
                    let e = if e == Errno::ENXIO { Errno::ENODEV } else { e };
                    Error::with_detail(e, "pkt_open", format!("interface \"{}\"", n.escape_ascii()))
                })?;
                (i.ifindex, Some(i.hatype), i.mtu)
            }
        };
        let any = ifindex == 0;
        let cooked = cfg.cooked || !matches!(hatype, Some(ARPHRD_ETHER) | Some(ARPHRD_LOOPBACK));
        let sock = Socket::new(cooked)?;

        // Before 3.19 a V3 block retired by its timer did not wake poll(): use V2 there.
        let v3_ok = sys::kernel_version().is_none_or(|v| v >= (3, 19));
        let version = if cfg.immediate || !v3_ok || !sock.supports(Version::V3) {
            Version::V2
        } else {
            Version::V3
        };
        sock.set_version(version)?;
        sock.set_reserve(RESERVE)?;
        sock.enable_timestamps();
        // As libpcap, before the ring: an adapter clock, or -EOPNOTSUPP naming the interface.
        crate::tstamp::enable(sock.fd(), ifname.filter(|_| !any), cfg.tstamp_source)?;
        let kernel_ignores_outgoing = cfg.direction == Direction::In && sock.ignore_outgoing();

        let bytes = cfg.effective_buffer_size();
        let page = sys::page_size() as u64;
        let geo = match version {
            Version::V3 if cfg.v3_block_size != 0 => {
                Geometry::v3_blocks(bytes, cfg.v3_block_size as u64, page)
            }
            Version::V3 => Geometry::v3(bytes, page),
            // Frames hold the largest packet: the MTU plus link header and a VLAN tag, or 64 KiB
            // for GSO/GRO packets, whichever is larger; with a snap length, only that much (the
            // kernel copies no more).
            Version::V2 => {
                let largest = (mtu as u64 + 18).max(65535 + 18);
                let max_packet = match cfg.snaplen {
                    0 => largest,
                    n => (n as u64).min(largest),
                };
                Geometry::v2(bytes, max_packet, page)
            }
        }
        .map_err(|r| Error::with_detail(Errno::EINVAL, "config.buffer_size", r))?;
        let tov = match cfg.block_timeout_ms {
            // The kernel keeps the timeout in 16 bits.
            t if t > 0 => t.min(u16::MAX as i64) as u32,
            0 => u16::MAX as u32,
            _ => 0,
        };
        let tx_geo = match cfg.tx_mode {
            TxMode::Ring if any => {
                return Err(Error::with_detail(
                    Errno::EINVAL,
                    "config.tx_mode",
                    "a TX ring needs an interface",
                ))
            }
            // The largest frame the interface sends: MTU, link header and a VLAN tag.
            TxMode::Ring => Some(TxRing::geometry(mtu as u64 + 18, version, page)),
            TxMode::Auto | TxMode::Sendmmsg => None,
        };
        let (geo, map) = sock.setup_ring(geo, tov, tx_geo)?;
        let map = Arc::new(map);
        let tx = tx_geo.map(|g| TxRing::new(Arc::clone(&map), geo.size() as usize, g));
        let tx_sock = match tx_geo {
            Some(_) => Some(Socket::new(cooked)?.into_fd()),
            None => None,
        };

        // Ethertype 0 is no protocol: a config zeroed by hand means "all", as the default does.
        let proto = if cfg.proto == 0 {
            crate::config::PROTO_ALL
        } else {
            cfg.proto
        };
        let sel = Selection {
            proto,
            direction: cfg.direction,
            kernel_ignores_outgoing,
            loopback: if any {
                None
            } else {
                Some(hatype == Some(ARPHRD_LOOPBACK))
            },
        };
        let prefix = prefix::prefix(&sel);
        let user = match install(
            sock.fd(),
            &prefix,
            cfg.filter.as_deref(),
            cfg.snaplen,
            "config.filter",
        )? {
            Installed::UserSpace => cfg.filter.clone().map(|prog| UserFilter::new(prog, None)),
            Installed::Kernel | Installed::None => None,
        };
        if cfg.qdisc_bypass {
            let on: libc::c_int = 1;
            sys::setsockopt(sock.fd(), sys::SOL_PACKET, sys::PACKET_QDISC_BYPASS, &on)
                .ctx("setsockopt(PACKET_QDISC_BYPASS)")?;
        }
        if cfg.promiscuous && !any {
            sock.add_promisc(ifindex)?;
        }
        sock.bind(ifindex)?;
        let brk_fd = sys::eventfd().ctx("eventfd")?;

        let gone_grace_ns = match (version, cfg.block_timeout_ms) {
            (Version::V3, t) if t > 0 => t as u64 * 1_000_000,
            (Version::V3, t) if t < 0 => 100_000_000,
            _ => 0,
        } + GONE_MARGIN_NS;
        // Tags go back only where the bytes start with an Ethernet header.
        let vlan_insert = cfg.vlan_insert && !cooked;
        let ring = Rx::new(version, map, geo, Post::new(vlan_insert, cfg.snaplen));
        // Room for the largest packet and a tag put back.
        let side = vec![0u8; ring.max_packet() + 4];
        let config = Config {
            buffer_size: geo.size() as i64,
            filter: None,
            cooked,
            promiscuous: cfg.promiscuous && !any,
            proto,
            vlan_insert,
            ..cfg.clone()
        };
        let ctl = Arc::new(Control {
            sock: sock.into_fd(),
            brk_fd,
            brk: AtomicBool::new(false),
            stats: Mutex::new(StatsAcc::default()),
            ifindex,
            linktype: hatype.map_or(LINKTYPE_NONE, linktype_of),
            config,
            fanout: AtomicBool::new(false),
            tx: tx.map(Mutex::new),
            mtu: AtomicU32::new(mtu),
            hatype,
            link_hdr: if cooked { 0 } else { 14 },
            tx_sock,
        });
        Ok(Handle {
            ring,
            ctl,
            side,
            prefix,
            user,
            netdown: false,
            gone_at: None,
            gone_grace_ns,
            micro: cfg.tstamp_resolution == TstampResolution::Micro,
            snaplen: cfg.snaplen,
            max_nil: cfg.max_nil_read,
            nonblock: cfg.nonblock,
            // Saturating: a timeout too long to express in nanoseconds is one that never passes.
            read_timeout_ns: (cfg.read_timeout_ms > 0)
                .then(|| (cfg.read_timeout_ms as u64).saturating_mul(1_000_000)),
        })
    }
}

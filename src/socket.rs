//! The AF_PACKET socket and its options, in the order the open sequence needs them: created with
//! protocol 0 (nothing is queued before bind), then version, reserve, ring, filter, and bind last.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::error::{Context, Errno, Error};
use crate::filter::Insn;
use crate::ring::{Geometry, Mapping, Version};
use crate::sys::{self, TpacketStatsV3, SOL_PACKET};

pub struct Socket {
    fd: OwnedFd,
}

impl Socket {
    pub fn new(cooked: bool) -> Result<Socket, Error> {
        let fd = sys::packet_socket(cooked).map_err(|e| match e {
            // As tcpdump does: say what is missing and how to get it.
            Errno(libc::EPERM) | Errno(libc::EACCES) => Error::with_detail(
                e,
                "socket(AF_PACKET)",
                "capturing and sending need the CAP_NET_RAW capability: run as root, or give \
                 the program the capability (sudo setcap cap_net_raw+ep PROGRAM)",
            ),
            e => Error::new(e, "socket(AF_PACKET)"),
        })?;
        Ok(Socket { fd })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Whether the kernel supports a TPACKET version (`PACKET_HDRLEN` probe).
    pub fn supports(&self, v: Version) -> bool {
        let mut val: libc::c_int = version_number(v);
        sys::getsockopt(self.fd(), SOL_PACKET, sys::PACKET_HDRLEN, &mut val).is_ok()
    }

    pub fn set_version(&self, v: Version) -> Result<(), Error> {
        sys::setsockopt(self.fd(), SOL_PACKET, sys::PACKET_VERSION, &version_number(v))
            .ctx("setsockopt(PACKET_VERSION)")
    }

    pub fn set_reserve(&self, bytes: u32) -> Result<(), Error> {
        sys::setsockopt(self.fd(), SOL_PACKET, sys::PACKET_RESERVE, &bytes).ctx("setsockopt(PACKET_RESERVE)")
    }

    /// Asks for software receive timestamps taken when the packet enters the stack (the ring
    /// carries a timestamp either way; this only makes it earlier and sets TP_STATUS_TS_SOFTWARE).
    /// The old option number works on every kernel, unlike `SO_TIMESTAMPNS_NEW` (5.1+).
    pub fn enable_timestamps(&self) {
        let on: libc::c_int = 1;
        let _ = sys::setsockopt(self.fd(), libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &on);
    }

    /// `PACKET_IGNORE_OUTGOING` (4.20+); false when the kernel lacks it.
    pub fn ignore_outgoing(&self) -> bool {
        let on: libc::c_int = 1;
        sys::setsockopt(self.fd(), SOL_PACKET, sys::PACKET_IGNORE_OUTGOING, &on).is_ok()
    }

    /// Creates and maps the ring. When the kernel cannot find the memory, retries with 5% fewer
    /// blocks each time, down to the minimum; returns the layout it got.
    /// With `tx`, also sets up a TX ring of that layout, mapped right after the RX ring.
    pub fn setup_ring(
        &self,
        mut geo: Geometry,
        retire_tov_ms: u32,
        tx: Option<Geometry>,
    ) -> Result<(Geometry, Mapping), Error> {
        loop {
            match sys::setsockopt(
                self.fd(),
                SOL_PACKET,
                sys::PACKET_RX_RING,
                &geo.req(retire_tov_ms),
            ) {
                Ok(()) => break,
                Err(Errno::ENOMEM) => match geo.shrunk() {
                    Some(g) => geo = g,
                    None => return Err(Error::new(Errno::ENOMEM, "setsockopt(PACKET_RX_RING)")),
                },
                Err(e) => return Err(Error::new(e, "setsockopt(PACKET_RX_RING)")),
            }
        }
        if let Some(t) = tx {
            sys::setsockopt(self.fd(), SOL_PACKET, sys::PACKET_TX_RING, &t.req(0))
                .ctx("setsockopt(PACKET_TX_RING)")?;
        }
        let total = geo.size() + tx.map_or(0, |t| t.size());
        let len = usize::try_from(total).map_err(|_| Error::new(Errno::ENOMEM, "mmap(ring)"))?;
        let map = Mapping::new(self.fd(), len).ctx("mmap(ring)")?;
        Ok((geo, map))
    }

    pub fn add_promisc(&self, ifindex: i32) -> Result<(), Error> {
        sys::add_promisc_membership(self.fd(), ifindex).ctx("setsockopt(PACKET_ADD_MEMBERSHIP)")
    }

    /// Binds to an interface (0: all) for every protocol, then takes any error the bind left
    /// pending. A down interface is not an error: capture starts when it comes up.
    pub fn bind(&self, ifindex: i32) -> Result<(), Error> {
        sys::bind_ll(self.fd(), ifindex, sys::ETH_P_ALL).ctx("bind")?;
        match sys::take_socket_error(self.fd()).ctx("getsockopt(SO_ERROR)")? {
            0 | libc::ENETDOWN => Ok(()),
            e => Err(Error::new(Errno(e), "bind")),
        }
    }
}

fn version_number(v: Version) -> libc::c_int {
    match v {
        Version::V2 => sys::TPACKET_V2,
        Version::V3 => sys::TPACKET_V3,
    }
}

/// Attaches a classic BPF program, replacing the previous one atomically.
pub fn attach(fd: BorrowedFd<'_>, prog: &[Insn]) -> Result<(), Errno> {
    sys::attach_filter(fd, prog)
}

/// Detaches the filter, if any.
pub fn detach(fd: BorrowedFd<'_>) -> Result<(), Error> {
    let zero: libc::c_int = 0;
    match sys::setsockopt(fd, libc::SOL_SOCKET, libc::SO_DETACH_FILTER, &zero) {
        // Nothing attached (ENONET is an old kernel's typo for ENOENT).
        Ok(()) | Err(Errno(libc::ENOENT)) | Err(Errno(libc::ENONET)) => Ok(()),
        Err(e) => Err(Error::new(e, "setsockopt(SO_DETACH_FILTER)")),
    }
}

/// The kernel's counters since they were last read (they clear on read).
pub fn take_stats(fd: BorrowedFd<'_>) -> Result<TpacketStatsV3, Error> {
    let mut st = TpacketStatsV3::default();
    sys::getsockopt(fd, SOL_PACKET, sys::PACKET_STATISTICS, &mut st).ctx("getsockopt(PACKET_STATISTICS)")?;
    Ok(st)
}

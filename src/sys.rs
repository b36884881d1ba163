//! The kernel interface: the `tpacket` structures and constants that `libc` lacks, and thin
//! system-call wrappers. errno is read here, right after the call that set it, and travels as a
//! typed [`Errno`] from then on; nothing above this module touches the global `errno`.

use once_cell::sync::Lazy;
use std::ffi::{CStr, CString};
use std::fmt;
use std::mem::{size_of, zeroed, MaybeUninit};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// A Linux errno value (positive).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    pub const EINTR: Errno = Errno(libc::EINTR);
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    pub const EIO: Errno = Errno(libc::EIO);
    pub const ENODEV: Errno = Errno(libc::ENODEV);
    pub const ENETDOWN: Errno = Errno(libc::ENETDOWN);
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    pub const ENOSYS: Errno = Errno(libc::ENOSYS);
    pub const ETIMEDOUT: Errno = Errno(libc::ETIMEDOUT);
    pub const EMSGSIZE: Errno = Errno(libc::EMSGSIZE);
    pub const ENXIO: Errno = Errno(libc::ENXIO);
    pub const ENOPROTOOPT: Errno = Errno(libc::ENOPROTOOPT);

    /// The calling thread's errno, read right after a failed call.
    fn last() -> Errno {
        Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
    }

    /// The C library's description, e.g. "Cannot allocate memory", as a static C string.
    pub fn description_c(self) -> &'static CStr {
        static TABLE: Lazy<Vec<CString>> = Lazy::new(|| (0..ERRNO_TABLE_LEN).map(strerror_owned).collect());
        static UNKNOWN: &CStr = c"Unknown error";
        usize::try_from(self.0)
            .ok()
            .and_then(|i| TABLE.get(i))
            .map_or(UNKNOWN, |s| s.as_c_str())
    }

    /// The C library's description, e.g. "Cannot allocate memory".
    pub fn description(self) -> &'static str {
        self.description_c().to_str().unwrap_or("Unknown error")
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({}: {})", self.0, self.description())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

const ERRNO_TABLE_LEN: i32 = 134;

fn strerror_owned(n: i32) -> CString {
    let mut buf = [0u8; 128];
    // SAFETY: `buf` is writable for its length; the XSI strerror_r NUL-terminates on success.
    let r = unsafe { libc::strerror_r(n, buf.as_mut_ptr().cast(), buf.len()) };
    let text = if r == 0 {
        CStr::from_bytes_until_nul(&buf).ok()
    } else {
        None
    };
    text.map_or_else(|| CString::from(c"Unknown error"), CStr::to_owned)
}

pub type SysResult<T> = Result<T, Errno>;

fn cvt(r: libc::c_int) -> SysResult<libc::c_int> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

fn cvt_isize(r: isize) -> SysResult<usize> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as usize)
    }
}

// ---- linux/if_packet.h -------------------------------------------------------------------------

pub const SOL_PACKET: libc::c_int = 263;
pub const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
pub const PACKET_RX_RING: libc::c_int = 5;
pub const PACKET_TX_RING: libc::c_int = 13;
pub const PACKET_STATISTICS: libc::c_int = 6;
pub const PACKET_VERSION: libc::c_int = 10;
pub const PACKET_HDRLEN: libc::c_int = 11;
pub const PACKET_RESERVE: libc::c_int = 12;
pub const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
pub const PACKET_MR_PROMISC: libc::c_ushort = 1;

pub const TPACKET_V2: libc::c_int = 1;
pub const TPACKET_V3: libc::c_int = 2;

pub const PACKET_OUTGOING: u8 = 4;

pub const TP_STATUS_KERNEL: u32 = 0;
pub const TP_STATUS_USER: u32 = 1 << 0;
pub const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
pub const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;
pub const TP_STATUS_TS_SOFTWARE: u32 = 1 << 29;
pub const TP_STATUS_TS_SYS_HARDWARE: u32 = 1 << 30;
pub const TP_STATUS_TS_RAW_HARDWARE: u32 = 1 << 31;

pub const ETH_P_ALL: u16 = 0x0003;
pub const ETH_P_8021Q: u16 = 0x8100;
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPHRD_LOOPBACK: u16 = 772;

/// `TPACKET_ALIGN`: frame headers and data are aligned to 16 bytes.
pub const fn tpacket_align(x: usize) -> usize {
    (x + 15) & !15
}

/// `struct tpacket_req3` (also accepted for TPACKET_V2, which reads only the first four fields).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TpacketReq3 {
    pub tp_block_size: u32,
    pub tp_block_nr: u32,
    pub tp_frame_size: u32,
    pub tp_frame_nr: u32,
    pub tp_retire_blk_tov: u32,
    pub tp_sizeof_priv: u32,
    pub tp_feature_req_word: u32,
}

/// `struct tpacket_stats_v3` (the V2 form is its first two fields).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TpacketStatsV3 {
    pub tp_packets: u32,
    pub tp_drops: u32,
    pub tp_freeze_q_cnt: u32,
}

/// `struct tpacket_block_desc` with its `tpacket_hdr_v1`, as laid out in a V3 block.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TpacketBlockDesc {
    pub version: u32,
    pub offset_to_priv: u32,
    pub block_status: u32,
    pub num_pkts: u32,
    pub offset_to_first_pkt: u32,
    pub blk_len: u32,
    pub seq_num: u64,
    pub ts_first_sec: u32,
    pub ts_first_nsec: u32,
    pub ts_last_sec: u32,
    pub ts_last_nsec: u32,
}

/// `struct tpacket3_hdr`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tpacket3Hdr {
    pub tp_next_offset: u32,
    pub tp_sec: u32,
    pub tp_nsec: u32,
    pub tp_snaplen: u32,
    pub tp_len: u32,
    pub tp_status: u32,
    pub tp_mac: u16,
    pub tp_net: u16,
    pub tp_rxhash: u32,
    pub tp_vlan_tci: u32,
    pub tp_vlan_tpid: u16,
    pub hv1_padding: u16,
    pub tp_padding: [u8; 8],
}

/// `struct tpacket2_hdr`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tpacket2Hdr {
    pub tp_status: u32,
    pub tp_len: u32,
    pub tp_snaplen: u32,
    pub tp_mac: u16,
    pub tp_net: u16,
    pub tp_sec: u32,
    pub tp_nsec: u32,
    pub tp_vlan_tci: u16,
    pub tp_vlan_tpid: u16,
    pub tp_padding: [u8; 4],
}

const _: () = assert!(size_of::<TpacketBlockDesc>() == 48);
const _: () = assert!(size_of::<Tpacket3Hdr>() == 48);
const _: () = assert!(size_of::<Tpacket2Hdr>() == 32);
const _: () = assert!(size_of::<libc::sockaddr_ll>() == 20);

// ---- sockets -----------------------------------------------------------------------------------

/// `socket(AF_PACKET, kind | SOCK_CLOEXEC, 0)`: protocol 0 so that nothing is queued before bind.
pub fn packet_socket(cooked: bool) -> SysResult<OwnedFd> {
    let kind = if cooked { libc::SOCK_DGRAM } else { libc::SOCK_RAW };
    // SAFETY: plain system call with integer arguments.
    let fd = cvt(unsafe { libc::socket(libc::AF_PACKET, kind | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just returned by socket() and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `setsockopt` with a plain-data value.
pub fn setsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> SysResult<()> {
    // SAFETY: `value` points to `size_of::<T>()` readable bytes for the duration of the call.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// `getsockopt` into a plain-data value that is valid for any bit pattern.
pub fn getsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &mut T,
) -> SysResult<usize> {
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` points to `size_of::<T>()` writable bytes; callers only use integer and
    // repr(C) integer structs, for which every bit pattern is valid.
    cvt(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, (value as *mut T).cast(), &mut len) })?;
    Ok(len as usize)
}

/// The socket's pending error (`SO_ERROR`, which clears it); 0 when none.
pub fn take_socket_error(fd: BorrowedFd<'_>) -> SysResult<i32> {
    let mut err: libc::c_int = 0;
    getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut err)?;
    Ok(err)
}

/// `struct sock_fprog` for `SO_ATTACH_FILTER`.
#[repr(C)]
struct SockFprog {
    len: libc::c_ushort,
    filter: *const crate::filter::Insn,
}

/// Attaches a classic BPF program (`SO_ATTACH_FILTER`, an atomic swap in the kernel).
pub fn attach_filter(fd: BorrowedFd<'_>, prog: &[crate::filter::Insn]) -> SysResult<()> {
    let len = libc::c_ushort::try_from(prog.len()).map_err(|_| Errno::EINVAL)?;
    let fprog = SockFprog {
        len,
        filter: prog.as_ptr(),
    };
    // SAFETY: `fprog` points at `prog`, which outlives the call; the kernel copies the program.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const SockFprog).cast(),
            size_of::<SockFprog>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn sockaddr_ll(ifindex: i32, proto_host: u16) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain integers; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = proto_host.to_be();
    sll.sll_ifindex = ifindex;
    sll
}

/// `bind` to an interface (0 = all) and a protocol (host byte order).
pub fn bind_ll(fd: BorrowedFd<'_>, ifindex: i32, proto_host: u16) -> SysResult<()> {
    let sll = sockaddr_ll(ifindex, proto_host);
    // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// The interface index the socket is bound to now; -1 once the interface was unregistered.
pub fn bound_ifindex(fd: BorrowedFd<'_>) -> SysResult<i32> {
    // SAFETY: all-zero is a valid sockaddr_ll.
    let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: `sll` has `len` writable bytes.
    cvt(unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut sll as *mut libc::sockaddr_ll).cast(),
            &mut len,
        )
    })?;
    Ok(sll.sll_ifindex)
}

/// `sendto` one frame to an interface with the given protocol (host order) and, for a cooked
/// socket, link-layer destination `addr` (at most 8 bytes; empty: none).
pub fn sendto_ll(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    ifindex: i32,
    proto_host: u16,
    addr: &[u8],
    dontwait: bool,
) -> SysResult<usize> {
    let mut sll = sockaddr_ll(ifindex, proto_host);
    let n = addr.len().min(sll.sll_addr.len());
    sll.sll_addr[..n].copy_from_slice(&addr[..n]);
    sll.sll_halen = n as u8;
    let flags = if dontwait { libc::MSG_DONTWAIT } else { 0 };
    // SAFETY: `buf` and `sll` are valid for the lengths passed.
    cvt_isize(unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            flags | libc::MSG_NOSIGNAL,
            (&sll as *const libc::sockaddr_ll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
}

/// `send` one frame on the interface the socket is bound to; the kernel (5.1+) takes the
/// protocol from the frame's link-layer header. Cheaper than `sendto`, which looks the device
/// up by index for every frame.
pub fn send_bound(fd: BorrowedFd<'_>, buf: &[u8], dontwait: bool) -> SysResult<usize> {
    let flags = libc::MSG_NOSIGNAL | if dontwait { libc::MSG_DONTWAIT } else { 0 };
    // SAFETY: `buf` is valid for its length.
    cvt_isize(unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags) })
}

/// Joins the interface in promiscuous mode by socket membership: the kernel drops it when the
/// socket dies, so a crash never leaves the interface promiscuous.
pub fn add_promisc_membership(fd: BorrowedFd<'_>, ifindex: i32) -> SysResult<()> {
    let mreq = libc::packet_mreq {
        mr_ifindex: ifindex,
        mr_type: PACKET_MR_PROMISC,
        mr_alen: 0,
        mr_address: [0; 8],
    };
    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq)
}

// ---- eventfd, poll -----------------------------------------------------------------------------

/// A non-blocking, close-on-exec eventfd.
pub fn eventfd() -> SysResult<OwnedFd> {
    // SAFETY: plain system call.
    let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
    // SAFETY: `fd` was just returned by eventfd() and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds 1 to an eventfd. Async-signal-safe: one write(2), no allocation, no lock.
pub fn eventfd_signal(fd: RawFd) -> SysResult<()> {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a local.
    cvt_isize(unsafe { libc::write(fd, (&one as *const u64).cast(), 8) }).map(drop)
}

/// Resets an eventfd to zero (EAGAIN when already zero is fine).
pub fn eventfd_drain(fd: BorrowedFd<'_>) {
    let mut v: u64 = 0;
    // SAFETY: reads 8 bytes into a local. The result does not matter: either the counter was
    // reset or it was already zero.
    let _ = unsafe { libc::read(fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
}

pub use libc::pollfd as PollFd;

/// `poll` with a timeout in ms (-1 = forever). EINTR is returned as an error.
pub fn poll(fds: &mut [PollFd], timeout_ms: i32) -> SysResult<usize> {
    // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfd.
    cvt(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) }).map(|n| n as usize)
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call).
pub fn monotonic_ns() -> u64 {
    // SAFETY: all-zero is a valid timespec.
    let mut ts: libc::timespec = unsafe { zeroed() };
    // SAFETY: `ts` is writable; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

// ---- savefiles ---------------------------------------------------------------------------------

/// Maps the first `len` bytes of a regular file read-only and private, for the savefile reader,
/// with sequential read-ahead advised.
///
/// The mapping shows the file as it is, not a copy: the savefile API documents that a file must
/// not be truncated or rewritten while a handle reads it (reading pages lost to a truncation
/// raises SIGBUS, as with every reader of a mapped file).
pub fn map_file(file: &std::fs::File, len: usize) -> SysResult<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and private, and the bytes are only ever read (as a
    // `&[u8]` that the savefile parser bounds-checks). memmap2 asks that the file not change
    // while mapped; that is the documented condition of pkt_open_offline() and
    // savefile::Offline::open, which pass it on to the caller (libpcap's reader, which uses
    // stdio, is the alternative for files that others rewrite).
    let map = unsafe { memmap2::MmapOptions::new().len(len).map(file) }
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
    // Only advice: a kernel that ignores it still reads the file correctly.
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// A close-on-exec duplicate of `fd` (`F_DUPFD_CLOEXEC`): `EBADF` when `fd` is not open.
pub fn dup_cloexec(fd: RawFd) -> SysResult<OwnedFd> {
    // SAFETY: plain system call; an invalid `fd` only makes it fail with EBADF.
    let new = cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: `new` was just returned by fcntl() and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

// ---- interfaces --------------------------------------------------------------------------------

/// A `struct ifreq` with the name set; fails with ENODEV for names that do not fit (IFNAMSIZ).
fn ifreq_named(name: &[u8]) -> SysResult<libc::ifreq> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains(&0) {
        return Err(Errno::ENODEV);
    }
    // SAFETY: ifreq is plain data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    Ok(ifr)
}

fn ioctl_sock() -> SysResult<OwnedFd> {
    // SAFETY: plain system call.
    // Interface ioctls work on any socket; a UDP socket needs no privilege.
    let fd = cvt(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just returned by socket().
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn ifioctl(fd: BorrowedFd<'_>, req: libc::c_ulong, ifr: &mut libc::ifreq) -> SysResult<()> {
    // SAFETY: `ifr` is a valid, writable ifreq for the interface ioctls used here.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, ifr as *mut libc::ifreq) }).map(drop)
}

/// Facts about one interface, looked up by name.
#[derive(Clone, Copy, Debug)]
pub struct IfInfo {
    pub ifindex: i32,
    pub hatype: u16,
    pub mtu: u32,
}

/// Looks an interface up by name: index, ARPHRD type and MTU.
pub fn iface_info(name: &[u8]) -> SysResult<IfInfo> {
    let sock = ioctl_sock()?;
    let mut ifr = ifreq_named(name)?;
    ifioctl(sock.as_fd(), libc::SIOCGIFINDEX, &mut ifr)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member of the union.
    let ifindex = unsafe { ifr.ifr_ifru.ifru_ifindex };
    let mut ifr = ifreq_named(name)?;
    ifioctl(sock.as_fd(), libc::SIOCGIFHWADDR, &mut ifr)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member; sa_family carries the ARPHRD type.
    let hatype = unsafe { ifr.ifr_ifru.ifru_hwaddr.sa_family };
    let mut ifr = ifreq_named(name)?;
    ifioctl(sock.as_fd(), libc::SIOCGIFMTU, &mut ifr)?;
    // SAFETY: SIOCGIFMTU filled the mtu member.
    let mtu = unsafe { ifr.ifr_ifru.ifru_mtu }.max(0) as u32;
    Ok(IfInfo { ifindex, hatype, mtu })
}

/// A `struct ifreq` naming the interface with index `ifindex` (SIOCGIFNAME on `fd`: any socket
/// serves, no new one is made).
fn ifreq_by_index(fd: BorrowedFd<'_>, ifindex: i32) -> SysResult<libc::ifreq> {
    // SAFETY: ifreq is plain data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { zeroed() };
    ifr.ifr_ifru.ifru_ifindex = ifindex;
    ifioctl(fd, libc::SIOCGIFNAME, &mut ifr)?;
    Ok(ifr)
}

/// Looks an interface up by index: index, ARPHRD type and MTU, with ioctls on `fd`.
pub fn iface_by_index(fd: BorrowedFd<'_>, ifindex: i32) -> SysResult<IfInfo> {
    let mut ifr = ifreq_by_index(fd, ifindex)?;
    ifioctl(fd, libc::SIOCGIFHWADDR, &mut ifr)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member; sa_family carries the ARPHRD type.
    let hatype = unsafe { ifr.ifr_ifru.ifru_hwaddr.sa_family };
    Ok(IfInfo {
        ifindex,
        hatype,
        mtu: iface_mtu(fd, ifindex)?,
    })
}

/// The name of the interface with index `ifindex` (SIOCGIFNAME), without the NUL.
pub fn iface_name(ifindex: i32) -> SysResult<Vec<u8>> {
    let sock = ioctl_sock()?;
    let ifr = ifreq_by_index(sock.as_fd(), ifindex)?;
    Ok(ifr
        .ifr_name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect())
}

/// The MTU of an interface given by index (its name, then the MTU: two ioctls on `fd`).
pub fn iface_mtu(fd: BorrowedFd<'_>, ifindex: i32) -> SysResult<u32> {
    let mut ifr = ifreq_by_index(fd, ifindex)?;
    ifioctl(fd, libc::SIOCGIFMTU, &mut ifr)?;
    // SAFETY: SIOCGIFMTU filled the mtu member.
    Ok(unsafe { ifr.ifr_ifru.ifru_mtu }.max(0) as u32)
}

/// State of an interface given by index: `Ok(Some(up))` while it exists, `Ok(None)` once gone.
pub fn iface_state(ifindex: i32) -> SysResult<Option<bool>> {
    let sock = ioctl_sock()?;
    // SAFETY: ifreq is plain data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { zeroed() };
    ifr.ifr_ifru.ifru_ifindex = ifindex;
    match ifioctl(sock.as_fd(), libc::SIOCGIFNAME, &mut ifr) {
        Ok(()) => {}
        Err(Errno::ENODEV) | Err(Errno::ENXIO) => return Ok(None),
        Err(e) => return Err(e),
    }
    match ifioctl(sock.as_fd(), libc::SIOCGIFFLAGS, &mut ifr) {
        // SAFETY: SIOCGIFFLAGS filled the flags member.
        Ok(()) => Ok(Some(
            unsafe { ifr.ifr_ifru.ifru_flags } as libc::c_int & libc::IFF_UP != 0,
        )),
        Err(Errno::ENODEV) | Err(Errno::ENXIO) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The running kernel's release string (`uname -r`).
pub fn kernel_release() -> Option<String> {
    let mut uts = MaybeUninit::<libc::utsname>::uninit();
    // SAFETY: `uts` is writable; uname fills it completely on success.
    if unsafe { libc::uname(uts.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: uname succeeded, so `uts` is initialized and `release` is NUL-terminated.
    let uts = unsafe { uts.assume_init() };
    // SAFETY: `release` is a NUL-terminated array inside `uts`.
    let rel = unsafe { CStr::from_ptr(uts.release.as_ptr()) };
    Some(rel.to_string_lossy().into_owned())
}

/// The system page size.
pub fn page_size() -> usize {
    // SAFETY: plain library call.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Parses "MAJOR.MINOR[.anything]" from a kernel release string such as "6.1.0-13-amd64".
pub fn parse_kernel_release(rel: &str) -> Option<(i32, i32)> {
    let mut parts = rel.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor_part = parts.next()?;
    let digits = minor_part
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(minor_part.len());
    let minor = minor_part[..digits].parse().ok()?;
    Some((major, minor))
}

/// The running kernel's (major, minor), looked up once.
pub fn kernel_version() -> Option<(i32, i32)> {
    static V: Lazy<Option<(i32, i32)>> = Lazy::new(|| parse_kernel_release(&kernel_release()?));
    *V
}

/// `send(fd, NULL, 0)`: hands a TX ring's queued frames to the kernel; without `dontwait`, waits
/// until all have left.
pub fn send_empty(fd: BorrowedFd<'_>, dontwait: bool) -> SysResult<()> {
    let flags = libc::MSG_NOSIGNAL | if dontwait { libc::MSG_DONTWAIT } else { 0 };
    // SAFETY: a zero-length send from a NULL buffer reads nothing.
    cvt_isize(unsafe { libc::send(fd.as_raw_fd(), std::ptr::null(), 0, flags) }).map(drop)
}

/// Frames one `sendmmsg` call sends at most.
pub const SENDMMSG_MAX: usize = 64;

/// Sends up to [`SENDMMSG_MAX`] frames in one `sendmmsg` call, each to `ifindex` with its own
/// protocol (host order), or, with `ifindex` 0, on the bound interface with the protocol of its
/// link-layer header (see [`send_bound`]). Returns how many the kernel took (fewer when one failed: the next call
/// reports why).
pub fn sendmmsg_ll(
    fd: BorrowedFd<'_>,
    frames: &[&[u8]],
    protos: &[u16],
    ifindex: i32,
    dontwait: bool,
) -> SysResult<usize> {
    let n = frames.len().min(protos.len()).min(SENDMMSG_MAX);
    // SAFETY: all-zero is a valid value for these plain C structs.
    let mut addrs: [libc::sockaddr_ll; SENDMMSG_MAX] = unsafe { zeroed() };
    // SAFETY: as above.
    let mut iovs: [libc::iovec; SENDMMSG_MAX] = unsafe { zeroed() };
    // SAFETY: as above.
    let mut msgs: [libc::mmsghdr; SENDMMSG_MAX] = unsafe { zeroed() };
    for i in 0..n {
        addrs[i] = sockaddr_ll(ifindex, protos[i]);
        iovs[i] = libc::iovec {
            iov_base: frames[i].as_ptr() as *mut libc::c_void,
            iov_len: frames[i].len(),
        };
        if ifindex != 0 {
            msgs[i].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_ll).cast();
            msgs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        }
        msgs[i].msg_hdr.msg_iov = &mut iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    let flags = libc::MSG_NOSIGNAL | if dontwait { libc::MSG_DONTWAIT } else { 0 };
    // SAFETY: `msgs[..n]` point at `addrs` and `iovs`, which point at the caller's frames; all
    // outlive the call, and the kernel only reads the frames.
    cvt(unsafe { libc::sendmmsg(fd.as_raw_fd(), msgs.as_mut_ptr(), n as libc::c_uint, flags) })
        .map(|r| r as usize)
}

pub const PACKET_FANOUT: libc::c_int = 18;
pub const PACKET_QDISC_BYPASS: libc::c_int = 20;

// ---- the interface list (getifaddrs) and per-interface queries -------------------------------

/// One entry of `getifaddrs`, copied out of the C library's list: an interface (its link-layer
/// entry) or one of its IPv4/IPv6 addresses. `name` is the entry's name, for IPv4 addresses the
/// address label (`v0:1`); `ifu` is the union of broadcast and destination address.
#[derive(Clone, Debug)]
pub struct IfAddrEntry {
    pub name: Vec<u8>,
    pub flags: u32,
    pub addr: Option<SockAddr>,
    pub netmask: Option<SockAddr>,
    pub ifu: Option<SockAddr>,
}

/// Frees the C library's list on every way out.
struct IfAddrs(*mut libc::ifaddrs);

impl Drop for IfAddrs {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a successful getifaddrs and is freed only here.
        unsafe { libc::freeifaddrs(self.0) }
    }
}

/// Copies an address of the families `getifaddrs` reports (AF_INET, AF_INET6, AF_PACKET); None
/// for NULL and other families.
///
/// # Safety
/// `sa` is NULL or points to a socket address as large as its family's struct.
unsafe fn sockaddr_copy(sa: *const libc::sockaddr) -> Option<SockAddr> {
    // SAFETY: NULL or a valid sockaddr per the contract; the family is its first field.
    let family = libc::c_int::from(unsafe { sa.as_ref() }?.sa_family);
    match family {
        libc::AF_INET => {
            // SAFETY: an AF_INET address is a sockaddr_in (read unaligned: any alignment).
            let a = unsafe { sa.cast::<libc::sockaddr_in>().read_unaligned() };
            Some(SockAddr::V4(std::net::Ipv4Addr::from(
                a.sin_addr.s_addr.to_ne_bytes(),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 address is a sockaddr_in6.
            let a = unsafe { sa.cast::<libc::sockaddr_in6>().read_unaligned() };
            Some(SockAddr::V6 {
                ip: std::net::Ipv6Addr::from(a.sin6_addr.s6_addr),
                scope_id: a.sin6_scope_id,
            })
        }
        libc::AF_PACKET => {
            // SAFETY: an AF_PACKET address is (at least) a sockaddr_ll.
            let a = unsafe { sa.cast::<libc::sockaddr_ll>().read_unaligned() };
            Some(SockAddr::Link(LinkAddr {
                ifindex: a.sll_ifindex,
                hatype: a.sll_hatype,
                pkttype: a.sll_pkttype,
                halen: a.sll_halen,
                addr: a.sll_addr,
            }))
        }
        _ => None,
    }
}

/// `getifaddrs`: every interface (one link-layer entry each, in index order) and every IPv4 and
/// IPv6 address, copied.
pub fn getifaddrs() -> SysResult<Vec<IfAddrEntry>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `head` is writable; on success it holds a list freed by IfAddrs.
    cvt(unsafe { libc::getifaddrs(&mut head) })?;
    let list = IfAddrs(head);
    let mut out = Vec::new();
    let mut p = list.0.cast_const();
    // SAFETY: `p` is NULL or an entry of the list, alive until `list` drops.
    while let Some(e) = unsafe { p.as_ref() } {
        let name = if e.ifa_name.is_null() {
            Vec::new()
        } else {
            // SAFETY: a non-NULL name is a NUL-terminated string of the list.
            unsafe { CStr::from_ptr(e.ifa_name) }.to_bytes().to_vec()
        };
        // SAFETY: the C library's addresses are NULL or valid for their family.
        let (addr, netmask, ifu) = unsafe {
            (
                sockaddr_copy(e.ifa_addr),
                sockaddr_copy(e.ifa_netmask),
                sockaddr_copy(e.ifa_ifu),
            )
        };
        out.push(IfAddrEntry {
            name,
            flags: e.ifa_flags,
            addr,
            netmask,
            ifu,
        });
        p = e.ifa_next;
    }
    Ok(out)
}

/// A socket for interface ioctls (AF_INET, datagram: no privilege needed).
pub fn ioctl_socket() -> SysResult<OwnedFd> {
    ioctl_sock()
}

/// The index and ARPHRD type of the interface named `name`, with ioctls on `fd`.
pub fn iface_index_hatype(fd: BorrowedFd<'_>, name: &[u8]) -> SysResult<(i32, u16)> {
    let mut ifr = ifreq_named(name)?;
    ifioctl(fd, libc::SIOCGIFINDEX, &mut ifr)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member of the union.
    let ifindex = unsafe { ifr.ifr_ifru.ifru_ifindex };
    let mut ifr = ifreq_named(name)?;
    ifioctl(fd, libc::SIOCGIFHWADDR, &mut ifr)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member; sa_family carries the ARPHRD type.
    let hatype = unsafe { ifr.ifr_ifru.ifru_hwaddr.sa_family };
    Ok((ifindex, hatype))
}

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GLINK: u32 = 0x0000_000a;

/// `struct ethtool_value`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// The driver's link state (`SIOCETHTOOL` `ETHTOOL_GLINK`, what `ethtool` prints as "Link
/// detected"): for most drivers the carrier, false while the interface is down. EOPNOTSUPP
/// when the driver cannot tell.
pub fn ethtool_link(fd: BorrowedFd<'_>, name: &[u8]) -> SysResult<bool> {
    let mut ifr = ifreq_named(name)?;
    let mut v = EthtoolValue {
        cmd: ETHTOOL_GLINK,
        data: 0,
    };
    ifr.ifr_ifru.ifru_data = (&mut v as *mut EthtoolValue).cast();
    // SAFETY: `ifr` names the interface and points at `v`, which outlives the call; the kernel
    // reads `cmd` and writes `data`.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), SIOCETHTOOL as _, &mut ifr as *mut libc::ifreq) })?;
    Ok(v.data != 0)
}

/// An IPv4 address of the interface as an interface ioctl (`req`) reports it, in network byte
/// order.
fn ipv4_ioctl(fd: BorrowedFd<'_>, name: &[u8], req: libc::c_ulong) -> SysResult<[u8; 4]> {
    let mut ifr = ifreq_named(name)?;
    // Older kernels read the family (libpcap's "work around Linux kernel bug").
    ifr.ifr_ifru.ifru_addr.sa_family = libc::AF_INET as libc::sa_family_t;
    ifioctl(fd, req, &mut ifr)?;
    // SAFETY: the ioctl filled the addr member with a sockaddr_in.
    let sa = unsafe { ifr.ifr_ifru.ifru_addr };
    // SAFETY: sockaddr and sockaddr_in have the same size; the bytes are a sockaddr_in.
    let sin: libc::sockaddr_in = unsafe { std::mem::transmute(sa) };
    Ok(sin.sin_addr.s_addr.to_ne_bytes())
}

/// The interface's first IPv4 address (`SIOCGIFADDR`: the first whose label is the
/// interface's name), in network byte order; EADDRNOTAVAIL when it has none.
pub fn ipv4_addr(fd: BorrowedFd<'_>, name: &[u8]) -> SysResult<[u8; 4]> {
    ipv4_ioctl(fd, name, libc::SIOCGIFADDR)
}

/// The netmask of the interface's first IPv4 address (`SIOCGIFNETMASK`), network byte order.
pub fn ipv4_netmask(fd: BorrowedFd<'_>, name: &[u8]) -> SysResult<[u8; 4]> {
    ipv4_ioctl(fd, name, libc::SIOCGIFNETMASK)
}

// ---- timestamp sources (linux/net_tstamp.h, linux/ethtool.h, linux/sockios.h) ----------------

/// `SOL_PACKET` option: which `SOF_TIMESTAMPING_*` source stamps the ring's packets.
pub const PACKET_TIMESTAMP: libc::c_int = 17;
pub const SOF_TIMESTAMPING_SOFTWARE: u32 = 1 << 4;
/// Hardware time converted to system time; no driver reports it since Linux 3.17.
pub const SOF_TIMESTAMPING_SYS_HARDWARE: u32 = 1 << 5;
pub const SOF_TIMESTAMPING_RAW_HARDWARE: u32 = 1 << 6;
/// `hwtstamp_config.tx_type`: time stamp outgoing packets that ask for it.
pub const HWTSTAMP_TX_ON: i32 = 1;
/// `hwtstamp_config.rx_filter`: time stamp every received packet.
pub const HWTSTAMP_FILTER_ALL: i32 = 1;
const SIOCSHWTSTAMP: libc::c_ulong = 0x89b0;
const SIOCGHWTSTAMP: libc::c_ulong = 0x89b1;
const ETHTOOL_GET_TS_INFO: u32 = 0x41;

/// `struct ethtool_ts_info`: an interface's time stamping capabilities.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EthtoolTsInfo {
    pub cmd: u32,
    /// `SOF_TIMESTAMPING_*` bits the interface supports.
    pub so_timestamping: u32,
    pub phc_index: i32,
    /// Bit `1 << HWTSTAMP_TX_*` for each transmit mode.
    pub tx_types: u32,
    pub tx_reserved: [u32; 3],
    /// Bit `1 << HWTSTAMP_FILTER_*` for each receive filter.
    pub rx_filters: u32,
    pub rx_reserved: [u32; 3],
}

/// `struct hwtstamp_config`: what SIOCSHWTSTAMP sets and SIOCGHWTSTAMP reads.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HwtstampConfig {
    pub flags: i32,
    pub tx_type: i32,
    pub rx_filter: i32,
}

const _: () = assert!(size_of::<EthtoolTsInfo>() == 44);
const _: () = assert!(size_of::<HwtstampConfig>() == 12);

/// An interface ioctl that takes a pointer to `data` in `ifr_data`.
///
/// # Safety
/// `T` is the struct that `req` reads and writes through `ifr_data`.
unsafe fn ifioctl_data<T>(
    fd: BorrowedFd<'_>,
    req: libc::c_ulong,
    name: &[u8],
    data: &mut T,
) -> SysResult<()> {
    let mut ifr = ifreq_named(name)?;
    ifr.ifr_ifru.ifru_data = (data as *mut T).cast();
    // `ifr` points at `data`, which outlives the call and, per the contract, is what `req`
    // expects there.
    ifioctl(fd, req, &mut ifr)
}

/// `SIOCETHTOOL` `ETHTOOL_GET_TS_INFO`: the interface's time stamping capabilities (what
/// `ethtool -T` prints). Needs no privilege.
pub fn ethtool_ts_info(name: &[u8]) -> SysResult<EthtoolTsInfo> {
    let sock = ioctl_sock()?;
    let mut info = EthtoolTsInfo {
        cmd: ETHTOOL_GET_TS_INFO,
        ..EthtoolTsInfo::default()
    };
    // SAFETY: SIOCETHTOOL with cmd ETHTOOL_GET_TS_INFO fills a struct ethtool_ts_info.
    unsafe { ifioctl_data(sock.as_fd(), SIOCETHTOOL, name, &mut info) }?;
    Ok(info)
}

/// `SIOCGHWTSTAMP`: the interface's hardware time stamping setting.
pub fn get_hwtstamp(fd: BorrowedFd<'_>, name: &[u8]) -> SysResult<HwtstampConfig> {
    let mut cfg = HwtstampConfig::default();
    // SAFETY: SIOCGHWTSTAMP fills a struct hwtstamp_config.
    unsafe { ifioctl_data(fd, SIOCGHWTSTAMP, name, &mut cfg) }?;
    Ok(cfg)
}

/// `SIOCSHWTSTAMP` (CAP_NET_ADMIN): changes the interface's hardware time stamping for every
/// user of the interface; returns the setting the driver applied (it may widen the filter).
pub fn set_hwtstamp(fd: BorrowedFd<'_>, name: &[u8], mut cfg: HwtstampConfig) -> SysResult<HwtstampConfig> {
    // SAFETY: SIOCSHWTSTAMP reads and writes back a struct hwtstamp_config.
    unsafe { ifioctl_data(fd, SIOCSHWTSTAMP, name, &mut cfg) }?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_release_parsing() {
        assert_eq!(parse_kernel_release("3.18.0-x"), Some((3, 18)));
        assert_eq!(parse_kernel_release("4.19.0-rc1"), Some((4, 19)));
        assert_eq!(parse_kernel_release("6.1.0+"), Some((6, 1)));
        assert_eq!(parse_kernel_release("6.18"), Some((6, 18)));
        assert_eq!(parse_kernel_release("5.10-rc2"), Some((5, 10)));
        for bad in ["", "6", "x.1", "6.", "6.x", "abc"] {
            assert_eq!(parse_kernel_release(bad), None, "{bad}");
        }
        assert!(kernel_version().unwrap().0 >= 3);
    }

    #[test]
    fn errno_descriptions() {
        assert_eq!(Errno::ENOMEM.description(), "Cannot allocate memory");
        assert_eq!(Errno(0).description(), "Success");
    }
}

// ---- socket addresses as getifaddrs gives them (owned copies; the interface list is
// src/iface.rs, which re-exports these)

/// A link-layer address (an AF_PACKET `sockaddr_ll`), as `getifaddrs` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkAddr {
    /// The interface index.
    pub ifindex: i32,
    /// The interface's ARPHRD type.
    pub hatype: u16,
    /// The packet type (0 in the list).
    pub pkttype: u8,
    /// The address length as the kernel has it; up to 8 bytes of it are in `addr`.
    pub halen: u8,
    /// The address bytes (of a `sockaddr_ll`: at most 8).
    pub addr: [u8; 8],
}

impl LinkAddr {
    /// The address bytes held.
    pub fn bytes(&self) -> &[u8] {
        &self.addr[..usize::from(self.halen).min(self.addr.len())]
    }
}

/// One socket address of an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// IPv4.
    V4(std::net::Ipv4Addr),
    /// IPv6, with the scope (the interface index for link-local addresses, else 0).
    V6 {
        /// The address.
        ip: std::net::Ipv6Addr,
        /// `sin6_scope_id`.
        scope_id: u32,
    },
    /// Link layer (AF_PACKET).
    Link(LinkAddr),
}

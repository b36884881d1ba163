//! libpcap 1.10's C types and constants, with its layouts on Linux (checked against the
//! system's `pcap.h` by `tests/layout.rs`).

use libc::{c_char, c_int, c_uint, c_void, sockaddr, timeval};

/// `PCAP_ERRBUF_SIZE`: every error buffer a caller hands in has room for this many bytes.
pub const PCAP_ERRBUF_SIZE: usize = 256;

pub const PCAP_ERROR: c_int = -1;
pub const PCAP_ERROR_BREAK: c_int = -2;
pub const PCAP_ERROR_NOT_ACTIVATED: c_int = -3;
pub const PCAP_ERROR_ACTIVATED: c_int = -4;
pub const PCAP_ERROR_NO_SUCH_DEVICE: c_int = -5;
pub const PCAP_ERROR_RFMON_NOTSUP: c_int = -6;
pub const PCAP_ERROR_NOT_RFMON: c_int = -7;
pub const PCAP_ERROR_PERM_DENIED: c_int = -8;
pub const PCAP_ERROR_IFACE_NOT_UP: c_int = -9;
pub const PCAP_ERROR_CANTSET_TSTAMP_TYPE: c_int = -10;
pub const PCAP_ERROR_PROMISC_PERM_DENIED: c_int = -11;
pub const PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: c_int = -12;

pub const PCAP_WARNING: c_int = 1;
pub const PCAP_WARNING_PROMISC_NOTSUP: c_int = 2;
pub const PCAP_WARNING_TSTAMP_TYPE_NOTSUP: c_int = 3;

pub const PCAP_NETMASK_UNKNOWN: u32 = 0xffff_ffff;

pub const PCAP_TSTAMP_HOST: c_int = 0;
pub const PCAP_TSTAMP_HOST_LOWPREC: c_int = 1;
pub const PCAP_TSTAMP_HOST_HIPREC: c_int = 2;
pub const PCAP_TSTAMP_ADAPTER: c_int = 3;
pub const PCAP_TSTAMP_ADAPTER_UNSYNCED: c_int = 4;
pub const PCAP_TSTAMP_HOST_HIPREC_UNSYNCED: c_int = 5;

pub const PCAP_TSTAMP_PRECISION_MICRO: c_int = 0;
pub const PCAP_TSTAMP_PRECISION_NANO: c_int = 1;

pub const PCAP_D_INOUT: c_int = 0;
pub const PCAP_D_IN: c_int = 1;
pub const PCAP_D_OUT: c_int = 2;

pub const PCAP_CHAR_ENC_LOCAL: c_uint = 0;
pub const PCAP_CHAR_ENC_UTF_8: c_uint = 1;

/// `struct pcap_pkthdr`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PcapPkthdr {
    pub ts: timeval,
    pub caplen: u32,
    pub len: u32,
}

/// `struct bpf_insn`: [`pkt_bpf::Insn`] has its layout.
pub type BpfInsn = pkt_bpf::Insn;

/// `struct bpf_program`.
#[repr(C)]
pub struct BpfProgram {
    pub bf_len: c_uint,
    pub bf_insns: *mut BpfInsn,
}

/// `struct pcap_stat` (Linux: no `ps_capt`, `ps_sent`, `ps_netdrop`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct PcapStat {
    pub ps_recv: c_uint,
    pub ps_drop: c_uint,
    pub ps_ifdrop: c_uint,
}

/// `struct pcap_addr` (`pcap_addr_t`).
#[repr(C)]
pub struct PcapAddr {
    pub next: *mut PcapAddr,
    pub addr: *mut sockaddr,
    pub netmask: *mut sockaddr,
    pub broadaddr: *mut sockaddr,
    pub dstaddr: *mut sockaddr,
}

/// `struct pcap_if` (`pcap_if_t`).
#[repr(C)]
pub struct PcapIf {
    pub next: *mut PcapIf,
    pub name: *mut c_char,
    pub description: *mut c_char,
    pub addresses: *mut PcapAddr,
    pub flags: u32,
}

/// `pcap_handler`.
pub type PcapHandler = Option<unsafe extern "C" fn(user: *mut u8, h: *const PcapPkthdr, bytes: *const u8)>;

/// `struct pcap_file_header`.
#[repr(C)]
pub struct PcapFileHeader {
    pub magic: u32,
    pub version_major: u16,
    pub version_minor: u16,
    pub thiszone: i32,
    pub sigfigs: u32,
    pub snaplen: u32,
    pub linktype: u32,
}

/// Opaque for C; `*mut c_void` where libpcap hands out a `FILE *`.
pub type CFile = c_void;

//! Capture configuration: the seed's `Config`, with libpkt's defaults and checks.

use crate::error::{Errno, Error};
use crate::filter::Insn;
use crate::tstamp::TstampSource;

/// Which packets to capture by direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum Direction {
    /// Incoming and outgoing packets (loopback's duplicate outgoing copies are dropped).
    #[default]
    InOut = 0,
    /// Packets received by the host (everything but `PACKET_OUTGOING`).
    In = 1,
    /// Packets sent by the host (`PACKET_OUTGOING`).
    Out = 2,
}

impl Direction {
    pub fn from_u8(v: u8) -> Option<Direction> {
        match v {
            0 => Some(Direction::InOut),
            1 => Some(Direction::In),
            2 => Some(Direction::Out),
            _ => None,
        }
    }
}

/// Resolution of the timestamps in [`crate::Info`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum TstampResolution {
    #[default]
    Nano = 0,
    /// Nanoseconds truncated to whole microseconds.
    Micro = 1,
}

impl TstampResolution {
    pub fn from_u8(v: u8) -> Option<TstampResolution> {
        match v {
            0 => Some(TstampResolution::Nano),
            1 => Some(TstampResolution::Micro),
            _ => None,
        }
    }
}

/// How [`crate::Handle::write_batch`] sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum TxMode {
    /// libpkt picks: sendmmsg, which on veth measured as fast as the TX ring and needs no ring
    /// memory.
    #[default]
    Auto = 0,
    /// One `sendmmsg` system call per up to 64 frames.
    Sendmmsg = 1,
    /// The kernel's memory-mapped TX ring (`PACKET_TX_RING`): frames are copied into the ring
    /// and one `send` hands them all to the kernel.
    Ring = 2,
}

impl TxMode {
    pub fn from_u8(v: u8) -> Option<TxMode> {
        match v {
            0 => Some(TxMode::Auto),
            1 => Some(TxMode::Sendmmsg),
            2 => Some(TxMode::Ring),
            _ => None,
        }
    }
}

/// The default ring size: 2 MiB.
pub const DEFAULT_BUFFER_SIZE: i64 = 2 << 20;
/// The default TPACKET_V3 block retire timeout. The seed's default (0: never) holds packets on a
/// quiet link until a whole block fills, which can be forever.
pub const DEFAULT_BLOCK_TIMEOUT_MS: i64 = 100;
/// The default number of consecutive skipped packets after which a read returns nothing.
pub const DEFAULT_MAX_NIL_READ: u64 = 1024;
/// Capture every ethertype.
pub const PROTO_ALL: u16 = crate::sys::ETH_P_ALL;

/// How a capture handle is set up. Start from `Config::default()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// A blocking read gives up with `ETIMEDOUT` after this many ms; `<= 0`: never.
    pub read_timeout_ms: i64,
    /// Ring size in bytes; `<= 0`: [`DEFAULT_BUFFER_SIZE`]. Rounded up to whole blocks.
    pub buffer_size: i64,
    /// TPACKET_V3 block retire timeout: `> 0` ms, `0` never, `< 0` the kernel decides.
    pub block_timeout_ms: i64,
    /// A classic BPF program attached before any packet is read.
    pub filter: Option<Vec<Insn>>,
    /// Ethertype to capture (host byte order), incoming and outgoing alike.
    pub proto: u16,
    pub direction: Direction,
    pub tstamp_resolution: TstampResolution,
    /// See [`crate::Handle::read`].
    pub max_nil_read: u64,
    /// Deliver each packet at once (TPACKET_V2 frame ring).
    pub immediate: bool,
    pub promiscuous: bool,
    /// Reads and writes never wait.
    pub nonblock: bool,
    /// No link-layer header (SOCK_DGRAM); forced on for all interfaces and non-Ethernet links.
    pub cooked: bool,
    /// How batched writes are sent.
    pub tx_mode: TxMode,
    /// Frames written skip the kernel's queueing layer (`PACKET_QDISC_BYPASS`): faster, but
    /// other captures on the host do not see them, and a full device queue drops them.
    pub qdisc_bypass: bool,
    /// Put the outer VLAN tag, which the kernel moves into the ring's metadata, back into the
    /// packet bytes (link-layer captures only), as it was on the wire.
    pub vlan_insert: bool,
    /// Bytes kept of each packet (the kernel copies no more into the ring); 0: whole packets.
    pub snaplen: u32,
    /// Which clock stamps the packets (see [`crate::tstamp`]); software by default.
    pub tstamp_source: TstampSource,
    /// TPACKET_V3 block size in bytes: 0 lets libpkt choose ([`crate::handle::Handle::open`]:
    /// at least 4 blocks of up to 2 MiB); otherwise a power of two from the page size to 2 MiB,
    /// with at least 4 blocks in the ring. Rust API only (the libpcap-compatible library asks
    /// for libpcap's 256 KiB blocks).
    pub v3_block_size: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            read_timeout_ms: 0,
            buffer_size: DEFAULT_BUFFER_SIZE,
            block_timeout_ms: DEFAULT_BLOCK_TIMEOUT_MS,
            filter: None,
            proto: PROTO_ALL,
            direction: Direction::InOut,
            tstamp_resolution: TstampResolution::Nano,
            max_nil_read: DEFAULT_MAX_NIL_READ,
            immediate: false,
            promiscuous: false,
            nonblock: false,
            cooked: false,
            tx_mode: TxMode::Auto,
            qdisc_bypass: false,
            vlan_insert: true,
            snaplen: 0,
            tstamp_source: TstampSource::Software,
            v3_block_size: 0,
        }
    }
}

impl Config {
    /// The requested ring size with the default applied.
    pub fn effective_buffer_size(&self) -> u64 {
        if self.buffer_size <= 0 {
            DEFAULT_BUFFER_SIZE as u64
        } else {
            self.buffer_size as u64
        }
    }

    /// Checks the values that the type system does not.
    pub fn check(&self) -> Result<(), Error> {
        if let Some(f) = &self.filter {
            crate::filter::validate(f).map_err(|r| Error::with_detail(Errno::EINVAL, "config.filter", r))?;
        }
        let b = self.v3_block_size;
        if b != 0 && (!b.is_power_of_two() || (b as u64) < crate::sys::page_size() as u64 || b > 2 << 20) {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "config.v3_block_size",
                "not 0 nor a power of two from the page size to 2 MiB",
            ));
        }
        if self.block_timeout_ms > u32::MAX as i64 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "config.block_timeout_ms",
                "too large",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.buffer_size, 2 << 20);
        assert_eq!(c.block_timeout_ms, 100);
        assert_eq!(c.proto, 3);
        assert_eq!(c.max_nil_read, 1024);
        assert_eq!(c.tstamp_source, TstampSource::Software);
        assert!(c.check().is_ok());
        // Every source passes the check: what an interface offers is known only at open.
        for tstamp_source in TstampSource::ALL {
            assert!(Config {
                tstamp_source,
                ..Config::default()
            }
            .check()
            .is_ok());
        }
        assert_eq!(Config { buffer_size: -1, ..c }.effective_buffer_size(), 2 << 20);
    }

    #[test]
    fn enums_from_u8() {
        assert_eq!(Direction::from_u8(2), Some(Direction::Out));
        assert_eq!(Direction::from_u8(3), None);
        assert_eq!(TstampResolution::from_u8(1), Some(TstampResolution::Micro));
        assert_eq!(TstampResolution::from_u8(2), None);
    }

    #[test]
    fn bad_filter_and_timeout_rejected() {
        let bad = Config {
            filter: Some(vec![Insn::stmt(0x15, 0)]),
            ..Config::default()
        };
        assert_eq!(bad.check().unwrap_err().errno(), Errno::EINVAL);
        let c = Config {
            block_timeout_ms: 1 << 40,
            ..Config::default()
        };
        assert!(c.check().is_err());
    }
}

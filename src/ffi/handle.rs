//! Opening, configuring and closing handles.

use std::ffi::{c_char, c_int};

use super::boundary::{self, any, einval, guard, guard_int, opt_bytes, put, shared, slice, Any};
use super::{pkt_config_t, pkt_t, PKT_LINKTYPE_NONE};
use crate::config::{Config, Direction, TstampResolution, TxMode};
use crate::error::Error;
use crate::handle::Handle;
use crate::tstamp::TstampSource;

impl pkt_config_t {
    fn from_config(c: &Config) -> pkt_config_t {
        pkt_config_t {
            read_timeout_ms: c.read_timeout_ms,
            buffer_size: c.buffer_size,
            block_timeout_ms: c.block_timeout_ms,
            filter: std::ptr::null(),
            filter_len: 0,
            proto: c.proto,
            direction: c.direction as u8,
            tstamp_resolution: c.tstamp_resolution as u8,
            max_nil_read: c.max_nil_read,
            immediate: c.immediate,
            promiscuous: c.promiscuous,
            nonblock: c.nonblock,
            cooked: c.cooked,
            tx_mode: c.tx_mode as u8,
            qdisc_bypass: c.qdisc_bypass,
            vlan_insert: c.vlan_insert,
            snaplen: c.snaplen,
            tstamp_source: c.tstamp_source as u8,
        }
    }

    /// The Rust configuration, with the filter copied; `-EINVAL` for out-of-range values.
    ///
    /// # Safety
    /// A non-NULL `filter` points to `filter_len` instructions.
    pub(super) unsafe fn to_config(self) -> Result<Config, Error> {
        let direction = Direction::from_u8(self.direction).ok_or_else(|| {
            einval(
                "config.direction",
                "not one of PKT_DIR_INOUT, PKT_DIR_IN, PKT_DIR_OUT",
            )
        })?;
        let tx_mode = TxMode::from_u8(self.tx_mode).ok_or_else(|| {
            einval(
                "config.tx_mode",
                "not one of PKT_TX_AUTO, PKT_TX_SENDMMSG, PKT_TX_RING",
            )
        })?;
        let tstamp_resolution = TstampResolution::from_u8(self.tstamp_resolution).ok_or_else(|| {
            einval(
                "config.tstamp_resolution",
                "not PKT_TSTAMP_NANO or PKT_TSTAMP_MICRO",
            )
        })?;
        let tstamp_source = TstampSource::from_u8(self.tstamp_source).ok_or_else(|| {
            einval(
                "config.tstamp_source",
                "not one of PKT_TSTAMP_SOURCE_SOFTWARE, PKT_TSTAMP_SOURCE_ADAPTER, \
                 PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED",
            )
        })?;
        // SAFETY: the caller guarantees `filter` points to `filter_len` instructions.
        let filter = unsafe { slice(self.filter, self.filter_len as usize, "config.filter") }?;
        let cfg = Config {
            read_timeout_ms: self.read_timeout_ms,
            buffer_size: self.buffer_size,
            block_timeout_ms: self.block_timeout_ms,
            filter: (!filter.is_empty()).then(|| filter.to_vec()),
            proto: self.proto,
            direction,
            tstamp_resolution,
            max_nil_read: self.max_nil_read,
            immediate: self.immediate,
            promiscuous: self.promiscuous,
            nonblock: self.nonblock,
            cooked: self.cooked,
            tx_mode,
            qdisc_bypass: self.qdisc_bypass,
            vlan_insert: self.vlan_insert,
            snaplen: self.snaplen,
            tstamp_source,
            v3_block_size: 0,
        };
        cfg.check()?;
        Ok(cfg)
    }
}

/// Fills `*out` with the default configuration: no read timeout, a 2 MiB ring, a 100 ms block
/// retire timeout, no filter, `PKT_PROTO_ALL`, `PKT_DIR_INOUT`, `PKT_TSTAMP_NANO`, max_nil_read
/// 1024, every flag false except `vlan_insert` (true), snaplen 0 (whole packets), and
/// `PKT_TSTAMP_SOURCE_SOFTWARE`. Does nothing when `out` is NULL.
///
/// Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or valid for writing a `pkt_config_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_config_default(out: *mut pkt_config_t) {
    // SAFETY: `out` is NULL or writable per the contract.
    guard("pkt_config_default", || unsafe {
        put(out, pkt_config_t::from_config(&Config::default()))
    })
}

/// Checks a configuration without opening anything.
///
/// Returns true when `pkt_open` would accept it (NULL counts as the defaults), false for an
/// out-of-range `direction`, `tstamp_resolution`, `tx_mode` or `tstamp_source`, a `filter_len`
/// without a `filter`, an invalid filter program (`pkt_errmsg()` says why) or a
/// `block_timeout_ms` over `UINT32_MAX`. What depends on the interface (an adapter clock it
/// lacks) is known only at `pkt_open`.
///
/// Thread safety: any thread.
///
/// # Safety
/// `cfg` is NULL or points to a `pkt_config_t` whose `filter` is NULL or points to `filter_len`
/// instructions.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_config_check(cfg: *const pkt_config_t) -> bool {
    guard("pkt_config_check", || {
        // SAFETY: `cfg` is NULL or valid per the contract.
        let Some(c) = (unsafe { cfg.as_ref() }) else {
            return true;
        };
        // SAFETY: `filter` is valid for `filter_len` per the contract.
        match unsafe { c.to_config() } {
            Ok(_) => true,
            Err(e) => {
                boundary::fail(&e);
                false
            }
        }
    })
}

/// Opens a capture handle on interface `ifname`, set up as `cfg` says.
///
/// `ifname` NULL, "" or "any" (libpcap's name) captures on all interfaces (cooked mode is then
/// forced on and promiscuous mode is ignored); an interface named "any" cannot be opened by
/// name. `cfg` NULL means the defaults; the filter it points to is copied.
///
/// The socket is set up before it is bound, so nothing is queued (or counted as dropped)
/// before the ring and the filter exist. An interface that is down is not an error: capture
/// starts when it comes up.
///
/// Returns 0 and sets `*out` on success. On failure `*out` is left untouched, nothing leaks, and
/// `pkt_errmsg()` names the failing step. Errors: `-EINVAL` (NULL `out`, a bad config value, an
/// invalid filter, a ring of 4 GiB or more), `-ENODEV` (no such interface, or a name of
/// `IFNAMSIZ` bytes or more), `-EPERM` (no CAP_NET_RAW; for an adapter clock that is not on
/// yet, no CAP_NET_ADMIN), `-EOPNOTSUPP` (a `tstamp_source` the interface does not offer, or on
/// all interfaces: `pkt_errmsg()` names the interface, e.g. "config.tstamp_source: v0 has no
/// hardware timestamps (ethtool -T v0)"; libpkt never falls back to another clock), `-ENOMEM`
/// (no memory for the ring, even at the smallest size), other errnos from the kernel.
///
/// Ownership: the caller owns the handle and releases it with `pkt_close()`.
/// Thread safety: any thread.
///
/// # Safety
/// `ifname` is NULL or a NUL-terminated string; `cfg` is NULL or a valid `pkt_config_t` (see
/// `pkt_config_check()`); `out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_open(
    ifname: *const c_char,
    cfg: *const pkt_config_t,
    out: *mut *mut pkt_t,
) -> c_int {
    guard_int("pkt_open", || {
        if out.is_null() {
            return Err(einval("pkt_open", "NULL out pointer"));
        }
        // SAFETY: `ifname` is NULL or NUL-terminated per the contract.
        let name = unsafe { opt_bytes(ifname) };
        // SAFETY: `cfg` is NULL or valid per the contract.
        let cfg = match unsafe { cfg.as_ref() } {
            None => Config::default(),
            // SAFETY: its filter is valid for filter_len per the contract.
            Some(c) => unsafe { c.to_config() }?,
        };
        let h = Handle::open_bytes(name, &cfg)?;
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { put(out, boundary::into_raw(boundary::Pkt::new(h))) };
        Ok(0)
    })
}

/// Writes the configuration in effect to `*out`: the ring size as rounded up, cooked mode as
/// forced, the `tstamp_source` asked for (it is in effect: `pkt_open` fails rather than use
/// another); its `filter` is NULL and `filter_len` 0. A savefile handle gives the configuration
/// it was opened with (the defaults for NULL), filter aside.
///
/// Returns 0, or `-EINVAL` for a NULL handle or `out`.
/// Thread safety: any thread.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or valid for writing a `pkt_config_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_get_config(h: *mut pkt_t, out: *mut pkt_config_t) -> c_int {
    guard_int("pkt_get_config", || {
        // SAFETY: `h` is NULL or live per the contract.
        let p = unsafe { any(h, "pkt_get_config") }?;
        if out.is_null() {
            return Err(einval("pkt_get_config", "NULL out pointer"));
        }
        let c = match p {
            Any::Live(l) => l.ctl.config(),
            Any::Offline(o) => o.ctl.config(),
        };
        // SAFETY: non-NULL and writable per the contract.
        unsafe { put(out, pkt_config_t::from_config(c)) };
        Ok(0)
    })
}

/// Returns the handle's socket descriptor, for poll/epoll integration, or `-EINVAL` for NULL.
///
/// Readiness: readable (POLLIN) when a packet is ready; with the default TPACKET_V3 ring that is
/// when a block was handed over (full, or after `block_timeout_ms`). Once every ready packet was
/// read, the descriptor is not readable. POLLERR means the next read reports an error or a
/// link change. The descriptor belongs to the handle: do not close it, read from it, or change
/// its options (reading PACKET_STATISTICS on it would steal counts from `pkt_stats()`).
///
/// A savefile handle gives its descriptor of the file (as libpcap's `pcap_fileno`), which it
/// owns likewise: a regular file is always readable; a pipe is readable when more of it
/// arrived (the handle may already hold the next packets in its buffer: read before waiting).
///
/// Thread safety: any thread, also while another thread reads.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_fd(h: *mut pkt_t) -> c_int {
    guard_int("pkt_fd", || {
        // SAFETY: `h` is NULL or live per the contract.
        Ok(match unsafe { any(h, "pkt_fd") }? {
            Any::Live(l) => l.ctl.fd(),
            Any::Offline(o) => o.ctl.fd(),
        })
    })
}

/// Returns the link type (ARPHRD_*) of the bound interface (`PKT_LINKTYPE_ETHERNET` for
/// Ethernet and loopback), or `PKT_LINKTYPE_NONE` for a handle on all interfaces, a savefile
/// handle (see `pkt_dlt()`) or NULL.
///
/// Thread safety: any thread, also while another thread reads.
///
/// # Safety
/// `h` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_linktype(h: *mut pkt_t) -> u16 {
    guard("pkt_linktype", || {
        // SAFETY: `h` is NULL or live per the contract.
        unsafe { shared(h, "pkt_linktype") }.map_or(PKT_LINKTYPE_NONE, |p| p.ctl.linktype())
    })
}

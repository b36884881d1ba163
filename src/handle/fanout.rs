//! Fanout groups: [`Control::set_fanout`] spreads an interface's packets over several handles
//! (PACKET_FANOUT), [`Control::fanout_group`] says which group the handle joined.

use std::os::fd::AsFd;
use std::sync::atomic::Ordering;

use super::Control;
use crate::error::{Context, Errno, Error};
use crate::sys;

impl Control {
    /// Joins a fanout group: the kernel spreads the interface's packets over the group's
    /// members (handles in this or other processes) by `mode`. `flags` may add
    /// `FANOUT_FLAG_ROLLOVER`, `_UNIQUEID` (then `group_id` must be 0 and the kernel picks one)
    /// and `_DEFRAG`.
    pub fn set_fanout(&self, mode: u16, group_id: u16, flags: u16) -> Result<(), Error> {
        const KNOWN_FLAGS: u16 = 0x1000 | 0x2000 | 0x8000;
        if mode > 5 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_set_fanout",
                "unknown fanout mode",
            ));
        }
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_set_fanout",
                "unknown fanout flag",
            ));
        }
        if flags & 0x2000 != 0 && group_id != 0 {
            return Err(Error::with_detail(
                Errno::EINVAL,
                "pkt_set_fanout",
                "FLAG_UNIQUEID needs group_id 0",
            ));
        }
        let arg: libc::c_int = ((mode as u32 | flags as u32) << 16 | group_id as u32) as libc::c_int;
        sys::setsockopt(self.sock.as_fd(), sys::SOL_PACKET, sys::PACKET_FANOUT, &arg)
            .ctx("setsockopt(PACKET_FANOUT)")?;
        self.fanout.store(true, Ordering::Release);
        Ok(())
    }

    /// The id of the fanout group the handle joined (`ENOENT` when it joined none).
    pub fn fanout_group(&self) -> Result<u16, Error> {
        if !self.fanout.load(Ordering::Acquire) {
            return Err(Error::with_detail(
                Errno(libc::ENOENT),
                "pkt_fanout_group",
                "not in a fanout group",
            ));
        }
        let mut v: libc::c_int = 0;
        sys::getsockopt(self.sock.as_fd(), sys::SOL_PACKET, sys::PACKET_FANOUT, &mut v)
            .ctx("getsockopt(PACKET_FANOUT)")?;
        Ok((v as u32 & 0xffff) as u16)
    }
}

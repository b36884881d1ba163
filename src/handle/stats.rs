//! The capture counters of [`Control::stats`]: the kernel's clear on read and are 32 bits, so
//! they are accumulated here.

use std::os::fd::AsFd;

use super::Control;
use crate::error::Error;
use crate::packet::Stats;
use crate::socket;

#[derive(Default)]
pub(super) struct StatsAcc {
    recvs: u64,
    drops: u64,
    last: Stats,
}

impl Control {
    /// Counters since open (`total`) or since the previous call of either kind. The kernel's
    /// counters clear on read, so they are accumulated here in 64 bits.
    pub fn stats(&self, total: bool) -> Result<Stats, Error> {
        let mut acc = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        let st = socket::take_stats(self.sock.as_fd())?;
        acc.recvs += st.tp_packets as u64;
        acc.drops += st.tp_drops as u64;
        let now = Stats {
            recvs: acc.recvs,
            drops: acc.drops,
        };
        let delta = Stats {
            recvs: now.recvs - acc.last.recvs,
            drops: now.drops - acc.last.drops,
        };
        acc.last = now;
        Ok(if total { now } else { delta })
    }
}

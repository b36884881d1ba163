//! Breaking a blocked read from another thread (or a signal handler): a flag for the reader's
//! fast paths to test, and an eventfd that the reader's poll(2) also waits on, so that a blocked
//! read wakes at once.

use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::Ordering;

use super::Control;
use crate::error::{Errno, Error};
use crate::sys;

impl Control {
    /// Makes a blocked or the next polling read return `EINTR`, once. Async-signal-safe: an
    /// atomic store and one write(2) on an eventfd; no lock, no allocation.
    pub fn breakloop(&self) -> Result<(), Error> {
        self.brk.store(true, Ordering::SeqCst);
        match sys::eventfd_signal(self.brk_fd.as_raw_fd()) {
            // The counter is saturated: the reader will wake anyway.
            Ok(()) | Err(Errno::EAGAIN) => Ok(()),
            Err(e) => Err(Error::new(e, "write(eventfd)")),
        }
    }

    /// Consumes a pending break, resetting the eventfd so that no stale wake-up remains; true
    /// if one was pending. (libpcap's `pcap_dispatch` returns `PCAP_ERROR_BREAK` after the
    /// packets it handed over when a break came meanwhile; the compatible library uses this.)
    #[inline(always)]
    pub fn take_break(&self) -> bool {
        if self.brk.load(Ordering::Relaxed) && self.brk.swap(false, Ordering::SeqCst) {
            sys::eventfd_drain(self.brk_fd.as_fd());
            true
        } else {
            false
        }
    }
}

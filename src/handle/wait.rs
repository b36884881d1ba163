//! Waiting for packets: poll(2) on the socket and the break eventfd, the read timeout and
//! non-blocking mode, the socket's pending errors (SO_ERROR), and the bound interface going down
//! (the read waits) or away for good (`ENODEV`, once its queued packets are read).

use std::os::fd::{AsFd, AsRawFd};

use super::Handle;
use crate::error::{Context, Errno, Error};
use crate::sys;

/// While the bound interface is down, reads look at it this often: the kernel wakes the reader
/// when the link goes down, but not when a downed interface is then removed.
const NETDOWN_TICK_MS: i32 = 10;

impl Handle {
    /// Waits for the ring to have something (Ok) or for a reason to return (Err).
    pub(super) fn wait(&mut self, poll: bool, deadline: &mut Option<Option<u64>>) -> Result<(), Error> {
        if !poll {
            // A caller polling the fd itself (epoll) is woken by the socket's pending error
            // (POLLERR stays up until it is read) and by nothing else once the interface is gone:
            // take the error and say ENODEV when nothing of the interface is left, or it would
            // spin, or wait for ever.
            match sys::take_socket_error(self.ctl.sock.as_fd()).ctx("getsockopt(SO_ERROR)")? {
                0 => {}
                libc::ENETDOWN => self.netdown = true,
                e => return Err(Error::new(Errno(e), "pkt_read(socket)")),
            }
            if self.netdown {
                self.check_link();
                if self.gone_for_good() {
                    return Err(Error::new(Errno::ENODEV, "pkt_read: interface disappeared"));
                }
            }
            return Err(Error::new(Errno::EAGAIN, "pkt_read"));
        }
        let timeout_ns = self.read_timeout_ns;
        let deadline =
            *deadline.get_or_insert_with(|| timeout_ns.map(|t| sys::monotonic_ns().saturating_add(t)));
        loop {
            let mut timeout = match (self.nonblock, deadline) {
                (true, _) => 0,
                (false, None) => -1,
                (false, Some(d)) => ms_until(d),
            };
            if self.netdown {
                timeout = if timeout < 0 {
                    NETDOWN_TICK_MS
                } else {
                    timeout.min(NETDOWN_TICK_MS)
                };
            }
            let mut fds = [
                sys::PollFd {
                    fd: self.ctl.sock.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                sys::PollFd {
                    fd: self.ctl.brk_fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            match sys::poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(Error::new(e, "poll")),
            }
            if fds[1].revents != 0 {
                sys::eventfd_drain(self.ctl.brk_fd.as_fd());
            }
            if self.ctl.take_break() {
                return Err(Error::new(Errno::EINTR, "pkt_read: loop broken"));
            }
            let rev = fds[0].revents;
            if rev & libc::POLLERR != 0 {
                match sys::take_socket_error(self.ctl.sock.as_fd()).ctx("getsockopt(SO_ERROR)")? {
                    0 => {}
                    // Down or removed: the kernel re-hooks the socket when the link comes up.
                    libc::ENETDOWN => self.netdown = true,
                    e => return Err(Error::new(Errno(e), "poll(socket)")),
                }
            }
            if rev & libc::POLLNVAL != 0 {
                return Err(Error::new(Errno(libc::EBADF), "poll(socket)"));
            }
            if self.netdown {
                self.check_link();
                if self.gone_for_good() {
                    return Err(Error::new(Errno::ENODEV, "pkt_read: interface disappeared"));
                }
            }
            if rev & libc::POLLIN != 0 {
                if self.ring.resync() {
                    return Ok(());
                }
                // Readable, yet no slot is ours: the kernel is mid-handover. Back off briefly
                // (still breakable) instead of spinning.
                let mut brk = [sys::PollFd {
                    fd: self.ctl.brk_fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                }];
                let _ = sys::poll(&mut brk, 1);
            }
            if self.nonblock {
                return Err(Error::new(Errno::EAGAIN, "pkt_read"));
            }
            if deadline.is_some_and(|d| sys::monotonic_ns() >= d) {
                return Err(Error::new(Errno::ETIMEDOUT, "pkt_read: read timeout"));
            }
        }
    }

    /// The bound interface is gone and none of its packets can still come: nothing is ready in
    /// the ring (a block may have been handed over since the caller looked) and the block the
    /// kernel was filling is empty, or its retire timer had time to hand it over.
    fn gone_for_good(&self) -> bool {
        self.gone_at.is_some()
            && self.ring.user_slots() == 0
            && (!self.ring.kernel_has_packets()
                || self
                    .gone_at
                    .is_some_and(|t| sys::monotonic_ns().saturating_sub(t) >= self.gone_grace_ns))
    }

    /// While the link is down: notes when the interface is up again or gone. The bound index
    /// turns -1 once the interface is unregistered; the lookup by index fails as soon as it is
    /// unlisted. Queued packets are still read meanwhile; a gone interface is reported after the
    /// kernel had time to retire the last block.
    fn check_link(&mut self) {
        let ifindex = self.ctl.ifindex;
        if ifindex == 0 {
            // All interfaces never go down as a whole.
            self.netdown = false;
            return;
        }
        let unbound = sys::bound_ifindex(self.ctl.sock.as_fd()).is_ok_and(|i| i == -1);
        match if unbound {
            Ok(None)
        } else {
            sys::iface_state(ifindex)
        } {
            Ok(None) => {
                self.gone_at.get_or_insert_with(sys::monotonic_ns);
            }
            Ok(Some(true)) => self.netdown = false,
            Ok(Some(false)) | Err(_) => {}
        }
    }
}

/// Milliseconds from now until `deadline` (monotonic ns), rounded up, at least 0.
fn ms_until(deadline: u64) -> i32 {
    let left = deadline.saturating_sub(sys::monotonic_ns());
    left.div_ceil(1_000_000).min(i32::MAX as u64) as i32
}

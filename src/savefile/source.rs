//! Where a savefile's bytes come from: a regular file, mapped whole (the parser walks the
//! mapping and packets are handed out where they lie, with no copy and no system call), or a
//! stream (a pipe, standard input, anything that cannot be mapped), read in large chunks into
//! a buffer that holds at least the record being parsed.
//!
//! The breaker lives here too: a stream read waits in poll(2) on the descriptor and on an
//! eventfd that `breakloop` writes, so that it ends a read blocked on an idle pipe.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use memmap2::Mmap;

use super::pcapng::MAX_BLOCK;
use crate::error::{Errno, Error};
use crate::sys;

/// A stream reads this much at a time (at least).
pub(super) const READ_CHUNK: usize = 1 << 20;
/// The most a stream buffers: one block of the largest size, plus a chunk.
pub(super) const STREAM_CAP: usize = MAX_BLOCK + READ_CHUNK;

/// The flag and eventfd behind `breakloop` (any thread, async-signal-safe).
pub(super) struct Breaker {
    flag: AtomicBool,
    /// Only streams can block; files never wait.
    fd: Option<OwnedFd>,
}

impl Breaker {
    pub(super) fn new(stream: bool) -> Result<Breaker, Error> {
        let fd = if stream {
            Some(sys::eventfd().map_err(|e| Error::new(e, "eventfd"))?)
        } else {
            None
        };
        Ok(Breaker {
            flag: AtomicBool::new(false),
            fd,
        })
    }

    /// Sets the flag and wakes a stream read waiting in poll(2): an atomic store and at most
    /// one write(2).
    pub(super) fn signal(&self) -> Result<(), Error> {
        self.flag.store(true, Ordering::SeqCst);
        match &self.fd {
            None => Ok(()),
            Some(fd) => match sys::eventfd_signal(fd.as_raw_fd()) {
                Ok(()) | Err(Errno::EAGAIN) => Ok(()),
                Err(e) => Err(Error::new(e, "write(eventfd)")),
            },
        }
    }

    #[inline(always)]
    pub(super) fn pending(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Consumes a pending break (and resets the eventfd).
    #[inline(always)]
    pub(super) fn take(&self) -> bool {
        if self.flag.load(Ordering::Relaxed) && self.flag.swap(false, Ordering::SeqCst) {
            if let Some(fd) = &self.fd {
                sys::eventfd_drain(fd.as_fd());
            }
            true
        } else {
            false
        }
    }
}

/// What a refill did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fill {
    /// The window now holds the bytes asked for.
    Ready,
    /// The input ended before that.
    Eof,
    /// `breakloop` was called while waiting (the flag is left set).
    Break,
}

/// The bytes of a savefile.
pub(super) enum Source {
    /// A regular file, mapped (None: nothing left to map, e.g. empty).
    Mapped(Option<Mmap>),
    Stream(Stream),
}

/// A stream's buffer: the valid bytes are `buf[..len]`, `buf[0]` being byte `base` of the
/// input.
pub(super) struct Stream {
    buf: Vec<u8>,
    len: usize,
    base: u64,
    eof: bool,
}

impl Source {
    pub(super) fn mapped(map: Option<Mmap>) -> Source {
        Source::Mapped(map)
    }

    /// A stream whose next byte is byte `base` of the input.
    pub(super) fn stream(base: u64) -> Source {
        Source::Stream(Stream {
            buf: Vec::new(),
            len: 0,
            base,
            eof: false,
        })
    }

    /// The bytes at hand: the whole mapping, or the stream's buffer.
    #[inline(always)]
    pub(super) fn window(&self) -> &[u8] {
        match self {
            Source::Mapped(Some(m)) => m,
            Source::Mapped(None) => &[],
            Source::Stream(s) => &s.buf[..s.len],
        }
    }

    /// Bytes allocated for a stream's buffer (0 for a mapping), for the tests' bound.
    #[cfg(test)]
    pub(super) fn allocated(&self) -> usize {
        match self {
            Source::Mapped(_) => 0,
            Source::Stream(s) => s.buf.capacity(),
        }
    }

    /// The input offset of window position `pos`.
    pub(super) fn offset(&self, pos: usize) -> u64 {
        match self {
            Source::Mapped(_) => pos as u64,
            Source::Stream(s) => s.base + pos as u64,
        }
    }

    /// Makes the window hold at least `need` bytes from `*pos` (`need` at most
    /// [`STREAM_CAP`] minus a chunk), reading the stream (`*pos` moves when the buffer is
    /// compacted: the bytes before it are dropped, so everything handed out before is gone). A
    /// mapping has everything already: there it is `Ready` or `Eof`.
    pub(super) fn refill(
        &mut self,
        file: &File,
        pos: &mut usize,
        need: usize,
        brk: &Breaker,
    ) -> Result<Fill, Error> {
        let s = match self {
            Source::Mapped(m) => {
                let have = m.as_ref().map_or(0, |m| m.len()).saturating_sub(*pos);
                return Ok(if have >= need { Fill::Ready } else { Fill::Eof });
            }
            Source::Stream(s) => s,
        };
        debug_assert!(need <= STREAM_CAP);
        if *pos > 0 {
            s.buf.copy_within(*pos..s.len, 0);
            s.len -= *pos;
            s.base += *pos as u64;
            *pos = 0;
        }
        while s.len < need {
            if s.eof {
                return Ok(Fill::Eof);
            }
            // Grows only when full, doubling: at most twice what the input actually gave, and
            // never past the cap (which `need` never exceeds).
            if s.len == s.buf.len() {
                let grown = (s.buf.len() * 2).clamp(READ_CHUNK, STREAM_CAP);
                s.buf.resize(grown, 0);
            }
            if wait_readable(file, brk)? {
                return Ok(Fill::Break);
            }
            match (&*file).read(&mut s.buf[s.len..]) {
                Ok(0) => s.eof = true,
                Ok(n) => s.len += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    let errno = Errno(e.raw_os_error().unwrap_or(libc::EIO));
                    return Err(Error::new(errno, "savefile: read"));
                }
            }
        }
        Ok(Fill::Ready)
    }
}

/// Waits until `file` can be read or a break is pending (true).
fn wait_readable(file: &File, brk: &Breaker) -> Result<bool, Error> {
    let Some(bfd) = &brk.fd else {
        return Ok(brk.pending());
    };
    loop {
        if brk.pending() {
            return Ok(true);
        }
        let mut fds = [
            sys::PollFd {
                fd: file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            sys::PollFd {
                fd: bfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        match sys::poll(&mut fds, -1) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(Error::new(e, "savefile: poll")),
        }
        if brk.pending() {
            return Ok(true);
        }
        if fds[1].revents != 0 {
            // A wake-up whose break was already taken: clear it and wait on.
            sys::eventfd_drain(bfd.as_fd());
        }
        // Readable, at its end (POLLHUP) or in error: read(2) tells which.
        if fds[0].revents != 0 {
            return Ok(false);
        }
    }
}

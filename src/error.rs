//! The library's error type: an errno plus the step that failed, so that the C side can return
//! `-errno` and `pkt_errmsg()` can say which call failed and why.

use std::fmt;

pub use crate::sys::Errno;

/// A failure: the errno the C API returns, the step that failed and, for failures that errno
/// alone cannot explain (a bad filter, a bad config value), the reason.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    errno: Errno,
    what: &'static str,
    detail: Option<Box<str>>,
}

impl Error {
    /// A failure of step `what` (e.g. `"setsockopt(PACKET_RX_RING)"`) with `errno`.
    pub const fn new(errno: Errno, what: &'static str) -> Error {
        Error {
            errno,
            what,
            detail: None,
        }
    }

    /// A failure with a reason that replaces the errno's description in the message.
    pub fn with_detail(errno: Errno, what: &'static str, detail: impl Into<Box<str>>) -> Error {
        Error {
            errno,
            what,
            detail: Some(detail.into()),
        }
    }

    /// The errno (positive).
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// The C API's return value: the negated errno.
    pub fn code(&self) -> i32 {
        -self.errno.0
    }

    /// The step that failed.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// True for failures that go away by themselves (see [`is_temporary`]).
    pub fn is_temporary(&self) -> bool {
        is_temporary(self.errno)
    }

    /// True for a read timeout.
    pub fn is_timeout(&self) -> bool {
        self.errno == Errno::ETIMEDOUT
    }
}

/// Errnos that are temporary by nature: retrying later can succeed. The same set as Go's
/// `syscall.Errno.Temporary` (which the seed relied on) plus `ENOBUFS`.
pub fn is_temporary(e: Errno) -> bool {
    matches!(
        e.0,
        libc::EAGAIN
            | libc::EINTR
            | libc::ETIMEDOUT
            | libc::ENOBUFS
            | libc::EMFILE
            | libc::ENFILE
            | libc::ECONNRESET
            | libc::ECONNABORTED
    )
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {} ({})", self.what, d, self.errno),
            None => write!(f, "{}: {}", self.what, self.errno),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}, errno {})", self, self.errno.0)
    }
}

impl std::error::Error for Error {}

/// Attaches the failing step to a system call's errno.
pub(crate) trait Context<T> {
    fn ctx(self, what: &'static str) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn ctx(self, what: &'static str) -> Result<T, Error> {
        self.map_err(|e| Error::new(e, what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_negated_errno() {
        let e = Error::new(Errno::ENOMEM, "setsockopt(PACKET_RX_RING)");
        assert_eq!(e.code(), -libc::ENOMEM);
        assert_eq!(
            e.to_string(),
            "setsockopt(PACKET_RX_RING): Cannot allocate memory"
        );
    }

    #[test]
    fn detail_replaces_description() {
        let e = Error::with_detail(Errno::EINVAL, "pkt_setfilter", "insn 3: jump out of range");
        assert_eq!(
            e.to_string(),
            "pkt_setfilter: insn 3: jump out of range (Invalid argument)"
        );
    }

    #[test]
    fn temporary_and_timeout() {
        for e in [
            Errno::EAGAIN,
            Errno::EINTR,
            Errno::ETIMEDOUT,
            Errno(libc::ENOBUFS),
        ] {
            assert!(is_temporary(e), "{e:?}");
        }
        for e in [
            Errno::EINVAL,
            Errno::ENODEV,
            Errno::ENETDOWN,
            Errno::EMSGSIZE,
            Errno(0),
        ] {
            assert!(!is_temporary(e), "{e:?}");
        }
        assert!(Error::new(Errno::ETIMEDOUT, "x").is_timeout());
        assert!(!Error::new(Errno::EAGAIN, "x").is_timeout());
    }

    #[test]
    fn unknown_errno_has_a_description() {
        assert_eq!(Errno(100_000).description(), "Unknown error");
        assert_eq!(Errno(-5).description(), "Unknown error");
        assert_eq!(
            Errno(libc::EAGAIN).description(),
            "Resource temporarily unavailable"
        );
    }
}

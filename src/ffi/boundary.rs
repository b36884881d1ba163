//! The C boundary's plumbing: the panic guard, the handle casts, NULL checks and the thread-local
//! error message. Every exported function goes through these, so the rules live in one place.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::error::{Errno, Error};
use crate::handle::{Control, Handle};
use crate::savefile::{Offline, OfflineControl};

/// The opaque handle behind `pkt_t *`: a live capture or a savefile being read, each with the
/// shared part for calls that may run beside a read, and the reader part, which only the (one)
/// reading thread touches.
pub struct Pkt {
    kind: Kind,
}

/// The kind of a handle, a tag byte first (`repr(u8)`): every call tests it once, the live read
/// path with one compare and branch.
#[repr(u8)]
enum Kind {
    Live(Live),
    Offline(OfflinePkt),
}

/// A live capture handle.
pub(crate) struct Live {
    pub(crate) ctl: Arc<Control>,
    reader: std::cell::UnsafeCell<Handle>,
}

impl Live {
    /// The reader part.
    ///
    /// # Safety
    /// No other thread is in a reader call on the same handle (the C contract: one thread
    /// reads a handle at a time).
    #[allow(clippy::mut_from_ref)]
    #[inline(always)]
    pub(crate) unsafe fn reader(&self) -> &mut Handle {
        // SAFETY: the reader part is only touched by the one reading thread, so this is the
        // only live reference to it.
        unsafe { &mut *self.reader.get() }
    }
}

/// A savefile handle.
pub(crate) struct OfflinePkt {
    pub(crate) ctl: Arc<OfflineControl>,
    reader: std::cell::UnsafeCell<Offline>,
}

impl OfflinePkt {
    /// The reader part.
    ///
    /// # Safety
    /// No other thread is in a reader call on the same handle (the C contract: one thread
    /// reads a handle at a time).
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn reader(&self) -> &mut Offline {
        // SAFETY: the reader part is only touched by the one reading thread, so this is the
        // only live reference to it.
        unsafe { &mut *self.reader.get() }
    }
}

impl Pkt {
    pub(crate) fn new(h: Handle) -> Pkt {
        Pkt {
            kind: Kind::Live(Live {
                ctl: Arc::clone(h.control()),
                reader: std::cell::UnsafeCell::new(h),
            }),
        }
    }

    pub(crate) fn offline(r: Offline) -> Pkt {
        Pkt {
            kind: Kind::Offline(OfflinePkt {
                ctl: Arc::clone(r.control()),
                reader: std::cell::UnsafeCell::new(r),
            }),
        }
    }
}

/// A handle of either kind, for the calls that serve both.
pub(crate) enum Any<'a> {
    Live(&'a Live),
    Offline(&'a OfflinePkt),
}

/// Size of the per-thread message buffer; longer messages are cut.
const MSG_CAP: usize = 512;

thread_local! {
    static ERRMSG: RefCell<[u8; MSG_CAP]> = const { RefCell::new([0; MSG_CAP]) };
    static ERRNO: std::cell::Cell<c_int> = const { std::cell::Cell::new(0) };
}

/// Writes into a fixed buffer, cutting what does not fit: recording an error allocates nothing.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl std::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - 1 - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

fn set_message(args: std::fmt::Arguments<'_>) {
    // A thread being torn down has no message buffer left; nothing to record then.
    let _ = ERRMSG.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            let mut c = Cursor {
                buf: &mut m[..],
                len: 0,
            };
            let _ = c.write_fmt(args);
            let end = c.len;
            m[end] = 0;
        }
    });
}

/// Records `e` as the calling thread's last error and returns its code (`-errno`).
pub(crate) fn fail(e: &Error) -> c_int {
    set_message(format_args!("{e}"));
    let _ = ERRNO.try_with(|c| c.set(e.code()));
    e.code()
}

/// The calling thread's last error code (`-errno`), 0 before any.
pub(crate) fn last_code() -> c_int {
    ERRNO.try_with(|c| c.get()).unwrap_or(0)
}

/// The calling thread's last error message (a NUL-terminated string in thread-local storage).
pub(crate) fn message_ptr() -> *const c_char {
    ERRMSG
        .try_with(|m| m.as_ptr() as *const c_char)
        .unwrap_or(c"".as_ptr())
}

/// What an export returns when its body panicked.
pub(crate) trait Fallback {
    fn fallback() -> Self;
}

impl Fallback for c_int {
    fn fallback() -> c_int {
        -libc::EIO
    }
}

impl Fallback for bool {
    fn fallback() -> bool {
        false
    }
}

impl Fallback for u16 {
    fn fallback() -> u16 {
        crate::handle::LINKTYPE_NONE
    }
}

impl Fallback for i8 {
    fn fallback() -> i8 {
        -1
    }
}

impl Fallback for () {
    fn fallback() {}
}

/// A fast path that panicked found nothing: the general path then runs (and reports).
impl<T> Fallback for Option<T> {
    fn fallback() -> Option<T> {
        None
    }
}

impl Fallback for *const c_char {
    fn fallback() -> *const c_char {
        c"internal error".as_ptr()
    }
}

/// Runs an export's body, turning a panic into the return type's fallback (and an error
/// message) so that no unwinding crosses into C.
pub(crate) fn guard<R: Fallback>(name: &'static str, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(_) => {
            set_message(format_args!(
                "{name}: internal error (a bug in libpkt: please report it)"
            ));
            R::fallback()
        }
    }
}

/// Runs a body that returns a count or an error, in the `>= 0` / `-errno` convention.
pub(crate) fn guard_int(name: &'static str, body: impl FnOnce() -> Result<c_int, Error>) -> c_int {
    guard(name, || match body() {
        Ok(n) => n,
        Err(e) => fail(&e),
    })
}

pub(crate) fn einval(what: &'static str, why: &'static str) -> Error {
    Error::with_detail(Errno::EINVAL, what, why)
}

/// A handle of either kind; `-EINVAL` for NULL.
///
/// # Safety
/// `h` is NULL or a pointer from `pkt_open`/`pkt_open_offline` not yet passed to `pkt_close`.
#[inline(always)]
pub(crate) unsafe fn any<'a>(h: *const Pkt, what: &'static str) -> Result<Any<'a>, Error> {
    // SAFETY: per the contract, a non-NULL `h` points to a live `Pkt`; only shared references to
    // the `Pkt` itself are ever made, and the reader parts sit behind an UnsafeCell.
    let p = unsafe { h.as_ref() }.ok_or_else(|| einval(what, "NULL handle"))?;
    Ok(match &p.kind {
        Kind::Live(l) => Any::Live(l),
        Kind::Offline(o) => Any::Offline(o),
    })
}

/// The savefile side of a handle: None for NULL or a live handle.
///
/// # Safety
/// As [`any`].
pub(crate) unsafe fn offline<'a>(h: *const Pkt) -> Option<&'a OfflinePkt> {
    // SAFETY: see the function's contract.
    match unsafe { any(h, "") } {
        Ok(Any::Offline(o)) => Some(o),
        _ => None,
    }
}

/// The shared side of a live handle; `-EINVAL` for NULL, `-EOPNOTSUPP` for a savefile handle
/// (so that every call made for live captures refuses savefiles unless it says otherwise).
///
/// # Safety
/// As [`any`].
#[inline(always)]
pub(crate) unsafe fn shared<'a>(h: *const Pkt, what: &'static str) -> Result<&'a Live, Error> {
    // SAFETY: see the function's contract.
    match unsafe { any(h, what) }? {
        Any::Live(l) => Ok(l),
        Any::Offline(_) => Err(not_offline(what)),
    }
}

/// The error of a live-only call on a savefile handle.
#[cold]
pub(crate) fn not_offline(what: &'static str) -> Error {
    Error::with_detail(
        Errno(libc::EOPNOTSUPP),
        what,
        "not supported on a savefile handle",
    )
}

/// The reader side of a live handle; `-EINVAL` for NULL, `-EOPNOTSUPP` for a savefile handle.
///
/// # Safety
/// As [`shared`], and no other thread is in a reader call on the same handle (the C contract:
/// one thread reads a handle at a time).
#[inline(always)]
pub(crate) unsafe fn reader<'a>(h: *mut Pkt, what: &'static str) -> Result<&'a mut Handle, Error> {
    if h.is_null() {
        return Err(einval(what, "NULL handle"));
    }
    // A null test and a tag test, no error value on the way (measured: the general `any` made
    // the inlined dispatch loop spill a register).
    // SAFETY: non-NULL, and see the function's contract.
    unsafe { live_reader(h) }.ok_or_else(|| not_offline(what))
}

/// The reader side of a live handle for a fast path: None for a savefile handle (`h` is not
/// NULL). Builds no error value, so that the fast path stays a tag test and a branch.
///
/// # Safety
/// As [`reader`], and `h` is not NULL.
#[inline(always)]
pub(crate) unsafe fn live_reader<'a>(h: *mut Pkt) -> Option<&'a mut Handle> {
    // SAFETY: non-NULL and live per the contract; only shared references to the `Pkt` itself
    // are made.
    match unsafe { &(*h).kind } {
        // SAFETY: the reading thread is this one, per the contract.
        Kind::Live(l) => Some(unsafe { l.reader() }),
        Kind::Offline(_) => None,
    }
}

/// Turns an open handle into the pointer C holds.
pub(crate) fn into_raw(p: Pkt) -> *mut Pkt {
    Box::into_raw(Box::new(p))
}

/// Frees a handle.
///
/// # Safety
/// `h` came from [`into_raw`] and is not used again.
pub(crate) unsafe fn free(h: *mut Pkt) {
    // SAFETY: see the function's contract.
    drop(unsafe { Box::from_raw(h) });
}

/// A C string argument as bytes (interface names are bytes to Linux). NULL gives None.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn opt_bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    if s.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    Some(unsafe { CStr::from_ptr(s) }.to_bytes())
}

/// A (pointer, count) pair as a slice; (NULL, 0) is empty, (NULL, n > 0) is `-EINVAL`.
///
/// # Safety
/// A non-NULL `p` points to `n` initialized values that stay unchanged during the call.
pub(crate) unsafe fn slice<'a, T>(p: *const T, n: usize, what: &'static str) -> Result<&'a [T], Error> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(einval(what, "NULL pointer with a non-zero length"));
    }
    if n > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(einval(what, "length too large"));
    }
    // SAFETY: non-NULL, `n` elements readable per the contract, size checked above.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Writes an out-parameter.
///
/// # Safety
/// A non-NULL `p` is valid for writes of a `T`.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { p.write(v) };
    }
}

//! The C library's stdio as this library uses it: the standard streams (glibc's `stdin` and
//! `stdout` are variables), a large buffer for the savefiles it opens itself, and the write of
//! one savefile record into a stream's buffer.
//!
//! The record write is the cost that matters: `tcpdump -w` spends about as much time in
//! `pcap_dump` as in the ring walk. libpcap calls `fwrite` twice per record; on glibc this
//! writes the record straight into the stream's buffer when it fits, the way glibc's own
//! `putc_unlocked` macro does, and takes the stream's lock only when the process has threads.

use std::ffi::c_int;
use std::sync::Mutex;

extern "C" {
    static mut stdout: *mut libc::FILE;
    static mut stdin: *mut libc::FILE;
    fn flockfile(f: *mut libc::FILE);
    fn funlockfile(f: *mut libc::FILE);
    fn fwrite_unlocked(ptr: *const libc::c_void, size: usize, n: usize, f: *mut libc::FILE) -> usize;
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    /// glibc 2.32's `<sys/single_threaded.h>`: nonzero while the process has one thread.
    static __libc_single_threaded: libc::c_char;
}

/// C's `stdout`.
pub(crate) fn stdout_stream() -> *mut libc::FILE {
    // SAFETY: a plain read of the C runtime's pointer, set before `main` and only written by it.
    unsafe { std::ptr::addr_of!(stdout).read() }
}

/// C's `stdin`.
pub(crate) fn stdin_stream() -> *mut libc::FILE {
    // SAFETY: as `stdout_stream`.
    unsafe { std::ptr::addr_of!(stdin).read() }
}

/// Writes `s` to C's `stdout` stream (not Rust's), so that it interleaves with the calling
/// program's own stdio output.
pub(crate) fn c_stdout(s: &str) {
    let Ok(c) = std::ffi::CString::new(s) else { return };
    // SAFETY: an open stream; `c` is NUL-terminated.
    unsafe { libc::fputs(c.as_ptr(), stdout_stream()) };
}

/// The buffer of a savefile this library opened (glibc's default is the file's block size,
/// 4 KiB: a write system call every 50 small packets).
const DUMP_BUFFER: usize = 128 * 1024;

/// The buffers given to streams with `setvbuf`, by stream address, freed when the stream is
/// closed through `pcap_dump_close`. Locked only when a savefile is opened or closed.
static BUFFERS: Mutex<Vec<(usize, Box<[u8]>)>> = Mutex::new(Vec::new());

/// Gives a stream just opened (no I/O yet) a [`DUMP_BUFFER`]-byte buffer; keeps glibc's when
/// `setvbuf` refuses.
///
/// # Safety
/// `f` is a stream this library opened, before any I/O on it.
pub(crate) unsafe fn big_buffer(f: *mut libc::FILE) {
    let mut buf = vec![0u8; DUMP_BUFFER].into_boxed_slice();
    // SAFETY: `buf` outlives the stream: it is freed only after `fclose` (`close`), or leaked
    // when the program closes the stream itself.
    let r = unsafe { libc::setvbuf(f, buf.as_mut_ptr().cast(), libc::_IOFBF, buf.len()) };
    if r == 0 {
        let mut all = BUFFERS.lock().unwrap_or_else(|e| e.into_inner());
        all.push((f as usize, buf));
    }
}

/// `fclose`, then frees the buffer [`big_buffer`] gave the stream. Returns `fclose`'s value.
///
/// # Safety
/// `f` is an open stream, not used afterwards.
pub(crate) unsafe fn close(f: *mut libc::FILE) -> c_int {
    // SAFETY: per the contract.
    let r = unsafe { libc::fclose(f) };
    // Every buffer registered at this address belonged to a stream now closed (the one just
    // closed, or earlier ones at the same address that the program closed itself).
    let mut all = BUFFERS.lock().unwrap_or_else(|e| e.into_inner());
    all.retain(|(a, _)| *a != f as usize);
    r
}

/// The start of glibc's `struct _IO_FILE` (`<bits/types/struct_FILE.h>`), the part that
/// glibc's `putc_unlocked` macro, compiled into programs, reads and writes: its layout is ABI.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[repr(C)]
struct GlibcFile {
    flags: c_int,
    read_ptr: *mut u8,
    read_end: *mut u8,
    read_base: *mut u8,
    write_base: *mut u8,
    write_ptr: *mut u8,
    write_end: *mut u8,
}

/// Whether the process has a single thread (then no other thread can use the stream).
#[inline(always)]
fn single_threaded() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: a byte glibc keeps; reading it is what `<sys/single_threaded.h>` is for.
        unsafe { std::ptr::addr_of!(__libc_single_threaded).read() != 0 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Appends `head` and then `data` to the stream's buffer if both fit in what is left of it
/// (the stream's lock held, or the process single-threaded); false when they do not.
///
/// # Safety
/// `f` is an open stream that no other thread uses during the call.
#[inline(always)]
unsafe fn put_buffered(f: *mut libc::FILE, head: &[u8], data: &[u8]) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let g = f.cast::<GlibcFile>();
        // SAFETY: a glibc stream starts with these fields; no other thread touches it.
        let (ptr, end) = unsafe { ((*g).write_ptr, (*g).write_end) };
        let need = head.len() + data.len();
        // Line-buffered and unbuffered streams keep no room (`write_end == write_base`), and a
        // stream that has not written yet has none: those go through `fwrite`.
        if ptr.is_null() || (end as usize).saturating_sub(ptr as usize) < need {
            return false;
        }
        // SAFETY: `ptr..ptr + need` is inside the stream's buffer (checked above), which does
        // not overlap the caller's bytes; moving `write_ptr` on is what `putc_unlocked` does.
        unsafe {
            std::ptr::copy_nonoverlapping(head.as_ptr(), ptr, head.len());
            std::ptr::copy_nonoverlapping(data.as_ptr(), ptr.add(head.len()), data.len());
            (*g).write_ptr = ptr.add(need);
        }
        true
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = (f, head, data);
        false
    }
}

/// Writes `head` then `data` to `f` as two `fwrite`s would, without another thread's writes to
/// the same stream between them. Errors stay on the stream (`ferror`), as with `fwrite`.
///
/// # Safety
/// `f` is an open stream.
#[inline]
pub(crate) unsafe fn write2(f: *mut libc::FILE, head: &[u8], data: &[u8]) {
    let single = single_threaded();
    // SAFETY: `f` is open; the lock is taken when other threads could use it, and the unlocked
    // calls run under it or on a single-threaded process.
    unsafe {
        if !single {
            flockfile(f);
        }
        if !put_buffered(f, head, data) {
            fwrite_unlocked(head.as_ptr().cast(), head.len(), 1, f);
            if !data.is_empty() {
                fwrite_unlocked(data.as_ptr().cast(), data.len(), 1, f);
            }
        }
        if !single {
            funlockfile(f);
        }
    }
}

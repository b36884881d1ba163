//go:build linux && cgo

package packet

/*
#include <errno.h>
#include <stdlib.h>
#include "gopkt.h"
*/
import "C"

import (
	"errors"
	"math"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
)

// OpenOffline opens the savefile path for reading: pcap (either byte order, microsecond or
// nanosecond timestamps) or pcapng (any number of sections and interfaces), whichever it
// holds; "-" reads standard input, as a stream. A regular file is mapped: Read, ReadZeroCopy,
// ReadBatch and Loop return packets where they lie in the file, without copying (it must not
// be truncated while the handle reads it). Other inputs are read in chunks into a buffer of the
// handle; a read waits for a pipe's data, whatever poll says, until BreakLoop or Close.
//
// config nil means DefaultConfig(). What applies to a savefile: Snaplen (each packet's CapLen
// is cut to it; Len stays), TstampResolution (TstampMicro truncates to whole microseconds),
// Filter (run in user space on every packet, with libpcap's semantics: compile it with
// CompileFilter's offline form), MaxNilRead and ReadAhead. Direction other than DirInOut and
// Proto other than ProtoAll (or 0) are syscall.EINVAL; every other field is ignored: reads
// never time out and never give ErrWouldPoll or syscall.EAGAIN.
//
// The handle works with Read, ReadZeroCopy, ReadBatch, Loop, SetBPF, SetFilter, Stats (Recvs:
// the records read so far, the filtered-out ones too; Drops: what pcapng statistics blocks
// read so far record), BreakLoop, Config, Fd, DLT (the file's link type), OfflineInterface and
// Close. LinkType gives LinkTypeNone. Write, WriteBatch, Flush, SetFanout and FanoutGroup fail
// with syscall.EOPNOTSUPP.
//
// At the end of the file every read returns syscall.ENODATA (see IsEndOfFile); at a damaged or
// truncated record, after the packets before it, an *os.SyscallError wrapping syscall.EBADMSG
// whose text gives the record's byte offset ("pkt_read: f.pcap: truncated record at byte
// 1234: 50 of its 116 bytes: bad message"), again at every later read. Each packet's Info
// describes the record (see Info).
//
// Errors of the open are *os.SyscallError values wrapping the errno with libpkt's message:
// syscall.ENOENT, syscall.EACCES, syscall.EISDIR, ... from open(2); syscall.EBADMSG for input
// that is not a pcap or pcapng file, or whose header is damaged or cut short ("not a pcap or
// pcapng file: first bytes 7f 45 4c 46"); syscall.EINVAL for a bad config or a NUL byte in
// path. Opening a pipe waits until its header arrived.
func OpenOffline(path string, config *Config) (*Handle, error) {
	cpath, ok := cString(path)
	if !ok {
		return nil, opError("pkt_open_offline", syscall.EINVAL, "path holds a NUL byte")
	}
	defer C.free(unsafe.Pointer(cpath))
	return openOffline(cpath, -1, config)
}

// OpenOfflineFile is OpenOffline reading f from its current offset (pkt_open_offline_fd): a
// regular file (mapped; its offset is left where it was), a pipe, a socket, ... The handle
// reads through a duplicate of f's descriptor, which Close closes: the caller keeps f, may
// close it at once, and must close it itself. Like f.Fd, the call puts f into blocking mode;
// f and the handle share the open file, so a pipe must not be read through f while the handle
// reads it. A nil or closed f gives syscall.EBADF.
func OpenOfflineFile(f *os.File, config *Config) (*Handle, error) {
	if f == nil {
		return nil, opError("pkt_open_offline_fd", syscall.EBADF, "nil file")
	}
	fd := f.Fd() // ^uintptr(0) once closed: -1, which libpkt refuses with EBADF
	h, err := openOffline(nil, int(fd), config)
	runtime.KeepAlive(f) // f's finalizer must not close fd during the call
	return h, err
}

// openOffline opens path, or descriptor fd when path is nil.
func openOffline(path *C.char, fd int, config *Config) (*Handle, error) {
	op := "pkt_open_offline"
	if path == nil {
		op = "pkt_open_offline_fd"
	}
	cc := cConfig(config)
	var filter []bpf.RawInstruction
	if config != nil {
		filter = config.Filter
	}
	if uint64(len(filter)) > math.MaxUint32 {
		return nil, opError(op, syscall.EINVAL, "filter too long")
	}
	var ch *C.pkt_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_open_offline(path, C.int(fd), &cc, cFilter(filter), C.uint32_t(len(filter)), &ch, m, n)
	})
	if rc < 0 {
		return nil, opError(op, errnoOf(rc), msg)
	}
	return newHandle(ch, config, filter, true), nil
}

// IsEndOfFile reports whether err is the end of a savefile: the syscall.ENODATA that every
// read of a savefile handle returns once all its packets were read, also when wrapped. It is
// errors.Is(err, syscall.ENODATA).
func IsEndOfFile(err error) bool { return errors.Is(err, syscall.ENODATA) }

// OfflineInterface describes interface ifindex of a savefile (the Info.Ifindex of its
// packets): its pcap link type and snap length (a file's 0, or over 262144, reads as 262144).
// A pcap file has interface 0 only. A pcapng file's interfaces are numbered in the order of
// their description blocks in the file, counted over all its sections from 0: interface 0 is
// known from the open, the others once the reads reached their blocks (that of every packet
// read so far is known). The dlt is also each packet's Info.Link.LinkType.
//
// Errors (*os.SyscallError with libpkt's message): syscall.ENOENT no such interface (yet),
// syscall.EOPNOTSUPP on a live handle, syscall.EINVAL after Close. It waits for a read in
// progress, as SetBPF: do not call it from Loop's callback.
func (h *Handle) OfflineInterface(ifindex int32) (dlt uint16, snaplen uint32, err error) {
	h.rmu.Lock()
	defer h.rmu.Unlock()
	if h.closed.Load() != 0 {
		return 0, 0, syscall.EINVAL
	}
	var cd C.uint16_t
	var cs C.uint32_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_offline_iface(h.h, C.int32_t(ifindex), &cd, &cs, m, n)
	})
	if rc < 0 {
		return 0, 0, opError("pkt_offline_iface", errnoOf(rc), msg)
	}
	return uint16(cd), uint32(cs), nil
}

// loopBatch is the most packets Loop takes from libpkt per call into it.
const loopBatch = 256

// errLoopBroken is Loop's error after BreakLoop.
func errLoopBroken() error {
	return &os.SyscallError{Syscall: "pkt_loop: broken by BreakLoop", Err: syscall.EINTR}
}

// Loop is libpcap's pcap_loop (libpkt's pkt_loop): it calls fn for every packet until cnt were
// handed to it (cnt <= 0: no limit), the end of a savefile, an error, BreakLoop or Close.
//
// It returns nil after cnt packets or at the end of a savefile; after BreakLoop (from fn or
// any goroutine, also one called before Loop: it takes the pending break, as a read does) an
// *os.SyscallError wrapping syscall.EINTR; after Close syscall.EINVAL; otherwise the error of
// the read that failed, as Read returns it, after the packets before it were handed out: on a
// savefile the syscall.EBADMSG of a damaged record; on a live handle syscall.ETIMEDOUT when
// Config.ReadTimeout > 0 passed without a packet, syscall.EAGAIN on a NonBlock handle as soon
// as nothing is ready, syscall.ENODEV when the interface is removed. It waits for packets on a
// live handle for as long as it takes (nil reads just continue), and for a pipe's data.
//
// data and info are valid only during the call to fn: data is the packet in the ring or the
// mapped file (not a copy), info is reused for the next packet. Copy what you keep; do not
// write to data. A BreakLoop ends Loop after the packet being handed out; packets that libpkt
// had already returned with it stay for the next read (Read, ReadBatch, Loop), as in libpcap.
//
// Loop takes up to 256 packets per call into libpkt (pkt_read_batch) and hands them out from
// Go: one cgo crossing per batch, none per packet. Between batches other goroutines' reads,
// SetBPF and Close get their turn. fn runs on Loop's goroutine while Loop holds the handle's
// read lock: it may call BreakLoop, Stats, Config, DLT, Fd and the writes, but not Read,
// ReadZeroCopy, ReadBatch, Loop, SetBPF, SetFilter, OfflineInterface or Close on the same
// handle, which wait for Loop to return (a deadlock). A nil fn gives syscall.EINVAL.
func (h *Handle) Loop(cnt int, fn func(data []byte, info *Info)) error {
	if fn == nil {
		return syscall.EINVAL
	}
	info := new(Info)
	left := cnt
	for {
		if done, err := h.loopBatch(cnt > 0, &left, fn, info); done {
			return err
		}
	}
}

// loopBatch hands one batch (the read-ahead, or packets from one call into libpkt) to fn, and
// reports whether Loop is done and with what.
func (h *Handle) loopBatch(counted bool, left *int, fn func([]byte, *Info), info *Info) (bool, error) {
	// Deferred: fn may panic, which must not leave the handle locked.
	h.rmu.Lock()
	defer h.rmu.Unlock()
	if h.closed.Load() != 0 {
		return true, syscall.EINVAL
	}
	if h.pos >= h.end {
		want := loopBatch
		if counted && *left < want {
			want = *left
		}
		h.growBatch(want)
		rc := h.cReadBatch(true, want)
		if rc <= 0 {
			return h.loopErr(rc)
		}
		h.pos, h.end = 0, int(rc)
	}
	descs := unsafe.Slice(h.batch, h.end)[h.pos:]
	if counted && len(descs) > *left {
		descs = descs[:*left]
	}
	for i := range descs {
		// A break or a Close waiting for the lock ends the loop between two packets; a
		// break is then reported here, before libpkt takes it (see retryBreak).
		if h.closed.Load() != 0 {
			return true, syscall.EINVAL
		}
		if b := h.breaks.Load(); b != h.seen {
			h.seen = b
			return true, errLoopBroken()
		}
		d := &descs[i]
		h.pos++ // first: a panic in fn leaves the packet consumed
		fillInfo(info, &d.info)
		fn(ringBytes(d), info)
		if counted {
			*left--
		}
	}
	return counted && *left == 0, nil
}

// loopErr maps the code <= 0 of Loop's read to whether Loop is done and with what.
func (h *Handle) loopErr(rc C.int) (bool, error) {
	switch {
	case rc == 0:
		return false, nil // a nil read: read again
	case h.closed.Load() != 0:
		return true, syscall.EINVAL
	case rc == -C.EINTR:
		return true, errLoopBroken()
	case h.offline && rc == -C.ENODATA:
		return true, nil
	}
	return true, h.readErr(true, rc)
}

//go:build linux && cgo

package packet

/*
#include <errno.h>
#include <stdlib.h>
#include "gopkt.h"
*/
import "C"

import (
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
)

// Handle is an open capture: the Handler that NewHandler returns, with libpkt's extras; or a
// savefile being read (OpenOffline, OpenOfflineFile). Its methods are safe for concurrent use
// (see the package documentation for how reads, writes and Close interact).
type Handle struct {
	// rmu is held by a read (Read, ReadZeroCopy, ReadBatch, each batch of Loop), by SetBPF
	// and by OfflineInterface: libpkt lets one thread read a handle at a time. It also guards
	// one, batch, the read-ahead, rmsg and seen.
	rmu sync.Mutex
	// mu is held shared by every other call into libpkt, and exclusively by Close, which
	// also takes rmu: libpkt's pkt_close must not race with any other call.
	mu sync.RWMutex
	// wmu serializes WriteBatch and Flush (libpkt's rule) and guards the staging memory.
	wmu sync.Mutex
	// closed is set once, by Close, before it breaks a blocked read.
	closed atomic.Uint32
	// breaks counts BreakLoop calls; seen (under rmu) is the count already reported as a
	// break. Loop ends between two packets of a batch when they differ, before libpkt has seen
	// the break: the EINTR that libpkt then still holds for it is not a new break, and the read
	// that gets it is retried (see retryBreak).
	breaks atomic.Uint64
	seen   uint64

	h     *C.pkt_t
	one   *C.pkt_packet_t // the out-parameters of a single read, in C memory
	batch *C.pkt_packet_t // descriptors of batch reads, in C memory
	nbat  int             // how many batch holds
	slim  *C.pkt_slim_t   // descriptors of ReadSlim, in C memory
	nslim int             // how many slim holds
	// The read-ahead: batch[pos:end] were read from libpkt and not handed out yet.
	pos, end int
	ahead    int     // packets Read and ReadZeroCopy ask libpkt for per call
	tx       txStage // WriteBatch's frames, copied to C memory

	fd      int
	link    LinkType
	dlt     uint16
	offline bool // a savefile handle
	// rmsg receives pkt_errmsg() of a failed read on a savefile handle (nil on live handles,
	// whose read errors are bare errnos, as the seed's).
	rmsg cmsg

	cfgMu sync.Mutex
	cfg   Config // the configuration in effect
}

// Packet is one packet of ReadBatch.
type Packet struct {
	// Data is the packet's bytes in the ring (not a copy): valid until the next read on the
	// handle or its Close. Copy what you keep; do not write to it.
	Data []byte
	// Info describes it.
	Info Info
}

// Handler is satisfied by *Handle.
var _ Handler = (*Handle)(nil)

// defaultReadAhead is Config.ReadAhead's default.
const defaultReadAhead = 1

// The most descriptors ReadBatch asks libpkt for in one call (a batch never spans ring blocks,
// so more would rarely be filled).
const maxBatch = 1 << 16

// NewHandler opens a capture on interface iff, or on all interfaces when iff is "" or "any"
// (libpcap's name, as Interfaces lists it; this forces NoLinkLayer on). A nil config means
// DefaultConfig(); config is not modified. It returns a *Handle, or a nil Handler and an
// error: *os.SyscallError wrapping the errno (syscall.ENODEV for no such interface,
// syscall.EPERM without CAP_NET_RAW, syscall.EINVAL for a bad config, syscall.EOPNOTSUPP for a
// Config.TstampSource the interface does not offer) with libpkt's description of the failing
// step.
func NewHandler(iff string, config *Config) (Handler, error) {
	h, err := Open(iff, config)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Open is NewHandler returning the concrete *Handle.
func Open(iff string, config *Config) (*Handle, error) {
	var name *C.char
	if iff != "" {
		var ok bool
		if name, ok = cString(iff); !ok {
			return nil, opError("pkt_open", syscall.EINVAL, "interface name holds a NUL byte")
		}
		defer C.free(unsafe.Pointer(name))
	}
	cc := cConfig(config)
	var filter []bpf.RawInstruction
	if config != nil {
		filter = config.Filter
	}
	if uint64(len(filter)) > math.MaxUint32 {
		return nil, opError("pkt_open", syscall.EINVAL, "filter too long")
	}
	var ch *C.pkt_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_open(name, &cc, cFilter(filter), C.uint32_t(len(filter)), &ch, m, n)
	})
	if rc < 0 {
		return nil, opError("pkt_open", errnoOf(rc), msg)
	}
	return newHandle(ch, config, filter, false), nil
}

// newHandle wraps a handle that libpkt opened with config (nil: the defaults) and filter.
func newHandle(ch *C.pkt_t, config *Config, filter []bpf.RawInstruction, offline bool) *Handle {
	h := &Handle{h: ch, offline: offline}
	var eff C.pkt_config_t
	C.pkt_get_config(ch, &eff)
	h.cfg = goConfig(&eff)
	h.cfg.Filter = append([]bpf.RawInstruction(nil), filter...)
	h.ahead = defaultReadAhead
	if config != nil && config.ReadAhead != 0 {
		h.ahead = config.ReadAhead
	}
	if h.ahead < 1 {
		h.ahead = 1
	}
	if h.ahead > maxBatch {
		h.ahead = maxBatch
	}
	h.cfg.ReadAhead = h.ahead
	h.fd = int(C.pkt_fd(ch))
	h.link = LinkType(C.pkt_linktype(ch))
	h.dlt = uint16(C.pkt_dlt(ch))
	h.one = (*C.pkt_packet_t)(C.malloc(C.sizeof_pkt_packet_t))
	if offline {
		h.rmsg = newCmsg()
	}
	runtime.SetFinalizer(h, (*Handle).Close)
	return h
}

// Close releases the handle: it makes a blocked read return syscall.EINVAL, waits until every
// call in progress has returned, then closes the socket and unmaps the ring. Data from
// ReadZeroCopy and ReadBatch must not be used afterwards. Calls after Close return
// syscall.EINVAL (Stats zero counters, Fd ^uintptr(0)); a second Close returns nil.
func (h *Handle) Close() error {
	if !h.closed.CompareAndSwap(0, 1) {
		return nil
	}
	// Only this call frees h.h, so it is still alive here. The break wakes a blocked read,
	// or makes the read about to start return at once.
	C.pkt_breakloop(h.h)
	h.rmu.Lock()
	h.mu.Lock()
	C.pkt_close(h.h)
	h.h = nil
	C.free(unsafe.Pointer(h.one))
	h.one = nil
	C.free(unsafe.Pointer(h.batch))
	h.batch, h.nbat, h.pos, h.end = nil, 0, 0, 0
	C.free(unsafe.Pointer(h.slim))
	h.slim, h.nslim = nil, 0
	if h.rmsg.p != nil {
		h.rmsg.free()
		h.rmsg = cmsg{}
	}
	h.tx.free()
	h.mu.Unlock()
	h.rmu.Unlock()
	runtime.SetFinalizer(h, nil)
	return nil
}

// readErr maps a read's code <= 0 to the seed's errors; rmu is held. On a savefile handle the
// end of the file is a bare syscall.ENODATA, other errors (syscall.EBADMSG) carry libpkt's
// message.
func (h *Handle) readErr(poll bool, rc C.int) error {
	switch {
	case rc == 0:
		return nil
	case rc == -C.EINTR:
		if h.closed.Load() != 0 {
			return syscall.EINVAL
		}
		return errBreakLoop
	case rc == -C.EAGAIN && !poll:
		return errWouldPoll
	case h.offline && rc != -C.ENODATA:
		if h.closed.Load() != 0 {
			return syscall.EINVAL // rmsg was not written
		}
		return opError("pkt_read", errnoOf(rc), h.rmsg.String())
	}
	return errnoOf(rc)
}

// retryBreak is called with rmu held when libpkt returned -EINTR, and reports whether that
// EINTR answers a break already reported (Loop saw BreakLoop's count between two packets and
// ended there, before libpkt took the break): the read is then made again. Otherwise the
// break is new and counted as reported.
func (h *Handle) retryBreak() bool {
	if h.closed.Load() != 0 {
		return false
	}
	b := h.breaks.Load()
	if b == h.seen {
		return true
	}
	h.seen = b
	return false
}

// cRead is pkt_read into h.one; rmu is held and the read-ahead is empty.
func (h *Handle) cRead(poll bool) C.int {
	for {
		rc := C.gopkt_read(cptr(unsafe.Pointer(h.h)), cbool(poll), cptr(unsafe.Pointer(h.one)), cptr(unsafe.Pointer(h.rmsg.p)), msgCap)
		if rc != -C.EINTR || !h.retryBreak() {
			return rc
		}
	}
}

// cReadBatch is pkt_read_batch of up to n packets into h.batch; rmu is held, the read-ahead
// is empty and growBatch(n) was called.
func (h *Handle) cReadBatch(poll bool, n int) C.int {
	for {
		rc := C.gopkt_read_batch(cptr(unsafe.Pointer(h.h)), cbool(poll), cptr(unsafe.Pointer(h.batch)), C.size_t(n), cptr(unsafe.Pointer(h.rmsg.p)), msgCap)
		if rc != -C.EINTR || !h.retryBreak() {
			return rc
		}
	}
}

// cReadSlim is pkt_read_slim of up to n packets into h.slim; rmu is held, the read-ahead is
// empty and h.nslim >= n.
func (h *Handle) cReadSlim(poll bool, n int) C.int {
	for {
		rc := C.gopkt_read_slim(cptr(unsafe.Pointer(h.h)), cbool(poll), cptr(unsafe.Pointer(h.slim)), C.size_t(n), cptr(unsafe.Pointer(h.rmsg.p)), msgCap)
		if rc != -C.EINTR || !h.retryBreak() {
			return rc
		}
	}
}

// next returns the next packet's descriptor, from the read-ahead or from libpkt, or nil and
// the code of a failed or nil read; rmu is held.
func (h *Handle) next(poll bool) (*C.pkt_packet_t, C.int) {
	if h.closed.Load() != 0 {
		return nil, -C.EINVAL
	}
	if h.pos < h.end {
		d := &unsafe.Slice(h.batch, h.end)[h.pos]
		h.pos++
		return d, 1
	}
	if h.ahead <= 1 {
		rc := h.cRead(poll)
		// 0 with data set is a savefile's record of 0 bytes, not a nil read.
		if rc < 0 || (rc == 0 && h.one.data == nil) {
			return nil, rc
		}
		return h.one, 1
	}
	h.growBatch(h.ahead)
	rc := h.cReadBatch(poll, h.ahead)
	if rc <= 0 {
		return nil, rc
	}
	h.pos, h.end = 1, int(rc)
	return h.batch, rc
}

// growBatch makes room for n descriptors; rmu is held and the read-ahead is empty.
func (h *Handle) growBatch(n int) {
	if h.nbat < n {
		C.free(unsafe.Pointer(h.batch))
		h.batch = (*C.pkt_packet_t)(C.malloc(C.size_t(n) * C.sizeof_pkt_packet_t))
		h.nbat = n
	}
}

// ringBytes returns a packet's bytes in the ring.
func ringBytes(d *C.pkt_packet_t) []byte { return ringSlice(d.data, d.info.caplen) }

// ringSlice is the n bytes at p in C memory. Through an array type of 1<<32 bytes, whose bound
// a uint32 length never exceeds, so the conversion has no check (unsafe.Slice has two).
func ringSlice(p *C.uint8_t, n C.uint32_t) []byte {
	if p == nil {
		return nil
	}
	return (*[1 << 32]byte)(unsafe.Pointer(p))[:n:n]
}

// Read returns a copy of the next packet: see Handler.Read.
func (h *Handle) Read(poll bool) ([]byte, *Info, error) {
	// No defer on the per-packet paths: nothing between Lock and Unlock can panic.
	h.rmu.Lock()
	d, rc := h.next(poll)
	if d == nil {
		err := h.readErr(poll, rc)
		h.rmu.Unlock()
		return nil, nil, err
	}
	raw, info := newCopy(int(d.info.caplen))
	copy(raw, ringBytes(d))
	fillInfo(info, &d.info)
	h.rmu.Unlock()
	return raw, info, nil
}

// The objects that hold a copied packet and its Info in one allocation (Read's two results):
// Info is 64 bytes, and each size is one of the allocator's classes (128 to 2048 bytes), so
// nothing is wasted beyond what a separate []byte would round up to.
type (
	copy64 struct {
		info Info
		data [64]byte
	}
	copy192 struct {
		info Info
		data [192]byte
	}
	copy448 struct {
		info Info
		data [448]byte
	}
	copy960 struct {
		info Info
		data [960]byte
	}
	copy1472 struct {
		info Info
		data [1472]byte
	}
	copy1984 struct {
		info Info
		data [1984]byte
	}
)

// newCopy returns room for a packet of n bytes (raw, with len and cap n) and its Info: one
// allocation for packets up to 1984 bytes (Read's cost is mostly the allocator's: two
// allocations cost nearly twice one), two above. The GC keeps the object while either is
// referenced, which is no more memory than the two allocations would hold.
func newCopy(n int) ([]byte, *Info) {
	switch {
	case n <= 64:
		c := new(copy64)
		return c.data[:n:n], &c.info
	case n <= 192:
		c := new(copy192)
		return c.data[:n:n], &c.info
	case n <= 448:
		c := new(copy448)
		return c.data[:n:n], &c.info
	case n <= 960:
		c := new(copy960)
		return c.data[:n:n], &c.info
	case n <= 1472:
		c := new(copy1472)
		return c.data[:n:n], &c.info
	case n <= 1984:
		c := new(copy1984)
		return c.data[:n:n], &c.info
	}
	return make([]byte, n), new(Info)
}

// ReadZeroCopy is Read without the copy and without allocating: the bytes are the packet in
// the ring, valid until the next read on the handle (Read, ReadZeroCopy, ReadBatch) or its
// Close. Copy what you keep; do not write to the bytes. A handle that is no longer referenced
// is closed by its finalizer, so keep it reachable while the bytes are in use. Errors and the
// nil read (nil bytes, a zero Info, a nil error) are Read's.
func (h *Handle) ReadZeroCopy(poll bool) (data []byte, info Info, err error) {
	h.rmu.Lock()
	d, rc := h.next(poll)
	if d == nil {
		err = h.readErr(poll, rc)
	} else {
		data = ringBytes(d)
		fillInfo(&info, &d.info)
	}
	h.rmu.Unlock()
	return data, info, err
}

// ReadBatch reads up to len(pkts) packets with one call into libpkt, without copying, and
// returns how many it put at the start of pkts. Each Packet's Data points into the ring and is
// valid until the next read on the handle or its Close.
//
// It waits (poll true) only while nothing is ready and returns what is ready without waiting
// for more; a batch ends at the end of a ring block (and packets that Read or ReadZeroCopy
// read ahead come first, without a call into libpkt). It allocates nothing. Errors are
// Read's; 0, nil is the nil read; an empty pkts gives syscall.EINVAL.
func (h *Handle) ReadBatch(poll bool, pkts []Packet) (int, error) {
	if len(pkts) == 0 {
		return 0, syscall.EINVAL
	}
	want := len(pkts)
	if want > maxBatch {
		want = maxBatch
	}
	h.rmu.Lock()
	n, err := h.readBatch(poll, pkts[:want])
	h.rmu.Unlock()
	return n, err
}

// readBatch is ReadBatch with rmu held.
func (h *Handle) readBatch(poll bool, pkts []Packet) (int, error) {
	if h.closed.Load() != 0 {
		return 0, syscall.EINVAL
	}
	if h.pos < h.end {
		descs := unsafe.Slice(h.batch, h.end)[h.pos:]
		if len(descs) > len(pkts) {
			descs = descs[:len(pkts)]
		}
		h.pos += len(descs)
		fillPackets(pkts, descs)
		return len(descs), nil
	}
	h.growBatch(len(pkts))
	rc := h.cReadBatch(poll, len(pkts))
	if rc <= 0 {
		return 0, h.readErr(poll, rc)
	}
	fillPackets(pkts, unsafe.Slice(h.batch, int(rc)))
	return int(rc), nil
}

// fillPackets converts descriptors to Packets (len(pkts) >= len(descs)). fillInfo's stores
// are written out here: the call per packet and unsafe.Slice's checks cost as much as the rest.
func fillPackets(pkts []Packet, descs []C.pkt_packet_t) {
	pkts = pkts[:len(descs)]
	for i := range descs {
		d := &descs[i]
		p := &pkts[i]
		p.Data = ringSlice(d.data, d.info.caplen)
		p.Info.Time = time.Unix(int64(d.info.sec), int64(d.info.nsec))
		p.Info.CapLen = int(d.info.caplen)
		p.Info.Len = int(d.info.len)
		p.Info.Ifindex = int32(d.info.ifindex)
		p.Info.Status = uint32(d.info.status)
		p.Info.VLAN.TPID = uint16(d.info.vlan_tpid)
		p.Info.VLAN.TCI = uint16(d.info.vlan_tci)
		p.Info.Link.Protocol = Proto(d.info.protocol)
		p.Info.Link.LinkType = LinkType(d.info.linktype)
		p.Info.PktType = PacketType(d.info.pkttype)
	}
}

// fillInfo converts a descriptor's info. Field by field into dst: a composite literal is
// built on the stack with narrow stores and copied with wide loads, which stall on store
// forwarding (measured: most of ReadBatch's conversion time).
func fillInfo(dst *Info, ci *C.pkt_info_t) {
	dst.Time = time.Unix(int64(ci.sec), int64(ci.nsec))
	dst.CapLen = int(ci.caplen)
	dst.Len = int(ci.len)
	dst.Ifindex = int32(ci.ifindex)
	dst.Status = uint32(ci.status)
	dst.VLAN.TPID = uint16(ci.vlan_tpid)
	dst.VLAN.TCI = uint16(ci.vlan_tci)
	dst.Link.Protocol = Proto(ci.protocol)
	dst.Link.LinkType = LinkType(ci.linktype)
	dst.PktType = PacketType(ci.pkttype)
}

// Slim is a batch of packets from ReadSlim: for each, its bytes and its length on the wire,
// nothing else. It is a view of descriptors that libpkt wrote in memory the handle owns (no
// copy, nothing built per packet): Data(i) and WireLen(i) read them where they are. The
// batch and the bytes are valid until the next read on the handle (any of them) or its Close;
// the zero Slim is an empty batch.
type Slim struct {
	d []C.pkt_slim_t
}

// Len returns how many packets the batch holds.
func (s Slim) Len() int { return len(s.d) }

// Data returns packet i's bytes (Info.CapLen of them) in the ring or the savefile's mapping:
// not a copy, valid as the batch is. Copy what you keep; do not write to it.
func (s Slim) Data(i int) []byte {
	d := &s.d[i]
	return ringSlice(d.data, d.caplen)
}

// WireLen returns packet i's length on the wire (Info.Len: at least len(Data(i))).
func (s Slim) WireLen(i int) int { return int(s.d[i].len) }

// ReadSlim is ReadBatch in its leanest form (pkt_read_slim): up to max packets with one call
// into libpkt, each as only its bytes and its length on the wire, for consumers that need
// nothing else of Info (counters, parsers, forwarders). Nothing is copied or allocated, and
// nothing is built per packet: the loop over the batch costs what C's does.
//
//	for {
//		b, err := h.ReadSlim(true, 32)
//		if err != nil {
//			return err
//		}
//		for i := 0; i < b.Len(); i++ {
//			data := b.Data(i) // valid until the next read
//			_ = data
//		}
//	}
//
// Waiting, the end of a batch, the read-ahead of Read and ReadZeroCopy (handed out first),
// errors and the nil read (an empty Slim, a nil error) are ReadBatch's; max < 1 gives
// syscall.EINVAL, and max above 65536 is 65536. Batches of about 32 are the fastest: with
// many more, the first packets' ring lines leave the CPU's first-level cache before the loop
// reaches them (see pkt_read_batch in pkt.h).
func (h *Handle) ReadSlim(poll bool, max int) (Slim, error) {
	if max < 1 {
		return Slim{}, syscall.EINVAL
	}
	if max > maxBatch {
		max = maxBatch
	}
	h.rmu.Lock()
	s, err := h.readSlim(poll, max)
	h.rmu.Unlock()
	return s, err
}

// readSlim is ReadSlim with rmu held.
func (h *Handle) readSlim(poll bool, max int) (Slim, error) {
	if h.closed.Load() != 0 {
		return Slim{}, syscall.EINVAL
	}
	if h.nslim < max {
		C.free(unsafe.Pointer(h.slim))
		h.slim = (*C.pkt_slim_t)(C.malloc(C.size_t(max) * C.sizeof_pkt_slim_t))
		h.nslim = max
	}
	if h.pos < h.end {
		// Packets read ahead come first, in the slim form.
		descs := unsafe.Slice(h.batch, h.end)[h.pos:]
		if len(descs) > max {
			descs = descs[:max]
		}
		h.pos += len(descs)
		out := unsafe.Slice(h.slim, len(descs))
		for i := range descs {
			out[i] = C.pkt_slim_t{data: descs[i].data, caplen: descs[i].info.caplen, len: descs[i].info.len}
		}
		return Slim{out}, nil
	}
	rc := h.cReadSlim(poll, max)
	if rc <= 0 {
		return Slim{}, h.readErr(poll, rc)
	}
	return Slim{unsafe.Slice(h.slim, int(rc))}, nil
}

// Write sends one frame: see Handler.Write. Errors are syscall.Errno values: EMSGSIZE for a
// frame longer than the interface allows, ENETDOWN, EAGAIN or ENOBUFS (a full queue on a
// NonBlock handle), EINVAL.
func (h *Handle) Write(buf []byte, iff *net.Interface, protocol Proto) (int, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return 0, syscall.EINVAL
	}
	if len(buf) == 0 {
		return 0, nil
	}
	ifindex := 0
	if iff != nil {
		ifindex = iff.Index
		if ifindex <= 0 {
			return 0, syscall.EINVAL
		}
	}
	rc := C.gopkt_write(cptr(unsafe.Pointer(h.h)), unsafe.Pointer(&buf[0]), C.size_t(len(buf)), C.int(ifindex), C.uint16_t(protocol))
	if rc < 0 {
		return 0, errnoOf(rc)
	}
	return int(rc), nil
}

// Fd returns the socket: see Handler.Fd. A savefile handle gives its own descriptor of the
// file (as libpcap's pcap_fileno): a regular file is always readable, a pipe when more of it
// arrived (the handle may already hold the next packets: read before waiting).
func (h *Handle) Fd() uintptr {
	if h.closed.Load() != 0 {
		return ^uintptr(0)
	}
	return uintptr(h.fd)
}

// BreakLoop makes the blocked Read(true), or the next one, return ErrBreakLoop, once; a Loop
// under way ends after the packet being handed out (or its wait for one) and returns an error
// wrapping syscall.EINTR. Any goroutine may call it, also Loop's callback. On a savefile
// handle it also wakes a read waiting for a pipe.
func (h *Handle) BreakLoop() error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return syscall.EINVAL
	}
	// Counted before libpkt is told, so that a reader that gets the EINTR sees the count.
	h.breaks.Add(1)
	if rc := C.pkt_breakloop(h.h); rc < 0 {
		return errnoOf(rc)
	}
	return nil
}

// SetBPF replaces the filter: see Handler.SetBPF. A program that is not valid classic BPF is
// refused with syscall.EINVAL (wrapped, with libpkt's reason) and the old filter stays.
func (h *Handle) SetBPF(filter []bpf.RawInstruction) error {
	h.rmu.Lock()
	defer h.rmu.Unlock()
	if h.closed.Load() != 0 {
		return syscall.EINVAL
	}
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_setfilter(h.h, cFilter(filter), C.size_t(len(filter)), m, n)
	})
	if rc < 0 {
		return opError("pkt_setfilter", errnoOf(rc), msg)
	}
	h.cfgMu.Lock()
	h.cfg.Filter = append([]bpf.RawInstruction(nil), filter...)
	h.cfgMu.Unlock()
	return nil
}

// Stats returns the counters: see Handler.Stats.
func (h *Handle) Stats(total bool) *Stats {
	st := new(Stats)
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return st
	}
	var cs C.pkt_stats_t
	if C.pkt_stats(h.h, C.bool(total), &cs) == 0 {
		st.Recvs, st.Drops = uint64(cs.recvs), uint64(cs.drops)
	}
	return st
}

// Config returns a copy of the configuration in effect: see Handler.Config. Its Filter is the
// one attached at open or by the last SetBPF.
func (h *Handle) Config() *Config {
	h.cfgMu.Lock()
	defer h.cfgMu.Unlock()
	c := h.cfg
	c.Filter = append([]bpf.RawInstruction(nil), h.cfg.Filter...)
	return &c
}

// LinkType returns the bound interface's link type: see Handler.LinkType. A savefile handle
// gives LinkTypeNone: its link type is DLT's.
func (h *Handle) LinkType() LinkType { return h.link }

// DLT returns the pcap link type to write this handle's packets with (NewDumper):
// DLTEN10MB for Ethernet and loopback, DLTLinuxSLL2 for cooked handles. For a savefile
// handle, the file's link type (in a pcapng file, that of its first interface; each packet's
// is in Info.Link.LinkType).
func (h *Handle) DLT() uint16 { return h.dlt }

// DLTOf returns the pcap link type of packets captured on an interface of type lt, cooked or
// not (see pkt_dlt_of in pkt.h).
func DLTOf(lt LinkType, cooked bool) uint16 {
	return uint16(C.pkt_dlt_of(C.uint16_t(lt), C.bool(cooked)))
}

// FanoutMode is how a fanout group spreads packets over its members.
type FanoutMode uint16

const (
	FanoutHash     FanoutMode = 0 // by flow hash: both directions of a flow go to one member
	FanoutLB       FanoutMode = 1 // round robin
	FanoutCPU      FanoutMode = 2 // by the CPU that received the packet
	FanoutRollover FanoutMode = 3 // fill one member, then the next
	FanoutRandom   FanoutMode = 4 // random
	FanoutQueue    FanoutMode = 5 // by the device's receive queue
)

// FanoutFlag modifies a fanout group.
type FanoutFlag uint16

const (
	FanoutFlagRollover FanoutFlag = 0x1000 // a member whose ring is full passes packets on
	FanoutFlagUniqueID FanoutFlag = 0x2000 // the kernel picks an unused group id (group must be 0)
	FanoutFlagDefrag   FanoutFlag = 0x8000 // reassemble IPv4 fragments before hashing
)

// SetFanout joins the fanout group group of the network namespace: the kernel spreads the
// interface's packets over the group's members (handles in this or other processes bound to
// the same interface) by mode. With FanoutFlagUniqueID the kernel picks the id (group must be
// 0): FanoutGroup reads it back. Errors: syscall.EINVAL (bad mode or flags, or a group whose
// members use other settings), syscall.EALREADY (already in a group), wrapped with libpkt's
// message.
func (h *Handle) SetFanout(mode FanoutMode, group uint16, flags FanoutFlag) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return syscall.EINVAL
	}
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_set_fanout(h.h, C.uint16_t(mode), C.uint16_t(group), C.uint16_t(flags), m, n)
	})
	if rc < 0 {
		return opError("pkt_set_fanout", errnoOf(rc), msg)
	}
	return nil
}

// FanoutGroup returns the id of the fanout group the handle joined, or syscall.ENOENT.
func (h *Handle) FanoutGroup() (uint16, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return 0, syscall.EINVAL
	}
	rc := C.pkt_fanout_group(h.h)
	if rc < 0 {
		return 0, errnoOf(rc)
	}
	return uint16(rc), nil
}

// txStage is WriteBatch's C memory: descriptors and a copy of the frames (cgo forbids handing
// C an array of Go pointers).
type txStage struct {
	frames *C.pkt_frame_t
	nfr    int
	buf    unsafe.Pointer
	nbuf   int
	msg    cmsg
}

func (t *txStage) free() {
	C.free(unsafe.Pointer(t.frames))
	C.free(t.buf)
	if t.msg.p != nil {
		t.msg.free()
	}
	*t = txStage{}
}

// The most frames and bytes WriteBatch hands libpkt per call.
const (
	txChunkFrames = 1024
	txChunkBytes  = 1 << 20
)

// WriteBatch sends frames in order on the bound interface with as few system calls as
// Config.TxMode allows (one sendmmsg per 64 frames by default), and returns how many were
// sent. A short count comes with the error of the first frame that was not sent (an
// *os.SyscallError wrapping its errno, e.g. syscall.EMSGSIZE). The frames are copied to C
// memory (about 0.1 ns per byte), which cgo's pointer rules require; the caller may reuse them
// at once. With TxRing, frames may still be leaving when it returns: Flush waits for them.
func (h *Handle) WriteBatch(frames [][]byte) (int, error) {
	if len(frames) == 0 {
		return 0, nil
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return 0, syscall.EINVAL
	}
	t := &h.tx
	if t.msg.p == nil {
		t.msg = newCmsg()
	}
	sent := 0
	for sent < len(frames) {
		// The next chunk: at most txChunkFrames frames and txChunkBytes bytes (at least one).
		end, size := sent, 0
		for end < len(frames) && end-sent < txChunkFrames && (end == sent || size+len(frames[end]) <= txChunkBytes) {
			size += len(frames[end])
			end++
		}
		n := end - sent
		if t.nfr < n {
			C.free(unsafe.Pointer(t.frames))
			t.frames = (*C.pkt_frame_t)(C.malloc(C.size_t(txChunkFrames) * C.sizeof_pkt_frame_t))
			t.nfr = txChunkFrames
		}
		if t.nbuf < size {
			C.free(t.buf)
			t.nbuf = txChunkBytes
			if size > t.nbuf {
				t.nbuf = size
			}
			t.buf = C.malloc(C.size_t(t.nbuf))
		}
		descs := unsafe.Slice(t.frames, n)
		buf := unsafe.Slice((*byte)(t.buf), size)
		off := 0
		for i, f := range frames[sent:end] {
			copy(buf[off:], f)
			descs[i].data = unsafe.Add(t.buf, off)
			descs[i].len = C.size_t(len(f))
			off += len(f)
		}
		var failed C.int
		rc := C.gopkt_write_batch(cptr(unsafe.Pointer(h.h)), cptr(unsafe.Pointer(t.frames)), C.size_t(n), cptr(unsafe.Pointer(t.msg.p)), msgCap, &failed)
		if rc < 0 {
			if sent == 0 {
				return 0, errnoOf(rc)
			}
			return sent, opError("pkt_write_batch", errnoOf(rc), t.msg.String())
		}
		sent += int(rc)
		if int(rc) < n {
			// pkt_errno(): the failing frame's errno, beside the short count.
			return sent, opError("pkt_write_batch", errnoOf(failed), t.msg.String())
		}
	}
	return sent, nil
}

// Flush waits until every frame queued by WriteBatch has left (with TxRing; with sendmmsg
// frames have left when WriteBatch returns).
func (h *Handle) Flush() error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed.Load() != 0 {
		return syscall.EINVAL
	}
	if h.tx.msg.p == nil {
		h.tx.msg = newCmsg()
	}
	if rc := C.gopkt_flush(h.h, h.tx.msg.p, msgCap); rc < 0 {
		return opError("pkt_flush", errnoOf(rc), h.tx.msg.String())
	}
	return nil
}

//go:build linux && cgo

package packet

/*
#include <stdlib.h>
#include "gopkt.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// DumpFlags select the savefile format of NewDumper.
type DumpFlags uint32

const (
	// DumpPcapng writes pcapng instead of pcap.
	DumpPcapng DumpFlags = 1
	// DumpNano writes nanosecond timestamps (default: microseconds, truncated).
	DumpNano DumpFlags = 2
)

// pcap link types for NewDumper (Handle.DLT gives the right one for a handle).
const (
	DLTNull           = 0   // BSD loopback
	DLTEN10MB         = 1   // Ethernet, also Linux loopback
	DLTIEEE802        = 6   // IEEE 802.5 token ring
	DLTRaw            = 101 // raw IPv4 or IPv6 (libpcap's 12 is accepted too)
	DLTIEEE80211      = 105 // IEEE 802.11
	DLTLinuxSLL       = 113 // Linux cooked capture v1 (the dumper builds the header)
	DLTPrismHeader    = 119 // IEEE 802.11 with a Prism header
	DLTIEEE80211Radio = 127 // IEEE 802.11 with a radiotap header
	DLTUser0          = 147 // the first private-use type (USER0 .. USER15 = 162)
	DLTCANSocketCAN   = 227 // SocketCAN
	DLTIPv4           = 228 // raw IPv4
	DLTIPv6           = 229 // raw IPv6
	DLTNetlink        = 253 // Linux netlink
	DLTLinuxSLL2      = 276 // Linux cooked capture v2: what cooked handles are written as
)

// Dumper writes captured packets to a pcap or pcapng savefile that tcpdump, tshark and
// Wireshark read. Its methods are safe for concurrent use.
type Dumper struct {
	mu   sync.Mutex
	d    *C.pkt_dumper_t
	info *C.pkt_info_t // Write's record description, in C memory
	msg  cmsg
}

// NewDumper creates (or truncates) the savefile path ("-" is standard output) and writes its
// header. linktype is a pcap link type (DLT*; Handle.DLT gives a handle's); snaplen bounds
// the bytes kept of each record (0: 262144); flags picks pcapng and nanoseconds. Errors wrap
// the errno (e.g. syscall.ENOENT, syscall.EACCES, syscall.EINVAL for an unknown link type)
// with libpkt's message, which names the path.
func NewDumper(path string, linktype uint16, snaplen uint32, flags DumpFlags) (*Dumper, error) {
	cpath, ok := cString(path)
	if !ok {
		return nil, opError("pkt_dump_open", syscall.EINVAL, "path holds a NUL byte")
	}
	defer C.free(unsafe.Pointer(cpath))
	var cd *C.pkt_dumper_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_dump_open(cpath, C.uint16_t(linktype), C.uint32_t(snaplen), C.uint32_t(flags), &cd, m, n)
	})
	if rc < 0 {
		return nil, opError("pkt_dump_open", errnoOf(rc), msg)
	}
	d := &Dumper{
		d:    cd,
		info: (*C.pkt_info_t)(C.malloc(C.sizeof_pkt_info_t)),
		msg:  newCmsg(),
	}
	runtime.SetFinalizer(d, (*Dumper).Close)
	return d, nil
}

// Write appends one record: data (cut to the snap length) with info's time, wire length
// (info.Len, raised to len(data) when smaller) and, for cooked link types and pcapng, its
// interface, direction and protocol. Records are buffered and reach the file when the buffer
// fills, at Flush or at Close. A failed write(2) (a full disk) is returned, leaves only whole
// records in the file, and sticks: every later call returns it.
func (d *Dumper) Write(data []byte, info Info) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return syscall.EINVAL
	}
	ci := d.info
	sec := info.Time.Unix()
	ci.sec = C.int64_t(sec)
	ci.nsec = C.uint32_t(info.Time.Nanosecond())
	ci.caplen = C.uint32_t(len(data))
	wire := info.Len
	if wire < len(data) {
		wire = len(data)
	}
	ci.len = C.uint32_t(wire)
	ci.ifindex = C.int32_t(info.Ifindex)
	ci.status = C.uint32_t(info.Status)
	ci.vlan_tpid = C.uint16_t(info.VLAN.TPID)
	ci.vlan_tci = C.uint16_t(info.VLAN.TCI)
	ci.protocol = C.uint16_t(info.Link.Protocol)
	ci.linktype = C.uint16_t(info.Link.LinkType)
	ci.pkttype = C.uint8_t(info.PktType)
	var p *C.uint8_t
	if len(data) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	if rc := C.gopkt_dump_write(cptr(unsafe.Pointer(d.d)), p, cptr(unsafe.Pointer(ci)), cptr(unsafe.Pointer(d.msg.p)), msgCap); rc < 0 {
		return opError("pkt_dump_write", errnoOf(rc), d.msg.String())
	}
	return nil
}

// WritePacket is Write for a packet from ReadBatch.
func (d *Dumper) WritePacket(p *Packet) error { return d.Write(p.Data, p.Info) }

// Flush writes the buffered records to the file (no fsync).
func (d *Dumper) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return syscall.EINVAL
	}
	if rc := C.gopkt_dump_flush(d.d, d.msg.p, msgCap); rc < 0 {
		return opError("pkt_dump_flush", errnoOf(rc), d.msg.String())
	}
	return nil
}

// SetStats records capture counters (typically Handle.Stats(true) just before Close) for
// pcapng's interface statistics blocks, which Close writes; ignored for pcap.
func (d *Dumper) SetStats(st Stats) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return syscall.EINVAL
	}
	var cs C.pkt_stats_t
	cs.recvs = C.uint64_t(st.Recvs)
	cs.drops = C.uint64_t(st.Drops)
	if rc := C.pkt_dump_stats(d.d, &cs); rc < 0 {
		return errnoOf(rc)
	}
	return nil
}

// Bytes returns the file's size once the buffer is written out: the header and every record
// accepted so far (-1 after Close).
func (d *Dumper) Bytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return -1
	}
	return int64(C.pkt_dump_bytes(d.d))
}

// Close finishes the file (pcapng statistics blocks, the buffer) and closes it (standard
// output stays open). It returns the first error the dumper met; a second Close returns nil.
func (d *Dumper) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return nil
	}
	rc := C.gopkt_dump_close(d.d, d.msg.p, msgCap)
	var err error
	if rc < 0 {
		err = opError("pkt_dump_close", errnoOf(rc), d.msg.String())
	}
	d.d = nil
	C.free(unsafe.Pointer(d.info))
	d.info = nil
	d.msg.free()
	runtime.SetFinalizer(d, nil)
	return err
}

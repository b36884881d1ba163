// Package packet captures and injects packets on Linux through libpkt (AF_PACKET sockets with
// memory-mapped rings), with the API of the Go package github.com/urbanishimwe/packet (the
// "seed"): a program written for the seed builds against this package once its import path is
// changed to libpkt.dev/packet.
//
// # The seed's API
//
// NewHandler opens a capture and returns a Handler: Read (a copy of each packet), Write,
// SetBPF, BreakLoop, Stats, Config, LinkType, Fd and Close keep the seed's names, signatures
// and meanings. Errors are syscall.Errno values (so Temporary and Timeout work as before),
// *os.SyscallError values carrying libpkt's message for failures while setting something up,
// or the seed's ErrBreakLoop and ErrWouldPoll:
//
//   - Read(true) after BreakLoop: ErrBreakLoop (temporary); the next read works normally.
//   - Read(false) with nothing ready: ErrWouldPoll (temporary). Read(true) on a NonBlock handle
//     with nothing ready: syscall.EAGAIN.
//   - Config.ReadTimeout elapsed: syscall.ETIMEDOUT (Timeout reports true).
//   - the interface was removed: syscall.ENODEV; a bad argument: syscall.EINVAL.
//   - any call after Close: syscall.EINVAL.
//
// libpkt fixes the seed's bugs (see the repository's README, "How libpkt differs from the
// seed"): Info.Len is the length on the wire, direction and protocol are selected in the
// kernel, BreakLoop wakes a blocked Read at once, statistics are 64-bit.
//
// # Beyond the seed
//
// The value NewHandler returns is a *Handle (Open returns it as such), which also has
// ReadZeroCopy (no copy, no allocation), ReadBatch (many packets per call into the library),
// ReadSlim (the leanest batch: each packet's bytes and length only, at C's speed), WriteBatch, Flush, SetFanout, DLT and SetFilter (tcpdump's filter expressions, which
// CompileFilter compiles to classic BPF). NewDumper writes pcap and pcapng savefiles.
// OpenOffline and OpenOfflineFile read them (libpcap's pcap_open_offline): the *Handle they
// return reads a file's packets with the same calls, and Loop (pcap_loop) hands each packet
// of a handle, live or not, to a function. OfflineInterface describes a pcapng file's
// interfaces; IsEndOfFile tells the end of a file (syscall.ENODATA).
// Interfaces lists the interfaces one can capture on, with their flags and addresses (libpcap's
// pcap_findalldevs); LookupNet, DefaultInterface, OfflineFilter and TstampSources are libpcap's
// pcap_lookupnet, pcap_lookupdev, pcap_offline_filter and pcap_list_tstamp_types, and
// Config.TstampSource selects an adapter's clock.
//
// A call from Go into C costs more than libpkt's whole per-packet work. ReadBatch moves a whole
// batch per call and builds a Packet (bytes and Info) for each; ReadSlim moves a batch and
// builds nothing: its Slim is a view of the descriptors libpkt wrote, so a loop over it costs
// what the same loop costs in C. Read and ReadZeroCopy can read ahead (Config.ReadAhead > 1):
// one call then takes several ready packets from the ring and the following reads hand them
// out without calling into C.
//
// # Threads
//
// Any goroutine may call any method at any time. Reads (Read, ReadZeroCopy, ReadBatch,
// ReadSlim, each batch of Loop), SetBPF (also SetFilter's, which compiles first) and OfflineInterface run one
// at a time; Write, Stats, BreakLoop and the others run beside them. Close wakes a blocked
// read (which then returns syscall.EINVAL), waits for every call in progress to return, and
// releases the handle; data returned by ReadZeroCopy, ReadBatch and ReadSlim is gone from then
// on.
//
// The package links libpkt statically from the repository it lives in: build libpkt first
// (cargo build --release at the repository's root). On systems other than Linux, or without
// cgo, only the seed's surface exists and NewHandler returns ErrNotImplemented.
package packet

import (
	"errors"
	"net"
	"syscall"
	"time"

	"golang.org/x/net/bpf"
)

// Handler is a Linux packet socket: the seed's interface, unchanged. The handlers that
// NewHandler returns are *Handle values, which have more methods.
type Handler interface {
	// Read returns the next packet, copied out of the ring, and what is known about it.
	//
	// With poll true it waits for a packet, an error, Config.ReadTimeout, or BreakLoop
	// (ErrBreakLoop). With poll false, or on a NonBlock handle, it never waits: nothing ready
	// gives ErrWouldPoll (poll false) or syscall.EAGAIN (poll true on a NonBlock handle).
	//
	// It returns nil, nil, nil (a nil read) when Config.MaxNilRead packets in a row were
	// skipped by a filter that runs in user space; read again.
	Read(poll bool) (raw []byte, info *Info, err error)
	// Write sends one frame, link-layer header included unless the handle is cooked
	// (Config.NoLinkLayer). iff nil sends on the bound interface (syscall.EINVAL for a handle
	// on all interfaces); protocol is the ethertype, 0 to take it from the frame's header.
	// It returns the bytes sent; an empty buf sends nothing and returns 0, nil.
	Write(buf []byte, iff *net.Interface, protocol Proto) (int, error)
	// Fd returns the socket, for poll/epoll (readable when a packet is ready). Do not close it,
	// read from it or change its options. After Close it returns ^uintptr(0).
	Fd() uintptr
	// BreakLoop makes the Read(true) in progress, or the next one, return ErrBreakLoop, once
	// (packets already read ahead come first: see Config.ReadAhead). It may be called from any
	// goroutine.
	BreakLoop() error
	// SetBPF replaces the handle's classic BPF filter; an empty filter detaches it. Packets
	// already in the ring that fail the new filter are not returned after it (those already
	// read ahead are: see Config.ReadAhead). It waits for a read in progress to return: call
	// it from the reading goroutine or between reads.
	SetBPF(filter []bpf.RawInstruction) error
	// Stats returns the counters since the handle was opened (total) or since the previous
	// call. On error it returns zero counters.
	Stats(total bool) *Stats
	// Config returns the configuration in effect: the ring size as rounded up, NoLinkLayer as
	// forced for all interfaces and non-Ethernet links. Changing it changes nothing.
	Config() *Config
	// LinkType returns the bound interface's link type (LinkTypeEthernet for Ethernet and
	// loopback) or LinkTypeNone for a handle on all interfaces.
	LinkType() LinkType
	// Close releases the handle. Reads and writes after it return syscall.EINVAL; a second
	// Close returns nil.
	Close() error
}

// Info is what is known about a captured packet.
//
// A packet read from a savefile (OpenOffline) is described by its record: Time is the
// record's, to the nanosecond (a pcapng interface's units converted exactly); CapLen and Len
// are the record's (Len can be below CapLen in a damaged file); Ifindex is the packet's
// interface in the file: 0 in a pcap file, in a pcapng file the number of its interface
// description block, counted from 0 over all sections (Handle.OfflineInterface describes it);
// Link.LinkType is that interface's pcap link type (DLT*, as written in the file), not an
// ARPHRD value; PktType comes from a pcapng packet's flags (PacketOutgoing for outbound, else
// by reception type; PacketHost without flags); Status, VLAN and Link.Protocol are 0.
type Info struct {
	Time    time.Time // when the kernel received the packet
	CapLen  int       // bytes captured (the length of the data)
	Len     int       // length on the wire; >= CapLen
	Ifindex int32     // index of the interface the packet was seen on
	Status  uint32    // the ring's status word: see TstampValid and VlanValid
	VLAN    VLAN      // the outer VLAN tag, valid when VlanValid(Status)
	Link    Link      // ethertype and link type
	// PktType (libpkt): to this host, broadcast, multicast, another host, or outgoing.
	PktType PacketType
}

// Link describes a packet's link layer.
type Link struct {
	Protocol Proto    // ethertype, host byte order
	LinkType LinkType // ARPHRD_* of the interface the packet was seen on (savefiles: a DLT)
}

// VLAN is an IEEE 802.1Q/802.1ad tag.
type VLAN struct {
	TPID uint16
	TCI  uint16
}

// Stats are a handle's packet counters.
type Stats struct {
	// Recvs counts packets that passed the filter and reached the socket, dropped ones
	// included.
	Recvs uint64
	// Drops counts packets lost because the ring was full.
	Drops uint64
}

// ErrNotImplemented is returned where the host system (or a build without cgo) cannot
// capture.
var ErrNotImplemented = errors.New("not implemented")

// ErrBreakLoop is the error of a read that BreakLoop ended.
type ErrBreakLoop uint8

func (e ErrBreakLoop) Error() string { return "packet: read interrupted by BreakLoop" }

// Temporary reports true: the next read works normally.
func (e ErrBreakLoop) Temporary() bool { return true }

// ErrWouldPoll is the error of a read with poll false when no packet is ready.
type ErrWouldPoll uint8

func (e ErrWouldPoll) Error() string { return "packet: no packet ready and read would poll" }

// Temporary reports true: a packet may be ready later.
func (e ErrWouldPoll) Temporary() bool { return true }

// The values returned (the seed's).
var (
	errBreakLoop error = ^ErrBreakLoop(0)
	errWouldPoll error = ^ErrWouldPoll(0)
)

// Direction selects packets by the way they flow.
type Direction uint8

const (
	// DirInOut captures packets received and sent (the default).
	DirInOut Direction = iota
	// DirIn captures packets received only.
	DirIn
	// DirOut captures packets sent only.
	DirOut
)

// TstampResolution is the resolution of Info.Time.
type TstampResolution uint8

const (
	// TstampNano gives nanoseconds (the default).
	TstampNano TstampResolution = iota
	// TstampMicro gives microseconds.
	TstampMicro
)

// LinkType is the type (ARPHRD_*) of a network interface.
type LinkType uint16

// The link types the seed names. They are variables, as in the seed.
var (
	// LinkTypeEthernet is Ethernet; loopback reports it too.
	LinkTypeEthernet LinkType = 1
	// LinkTypeNone is "no single link type": a handle on all interfaces, an unknown interface.
	LinkTypeNone LinkType = 0xffff
)

func (l LinkType) String() string {
	switch l {
	case LinkTypeEthernet:
		return "ethernet"
	case LinkTypeNone:
		return "none"
	}
	return ""
}

// Proto is an ethertype in host byte order.
type Proto uint16

// Common ethertypes. They are variables, as in the seed.
var (
	ProtoIP  Proto = 0x0800
	ProtoIP6 Proto = 0x86dd
	ProtoARP Proto = 0x0806
	ProtoAll Proto = 0x0003 // every ethertype
)

// PacketType says where a packet was going (libpkt; Info.PktType).
type PacketType uint8

const (
	PacketHost      PacketType = 0 // addressed to this host
	PacketBroadcast PacketType = 1 // link-layer broadcast
	PacketMulticast PacketType = 2 // link-layer multicast
	PacketOtherHost PacketType = 3 // to another host, seen in promiscuous mode
	PacketOutgoing  PacketType = 4 // sent by this host
)

// TxMode selects how WriteBatch sends (libpkt; Config.TxMode).
type TxMode uint8

const (
	TxAuto     TxMode = 0 // libpkt picks (today sendmmsg)
	TxSendmmsg TxMode = 1 // sendmmsg, up to 64 frames per system call
	TxRing     TxMode = 2 // the kernel's memory-mapped TX ring; Flush waits for it to drain
)

// TstampSource is the clock that stamps captured packets (libpkt; Config.TstampSource, and
// TstampSources for what an interface offers). The values are libpkt's PKT_TSTAMP_SOURCE_*,
// libpcap's PCAP_TSTAMP_HOST, _ADAPTER and _ADAPTER_UNSYNCED.
type TstampSource uint8

const (
	// TstampSourceSoftware is the kernel's clock when the packet entered the stack: the
	// default, offered by every interface (tcpdump -j host).
	TstampSourceSoftware TstampSource = 0
	// TstampSourceAdapter is the network adapter's clock converted to system time by the
	// kernel (tcpdump -j adapter). No driver has offered it since Linux 3.17.
	TstampSourceAdapter TstampSource = 1
	// TstampSourceAdapterUnsynced is the adapter's own clock, unconverted (tcpdump -j
	// adapter_unsynced): the hardware timestamps of PTP-capable adapters, with the adapter's
	// epoch and rate.
	TstampSourceAdapterUnsynced TstampSource = 2
)

// String returns the source's name as tcpdump -j spells it: "host", "adapter",
// "adapter_unsynced"; "" for other values.
func (s TstampSource) String() string {
	switch s {
	case TstampSourceSoftware:
		return "host"
	case TstampSourceAdapter:
		return "adapter"
	case TstampSourceAdapterUnsynced:
		return "adapter_unsynced"
	}
	return ""
}

// Config sets up a handle. Start from DefaultConfig. The seed's fields keep their meanings;
// the zero value of each field added by libpkt is libpkt's default.
type Config struct {
	// ReadTimeout is how many milliseconds a blocking read waits before it returns
	// syscall.ETIMEDOUT; <= 0: forever (default).
	ReadTimeout int64
	// ReadBufferSize is the ring size in bytes; <= 0: the default, 2 MiB. It is rounded up to
	// whole ring blocks (Handler.Config reports the size in effect). A bigger ring rides out
	// longer pauses of the reader without drops.
	ReadBufferSize int64
	// ReadBufferTimeout is the ring block retire timeout in milliseconds: a block that is not
	// full is handed to the reader after it. > 0: that long (DefaultConfig: 100); 0: never
	// (the seed's default: on a quiet link packets then wait until a block fills); < 0: the
	// kernel decides. Keep ReadTimeout above it.
	ReadBufferTimeout int64
	// Filter is a classic BPF program attached before any packet is read.
	Filter []bpf.RawInstruction
	// ImmediateMode delivers each packet at once (one wake-up per packet) instead of in ring
	// blocks. Give such handles a bigger ReadBufferSize where bursts must not drop.
	ImmediateMode bool
	// Promiscuous turns promiscuous mode on for the bound interface while the handle lives.
	Promiscuous bool
	// NonBlock makes reads and writes never wait (syscall.EAGAIN instead).
	NonBlock bool
	// NoLinkLayer captures and sends without the link-layer header (cooked mode). Forced on for
	// all interfaces and non-Ethernet links.
	NoLinkLayer bool
	// Proto is the ethertype to capture, received and sent alike; ProtoAll (or 0): every one.
	Proto Proto
	// TstampResolution is the resolution of Info.Time.
	TstampResolution TstampResolution
	// Direction selects received packets, sent ones or both.
	Direction Direction
	// MaxNilRead is how many packets in a row a filter running in user space may skip before
	// a read returns nil, nil, nil to give the caller control back (0 counts as 1).
	// DefaultConfig: 1024.
	MaxNilRead uint64

	// Snaplen (libpkt) is the most bytes kept of each packet; Info.Len stays the length on the
	// wire. 0: whole packets.
	Snaplen uint32
	// TxMode (libpkt) selects how WriteBatch sends.
	TxMode TxMode
	// QdiscBypass (libpkt) sends frames past the kernel's queueing layer: faster, but other
	// captures on the host do not see them.
	QdiscBypass bool
	// ReadAhead (libpkt) is how many ready packets Read and ReadZeroCopy take from libpkt per
	// call into it; they hand them out one at a time, which costs a fraction of a call into C
	// per packet. 0 or 1 (the default): one packet per call, with libpkt's exact semantics;
	// 64 makes Read about 40% cheaper. Read-ahead never waits for packets that are not there
	// yet. Two effects of a value above 1: after BreakLoop, packets already read ahead are
	// returned before ErrBreakLoop (as in the seed, where a break ended only a wait), and
	// packets read ahead before SetBPF are returned even if the new filter would refuse them.
	ReadAhead int
	// NoVLANInsert (libpkt) leaves the outer VLAN tag out of captured bytes, as the kernel
	// hands them over and as the seed returned them. By default libpkt puts the tag back, so
	// the bytes are the frame as it was on the wire (Info.VLAN describes the tag either way).
	NoVLANInsert bool
	// TstampSource (libpkt) is the clock that stamps packets: TstampSourceSoftware (the zero
	// value and default), or an adapter clock, which the interface must offer (TstampSources):
	// NewHandler fails otherwise (syscall.EOPNOTSUPP, naming the interface; also on all
	// interfaces) rather than fall back to another clock. Turning an adapter clock on needs
	// CAP_NET_ADMIN and changes the adapter for every program using it (it stays on after
	// Close, as with libpcap). TstampValid(Info.Status) says per packet which clock stamped it.
	TstampSource TstampSource
}

// DefaultConfig returns libpkt's default configuration: no read timeout, a 2 MiB ring, a 100 ms
// block retire timeout, no filter, ProtoAll, DirInOut, TstampNano, MaxNilRead 1024, every flag
// off, software timestamps.
func DefaultConfig() *Config {
	return &Config{
		ReadTimeout:       0,
		ReadBufferSize:    2 << 20,
		ReadBufferTimeout: 100,
		Proto:             ProtoAll,
		TstampResolution:  TstampNano,
		Direction:         DirInOut,
		MaxNilRead:        1024,
	}
}

// Temporary reports whether err is temporary: retrying later can succeed. True for
// ErrBreakLoop, ErrWouldPoll, and errnos such as EAGAIN, EINTR, ETIMEDOUT and ENOBUFS, also
// when wrapped (*os.SyscallError, fmt.Errorf's %w).
func Temporary(err error) bool {
	for err != nil {
		if e, ok := err.(syscall.Errno); ok {
			return e.Temporary() || e == syscall.ENOBUFS
		}
		if e, ok := err.(interface{ Temporary() bool }); ok {
			return e.Temporary()
		}
		err = errors.Unwrap(err)
	}
	return false
}

// Timeout reports whether err is a timeout (syscall.ETIMEDOUT, and EAGAIN as Go's
// syscall.Errno counts it), also when wrapped.
func Timeout(err error) bool {
	for err != nil {
		if e, ok := err.(interface{ Timeout() bool }); ok {
			return e.Timeout()
		}
		err = errors.Unwrap(err)
	}
	return false
}

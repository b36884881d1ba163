//go:build linux && cgo

package packet

/*
#include <stdlib.h>
#include "gopkt.h"
*/
import "C"

import (
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
)

// bpf.RawInstruction and pkt_bpf_insn_t (Linux's struct sock_filter) have the same layout, so
// a program is handed over without a copy. These fail to compile if that ever changes.
var (
	_ [unsafe.Sizeof(bpf.RawInstruction{}) - C.sizeof_pkt_bpf_insn_t]byte
	_ [C.sizeof_pkt_bpf_insn_t - unsafe.Sizeof(bpf.RawInstruction{})]byte
	_ [unsafe.Offsetof(bpf.RawInstruction{}.K) - 4]byte
	_ [4 - unsafe.Offsetof(bpf.RawInstruction{}.K)]byte
)

// msgCap is the size of the buffers that receive pkt_errmsg().
const msgCap = 512

// cmsg is a C buffer for one pkt_errmsg() copy.
type cmsg struct{ p *C.char }

func newCmsg() cmsg { return cmsg{(*C.char)(C.malloc(msgCap))} }

func (m cmsg) free()          { C.free(unsafe.Pointer(m.p)) }
func (m cmsg) String() string { return C.GoString(m.p) }

// callWithMsg runs f with a fresh message buffer and returns its code and, on failure, the
// message.
func callWithMsg(f func(msg *C.char, cap C.size_t) C.int) (C.int, string) {
	m := newCmsg()
	defer m.free()
	rc := f(m.p, msgCap)
	if rc < 0 {
		return rc, m.String()
	}
	return rc, ""
}

// errnoOf turns a negative libpkt code into a syscall.Errno.
func errnoOf(rc C.int) syscall.Errno { return syscall.Errno(-rc) }

// strerror is libpkt's description of an errno (capitalized, as the C library's).
func strerror(e syscall.Errno) string { return C.GoString(C.pkt_strerror(-C.int(e))) }

// opError is a failure with libpkt's message: an *os.SyscallError whose Syscall names the
// call and the failing step (pkt_errmsg() without the errno's description, which Err gives).
func opError(op string, e syscall.Errno, msg string) error {
	ctx := strings.TrimSuffix(msg, ": "+strerror(e))
	ctx = strings.TrimSuffix(ctx, " ("+strerror(e)+")")
	switch {
	case ctx == "":
		ctx = op
	case !strings.HasPrefix(ctx, op):
		ctx = op + ": " + ctx
	}
	return &os.SyscallError{Syscall: ctx, Err: e}
}

// cString converts a Go string for C; a string holding a NUL byte cannot be one.
func cString(s string) (*C.char, bool) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, false
	}
	return C.CString(s), true
}

// cptr passes C memory (never Go memory) to the helpers that take it as an integer.
func cptr(p unsafe.Pointer) C.uintptr_t { return C.uintptr_t(uintptr(p)) }

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// IsOSSupported reports whether this system can capture: true on Linux.
func IsOSSupported() bool { return bool(C.pkt_os_supported()) }

// KernelVersion returns the running kernel's major and minor version, or -1, -1 when they
// cannot be found.
func KernelVersion() (major int32, minor int32) {
	var ma, mi C.int32_t
	C.pkt_kernel_version(&ma, &mi)
	return int32(ma), int32(mi)
}

// InterfaceLinkType returns the link type of the interface named iff (LinkTypeEthernet for
// Ethernet and loopback), or LinkTypeNone when there is no such interface or it cannot be
// queried.
func InterfaceLinkType(iff string) LinkType {
	if iff == "" {
		return LinkTypeNone
	}
	name, ok := cString(iff)
	if !ok {
		return LinkTypeNone
	}
	defer C.free(unsafe.Pointer(name))
	return LinkType(C.pkt_iface_linktype(name))
}

// TstampValid says where the timestamp of a packet with Info.Status status comes from:
// 0 the kernel, 1 the network adapter, -1 neither is indicated.
func TstampValid(status uint32) int8 { return int8(C.pkt_tstamp_valid(C.uint32_t(status))) }

// VlanValid reports whether Info.VLAN holds a tag, given Info.Status.
func VlanValid(status uint32) bool { return bool(C.pkt_vlan_valid(C.uint32_t(status))) }

// Version returns the version of the libpkt linked in, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.pkt_version()) }

// cConfig converts c (nil: the defaults) to libpkt's config, starting from libpkt's defaults
// so that fields this package does not know keep theirs. The filter is passed separately.
func cConfig(c *Config) C.pkt_config_t {
	var cc C.pkt_config_t
	C.pkt_config_default(&cc)
	if c == nil {
		return cc
	}
	cc.read_timeout_ms = C.int64_t(c.ReadTimeout)
	cc.buffer_size = C.int64_t(c.ReadBufferSize)
	cc.block_timeout_ms = C.int64_t(c.ReadBufferTimeout)
	cc.proto = C.uint16_t(c.Proto)
	cc.direction = C.uint8_t(c.Direction)
	cc.tstamp_resolution = C.uint8_t(c.TstampResolution)
	cc.max_nil_read = C.uint64_t(c.MaxNilRead)
	cc.immediate = C.bool(c.ImmediateMode)
	cc.promiscuous = C.bool(c.Promiscuous)
	cc.nonblock = C.bool(c.NonBlock)
	cc.cooked = C.bool(c.NoLinkLayer)
	cc.tx_mode = C.uint8_t(c.TxMode)
	cc.qdisc_bypass = C.bool(c.QdiscBypass)
	cc.vlan_insert = C.bool(!c.NoVLANInsert)
	cc.snaplen = C.uint32_t(c.Snaplen)
	cc.tstamp_source = C.uint8_t(c.TstampSource)
	return cc
}

// goConfig converts libpkt's config back (without the filter).
func goConfig(cc *C.pkt_config_t) Config {
	return Config{
		ReadTimeout:       int64(cc.read_timeout_ms),
		ReadBufferSize:    int64(cc.buffer_size),
		ReadBufferTimeout: int64(cc.block_timeout_ms),
		Proto:             Proto(cc.proto),
		Direction:         Direction(cc.direction),
		TstampResolution:  TstampResolution(cc.tstamp_resolution),
		MaxNilRead:        uint64(cc.max_nil_read),
		ImmediateMode:     bool(cc.immediate),
		Promiscuous:       bool(cc.promiscuous),
		NonBlock:          bool(cc.nonblock),
		NoLinkLayer:       bool(cc.cooked),
		TxMode:            TxMode(cc.tx_mode),
		QdiscBypass:       bool(cc.qdisc_bypass),
		NoVLANInsert:      !bool(cc.vlan_insert),
		Snaplen:           uint32(cc.snaplen),
		TstampSource:      TstampSource(cc.tstamp_source),
	}
}

// cFilter returns a program's first instruction for C (nil for an empty program).
func cFilter(f []bpf.RawInstruction) *C.pkt_bpf_insn_t {
	if len(f) == 0 {
		return nil
	}
	return (*C.pkt_bpf_insn_t)(unsafe.Pointer(&f[0]))
}

// CheckIntegrity reports whether NewHandler would accept c: enum values in range, a filter
// that is valid classic BPF. A nil Config (the defaults) is valid.
func (c *Config) CheckIntegrity() bool {
	if c == nil {
		return true
	}
	if uint64(len(c.Filter)) > 1<<32-1 {
		return false
	}
	cc := cConfig(c)
	return bool(C.gopkt_config_check(&cc, cFilter(c.Filter), C.uint32_t(len(c.Filter))))
}

// cDefaultConfig is libpkt's default config, for the test that DefaultConfig matches it.
func cDefaultConfig() Config {
	cc := cConfig(nil)
	return goConfig(&cc)
}

// cConstants are the header's values of the constants this package defines, for the test that
// they match.
func cConstants() map[string][2]int64 {
	return map[string][2]int64{
		"DirInOut":           {int64(DirInOut), C.PKT_DIR_INOUT},
		"DirIn":              {int64(DirIn), C.PKT_DIR_IN},
		"DirOut":             {int64(DirOut), C.PKT_DIR_OUT},
		"TstampNano":         {int64(TstampNano), C.PKT_TSTAMP_NANO},
		"TstampMicro":        {int64(TstampMicro), C.PKT_TSTAMP_MICRO},
		"LinkTypeEthernet":   {int64(LinkTypeEthernet), C.PKT_LINKTYPE_ETHERNET},
		"LinkTypeNone":       {int64(LinkTypeNone), C.PKT_LINKTYPE_NONE},
		"ProtoAll":           {int64(ProtoAll), C.PKT_PROTO_ALL},
		"ProtoIP":            {int64(ProtoIP), C.PKT_PROTO_IP},
		"ProtoIP6":           {int64(ProtoIP6), C.PKT_PROTO_IP6},
		"ProtoARP":           {int64(ProtoARP), C.PKT_PROTO_ARP},
		"PacketHost":         {int64(PacketHost), C.PKT_PACKET_HOST},
		"PacketBroadcast":    {int64(PacketBroadcast), C.PKT_PACKET_BROADCAST},
		"PacketMulticast":    {int64(PacketMulticast), C.PKT_PACKET_MULTICAST},
		"PacketOtherHost":    {int64(PacketOtherHost), C.PKT_PACKET_OTHERHOST},
		"PacketOutgoing":     {int64(PacketOutgoing), C.PKT_PACKET_OUTGOING},
		"TxAuto":             {int64(TxAuto), C.PKT_TX_AUTO},
		"TxSendmmsg":         {int64(TxSendmmsg), C.PKT_TX_SENDMMSG},
		"TxRing":             {int64(TxRing), C.PKT_TX_RING},
		"FanoutHash":         {int64(FanoutHash), C.PKT_FANOUT_HASH},
		"FanoutLB":           {int64(FanoutLB), C.PKT_FANOUT_LB},
		"FanoutCPU":          {int64(FanoutCPU), C.PKT_FANOUT_CPU},
		"FanoutRollover":     {int64(FanoutRollover), C.PKT_FANOUT_ROLLOVER},
		"FanoutRandom":       {int64(FanoutRandom), C.PKT_FANOUT_RND},
		"FanoutQueue":        {int64(FanoutQueue), C.PKT_FANOUT_QM},
		"FanoutFlagRollover": {int64(FanoutFlagRollover), C.PKT_FANOUT_FLAG_ROLLOVER},
		"FanoutFlagUniqueID": {int64(FanoutFlagUniqueID), C.PKT_FANOUT_FLAG_UNIQUEID},
		"FanoutFlagDefrag":   {int64(FanoutFlagDefrag), C.PKT_FANOUT_FLAG_DEFRAG},
		"DumpPcapng":         {int64(DumpPcapng), C.PKT_DUMP_PCAPNG},
		"DumpNano":           {int64(DumpNano), C.PKT_DUMP_NANO},
		"DLTNull":            {DLTNull, C.PKT_DLT_NULL},
		"DLTEN10MB":          {DLTEN10MB, C.PKT_DLT_EN10MB},
		"DLTIEEE802":         {DLTIEEE802, C.PKT_DLT_IEEE802},
		"DLTRaw":             {DLTRaw, C.PKT_DLT_RAW},
		"DLTIEEE80211":       {DLTIEEE80211, C.PKT_DLT_IEEE802_11},
		"DLTLinuxSLL":        {DLTLinuxSLL, C.PKT_DLT_LINUX_SLL},
		"DLTPrismHeader":     {DLTPrismHeader, C.PKT_DLT_PRISM_HEADER},
		"DLTIEEE80211Radio":  {DLTIEEE80211Radio, C.PKT_DLT_IEEE802_11_RADIO},
		"DLTUser0":           {DLTUser0, C.PKT_DLT_USER0},
		"DLTCANSocketCAN":    {DLTCANSocketCAN, C.PKT_DLT_CAN_SOCKETCAN},
		"DLTIPv4":            {DLTIPv4, C.PKT_DLT_IPV4},
		"DLTIPv6":            {DLTIPv6, C.PKT_DLT_IPV6},
		"DLTNetlink":         {DLTNetlink, C.PKT_DLT_NETLINK},
		"DLTLinuxSLL2":       {DLTLinuxSLL2, C.PKT_DLT_LINUX_SLL2},

		"TstampSourceSoftware":          {int64(TstampSourceSoftware), C.PKT_TSTAMP_SOURCE_SOFTWARE},
		"TstampSourceAdapter":           {int64(TstampSourceAdapter), C.PKT_TSTAMP_SOURCE_ADAPTER},
		"TstampSourceAdapterUnsynced":   {int64(TstampSourceAdapterUnsynced), C.PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED},
		"IfLoopback":                    {int64(IfLoopback), C.PKT_IF_LOOPBACK},
		"IfUp":                          {int64(IfUp), C.PKT_IF_UP},
		"IfRunning":                     {int64(IfRunning), C.PKT_IF_RUNNING},
		"IfWireless":                    {int64(IfWireless), C.PKT_IF_WIRELESS},
		"IfConnectionStatus":            {int64(IfConnectionStatus), C.PKT_IF_CONNECTION_STATUS},
		"ConnectionStatusUnknown":       {int64(ConnectionStatusUnknown), C.PKT_IF_CONNECTION_STATUS_UNKNOWN},
		"ConnectionStatusConnected":     {int64(ConnectionStatusConnected), C.PKT_IF_CONNECTION_STATUS_CONNECTED},
		"ConnectionStatusDisconnected":  {int64(ConnectionStatusDisconnected), C.PKT_IF_CONNECTION_STATUS_DISCONNECTED},
		"ConnectionStatusNotApplicable": {int64(ConnectionStatusNotApplicable), C.PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE},
	}
}

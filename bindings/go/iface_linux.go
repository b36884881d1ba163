//go:build linux && cgo

package packet

/*
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include "gopkt.h"
*/
import "C"

import (
	"math"
	"net"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
)

// InterfaceFlags are the flags of an Interface: libpkt's PKT_IF_* bits, which are libpcap's
// PCAP_IF_* (up, running, loopback, wireless, and a two-bit connection status).
type InterfaceFlags uint32

const (
	IfLoopback         InterfaceFlags = 0x01 // a loopback interface
	IfUp               InterfaceFlags = 0x02 // up (IFF_UP)
	IfRunning          InterfaceFlags = 0x04 // running: up and its link operational (IFF_RUNNING)
	IfWireless         InterfaceFlags = 0x08 // wireless (Wi-Fi, IEEE 802.15.4, IrDA, ...)
	IfConnectionStatus InterfaceFlags = 0x30 // the bits of the connection status
)

// ConnectionStatus is an interface's link state as its driver reports it (Flags.ConnectionStatus).
type ConnectionStatus uint32

const (
	// ConnectionStatusUnknown: the driver's link state could not be read.
	ConnectionStatusUnknown ConnectionStatus = 0x00
	// ConnectionStatusConnected: the driver reports a link (for wireless: associated).
	ConnectionStatusConnected ConnectionStatus = 0x10
	// ConnectionStatusDisconnected: no link (no carrier, or the interface is down).
	ConnectionStatusDisconnected ConnectionStatus = 0x20
	// ConnectionStatusNotApplicable: loopback, "any", drivers that have no link state.
	ConnectionStatusNotApplicable ConnectionStatus = 0x30
)

// Up reports IfUp.
func (f InterfaceFlags) Up() bool { return f&IfUp != 0 }

// Running reports IfRunning.
func (f InterfaceFlags) Running() bool { return f&IfRunning != 0 }

// Loopback reports IfLoopback.
func (f InterfaceFlags) Loopback() bool { return f&IfLoopback != 0 }

// Wireless reports IfWireless.
func (f InterfaceFlags) Wireless() bool { return f&IfWireless != 0 }

// ConnectionStatus returns the connection status bits.
func (f InterfaceFlags) ConnectionStatus() ConnectionStatus {
	return ConnectionStatus(f & IfConnectionStatus)
}

// String lists the flags: "up|running|connected", "loopback|up|running|not applicable", ...
func (f InterfaceFlags) String() string {
	var parts []string
	for _, b := range []struct {
		bit  InterfaceFlags
		name string
	}{{IfLoopback, "loopback"}, {IfUp, "up"}, {IfRunning, "running"}, {IfWireless, "wireless"}} {
		if f&b.bit != 0 {
			parts = append(parts, b.name)
		}
	}
	if s := f.ConnectionStatus().String(); s != "" {
		parts = append(parts, s)
	}
	if rest := f &^ (IfLoopback | IfUp | IfRunning | IfWireless | IfConnectionStatus); rest != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(parts, "|")
}

// String returns "connected", "disconnected", "not applicable", or "" for unknown.
func (s ConnectionStatus) String() string {
	switch s {
	case ConnectionStatusConnected:
		return "connected"
	case ConnectionStatusDisconnected:
		return "disconnected"
	case ConnectionStatusNotApplicable:
		return "not applicable"
	}
	return ""
}

// Interface is one interface one can capture on, or "any" (all interfaces), as Interfaces
// lists it: libpkt's pkt_iface_t, libpcap's pcap_if_t.
type Interface struct {
	// Name is the interface's name, the bytes the kernel has (not necessarily UTF-8): pass it
	// to Open or NewHandler as it is. "any" stands for all interfaces.
	Name string
	// Description is "Pseudo-device that captures on all interfaces" for "any", "" for the
	// others (Linux has none).
	Description string
	// Index is the interface index (net.Interface.Index); 0 for "any".
	Index int
	// Flags: up, running, loopback, wireless, connection status.
	Flags InterfaceFlags
	// ARPHRD is the link type (ARPHRD_*, as Info.Link.LinkType and InterfaceLinkType: 772 for
	// loopback); LinkTypeNone for "any".
	ARPHRD LinkType
	// DLT is the pcap link type a capture with the default configuration records (what
	// Handle.DLT says of a handle opened on it): DLTEN10MB for Ethernet and loopback,
	// DLTLinuxSLL2 for every other type and for "any".
	DLT uint16
	// Addresses are the interface's addresses: link layer first, then IPv4, then IPv6, each
	// family in the kernel's order. IPv4 addresses with a label (v0:1) are listed under their
	// interface.
	Addresses []InterfaceAddress
}

// InterfaceAddress is one address of an Interface (libpcap's pcap_addr_t): an IPv4 or IPv6
// address with its netmask and broadcast or peer address, or the link-layer address. The
// fields of the other kind are nil; so is each field the kernel does not give.
type InterfaceAddress struct {
	// Family is syscall.AF_INET, syscall.AF_INET6 or syscall.AF_PACKET (the link layer).
	Family int

	// Addr is the IP address: 4 bytes for IPv4, 16 for IPv6 (nil for AF_PACKET).
	Addr net.IP
	// Netmask is its netmask (4 or 16 bytes).
	Netmask net.IPMask
	// Broadaddr is the broadcast address, on interfaces that can broadcast (IFF_BROADCAST).
	// As in libpcap, for an address with a peer (ip addr add A peer B) on such an interface
	// it is the peer.
	Broadaddr net.IP
	// Dstaddr is the peer address, on point-to-point interfaces (IFF_POINTOPOINT).
	Dstaddr net.IP
	// Zone is the IPv6 scope of a scoped (link-local) address, as net.IPAddr.Zone: the name of
	// the interface its scope id names (normally this one), or the id in decimal. "" for others.
	Zone string

	// HardwareAddr is the link-layer address (AF_PACKET), as net.Interface.HardwareAddr: 6
	// bytes on Ethernet, empty on interfaces without one.
	HardwareAddr net.HardwareAddr
	// HardwareBroadaddr is the link-layer broadcast address (ff:ff:ff:ff:ff:ff on Ethernet), on
	// interfaces that can broadcast.
	HardwareBroadaddr net.HardwareAddr
	// HardwareDstaddr is the peer's link-layer address, on point-to-point interfaces.
	HardwareDstaddr net.HardwareAddr
}

// IPNet returns the address and its netmask as a *net.IPNet (10.0.0.1/24), or nil when the
// address is not an IP address or has no netmask.
func (a InterfaceAddress) IPNet() *net.IPNet {
	if a.Addr == nil || a.Netmask == nil {
		return nil
	}
	return &net.IPNet{IP: a.Addr, Mask: a.Netmask}
}

// The most addresses read per interface: a bound on a list that is never that long.
const maxIfaceAddrs = 1 << 20

// Interfaces lists the interfaces one can capture on (pkt_iface_list, libpcap's
// pcap_findalldevs): every network interface of the calling thread's network namespace, up
// or down, and "any" (all interfaces), with their flags, link types and addresses. The order
// is libpcap's: interfaces that are up, running and not disconnected first, then "any", then
// loopback, then disconnected ones, then those not running, then those down (equal ones by
// index); DefaultInterface is the first that is up, running and neither loopback nor "any".
// The list is a snapshot, copied into Go memory; libpkt's is freed before Interfaces returns.
//
// Errors are *os.SyscallError values wrapping the errno: syscall.ENOMEM,
// syscall.EMFILE/ENFILE (no descriptor for the query), others from the kernel.
func Interfaces() ([]Interface, error) {
	var list *C.pkt_iface_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_iface_list(&list, m, n)
	})
	if rc < 0 {
		return nil, opError("pkt_iface_list", errnoOf(rc), msg)
	}
	defer C.pkt_iface_list_free(list)
	out := make([]Interface, 0, int(rc))
	for p := list; p != nil && len(out) < int(rc); p = p.next {
		ifc := Interface{
			Name:   C.GoString(p.name),
			Index:  int(p.index),
			Flags:  InterfaceFlags(p.flags),
			ARPHRD: LinkType(p.arphrd),
			DLT:    uint16(p.dlt),
		}
		if p.description != nil {
			ifc.Description = C.GoString(p.description)
		}
		n := 0
		for a := p.addresses; a != nil && n < maxIfaceAddrs; a, n = a.next, n+1 {
			if addr, ok := goIfaceAddr(a, &ifc); ok {
				ifc.Addresses = append(ifc.Addresses, addr)
			}
		}
		out = append(out, ifc)
	}
	return out, nil
}

// goIfaceAddr copies one address of the list into Go memory; false for an address of a family
// this package does not know (libpkt gives none).
func goIfaceAddr(a *C.pkt_iface_addr_t, ifc *Interface) (InterfaceAddress, bool) {
	fam, ip, scope, hw := goSockaddr(a.addr)
	out := InterfaceAddress{Family: fam}
	switch fam {
	case syscall.AF_INET, syscall.AF_INET6:
		out.Addr = ip
		if f, m, _, _ := goSockaddr(a.netmask); f == fam {
			out.Netmask = net.IPMask(m)
		}
		if f, b, _, _ := goSockaddr(a.broadaddr); f == fam {
			out.Broadaddr = b
		}
		if f, d, _, _ := goSockaddr(a.dstaddr); f == fam {
			out.Dstaddr = d
		}
		if scope != 0 {
			if int(scope) == ifc.Index {
				out.Zone = ifc.Name
			} else {
				out.Zone = strconv.FormatUint(uint64(scope), 10)
			}
		}
	case syscall.AF_PACKET:
		out.HardwareAddr = hw
		if f, _, _, b := goSockaddr(a.broadaddr); f == fam {
			out.HardwareBroadaddr = b
		}
		if f, _, _, d := goSockaddr(a.dstaddr); f == fam {
			out.HardwareDstaddr = d
		}
	default:
		return out, false
	}
	return out, true
}

// goSockaddr decodes a socket address of the list: its family (0 for NULL), and a copy of the
// IP address and the IPv6 scope id (AF_INET, AF_INET6) or of the link-layer address (AF_PACKET).
func goSockaddr(sa *C.struct_sockaddr) (family int, ip net.IP, scope uint32, hw net.HardwareAddr) {
	if sa == nil {
		return 0, nil, 0, nil
	}
	switch family = int(sa.sa_family); family {
	case syscall.AF_INET:
		sin := (*C.struct_sockaddr_in)(unsafe.Pointer(sa))
		ip = append(net.IP(nil), (*[4]byte)(unsafe.Pointer(&sin.sin_addr))[:]...)
	case syscall.AF_INET6:
		sin6 := (*C.struct_sockaddr_in6)(unsafe.Pointer(sa))
		ip = append(net.IP(nil), (*[16]byte)(unsafe.Pointer(&sin6.sin6_addr))[:]...)
		scope = uint32(sin6.sin6_scope_id)
	case syscall.AF_PACKET:
		sll := (*C.struct_sockaddr_ll)(unsafe.Pointer(sa))
		n := int(sll.sll_halen)
		if n > len(sll.sll_addr) {
			n = len(sll.sll_addr)
		}
		hw = append(net.HardwareAddr{}, (*[8]byte)(unsafe.Pointer(&sll.sll_addr[0]))[:n]...)
	}
	return family, ip, scope, hw
}

// LookupNet returns the IPv4 network and netmask of interface ifname (pkt_lookupnet,
// libpcap's pcap_lookupnet): from its first IPv4 address (the first whose label is the
// interface's name), the address ANDed with the netmask, and the netmask (a netmask of 0
// becomes the class mask of the address). Both are 4-byte values: the *net.IPNet prints as
// "192.0.2.0/24" and its Contains tells whether an address is on the network. "" and "any" (all
// interfaces) give 0.0.0.0/0, as in libpcap.
//
// Errors are *os.SyscallError values wrapping the errno: syscall.EADDRNOTAVAIL for an
// interface without an IPv4 address ("no IPv4 address assigned"), syscall.ENODEV for no such
// interface, syscall.EINVAL for a name holding a NUL byte.
func LookupNet(ifname string) (*net.IPNet, error) {
	name, ok := cString(ifname)
	if !ok {
		return nil, opError("pkt_lookupnet", syscall.EINVAL, "interface name holds a NUL byte")
	}
	defer C.free(unsafe.Pointer(name))
	var cnet, cmask C.uint32_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_lookupnet(name, &cnet, &cmask, m, n)
	})
	if rc < 0 {
		return nil, opError("pkt_lookupnet", errnoOf(rc), msg)
	}
	// Both are in network byte order: their bytes in memory are the address's.
	ipnet := &net.IPNet{IP: make(net.IP, 4), Mask: make(net.IPMask, 4)}
	copy(ipnet.IP, (*[4]byte)(unsafe.Pointer(&cnet))[:])
	copy(ipnet.Mask, (*[4]byte)(unsafe.Pointer(&cmask))[:])
	return ipnet, nil
}

// DefaultInterface returns the name of the default interface (pkt_default_iface): the first of
// Interfaces' order that is up, running and neither loopback nor "any", which is what libpcap's
// pcap_lookupdev names whenever such an interface exists and is not reported disconnected.
// Where libpcap would fall back to "any" or to an interface that is down, it returns an
// *os.SyscallError wrapping syscall.ENODEV and the caller chooses (Open("any", ...) captures
// on all interfaces).
func DefaultInterface() (string, error) {
	var buf [C.PKT_IFNAMSIZ]C.char // always enough (IFNAMSIZ)
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_default_iface(&buf[0], C.size_t(len(buf)), m, n)
	})
	if rc < 0 {
		return "", opError("pkt_default_iface", errnoOf(rc), msg)
	}
	if int(rc) >= len(buf) {
		rc = C.int(len(buf) - 1)
	}
	return C.GoStringN(&buf[0], rc), nil
}

// OfflineFilter runs the classic BPF program prog on one packet (pkt_offline_filter, libpcap's
// pcap_offline_filter): data is the packet's captured bytes from its link-layer header on (a
// savefile record, a copy from Read, any buffer), wireLen its length on the wire (Info.Len).
// It returns what the program returns: 0 rejects the packet, anything else accepts it (a
// program from CompileFilter with snaplen 0 returns 262144; the bytes to keep are the smaller
// of that and len(data)). Use the offline form of CompileFilter (live false) for bytes as a
// savefile holds them.
//
// The result is libpcap's for every valid program: loads past len(data) and divisions by
// zero end the program with 0, "ld len" loads wireLen, and the ancillary loads of live
// programs (vlan, inbound, ifindex, ...) have no value offline and end it with 0. An empty or
// invalid program (what SetBPF would refuse; Config{Filter: prog}.CheckIntegrity tells) rejects
// every packet. It makes one call into libpkt and allocates nothing; any goroutine.
func OfflineFilter(prog []bpf.RawInstruction, data []byte, wireLen uint32) uint32 {
	var d *C.uint8_t
	if len(data) > 0 {
		d = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	caplen := uint64(len(data))
	if caplen > math.MaxUint32 {
		caplen = math.MaxUint32
	}
	// bpf.RawInstruction and pkt_bpf_insn_t share their layout (see cgo_linux.go); neither
	// slice holds Go pointers.
	return uint32(C.pkt_offline_filter(cFilter(prog), C.size_t(len(prog)), d, C.uint32_t(caplen), C.uint32_t(wireLen)))
}

// maxTstampSources is more than libpkt lists (software and two adapter clocks).
const maxTstampSources = 8

// TstampSources lists the timestamp sources interface ifname offers (pkt_tstamp_sources,
// libpcap's pcap_list_tstamp_types): TstampSourceSoftware always, first, then the adapter
// clocks the driver reports for every received packet (ethtool -T), in the order of their
// values. Config.TstampSource accepts exactly these; opening with an adapter clock may still
// fail (syscall.EPERM without CAP_NET_ADMIN). "" and "any" (all interfaces) list software only.
// Needs no privilege.
//
// Errors are *os.SyscallError values wrapping the errno: syscall.ENODEV for no such interface,
// syscall.EINVAL for a name holding a NUL byte, others from the ioctl.
func TstampSources(ifname string) ([]TstampSource, error) {
	name, ok := cString(ifname)
	if !ok {
		return nil, opError("pkt_tstamp_sources", syscall.EINVAL, "interface name holds a NUL byte")
	}
	defer C.free(unsafe.Pointer(name))
	var buf [maxTstampSources]C.uint8_t
	rc, msg := callWithMsg(func(m *C.char, n C.size_t) C.int {
		return C.gopkt_tstamp_sources(name, &buf[0], C.size_t(len(buf)), m, n)
	})
	if rc < 0 {
		return nil, opError("pkt_tstamp_sources", errnoOf(rc), msg)
	}
	n := int(rc)
	if n > len(buf) {
		n = len(buf)
	}
	out := make([]TstampSource, n)
	for i := range out {
		out[i] = TstampSource(buf[i])
	}
	return out, nil
}

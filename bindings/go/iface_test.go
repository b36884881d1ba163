//go:build linux && cgo

package packet

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

// The addresses the interface tests give the lab's interfaces (TEST-NET-1 and -2, RFC 5737),
// removed again when the test ends.
const (
	labAddr      = "192.0.2.1/24"
	labAddrLabel = "198.51.100.7/16"
)

// ipCmd runs ip(8) with a time limit and fails the test if it fails.
func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// hasIPv4 reports whether ifi has an IPv4 address (according to Go's net package).
func hasIPv4(t *testing.T, ifi *net.Interface) bool {
	t.Helper()
	addrs, err := ifi.Addrs()
	if err != nil {
		t.Fatalf("%s: Addrs: %v", ifi.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return true
		}
	}
	return false
}

// labAddresses gives rx two IPv4 addresses, the second under the label rx:1, and lo IPv6
// (::1 and the link-local fe80::1/64) when the kernel has IPv6; everything is undone when the
// test ends. The namespace's veth pair keeps IPv6 off, so nothing is sent on it. It returns
// whether lo got IPv6.
func labAddresses(t *testing.T, l lab) (loIPv6 bool) {
	t.Helper()
	if hasIPv4(t, l.rx) {
		t.Fatalf("%s already has an IPv4 address: run in the test namespace (see test.sh)", l.rx.Name)
	}
	ipCmd(t, "addr", "add", labAddr, "brd", "+", "dev", l.rx.Name)
	t.Cleanup(func() { ipCmd(t, "addr", "del", labAddr, "dev", l.rx.Name) })
	ipCmd(t, "addr", "add", labAddrLabel, "brd", "+", "label", l.rx.Name+":1", "dev", l.rx.Name)
	t.Cleanup(func() { ipCmd(t, "addr", "del", labAddrLabel, "dev", l.rx.Name) })

	const loV6 = "/proc/sys/net/ipv6/conf/lo/disable_ipv6"
	old, err := os.ReadFile(loV6)
	if err != nil {
		t.Logf("no IPv6 on lo (%v): IPv6 addresses are not checked", err)
		return false
	}
	if err := os.WriteFile(loV6, []byte("0\n"), 0o644); err != nil {
		t.Fatalf("enable IPv6 on lo: %v", err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(loV6, old, 0o644); err != nil {
			t.Errorf("restore %s: %v", loV6, err)
		}
	})
	ipCmd(t, "-6", "addr", "add", "fe80::1/64", "dev", "lo")
	t.Cleanup(func() { ipCmd(t, "-6", "addr", "del", "fe80::1/64", "dev", "lo") })
	return true
}

func findIface(list []Interface, name string) *Interface {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// ipAddrs returns the addresses of family fam as "addr/mask brd B dst D zone Z" strings.
func ipAddrs(ifc *Interface, fam int) []string {
	var out []string
	for _, a := range ifc.Addresses {
		if a.Family != fam {
			continue
		}
		if a.HardwareAddr != nil || a.HardwareBroadaddr != nil || a.HardwareDstaddr != nil {
			out = append(out, "IP address with a hardware address")
		}
		s := a.IPNet().String()
		if a.Broadaddr != nil {
			s += " brd " + a.Broadaddr.String()
		}
		if a.Dstaddr != nil {
			s += " dst " + a.Dstaddr.String()
		}
		if a.Zone != "" {
			s += " zone " + a.Zone
		}
		out = append(out, s)
	}
	return out
}

func TestInterfaces(t *testing.T) {
	l := needLab(t)
	loIPv6 := labAddresses(t, l)
	list, err := Interfaces()
	if err != nil {
		t.Fatalf("Interfaces: %v", err)
	}
	for _, ifc := range list {
		t.Logf("%-4s index %d flags %s arphrd %d dlt %d desc %q addresses %+v",
			ifc.Name, ifc.Index, ifc.Flags, ifc.ARPHRD, ifc.DLT, ifc.Description, ifc.Addresses)
	}
	seen := map[string]bool{}
	for _, ifc := range list {
		if seen[ifc.Name] {
			t.Errorf("%q listed twice", ifc.Name)
		}
		seen[ifc.Name] = true
	}
	if len(list) < 4 {
		t.Fatalf("%d interfaces, want at least lo, %s, %s and any", len(list), l.rx.Name, l.tx.Name)
	}

	// The veth ends: up, running, connected, Ethernet; rx with its addresses.
	for _, ifi := range []*net.Interface{l.rx, l.tx} {
		ifc := findIface(list, ifi.Name)
		if ifc == nil {
			t.Fatalf("%s is not listed", ifi.Name)
		}
		f := ifc.Flags
		if ifc.Index != ifi.Index || !f.Up() || !f.Running() || f.Loopback() || f.Wireless() ||
			f.ConnectionStatus() != ConnectionStatusConnected || f.String() != "up|running|connected" ||
			ifc.ARPHRD != LinkTypeEthernet || ifc.DLT != DLTEN10MB || ifc.Description != "" {
			t.Errorf("%s: %+v (flags %s), want index %d, up, running, connected, Ethernet", ifi.Name, *ifc, f, ifi.Index)
		}
		if len(ifc.Addresses) == 0 || ifc.Addresses[0].Family != syscall.AF_PACKET {
			t.Fatalf("%s: addresses %+v: the link-layer address is not first", ifi.Name, ifc.Addresses)
		}
		hw := ifc.Addresses[0]
		if !bytes.Equal(hw.HardwareAddr, ifi.HardwareAddr) || hw.HardwareBroadaddr.String() != "ff:ff:ff:ff:ff:ff" ||
			hw.HardwareDstaddr != nil || hw.Addr != nil || hw.Netmask != nil || hw.IPNet() != nil {
			t.Errorf("%s: link-layer address %+v, want %s, broadcast ff:ff:ff:ff:ff:ff", ifi.Name, hw, ifi.HardwareAddr)
		}
	}
	rx := findIface(list, l.rx.Name)
	want := []string{"192.0.2.1/24 brd 192.0.2.255", "198.51.100.7/16 brd 198.51.255.255"}
	if got := ipAddrs(rx, syscall.AF_INET); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: IPv4 addresses %q, want %q", rx.Name, got, want)
	}
	for _, a := range rx.Addresses {
		if a.Family == syscall.AF_INET && (len(a.Addr) != 4 || len(a.Netmask) != 4 || len(a.Broadaddr) != 4) {
			t.Errorf("%s: IPv4 address %+v is not in its 4-byte form", rx.Name, a)
		}
	}
	if got := ipAddrs(findIface(list, l.tx.Name), syscall.AF_INET); len(got) != 0 {
		t.Errorf("%s: IPv4 addresses %q, want none", l.tx.Name, got)
	}
	// Go's net package sees the same IPv4 addresses.
	goAddrs, err := l.rx.Addrs()
	if err != nil {
		t.Fatal(err)
	}
	var goV4 []string
	for _, a := range goAddrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			goV4 = append(goV4, n.String())
		}
	}
	if !reflect.DeepEqual(goV4, []string{"192.0.2.1/24", "198.51.100.7/16"}) {
		t.Errorf("net.Interface.Addrs gives %q", goV4)
	}

	// lo: loopback, no connection status, link type 772 recorded as Ethernet.
	lo := findIface(list, "lo")
	if lo == nil {
		t.Fatal("lo is not listed")
	}
	if f := lo.Flags; !f.Loopback() || !f.Up() || !f.Running() || f.ConnectionStatus() != ConnectionStatusNotApplicable ||
		lo.ARPHRD != 772 || lo.DLT != DLTEN10MB || lo.Index != 1 {
		t.Errorf("lo: %+v (flags %s)", *lo, lo.Flags)
	}
	if got := ipAddrs(lo, syscall.AF_INET); !reflect.DeepEqual(got, []string{"127.0.0.1/8"}) {
		t.Errorf("lo: IPv4 addresses %q", got)
	}
	if loIPv6 {
		want := []string{"::1/128", "fe80::1/64 zone lo"}
		got := ipAddrs(lo, syscall.AF_INET6)
		if len(got) == 2 && got[0] != want[0] { // the kernel's order
			got[0], got[1] = got[1], got[0]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("lo: IPv6 addresses %q, want %q", got, want)
		}
	}

	// "any": all interfaces.
	anyIf := findIface(list, "any")
	if anyIf == nil {
		t.Fatal(`"any" is not listed`)
	}
	if anyIf.Index != 0 || anyIf.Description != "Pseudo-device that captures on all interfaces" ||
		anyIf.Flags != IfUp|IfRunning|InterfaceFlags(ConnectionStatusNotApplicable) ||
		anyIf.ARPHRD != LinkTypeNone || anyIf.DLT != DLTLinuxSLL2 || len(anyIf.Addresses) != 0 {
		t.Errorf("any: %+v", *anyIf)
	}

	// libpcap's order: up, running and connected first, then "any", then loopback; the default
	// interface is the first.
	pos := func(name string) int {
		for i := range list {
			if list[i].Name == name {
				return i
			}
		}
		return -1
	}
	if p := pos("any"); p < pos(l.rx.Name) || p < pos(l.tx.Name) || p > pos("lo") {
		t.Errorf("order: %s at %d, %s at %d, any at %d, lo at %d", l.rx.Name, pos(l.rx.Name), l.tx.Name, pos(l.tx.Name), p, pos("lo"))
	}
	def, err := DefaultInterface()
	if err != nil {
		t.Fatalf("DefaultInterface: %v", err)
	}
	if def != list[0].Name || (def != l.rx.Name && def != l.tx.Name) {
		t.Errorf("DefaultInterface() = %q, the list starts with %q", def, list[0].Name)
	}
}

func TestLookupNet(t *testing.T) {
	l := needLab(t)
	labAddresses(t, l)
	for _, tc := range []struct{ name, want string }{
		{l.rx.Name, "192.0.2.0/24"}, // the first address, not the labelled one
		{"lo", "127.0.0.0/8"},
		{"", "0.0.0.0/0"},
		{"any", "0.0.0.0/0"},
	} {
		n, err := LookupNet(tc.name)
		if err != nil {
			t.Errorf("LookupNet(%q): %v", tc.name, err)
			continue
		}
		if n.String() != tc.want || len(n.IP) != 4 || len(n.Mask) != 4 {
			t.Errorf("LookupNet(%q) = %v (% x / % x), want %s", tc.name, n, n.IP, n.Mask, tc.want)
		}
	}
	if n, err := LookupNet(l.rx.Name); err != nil || !n.Contains(net.IPv4(192, 0, 2, 77)) || n.Contains(net.IPv4(198, 51, 100, 7)) {
		t.Errorf("LookupNet(%s) = %v, %v: Contains is wrong", l.rx.Name, n, err)
	}

	var se *os.SyscallError
	_, err := LookupNet(l.tx.Name)
	if !errors.Is(err, syscall.EADDRNOTAVAIL) || !errors.As(err, &se) ||
		!strings.HasPrefix(se.Syscall, "pkt_lookupnet") || !strings.Contains(err.Error(), "no IPv4 address assigned") {
		t.Errorf("LookupNet(%s) without an IPv4 address: %v, want EADDRNOTAVAIL, no IPv4 address assigned", l.tx.Name, err)
	}
	t.Logf("no IPv4 address: %v", err)
	if _, err := LookupNet("no-such-if0"); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("LookupNet(no-such-if0): %v, want ENODEV", err)
	}
	if _, err := LookupNet("a\x00b"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("LookupNet(a NUL b): %v, want EINVAL", err)
	}
}

// ethFrame builds an Ethernet frame from src to dst carrying ethertype and payload.
func ethFrame(dst, src net.HardwareAddr, ethertype uint16, payload []byte) []byte {
	b := append(append(append([]byte{}, dst...), src...), byte(ethertype>>8), byte(ethertype))
	return append(b, payload...)
}

func TestOfflineFilter(t *testing.T) {
	// No network needed: frames built here, programs compiled offline.
	fake := lab{
		rx: &net.Interface{HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}},
		tx: &net.Interface{HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 2}},
	}
	udp4 := fake.ipFrame(false, 17, 1234, 53, 100, 0, 0, 1)
	udp6 := fake.ipFrame(true, 17, 1234, 53, 120, 0, 0, 2)
	tcp4 := fake.ipFrame(false, 6, 1234, 80, 100, 0, 0, 3)
	arpPayload := []byte{0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 10, 9, 0, 2, 0, 0, 0, 0, 0, 0, 10, 9, 0, 1}
	arp := ethFrame(net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, fake.tx.HardwareAddr, 0x0806, arpPayload)
	arp = append(arp, make([]byte, 60-len(arp))...)

	wl := func(f []byte) uint32 { return uint32(len(f)) }
	for _, optimize := range []bool{false, true} {
		udp, err := CompileFilter("udp", DLTEN10MB, 0, optimize, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			frame []byte
			want  uint32
		}{
			{"UDP/IPv4", udp4, 262144},
			{"UDP/IPv6", udp6, 262144},
			{"TCP/IPv4", tcp4, 0},
			{"ARP", arp, 0},
			{"UDP/IPv4 cut after 20 bytes", udp4[:20], 0}, // the protocol byte is not there
			{"nothing", nil, 0},
		} {
			if got := OfflineFilter(udp, tc.frame, wl(tc.frame)); got != tc.want {
				t.Errorf("optimize %v: udp on %s: %d, want %d", optimize, tc.name, got, tc.want)
			}
		}
	}
	// The snap length is what an accepted packet returns.
	ip96, err := CompileFilter("ip and udp dst port 53", DLTEN10MB, 96, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := OfflineFilter(ip96, udp4, wl(udp4)); got != 96 {
		t.Errorf("snaplen 96 program on UDP to 53: %d, want 96", got)
	}
	if got := OfflineFilter(ip96, tcp4, wl(tcp4)); got != 0 {
		t.Errorf("snaplen 96 program on TCP: %d, want 0", got)
	}
	// "ld len" is the length on the wire, whatever was captured.
	ldLen, err := bpf.Assemble([]bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtLen}, bpf.RetA{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := OfflineFilter(ldLen, udp4[:40], 1500); got != 1500 {
		t.Errorf("ld len; ret a: %d, want the wire length 1500", got)
	}
	// The live form's ancillary loads have no value offline.
	vlan, err := CompileFilter("vlan", DLTEN10MB, 0, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := OfflineFilter(vlan, vlanTag(udp4, 5), wl(udp4)+4); got != 0 {
		t.Errorf("live vlan program offline: %d, want 0", got)
	}
	// An empty expression accepts everything, even no bytes; no program, or an invalid one,
	// rejects everything.
	all, err := CompileFilter("", DLTEN10MB, 0, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := OfflineFilter(all, nil, 0); got != 262144 {
		t.Errorf(`"" on no bytes: %d, want 262144`, got)
	}
	if got := OfflineFilter(nil, udp4, wl(udp4)); got != 0 {
		t.Errorf("no program: %d, want 0", got)
	}
	noRet := []bpf.RawInstruction{{Op: 0x28, K: 12}}
	if got := OfflineFilter(noRet, udp4, wl(udp4)); got != 0 {
		t.Errorf("program without ret: %d, want 0", got)
	}
	if (&Config{Filter: noRet}).CheckIntegrity() {
		t.Error("CheckIntegrity accepts a program without ret")
	}
	// One call into C per packet, nothing allocated.
	udp, _ := CompileFilter("udp", DLTEN10MB, 0, true, false)
	if n := testing.AllocsPerRun(200, func() { OfflineFilter(udp, udp4, wl(udp4)) }); n != 0 {
		t.Errorf("OfflineFilter allocates %v times per call", n)
	}
}

func TestTstampSources(t *testing.T) {
	l := needLab(t)
	soft := []TstampSource{TstampSourceSoftware}
	for _, name := range []string{l.rx.Name, l.tx.Name, "lo", "", "any"} {
		got, err := TstampSources(name)
		if err != nil || !reflect.DeepEqual(got, soft) {
			t.Errorf("TstampSources(%q) = %v, %v; want software only (veth, lo and all interfaces have no adapter clock)", name, got, err)
		}
	}
	if _, err := TstampSources("no-such-if0"); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("TstampSources(no-such-if0): %v, want ENODEV", err)
	}
	if _, err := TstampSources("a\x00b"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("TstampSources(a NUL b): %v, want EINVAL", err)
	}
	if TstampSourceSoftware.String() != "host" || TstampSourceAdapter.String() != "adapter" ||
		TstampSourceAdapterUnsynced.String() != "adapter_unsynced" || TstampSource(3).String() != "" {
		t.Error("TstampSource.String")
	}
}

func TestTstampSourceConfig(t *testing.T) {
	l := needLab(t)
	// An adapter clock on an interface that has none: refused, naming the interface.
	for _, src := range []TstampSource{TstampSourceAdapter, TstampSourceAdapterUnsynced} {
		c := rxConfig()
		c.TstampSource = src
		if !c.CheckIntegrity() {
			t.Errorf("CheckIntegrity refuses %v (only open knows the interface)", src)
		}
		h, err := Open(l.rx.Name, c)
		if h != nil {
			h.Close()
		}
		var se *os.SyscallError
		if !errors.Is(err, syscall.EOPNOTSUPP) || !errors.As(err, &se) || !strings.HasPrefix(se.Syscall, "pkt_open") ||
			!strings.Contains(err.Error(), l.rx.Name) {
			t.Errorf("Open(%s) with %v: %v, want EOPNOTSUPP naming %s", l.rx.Name, src, err, l.rx.Name)
		}
		t.Logf("%v on %s: %v", src, l.rx.Name, err)
		for _, all := range []string{"", "any"} {
			if h, err := Open(all, c); !errors.Is(err, syscall.EOPNOTSUPP) {
				if h != nil {
					h.Close()
				}
				t.Errorf("Open(%q) with %v: %v, want EOPNOTSUPP", all, src, err)
			}
		}
	}
	// Out of range.
	bad := &Config{TstampSource: 3}
	if bad.CheckIntegrity() {
		t.Error("CheckIntegrity accepts TstampSource 3")
	}
	if _, err := Open(l.rx.Name, bad); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Open with TstampSource 3: %v, want EINVAL", err)
	}
	// Software (the zero value): the kernel stamps the packets, and Config says so.
	c := rxConfig()
	c.TstampSource = TstampSourceSoftware
	rx := l.open(t, c)
	if got := rx.Config().TstampSource; got != TstampSourceSoftware {
		t.Errorf("Config().TstampSource = %v", got)
	}
	f := l.frame(0xc1, 0, 64)
	send(t, l.sender(t), [][]byte{f})
	data, info, err := rx.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	equalOrDiff(t, "frame", data, f)
	l.checkInfo(t, "software-stamped frame", info, f) // TstampValid 0: the kernel's clock
}

func TestOpenAny(t *testing.T) {
	l := needLab(t)
	h, err := Open("any", rxConfig())
	if err != nil {
		t.Fatalf(`Open("any"): %v`, err)
	}
	defer h.Close()
	if !h.Config().NoLinkLayer || h.LinkType() != LinkTypeNone || h.DLT() != DLTLinuxSLL2 {
		t.Errorf(`Open("any"): NoLinkLayer %v, LinkType %d, DLT %d`, h.Config().NoLinkLayer, h.LinkType(), h.DLT())
	}
	// It captures on every interface: the frame sent on tx is seen arriving on rx.
	f := l.frame(0xc2, 0, 80)
	send(t, l.sender(t), [][]byte{f})
	for reads := 0; ; reads++ {
		if reads > 10 {
			t.Fatalf("no frame seen on %s among %d packets", l.rx.Name, reads)
		}
		data, info, err := h.Read(true)
		if err != nil {
			t.Fatalf(`Read on "any": %v`, err)
		}
		if info != nil && info.Ifindex == int32(l.rx.Index) {
			equalOrDiff(t, "cooked frame on any", data, f[14:])
			break
		}
	}
}

// TestInterfacesFrees checks that Interfaces frees libpkt's list (and the error path its
// message) every time.
func TestInterfacesFrees(t *testing.T) {
	round := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := Interfaces(); err != nil {
				t.Fatalf("Interfaces: %v", err)
			}
			if _, err := LookupNet("no-such-if0"); err == nil {
				t.Fatal("LookupNet(no-such-if0) did not fail")
			}
		}
	}
	round(100) // warm up (per-thread messages, caches)
	before := cMallocInUse()
	const n = 1000
	round(n)
	after := cMallocInUse()
	// A list leaked per call would be hundreds of bytes each: 100 KiB and more.
	if after > before+32<<10 {
		t.Errorf("C heap grew by %d bytes over %d lists", after-before, n)
	}
	t.Logf("C heap in use: %d -> %d bytes over %d lists", before, after, n)
}

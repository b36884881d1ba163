//go:build linux && cgo

package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/net/bpf"
)

// udpPort9 is `tcpdump -ddd -y EN10MB 'udp dst port 9'` (tcpdump 4.99.3, libpcap 1.10.3; the
// same as build/examples/bpfc -O -y EN10MB -ddd): the first line is the count, then one
// "code jt jf k" per instruction.
const udpPort9 = `16
40 0 0 12
21 0 4 34525
48 0 0 20
21 0 11 17
40 0 0 56
21 8 9 9
21 0 8 2048
48 0 0 23
21 0 6 17
40 0 0 20
69 4 0 8191
177 0 0 14
72 0 0 16
21 0 1 9
6 0 0 262144
6 0 0 0`

// parseDDD reads tcpdump -ddd output.
func parseDDD(t *testing.T, s string) []bpf.RawInstruction {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var n int
	if _, err := fmt.Sscan(lines[0], &n); err != nil || n != len(lines)-1 {
		t.Fatalf("bad -ddd text: count %q, %d lines", lines[0], len(lines)-1)
	}
	prog := make([]bpf.RawInstruction, n)
	for i, ln := range lines[1:] {
		if _, err := fmt.Sscan(ln, &prog[i].Op, &prog[i].Jt, &prog[i].Jf, &prog[i].K); err != nil {
			t.Fatalf("bad -ddd line %q: %v", ln, err)
		}
	}
	return prog
}

func TestCompileFilter(t *testing.T) {
	want := parseDDD(t, udpPort9)
	got, err := CompileFilter("udp dst port 9", DLTEN10MB, 0, true, false)
	if err != nil {
		t.Fatalf("CompileFilter: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CompileFilter(udp dst port 9, EN10MB, optimized, offline):\n got %v\nwant %v", got, want)
	}
	// The same program disassembles to what tcpdump -d prints.
	if insns, ok := bpf.Disassemble(got); !ok || len(insns) != len(want) {
		t.Errorf("Disassemble: %v, %v", insns, ok)
	}
	// Unoptimized is longer and ends the same way; snaplen is what accepted packets return.
	plain, err := CompileFilter("udp dst port 9", DLTEN10MB, 100, false, false)
	if err != nil {
		t.Fatalf("CompileFilter unoptimized: %v", err)
	}
	if len(plain) <= len(want) {
		t.Errorf("unoptimized program has %d instructions, optimized %d", len(plain), len(want))
	}
	for _, ins := range plain {
		if ins.Op == 6 && ins.K != 0 && ins.K != 100 {
			t.Errorf("snaplen 100: ret #%d in %v", ins.K, plain)
		}
	}

	// An empty expression accepts everything: one ret of the snap length.
	for _, c := range []struct {
		snaplen uint32
		ret     uint32
	}{{0, 262144}, {96, 96}} {
		for _, dlt := range []uint16{DLTEN10MB, DLTRaw, DLTLinuxSLL, DLTLinuxSLL2} {
			got, err := CompileFilter("", dlt, c.snaplen, true, true)
			if err != nil || !reflect.DeepEqual(got, []bpf.RawInstruction{{Op: 6, K: c.ret}}) {
				t.Errorf("CompileFilter(\"\", %d, %d): %v, %v; want ret #%d", dlt, c.snaplen, got, err, c.ret)
			}
		}
	}

	// Errors: *os.SyscallError, the errno, and libpkt's message with the position.
	for _, c := range []struct {
		expr  string
		dlt   uint16
		errno syscall.Errno
		in    []string
	}{
		{"udp dst port", DLTEN10MB, syscall.EINVAL, []string{"pkt_compile: position 12: ", "syntax error"}},
		{"ip and and", DLTEN10MB, syscall.EINVAL, []string{"pkt_compile: position 7: ", "syntax error"}},
		{"port 99999", DLTEN10MB, syscall.EINVAL, []string{"pkt_compile: position "}},
		{"udp", 9999, syscall.EINVAL, []string{"pkt_compile"}},
		{"udp\x00", DLTEN10MB, syscall.EINVAL, []string{"pkt_compile", "NUL"}},
	} {
		prog, err := CompileFilter(c.expr, c.dlt, 0, true, false)
		var se *os.SyscallError
		if prog != nil || !errors.Is(err, c.errno) || !errors.As(err, &se) {
			t.Errorf("CompileFilter(%q, %d): %v, %v (%T); want nil, %v", c.expr, c.dlt, prog, err, err, c.errno)
			continue
		}
		for _, s := range c.in {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("CompileFilter(%q, %d): error %q does not say %q", c.expr, c.dlt, err, s)
			}
		}
		t.Logf("%q: %v", c.expr, err)
	}
}

// TestCompileFilterFrees checks that neither programs nor messages stay on the C heap.
func TestCompileFilterFrees(t *testing.T) {
	const expr = "tcp port 80 or udp port 53 or icmp or ip6 and tcp[13] & 2 != 0"
	round := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := CompileFilter(expr, DLTEN10MB, 0, i%2 == 0, i%4 < 2); err != nil {
				t.Fatalf("CompileFilter: %v", err)
			}
			if _, err := CompileFilter(expr+" and", DLTEN10MB, 0, true, true); err == nil {
				t.Fatal("CompileFilter of a bad expression did not fail")
			}
		}
	}
	round(200) // warm up (per-thread messages, caches)
	before := cMallocInUse()
	const n = 2000
	round(n)
	after := cMallocInUse()
	// A leak of one program or one message per call would be 500 KiB and more.
	if after > before+64<<10 {
		t.Errorf("C heap grew by %d bytes over %d compiles", after-before, 2*n)
	}
	t.Logf("C heap in use: %d -> %d bytes over %d compiles", before, after, 2*n)
}

// ipFrame builds an Ethernet frame from tx to rx holding an IPv4 (v6 false) or IPv6 packet of
// protocol proto (6 TCP, 17 UDP) with ports sport and dport, size bytes long, the IPv4 fragment
// offset frag (in 8-byte units) and IPv4 options of optWords 32-bit words. seq marks the payload.
func (l lab) ipFrame(v6 bool, proto byte, sport, dport uint16, size int, frag uint16, optWords int, seq byte) []byte {
	b := make([]byte, size)
	copy(b[0:6], l.rx.HardwareAddr)
	copy(b[6:12], l.tx.HardwareAddr)
	ip := b[14:]
	var l4 []byte
	if v6 {
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(ip)-40))
		ip[6], ip[7] = proto, 64
		ip[8], ip[9], ip[23] = 0xfd, 0x09, 2 // fd09::2 -> fd09::1
		ip[24], ip[25], ip[39] = 0xfd, 0x09, 1
		l4 = ip[40:]
	} else {
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		hl := 20 + 4*optWords
		ip[0] = 0x40 | byte(hl/4)
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		binary.BigEndian.PutUint16(ip[4:], uint16(seq))
		binary.BigEndian.PutUint16(ip[6:], frag)
		ip[8], ip[9] = 64, proto
		copy(ip[12:], []byte{10, 9, 0, 2, 10, 9, 0, 1})
		for i := 20; i < hl; i++ {
			ip[i] = 1 // NOP options
		}
		var sum uint32
		for i := 0; i < hl; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		l4 = ip[hl:]
	}
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	if proto == 17 {
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
	} else {
		l4[12] = 0x50 // TCP data offset 5
	}
	for i := 20; i < len(l4); i++ {
		l4[i] = seq + byte(i)
	}
	return b
}

// vlanTag inserts an 802.1Q tag with TCI tci after f's addresses.
func vlanTag(f []byte, tci uint16) []byte {
	out := append([]byte{}, f[:12]...)
	out = append(out, 0x81, 0x00, byte(tci>>8), byte(tci))
	return append(out, f[12:]...)
}

// readUntilTimeout reads until ReadTimeout elapses (the package's way of seeing that nothing
// more comes) and returns copies of the packets; more than max packets is a failure.
func readUntilTimeout(t *testing.T, h *Handle, max int) [][]byte {
	t.Helper()
	var got [][]byte
	for reads := 0; reads < max+1100; reads++ { // nil reads skip up to MaxNilRead each
		data, _, err := h.Read(true)
		if errors.Is(err, syscall.ETIMEDOUT) {
			return got
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if data == nil {
			continue // a nil read
		}
		got = append(got, data)
		if len(got) > max {
			break
		}
	}
	if len(got) > max {
		t.Fatalf("more than %d packets, the last % x", max, head(got[len(got)-1]))
	}
	t.Fatalf("no timeout after %d reads (%d packets)", max+1100, len(got))
	return nil
}

// expectFrames checks that exactly want arrived, in order, byte for byte.
func expectFrames(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		for i, g := range got {
			t.Logf("%s: got %d: % x", what, i, head(g))
		}
		t.Fatalf("%s: %d packets, want %d", what, len(got), len(want))
	}
	for i := range want {
		equalOrDiff(t, fmt.Sprintf("%s: packet %d", what, i), got[i], want[i])
	}
}

func TestSetFilter(t *testing.T) {
	l := needLab(t)
	c := DefaultConfig()
	c.Proto = ProtoAll // IPv4, IPv6 and the test ethertype
	c.Direction = DirIn
	c.ReadBufferTimeout = 10
	c.ReadTimeout = 500
	rx := l.open(t, c)
	tx := l.sender(t)

	// The frames: which pass "udp dst port 9".
	type tf struct {
		f     []byte
		match bool
	}
	mix := []tf{
		{l.ipFrame(false, 17, 5000, 9, 60, 0, 0, 1), true},
		{l.ipFrame(false, 17, 5000, 10, 60, 0, 0, 2), false},   // another port
		{l.ipFrame(false, 6, 5000, 9, 80, 0, 0, 3), false},     // TCP
		{l.ipFrame(true, 17, 5000, 9, 200, 0, 0, 4), true},     // IPv6
		{l.ipFrame(false, 17, 9, 53, 90, 0, 0, 5), false},      // source port 9
		{l.frame(0xc1, 6, 70), false},                          // not IP
		{l.ipFrame(false, 17, 5000, 9, 100, 100, 0, 7), false}, // a later fragment
		{l.ipFrame(false, 17, 5000, 9, 1514, 0, 0, 8), true},
		{l.ipFrame(true, 17, 5000, 10, 120, 0, 0, 9), false},
		{l.ipFrame(false, 17, 5000, 9, 128, 0, 2, 10), true}, // IPv4 options
	}
	var all, matching [][]byte
	for _, m := range mix {
		all = append(all, m.f)
		if m.match {
			matching = append(matching, m.f)
		}
	}

	if err := rx.SetFilter("udp dst port 9"); err != nil {
		t.Fatalf("SetFilter: %v", err)
	}
	live, err := CompileFilter("udp dst port 9", rx.DLT(), 0, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rx.Config().Filter, live) {
		t.Errorf("Config().Filter = %v, want the live optimized program %v", rx.Config().Filter, live)
	}
	send(t, tx, all)
	expectFrames(t, "udp dst port 9", readUntilTimeout(t, rx, len(all)), matching)

	// A syntax error names the position; the filter in place stays.
	err = rx.SetFilter("udp dst port")
	var se *os.SyscallError
	if !errors.Is(err, syscall.EINVAL) || !errors.As(err, &se) || !strings.Contains(err.Error(), "position 12") {
		t.Fatalf("SetFilter(udp dst port): %v, want EINVAL naming position 12", err)
	}
	t.Logf("syntax error: %v", err)
	send(t, tx, all)
	expectFrames(t, "after a refused SetFilter", readUntilTimeout(t, rx, len(all)), matching)

	// An empty expression accepts everything.
	if err := rx.SetFilter(""); err != nil {
		t.Fatalf("SetFilter(\"\"): %v", err)
	}
	send(t, tx, all)
	expectFrames(t, "empty filter", readUntilTimeout(t, rx, len(all)), all)

	// The live form: the kernel has taken the VLAN tag out of the bytes (they are put back
	// in what Read returns), and "vlan 100" tests the packet's metadata.
	if err := rx.SetFilter("vlan 100 and udp dst port 9"); err != nil {
		t.Fatalf("SetFilter(vlan): %v", err)
	}
	u9, u10 := l.ipFrame(false, 17, 5000, 9, 100, 0, 0, 11), l.ipFrame(false, 17, 5000, 10, 100, 0, 0, 12)
	tagged := [][]byte{vlanTag(u9, 0x2064), vlanTag(u10, 0x2064), vlanTag(u9, 0x00c8), u9, vlanTag(u9, 0x0064)}
	send(t, tx, tagged)
	expectFrames(t, "vlan 100 and udp dst port 9", readUntilTimeout(t, rx, len(tagged)),
		[][]byte{tagged[0], tagged[4]})

	// A cooked handle: the filter is compiled for LINUX_SLL2's live form (data from the network
	// header on).
	c.NoLinkLayer = true
	ck := l.open(t, c)
	if err := ck.SetFilter("udp dst port 9"); err != nil {
		t.Fatalf("cooked SetFilter: %v", err)
	}
	send(t, tx, all)
	var cooked [][]byte
	for _, f := range matching {
		cooked = append(cooked, f[14:])
	}
	expectFrames(t, "cooked udp dst port 9", readUntilTimeout(t, ck, len(all)), cooked)
	// The Ethernet handle's vlan filter still refuses these untagged frames.
	expectFrames(t, "vlan filter, untagged frames", readUntilTimeout(t, rx, len(all)), nil)

	// The handle's snap length is what accepted packets return.
	c = rxConfig()
	c.Snaplen = 100
	sn := l.open(t, c)
	if err := sn.SetFilter("udp"); err != nil {
		t.Fatalf("SetFilter with Snaplen 100: %v", err)
	}
	rets := 0
	for _, ins := range sn.Config().Filter {
		if ins.Op == 6 {
			rets++
			if ins.K != 0 && ins.K != 100 {
				t.Errorf("Snaplen 100: ret #%d in %v", ins.K, sn.Config().Filter)
			}
		}
	}
	if rets == 0 {
		t.Errorf("no ret in %v", sn.Config().Filter)
	}

	// After Close.
	sn.Close()
	if err := sn.SetFilter("udp"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SetFilter after Close: %v, want EINVAL", err)
	}
}

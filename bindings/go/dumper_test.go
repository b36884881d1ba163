//go:build linux && cgo

package packet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// capture sends frames from tx and returns them as read by rx (copied), with their Info.
func capture(t *testing.T, l lab, frames [][]byte) ([][]byte, []Info) {
	t.Helper()
	rx := l.open(t, rxConfig())
	tx := l.sender(t)
	if n, err := tx.WriteBatch(frames); n != len(frames) || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	var data [][]byte
	var infos []Info
	pkts := make([]Packet, 8)
	for len(data) < len(frames) {
		n, err := rx.ReadBatch(true, pkts)
		if err != nil {
			t.Fatalf("ReadBatch after %d packets: %v", len(data), err)
		}
		for _, p := range pkts[:n] {
			data = append(data, append([]byte(nil), p.Data...))
			infos = append(infos, p.Info)
		}
	}
	return data, infos
}

// readPcap parses a pcap file: its link type and records (time, bytes, wire length).
func readPcap(t *testing.T, path string) (nano bool, linktype uint32, times []time.Time, recs [][]byte, lens []int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 {
		t.Fatalf("%s: %d bytes, no pcap header", path, len(b))
	}
	le := binary.LittleEndian
	switch le.Uint32(b) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	default:
		t.Fatalf("%s: magic %#x", path, le.Uint32(b))
	}
	linktype = le.Uint32(b[20:])
	for off := 24; off < len(b); {
		if off+16 > len(b) {
			t.Fatalf("%s: cut record header at %d", path, off)
		}
		sec, frac := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		incl, orig := int(le.Uint32(b[off+8:])), int(le.Uint32(b[off+12:]))
		off += 16
		if off+incl > len(b) {
			t.Fatalf("%s: cut record at %d", path, off)
		}
		if !nano {
			frac *= 1000
		}
		times = append(times, time.Unix(int64(sec), int64(frac)))
		recs = append(recs, b[off:off+incl])
		lens = append(lens, orig)
		off += incl
	}
	return
}

// tcpdumpHex reads a savefile with tcpdump -xx and returns each packet's bytes.
func tcpdumpHex(t *testing.T, path string) [][]byte {
	t.Helper()
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		skipOrFail(t, "tcpdump is not installed (apt-get install tcpdump)")
	}
	out, err := exec.Command(tcpdump, "-nn", "-xx", "-r", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("tcpdump -r %s: %v\n%s", path, err, ee.Stderr)
		}
		t.Fatalf("tcpdump -r %s: %v", path, err)
	}
	var pkts [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t0x") {
			pkts = append(pkts, nil) // a packet's summary line
			continue
		}
		if len(pkts) == 0 {
			t.Fatalf("tcpdump: hex before any packet: %q", line)
		}
		_, rest, _ := strings.Cut(line, ":")
		h, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(rest), " ", ""))
		if err != nil {
			t.Fatalf("tcpdump: bad hex line %q: %v", line, err)
		}
		pkts[len(pkts)-1] = append(pkts[len(pkts)-1], h...)
	}
	return pkts
}

func TestDumperPcap(t *testing.T) {
	l := needLab(t)
	frames := l.frames(0xc0, 20)
	data, infos := capture(t, l, frames)
	for _, nanoFlag := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "out.pcap")
		flags := DumpFlags(0)
		if nanoFlag {
			flags = DumpNano
		}
		d, err := NewDumper(path, DLTEN10MB, 0, flags)
		if err != nil {
			t.Fatalf("NewDumper: %v", err)
		}
		for i := range data {
			if err := d.Write(data[i], infos[i]); err != nil {
				t.Fatalf("Write %d: %v", i, err)
			}
		}
		if n := d.Bytes(); n <= 24 {
			t.Errorf("Bytes() = %d", n)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		nano, lt, times, recs, lens := readPcap(t, path)
		if nano != nanoFlag || lt != DLTEN10MB || len(recs) != len(frames) {
			t.Fatalf("%s: nano %v, link type %d, %d records", path, nano, lt, len(recs))
		}
		for i := range recs {
			equalOrDiff(t, fmt.Sprintf("record %d", i), recs[i], frames[i])
			want := infos[i].Time
			if !nano {
				want = want.Truncate(time.Microsecond)
			}
			if !times[i].Equal(want) || lens[i] != len(frames[i]) {
				t.Errorf("record %d: time %v len %d, want %v %d", i, times[i], lens[i], want, len(frames[i]))
			}
		}
		got := tcpdumpHex(t, path)
		if len(got) != len(frames) {
			t.Fatalf("tcpdump read %d packets from %s, want %d", len(got), path, len(frames))
		}
		for i := range got {
			equalOrDiff(t, fmt.Sprintf("tcpdump's packet %d", i), got[i], frames[i])
		}
	}
}

func TestDumperPcapng(t *testing.T) {
	l := needLab(t)
	frames := l.frames(0xc1, 10)
	data, infos := capture(t, l, frames)
	path := filepath.Join(t.TempDir(), "out.pcapng")
	d, err := NewDumper(path, DLTEN10MB, 100, DumpPcapng|DumpNano)
	if err != nil {
		t.Fatalf("NewDumper: %v", err)
	}
	pkts := make([]Packet, len(data))
	for i := range data {
		pkts[i] = Packet{Data: data[i], Info: infos[i]}
		if err := d.WritePacket(&pkts[i]); err != nil {
			t.Fatalf("WritePacket %d: %v", i, err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := d.SetStats(Stats{Recvs: 10, Drops: 0}); err != nil {
		t.Fatalf("SetStats: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	b, _ := os.ReadFile(path)
	if len(b) < 4 || binary.LittleEndian.Uint32(b) != 0x0a0d0d0a {
		t.Fatalf("%s does not start with a pcapng section header block", path)
	}
	got := tcpdumpHex(t, path)
	if len(got) != len(frames) {
		t.Fatalf("tcpdump read %d packets from %s, want %d", len(got), path, len(frames))
	}
	for i := range got {
		want := frames[i]
		if len(want) > 100 {
			want = want[:100] // the snap length
		}
		equalOrDiff(t, fmt.Sprintf("tcpdump's packet %d", i), got[i], want)
	}
}

func TestDumperCooked(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.NoLinkLayer = true
	rx := l.open(t, c)
	tx := l.sender(t)
	f := l.frame(0xc2, 0, 90)
	send(t, tx, [][]byte{f})
	data, info, err := rx.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cooked.pcap")
	d, err := NewDumper(path, rx.DLT(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(data, *info); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	_, lt, _, recs, _ := readPcap(t, path)
	// SLL2: 20 bytes of cooked header built from Info, then the packet from the network header.
	if lt != DLTLinuxSLL2 || len(recs) != 1 || len(recs[0]) != 20+len(f)-14 {
		t.Fatalf("cooked file: link type %d, %d records", lt, len(recs))
	}
	equalOrDiff(t, "cooked record's packet", recs[0][20:], f[14:])
	if binary.BigEndian.Uint16(recs[0][0:]) != testEtherType || int32(binary.BigEndian.Uint32(recs[0][4:])) != int32(l.rx.Index) {
		t.Errorf("SLL2 header % x: protocol or ifindex wrong", recs[0][:20])
	}
	if got := tcpdumpHex(t, path); len(got) != 1 {
		t.Errorf("tcpdump read %d packets from the cooked file", len(got))
	}
}

func TestDumperErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewDumper(filepath.Join(dir, "no", "such", "dir.pcap"), DLTEN10MB, 0, 0); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("NewDumper in a missing directory: %v, want ENOENT", err)
	} else {
		t.Logf("missing directory: %v", err)
	}
	if _, err := NewDumper(filepath.Join(dir, "x.pcap"), 9999, 0, 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("unknown link type: %v, want EINVAL", err)
	}
	if _, err := NewDumper(filepath.Join(dir, "x.pcap"), DLTEN10MB, 1<<20, 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("snap length over 262144: %v, want EINVAL", err)
	}
	if _, err := NewDumper(filepath.Join(dir, "x.pcap"), DLTEN10MB, 0, 0x80); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("unknown flag: %v, want EINVAL", err)
	}
	if _, err := NewDumper("a\x00b", DLTEN10MB, 0, 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NUL in the path: %v, want EINVAL", err)
	}
	d, err := NewDumper(filepath.Join(dir, "ok.pcap"), DLTEN10MB, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A zero time (before 1970) is refused and changes nothing.
	if err := d.Write([]byte{1, 2, 3}, Info{}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Write with a zero time: %v, want EINVAL", err)
	}
	if err := d.Write([]byte{1, 2, 3}, Info{Time: time.Now()}); err != nil {
		t.Errorf("Write: %v", err)
	}
	if err := d.Write(nil, Info{Time: time.Now()}); err != nil {
		t.Errorf("Write of an empty record: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := d.Write([]byte{1}, Info{Time: time.Now()}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Write after Close: %v, want EINVAL", err)
	}
	if d.Flush() == nil || d.SetStats(Stats{}) == nil || d.Bytes() != -1 {
		t.Error("Flush, SetStats or Bytes after Close did not fail")
	}
	_, _, _, recs, lens := readPcap(t, filepath.Join(dir, "ok.pcap"))
	if len(recs) != 2 || len(recs[0]) != 3 || lens[0] != 3 || len(recs[1]) != 0 {
		t.Errorf("records %v, lengths %v", recs, lens)
	}
}

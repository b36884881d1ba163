//go:build linux && cgo

package packet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

// The savefile reader's tests need no network and no root: files are written with Dumper and
// read back with OpenOffline and OpenOfflineFile.

// rec is one packet of a savefile: its bytes and description.
type rec struct {
	data []byte
	info Info
}

// guard bounds every wait of these tests: reaching it is a failure, never a step.
const guard = 10 * time.Second

// offFrame builds an Ethernet frame of size bytes (>= 18) with ethertype etype and seq in bytes
// 14..17.
func offFrame(seq, size int, etype uint16) []byte {
	b := make([]byte, size)
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 0x01})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 0x02})
	binary.BigEndian.PutUint16(b[12:], etype)
	binary.BigEndian.PutUint32(b[14:], uint32(seq))
	for i := 18; i < size; i++ {
		b[i] = byte(i*7 + seq)
	}
	return b
}

// testRecords returns n records: ethertypes alternating between testEtherType (even seq) and
// IPv4 (odd), sizes from 60 to 9000 bytes, times to the nanosecond, wire lengths above the
// captured one for every third, interfaces 7 and 9 alternating, every packet type, and, at
// index 5, a record of 0 bytes.
func testRecords(n int) []rec {
	sizes := []int{60, 64, 1514, 99, 128, 0, 9000, 333}
	types := []PacketType{PacketHost, PacketBroadcast, PacketMulticast, PacketOtherHost, PacketOutgoing}
	out := make([]rec, n)
	for i := range out {
		etype := uint16(testEtherType)
		if i%2 == 1 {
			etype = uint16(ProtoIP)
		}
		var data []byte
		if size := sizes[i%len(sizes)]; size > 0 {
			data = offFrame(i, size, etype)
		}
		wire := len(data)
		if i%3 == 2 && wire > 0 {
			wire += 100
		}
		ifindex := int32(7)
		if i%2 == 1 {
			ifindex = 9
		}
		out[i] = rec{data, Info{
			Time:    time.Unix(1700000000+int64(i), int64((i*123456789+987)%1e9)),
			CapLen:  len(data),
			Len:     wire,
			Ifindex: ifindex,
			PktType: types[i%len(types)],
		}}
	}
	return out
}

// writeSavefile writes recs to a new savefile in t's temporary directory and returns its path.
func writeSavefile(t testing.TB, name string, dlt uint16, snaplen uint32, flags DumpFlags, recs []rec) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	d, err := NewDumper(path, dlt, snaplen, flags)
	if err != nil {
		t.Fatalf("NewDumper(%s): %v", path, err)
	}
	for i, r := range recs {
		if err := d.Write(r.data, r.info); err != nil {
			t.Fatalf("Dumper.Write %d: %v", i, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Dumper.Close: %v", err)
	}
	return path
}

// expected is what a reader of the file that writeSavefile made of recs returns.
func expected(recs []rec, dlt uint16, snaplen uint32, flags DumpFlags) []rec {
	ifaces := map[int32]int32{} // pcapng: the dumper's ifindex -> the file's interface number
	out := make([]rec, len(recs))
	for i, r := range recs {
		data := r.data
		if snaplen > 0 && len(data) > int(snaplen) {
			data = data[:snaplen]
		}
		tm := r.info.Time
		if flags&DumpNano == 0 {
			tm = tm.Truncate(time.Microsecond)
		}
		wire := r.info.Len
		if wire < len(r.data) {
			wire = len(r.data)
		}
		var ifindex int32
		pktType := PacketHost
		if flags&DumpPcapng != 0 {
			n, ok := ifaces[r.info.Ifindex]
			if !ok {
				n = int32(len(ifaces))
				ifaces[r.info.Ifindex] = n
			}
			ifindex, pktType = n, r.info.PktType
		}
		out[i] = rec{data, Info{
			Time:    tm,
			CapLen:  len(data),
			Len:     wire,
			Ifindex: ifindex,
			Link:    Link{LinkType: LinkType(dlt)},
			PktType: pktType,
		}}
	}
	return out
}

// checkRecs compares what was read with what was expected: bytes, lengths, times to the
// nanosecond and the rest of Info.
func checkRecs(t *testing.T, what string, got, want []rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d packets, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !bytes.Equal(g.data, w.data) || len(g.data) != g.info.CapLen {
			t.Fatalf("%s: packet %d: %d bytes % x..., CapLen %d; want %d bytes % x...", what, i,
				len(g.data), head(g.data), g.info.CapLen, len(w.data), head(w.data))
		}
		if !g.info.Time.Equal(w.info.Time) {
			t.Errorf("%s: packet %d: time %s, want %s", what, i,
				g.info.Time.UTC().Format(time.RFC3339Nano), w.info.Time.UTC().Format(time.RFC3339Nano))
		}
		gi, wi := g.info, w.info
		gi.Time, wi.Time = time.Time{}, time.Time{}
		if gi != wi {
			t.Errorf("%s: packet %d: info %+v, want %+v", what, i, gi, wi)
		}
	}
}

func mustOpenOffline(t testing.TB, path string, c *Config) *Handle {
	t.Helper()
	h, err := OpenOffline(path, c)
	if err != nil {
		t.Fatalf("OpenOffline(%s): %v", path, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// The read paths, each reading a handle until its first error, which they return. Nil reads
// are skipped; nils counts them.

func readAllRead(h *Handle) (recs []rec, nils int, err error) {
	for {
		data, info, err := h.Read(true)
		if err != nil {
			return recs, nils, err
		}
		if info == nil {
			nils++
			continue
		}
		if data == nil {
			return recs, nils, fmt.Errorf("Read: nil data with an Info")
		}
		recs = append(recs, rec{data, *info})
	}
}

func readAllZeroCopy(h *Handle) (recs []rec, nils int, err error) {
	for {
		data, info, err := h.ReadZeroCopy(true)
		if err != nil {
			return recs, nils, err
		}
		if data == nil && info == (Info{}) {
			nils++
			continue
		}
		recs = append(recs, rec{append([]byte{}, data...), info})
	}
}

func readAllBatch(h *Handle) (recs []rec, nils int, err error) {
	pkts := make([]Packet, 3)
	for {
		n, err := h.ReadBatch(true, pkts)
		if err != nil {
			return recs, nils, err
		}
		if n == 0 {
			nils++
		}
		for _, p := range pkts[:n] {
			recs = append(recs, rec{append([]byte{}, p.Data...), p.Info})
		}
	}
}

func readAllLoop(h *Handle) (recs []rec, nils int, err error) {
	err = h.Loop(0, func(data []byte, info *Info) {
		recs = append(recs, rec{append([]byte{}, data...), *info})
	})
	if err == nil {
		err = syscall.ENODATA // what the reads return at the end
	}
	return recs, 0, err
}

var readPaths = []struct {
	name string
	read func(*Handle) ([]rec, int, error)
}{
	{"Read", readAllRead},
	{"ReadZeroCopy", readAllZeroCopy},
	{"ReadBatch", readAllBatch},
	{"Loop", readAllLoop},
}

func TestOfflineFormats(t *testing.T) {
	recs := testRecords(40)
	for _, f := range []struct {
		name    string
		flags   DumpFlags
		snaplen uint32
	}{
		{"pcap-us.pcap", 0, 0},
		{"pcap-ns.pcap", DumpNano, 0},
		{"pcapng-ns.pcapng", DumpPcapng | DumpNano, 0},
		{"pcapng-us.pcapng", DumpPcapng, 0},
		{"pcap-snap.pcap", DumpNano, 100},
		{"pcapng-snap.pcapng", DumpPcapng | DumpNano, 100},
	} {
		path := writeSavefile(t, f.name, DLTEN10MB, f.snaplen, f.flags, recs)
		want := expected(recs, DLTEN10MB, f.snaplen, f.flags)
		for _, rp := range readPaths {
			for _, ahead := range []int{1, 16} {
				what := fmt.Sprintf("%s, %s, ReadAhead %d", f.name, rp.name, ahead)
				h := mustOpenOffline(t, path, &Config{ReadAhead: ahead})
				got, nils, err := rp.read(h)
				if !errors.Is(err, syscall.ENODATA) || !IsEndOfFile(err) || err != syscall.ENODATA {
					t.Fatalf("%s: ended with %v, want syscall.ENODATA", what, err)
				}
				if nils != 0 {
					t.Errorf("%s: %d nil reads without a filter", what, nils)
				}
				checkRecs(t, what, got, want)
				// The end sticks.
				if _, _, err := h.Read(true); err != syscall.ENODATA {
					t.Errorf("%s: Read after the end: %v", what, err)
				}
				if n, err := h.ReadBatch(false, make([]Packet, 4)); n != 0 || err != syscall.ENODATA {
					t.Errorf("%s: ReadBatch after the end: %d, %v", what, n, err)
				}
				if err := h.Loop(0, func([]byte, *Info) { t.Error("Loop after the end called fn") }); err != nil {
					t.Errorf("%s: Loop after the end: %v", what, err)
				}
				if st := h.Stats(true); st.Recvs != uint64(len(recs)) || st.Drops != 0 {
					t.Errorf("%s: Stats %+v, want %d records", what, *st, len(recs))
				}
				if err := h.Close(); err != nil {
					t.Fatalf("%s: Close: %v", what, err)
				}
			}
		}
	}
}

func TestOfflineHandle(t *testing.T) {
	recs := testRecords(8)
	path := writeSavefile(t, "h.pcap", DLTEN10MB, 0, DumpNano, recs)
	c := DefaultConfig()
	c.Snaplen = 50
	c.ReadAhead = 4
	h := mustOpenOffline(t, path, c)
	if h.LinkType() != LinkTypeNone || h.DLT() != DLTEN10MB {
		t.Errorf("LinkType %v DLT %d, want none and %d", h.LinkType(), h.DLT(), DLTEN10MB)
	}
	if fd := h.Fd(); fd == ^uintptr(0) || int(fd) < 0 {
		t.Errorf("Fd() = %d", fd)
	}
	if got := h.Config(); got.Snaplen != 50 || got.ReadAhead != 4 || got.MaxNilRead != 1024 || got.Proto != ProtoAll {
		t.Errorf("Config() = %+v", *got)
	}
	if dlt, snap, err := h.OfflineInterface(0); err != nil || dlt != DLTEN10MB || snap != 262144 {
		t.Errorf("OfflineInterface(0) = %d, %d, %v; want %d, 262144", dlt, snap, err, DLTEN10MB)
	}
	if _, _, err := h.OfflineInterface(1); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("OfflineInterface(1) of a pcap file: %v, want ENOENT", err)
	}
	// Snaplen cuts the bytes, not the wire length.
	got, _, err := readAllBatch(h)
	if err != syscall.ENODATA {
		t.Fatalf("ReadBatch: %v", err)
	}
	checkRecs(t, "Snaplen 50", got, expected(recs, DLTEN10MB, 50, DumpNano))

	// Sending and fanout make no sense on a savefile.
	frame := offFrame(0, 60, testEtherType)
	if _, err := h.Write(frame, nil, 0); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("Write: %v, want EOPNOTSUPP", err)
	}
	if _, err := h.WriteBatch([][]byte{frame}); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("WriteBatch: %v, want EOPNOTSUPP", err)
	}
	if err := h.Flush(); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("Flush: %v, want EOPNOTSUPP", err)
	}
	if err := h.SetFanout(FanoutHash, 1, 0); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("SetFanout: %v, want EOPNOTSUPP", err)
	}
	if _, err := h.FanoutGroup(); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("FanoutGroup: %v, want EOPNOTSUPP", err)
	}

	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Read(true); err != syscall.EINVAL {
		t.Errorf("Read after Close: %v", err)
	}
	if err := h.Loop(0, func([]byte, *Info) {}); err != syscall.EINVAL {
		t.Errorf("Loop after Close: %v", err)
	}
	if _, _, err := h.OfflineInterface(0); err != syscall.EINVAL {
		t.Errorf("OfflineInterface after Close: %v", err)
	}
	if h.Fd() != ^uintptr(0) {
		t.Errorf("Fd after Close: %d", h.Fd())
	}

	// Microseconds on request.
	h = mustOpenOffline(t, path, &Config{TstampResolution: TstampMicro})
	got, _, _ = readAllRead(h)
	checkRecs(t, "TstampMicro", got, expected(recs, DLTEN10MB, 0, 0))
}

func TestOfflinePcapngInterfaces(t *testing.T) {
	recs := testRecords(6)
	path := writeSavefile(t, "ifaces.pcapng", DLTEN10MB, 1000, DumpPcapng|DumpNano, recs)
	h := mustOpenOffline(t, path, nil)
	if dlt, snap, err := h.OfflineInterface(0); err != nil || dlt != DLTEN10MB || snap != 1000 {
		t.Errorf("OfflineInterface(0) at the open: %d, %d, %v", dlt, snap, err)
	}
	// The second interface's description block comes before the second packet: not read yet.
	if _, _, err := h.OfflineInterface(1); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("OfflineInterface(1) at the open: %v, want ENOENT", err)
	}
	got, _, err := readAllLoop(h)
	if err != syscall.ENODATA {
		t.Fatal(err)
	}
	checkRecs(t, "pcapng", got, expected(recs, DLTEN10MB, 1000, DumpPcapng|DumpNano))
	for _, r := range got {
		dlt, snap, err := h.OfflineInterface(r.info.Ifindex)
		if err != nil || dlt != uint16(r.info.Link.LinkType) || snap != 1000 {
			t.Errorf("OfflineInterface(%d) = %d, %d, %v", r.info.Ifindex, dlt, snap, err)
		}
	}
	_, _, err = h.OfflineInterface(2)
	var se *os.SyscallError
	if !errors.Is(err, syscall.ENOENT) || !errors.As(err, &se) {
		t.Errorf("OfflineInterface(2): %v (%T), want an *os.SyscallError wrapping ENOENT", err, err)
	}

	// Another link type: Info.Link.LinkType and DLT say the file's, LinkType none.
	user := []rec{{[]byte("not ethernet"), Info{Time: time.Unix(1, 5), Ifindex: 3}}}
	path = writeSavefile(t, "user0.pcapng", DLTUser0, 0, DumpPcapng|DumpNano, user)
	h = mustOpenOffline(t, path, nil)
	if h.DLT() != DLTUser0 || h.LinkType() != LinkTypeNone {
		t.Errorf("DLT %d LinkType %v", h.DLT(), h.LinkType())
	}
	got, _, _ = readAllRead(h)
	checkRecs(t, "USER0", got, expected(user, DLTUser0, 0, DumpPcapng|DumpNano))
}

func TestOfflineOpenFile(t *testing.T) {
	recs := testRecords(12)
	path := writeSavefile(t, "f.pcapng", DLTEN10MB, 0, DumpPcapng|DumpNano, recs)
	want := expected(recs, DLTEN10MB, 0, DumpPcapng|DumpNano)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// From the file's current offset, past 100 bytes of something else.
	prefixed := filepath.Join(t.TempDir(), "prefixed")
	if err := os.WriteFile(prefixed, append(bytes.Repeat([]byte{0xee}, 100), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(prefixed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(100, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	h, err := OpenOfflineFile(f, nil)
	if err != nil {
		t.Fatalf("OpenOfflineFile: %v", err)
	}
	defer h.Close()
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 100 {
		t.Errorf("offset after OpenOfflineFile: %d, %v; want 100 (mapped, left where it was)", off, err)
	}
	// The handle has its own descriptor: the caller may close f at once.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, err := readAllBatch(h)
	if err != syscall.ENODATA {
		t.Fatal(err)
	}
	checkRecs(t, "OpenOfflineFile", got, want)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}

	// nil and closed files.
	if _, err := OpenOfflineFile(nil, nil); !errors.Is(err, syscall.EBADF) {
		t.Errorf("OpenOfflineFile(nil): %v, want EBADF", err)
	}
	if _, err := OpenOfflineFile(f, nil); !errors.Is(err, syscall.EBADF) {
		t.Errorf("OpenOfflineFile(closed file): %v, want EBADF", err)
	}

	// A pipe, written by another goroutine in pieces that split blocks: read as a stream.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wrote := make(chan error, 1)
	go func() {
		defer w.Close()
		for off := 0; off < len(b); off += 777 {
			end := off + 777
			if end > len(b) {
				end = len(b)
			}
			if _, err := w.Write(b[off:end]); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	h, err = OpenOfflineFile(r, &Config{ReadAhead: 8})
	if err != nil {
		t.Fatalf("OpenOfflineFile(pipe): %v", err)
	}
	defer h.Close()
	got, _, err = readAllRead(h)
	if err != syscall.ENODATA {
		t.Fatalf("reading the pipe: %v", err)
	}
	checkRecs(t, "pipe", got, want)
	if err := <-wrote; err != nil {
		t.Fatalf("writing the pipe: %v", err)
	}
}

func TestOfflineStdin(t *testing.T) {
	recs := testRecords(5)
	path := writeSavefile(t, "stdin.pcap", DLTEN10MB, 0, DumpNano, recs)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Descriptor 0 becomes the file while "-" is opened (the handle duplicates it), then is put
	// back.
	saved, err := syscall.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(f.Fd()), 0, 0); err != nil {
		t.Fatal(err)
	}
	h, err := OpenOffline("-", nil)
	if err2 := syscall.Dup3(saved, 0, 0); err2 != nil {
		t.Fatalf("restoring stdin: %v", err2)
	}
	syscall.Close(saved)
	if err != nil {
		t.Fatalf(`OpenOffline("-"): %v`, err)
	}
	defer h.Close()
	got, _, err := readAllZeroCopy(h)
	if err != syscall.ENODATA {
		t.Fatal(err)
	}
	checkRecs(t, "stdin", got, expected(recs, DLTEN10MB, 0, DumpNano))
}

func TestOfflineOpenErrors(t *testing.T) {
	dir := t.TempDir()
	var se *os.SyscallError
	_, err := OpenOffline(filepath.Join(dir, "missing.pcap"), nil)
	if !errors.Is(err, syscall.ENOENT) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &se) {
		t.Errorf("missing file: %v (%T), want an *os.SyscallError wrapping ENOENT", err, err)
	} else {
		t.Logf("missing file: %v", err)
	}
	if _, err := OpenOffline(dir, nil); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("directory: %v, want EISDIR", err)
	}
	if _, err := OpenOffline("a\x00b", nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NUL in the path: %v, want EINVAL", err)
	}
	for _, bad := range []struct {
		name, text string
		data       []byte
	}{
		{"text", "not a pcap or pcapng file", []byte("hello, this is not a capture file\n")},
		{"elf", "7f 45 4c 46", append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, make([]byte, 56)...)},
		{"empty", "", nil},
		{"cut header", "", []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}},
	} {
		path := filepath.Join(dir, bad.name)
		if err := os.WriteFile(path, bad.data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := OpenOffline(path, nil)
		if !errors.Is(err, syscall.EBADMSG) || !errors.As(err, &se) || !strings.Contains(err.Error(), bad.text) {
			t.Errorf("%s: %v (%T), want EBADMSG saying %q", bad.name, err, err, bad.text)
		} else {
			t.Logf("%s: %v", bad.name, err)
		}
	}
	// What a savefile cannot select by, and bad filters.
	path := writeSavefile(t, "ok.pcap", DLTEN10MB, 0, 0, testRecords(2))
	for _, c := range []*Config{
		{Direction: DirIn},
		{Proto: ProtoIP},
		{Filter: []bpf.RawInstruction{{Op: 0xffff}}},
	} {
		if _, err := OpenOffline(path, c); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("config %+v: %v, want EINVAL", *c, err)
		}
	}
}

// pcapOffsets returns the byte offset of each record of a pcap file.
func pcapOffsets(t *testing.T, b []byte) []int {
	t.Helper()
	var offs []int
	for off := 24; off < len(b); {
		offs = append(offs, off)
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return offs
}

func TestOfflineDamaged(t *testing.T) {
	recs := testRecords(7)
	path := writeSavefile(t, "whole.pcap", DLTEN10MB, 0, DumpNano, recs)
	want := expected(recs, DLTEN10MB, 0, DumpNano)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	offs := pcapOffsets(t, b)
	last := offs[len(offs)-1]
	for _, cut := range []struct {
		name string
		size int
	}{
		{"in the last record's bytes", last + 16 + 10},
		{"in the last record's header", last + 8},
	} {
		trunc := filepath.Join(t.TempDir(), "cut.pcap")
		if err := os.WriteFile(trunc, b[:cut.size], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, rp := range readPaths {
			what := fmt.Sprintf("cut %s, %s", cut.name, rp.name)
			h := mustOpenOffline(t, trunc, nil)
			got, _, err := rp.read(h)
			checkRecs(t, what, got, want[:len(want)-1])
			var se *os.SyscallError
			if !errors.Is(err, syscall.EBADMSG) || !errors.As(err, &se) ||
				!strings.Contains(err.Error(), fmt.Sprintf("byte %d", last)) {
				t.Fatalf("%s: ended with %v (%T), want EBADMSG at byte %d", what, err, err, last)
			}
			if rp.name == "Read" {
				t.Logf("%s: %v", what, err)
			}
			// Every later read says it again.
			if _, _, err2 := h.Read(true); !errors.Is(err2, syscall.EBADMSG) || err2.Error() != err.Error() {
				t.Errorf("%s: the next Read: %v", what, err2)
			}
			if err2 := h.Loop(0, func([]byte, *Info) {}); !errors.Is(err2, syscall.EBADMSG) {
				t.Errorf("%s: Loop after it: %v", what, err2)
			}
			if Temporary(err) || IsEndOfFile(err) {
				t.Errorf("%s: EBADMSG is temporary or the end", what)
			}
		}
	}

	// A pcapng file cut inside a block.
	ng := writeSavefile(t, "whole.pcapng", DLTEN10MB, 0, DumpPcapng|DumpNano, recs)
	nb, err := os.ReadFile(ng)
	if err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(t.TempDir(), "cut.pcapng")
	if err := os.WriteFile(trunc, nb[:len(nb)-30], 0o600); err != nil {
		t.Fatal(err)
	}
	h := mustOpenOffline(t, trunc, nil)
	got, _, err := readAllBatch(h)
	if !errors.Is(err, syscall.EBADMSG) {
		t.Fatalf("cut pcapng: %v, want EBADMSG", err)
	}
	checkRecs(t, "cut pcapng", got, expected(recs, DLTEN10MB, 0, DumpPcapng|DumpNano)[:len(recs)-1])
}

func TestOfflineFilters(t *testing.T) {
	recs := testRecords(16)
	path := writeSavefile(t, "filter.pcap", DLTEN10MB, 0, DumpNano, recs)
	all := expected(recs, DLTEN10MB, 0, DumpNano)
	var test []rec // the frames of testEtherType
	for _, r := range all {
		if len(r.data) >= 14 && binary.BigEndian.Uint16(r.data[12:]) == testEtherType {
			test = append(test, r)
		}
	}
	prog, err := CompileFilter(fmt.Sprintf("ether proto %#x", testEtherType), DLTEN10MB, 0, true, false)
	if err != nil {
		t.Fatal(err)
	}

	// At the open.
	h := mustOpenOffline(t, path, &Config{Filter: prog})
	got, _, err := readAllRead(h)
	if err != syscall.ENODATA {
		t.Fatal(err)
	}
	checkRecs(t, "Config.Filter", got, test)
	if st := h.Stats(true); st.Recvs != uint64(len(recs)) {
		t.Errorf("Stats.Recvs %d, want %d (the filtered-out records too)", st.Recvs, len(recs))
	}

	// SetBPF between reads, SetFilter (the offline form), SetBPF(nil), a raw program cutting
	// the bytes, and an invalid one.
	h = mustOpenOffline(t, path, nil)
	pkts := make([]Packet, 2)
	var mixed []rec
	if n, err := h.ReadBatch(true, pkts); n != 2 || err != nil {
		t.Fatalf("ReadBatch: %d, %v", n, err)
	}
	for _, p := range pkts {
		mixed = append(mixed, rec{append([]byte{}, p.Data...), p.Info})
	}
	if err := h.SetBPF(prog); err != nil {
		t.Fatalf("SetBPF: %v", err)
	}
	if len(h.Config().Filter) != len(prog) {
		t.Errorf("Config().Filter has %d instructions, want %d", len(h.Config().Filter), len(prog))
	}
	// testEtherType frames have even seq: packets 2 and 4 pass next.
	err = h.Loop(2, func(data []byte, info *Info) { mixed = append(mixed, rec{append([]byte{}, data...), *info}) })
	if err != nil {
		t.Fatalf("Loop(2): %v", err)
	}
	// The live form tests "not vlan" with the kernel's metadata, which a savefile lacks: it
	// would reject every packet.
	if err := h.SetFilter("ip and not vlan"); err != nil {
		t.Fatalf("SetFilter: %v", err)
	}
	live, _ := CompileFilter("ip and not vlan", DLTEN10MB, 0, true, true)
	if off := h.Config().Filter; fmt.Sprint(off) == fmt.Sprint(live) {
		t.Errorf("SetFilter installed the live form on a savefile handle")
	}
	data, info, err := h.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	mixed = append(mixed, rec{data, *info})
	want := []rec{all[0], all[1], all[2], all[4], all[7]} // 7: the first IPv4 frame after 4
	checkRecs(t, "SetBPF, Loop, SetFilter", mixed, want)
	if err := h.SetBPF([]bpf.RawInstruction{{Op: 0xffff}}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("SetBPF(invalid): %v, want EINVAL", err)
	}
	cut, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 20}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetBPF(cut); err != nil {
		t.Fatal(err)
	}
	data, info, err = h.Read(true)
	if err != nil || info.CapLen != 20 || len(data) != 20 || info.Len != all[8].info.Len || !bytes.Equal(data, all[8].data[:20]) {
		t.Errorf("after ret #20: %d bytes, %+v, %v", len(data), info, err)
	}
	if err := h.SetBPF(nil); err != nil {
		t.Fatal(err)
	}
	got, _, err = readAllZeroCopy(h)
	if err != syscall.ENODATA {
		t.Fatal(err)
	}
	checkRecs(t, "SetBPF(nil)", got, all[9:])

	// Nil reads: a filter that rejects everything, MaxNilRead 3.
	reject, _ := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	for _, rp := range readPaths {
		h := mustOpenOffline(t, path, &Config{Filter: reject, MaxNilRead: 3})
		got, nils, err := rp.read(h)
		if len(got) != 0 || err != syscall.ENODATA {
			t.Errorf("%s, reject all: %d packets, %v", rp.name, len(got), err)
		}
		if rp.name != "Loop" && nils != len(recs)/3 {
			t.Errorf("%s, reject all: %d nil reads, want %d", rp.name, nils, len(recs)/3)
		}
	}
}

func TestOfflineLoop(t *testing.T) {
	recs := testRecords(20)
	path := writeSavefile(t, "loop.pcapng", DLTEN10MB, 0, DumpPcapng|DumpNano, recs)
	want := expected(recs, DLTEN10MB, 0, DumpPcapng|DumpNano)
	h := mustOpenOffline(t, path, nil)
	var got []rec
	keep := func(data []byte, info *Info) { got = append(got, rec{append([]byte{}, data...), *info}) }

	if err := h.Loop(0, nil); err != syscall.EINVAL {
		t.Errorf("Loop with a nil fn: %v", err)
	}
	// cnt packets, then the next cnt.
	if err := h.Loop(3, keep); err != nil {
		t.Fatalf("Loop(3): %v", err)
	}
	checkRecs(t, "Loop(3)", got, want[:3])
	if err := h.Loop(2, keep); err != nil {
		t.Fatalf("Loop(2): %v", err)
	}
	checkRecs(t, "Loop(2)", got, want[:5])

	// BreakLoop from fn ends Loop after that packet; the rest is read normally (no second
	// break), by Read, then Loop.
	n := 0
	err := h.Loop(0, func(data []byte, info *Info) {
		keep(data, info)
		if n++; n == 3 {
			if err := h.BreakLoop(); err != nil {
				t.Errorf("BreakLoop in fn: %v", err)
			}
		}
	})
	var se *os.SyscallError
	if !errors.Is(err, syscall.EINTR) || !errors.As(err, &se) || !Temporary(err) || n != 3 {
		t.Fatalf("Loop with BreakLoop in fn: %v after %d packets, want EINTR after 3", err, n)
	}
	data, info, err := h.Read(true)
	if err != nil {
		t.Fatalf("Read after the break: %v", err)
	}
	keep(data, info)
	checkRecs(t, "after the break", got, want[:9])

	// A break before Loop is taken at once, with no packet.
	h.BreakLoop()
	if err := h.Loop(0, func([]byte, *Info) { t.Error("fn called after an earlier BreakLoop") }); !errors.Is(err, syscall.EINTR) {
		t.Fatalf("Loop after an earlier BreakLoop: %v", err)
	}
	// A panic in fn leaves the handle usable and that packet consumed.
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v", r)
			}
		}()
		h.Loop(0, func([]byte, *Info) { panic("boom") })
	}()
	// cnt beyond the end: the rest, then nil at the end.
	if err := h.Loop(100, keep); err != nil {
		t.Fatalf("Loop(100) to the end: %v", err)
	}
	checkRecs(t, "Loop to the end", got, append(want[:9:9], want[10:]...))
	if err := h.Loop(0, keep); err != nil {
		t.Errorf("Loop at the end: %v", err)
	}

	// Loop after read-ahead: the packets read ahead first.
	h = mustOpenOffline(t, path, &Config{ReadAhead: 6})
	got = nil
	data, info, err = h.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	keep(data, info)
	if err := h.Loop(0, keep); err != nil {
		t.Fatal(err)
	}
	checkRecs(t, "Read, then Loop", got, want)
}

// pcapPieces splits a pcap file into its header and its records' bytes.
func pcapPieces(t *testing.T, b []byte) (hdr []byte, recs [][]byte) {
	t.Helper()
	offs := append(pcapOffsets(t, b), len(b))
	for i := 0; i+1 < len(offs); i++ {
		recs = append(recs, b[offs[i]:offs[i+1]])
	}
	return b[:24], recs
}

// streamLoop is a handle reading a pipe that the test writes, with a Loop running on it.
type streamLoop struct {
	h    *Handle
	w    *os.File
	got  chan rec   // each packet Loop handed to fn, copied
	done chan error // Loop's result
}

func startStreamLoop(t *testing.T, hdr []byte, fn func(data []byte, info *Info)) *streamLoop {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := w.Write(hdr); err != nil { // the pipe holds it: the open finds it there
		t.Fatal(err)
	}
	h, err := OpenOfflineFile(r, nil)
	r.Close()
	if err != nil {
		t.Fatalf("OpenOfflineFile(pipe): %v", err)
	}
	t.Cleanup(func() { h.Close() })
	s := &streamLoop{h: h, w: w, got: make(chan rec, 1000), done: make(chan error, 1)}
	go func() {
		s.done <- h.Loop(0, func(data []byte, info *Info) {
			if fn != nil {
				fn(data, info)
			}
			s.got <- rec{append([]byte{}, data...), *info}
		})
	}()
	return s
}

func (s *streamLoop) write(t *testing.T, pieces ...[]byte) {
	t.Helper()
	for _, p := range pieces {
		if _, err := s.w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
}

// expect waits for the next packets that Loop hands out.
func (s *streamLoop) expect(t *testing.T, want []rec) {
	t.Helper()
	var got []rec
	for len(got) < len(want) {
		select {
		case r := <-s.got:
			got = append(got, r)
		case err := <-s.done:
			t.Fatalf("Loop returned %v after %d of %d packets", err, len(got), len(want))
		case <-time.After(guard):
			t.Fatalf("Loop handed out %d of %d packets in %v", len(got), len(want), guard)
		}
	}
	checkRecs(t, "stream", got, want)
}

func (s *streamLoop) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(guard):
		t.Fatalf("Loop did not return in %v", guard)
		return nil
	}
}

func TestOfflineLoopBreakOnPipe(t *testing.T) {
	recs := testRecords(9)
	path := writeSavefile(t, "stream.pcap", DLTEN10MB, 0, DumpNano, recs)
	want := expected(recs, DLTEN10MB, 0, DumpNano)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hdr, pieces := pcapPieces(t, b)
	s := startStreamLoop(t, hdr, nil)
	// Fed slowly: three records and half of the fourth, then the rest of it and the fifth.
	half := len(pieces[3]) / 2
	s.write(t, pieces[0], pieces[1], pieces[2], pieces[3][:half])
	s.expect(t, want[:3])
	s.write(t, pieces[3][half:], pieces[4])
	s.expect(t, want[3:5])
	// Loop now waits for the pipe (or is about to): BreakLoop ends it.
	if err := s.h.BreakLoop(); err != nil {
		t.Fatal(err)
	}
	if err := s.result(t); !errors.Is(err, syscall.EINTR) {
		t.Fatalf("Loop after BreakLoop: %v, want EINTR", err)
	}
	// The break was taken once: the stream goes on.
	s.write(t, pieces[5:]...)
	s.w.Close()
	got, _, err := readAllBatch(s.h)
	if err != syscall.ENODATA {
		t.Fatalf("reading the rest: %v", err)
	}
	checkRecs(t, "after the break", got, want[5:])
}

func TestOfflineCloseDuringLoop(t *testing.T) {
	recs := testRecords(4)
	path := writeSavefile(t, "close.pcap", DLTEN10MB, 0, DumpNano, recs)
	want := expected(recs, DLTEN10MB, 0, DumpNano)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hdr, pieces := pcapPieces(t, b)

	// Close while Loop waits for a pipe: Loop returns EINVAL.
	s := startStreamLoop(t, hdr, nil)
	s.write(t, pieces[0], pieces[1])
	s.expect(t, want[:2])
	if err := s.h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.result(t); err != syscall.EINVAL {
		t.Fatalf("Loop after Close: %v, want EINVAL", err)
	}

	// Close while fn runs on a mapped file: Close waits for fn, whose data stays readable.
	h, err := OpenOffline(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	inFn, proceed, closed := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	loopDone := make(chan error, 1)
	calls := 0
	go func() {
		loopDone <- h.Loop(0, func(data []byte, info *Info) {
			if calls++; calls > 1 {
				t.Error("Loop went on after Close")
				return
			}
			close(inFn)
			<-proceed
			if !bytes.Equal(data, want[0].data) {
				t.Error("fn's data changed while Close waited")
			}
		})
	}()
	select {
	case <-inFn:
	case <-time.After(guard):
		t.Fatal("fn was not called")
	}
	go func() { closed <- h.Close() }()
	// Close has begun once the handle says so; it cannot finish while fn runs.
	for deadline := time.Now().Add(guard); h.closed.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Close did not start")
		}
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while fn ran", err)
	default:
	}
	close(proceed)
	select {
	case err := <-loopDone:
		if err != syscall.EINVAL {
			t.Errorf("Loop ended by Close: %v, want EINVAL", err)
		}
	case <-time.After(guard):
		t.Fatal("Loop did not return after Close")
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("Close did not return")
	}
}

func TestLoopLive(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.ReadTimeout = 300
	rx := l.open(t, c)
	tx := l.sender(t)
	if _, _, err := rx.OfflineInterface(0); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("OfflineInterface on a live handle: %v, want EOPNOTSUPP", err)
	}
	frames := l.frames(0xd0, 7)
	send(t, tx, frames)
	var got [][]byte
	keep := func(data []byte, info *Info) {
		l.checkInfo(t, "Loop", info, data)
		got = append(got, append([]byte(nil), data...))
	}
	if err := rx.Loop(5, keep); err != nil {
		t.Fatalf("Loop(5): %v", err)
	}
	// The rest, then ReadTimeout ends it.
	if err := rx.Loop(0, keep); err != syscall.ETIMEDOUT {
		t.Fatalf("Loop(0) after the last frame: %v, want ETIMEDOUT", err)
	}
	if len(got) != len(frames) {
		t.Fatalf("Loop: %d frames, want %d", len(got), len(frames))
	}
	for i := range got {
		equalOrDiff(t, fmt.Sprintf("frame %d", i), got[i], frames[i])
	}

	// BreakLoop from another goroutine while Loop waits (no timeout).
	c = rxConfig()
	c.ReadTimeout = 0
	rx = l.open(t, c)
	started := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- rx.Loop(0, func(data []byte, info *Info) { once.Do(func() { close(started) }) })
	}()
	send(t, tx, [][]byte{l.frame(0xd1, 0, 60)})
	select {
	case <-started:
	case <-time.After(guard):
		t.Fatal("Loop did not hand out the frame")
	}
	if err := rx.BreakLoop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EINTR) {
			t.Fatalf("Loop after BreakLoop: %v, want EINTR", err)
		}
	case <-time.After(guard):
		t.Fatal("BreakLoop did not end Loop")
	}

	// A NonBlock handle: EAGAIN as soon as nothing is ready.
	c = rxConfig()
	c.NonBlock = true
	rx = l.open(t, c)
	if err := rx.Loop(0, func([]byte, *Info) {}); err != syscall.EAGAIN {
		t.Errorf("Loop on an idle NonBlock handle: %v, want EAGAIN", err)
	}
}

// benchFile is a savefile of n 64-byte frames.
func benchFile(b *testing.B, n int) string {
	b.Helper()
	recs := make([]rec, n)
	base := time.Unix(1700000000, 0)
	for i := range recs {
		f := offFrame(i, 64, testEtherType)
		recs[i] = rec{f, Info{Time: base.Add(time.Duration(i) * time.Microsecond), Len: len(f)}}
	}
	return writeSavefile(b, "bench.pcap", DLTEN10MB, 0, DumpNano, recs)
}

// benchOffline reads b.N packets with read, reopening the file at its end, and reports the
// time per packet.
func benchOffline(b *testing.B, c *Config, read func(h *Handle, want int, sink *byte) (int, error)) {
	const n = 1 << 16
	path := benchFile(b, n)
	h := mustOpenOffline(b, path, c)
	var sink byte
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		got, err := read(h, b.N-done, &sink)
		done += got
		if err == syscall.ENODATA {
			h.Close()
			if h, err = OpenOffline(path, c); err != nil {
				b.Fatal(err)
			}
		} else if err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.StopTimer()
	h.Close()
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N), "ns/pkt")
	_ = sink
}

// BenchmarkOfflineReadBatch reads a mapped pcap file of 64-byte frames with ReadBatch, 256 per
// call, touching each packet's first byte.
func BenchmarkOfflineReadBatch(b *testing.B) {
	pkts := make([]Packet, 256)
	benchOffline(b, nil, func(h *Handle, want int, sink *byte) (int, error) {
		if want > len(pkts) {
			want = len(pkts)
		}
		n, err := h.ReadBatch(true, pkts[:want])
		for i := range pkts[:n] {
			*sink += pkts[i].Data[0]
		}
		return n, err
	})
}

// BenchmarkOfflineLoop is BenchmarkOfflineReadBatch through Loop.
func BenchmarkOfflineLoop(b *testing.B) {
	benchOffline(b, nil, func(h *Handle, want int, sink *byte) (int, error) {
		n := 0
		err := h.Loop(want, func(data []byte, info *Info) {
			*sink += data[0]
			n++
		})
		if err == nil && n < want {
			err = syscall.ENODATA
		}
		return n, err
	})
}

// BenchmarkOfflineReadZeroCopy is BenchmarkOfflineReadBatch through ReadZeroCopy with
// ReadAhead 64.
func BenchmarkOfflineReadZeroCopy(b *testing.B) {
	benchOffline(b, &Config{ReadAhead: 64}, func(h *Handle, want int, sink *byte) (int, error) {
		data, _, err := h.ReadZeroCopy(true)
		if err != nil {
			return 0, err
		}
		*sink += data[0]
		return 1, nil
	})
}

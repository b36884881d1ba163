//go:build linux && cgo

package packet

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// slimPkt is a copy of what a read returned for one packet.
type slimPkt struct {
	data    []byte
	wireLen int
}

// readAllSlim reads with ReadSlim(true, max) until ReadTimeout, copying every packet; no batch
// may hold more than max packets.
func readAllSlim(t *testing.T, h *Handle, max, limit int) []slimPkt {
	t.Helper()
	var got []slimPkt
	for calls := 0; calls < limit+1100; calls++ { // nil reads: empty batches
		b, err := h.ReadSlim(true, max)
		if errors.Is(err, syscall.ETIMEDOUT) {
			return got
		}
		if err != nil {
			t.Fatalf("ReadSlim after %d packets: %v", len(got), err)
		}
		if b.Len() > max {
			t.Fatalf("ReadSlim(true, %d) returned %d packets", max, b.Len())
		}
		for i := 0; i < b.Len(); i++ {
			got = append(got, slimPkt{append([]byte(nil), b.Data(i)...), b.WireLen(i)})
		}
		if len(got) > limit {
			t.Fatalf("more than %d packets", limit)
		}
	}
	t.Fatalf("no timeout after %d calls", limit+1100)
	return nil
}

// readAllRef is readAllSlim through ReadBatch (pkt_read_batch, the bytes where libpkt left
// them): the reference.
func readAllRef(t *testing.T, h *Handle, limit int) []slimPkt {
	t.Helper()
	var got []slimPkt
	pkts := make([]Packet, 64)
	for calls := 0; calls < limit+1100; calls++ {
		n, err := h.ReadBatch(true, pkts)
		if errors.Is(err, syscall.ETIMEDOUT) {
			return got
		}
		if err != nil {
			t.Fatalf("ReadBatch after %d packets: %v", len(got), err)
		}
		for _, p := range pkts[:n] {
			if p.Info.CapLen != len(p.Data) {
				t.Fatalf("ReadBatch: CapLen %d, %d bytes", p.Info.CapLen, len(p.Data))
			}
			got = append(got, slimPkt{append([]byte(nil), p.Data...), p.Info.Len})
		}
		if len(got) > limit {
			t.Fatalf("more than %d packets", limit)
		}
	}
	t.Fatalf("no timeout after %d calls", limit+1100)
	return nil
}

func compareSlim(t *testing.T, what string, got, want []slimPkt) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d packets, want %d", what, len(got), len(want))
	}
	for i := range want {
		equalOrDiff(t, fmt.Sprintf("%s: packet %d", what, i), got[i].data, want[i].data)
		if got[i].wireLen != want[i].wireLen {
			t.Fatalf("%s: packet %d: WireLen %d, want %d", what, i, got[i].wireLen, want[i].wireLen)
		}
	}
}

// TestReadSlim: ReadSlim and ReadBatch (pkt_read_batch) on two handles see the same traffic
// (sizes 60..1514, 802.1Q-tagged frames whose tag is put back, snap lengths 0 and 100, batches
// of 1, 7, 32 and 256) byte for byte, and both match what was sent.
func TestReadSlim(t *testing.T) {
	l := needLab(t)
	tx := l.sender(t)
	var frames [][]byte
	for i, f := range l.frames(0xa5, 400) {
		if i%5 == 3 {
			f = vlanTag(f, uint16(0x2000|i))
		}
		frames = append(frames, f)
	}
	for _, snaplen := range []uint32{0, 100} {
		for _, max := range []int{1, 7, 32, 256} {
			what := fmt.Sprintf("snaplen %d, max %d", snaplen, max)
			c := rxConfig()
			c.Proto = ProtoAll // a tag hides the test ethertype from the protocol selection
			c.ReadTimeout = 300
			c.ReadBufferSize = 8 << 20
			c.Snaplen = snaplen
			rs, rb := l.open(t, c), l.open(t, c)
			if n, err := tx.WriteBatch(frames); err != nil || n != len(frames) {
				t.Fatalf("WriteBatch: %d, %v", n, err)
			}
			got := readAllSlim(t, rs, max, len(frames))
			ref := readAllRef(t, rb, len(frames))
			var sent []slimPkt
			for _, f := range frames {
				d := f
				if snaplen != 0 && len(d) > int(snaplen) {
					d = d[:snaplen]
				}
				sent = append(sent, slimPkt{d, len(f)})
			}
			compareSlim(t, what+": ReadBatch vs sent", ref, sent)
			compareSlim(t, what+": ReadSlim vs ReadBatch", got, ref)
			rs.Close()
			rb.Close()
		}
	}
}

// TestReadSlimCalls: arguments, the empty ring, allocations, the read-ahead of Read coming
// first, BreakLoop and Close.
func TestReadSlimCalls(t *testing.T) {
	l := needLab(t)
	tx := l.sender(t)
	c := rxConfig()
	c.ReadAhead = 8
	rx := l.open(t, c)
	for _, max := range []int{0, -1} {
		if b, err := rx.ReadSlim(true, max); !errors.Is(err, syscall.EINVAL) || b.Len() != 0 {
			t.Errorf("ReadSlim(true, %d): %d packets, %v; want EINVAL", max, b.Len(), err)
		}
	}
	if b, err := rx.ReadSlim(false, 32); !errors.As(err, new(ErrWouldPoll)) || b.Len() != 0 {
		t.Errorf("ReadSlim(false) on an empty ring: %d packets, %v; want ErrWouldPoll", b.Len(), err)
	}
	if (Slim{}).Len() != 0 {
		t.Errorf("the zero Slim is not empty")
	}

	// Read takes up to 8 ahead; ReadSlim hands out the 7 left first, then reads the ring.
	frames := l.frames(0xa6, 40)
	if n, err := tx.WriteBatch(frames); err != nil || n != len(frames) {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rx.Stats(true).Recvs < uint64(len(frames)) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	data, _, err := rx.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	equalOrDiff(t, "Read", data, frames[0])
	b, err := rx.ReadSlim(true, 32)
	if err != nil || b.Len() != 7 {
		t.Fatalf("ReadSlim after Read with ReadAhead 8: %d packets, %v; want the 7 read ahead", b.Len(), err)
	}
	seen := 1
	for i := 0; i < b.Len(); i++ {
		equalOrDiff(t, fmt.Sprintf("read-ahead packet %d", i), b.Data(i), frames[seen])
		if b.WireLen(i) != len(frames[seen]) {
			t.Errorf("read-ahead packet %d: WireLen %d, want %d", i, b.WireLen(i), len(frames[seen]))
		}
		seen++
	}
	// The rest with small batches; none allocates (the check below does not either).
	var readErr error
	bad := 0
	allocs := testing.AllocsPerRun(8, func() {
		b, err := rx.ReadSlim(true, 3)
		if err != nil {
			readErr = err
			return
		}
		for i := 0; i < b.Len(); i++ {
			if seen >= len(frames) || !bytes.Equal(b.Data(i), frames[seen]) || b.WireLen(i) != len(frames[seen]) {
				bad++
			}
			seen++
		}
	})
	if readErr != nil || bad != 0 {
		t.Fatalf("ReadSlim(true, 3) up to packet %d: %d packets differ from those sent, %v", seen, bad, readErr)
	}
	if allocs != 0 {
		t.Errorf("ReadSlim allocates %.1f times per call", allocs)
	}
	for seen < len(frames) {
		b, err := rx.ReadSlim(true, 64)
		if err != nil {
			t.Fatalf("ReadSlim after %d packets: %v", seen, err)
		}
		for i := 0; i < b.Len(); i++ {
			if seen >= len(frames) {
				t.Fatalf("more packets than sent")
			}
			equalOrDiff(t, fmt.Sprintf("packet %d", seen), b.Data(i), frames[seen])
			seen++
		}
	}
	if b, err := rx.ReadSlim(true, 32); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("ReadSlim after the last frame: %d packets, %v; want ETIMEDOUT", b.Len(), err)
	}

	if err := rx.BreakLoop(); err != nil {
		t.Fatal(err)
	}
	if _, err := rx.ReadSlim(true, 32); !errors.As(err, new(ErrBreakLoop)) {
		t.Errorf("ReadSlim after BreakLoop: %v; want ErrBreakLoop", err)
	}
	rx.Close()
	if b, err := rx.ReadSlim(true, 32); !errors.Is(err, syscall.EINVAL) || b.Len() != 0 {
		t.Errorf("ReadSlim after Close: %d packets, %v; want EINVAL", b.Len(), err)
	}
}

// TestReadSlimOffline: a savefile read with ReadSlim and with ReadBatch on two handles gives
// the same records (an empty one, snap length cut), then syscall.ENODATA.
func TestReadSlimOffline(t *testing.T) {
	recs := make([]rec, 300)
	base := time.Unix(1700000000, 0)
	for i := range recs {
		size := []int{60, 0, 1514, 200, 61}[i%5]
		var f []byte
		if size != 0 {
			f = offFrame(i, size, testEtherType)
		}
		recs[i] = rec{f, Info{Time: base.Add(time.Duration(i) * time.Millisecond), CapLen: len(f), Len: len(f) + i%3}}
	}
	path := writeSavefile(t, "slim.pcap", DLTEN10MB, 0, DumpNano, recs)
	for _, snaplen := range []uint32{0, 100} {
		c := &Config{Snaplen: snaplen}
		hs, hb := mustOpenOffline(t, path, c), mustOpenOffline(t, path, c)
		var got, ref []slimPkt
		for {
			b, err := hs.ReadSlim(true, 32)
			if IsEndOfFile(err) {
				break
			} else if err != nil {
				t.Fatalf("ReadSlim: %v", err)
			}
			for i := 0; i < b.Len(); i++ {
				got = append(got, slimPkt{append([]byte(nil), b.Data(i)...), b.WireLen(i)})
			}
			if len(got) > len(recs) {
				t.Fatal("more records than written")
			}
		}
		pkts := make([]Packet, 17)
		for {
			n, err := hb.ReadBatch(true, pkts)
			if IsEndOfFile(err) {
				break
			} else if err != nil {
				t.Fatalf("ReadBatch: %v", err)
			}
			for _, p := range pkts[:n] {
				ref = append(ref, slimPkt{append([]byte(nil), p.Data...), p.Info.Len})
			}
			if len(ref) > len(recs) {
				t.Fatal("more records than written")
			}
		}
		var want []slimPkt
		for _, r := range recs {
			d := r.data
			if snaplen != 0 && len(d) > int(snaplen) {
				d = d[:snaplen]
			}
			want = append(want, slimPkt{append([]byte(nil), d...), r.info.Len})
		}
		compareSlim(t, fmt.Sprintf("snaplen %d: ReadBatch vs written", snaplen), ref, want)
		compareSlim(t, fmt.Sprintf("snaplen %d: ReadSlim vs ReadBatch", snaplen), got, ref)
		if b, err := hs.ReadSlim(true, 32); !IsEndOfFile(err) || b.Len() != 0 {
			t.Errorf("ReadSlim after the end: %d, %v; want ENODATA again", b.Len(), err)
		}
		hs.Close()
		hb.Close()
	}
}

// TestReadCopySizes: Read's copy and Info share one allocation up to 1984 bytes; every size
// class boundary, and the two-allocation path above, gives the record's bytes with len and cap
// equal (an append cannot reach the Info), and each packet its own memory.
func TestReadCopySizes(t *testing.T) {
	sizes := []int{1, 14, 64, 65, 192, 193, 448, 449, 960, 961, 1472, 1473, 1984, 1985, 4000}
	recs := make([]rec, len(sizes))
	base := time.Unix(1700000000, 0)
	for i, n := range sizes {
		f := make([]byte, n)
		for j := range f {
			f[j] = byte(j*3 + i)
		}
		recs[i] = rec{f, Info{Time: base.Add(time.Duration(i) * time.Second), CapLen: n, Len: n + 1}}
	}
	path := writeSavefile(t, "sizes.pcap", DLTEN10MB, 0, DumpNano, recs)
	for _, ahead := range []int{1, 64} {
		h := mustOpenOffline(t, path, &Config{ReadAhead: ahead})
		var datas [][]byte
		var infos []*Info
		for i, r := range recs {
			data, info, err := h.Read(true)
			if err != nil {
				t.Fatalf("ReadAhead %d: record %d: %v", ahead, i, err)
			}
			if len(data) != cap(data) {
				t.Errorf("ReadAhead %d: record %d: len %d, cap %d", ahead, i, len(data), cap(data))
			}
			if info.CapLen != len(r.data) || info.Len != len(r.data)+1 || !info.Time.Equal(r.info.Time) {
				t.Errorf("ReadAhead %d: record %d: Info %+v", ahead, i, *info)
			}
			datas, infos = append(datas, data), append(infos, info)
		}
		// Writing over every copy changes no other packet and no Info.
		for _, d := range datas {
			for j := range d {
				d[j] ^= 0xff
			}
		}
		for i, r := range recs {
			for j := range datas[i] {
				datas[i][j] ^= 0xff
			}
			equalOrDiff(t, fmt.Sprintf("ReadAhead %d: record %d", ahead, i), datas[i], r.data)
			if infos[i].CapLen != len(r.data) || !infos[i].Time.Equal(r.info.Time) {
				t.Errorf("ReadAhead %d: record %d: Info changed to %+v", ahead, i, *infos[i])
			}
		}
		if _, _, err := h.Read(true); !IsEndOfFile(err) {
			t.Errorf("ReadAhead %d: after the last record: %v", ahead, err)
		}
		h.Close()
	}
}

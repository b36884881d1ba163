//go:build linux && cgo

package main

// Benchmarks of the Go package's read paths against the same reads written in C (cref_linux.go),
// in the same process, on the same traffic: a benchmark, never a test (no number fails it).
//
//	BenchmarkRing/READER  a prefilled ring: -frames 64-byte frames are sent from -tx to -rx
//	                      (a veth pair: cmp.sh makes one in a network namespace) while
//	                      nobody reads, then READER reads them all; only the reads of ring
//	                      blocks the kernel had retired are timed (the last, partly filled
//	                      block retires on its timeout and is read untimed)
//	BenchmarkFile/READER  a mapped pcap file of 65,536 64-byte frames, read to its end and
//	                      reopened (untimed) until b.N packets were read
//
// Readers: go-batch (ReadBatch), go-slim (ReadSlim), go-zerocopy (ReadZeroCopy, ReadAhead
// -batch), go-read (Read, ReadAhead -batch: the seed's API, a copy per packet), go-read1 (Read
// with ReadAhead 1: a call into C per packet), c-batch (pkt_read_batch in C), c-slim
// (pkt_read_slim in C). Every reader touches the first byte of each packet. Metrics: ns/pkt
// (wall time of the timed reads over the packets they read), cpu-ns/pkt (this process's user +
// system time, getrusage, over the same packets), allocs/pkt.
//
//	go test -c -o gobench.test ./bench
//	ip netns exec NS ./gobench.test -test.run '^$' -test.bench 'Ring/go-batch$' -test.benchtime 200000x -batch 32

import (
	"encoding/binary"
	"flag"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"libpkt.dev/packet"
)

var (
	flagRx     = flag.String("rx", "v0", "capture interface of BenchmarkRing")
	flagTx     = flag.String("tx", "v1", "sending interface of BenchmarkRing")
	flagBatch  = flag.Int("batch", 32, "packets per read call (ReadBatch, ReadSlim, C), and ReadAhead")
	flagFrames = flag.Int("frames", 100000, "frames per prefill of BenchmarkRing")
	flagRing   = flag.Int64("ring", 32<<20, "ring size of BenchmarkRing in bytes")
)

const benchEtherType = 0x88b5

var readers = []string{"go-batch", "go-slim", "go-zerocopy", "go-read", "go-read1", "c-batch", "c-slim"}

// drainer reads up to n packets (without waiting unless poll), touching each packet's first
// byte; it stops early at the first error or nil read.
type drainer interface {
	drain(n int64, poll bool) (int64, error)
	recvs() uint64
	drops() uint64
	close()
}

// goReader is one of the Go package's read paths on a handle.
type goReader struct {
	h    *packet.Handle
	mode string
	pkts []packet.Packet
	sink byte
}

func (g *goReader) drain(n int64, poll bool) (int64, error) {
	var got int64
	batch := len(g.pkts)
	for got < n {
		want := batch
		if left := n - got; left < int64(want) {
			want = int(left)
		}
		switch g.mode {
		case "go-batch":
			k, err := g.h.ReadBatch(poll, g.pkts[:want])
			for i := range g.pkts[:k] {
				g.sink += g.pkts[i].Data[0]
			}
			got += int64(k)
			if err != nil || k == 0 {
				return got, err
			}
		case "go-slim":
			s, err := g.h.ReadSlim(poll, want)
			for i := 0; i < s.Len(); i++ {
				g.sink += s.Data(i)[0]
			}
			got += int64(s.Len())
			if err != nil || s.Len() == 0 {
				return got, err
			}
		case "go-zerocopy":
			data, _, err := g.h.ReadZeroCopy(poll)
			if err != nil || data == nil {
				return got, err
			}
			g.sink += data[0]
			got++
		default: // go-read, go-read1
			data, _, err := g.h.Read(poll)
			if err != nil || data == nil {
				return got, err
			}
			g.sink += data[0]
			got++
		}
	}
	return got, nil
}

func (g *goReader) recvs() uint64 { return g.h.Stats(true).Recvs }
func (g *goReader) drops() uint64 { return g.h.Stats(true).Drops }
func (g *goReader) close()        { g.h.Close() }

// cReader is the C reference loop on a libpkt handle of its own.
type cReader struct {
	c     *cHandle
	slim  bool
	batch int
}

func (r *cReader) drain(n int64, poll bool) (int64, error) {
	return r.c.drain(r.slim, r.batch, n, poll)
}
func (r *cReader) recvs() uint64 { return r.c.recvs() }
func (r *cReader) drops() uint64 { return r.c.drops() }
func (r *cReader) close()        { r.c.close() }

func goConfig(mode string) *packet.Config {
	c := packet.DefaultConfig()
	c.ReadAhead = *flagBatch
	if mode == "go-read1" {
		c.ReadAhead = 1
	}
	return c
}

func openLive(b *testing.B, mode string) drainer {
	b.Helper()
	switch mode {
	case "c-batch", "c-slim":
		c, err := cOpen(*flagRx, *flagRing, benchEtherType, 2000)
		if err != nil {
			b.Fatal(err)
		}
		return &cReader{c, mode == "c-slim", *flagBatch}
	}
	cfg := goConfig(mode)
	cfg.ReadBufferSize = *flagRing
	cfg.Proto = benchEtherType
	cfg.Direction = packet.DirIn
	cfg.ReadTimeout = 2000
	h, err := packet.Open(*flagRx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return &goReader{h: h, mode: mode, pkts: make([]packet.Packet, *flagBatch)}
}

func openFile(b *testing.B, mode, path string) drainer {
	b.Helper()
	switch mode {
	case "c-batch", "c-slim":
		c, err := cOpenOffline(path)
		if err != nil {
			b.Fatal(err)
		}
		return &cReader{c, mode == "c-slim", *flagBatch}
	}
	h, err := packet.OpenOffline(path, goConfig(mode))
	if err != nil {
		b.Fatal(err)
	}
	return &goReader{h: h, mode: mode, pkts: make([]packet.Packet, *flagBatch)}
}

func frame(src net.HardwareAddr) []byte {
	f := make([]byte, 64)
	copy(f, []byte{0x02, 0, 0, 0, 0, 0x01}) // not the receiver's address: the stack drops it
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], benchEtherType)
	return f
}

func allocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// meter sums the timed reads.
type meter struct {
	wall, cpu time.Duration
	pkts      int64
	mallocs   uint64
}

func (m *meter) time(b *testing.B, f func() int64) {
	a0 := allocs()
	b.StartTimer()
	c0, t0 := cpuNow(), time.Now()
	n := f()
	t1, c1 := time.Now(), cpuNow()
	b.StopTimer()
	m.wall += t1.Sub(t0)
	m.cpu += c1 - c0
	m.pkts += n
	m.mallocs += allocs() - a0
}

func (m *meter) report(b *testing.B) {
	if m.pkts == 0 {
		return
	}
	n := float64(m.pkts)
	b.ReportMetric(float64(m.wall.Nanoseconds())/n, "ns/pkt")
	b.ReportMetric(float64(m.cpu.Nanoseconds())/n, "cpu-ns/pkt")
	b.ReportMetric(float64(m.mallocs)/n, "allocs/pkt")
}

func BenchmarkRing(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root and a veth pair (see cmp.sh)")
	}
	txIfc, err := net.InterfaceByName(*flagTx)
	if err != nil {
		b.Skipf("no sending interface (run inside cmp.sh's namespace): %v", err)
	}
	tx, err := packet.Open(*flagTx, &packet.Config{ReadBufferSize: 1 << 19, Proto: benchEtherType, Direction: packet.DirIn})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	f := frame(txIfc.HardwareAddr)
	frames := make([][]byte, 256)
	for i := range frames {
		frames[i] = f
	}
	for _, mode := range readers {
		b.Run(mode, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.StopTimer()
			r := openLive(b, mode)
			defer r.close()
			var m meter
			var sent uint64
			for read := int64(0); read < int64(b.N); {
				k := int64(b.N) - read
				if k > int64(*flagFrames) {
					k = int64(*flagFrames)
				}
				// Prefill: k frames while nobody reads; wait until the kernel queued them all.
				for s := int64(0); s < k; {
					w := k - s
					if w > int64(len(frames)) {
						w = int64(len(frames))
					}
					n, err := tx.WriteBatch(frames[:w])
					s += int64(n)
					if err != nil && !packet.Temporary(err) {
						b.Fatal(err)
					}
				}
				sent += uint64(k)
				deadline := time.Now().Add(5 * time.Second)
				for r.recvs() < sent {
					if time.Now().After(deadline) {
						b.Fatalf("the ring got %d of %d frames", r.recvs(), sent)
					}
					time.Sleep(time.Millisecond)
				}
				// Timed: every retired block, up to EAGAIN.
				var got int64
				m.time(b, func() int64 {
					got, err = r.drain(k, false)
					return got
				})
				if err != nil && !packet.Temporary(err) {
					b.Fatal(err)
				}
				// Untimed: the last block, after its timeout.
				rest, err := r.drain(k-got, true)
				if err != nil {
					b.Fatalf("after %d of %d: %v", got+rest, k, err)
				}
				read += got + rest
			}
			if d := r.drops(); d != 0 {
				b.Fatalf("%d drops: a larger -ring or smaller -frames", d)
			}
			m.report(b)
		})
	}
}

var (
	fileOnce sync.Once
	filePath string
	fileErr  error
)

const fileFrames = 1 << 16

// benchFile writes the savefile of BenchmarkFile once per process.
func benchFile(b *testing.B) string {
	fileOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gobench")
		if err != nil {
			fileErr = err
			return
		}
		filePath = filepath.Join(dir, "bench.pcap")
		d, err := packet.NewDumper(filePath, packet.DLTEN10MB, 0, packet.DumpNano)
		if err != nil {
			fileErr = err
			return
		}
		f := frame(net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02})
		base := time.Unix(1700000000, 0)
		for i := 0; i < fileFrames; i++ {
			binary.BigEndian.PutUint32(f[14:], uint32(i))
			if err := d.Write(f, packet.Info{Time: base.Add(time.Duration(i) * time.Microsecond), CapLen: len(f), Len: len(f)}); err != nil {
				fileErr = err
				return
			}
		}
		fileErr = d.Close()
	})
	if fileErr != nil {
		b.Fatal(fileErr)
	}
	return filePath
}

func BenchmarkFile(b *testing.B) {
	path := benchFile(b)
	defer os.RemoveAll(filepath.Dir(path))
	for _, mode := range readers {
		b.Run(mode, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.StopTimer()
			var m meter
			for read := int64(0); read < int64(b.N); {
				r := openFile(b, mode, path)
				k := int64(b.N) - read
				if k > fileFrames {
					k = fileFrames
				}
				var err error
				m.time(b, func() int64 {
					var got int64
					got, err = r.drain(k, true)
					return got
				})
				r.close()
				if err != nil || m.pkts == 0 {
					b.Fatalf("reading %s: %v", path, err)
				}
				read += k
			}
			m.report(b)
		})
	}
}

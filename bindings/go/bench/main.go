// Command bench measures the Go package's read paths (a benchmark, not a test). bench/run.sh
// drives it; by hand, as root, on the two ends of a veth pair:
//
//	bench recv -i v0 -mode batch -n 1000000 &      # prints "ready", then one result line
//	bench send -i v1 -n 1000000 -s 64
//
// recv opens a capture, says "ready", reads until it has -n packets or nothing came for
// -idle ms, touching the first byte of each packet, and prints
//
//	mode=batch pkts=N drops=D secs=S pps=P cpu_ns=C
//
// where secs and pps span the first to the last packet and cpu_ns is this process's user +
// system CPU (getrusage) from the first packet to the end, divided by the packets read.
// Modes: read (Read: a copy and an Info per packet, the seed's API), zerocopy (ReadZeroCopy),
// both with a read-ahead of 64 packets per call into libpkt; read1 and zerocopy1, the same
// with ReadAhead 1 (a call into libpkt per packet); batch (ReadBatch, -batch packets per
// call); slim (ReadSlim, -batch per call); c-batch and c-slim, the C reference: pkt_read_batch
// and pkt_read_slim in a loop written in C (bench/refread.h, cref_linux.go), -batch per call.
//
// send sends -n frames of -s bytes with WriteBatch (-batch frames per call) to a MAC address
// that is not the receiver's, with ethertype 0x88b5, and prints mode=send sent=N secs=S pps=P.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"libpkt.dev/packet"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench recv|send [flags] (see the source)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "recv":
		err = recv(os.Args[2:])
	case "send":
		err = send(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func recv(args []string) error {
	fs := flag.NewFlagSet("recv", flag.ExitOnError)
	iface := fs.String("i", "v0", "interface")
	mode := fs.String("mode", "batch", "read, read1, zerocopy, zerocopy1, batch, slim, c-batch or c-slim")
	count := fs.Int("n", 1000000, "packets to read")
	ring := fs.Int64("B", 8<<20, "ring size in bytes")
	batch := fs.Int("batch", 32, "packets per ReadBatch, ReadSlim or C call (at most 256 for C)")
	idle := fs.Int64("idle", 1000, "stop after this many ms without a packet")
	fs.Parse(args)

	cfg := packet.DefaultConfig()
	cfg.ReadBufferSize = *ring
	cfg.ReadTimeout = *idle
	cfg.Proto = 0x88b5
	m := *mode
	cfg.ReadAhead = 64
	if m == "read1" || m == "zerocopy1" {
		cfg.ReadAhead = 1
		m = m[:len(m)-1]
	}
	if m == "c-batch" || m == "c-slim" {
		return recvC(*iface, m == "c-slim", *count, *ring, *batch, *idle)
	}
	h, err := packet.Open(*iface, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	fmt.Println("ready")

	var (
		n          int
		sum        byte
		first      time.Time
		timedOut   bool
		cpu0       time.Duration
		started    bool
		pkts       = make([]packet.Packet, *batch)
		readResult = func(k int) {
			if !started {
				started = true
				first = time.Now()
				cpu0 = cpuNow()
			}
			n += k
		}
	)
	for n < *count {
		var err error
		switch m {
		case "read":
			var data []byte
			data, _, err = h.Read(true)
			if err == nil && len(data) > 0 {
				sum += data[0]
				readResult(1)
			}
		case "zerocopy":
			var data []byte
			data, _, err = h.ReadZeroCopy(true)
			if err == nil && len(data) > 0 {
				sum += data[0]
				readResult(1)
			}
		case "batch":
			var k int
			k, err = h.ReadBatch(true, pkts)
			if err == nil && k > 0 {
				for i := range pkts[:k] {
					sum += pkts[i].Data[0]
				}
				readResult(k)
			}
		case "slim":
			var b packet.Slim
			b, err = h.ReadSlim(true, *batch)
			if err == nil && b.Len() > 0 {
				for i := 0; i < b.Len(); i++ {
					sum += b.Data(i)[0]
				}
				readResult(b.Len())
			}
		default:
			return fmt.Errorf("unknown mode %q", *mode)
		}
		if err == nil {
			continue
		}
		if errors.Is(err, syscall.ETIMEDOUT) {
			if started {
				timedOut = true
				break
			}
			continue
		}
		return err
	}
	// Not a clock read per packet: the last packet came at the end, or -idle ms before it.
	last := time.Now()
	cpu := cpuNow() - cpu0
	if timedOut {
		last = last.Add(-time.Duration(*idle) * time.Millisecond)
	}
	st := h.Stats(true)
	secs := last.Sub(first).Seconds()
	pps, ns := 0.0, 0.0
	if n > 1 && secs > 0 {
		pps = float64(n-1) / secs
	}
	if n > 0 {
		ns = float64(cpu.Nanoseconds()) / float64(n)
	}
	fmt.Printf("mode=%s pkts=%d drops=%d secs=%.3f pps=%.0f cpu_ns=%.1f sum=%d\n", *mode, n, st.Drops, secs, pps, ns, sum)
	return nil
}

// recvC is recv for the C reference modes: the same measure, the reads in C.
func recvC(iface string, slim bool, count int, ring int64, batch int, idle int64) error {
	c, err := cOpen(iface, ring, 0x88b5, idle)
	if err != nil {
		return err
	}
	defer c.close()
	mode := "c-batch"
	if slim {
		mode = "c-slim"
	}
	fmt.Println("ready")
	// The first packet starts the clocks, as in recv.
	n, err := c.drain(slim, batch, 1, true)
	if err != nil || n != 1 {
		return fmt.Errorf("first packet: %d, %v", n, err)
	}
	first, cpu0 := time.Now(), cpuNow()
	timedOut := false
	for n < int64(count) {
		k, err := c.drain(slim, batch, int64(count)-n, true)
		n += k
		if errors.Is(err, syscall.ETIMEDOUT) {
			timedOut = true
			break
		} else if err != nil {
			return err
		}
	}
	last := time.Now()
	cpu := cpuNow() - cpu0
	if timedOut {
		last = last.Add(-time.Duration(idle) * time.Millisecond)
	}
	secs := last.Sub(first).Seconds()
	pps := 0.0
	if n > 1 && secs > 0 {
		pps = float64(n-1) / secs
	}
	fmt.Printf("mode=%s pkts=%d drops=%d secs=%.3f pps=%.0f cpu_ns=%.1f sum=%d\n", mode, n, c.drops(), secs, pps, float64(cpu.Nanoseconds())/float64(n), c.sink)
	return nil
}

func send(args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	iface := fs.String("i", "v1", "interface")
	count := fs.Int("n", 1000000, "frames to send")
	size := fs.Int("s", 64, "frame size in bytes (60..1514)")
	batch := fs.Int("batch", 256, "frames per WriteBatch call")
	fs.Parse(args)
	if *size < 60 || *size > 1514 {
		return fmt.Errorf("frame size %d out of 60..1514", *size)
	}
	ifc, err := net.InterfaceByName(*iface)
	if err != nil {
		return err
	}
	h, err := packet.Open(*iface, &packet.Config{ReadBufferSize: 1 << 19, Proto: 0x88b5})
	if err != nil {
		return err
	}
	defer h.Close()
	frame := make([]byte, *size)
	copy(frame, []byte{0x02, 0, 0, 0, 0, 0x01}) // not the receiver's address
	copy(frame[6:], ifc.HardwareAddr)
	binary.BigEndian.PutUint16(frame[12:], 0x88b5)
	frames := make([][]byte, *batch)
	for i := range frames {
		frames[i] = frame
	}
	sent, retries := 0, 0
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	for sent < *count {
		k := *count - sent
		if k > len(frames) {
			k = len(frames)
		}
		n, err := h.WriteBatch(frames[:k])
		sent += n
		if err != nil {
			// A full queue: retry, boundedly.
			if packet.Temporary(err) && retries < 1000000 && time.Now().Before(deadline) {
				retries++
				continue
			}
			return fmt.Errorf("after %d frames: %w", sent, err)
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("mode=send sent=%d secs=%.3f pps=%.0f retries=%d\n", sent, secs, float64(sent)/secs, retries)
	return nil
}

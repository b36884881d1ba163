//go:build linux && cgo

package packet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// The tests that touch the network run as root inside a network namespace holding a veth pair
// (see test.sh, or c-tests/netns.sh): they capture on PKT_GO_RX (default v0) what they send on
// PKT_GO_TX (default v1). Without them the tests skip, and with CI=true a skip is a failure.

// testEtherType is the "local experimental" ethertype: nothing else on the link uses it.
const testEtherType = 0x88b5

func skipOrFail(t *testing.T, format string, args ...interface{}) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a skipped test is a failure)", msg)
	}
	t.Skip(msg)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// needRoot skips (or fails, under CI) without root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root (CAP_NET_RAW)")
	}
}

// lab is the veth pair: rx captures, tx sends.
type lab struct {
	rx, tx *net.Interface
}

func needLab(t *testing.T) lab {
	t.Helper()
	needRoot(t)
	rx, err := net.InterfaceByName(envOr("PKT_GO_RX", "v0"))
	if err != nil {
		skipOrFail(t, "no capture interface (run inside the test namespace: see test.sh): %v", err)
	}
	tx, err := net.InterfaceByName(envOr("PKT_GO_TX", "v1"))
	if err != nil {
		skipOrFail(t, "no sending interface (run inside the test namespace: see test.sh): %v", err)
	}
	return lab{rx: rx, tx: tx}
}

// rxConfig is the capture config of most tests: only the test ethertype, blocks retired after
// 10 ms, and reads that give up after 1.5 s so that no test can hang.
func rxConfig() *Config {
	c := DefaultConfig()
	c.Proto = testEtherType
	c.ReadBufferTimeout = 10
	c.ReadTimeout = 1500
	return c
}

func (l lab) open(t *testing.T, c *Config) *Handle {
	t.Helper()
	h, err := Open(l.rx.Name, c)
	if err != nil {
		t.Fatalf("Open(%s): %v", l.rx.Name, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func (l lab) sender(t *testing.T) *Handle {
	t.Helper()
	h, err := Open(l.tx.Name, &Config{ReadBufferSize: 1 << 19, Proto: testEtherType})
	if err != nil {
		t.Fatalf("Open(%s) for sending: %v", l.tx.Name, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// frame builds a test frame from tx to rx: tag at byte 14, then seq, then a pattern.
func (l lab) frame(tag byte, seq, size int) []byte {
	b := make([]byte, size)
	copy(b[0:6], l.rx.HardwareAddr)
	copy(b[6:12], l.tx.HardwareAddr)
	binary.BigEndian.PutUint16(b[12:], testEtherType)
	b[14] = tag
	binary.BigEndian.PutUint32(b[15:], uint32(seq))
	for i := 19; i < size; i++ {
		b[i] = byte(i*7 + seq)
	}
	return b
}

// frames builds n test frames of sizes cycling from 60 to 1514 bytes.
func (l lab) frames(tag byte, n int) [][]byte {
	sizes := []int{60, 64, 128, 512, 1000, 1514, 99}
	out := make([][]byte, n)
	for i := range out {
		out[i] = l.frame(tag, i, sizes[i%len(sizes)])
	}
	return out
}

func send(t *testing.T, tx *Handle, frames [][]byte) {
	t.Helper()
	for i, f := range frames {
		n, err := tx.Write(f, nil, 0)
		if err != nil || n != len(f) {
			t.Fatalf("Write frame %d (%d bytes): %d, %v", i, len(f), n, err)
		}
	}
}

// checkInfo checks what a test frame's Info must say.
func (l lab) checkInfo(t *testing.T, what string, info *Info, f []byte) {
	t.Helper()
	if info.CapLen != len(f) || info.Len != len(f) {
		t.Errorf("%s: CapLen %d Len %d, want %d", what, info.CapLen, info.Len, len(f))
	}
	if info.Ifindex != int32(l.rx.Index) {
		t.Errorf("%s: Ifindex %d, want %d", what, info.Ifindex, l.rx.Index)
	}
	if info.Link.Protocol != testEtherType || info.Link.LinkType != LinkTypeEthernet {
		t.Errorf("%s: Link %+v", what, info.Link)
	}
	if info.PktType != PacketHost {
		t.Errorf("%s: PktType %d, want PacketHost", what, info.PktType)
	}
	if d := time.Since(info.Time); d < -time.Second || d > 30*time.Second {
		t.Errorf("%s: Time %v is %v from now", what, info.Time, d)
	}
	if TstampValid(info.Status) != 0 {
		t.Errorf("%s: TstampValid(%#x) = %d, want 0 (kernel)", what, info.Status, TstampValid(info.Status))
	}
	if VlanValid(info.Status) {
		t.Errorf("%s: untagged frame has a VLAN tag (status %#x)", what, info.Status)
	}
}

// expectNothing checks that a read finds no more packets (ReadTimeout must be set).
func expectNothing(t *testing.T, h *Handle) {
	t.Helper()
	data, info, err := h.Read(true)
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("read after the last frame: %d bytes, %+v, %v; want ETIMEDOUT", len(data), info, err)
	}
}

func equalOrDiff(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes % x..., want %d bytes % x...", what, len(got), head(got), len(want), head(want))
	}
}

func head(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}

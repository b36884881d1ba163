//go:build linux && cgo

package packet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

func TestConstantsMatchHeader(t *testing.T) {
	for name, v := range cConstants() {
		if v[0] != v[1] {
			t.Errorf("%s = %d, pkt.h says %d", name, v[0], v[1])
		}
	}
}

func TestDefaultConfigMatchesLibrary(t *testing.T) {
	if got, want := *DefaultConfig(), cDefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Fatalf("DefaultConfig() = %+v\npkt_config_default gives %+v", got, want)
	}
}

func TestCheckIntegrity(t *testing.T) {
	var nilConfig *Config
	good, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0xffff}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    *Config
		ok   bool
	}{
		{"nil", nilConfig, true},
		{"default", DefaultConfig(), true},
		{"zero value (the seed's meanings)", &Config{}, true},
		{"direction 3", &Config{Direction: 3}, false},
		{"tstamp resolution 2", &Config{TstampResolution: 2}, false},
		{"tstamp source adapter (the interface is known at open)", &Config{TstampSource: TstampSourceAdapterUnsynced}, true},
		{"tstamp source 3", &Config{TstampSource: 3}, false},
		{"valid filter", &Config{Filter: good}, true},
		{"filter without ret", &Config{Filter: []bpf.RawInstruction{{Op: 0x28, K: 12}}}, false},
		{"jump out of the program", &Config{Filter: []bpf.RawInstruction{{Op: 0x15, Jt: 5, K: 1}, {Op: 0x06, K: 1}}}, false},
	} {
		if got := tc.c.CheckIntegrity(); got != tc.ok {
			t.Errorf("%s: CheckIntegrity() = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestMisc(t *testing.T) {
	if !IsOSSupported() {
		t.Error("IsOSSupported() = false on Linux")
	}
	if major, minor := KernelVersion(); major < 3 || minor < 0 {
		t.Errorf("KernelVersion() = %d.%d", major, minor)
	}
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("Version() = %q", v)
	}
	if TstampValid(1<<29) != 0 || TstampValid(1<<31) != 1 || TstampValid(0) != -1 {
		t.Error("TstampValid: wrong source for the status bits")
	}
	if !VlanValid(1<<4) || VlanValid(0) {
		t.Error("VlanValid: wrong answer for TP_STATUS_VLAN_VALID")
	}
	if InterfaceLinkType("no-such-if0") != LinkTypeNone || InterfaceLinkType("") != LinkTypeNone ||
		InterfaceLinkType("a\x00b") != LinkTypeNone {
		t.Error("InterfaceLinkType of a missing interface is not LinkTypeNone")
	}
	if InterfaceLinkType("lo") != LinkTypeEthernet {
		t.Errorf("InterfaceLinkType(lo) = %d, want LinkTypeEthernet", InterfaceLinkType("lo"))
	}
	if LinkTypeEthernet.String() != "ethernet" || LinkTypeNone.String() != "none" || LinkType(7).String() != "" {
		t.Error("LinkType.String")
	}
	if DLTOf(LinkTypeEthernet, false) != DLTEN10MB || DLTOf(LinkTypeEthernet, true) != DLTLinuxSLL2 {
		t.Error("DLTOf")
	}
}

func TestTemporaryAndTimeout(t *testing.T) {
	for _, tc := range []struct {
		err                error
		temporary, timeout bool
	}{
		{nil, false, false},
		{errBreakLoop, true, false},
		{errWouldPoll, true, false},
		{syscall.EAGAIN, true, true},
		{syscall.EINTR, true, false},
		{syscall.ETIMEDOUT, true, true},
		{syscall.ENOBUFS, true, false},
		{syscall.EINVAL, false, false},
		{syscall.ENODEV, false, false},
		{os.NewSyscallError("pkt_read", syscall.ETIMEDOUT), true, true},
		{fmt.Errorf("wrapped: %w", syscall.ETIMEDOUT), true, true},
		{fmt.Errorf("wrapped: %w", errBreakLoop), true, false},
		{errors.New("other"), false, false},
		{ErrNotImplemented, false, false},
	} {
		if got := Temporary(tc.err); got != tc.temporary {
			t.Errorf("Temporary(%v) = %v", tc.err, got)
		}
		if got := Timeout(tc.err); got != tc.timeout {
			t.Errorf("Timeout(%v) = %v", tc.err, got)
		}
	}
	var bl ErrBreakLoop
	if !errors.As(fmt.Errorf("x: %w", errBreakLoop), &bl) {
		t.Error("errors.As cannot find ErrBreakLoop")
	}
}

func TestOpenErrors(t *testing.T) {
	needRoot(t)
	h, err := NewHandler("no-such-if0", nil)
	if h != nil {
		t.Fatalf("NewHandler on a missing interface returned a non-nil Handler %#v", h)
	}
	if !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("NewHandler(no-such-if0): %v, want ENODEV", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Syscall, "pkt_open") {
		t.Errorf("error %v (%T) is not an *os.SyscallError naming pkt_open", err, err)
	}
	t.Logf("missing interface: %v", err)
	for name, c := range map[string]*Config{
		"direction 9":        {Direction: 9},
		"tstamp 5":           {TstampResolution: 5},
		"bad filter":         {Filter: []bpf.RawInstruction{{Op: 0x28, K: 12}}},
		"4 GiB ring":         {ReadBufferSize: 1 << 32},
		"too long a timeout": {ReadBufferTimeout: 1 << 33},
	} {
		h, err := NewHandler("lo", c)
		if h != nil || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s: NewHandler: %v, %v; want nil, EINVAL", name, h, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := NewHandler("lo\x00x", nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NUL in the name: %v, want EINVAL", err)
	}
	if _, err := NewHandler(strings.Repeat("x", 40), nil); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("long name: %v, want ENODEV", err)
	}
}

func TestReadCopy(t *testing.T) {
	for _, ahead := range []int{0, 1, 7} {
		t.Run(fmt.Sprintf("ReadAhead=%d", ahead), func(t *testing.T) { testReadCopy(t, ahead) })
	}
}

func testReadCopy(t *testing.T, ahead int) {
	l := needLab(t)
	c := rxConfig()
	c.ReadAhead = ahead
	rx := l.open(t, c)
	tx := l.sender(t)
	frames := l.frames(0xaa, 30)
	// Half through the bound interface, half naming it and the protocol, as the seed allowed.
	for i, f := range frames {
		var err error
		if i%2 == 0 {
			_, err = tx.Write(f, nil, 0)
		} else {
			_, err = tx.Write(f, l.tx, testEtherType)
		}
		if err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	got := make([][]byte, 0, len(frames))
	for i, f := range frames {
		data, info, err := rx.Read(true)
		if err != nil {
			t.Fatalf("Read %d: %v", i, err)
		}
		equalOrDiff(t, fmt.Sprintf("frame %d", i), data, f)
		l.checkInfo(t, fmt.Sprintf("frame %d", i), info, f)
		got = append(got, data)
	}
	// Copies stay as they were after later reads released the ring.
	for i := range frames {
		equalOrDiff(t, fmt.Sprintf("kept copy %d", i), got[i], frames[i])
	}
	expectNothing(t, rx)
}

func TestReadZeroCopy(t *testing.T) {
	for _, ahead := range []int{0, 1} {
		t.Run(fmt.Sprintf("ReadAhead=%d", ahead), func(t *testing.T) { testReadZeroCopy(t, ahead) })
	}
}

func testReadZeroCopy(t *testing.T, ahead int) {
	l := needLab(t)
	c := rxConfig()
	c.ReadAhead = ahead
	rx := l.open(t, c)
	tx := l.sender(t)
	frames := l.frames(0xab, 200)
	send(t, tx, frames)
	for i := 0; i < 100; i++ {
		data, info, err := rx.ReadZeroCopy(true)
		if err != nil {
			t.Fatalf("ReadZeroCopy %d: %v", i, err)
		}
		equalOrDiff(t, fmt.Sprintf("frame %d", i), data, frames[i])
		l.checkInfo(t, fmt.Sprintf("frame %d", i), &info, frames[i])
	}
	// The other 100 are in the ring: reading them allocates nothing.
	i := 100
	allocs := testing.AllocsPerRun(50, func() {
		data, _, err := rx.ReadZeroCopy(true)
		if err != nil || len(data) != len(frames[i]) {
			t.Fatalf("ReadZeroCopy %d: %d bytes, %v", i, len(data), err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("ReadZeroCopy allocates %.1f times per packet", allocs)
	}
	for ; i < len(frames); i++ {
		data, _, err := rx.ReadZeroCopy(true)
		if err != nil {
			t.Fatalf("ReadZeroCopy %d: %v", i, err)
		}
		equalOrDiff(t, fmt.Sprintf("frame %d", i), data, frames[i])
	}
	expectNothing(t, rx)
}

func TestReadBatchAndWriteBatch(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.ReadBufferSize = 8 << 20
	rx := l.open(t, c)
	tx := l.sender(t)
	frames := l.frames(0xac, 3000)
	n, err := tx.WriteBatch(frames)
	if err != nil || n != len(frames) {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	pkts := make([]Packet, 64)
	seen, calls, biggest := 0, 0, 0
	deadline := time.Now().Add(10 * time.Second)
	for seen < len(frames) && time.Now().Before(deadline) {
		n, err := rx.ReadBatch(true, pkts)
		if err != nil {
			t.Fatalf("ReadBatch after %d packets: %v", seen, err)
		}
		calls++
		if n > biggest {
			biggest = n
		}
		// Every packet of a batch is valid until the next read.
		for j := 0; j < n; j++ {
			if seen+j >= len(frames) {
				t.Fatalf("more packets than sent")
			}
			equalOrDiff(t, fmt.Sprintf("frame %d", seen+j), pkts[j].Data, frames[seen+j])
			l.checkInfo(t, fmt.Sprintf("frame %d", seen+j), &pkts[j].Info, frames[seen+j])
		}
		seen += n
	}
	if seen != len(frames) {
		t.Fatalf("read %d of %d frames", seen, len(frames))
	}
	if biggest < 2 {
		t.Errorf("no batch held more than one packet (%d calls)", calls)
	}
	t.Logf("%d frames in %d ReadBatch calls (largest batch %d)", seen, calls, biggest)
	if st := rx.Stats(true); st.Recvs != uint64(len(frames)) || st.Drops != 0 {
		t.Errorf("Stats(true) = %+v, want %d received, 0 dropped", *st, len(frames))
	}
	expectNothing(t, rx)

	// Batches read from a full ring allocate nothing.
	if n, err := tx.WriteBatch(frames[:500]); err != nil || n != 500 {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	seen = 0
	allocs := testing.AllocsPerRun(5, func() {
		n, err := rx.ReadBatch(true, pkts[:8])
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		seen += n
	})
	if allocs != 0 {
		t.Errorf("ReadBatch allocates %.1f times per call", allocs)
	}
	if _, err := rx.ReadBatch(true, nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("ReadBatch with no room: %v, want EINVAL", err)
	}
}

func TestMixedReads(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.ReadAhead = 10
	rx := l.open(t, c)
	tx := l.sender(t)
	if rx.Config().ReadAhead != 10 {
		t.Errorf("Config().ReadAhead = %d", rx.Config().ReadAhead)
	}
	frames := l.frames(0xa0, 400)
	if n, err := tx.WriteBatch(frames); n != len(frames) || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	// Read-ahead, zero copy and batches in turn hand the packets out in order.
	pkts := make([]Packet, 7)
	for i, k := 0, 0; i < len(frames); k++ {
		switch k % 3 {
		case 0:
			data, _, err := rx.Read(true)
			if err != nil {
				t.Fatalf("Read at %d: %v", i, err)
			}
			equalOrDiff(t, fmt.Sprintf("Read: frame %d", i), data, frames[i])
			i++
		case 1:
			data, _, err := rx.ReadZeroCopy(true)
			if err != nil {
				t.Fatalf("ReadZeroCopy at %d: %v", i, err)
			}
			equalOrDiff(t, fmt.Sprintf("ReadZeroCopy: frame %d", i), data, frames[i])
			i++
		case 2:
			n, err := rx.ReadBatch(true, pkts)
			if err != nil {
				t.Fatalf("ReadBatch at %d: %v", i, err)
			}
			for j := 0; j < n; j++ {
				equalOrDiff(t, fmt.Sprintf("ReadBatch: frame %d", i), pkts[j].Data, frames[i])
				i++
			}
		}
	}
	expectNothing(t, rx)

	// After BreakLoop, the packets read ahead come first, then ErrBreakLoop, once.
	send(t, tx, frames[:5])
	time.Sleep(50 * time.Millisecond)
	if data, _, err := rx.Read(true); err != nil || !equalBytes(data, frames[0]) {
		t.Fatalf("first read: %v", err)
	}
	if err := rx.BreakLoop(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 5; i++ {
		data, _, err := rx.Read(true)
		if err != nil {
			t.Fatalf("read-ahead packet %d after BreakLoop: %v", i, err)
		}
		equalOrDiff(t, fmt.Sprintf("frame %d", i), data, frames[i])
	}
	if _, _, err := rx.Read(true); !errors.As(err, new(ErrBreakLoop)) {
		t.Fatalf("read after the read-ahead: %v, want ErrBreakLoop", err)
	}
	expectNothing(t, rx)
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

func TestWriteErrors(t *testing.T) {
	l := needLab(t)
	rx := l.open(t, rxConfig())
	tx := l.sender(t)
	if n, err := tx.Write(nil, nil, 0); n != 0 || err != nil {
		t.Errorf("Write(nil): %d, %v", n, err)
	}
	big := l.frame(0xad, 0, 1514+100)
	if _, err := tx.Write(big, nil, 0); !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Write of %d bytes: %v, want EMSGSIZE", len(big), err)
	}
	if _, err := tx.Write(l.frame(0xad, 0, 60), &net.Interface{Name: "none"}, 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Write with interface index 0: %v, want EINVAL", err)
	}
	// A batch stops at the frame the kernel refuses, and says why.
	frames := l.frames(0xad, 10)
	frames[6] = big
	n, err := tx.WriteBatch(frames)
	if n != 6 || !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("WriteBatch with frame 6 too big: %d, %v; want 6, EMSGSIZE", n, err)
	}
	t.Logf("short batch: %v", err)
	if n, err := tx.WriteBatch(frames[6:]); n != 0 || !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("WriteBatch starting with a frame too big: %d, %v; want 0, EMSGSIZE", n, err)
	}
	if n, err := tx.WriteBatch(nil); n != 0 || err != nil {
		t.Errorf("WriteBatch(nil): %d, %v", n, err)
	}
	// Empty frames count as sent and send nothing.
	if n, err := tx.WriteBatch([][]byte{{}, frames[0], nil}); n != 3 || err != nil {
		t.Errorf("WriteBatch with empty frames: %d, %v", n, err)
	}
	for i := 0; i < 7; i++ {
		want := frames[i]
		if i == 6 {
			want = frames[0] // from the last batch
		}
		data, _, err := rx.Read(true)
		if err != nil {
			t.Fatalf("Read %d: %v", i, err)
		}
		equalOrDiff(t, fmt.Sprintf("frame %d", i), data, want)
	}
	expectNothing(t, rx)
	if err := tx.Flush(); err != nil {
		t.Errorf("Flush: %v", err)
	}
}

func TestTxRing(t *testing.T) {
	l := needLab(t)
	rx := l.open(t, rxConfig())
	tx, err := Open(l.tx.Name, &Config{TxMode: TxRing, Proto: testEtherType})
	if err != nil {
		t.Fatalf("Open with TxRing: %v", err)
	}
	defer tx.Close()
	if tx.Config().TxMode != TxRing {
		t.Errorf("Config().TxMode = %d", tx.Config().TxMode)
	}
	frames := l.frames(0xae, 300)
	if n, err := tx.WriteBatch(frames); n != len(frames) || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	if err := tx.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for i, f := range frames {
		data, _, err := rx.ReadZeroCopy(true)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		equalOrDiff(t, fmt.Sprintf("frame %d", i), data, f)
	}
}

func TestBreakLoop(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.ReadTimeout = 0 // wait forever: only BreakLoop ends the read
	rx := l.open(t, c)
	tx := l.sender(t)

	done := make(chan error, 1)
	go func() {
		_, _, err := rx.Read(true)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Read returned before BreakLoop: %v", err)
	default:
	}
	if err := rx.BreakLoop(); err != nil {
		t.Fatalf("BreakLoop: %v", err)
	}
	select {
	case err := <-done:
		if _, ok := err.(ErrBreakLoop); !ok || !Temporary(err) {
			t.Fatalf("Read after BreakLoop: %v (%T), want ErrBreakLoop", err, err)
		}
	case <-time.After(5 * time.Second):
		rx.Close()
		t.Fatal("BreakLoop did not wake the blocked Read")
	}

	// A break before the read ends the next one at once, once.
	rx.BreakLoop()
	rx.BreakLoop()
	if _, _, err := rx.Read(true); !errors.As(err, new(ErrBreakLoop)) {
		t.Fatalf("Read after an earlier BreakLoop: %v", err)
	}
	f := l.frame(0xaf, 1, 100)
	send(t, tx, [][]byte{f})
	go func() {
		data, _, err := rx.Read(true)
		if err == nil && string(data) != string(f) {
			err = fmt.Errorf("wrong bytes % x", head(data))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Read after the break: %v", err)
		}
	case <-time.After(5 * time.Second):
		rx.Close()
		t.Fatal("Read after the break did not return the frame")
	}
}

func TestCloseDuringRead(t *testing.T) {
	l := needLab(t)
	tx := l.sender(t)
	frame := l.frame(0xb0, 0, 60)
	for round := 0; round < 30; round++ {
		c := rxConfig()
		c.ReadTimeout = 0
		rx, err := Open(l.rx.Name, c)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		// Two readers (they take turns) and a busy goroutine using the handle beside them.
		readers := []func() error{
			func() error {
				for {
					_, _, err := rx.Read(true)
					if err != nil {
						return err
					}
				}
			},
			func() error {
				pkts := make([]Packet, 16)
				for {
					if _, err := rx.ReadBatch(true, pkts); err != nil {
						return err
					}
				}
			},
		}
		for _, r := range readers {
			wg.Add(1)
			go func(r func() error) {
				defer wg.Done()
				errs <- r()
			}(r)
		}
		stop := make(chan struct{})
		var busy sync.WaitGroup
		busy.Add(1)
		go func() {
			defer busy.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rx.Stats(i%2 == 0)
				rx.Write(frame, l.tx, 0)
				tx.Write(frame, nil, 0)
				rx.Fd()
				rx.Config()
				time.Sleep(100 * time.Microsecond)
			}
		}()
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		if err := rx.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: readers still blocked after Close", round)
		}
		for range readers {
			if err := <-errs; !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("round %d: reader ended with %v, want EINVAL", round, err)
			}
		}
		close(stop)
		busy.Wait()
		// Everything after Close fails cleanly.
		if _, _, err := rx.Read(false); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Read after Close: %v", err)
		}
		if _, _, err := rx.ReadZeroCopy(true); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("ReadZeroCopy after Close: %v", err)
		}
		if _, err := rx.Write(frame, nil, 0); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Write after Close: %v", err)
		}
		if _, err := rx.WriteBatch([][]byte{frame}); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("WriteBatch after Close: %v", err)
		}
		if err := rx.SetBPF(nil); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("SetBPF after Close: %v", err)
		}
		if err := rx.BreakLoop(); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("BreakLoop after Close: %v", err)
		}
		if err := rx.SetFanout(FanoutLB, 1, 0); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("SetFanout after Close: %v", err)
		}
		if st := rx.Stats(true); *st != (Stats{}) {
			t.Errorf("Stats after Close: %+v", *st)
		}
		if rx.Fd() != ^uintptr(0) {
			t.Errorf("Fd after Close: %d", rx.Fd())
		}
		if rx.Config() == nil || rx.LinkType() != LinkTypeEthernet {
			t.Errorf("Config or LinkType after Close")
		}
		if err := rx.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

func TestSetBPF(t *testing.T) {
	l := needLab(t)
	// Accepts frames whose byte 14 is 0xaa.
	onlyAA, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 14, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xaa, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := rxConfig()
	c.ReadTimeout = 500
	c.Filter = onlyAA
	rx := l.open(t, c)
	tx := l.sender(t)
	if !reflect.DeepEqual(rx.Config().Filter, onlyAA) {
		t.Errorf("Config().Filter = %v, want the program given", rx.Config().Filter)
	}
	mixed := func(seq0 int) [][]byte {
		var fs [][]byte
		for i := 0; i < 10; i++ {
			tag := byte(0xaa)
			if i%2 == 1 {
				tag = 0xbb
			}
			fs = append(fs, l.frame(tag, seq0+i, 80))
		}
		return fs
	}
	readTags := func() string {
		var tags []string
		for {
			data, _, err := rx.Read(true)
			if errors.Is(err, syscall.ETIMEDOUT) {
				return strings.Join(tags, " ")
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if data == nil {
				continue // a nil read
			}
			tags = append(tags, fmt.Sprintf("%x", data[14]))
		}
	}
	send(t, tx, mixed(0))
	if got := readTags(); got != "aa aa aa aa aa" {
		t.Errorf("with the filter given at open: %q", got)
	}
	if err := rx.SetBPF(nil); err != nil {
		t.Fatalf("SetBPF(nil): %v", err)
	}
	if rx.Config().Filter != nil && len(rx.Config().Filter) != 0 {
		t.Errorf("Config().Filter after detaching: %v", rx.Config().Filter)
	}
	send(t, tx, mixed(10))
	if got := readTags(); got != "aa bb aa bb aa bb aa bb aa bb" {
		t.Errorf("without a filter: %q", got)
	}
	if err := rx.SetBPF(onlyAA); err != nil {
		t.Fatalf("SetBPF: %v", err)
	}
	send(t, tx, mixed(20))
	if got := readTags(); got != "aa aa aa aa aa" {
		t.Errorf("with SetBPF's filter: %q", got)
	}
	err = rx.SetBPF([]bpf.RawInstruction{{Op: 0x28, K: 12}})
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("SetBPF of a program without ret: %v, want EINVAL", err)
	}
	t.Logf("invalid program: %v", err)
	// The old filter stays.
	send(t, tx, mixed(30))
	if got := readTags(); got != "aa aa aa aa aa" {
		t.Errorf("after a refused SetBPF: %q", got)
	}
}

func TestNilRead(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.MaxNilRead = 1
	rx := l.open(t, c)
	tx := l.sender(t)
	var fs [][]byte
	for i := 0; i < 6; i++ {
		fs = append(fs, l.frame(0xbb, i, 70))
	}
	fs = append(fs, l.frame(0xaa, 6, 70))
	send(t, tx, fs)
	time.Sleep(100 * time.Millisecond) // the block is retired and waits in the ring
	onlyAA, _ := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 14, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xaa, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err := rx.SetBPF(onlyAA); err != nil {
		t.Fatal(err)
	}
	// The packets already in the ring are filtered in user space, one skip per nil read.
	nils := 0
	for i := 0; i < 20; i++ {
		data, info, err := rx.Read(true)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if data == nil {
			if info != nil {
				t.Fatalf("nil read with info %+v", info)
			}
			nils++
			continue
		}
		if data[14] != 0xaa {
			t.Fatalf("a frame failing the new filter was returned: % x", head(data))
		}
		break
	}
	if nils == 0 {
		t.Errorf("no nil read while the user-space filter skipped 6 packets")
	}
	t.Logf("%d nil reads", nils)
}

func TestStats(t *testing.T) {
	l := needLab(t)
	rx := l.open(t, rxConfig())
	tx := l.sender(t)
	send(t, tx, l.frames(0xb1, 50))
	for i := 0; i < 50; i++ {
		if _, _, err := rx.ReadZeroCopy(true); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if st := rx.Stats(false); *st != (Stats{Recvs: 50}) {
		t.Errorf("Stats(false) = %+v, want 50 received", *st)
	}
	if st := rx.Stats(false); *st != (Stats{}) {
		t.Errorf("second Stats(false) = %+v, want zero", *st)
	}
	send(t, tx, l.frames(0xb1, 5))
	for i := 0; i < 5; i++ {
		if _, _, err := rx.ReadZeroCopy(true); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if st := rx.Stats(true); *st != (Stats{Recvs: 55}) {
		t.Errorf("Stats(true) = %+v, want 55 received", *st)
	}
}

func TestConfigAndLinkType(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.ReadBufferSize = 3<<20 + 1
	c.Promiscuous = true
	c.Snaplen = 100
	rx := l.open(t, c)
	eff := rx.Config()
	if eff.ReadBufferSize < c.ReadBufferSize {
		t.Errorf("Config().ReadBufferSize = %d < %d asked", eff.ReadBufferSize, c.ReadBufferSize)
	}
	if eff.ReadAhead != 1 {
		t.Errorf("Config().ReadAhead = %d, want the default 1", eff.ReadAhead)
	}
	if eff.NoLinkLayer || !eff.Promiscuous || eff.Proto != testEtherType || eff.Snaplen != 100 ||
		eff.ReadTimeout != c.ReadTimeout || eff.ReadBufferTimeout != 10 || eff.NoVLANInsert {
		t.Errorf("Config() = %+v", *eff)
	}
	eff.Proto = 1 // a copy: changes nothing
	if rx.Config().Proto != testEtherType {
		t.Error("Config() returned the handle's own struct")
	}
	if rx.LinkType() != LinkTypeEthernet || rx.DLT() != DLTEN10MB {
		t.Errorf("LinkType() = %d, DLT() = %d", rx.LinkType(), rx.DLT())
	}
	if InterfaceLinkType(l.rx.Name) != LinkTypeEthernet {
		t.Errorf("InterfaceLinkType(%s) = %d", l.rx.Name, InterfaceLinkType(l.rx.Name))
	}
	if int(rx.Fd()) <= 2 {
		t.Errorf("Fd() = %d", rx.Fd())
	}
	// Snaplen cuts what is kept; Len stays the length on the wire.
	tx := l.sender(t)
	f := l.frame(0xb2, 0, 300)
	send(t, tx, [][]byte{f})
	data, info, err := rx.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	equalOrDiff(t, "snapped frame", data, f[:100])
	if info.CapLen != 100 || info.Len != 300 {
		t.Errorf("snapped frame: CapLen %d, Len %d", info.CapLen, info.Len)
	}

	// All interfaces: cooked, no link type, and Write needs an interface.
	anyH, err := NewHandler("", &Config{Proto: testEtherType, ReadBufferTimeout: 10, ReadTimeout: 3000})
	if err != nil {
		t.Fatal(err)
	}
	defer anyH.Close()
	if !anyH.Config().NoLinkLayer || anyH.LinkType() != LinkTypeNone || anyH.(*Handle).DLT() != DLTLinuxSLL2 {
		t.Errorf("handle on all interfaces: NoLinkLayer %v, LinkType %d, DLT %d",
			anyH.Config().NoLinkLayer, anyH.LinkType(), anyH.(*Handle).DLT())
	}
	if _, err := anyH.Write(f[14:], nil, testEtherType); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Write on all interfaces without one: %v, want EINVAL", err)
	}
}

func TestCooked(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.NoLinkLayer = true
	rx := l.open(t, c)
	tx := l.sender(t)
	f := l.frame(0xb3, 0, 200)
	send(t, tx, [][]byte{f})
	data, info, err := rx.Read(true)
	if err != nil {
		t.Fatal(err)
	}
	equalOrDiff(t, "cooked frame", data, f[14:])
	if info.Link.Protocol != testEtherType || info.Len != len(f)-14 {
		t.Errorf("cooked info %+v", info)
	}
	if rx.DLT() != DLTLinuxSLL2 || !rx.Config().NoLinkLayer {
		t.Errorf("cooked handle: DLT %d", rx.DLT())
	}
}

func TestVLAN(t *testing.T) {
	l := needLab(t)
	for _, noInsert := range []bool{false, true} {
		c := rxConfig()
		c.Proto = ProtoAll // the tag hides the test ethertype from the protocol selection
		c.NoVLANInsert = noInsert
		rx := l.open(t, c)
		tx := l.sender(t)
		f := l.frame(0xb4, 0, 120)
		tagged := append(append(append([]byte{}, f[:12]...), 0x81, 0x00, 0x20, 0x64), f[12:]...) // prio 1, VLAN 100
		send(t, tx, [][]byte{tagged})
		data, info, err := rx.Read(true)
		if err != nil {
			t.Fatalf("NoVLANInsert %v: %v", noInsert, err)
		}
		want := tagged
		if noInsert {
			want = f
		}
		equalOrDiff(t, fmt.Sprintf("NoVLANInsert %v", noInsert), data, want)
		if !VlanValid(info.Status) || info.VLAN != (VLAN{TPID: 0x8100, TCI: 0x2064}) || info.Len != len(want) {
			t.Errorf("NoVLANInsert %v: status %#x, VLAN %+v, Len %d", noInsert, info.Status, info.VLAN, info.Len)
		}
		rx.Close()
	}
}

func TestNonBlockAndTimeouts(t *testing.T) {
	l := needLab(t)
	rx := l.open(t, rxConfig())
	if data, info, err := rx.Read(false); data != nil || info != nil || !errors.As(err, new(ErrWouldPoll)) || !Temporary(err) {
		t.Errorf("Read(false) on an empty ring: %v, %v, %v; want ErrWouldPoll", data, info, err)
	}
	if _, err := rx.ReadBatch(false, make([]Packet, 4)); !errors.As(err, new(ErrWouldPoll)) {
		t.Errorf("ReadBatch(false) on an empty ring: %v; want ErrWouldPoll", err)
	}
	c := rxConfig()
	c.ReadTimeout = 60
	rx2 := l.open(t, c)
	start := time.Now()
	_, _, err := rx2.Read(true)
	if !errors.Is(err, syscall.ETIMEDOUT) || !Timeout(err) || !Temporary(err) {
		t.Errorf("Read with a 60 ms timeout: %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 3*time.Second {
		t.Errorf("the 60 ms timeout took %v", d)
	}
	c = rxConfig()
	c.NonBlock = true
	rx3 := l.open(t, c)
	if _, _, err := rx3.Read(true); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("Read(true) on a NonBlock handle: %v, want EAGAIN", err)
	}
	if !rx3.Config().NonBlock {
		t.Error("Config().NonBlock lost")
	}
}

func TestFanout(t *testing.T) {
	l := needLab(t)
	c := rxConfig()
	c.ReadTimeout = 300
	a := l.open(t, c)
	b := l.open(t, c)
	if _, err := a.FanoutGroup(); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("FanoutGroup before joining: %v", err)
	}
	if err := a.SetFanout(FanoutLB, 0, FanoutFlagUniqueID); err != nil {
		t.Fatalf("SetFanout with a unique id: %v", err)
	}
	group, err := a.FanoutGroup()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetFanout(FanoutLB, group, 0); err != nil {
		t.Fatalf("joining group %d: %v", group, err)
	}
	if err := b.SetFanout(FanoutLB, group, 0); !errors.Is(err, syscall.EALREADY) {
		t.Errorf("joining twice: %v, want EALREADY", err)
	}
	if err := b.SetFanout(FanoutMode(99), group, 0); err == nil {
		t.Errorf("unknown mode accepted")
	}
	tx := l.sender(t)
	send(t, tx, l.frames(0xb5, 100))
	count := func(h *Handle) int {
		n := 0
		for {
			_, _, err := h.ReadZeroCopy(true)
			if errors.Is(err, syscall.ETIMEDOUT) {
				return n
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			n++
		}
	}
	na, nb := count(a), count(b)
	if na+nb != 100 || na == 0 || nb == 0 {
		t.Errorf("round robin over 2 members: %d + %d of 100", na, nb)
	}
}

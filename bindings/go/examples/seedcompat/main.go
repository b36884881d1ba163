// Command seedcompat is a program written against the API of github.com/urbanishimwe/packet
// (the seed) that builds against libpkt by changing only its import path: the seed's line is
// kept below as a comment. It sends frames on one interface with Handler.Write and captures
// them on another with Handler.Read, through a BPF filter, and prints what it saw.
//
//	seedcompat -rx v0 -tx v1 -n 5
//
// (as root, on the two ends of a veth pair: test.sh runs it in its network namespace).
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/net/bpf"

	// "github.com/urbanishimwe/packet"
	"libpkt.dev/packet"
)

const etherType = 0x88b5 // local experimental

func main() {
	rxName := flag.String("rx", "v0", "interface to capture on")
	txName := flag.String("tx", "v1", "interface to send on")
	count := flag.Int("n", 5, "frames to send and capture")
	flag.Parse()
	if err := run(*rxName, *txName, *count); err != nil {
		fmt.Fprintln(os.Stderr, "seedcompat:", err)
		os.Exit(1)
	}
}

func run(rxName, txName string, count int) error {
	if !packet.IsOSSupported() {
		return packet.ErrNotImplemented
	}
	major, minor := packet.KernelVersion()
	fmt.Printf("kernel %d.%d, %s is %s\n", major, minor, rxName, packet.InterfaceLinkType(rxName))

	// Only frames of our ethertype whose first payload byte is 0x42.
	filter, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherType, SkipFalse: 3},
		bpf.LoadAbsolute{Off: 14, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x42, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return err
	}
	conf := packet.DefaultConfig()
	conf.ReadTimeout = 2000
	conf.ReadBufferTimeout = 10
	conf.Direction = packet.DirIn
	conf.TstampResolution = packet.TstampMicro
	conf.Proto = packet.ProtoAll
	conf.Filter = filter
	if !conf.CheckIntegrity() {
		return fmt.Errorf("bad config")
	}
	rx, err := packet.NewHandler(rxName, conf)
	if err != nil {
		return fmt.Errorf("capture on %s: %w", rxName, err)
	}
	defer rx.Close()
	tx, err := packet.NewHandler(txName, nil)
	if err != nil {
		return fmt.Errorf("send on %s: %w", txName, err)
	}
	defer tx.Close()
	if rx.LinkType() != packet.LinkTypeEthernet {
		return fmt.Errorf("%s is not Ethernet: %v", rxName, rx.LinkType())
	}
	fmt.Printf("capturing on %s (fd %d, link %s, ring %d bytes)\n", rxName, rx.Fd(), rx.LinkType(), rx.Config().ReadBufferSize)

	// Nothing is there yet: a read that does not poll says so.
	if _, _, err := rx.Read(false); err != nil {
		if _, ok := err.(packet.ErrWouldPoll); !ok || !packet.Temporary(err) {
			return fmt.Errorf("first read: %v", err)
		}
	}

	rxIf, err := net.InterfaceByName(rxName)
	if err != nil {
		return err
	}
	txIf, err := net.InterfaceByName(txName)
	if err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		for _, tag := range []byte{0x42, 0x43} { // the filter drops 0x43
			frame := make([]byte, 60+i)
			copy(frame, rxIf.HardwareAddr)
			copy(frame[6:], txIf.HardwareAddr)
			binary.BigEndian.PutUint16(frame[12:], etherType)
			frame[14] = tag
			frame[15] = byte(i)
			if _, err := tx.Write(frame, txIf, packet.Proto(etherType)); err != nil {
				return fmt.Errorf("write: %w", err)
			}
		}
	}

	got := 0
	for got < count {
		raw, info, err := rx.Read(true)
		if err != nil {
			if packet.Timeout(err) {
				return fmt.Errorf("timed out after %d of %d frames: %w", got, count, err)
			}
			if packet.Temporary(err) {
				continue
			}
			return err
		}
		if raw == nil {
			continue // the seed's nil read
		}
		if raw[14] != 0x42 || int(raw[15]) != got || info.CapLen != len(raw) || info.Len != 60+got {
			return fmt.Errorf("unexpected frame % x (%+v)", raw[:16], *info)
		}
		vlan := "none"
		if packet.VlanValid(info.Status) {
			vlan = fmt.Sprintf("%d", info.VLAN.TCI&0xfff)
		}
		fmt.Printf("%s if %d proto %#04x link %s caplen %d len %d tstamp %d vlan %s\n",
			info.Time.Format("15:04:05.000000"), info.Ifindex, uint16(info.Link.Protocol),
			info.Link.LinkType, info.CapLen, info.Len, packet.TstampValid(info.Status), vlan)
		got++
	}

	// BreakLoop from another goroutine ends a blocked read.
	go func() {
		time.Sleep(20 * time.Millisecond)
		rx.BreakLoop()
	}()
	if _, _, err := rx.Read(true); err != nil {
		if _, ok := err.(packet.ErrBreakLoop); !ok {
			return fmt.Errorf("read after BreakLoop: %v", err)
		}
	}
	if err := rx.SetBPF(nil); err != nil {
		return err
	}
	st := rx.Stats(true)
	var stats packet.Stats = *st
	fmt.Printf("received %d, dropped %d\n", stats.Recvs, stats.Drops)
	fmt.Printf("seedcompat: OK, %d frames sent and captured\n", got)
	return nil
}

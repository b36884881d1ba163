// Command capture prints the packets seen on an interface, a line each, and optionally writes
// them to a pcap file. It reads with ReadBatch: many packets per call into libpkt, no copy.
//
//	capture -i eth0 -c 10             # 10 packets, then the statistics
//	capture -i eth0 -w out.pcap       # print and save until Ctrl-C
//	capture -c 5                      # all interfaces (cooked)
//	capture -i eth0 -f 'udp port 53'  # only what the filter expression (tcpdump's) accepts
//
// Needs root (or CAP_NET_RAW). Ctrl-C stops it at once, through BreakLoop.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"libpkt.dev/packet"
)

func main() {
	iface := flag.String("i", "", "interface (default: all interfaces, cooked)")
	count := flag.Int("c", 0, "stop after this many packets (0: until Ctrl-C)")
	out := flag.String("w", "", "also write the packets to this pcap file")
	timeout := flag.Int64("t", 0, "give up after this many milliseconds without a packet (0: never)")
	filter := flag.String("f", "", "filter expression, as tcpdump's (default: every packet)")
	flag.Parse()
	if err := run(*iface, *count, *out, *timeout, *filter); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run(iface string, count int, out string, timeout int64, filter string) error {
	cfg := packet.DefaultConfig()
	cfg.ReadTimeout = timeout
	h, err := packet.Open(iface, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	if filter != "" {
		if err := h.SetFilter(filter); err != nil {
			return err
		}
	}
	name := iface
	if name == "" {
		name = "all interfaces"
	}
	fmt.Fprintf(os.Stderr, "capture: listening on %s, link type %d (pcap), libpkt %s\n", name, h.DLT(), packet.Version())

	var dump *packet.Dumper
	if out != "" {
		if dump, err = packet.NewDumper(out, h.DLT(), 0, 0); err != nil {
			return err
		}
		defer dump.Close()
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		h.BreakLoop()
	}()

	cooked := h.Config().NoLinkLayer
	pkts := make([]packet.Packet, 64)
	seen := 0
loop:
	for count == 0 || seen < count {
		n, err := h.ReadBatch(true, pkts)
		switch {
		case errors.As(err, new(packet.ErrBreakLoop)):
			break loop
		case packet.Timeout(err):
			fmt.Fprintln(os.Stderr, "capture: no packet for", timeout, "ms")
			break loop
		case err != nil:
			return err
		}
		for i := range pkts[:n] {
			p := &pkts[i]
			fmt.Println(describe(p, cooked))
			if dump != nil {
				if err := dump.WritePacket(p); err != nil {
					return err
				}
			}
			seen++
			if seen == count {
				break
			}
		}
	}
	st := h.Stats(true)
	fmt.Fprintf(os.Stderr, "%d packets captured, %d received by filter, %d dropped\n", seen, st.Recvs, st.Drops)
	if dump != nil {
		return dump.Close()
	}
	return nil
}

var directions = map[packet.PacketType]string{
	packet.PacketHost:      "In ",
	packet.PacketBroadcast: "B  ",
	packet.PacketMulticast: "M  ",
	packet.PacketOtherHost: "P  ",
	packet.PacketOutgoing:  "Out",
}

// describe is a one-line summary: time, interface, direction, addresses, ethertype, lengths.
func describe(p *packet.Packet, cooked bool) string {
	info := &p.Info
	s := fmt.Sprintf("%s if%-3d %s", info.Time.Format("15:04:05.000000"), info.Ifindex, directions[info.PktType])
	d := p.Data
	if !cooked && len(d) >= 14 {
		s += fmt.Sprintf(" %x > %x", d[6:12], d[0:6])
		d = d[14:]
		if binary.BigEndian.Uint16(p.Data[12:]) == 0x8100 && len(d) >= 4 {
			s += fmt.Sprintf(" vlan %d", binary.BigEndian.Uint16(d)&0xfff)
			d = d[4:]
		}
	}
	s += fmt.Sprintf(" ethertype %#04x", uint16(info.Link.Protocol))
	if info.Link.Protocol == packet.ProtoIP && len(d) >= 20 {
		s += fmt.Sprintf(" %d.%d.%d.%d > %d.%d.%d.%d proto %d", d[12], d[13], d[14], d[15], d[16], d[17], d[18], d[19], d[9])
	}
	return s + fmt.Sprintf(", length %d/%d", info.CapLen, info.Len)
}

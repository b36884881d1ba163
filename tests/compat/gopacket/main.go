// gocap: a gopacket/pcap program (Debian's golang-github-google-gopacket-dev, unchanged) that
// the compat tests run on the real libpcap and on libpkt's libpcap.so.0.8 and compare.
//
//	gocap info                                  library version, devices, link names, BPF
//	gocap live -i IF [-c N] [-f EXPR] [-t SEC] [-w FILE]
//	                                            capture N packets (stderr says "listening on IF"
//	                                            once active; stdout: one line per packet)
//	gocap read -r FILE [-f EXPR] [-F]           read a savefile, one line per packet
//	gocap send -i IF -n N                       inject N numbered frames (pcap_sendpacket)
//
// Build (offline, GOPATH mode): GO111MODULE=off GOPATH=/usr/share/gocode go build -o gocap main.go
package main

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// writer writes a classic microsecond pcap file (gopacket's pcapgo needs golang.org/x/net,
// which is another Debian package; this is all it would do here).
type writer struct{ f *os.File }

func newWriter(f *os.File, snaplen uint32, lt layers.LinkType) (*writer, error) {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], snaplen)
	binary.LittleEndian.PutUint32(hdr[20:], uint32(lt))
	_, err := f.Write(hdr)
	return &writer{f}, err
}

func (w *writer) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	rec := make([]byte, 16, 16+len(data))
	binary.LittleEndian.PutUint32(rec[0:], uint32(ci.Timestamp.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(ci.Timestamp.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(ci.Length))
	_, err := w.f.Write(append(rec, data...))
	return err
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gocap: "+format+"\n", a...)
	os.Exit(1)
}

// describe prints one packet: its lengths, the layers gopacket decodes and the bytes.
func describe(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, withTime bool) string {
	var names []string
	pkt := gopacket.NewPacket(data, lt, gopacket.Default)
	for _, l := range pkt.Layers() {
		names = append(names, l.LayerType().String())
	}
	ts := ""
	if withTime {
		ts = fmt.Sprintf("ts=%d.%09d ", ci.Timestamp.Unix(), ci.Timestamp.Nanosecond())
	}
	return fmt.Sprintf("%slen=%d caplen=%d layers=%s data=%s", ts, ci.Length, ci.CaptureLength,
		strings.Join(names, "/"), hex.EncodeToString(data))
}

func info() {
	fmt.Println("version:", pcap.Version())
	devs, err := pcap.FindAllDevs()
	if err != nil {
		die("FindAllDevs: %v", err)
	}
	var names []string
	for _, d := range devs {
		var addrs []string
		for _, a := range d.Addresses {
			addrs = append(addrs, a.IP.String()+"/"+a.Netmask.String())
		}
		sort.Strings(addrs)
		names = append(names, fmt.Sprintf("%s [%s] flags=%#x", d.Name, strings.Join(addrs, " "), d.Flags))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println("device:", n)
	}
	for _, v := range []int{0, 1, 12, 101, 105, 113, 127, 228, 276, 9999} {
		fmt.Printf("dlt %d: %q %q\n", v, pcap.DatalinkValToName(v), pcap.DatalinkValToDescription(v))
	}
	for _, n := range []string{"EN10MB", "en10mb", "LINUX_SLL2", "RAW", "nonesuch"} {
		fmt.Printf("dlt name %s: %d\n", n, pcap.DatalinkNameToVal(n))
	}
	for _, expr := range []string{"tcp port 80", "icmp or arp", "vlan 100 and udp", "ip6", "bogus expr ("} {
		insns, err := pcap.CompileBPFFilter(layers.LinkTypeEthernet, 65535, expr)
		if err != nil {
			fmt.Printf("bpf %q: error %v\n", expr, err)
			continue
		}
		fmt.Printf("bpf %q: %d insns %v\n", expr, len(insns), insns)
	}
	bpf, err := pcap.NewBPF(layers.LinkTypeEthernet, 65535, "udp")
	if err != nil {
		die("NewBPF: %v", err)
	}
	udp := make([]byte, 42)
	udp[12], udp[13], udp[14], udp[23] = 0x08, 0x00, 0x45, 17
	ci := gopacket.CaptureInfo{CaptureLength: len(udp), Length: len(udp)}
	fmt.Println("bpf udp matches udp frame:", bpf.Matches(ci, udp), "arp frame:", bpf.Matches(ci, make([]byte, 42)))
	for _, s := range []string{"host", "adapter", "nonesuch"} {
		t, err := pcap.TimestampSourceFromString(s)
		fmt.Printf("tstamp %s: %v %v\n", s, t, err)
	}
}

func live(args []string) {
	fs := flag.NewFlagSet("live", flag.ExitOnError)
	iface := fs.String("i", "", "interface")
	count := fs.Int("c", 10, "packets")
	expr := fs.String("f", "", "filter")
	secs := fs.Float64("t", 10, "deadline in seconds")
	out := fs.String("w", "", "pcap file to write")
	_ = fs.Parse(args)
	in, err := pcap.NewInactiveHandle(*iface)
	if err != nil {
		die("NewInactiveHandle: %v", err)
	}
	defer in.CleanUp()
	for _, set := range []error{in.SetSnapLen(65535), in.SetPromisc(true), in.SetTimeout(100 * time.Millisecond),
		in.SetImmediateMode(true), in.SetBufferSize(4 << 20)} {
		if set != nil {
			die("set: %v", set)
		}
	}
	h, err := in.Activate()
	if err != nil {
		die("Activate: %v", err)
	}
	defer h.Close()
	if *expr != "" {
		if err := h.SetBPFFilter(*expr); err != nil {
			die("SetBPFFilter: %v", err)
		}
	}
	var w *writer
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			die("%v", err)
		}
		defer f.Close()
		if w, err = newWriter(f, uint32(h.SnapLen()), h.LinkType()); err != nil {
			die("%v", err)
		}
	}
	dl, _ := h.ListDataLinks()
	fmt.Fprintf(os.Stderr, "listening on %s linktype %s snaplen %d resolution %v datalinks %d\n",
		*iface, h.LinkType(), h.SnapLen(), h.Resolution(), len(dl))
	deadline := time.Now().Add(time.Duration(*secs * float64(time.Second)))
	got := 0
	for got < *count && time.Now().Before(deadline) {
		data, ci, err := h.ReadPacketData()
		if err == pcap.NextErrorTimeoutExpired {
			continue
		}
		if err != nil {
			die("ReadPacketData: %v", err)
		}
		got++
		fmt.Println(describe(data, ci, h.LinkType(), false))
		if w != nil {
			if err := w.WritePacket(ci, data); err != nil {
				die("%v", err)
			}
		}
	}
	st, err := h.Stats()
	if err != nil {
		die("Stats: %v", err)
	}
	fmt.Fprintf(os.Stderr, "captured %d received %d dropped %d ifdropped %d\n", got,
		st.PacketsReceived, st.PacketsDropped, st.PacketsIfDropped)
	if got < *count {
		die("deadline: %d of %d packets", got, *count)
	}
}

func read(args []string) {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	file := fs.String("r", "", "savefile")
	expr := fs.String("f", "", "filter")
	useFile := fs.Bool("F", false, "open with OpenOfflineFile (pcap_fopen_offline_with_tstamp_precision)")
	_ = fs.Parse(args)
	var h *pcap.Handle
	var err error
	if *useFile {
		f, ferr := os.Open(*file)
		if ferr != nil {
			die("%v", ferr)
		}
		h, err = pcap.OpenOfflineFile(f)
	} else {
		h, err = pcap.OpenOffline(*file)
	}
	if err != nil {
		fmt.Println("open error:", err)
		return
	}
	defer h.Close()
	fmt.Printf("linktype %d %s snaplen %d resolution %v\n", int(h.LinkType()), h.LinkType(), h.SnapLen(), h.Resolution())
	if *expr != "" {
		if err := h.SetBPFFilter(*expr); err != nil {
			fmt.Println("filter error:", err)
			return
		}
	}
	for i := 0; ; i++ {
		data, ci, err := h.ReadPacketData()
		if err != nil {
			fmt.Printf("end after %d: %v\n", i, err)
			return
		}
		fmt.Println(describe(data, ci, h.LinkType(), true))
	}
}

func send(args []string) {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	iface := fs.String("i", "", "interface")
	n := fs.Int("n", 10, "frames")
	_ = fs.Parse(args)
	h, err := pcap.OpenLive(*iface, 65535, false, 100*time.Millisecond)
	if err != nil {
		die("OpenLive: %v", err)
	}
	defer h.Close()
	for i := 0; i < *n; i++ {
		// Broadcast, local experimental EtherType 0x88b5, the number in the payload.
		frame := make([]byte, 60)
		copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5})
		copy(frame[14:], fmt.Sprintf("gocap frame %04d", i))
		if err := h.WritePacketData(frame); err != nil {
			die("WritePacketData: %v", err)
		}
	}
	fmt.Printf("sent %d\n", *n)
}

func main() {
	if len(os.Args) < 2 {
		die("usage: gocap info | live -i IF ... | read -r FILE ... | send -i IF -n N")
	}
	switch os.Args[1] {
	case "info":
		info()
	case "live":
		live(os.Args[2:])
	case "read":
		read(os.Args[2:])
	case "send":
		send(os.Args[2:])
	default:
		die("unknown mode %q", os.Args[1])
	}
}

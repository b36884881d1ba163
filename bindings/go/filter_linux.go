//go:build linux && cgo

package packet

/*
#include <malloc.h>
#include <stdlib.h>
#include "gopkt.h"
*/
import "C"

import (
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
)

// CompileFilter compiles the filter expression expr (tcpdump's language, pcap-filter(7), as
// libpcap 1.10 accepts it) into a classic BPF program for packets of pcap link type dlt:
// DLTEN10MB, DLTRaw (or 12), DLTLinuxSLL or DLTLinuxSLL2. Accepted packets return snaplen
// (0: 262144), rejected ones 0. optimize is pcap_compile's optimize; live gives the form for
// a capture handle (Handle.SetBPF, with the handle's DLT: the kernel has removed the outer
// VLAN tag, and vlan, inbound/outbound and ifindex use the packet's metadata), !live the form
// for a savefile's bytes (what tcpdump -d -r FILE prints). An empty expression accepts every
// packet.
//
// Errors are *os.SyscallError values wrapping the errno: syscall.EINVAL for an expression that
// does not compile (Syscall then carries libpkt's message, with the byte position in expr and
// the problem: "pkt_compile: position 12: syntax error: unexpected end of expression"), an
// unknown link type or a NUL byte in expr; syscall.E2BIG for a program longer than the 4096
// instructions the kernel takes. Host, port and protocol names are resolved as libpcap
// resolves them, which may block on DNS.
func CompileFilter(expr string, dlt uint16, snaplen uint32, optimize, live bool) ([]bpf.RawInstruction, error) {
	cexpr, ok := cString(expr)
	if !ok {
		return nil, opError("pkt_compile", syscall.EINVAL, "expression holds a NUL byte")
	}
	defer C.free(unsafe.Pointer(cexpr))
	var flags C.uint32_t
	if optimize {
		flags |= C.PKT_COMPILE_OPTIMIZE
	}
	if live {
		flags |= C.PKT_COMPILE_LIVE
	}
	var prog *C.pkt_bpf_insn_t
	var n C.size_t
	rc, msg := callWithMsg(func(m *C.char, mc C.size_t) C.int {
		return C.gopkt_compile(cexpr, C.uint16_t(dlt), C.uint32_t(snaplen), flags, &prog, &n, m, mc)
	})
	if rc < 0 {
		return nil, opError("pkt_compile", errnoOf(rc), msg)
	}
	// Freed on every path from here (pkt_free_prog ignores NULL).
	defer C.pkt_free_prog(prog)
	if prog == nil || n == 0 || n > 1<<16 {
		return nil, opError("pkt_compile", syscall.EIO, "unexpected empty or oversized program")
	}
	// bpf.RawInstruction and pkt_bpf_insn_t share their layout (see cgo_linux.go).
	out := make([]bpf.RawInstruction, int(n))
	copy(out, unsafe.Slice((*bpf.RawInstruction)(unsafe.Pointer(prog)), int(n)))
	return out, nil
}

// SetFilter compiles expr (see CompileFilter) in its live, optimized form for the handle's
// link type (DLT) and snap length (Config.Snaplen; 0: 262144) and installs it as SetBPF does:
// the form that libpcap's pcap_setfilter, tcpdump and pktdump -f use. On a savefile handle it
// compiles the offline form for the file's DLT (what tcpdump -r FILE EXPR runs), which tests
// the bytes as they are in the file. An empty expression accepts every packet. On error (the
// compiler's, with the position in expr, or SetBPF's) the previous filter stays.
// Config().Filter returns the program installed.
//
// Names are resolved before the handle is touched: a read in progress is not held up by DNS.
func (h *Handle) SetFilter(expr string) error {
	if h.closed.Load() != 0 {
		return syscall.EINVAL
	}
	h.cfgMu.Lock()
	snaplen := h.cfg.Snaplen
	h.cfgMu.Unlock()
	prog, err := CompileFilter(expr, h.dlt, snaplen, true, !h.offline)
	if err != nil {
		return err
	}
	return h.SetBPF(prog)
}

// cMallocInUse is the C heap's bytes in use (mallinfo2), for the test that compiling frees
// every program and message.
func cMallocInUse() uint64 {
	mi := C.mallinfo2()
	return uint64(mi.uordblks) + uint64(mi.hblkhd)
}

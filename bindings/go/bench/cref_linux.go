//go:build linux && cgo

package main

// The C reference of the benchmarks (bench_test.go, recv's c-batch and c-slim modes): libpkt's
// pkt_read_batch and pkt_read_slim called in a loop written in C (bench/refread.h), on a
// libpkt handle of its own, so the Go read paths are measured against C in the same process
// on the same traffic.

/*
#cgo CFLAGS: -O2 -I${SRCDIR}/../../../include -I${SRCDIR}/../../../bench
#cgo !libpkt_pkgconfig LDFLAGS: ${SRCDIR}/../../../target/release/libpkt.a -lpthread -ldl -lm -lrt -lutil -lgcc_eh
#cgo libpkt_pkgconfig pkg-config: libpkt
#include <stdlib.h>
#include "refread.h"

static int cref_open(const char *ifname, int64_t ring, uint16_t proto, int64_t timeout_ms,
		     pkt_t **out)
{
	pkt_config_t c;
	pkt_config_default(&c);
	c.buffer_size = ring;
	c.proto = proto;
	c.direction = PKT_DIR_IN;
	c.read_timeout_ms = timeout_ms;
	return pkt_open(ifname, &c, out);
}

static int cref_open_offline(const char *path, pkt_t **out)
{
	pkt_config_t c;
	pkt_config_default(&c);
	return pkt_open_offline(path, &c, out);
}

static uint64_t cref_recvs(pkt_t *h)
{
	pkt_stats_t st = {0};
	pkt_stats(h, true, &st);
	return st.recvs;
}

static uint64_t cref_drops(pkt_t *h)
{
	pkt_stats_t st = {0};
	pkt_stats(h, true, &st);
	return st.drops;
}
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// cHandle is a libpkt handle read by the C reference loop.
type cHandle struct {
	h    *C.pkt_t
	sink C.uint64_t
}

func cOpen(iface string, ring int64, proto uint16, timeoutMS int64) (*cHandle, error) {
	name := C.CString(iface)
	defer C.free(unsafe.Pointer(name))
	var h *C.pkt_t
	if rc := C.cref_open(name, C.int64_t(ring), C.uint16_t(proto), C.int64_t(timeoutMS), &h); rc < 0 {
		return nil, fmt.Errorf("pkt_open %s: %s", iface, C.GoString(C.pkt_errmsg()))
	}
	return &cHandle{h: h}, nil
}

func cOpenOffline(path string) (*cHandle, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	var h *C.pkt_t
	if rc := C.cref_open_offline(p, &h); rc < 0 {
		return nil, fmt.Errorf("pkt_open_offline %s: %s", path, C.GoString(C.pkt_errmsg()))
	}
	return &cHandle{h: h}, nil
}

func (c *cHandle) close() { C.pkt_close(c.h) }

func (c *cHandle) recvs() uint64 { return uint64(C.cref_recvs(c.h)) }
func (c *cHandle) drops() uint64 { return uint64(C.cref_drops(c.h)) }

// drain reads up to n packets, batch descriptors per call, with pkt_read_slim (slim) or
// pkt_read_batch, touching the first byte of each; it stops at the first code <= 0 (nil when
// n were read, a syscall.Errno otherwise).
func (c *cHandle) drain(slim bool, batch int, n int64, poll bool) (int64, error) {
	mode, p := C.int(0), C.int(0)
	if slim {
		mode = 1
	}
	if poll {
		p = 1
	}
	var rc C.int
	got := C.ref_drain(c.h, mode, C.int(batch), C.int64_t(n), p, &c.sink, &rc)
	if rc < 0 {
		return int64(got), syscall.Errno(-rc)
	}
	return int64(got), nil
}

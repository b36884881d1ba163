//go:build linux && cgo

// C helpers of the Go package. Each makes one libpkt call and, when it fails, copies
// pkt_errmsg() into msg while still on the thread that failed: the message is per thread, and
// a goroutine may move to another thread between two cgo calls.

#include <errno.h>
#include <string.h>

#include "gopkt.h"

static void gopkt_msg(char *msg, size_t cap)
{
	const char *m = pkt_errmsg();
	size_t n = strlen(m);
	if (n >= cap)
		n = cap - 1;
	memcpy(msg, m, n);
	msg[n] = 0;
}

// Go memory handed to C must not hold Go pointers, so the filter comes as its own argument and
// goes into a copy of the config on the C stack.
int gopkt_open(const char *name, const pkt_config_t *cfg, const pkt_bpf_insn_t *filter,
	       uint32_t filter_len, pkt_t **out, char *msg, size_t cap)
{
	pkt_config_t c = *cfg;
	c.filter = filter;
	c.filter_len = filter_len;
	int rc = pkt_open(name, &c, out);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

bool gopkt_config_check(const pkt_config_t *cfg, const pkt_bpf_insn_t *filter, uint32_t filter_len)
{
	pkt_config_t c = *cfg;
	c.filter = filter;
	c.filter_len = filter_len;
	return pkt_config_check(&c);
}

int gopkt_compile(const char *expr, uint16_t linktype, uint32_t snaplen, uint32_t flags,
		  pkt_bpf_insn_t **prog, size_t *len, char *msg, size_t cap)
{
	int rc = pkt_compile(expr, linktype, snaplen, flags, prog, len);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_setfilter(pkt_t *h, const pkt_bpf_insn_t *prog, size_t len, char *msg, size_t cap)
{
	int rc = pkt_setfilter(h, prog, len);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_set_fanout(pkt_t *h, uint16_t mode, uint16_t group, uint16_t flags, char *msg,
		     size_t cap)
{
	int rc = pkt_set_fanout(h, mode, group, flags);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

// The per-packet calls take the handle and C memory as integers: cgo converts a pointer to an
// incomplete C type (pkt_t) to an interface for its pointer check, which allocates on every call.
// msg (0: none, as for live handles, whose read errors are bare errnos) receives pkt_errmsg()
// when a read fails other than by -EAGAIN or -EINTR, which carry no message worth the copy: a
// savefile's -EBADMSG names the damaged record's byte offset there.

static inline void gopkt_read_msg(int rc, uintptr_t msg, size_t cap)
{
	if (rc < 0 && msg != 0 && rc != -EAGAIN && rc != -EINTR)
		gopkt_msg((char *)msg, cap);
}

int gopkt_read(uintptr_t h, int poll, uintptr_t p, uintptr_t msg, size_t cap)
{
	pkt_packet_t *pk = (pkt_packet_t *)p;
	int rc = pkt_read((pkt_t *)h, poll, &pk->data, &pk->info);
	gopkt_read_msg(rc, msg, cap);
	return rc;
}

int gopkt_read_batch(uintptr_t h, int poll, uintptr_t out, size_t max, uintptr_t msg, size_t cap)
{
	int rc = pkt_read_batch((pkt_t *)h, poll, (pkt_packet_t *)out, max);
	gopkt_read_msg(rc, msg, cap);
	return rc;
}

int gopkt_read_slim(uintptr_t h, int poll, uintptr_t out, size_t max, uintptr_t msg, size_t cap)
{
	int rc = pkt_read_slim((pkt_t *)h, poll, (pkt_slim_t *)out, max);
	gopkt_read_msg(rc, msg, cap);
	return rc;
}

int gopkt_write(uintptr_t h, const void *buf, size_t len, int ifindex, uint16_t proto)
{
	return pkt_write((pkt_t *)h, buf, len, ifindex, proto);
}

int gopkt_write_batch(uintptr_t h, uintptr_t frames, size_t n, uintptr_t msg, size_t cap,
		      int *err)
{
	int rc = pkt_write_batch((pkt_t *)h, (const pkt_frame_t *)frames, n);
	if (rc < 0 || (size_t)rc < n) {
		gopkt_msg((char *)msg, cap);
		*err = pkt_errno();
	}
	return rc;
}

int gopkt_flush(pkt_t *h, char *msg, size_t cap)
{
	int rc = pkt_flush(h);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_dump_open(const char *path, uint16_t linktype, uint32_t snaplen, uint32_t flags,
		    pkt_dumper_t **out, char *msg, size_t cap)
{
	int rc = pkt_dump_open(path, linktype, snaplen, flags, out);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_dump_write(uintptr_t d, const uint8_t *data, uintptr_t info, uintptr_t msg, size_t cap)
{
	int rc = pkt_dump_write((pkt_dumper_t *)d, data, (const pkt_info_t *)info);
	if (rc < 0)
		gopkt_msg((char *)msg, cap);
	return rc;
}

int gopkt_dump_flush(pkt_dumper_t *d, char *msg, size_t cap)
{
	int rc = pkt_dump_flush(d);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_dump_close(pkt_dumper_t *d, char *msg, size_t cap)
{
	int rc = pkt_dump_close(d);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_iface_list(pkt_iface_t **out, char *msg, size_t cap)
{
	int rc = pkt_iface_list(out);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_lookupnet(const char *ifname, uint32_t *net, uint32_t *mask, char *msg, size_t cap)
{
	int rc = pkt_lookupnet(ifname, net, mask);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_default_iface(char *buf, size_t len, char *msg, size_t cap)
{
	int rc = pkt_default_iface(buf, len);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_tstamp_sources(const char *ifname, uint8_t *out, size_t max, char *msg, size_t cap)
{
	int rc = pkt_tstamp_sources(ifname, out, max);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

// path NULL: read descriptor fd (pkt_open_offline_fd). The filter as in gopkt_open.
int gopkt_open_offline(const char *path, int fd, const pkt_config_t *cfg, const pkt_bpf_insn_t *filter,
		       uint32_t filter_len, pkt_t **out, char *msg, size_t cap)
{
	pkt_config_t c = *cfg;
	c.filter = filter;
	c.filter_len = filter_len;
	int rc = path != NULL ? pkt_open_offline(path, &c, out) : pkt_open_offline_fd(fd, &c, out);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

int gopkt_offline_iface(pkt_t *h, int32_t ifindex, uint16_t *dlt, uint32_t *snaplen, char *msg,
			size_t cap)
{
	int rc = pkt_offline_iface(h, ifindex, dlt, snaplen);
	if (rc < 0)
		gopkt_msg(msg, cap);
	return rc;
}

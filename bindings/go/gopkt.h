// The C helpers of the Go package (gopkt.c): libpkt calls that copy pkt_errmsg() on failure.
#ifndef GOPKT_H
#define GOPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

int gopkt_open(const char *name, const pkt_config_t *cfg, const pkt_bpf_insn_t *filter,
	       uint32_t filter_len, pkt_t **out, char *msg, size_t cap);
bool gopkt_config_check(const pkt_config_t *cfg, const pkt_bpf_insn_t *filter, uint32_t filter_len);
int gopkt_compile(const char *expr, uint16_t linktype, uint32_t snaplen, uint32_t flags,
		  pkt_bpf_insn_t **prog, size_t *len, char *msg, size_t cap);
int gopkt_setfilter(pkt_t *h, const pkt_bpf_insn_t *prog, size_t len, char *msg, size_t cap);
int gopkt_set_fanout(pkt_t *h, uint16_t mode, uint16_t group, uint16_t flags, char *msg,
		     size_t cap);
int gopkt_read(uintptr_t h, int poll, uintptr_t p, uintptr_t msg, size_t cap);
int gopkt_read_batch(uintptr_t h, int poll, uintptr_t out, size_t max, uintptr_t msg, size_t cap);
int gopkt_read_slim(uintptr_t h, int poll, uintptr_t out, size_t max, uintptr_t msg, size_t cap);
int gopkt_write(uintptr_t h, const void *buf, size_t len, int ifindex, uint16_t proto);
int gopkt_write_batch(uintptr_t h, uintptr_t frames, size_t n, uintptr_t msg, size_t cap,
		      int *err);
int gopkt_flush(pkt_t *h, char *msg, size_t cap);
int gopkt_dump_open(const char *path, uint16_t linktype, uint32_t snaplen, uint32_t flags,
		    pkt_dumper_t **out, char *msg, size_t cap);
int gopkt_dump_write(uintptr_t d, const uint8_t *data, uintptr_t info, uintptr_t msg, size_t cap);
int gopkt_dump_flush(pkt_dumper_t *d, char *msg, size_t cap);
int gopkt_dump_close(pkt_dumper_t *d, char *msg, size_t cap);
int gopkt_iface_list(pkt_iface_t **out, char *msg, size_t cap);
int gopkt_lookupnet(const char *ifname, uint32_t *net, uint32_t *mask, char *msg, size_t cap);
int gopkt_default_iface(char *buf, size_t len, char *msg, size_t cap);
int gopkt_tstamp_sources(const char *ifname, uint8_t *out, size_t max, char *msg, size_t cap);
int gopkt_open_offline(const char *path, int fd, const pkt_config_t *cfg, const pkt_bpf_insn_t *filter,
		       uint32_t filter_len, pkt_t **out, char *msg, size_t cap);
int gopkt_offline_iface(pkt_t *h, int32_t ifindex, uint16_t *dlt, uint32_t *snaplen, char *msg,
			size_t cap);

#endif

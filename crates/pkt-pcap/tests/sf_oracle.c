/* The reference side of sf_diff.rs: reads savefiles with the system's libpcap and prints what
 * a program sees of each (header values, every record, the final error or EOF).
 *
 * Usage: sf_oracle LIST, where each line of LIST is "PRECISION PATH". For each line it prints
 *   == PRECISION PATH
 *   open-error ERRBUF                                              (when the open fails)
 *   open dlt=D ext=E snap=S swapped=W version=MAJ.MIN
 *   rec SEC USEC CAPLEN LEN FNV1A64-OF-DATA                        (one per record)
 *   eof | error RC ERRBUF
 * sf_diff.rs prints the same from pkt_pcap::sf::Savefile and compares. */
#include <pcap/pcap.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const u_char *d, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (uint32_t i = 0; i < n; i++) {
		h ^= d[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sf_oracle LIST\n");
		return 2;
	}
	FILE *list = fopen(argv[1], "r");
	if (list == NULL) {
		perror(argv[1]);
		return 2;
	}
	static char line[8192];
	while (fgets(line, sizeof line, list) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		int prec = atoi(line);
		const char *path = sp + 1;
		char errbuf[PCAP_ERRBUF_SIZE];
		errbuf[0] = '\0';
		printf("== %d %s\n", prec, path);
		pcap_t *p = pcap_open_offline_with_tstamp_precision(path, (u_int)prec, errbuf);
		if (p == NULL) {
			printf("open-error %s\n", errbuf);
			continue;
		}
		printf("open dlt=%d ext=%d snap=%d swapped=%d version=%d.%d\n", pcap_datalink(p),
		    pcap_datalink_ext(p), pcap_snapshot(p), pcap_is_swapped(p),
		    pcap_major_version(p), pcap_minor_version(p));
		for (;;) {
			struct pcap_pkthdr *h;
			const u_char *d;
			int rc = pcap_next_ex(p, &h, &d);
			if (rc == 1) {
				printf("rec %lld %ld %u %u %016" PRIx64 "\n", (long long)h->ts.tv_sec,
				    (long)h->ts.tv_usec, h->caplen, h->len, fnv1a(d, h->caplen));
			} else if (rc == PCAP_ERROR_BREAK) {
				printf("eof\n");
				break;
			} else {
				printf("error %d %s\n", rc, pcap_geterr(p));
				break;
			}
		}
		pcap_close(p);
	}
	fclose(list);
	return 0;
}

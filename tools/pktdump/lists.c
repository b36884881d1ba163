/* pktdump -D, -L and -J: the interfaces, link types and time stamp types, as tcpdump lists
 * them. */
#include <string.h>

#include "pktdump.h"

int pd_list_ifaces(void)
{
    pkt_iface_t *list = NULL;
    int n = pkt_iface_list(&list);
    if (n < 0) {
        fprintf(stderr, PD_PROG ": pkt_iface_list: %s\n", pkt_errmsg());
        return 1;
    }
    int i = 1;
    for (pkt_iface_t *f = list; f != NULL; f = f->next, i++) {
        printf("%d.%s", i, f->name);
        if (f->description != NULL)
            printf(" (%s)", f->description);
        const char *parts[6];
        int k = 0;
        if (f->flags & PKT_IF_UP)
            parts[k++] = "Up";
        if (f->flags & PKT_IF_RUNNING)
            parts[k++] = "Running";
        if (f->flags & PKT_IF_WIRELESS)
            parts[k++] = "Wireless";
        if (f->flags & PKT_IF_LOOPBACK)
            parts[k++] = "Loopback";
        switch (f->flags & PKT_IF_CONNECTION_STATUS) {
        case PKT_IF_CONNECTION_STATUS_CONNECTED:
            parts[k++] = (f->flags & PKT_IF_WIRELESS) ? "Associated" : "Connected";
            break;
        case PKT_IF_CONNECTION_STATUS_DISCONNECTED:
            parts[k++] = (f->flags & PKT_IF_WIRELESS) ? "Not associated" : "Disconnected";
            break;
        case PKT_IF_CONNECTION_STATUS_UNKNOWN:
            if (f->flags & PKT_IF_WIRELESS)
                parts[k++] = "Association status unknown";
            break;
        default: break;
        }
        printf(" [");
        if (k == 0)
            printf("none");
        for (int j = 0; j < k; j++)
            printf("%s%s", j ? ", " : "", parts[j]);
        printf("]\n");
    }
    pkt_iface_list_free(list);
    return 0;
}

static void dlt_line(uint16_t dlt)
{
    const char *n = pkt_dlt_name(dlt), *d = pkt_dlt_description(dlt);
    printf("  %s (%s)\n", n ? n : "?", d ? d : "?");
}

int pd_list_dlts(const char *iface)
{
    const char *name = iface ? iface : "any";
    uint16_t arphrd = PKT_LINKTYPE_NONE;
    if (iface != NULL) {
        arphrd = pkt_iface_linktype(iface);
        if (arphrd == PKT_LINKTYPE_NONE) {
            fprintf(stderr, PD_PROG ": %s: No such device exists\n", iface);
            return 1;
        }
    }
    printf("Data link types for %s (use option -y to set):\n", name);
    if (iface != NULL && arphrd == PKT_LINKTYPE_ETHERNET)
        dlt_line(PKT_DLT_EN10MB);
    dlt_line(PKT_DLT_LINUX_SLL2);
    return 0;
}

int pd_list_tstamp_types(const char *iface)
{
    const char *name = iface ? iface : "any";
    uint8_t srcs[8];
    int n = pkt_tstamp_sources(iface, srcs, sizeof srcs);
    if (n < 0) {
        fprintf(stderr, PD_PROG ": %s: %s\n", name, pkt_errmsg());
        return 1;
    }
    if (n <= 1) {
        fprintf(stderr, PD_PROG ": Time stamp type cannot be set for %s\n", name);
        return 0;
    }
    printf("Time stamp types for %s (use option -j to set):\n", name);
    for (int i = 0; i < n && i < (int)sizeof srcs; i++) {
        switch (srcs[i]) {
        case PKT_TSTAMP_SOURCE_SOFTWARE: printf("  host (Host)\n"); break;
        case PKT_TSTAMP_SOURCE_ADAPTER: printf("  adapter (Adapter)\n"); break;
        case PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED:
            printf("  adapter_unsynced (Adapter, not synced with system time)\n");
            break;
        default: break;
        }
    }
    return 0;
}

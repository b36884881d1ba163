/* Promiscuous mode by packet membership: on while a promiscuous handle is open (reference
 * counted across handles), off after pkt_close and after the owning process is killed; a
 * non-promiscuous handle does not turn it on. */
#include "common.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define IFF_PROMISC_FLAG 0x100

static bool promisc(void)
{
    return (iface_flags("v0") & IFF_PROMISC_FLAG) != 0;
}

static int promiscuity(void)
{
    FILE *p = popen("ip -d link show v0", "r");
    CHECK(p != NULL);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    pclose(p);
    const char *s = strstr(buf, "promiscuity ");
    if (s == NULL)
        return -1; /* this iproute2 does not print it */
    return atoi(s + strlen("promiscuity "));
}

static void expect(bool on, const char *when)
{
    CHECKF(promisc() == on, "%s: v0 flags 0x%x, promiscuous expected %s", when,
           iface_flags("v0"), on ? "on" : "off");
    int p = promiscuity();
    if (p >= 0)
        CHECKF((p > 0) == on, "%s: ip -d link show v0 says promiscuity %d", when, p);
}

int main(void)
{
    test_init("test_promisc", 40);
    expect(false, "before any handle");

    pkt_config_t c = test_config();
    pkt_t *plain = open_ok("v0", &c);
    expect(false, "non-promiscuous handle open");

    c.promiscuous = true;
    pkt_t *a = open_ok("v0", &c);
    expect(true, "promiscuous handle open");
    pkt_t *b = open_ok("v0", &c);
    CHECK_RC(pkt_close(a), 0);
    expect(true, "one of two promiscuous handles closed");
    CHECK_RC(pkt_close(b), 0);
    expect(false, "both promiscuous handles closed");
    CHECK_RC(pkt_close(plain), 0);

    /* immediate mode too */
    c.immediate = true;
    a = open_ok("v0", &c);
    expect(true, "promiscuous V2 handle open");
    CHECK_RC(pkt_close(a), 0);
    expect(false, "promiscuous V2 handle closed");

    /* a killed process leaves nothing behind */
    int ready[2];
    CHECK(pipe(ready) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(30); /* never outlive a failed parent for long */
        pkt_t *h = NULL;
        char ok = pkt_open("v0", &c, &h) == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    char ok = 0;
    CHECK(read(ready[0], &ok, 1) == 1 && ok == 'y');
    expect(true, "child with a promiscuous handle");
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(waitpid(pid, NULL, 0) == pid);
    /* the socket is released with the process; allow the kernel a moment, bounded */
    int64_t deadline = mono_ms() + 3000;
    while (promisc() && mono_ms() < deadline)
        sleep_ms(10);
    expect(false, "child killed with SIGKILL");
    close(ready[0]);
    close(ready[1]);
    return test_pass();
}

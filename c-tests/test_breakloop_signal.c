/* pkt_breakloop is async-signal-safe: called from a SIGALRM handler (setitimer) it ends a
 * pkt_read(poll=1) blocked with no timeout with -EINTR, with and without SA_RESTART. A signal
 * whose handler does not call pkt_breakloop does not end the read. */
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

static pkt_t *volatile g_h;
static volatile sig_atomic_t g_alarm_rc = 1;

static void on_alarm(int sig)
{
    (void)sig;
    g_alarm_rc = pkt_breakloop(g_h);
}

static void on_usr1(int sig)
{
    (void)sig;
}

static void install(int sig, void (*fn)(int), bool restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = restart ? SA_RESTART : 0;
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void arm_timer_ms(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

typedef struct {
    pthread_t target;
} poker_t;

static void *poke_main(void *arg)
{
    poker_t *p = arg;
    sleep_ms(150);
    pthread_kill(p->target, SIGUSR1);
    sleep_ms(150);
    pthread_kill(p->target, SIGUSR1);
    sleep_ms(150);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 42, 100);
    raw_tx_close(&tx);
    return NULL;
}

static void run(const char *mode, bool immediate, bool restart)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.read_timeout_ms = 0;
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    g_h = h;
    install(SIGALRM, on_alarm, restart);

    for (int round = 0; round < 2; round++) {
        watchdog_arm(20);
        g_alarm_rc = 1;
        arm_timer_ms(250);
        int64_t t0 = mono_ms();
        const uint8_t *d;
        pkt_info_t info;
        int rc = pkt_read(h, 1, &d, &info);
        int64_t dt = mono_ms() - t0;
        CHECKF(rc == -EINTR, "%s: read returned %d (%s) after %lld ms, expected -EINTR", mode, rc,
               pkt_strerror(rc), (long long)dt);
        CHECKF(g_alarm_rc == 0, "%s: pkt_breakloop in the handler returned %d", mode,
               (int)g_alarm_rc);
        CHECKF(dt >= 200 && dt <= 1500, "%s: -EINTR after %lld ms for a 250 ms alarm", mode,
               (long long)dt);
        note("%s: -EINTR %lld ms after the read began (alarm at 250 ms)", mode, (long long)dt);
    }

    /* a signal that does not break the loop: the read keeps waiting and returns the frame */
    install(SIGUSR1, on_usr1, restart);
    poker_t p = {pthread_self()};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, poke_main, &p) == 0);
    const uint8_t *d;
    pkt_info_t info;
    int rc;
    do {
        rc = pkt_read(h, 1, &d, &info);
    } while (rc == 0 || (rc > 0 && !is_test_frame(d, info.caplen, false)));
    CHECKF(rc > 0, "%s: a signal without pkt_breakloop ended the read with %d (%s)", mode, rc,
           pkt_strerror(rc));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 42);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_breakloop_signal", 60);
    run("V3, no SA_RESTART", false, false);
    run("V3, SA_RESTART", false, true);
    run("V2, no SA_RESTART", true, false);
    run("V2, SA_RESTART", true, true);
    return test_pass();
}

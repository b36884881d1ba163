/* Descriptors and mappings do not leak into children: the capture socket (and any eventfd) is
 * close-on-exec, so an exec'd program holds no packet socket; a forked child that closes its
 * inherited descriptors does not keep the socket alive through an inherited ring mapping
 * (MADV_DONTFORK), so after pkt_close in the parent the socket is gone from /proc/net/packet. */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs a shell in a child (fork + exec) that lists its descriptors' targets. */
static void child_fds(char *out, size_t cap)
{
    FILE *p = popen("for f in /proc/self/fd/*; do readlink \"$f\"; done", "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    pclose(p);
}

static int count_substr(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = strstr(s, sub); p != NULL; p = strstr(p + 1, sub))
        n++;
    return n;
}

static bool in_proc_net_packet(unsigned long inode)
{
    FILE *f = fopen("/proc/net/packet", "r");
    CHECK(f != NULL);
    char line[512];
    bool found = false;
    if (fgets(line, sizeof line, f) == NULL) { /* header */
    }
    while (fgets(line, sizeof line, f) != NULL) {
        /* sk RefCnt Type Proto Iface R Rmem User Inode */
        unsigned long ino = 0;
        if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %lu", &ino) == 1 && ino == inode)
            found = true;
    }
    fclose(f);
    return found;
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    char before[8192], after[8192];
    child_fds(before, sizeof before);

    pkt_config_t c = test_config();
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    int fd = CHECK_OK(pkt_fd(h));
    int flags = fcntl(fd, F_GETFD);
    CHECKF(flags >= 0 && (flags & FD_CLOEXEC), "%s: pkt_fd %d is not close-on-exec", mode, fd);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    char sockname[64];
    snprintf(sockname, sizeof sockname, "socket:[%lu]", (unsigned long)st.st_ino);

    child_fds(after, sizeof after);
    CHECKF(strstr(after, sockname) == NULL, "%s: an exec'd child inherited the capture socket %s",
           mode, sockname);
    CHECKF(count_substr(after, "socket:") == count_substr(before, "socket:"),
           "%s: an exec'd child holds %d sockets, %d before pkt_open", mode,
           count_substr(after, "socket:"), count_substr(before, "socket:"));
    CHECKF(count_substr(after, "anon_inode:") == count_substr(before, "anon_inode:"),
           "%s: an exec'd child inherited %d anonymous-inode fds (eventfd?), %d before pkt_open",
           mode, count_substr(after, "anon_inode:"), count_substr(before, "anon_inode:"));

    /* fork without exec: the child closes every inherited descriptor and stays alive */
    CHECKF(in_proc_net_packet((unsigned long)st.st_ino), "%s: socket inode %lu not found in "
           "/proc/net/packet", mode, (unsigned long)st.st_ino);
    int ready[2], release[2];
    CHECK(pipe(ready) == 0 && pipe(release) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(30);
        for (int i = 3; i < 1024; i++)
            if (i != ready[1] && i != release[0])
                close(i);
        char x = 'r';
        if (write(ready[1], &x, 1) != 1)
            _exit(2);
        if (read(release[0], &x, 1) < 0)
            _exit(3);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    char x;
    CHECK(read(ready[0], &x, 1) == 1);
    CHECK_RC(pkt_close(h), 0);
    int64_t deadline = mono_ms() + 2000;
    while (in_proc_net_packet((unsigned long)st.st_ino) && mono_ms() < deadline)
        sleep_ms(10);
    bool alive = in_proc_net_packet((unsigned long)st.st_ino);
    CHECK(write(release[1], "x", 1) == 1);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(release[1]);
    CHECKF(!alive, "%s: after pkt_close the packet socket lives on in a forked child that closed "
           "all its descriptors (the ring mapping was inherited: MADV_DONTFORK missing?)", mode);
}

int main(void)
{
    test_init("test_cloexec", 40);
    run(false);
    run(true);
    return test_pass();
}

# Turns bench/out/raw.txt (one run per line, key=value pairs, written by run.sh) into the markdown
# tables of bench/results.md. Plain POSIX awk (Debian's mawk has no asort), so no sort builtins.
#
# Every figure is a median over the repetitions with min..max beside it; ratios are taken per
# repetition (a libpkt run against the libpcap run of the same repetition and configuration) and
# then summarised, because absolute rates drift between repetitions more than they differ
# between contenders.

function add(key, v) { L[key] = (key in L) ? L[key] " " v : v }

# Sets MED, MIN, MAX, N for a space-separated list of numbers; N = 0 for an empty one.
function stats(s,    a, i, j, t) {
    N = (s == "") ? 0 : split(s, a, " ")
    if (!N) { MED = MIN = MAX = ""; return }
    for (i = 2; i <= N; i++) {
        t = a[i] + 0
        for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    MIN = a[1] + 0; MAX = a[N] + 0
    MED = (N % 2) ? a[(N + 1) / 2] + 0 : (a[N / 2] + a[N / 2 + 1]) / 2
}

function f(x, d) { return x == "" ? "—" : sprintf("%." d "f", x) }
# "median (min..max)", or just the value when there is one run
function mm(s, d) {
    stats(s)
    if (!N) return "—"
    if (N == 1) return f(MED, d)
    return f(MED, d) " (" f(MIN, d) ".." f(MAX, d) ")"
}
function med(s) { stats(s); return MED }
function mx(s) { stats(s); return MAX }
function is_libpkt(r) { return r ~ /^pkt_/ }
function goal(text, got, ok) {
    printf "| %s | %s | %s |\n", text, got, ok == "" ? "—" : (ok ? "met" : "**missed**")
}

{
    delete v
    for (i = 1; i <= NF; i++) {
        n = index($i, "=")
        v[substr($i, 1, n - 1)] = substr($i, n + 1)
    }
    s = v["section"]
    if (v["status"] != "ok") {
        nfail++
        fails[nfail] = $0
        next
    }
    if ("pre0" in v) { add("pre0", v["pre0"]); add("pre1", v["pre1"]) }
    if (s == "scale") {
        k = "sc" SUBSEP v["count"] SUBSEP v["reader"]
        add(k SUBSEP "ns", v["ns_per_pkt"])
        add(k SUBSEP "drops", v["drops"])
        add(k SUBSEP "pkts", v["pkts"])
        if (v["rss_kib"] > 0 && v["ring"] > 0) add("rss" SUBSEP v["reader"], v["rss_kib"] - v["ring"] / 1024)
        if (v["ring"] > 0) RING[v["reader"]] = v["ring"]
        SCN[v["count"]] = 1
        SCRR[v["rep"], v["count"], v["reader"]] = v["ns_per_pkt"]
        screps[v["rep"]] = 1
        next
    }
    if (s == "filter") {
        k = "fl" SUBSEP v["kind"] SUBSEP v["reader"]
        add(k SUBSEP "ns", v["ns_per_pkt"])
        add(k SUBSEP "drops", v["drops"])
        FW[v["kind"], v["reader"]] = v["filter"]
        FLR[v["rep"], v["kind"], v["reader"]] = v["ns_per_pkt"]
        flreps[v["rep"]] = 1
        next
    }
    if (s == "capture") {
        k = v["size"] SUBSEP v["buf"] SUBSEP v["reader"]
        add(k SUBSEP "pps", v["sender_pps"] / 1000)
        if (v["reader"] == "none") next
        add(k SUBSEP "ns", v["ns_per_pkt"])
        add(k SUBSEP "drops", v["drops"])
        add(k SUBSEP "pkts", v["pkts"])
        add(k SUBSEP "droppct", (v["pkts"] + v["drops"]) ? 100 * v["drops"] / (v["pkts"] + v["drops"]) : 0)
        add("foreign1", v["foreign1"])
        add("steal1", v["steal1"])
        if (v["drops"] > 0) {
            ndrop++
            DROPS[ndrop] = sprintf("| %s | %s B | %s | %s | %d | %.3f | %s | %s |", v["rep"], v["size"], v["buf"],
                v["reader"], v["drops"], 100 * v["drops"] / (v["pkts"] + v["drops"]), v["foreign1"], v["steal1"])
            add("foreign_drop", v["foreign1"])
        } else add("foreign_nodrop", v["foreign1"])
        # per-repetition values for the paired ratios
        R[v["rep"], k, "ns"] = v["ns_per_pkt"]
        R[v["rep"], k, "pps"] = v["sender_pps"]
        reps[v["rep"]] = 1
    } else if (s == "callgrind") {
        CG[v["reader"], v["n"]] = v["ir"]
        CGD[v["reader"]] += v["drops"]
        cgn[v["n"]] = 1
    } else if (s == "send") {
        if (v["status"] != "ok") next
        dv = ("dev" in v) ? v["dev"] : "veth"
        add("send" SUBSEP dv SUBSEP v["method"], v["pps"] / 1000)
        if (v["cpu_ns_per_pkt"] != "") {
            add("sendcpu" SUBSEP dv SUBSEP v["method"], v["cpu_ns_per_pkt"])
            SC[v["rep"], dv, v["method"]] = v["cpu_ns_per_pkt"]
        }
        SR[v["rep"], dv, v["method"]] = v["pps"]
        sreps[v["rep"]] = 1
        sdevs[dv] = 1
    } else if (s == "idle") {
        nidle++
        IDLE[nidle] = v["reader"]
        ICPU[v["reader"]] = v["all_cpu_ns"] / 1000
        IWAKE[v["reader"]] = (v["wakeups"] - 1) / v["secs"]
        IPK[v["reader"]] = v["pkts"]
        isecs = v["secs"]
    } else if (s == "fanout") {
        m = v["members"]
        add("fo" SUBSEP m SUBSEP "drops", v["drops"])
        add("fo" SUBSEP m SUBSEP "pkts", v["pkts"])
        add("fo" SUBSEP m SUBSEP "droppct", (v["pkts"] + v["drops"]) ? 100 * v["drops"] / (v["pkts"] + v["drops"]) : 0)
        add("fo" SUBSEP m SUBSEP "ns", v["ns_per_pkt"])
        add("fo" SUBSEP m SUBSEP "pps", v["sender_pps"] / 1000)
        if (m == 2) add("fo" SUBSEP "split", v["split"])
        if (m == 2) fsplit = fsplit (fsplit == "" ? "" : ", ") v["split"]
    }
}

END {
    nreaders = split("pkt_read pkt_read_batch pkt_dispatch pkt_read_slim pcap_next_ex pcap_dispatch raw_v3", RD, " ")
    nsizes = split("64 1500", SZ, " ")
    nbufs = split("2M 8M", BF, " ")

    # ---- capture
    print "## Capture: CPU per packet and drops"
    print ""
    print "Capture-process CPU (user + system, getrusage, first packet to the end of the traffic) per"
    print "packet read; ratios per repetition against libpcap's run in the same repetition; sender rate"
    print "is what the sender achieved while that reader captured (the copy into the ring runs on the"
    print "sender's CPU on veth). raw_v3 is the floor: a minimal TPACKET_V3 reader in C without libpkt"
    print "(bench/rawv3.h: same geometry, prefetch and per-packet work, no checks, no metadata)."
    print ""
    print "| frame | buffer | reader | captured | drops | drop % | CPU ns/pkt | × raw_v3 | × pcap_dispatch | × pcap_next_ex | sender kpps |"
    print "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for (si = 1; si <= nsizes; si++) {
        sz = SZ[si]
        k = sz SUBSEP "-" SUBSEP "none"
        if ((k SUBSEP "pps") in L)
            printf "| %s B | — | (no capture) | — | — | — | — | — | — | — | %s |\n", sz, mm(L[k SUBSEP "pps"], 0)
        for (bi = 1; bi <= nbufs; bi++) {
            b = BF[bi]
            for (ri = 1; ri <= nreaders; ri++) {
                r = RD[ri]
                k = sz SUBSEP b SUBSEP r
                if (!((k SUBSEP "ns") in L)) continue
                rd = rx = rw = ""
                for (rep in reps) {
                    kd = sz SUBSEP b SUBSEP "pcap_dispatch"
                    kx = sz SUBSEP b SUBSEP "pcap_next_ex"
                    kw = sz SUBSEP b SUBSEP "raw_v3"
                    if ((rep, k, "ns") in R && (rep, kw, "ns") in R && R[rep, kw, "ns"] > 0)
                        rw = rw " " R[rep, k, "ns"] / R[rep, kw, "ns"]
                    if ((rep, k, "ns") in R && (rep, kd, "ns") in R && R[rep, kd, "ns"] > 0)
                        rd = rd " " R[rep, k, "ns"] / R[rep, kd, "ns"]
                    if ((rep, k, "ns") in R && (rep, kx, "ns") in R && R[rep, kx, "ns"] > 0)
                        rx = rx " " R[rep, k, "ns"] / R[rep, kx, "ns"]
                    if ((rep, k, "pps") in R && (rep, kd, "pps") in R && R[rep, kd, "pps"] > 0)
                        SPR[sz, b, r] = SPR[sz, b, r] " " R[rep, k, "pps"] / R[rep, kd, "pps"]
                }
                RATIO[sz, b, r] = rd
                WRATIO[sz, b, r] = rw
                printf "| %s B | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sz, b,
                    is_libpkt(r) ? "**" r "**" : r, f(med(L[k SUBSEP "pkts"]), 0),
                    mm(L[k SUBSEP "drops"], 0), mm(L[k SUBSEP "droppct"], 3),
                    mm(L[k SUBSEP "ns"], 1), r == "raw_v3" ? "1" : (rw == "" ? "—" : mm(rw, 2)),
                    r == "pcap_dispatch" ? "1" : mm(rd, 2),
                    r == "pcap_next_ex" ? "1" : mm(rx, 2), mm(L[k SUBSEP "pps"], 0)
            }
        }
    }
    print ""

    if (ndrop) {
        print "Runs that lost packets, with what else ran on the reader's CPU during the run (foreign:"
        print "CPU 1 busy time not spent by the reader, steal included; steal: the hypervisor ran"
        print "something else on that vCPU). A ring holds only milliseconds of traffic at these rates"
        print "(8 MiB ≈ 5 ms at 1500 B), so a reader kept off its CPU longer than that loses packets"
        print "whatever the library."
        print ""
        print "| rep | frame | buffer | reader | drops | drop % | foreign CPU 1 % | steal CPU 1 % |"
        print "| --- | --- | --- | --- | --- | --- | --- | --- |"
        for (i = 1; i <= ndrop; i++) print DROPS[i]
        print ""
        printf "Foreign use of CPU 1, median: %s %% in runs that lost packets, %s %% in runs that did not.\n\n",
            f(med(L["foreign_drop"]), 1), f(med(L["foreign_nodrop"]), 1)
    }

    # ---- callgrind
    n1 = n2 = ""
    for (n in cgn) { if (n1 == "" || n + 0 < n1 + 0) n1 = n; if (n2 == "" || n + 0 > n2 + 0) n2 = n }
    if (n1 != "" && n1 != n2) {
        print "## User-space instructions per packet (callgrind)"
        print ""
        printf "Marginal: (Ir(%s) − Ir(%s)) / %d, paced 64 B sender, 2 MiB buffer; whole process, so it\n", n2, n1, n2 - n1
        print "includes the loop and the callback (one counter and one byte touched per packet)."
        print ""
        print "| reader | Ir total, " n1 " pkts | Ir total, " n2 " pkts | instructions/pkt | × raw_v3 | × pcap_dispatch | drops |"
        print "| --- | --- | --- | --- | --- | --- | --- |"
        for (ri = 1; ri <= nreaders; ri++) {
            r = RD[ri]
            if (!((r, n1) in CG && (r, n2) in CG)) continue
            IPP[r] = (CG[r, n2] - CG[r, n1]) / (n2 - n1)
        }
        for (ri = 1; ri <= nreaders; ri++) {
            r = RD[ri]
            if (!(r in IPP)) continue
            printf "| %s | %d | %d | %.1f | %s | %s | %d |\n", is_libpkt(r) ? "**" r "**" : r,
                CG[r, n1], CG[r, n2], IPP[r],
                ("raw_v3" in IPP && IPP["raw_v3"] > 0) ? sprintf("%.2f", IPP[r] / IPP["raw_v3"]) : "—",
                ("pcap_dispatch" in IPP && IPP["pcap_dispatch"] > 0) ? sprintf("%.2f", IPP[r] / IPP["pcap_dispatch"]) : "—",
                CGD[r]
        }
        print ""
    }

    # ---- send
    nsend = split("pkt_write pkt_write_batch_sendmmsg pkt_write_batch_ring pkt_write_batch_ring+bypass pcap_inject trafgen", SM, " ")
    ndev = split("veth dummy ifb", DV, " ")
    for (di = 1; di <= ndev; di++) {
        d = DV[di]
        if (!(d in sdevs)) continue
        print "## Send (64 B frames, nothing capturing, sender on CPU 0): " d
        print ""
        if (d == "dummy")
            print "A dummy interface drops every frame at once: what is left is the sender's own cost."
        else if (d == "ifb")
            print "This kernel has no dummy driver: ifb stands in for it (its transmit drops every frame tc did\nnot redirect to it, at once): what is left is the sender's own cost."
        else
            print "On veth the receive side runs on the sending CPU too, so the kernel dominates."
        print "Ratios per repetition against the run of the same repetition; \"per CPU\" is frames per"
        print "sender CPU second (pcap_inject's or trafgen's CPU per frame over this method's)."
        print ""
        print "| method | kpps | × pcap_inject rate | sender CPU ns/frame | per CPU × pcap_inject | per CPU × trafgen |"
        print "| --- | --- | --- | --- | --- | --- |"
        for (i = 1; i <= nsend; i++) {
            m = SM[i]
            if (!(("send" SUBSEP d SUBSEP m) in L)) continue
            rr = cp = ct = ""
            for (rep in sreps) {
                if ((rep, d, m) in SR && (rep, d, "pcap_inject") in SR && SR[rep, d, "pcap_inject"] > 0)
                    rr = rr " " SR[rep, d, m] / SR[rep, d, "pcap_inject"]
                if ((rep, d, m) in SC && (rep, d, "pcap_inject") in SC && SC[rep, d, m] > 0)
                    cp = cp " " SC[rep, d, "pcap_inject"] / SC[rep, d, m]
                if ((rep, d, m) in SC && (rep, d, "trafgen") in SC && SC[rep, d, m] > 0)
                    ct = ct " " SC[rep, d, "trafgen"] / SC[rep, d, m]
            }
            SRATIO[d, m] = rr
            SCPU[d, m] = cp
            SCPT[d, m] = ct
            printf "| %s | %s | %s | %s | %s | %s |\n", m ~ /^pkt_/ ? "**" m "**" : m,
                mm(L["send" SUBSEP d SUBSEP m], 0), m == "pcap_inject" ? "1" : mm(rr, 2),
                (("sendcpu" SUBSEP d SUBSEP m) in L) ? mm(L["sendcpu" SUBSEP d SUBSEP m], 1) : "—",
                m == "pcap_inject" ? "1" : (cp == "" ? "—" : mm(cp, 2)),
                m == "trafgen" ? "1" : (ct == "" ? "—" : mm(ct, 2))
        }
        print ""
    }

    # ---- fanout
    if (("fo" SUBSEP 1 SUBSEP "drops") in L || ("fo" SUBSEP 2 SUBSEP "drops") in L) {
        print "## Fanout (1500 B, 2 MiB ring per handle, pkt_read_batch, all readers on CPU 1)"
        print ""
        print "| setup | captured | drops | drop % | CPU ns/pkt (all members) | sender kpps |"
        print "| --- | --- | --- | --- | --- | --- |"
        for (m = 1; m <= 2; m++) {
            p = "fo" SUBSEP m SUBSEP
            if (!((p "drops") in L)) continue
            printf "| %s | %s | %s | %s | %s | %s |\n",
                m == 1 ? "1 handle" : "2 members, PKT_FANOUT_LB", f(med(L[p "pkts"]), 0),
                mm(L[p "drops"], 0), mm(L[p "droppct"], 3), mm(L[p "ns"], 1), mm(L[p "pps"], 0)
        }
        if (fsplit != "") print "\nPackets per member (member 1/member 2), per run: " fsplit
        print ""
    }

    # ---- scale
    nsr = split("pkt_read_batch pkt_read_slim pcap_dispatch raw_v3", SRD, " ")
    nsc = 0
    for (c in SCN) SCL[++nsc] = c + 0
    for (i = 1; i <= nsc; i++) for (j = i + 1; j <= nsc; j++) if (SCL[j] < SCL[i]) { t = SCL[i]; SCL[i] = SCL[j]; SCL[j] = t }
    if (nsc) {
        print "## Scale (64 B, 8 MiB): CPU per packet at each count, peak RSS beside the ring"
        print ""
        hdr = "| reader |"; sep = "| --- |"
        for (i = 1; i <= nsc; i++) { hdr = hdr " " SCL[i] " pkts: ns/pkt (drops) |"; sep = sep " --- |" }
        print hdr " largest / smallest count | peak RSS − ring, KiB |"
        print sep " --- | --- |"
        for (ri = 1; ri <= nsr; ri++) {
            r = SRD[ri]
            line = "| " (is_libpkt(r) ? "**" r "**" : r) " |"
            have = 0
            for (i = 1; i <= nsc; i++) {
                k = "sc" SUBSEP SCL[i] SUBSEP r
                if ((k SUBSEP "ns") in L) { have = 1; line = line " " mm(L[k SUBSEP "ns"], 1) " (" f(mx(L[k SUBSEP "drops"]), 0) ") |" }
                else line = line " — |"
            }
            if (!have) continue
            rr = ""
            for (rep in screps)
                if ((rep, SCL[nsc], r) in SCRR && (rep, SCL[1], r) in SCRR && SCRR[rep, SCL[1], r] > 0)
                    rr = rr " " SCRR[rep, SCL[nsc], r] / SCRR[rep, SCL[1], r]
            print line " " (rr == "" ? "—" : mm(rr, 2)) " | " (("rss" SUBSEP r) in L ? mm(L["rss" SUBSEP r], 0) : "—") " |"
        }
        print ""
    }

    # ---- filter
    nfk = split("none kernel user", FK, " ")
    if (("fl" SUBSEP "none" SUBSEP "pkt_read_batch" SUBSEP "ns") in L || ("fl" SUBSEP "none" SUBSEP "pcap_dispatch" SUBSEP "ns") in L) {
        print "## Filters (64 B, 8 MiB, every frame matches)"
        print ""
        print "none: no filter; kernel: `ether proto 0x88b5` in the kernel; user: the same or'ed with 800"
        print "host tests (over 4096 instructions, so the kernel refuses it and the library runs it in"
        print "user space; the frames match at its first test; libpcap compiles it for both). Extra: the median of per-repetition"
        print "differences against the same reader without a filter."
        print ""
        print "| reader | filter | where | CPU ns/pkt | extra ns/pkt | × pcap_dispatch (same filter) | drops |"
        print "| --- | --- | --- | --- | --- | --- | --- |"
        nfr = split("pkt_read_batch pkt_read_slim pcap_dispatch", FRD, " ")
        for (ri = 1; ri <= nfr; ri++) for (ki = 1; ki <= nfk; ki++) {
            r = FRD[ri]; kd = FK[ki]
            k = "fl" SUBSEP kd SUBSEP r
            if (!((k SUBSEP "ns") in L)) continue
            dd = rp = ""
            for (rep in flreps) {
                if ((rep, kd, r) in FLR && (rep, "none", r) in FLR) dd = dd " " FLR[rep, kd, r] - FLR[rep, "none", r]
                if ((rep, kd, r) in FLR && (rep, kd, "pcap_dispatch") in FLR && FLR[rep, kd, "pcap_dispatch"] > 0)
                    rp = rp " " FLR[rep, kd, r] / FLR[rep, kd, "pcap_dispatch"]
            }
            FLX[kd, r] = dd
            printf "| %s | %s | %s | %s | %s | %s | %s |\n", is_libpkt(r) ? "**" r "**" : r, kd, FW[kd, r],
                mm(L[k SUBSEP "ns"], 1), kd == "none" ? "—" : mm(dd, 1), r == "pcap_dispatch" ? "1" : mm(rp, 2),
                mm(L[k SUBSEP "drops"], 0)
        }
        print ""
    }

    # ---- idle
    if (nidle) {
        print "## Idle (every reader open on a silent link for " isecs " s, 8 MiB)"
        print ""
        print "| reader | CPU µs over the " isecs " s (stop and drain included) | wake-ups per second | packets |"
        print "| --- | --- | --- | --- |"
        for (i = 1; i <= nidle; i++) {
            r = IDLE[i]
            printf "| %s | %.1f | %.1f | %d |\n", is_libpkt(r) ? "**" r "**" : r, ICPU[r], IWAKE[r], IPK[r]
        }
        print "\nWake-ups: voluntary context switches while open, less the one the stop signal ends."
        print ""
    }

    # ---- goals of issues 3 and 16, as measured in this run
    print "## Against the goals (issues 3 and 16)"
    print ""
    print "| goal | measured (median of per-repetition ratios, min..max) | |"
    print "| --- | --- | --- |"
    split("64 8M 0.4;1500 8M 0.3;64 2M 0.5;1500 2M 0.5", G, ";")
    for (i = 1; i <= 4; i++) {
        split(G[i], g, " ")
        rr = RATIO[g[1], g[2], "pkt_read_batch"]
        stats(rr)
        goal("pkt_read_batch CPU ≤ " g[3] "× pcap_dispatch, " g[1] " B, " g[2], N ? mm(rr, 2) : "not run", N ? MED <= g[3] : "")
    }
    split("64 8M;64 2M;1500 8M", G, ";")
    split("pkt_read_batch pkt_read_slim", FR, " ")
    for (j = 1; j <= 2; j++) for (i = 1; i <= 3; i++) {
        split(G[i], g, " ")
        rr = WRATIO[g[1], g[2], FR[j]]
        stats(rr)
        goal(FR[j] " CPU ≤ 1.25× raw_v3 (the floor), " g[1] " B, " g[2], N ? mm(rr, 2) : "not run", N ? MED <= 1.25 : "")
    }
    rr = RATIO["64", "8M", "pkt_read_slim"]
    stats(rr)
    goal("pkt_read_slim CPU ≤ 0.4× pcap_dispatch, 64 B, 8M", N ? mm(rr, 2) : "not run", N ? MED <= 0.4 : "")
    for (ri = 1; ri <= 3; ri += 2) {
        r = RD[ri]
        worst = ""; wtxt = "not run"
        for (si = 1; si <= nsizes; si++) for (bi = 1; bi <= nbufs; bi++) {
            stats(RATIO[SZ[si], BF[bi], r])
            if (N && (worst == "" || MED > worst)) { worst = MED; wtxt = f(MED, 2) " (" SZ[si] " B, " BF[bi] ")" }
        }
        goal(r " CPU ≤ 0.6× pcap_dispatch (worst configuration)", wtxt, worst == "" ? "" : worst <= 0.6)
    }
    goal("pkt_read_batch ≤ 40 instructions/pkt", ("pkt_read_batch" in IPP) ? f(IPP["pkt_read_batch"], 1) : "not run", ("pkt_read_batch" in IPP) ? IPP["pkt_read_batch"] <= 40 : "")
    goal("pkt_read ≤ 100 instructions/pkt", ("pkt_read" in IPP) ? f(IPP["pkt_read"], 1) : "not run", ("pkt_read" in IPP) ? IPP["pkt_read"] <= 100 : "")
    # drops at 1500 B, 8 MiB, every libpkt run
    tot = 0; runs = 0; worst = 0
    for (ri = 1; ri <= 4; ri++) {
        stats(L["1500" SUBSEP "8M" SUBSEP RD[ri] SUBSEP "drops"])
        runs += N; if (N && MAX > worst) worst = MAX
    }
    stats(L["1500" SUBSEP "8M" SUBSEP "pcap_dispatch" SUBSEP "drops"]); pd = N ? ", pcap_dispatch max " MAX : ""
    goal("zero drops at 1500 B, 8 MiB, every libpkt run", runs ? runs " runs, max drops " worst pd : "not run", runs ? worst == 0 : "")
    for (si = 1; si <= nsizes; si++) {
        a = L[SZ[si] SUBSEP "2M" SUBSEP "pkt_read_batch" SUBSEP "drops"]
        c = L[SZ[si] SUBSEP "2M" SUBSEP "pcap_dispatch" SUBSEP "drops"]
        stats(a); na = N; ma = MED; stats(c); nc = N; mc = MED
        goal("drops, " SZ[si] " B, 2 MiB: pkt_read_batch ≤ pcap_dispatch (medians)", (na && nc) ? f(ma, 0) " vs " f(mc, 0) : "not run", (na && nc) ? ma <= mc : "")
    }
    for (si = 1; si <= nsizes; si++) for (bi = 1; bi <= nbufs; bi++) {
        rr = SPR[SZ[si], BF[bi], "pkt_read_batch"]
        stats(rr)
        goal("sender rate with pkt_read_batch ≥ with pcap_dispatch, " SZ[si] " B, " BF[bi], N ? mm(rr, 3) : "not run", N ? MED >= 1 : "")
    }
    for (di = 1; di <= ndev; di++) {
        d = DV[di]
        best = ""; btxt = "not run"; bm = ""
        for (i = 2; i <= 4; i++) {
            stats(d != "veth" ? SCPU[d, SM[i]] : SRATIO[d, SM[i]])
            if (N && (best == "" || MED > best)) { best = MED; bm = SM[i]; btxt = f(MED, 2) " (" SM[i] ")" }
        }
        goal("pkt_write_batch ≥ 2× pcap_inject " (d != "veth" ? "per sender CPU" : "rate") ", " d " (best method)", btxt, best == "" ? "" : best >= 2)
        if (bm != "") {
            stats(d != "veth" ? SCPT[d, bm] : "")
            if (d != "veth")
                goal("pkt_write_batch per sender CPU ≥ trafgen's, " d " (" bm ")", N ? mm(SCPT[d, bm], 2) "× trafgen" : "not run", N ? MED >= 1 : "")
            else {
                rr = ""
                for (rep in sreps) if ((rep, d, bm) in SR && (rep, d, "trafgen") in SR && SR[rep, d, "trafgen"] > 0) rr = rr " " SR[rep, d, bm] / SR[rep, d, "trafgen"]
                stats(rr)
                goal("pkt_write_batch rate ≥ trafgen's, veth (" bm ")", N ? mm(rr, 2) "× trafgen" : "not run", N ? MED >= 1 : "")
            }
        }
    }
    wc = wk = ""
    for (i = 1; i <= nidle; i++) if (is_libpkt(IDLE[i])) {
        if (wc == "" || ICPU[IDLE[i]] > wc) wc = ICPU[IDLE[i]]
        if (wk == "" || IWAKE[IDLE[i]] > wk) wk = IWAKE[IDLE[i]]
    }
    # "No periodic wake-ups beyond the block timeout": at most 10 per second with 100 ms.
    goal("idle: no CPU, no wake-ups beyond the 100 ms block timeout (worst libpkt reader)",
        wc == "" ? "not run" : sprintf("%.0f µs CPU in %s s, %.1f wake-ups/s", wc, isecs, wk), wc == "" ? "" : wc < 1000 && wk <= 10)
    print ""

    # ---- noise
    print "## Noise"
    print ""
    print "| what | median | max |"
    print "| --- | --- | --- |"
    stats(L["pre0"]); printf "| CPU 0 busy %% just before a run (0.3 s sample, %d runs) | %s | %s |\n", N, f(MED, 1), f(MAX, 1)
    stats(L["pre1"]); printf "| CPU 1 busy %% just before a run | %s | %s |\n", f(MED, 1), f(MAX, 1)
    stats(L["foreign1"]); printf "| foreign use of CPU 1 during capture runs, %% (CPU 1 busy minus the reader's own CPU, steal included) | %s | %s |\n", f(MED, 1), f(MAX, 1)
    stats(L["steal1"]); printf "| steal on CPU 1 during capture runs, %% | %s | %s |\n", f(MED, 1), f(MAX, 1)
    print ""
    if (nfail) {
        print "## Runs that could not complete"
        print ""
        for (i = 1; i <= nfail; i++) print "- `" fails[i] "`"
        print ""
    }
}

#!/usr/bin/env bash
# bpfc against tcpdump (issue 15, item 5): for every link type bpfc takes by name and a set of
# expressions, `bpfc -O -S -y TYPE -d|-dd|-ddd EXPR` must print exactly what
# `tcpdump -d|-dd|-ddd -r EMPTY.pcap EXPR` prints for an empty savefile of that link type
# (tcpdump optimizes by default and compiles for a savefile handle, hence -O -S), or both must
# refuse the expression. tcpdump is the oracle only; libpkt never links libpcap. Not compared:
# `protochain`, where libpcap's program loops backward (the kernel refuses it) and ours is
# unrolled, and `pppoes` after a radio header (PRISM_HEADER, IEEE802_11_RADIO*, PPI), where
# libpcap's program reads the radio header's length from a scratch word it no longer sets (the
# kernel refuses it) and ours sets that word to 0 first.
#
#   tests/bpfc/diff.sh BPFC        (BPFC: the built bpfc, e.g. build/examples/bpfc)
#
# No network traffic: nothing is captured, tcpdump reads an empty file it is given. The last
# line says how many comparisons passed; the exit status is non-zero on any difference.
set -euo pipefail

BPFC=${1:?usage: tests/bpfc/diff.sh BPFC}
command -v tcpdump >/dev/null || { echo "tests/bpfc/diff.sh: tcpdump is not installed" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# name:LINKTYPE of the empty savefile (the file's LINKTYPE; RAW is 101 in files).
TYPES="EN10MB:1 LINUX_SLL:113 LINUX_SLL2:276 RAW:101 NULL:0 LOOP:108 PPP:9 PPP_SERIAL:50
PPP_ETHER:51 C_HDLC:104 IPV4:228 IPV6:229 IEEE802:6 FDDI:10 ARCNET:7 ARCNET_LINUX:129 NFLOG:239 SUNATM:123
IEEE802_11:105 PRISM_HEADER:119 IEEE802_11_RADIO:127 IEEE802_11_RADIO_AVS:163 PPI:192 PFLOG:117"

EXPRS=(
    ""
    "ip"
    "ip6"
    "arp"
    "tcp port 80"
    "udp and dst port 53"
    "host 10.1.2.3"
    "src net 192.168.0.0/16 and not icmp"
    "ip6 host fe80::1"
    "icmp6 and ip6[40] = 135"
    "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn"
    "portrange 1000-2000 or port ssh"
    "ether host 00:11:22:33:44:55"
    "ether src 00:11:22:33:44:55 and ether dst ff:ff:ff:ff:ff:ff"
    "broadcast"
    "multicast"
    "ip multicast or ip6 multicast"
    "ether proto 0x0800"
    "ether proto \\ip6"
    "proto 17"
    "ip proto 47"
    "less 100"
    "greater 1000 and link[0] & 1 = 1"
    "len > 64 and len < 1500"
    "mpls and ip"
    "vlan 100 and tcp"
    "pppoes and ip"
    "pppoed"
    "inbound"
    "ifindex 3"
    "ip[8] < 64"
    "udp[8:2] = 0x1234 or tcp[13] = 2"
    "not (tcp or udp)"
    "ip and (port 1 or port 2 or port 3 or port 4)"
    "rarp"
    "sctp"
    "esp or ah"
    "vpi 1 and vci 32"
    "lane and tcp"
    "connectmsg or oamf4"
    "wlan addr2 00:11:22:33:44:55 or wlan ra ff:ff:ff:ff:ff:ff"
    "wlan src 00:11:22:33:44:55 and wlan addr4 02:00:00:00:00:01"
    "type mgt subtype beacon or subtype probe-resp"
    "type data and dir fromds and tcp"
    "radio[0] = 0 and not type ctl"
    "on em0 and action block"
    "ruleset main and rnr 3 and srnr 0 and reason match and outbound"
)

pass=0
fail=0
compiled=0 # comparisons where tcpdump accepted the expression: must not be 0
for t in $TYPES; do
    name=${t%%:*}
    lt=${t##*:}
    file="$WORK/$name.pcap"
    # An empty pcap file: magic, version 2.4, zone, sigfigs, snaplen 262144, link type.
    python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, int(sys.argv[1])))' "$lt" >"$file"
    for e in "${EXPRS[@]}"; do
        case "$name:$e" in PRISM_HEADER:*pppoes* | IEEE802_11_RADIO*:*pppoes* | PPI:*pppoes*) continue ;; esac
        for form in -d -dd -ddd; do
            set +e
            want=$(tcpdump "$form" -r "$file" "$e" 2>"$WORK/tcpdump.err")
            want_rc=$?
            got=$("$BPFC" -O -S -y "$name" "$form" -- "$e" 2>"$WORK/bpfc.err")
            got_rc=$?
            set -e
            if ((want_rc != 0 && got_rc != 0)); then
                pass=$((pass + 1))
            elif ((want_rc == 0 && got_rc == 0)) && [[ "$want" == "$got" ]]; then
                pass=$((pass + 1))
                compiled=$((compiled + 1))
            else
                fail=$((fail + 1))
                echo "DIFFERS: $name $form '$e' (tcpdump exit $want_rc, bpfc exit $got_rc)"
                diff <(echo "$want"; cat "$WORK/tcpdump.err") <(echo "$got"; cat "$WORK/bpfc.err") | head -20 || true
            fi
        done
    done
done
echo "tests/bpfc/diff.sh: $pass passed ($compiled compiled by both, the rest refused by both), $fail failed (link types x expressions x -d/-dd/-ddd)"
# Both refusing everything (tcpdump unable to read the files, say) must not pass.
((compiled > 0)) || { echo "tests/bpfc/diff.sh: tcpdump compiled nothing" >&2; exit 1; }
((fail == 0))

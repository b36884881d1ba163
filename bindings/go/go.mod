module libpkt.dev/packet

go 1.19

// golang.org/x/net/bpf gives Config.Filter and SetBPF the seed's type, []bpf.RawInstruction.
require golang.org/x/net v0.7.0

// Offline builds (this repository's tests and CI) take x/net from Debian's
// golang-golang-x-net-dev (0.7.0). A replace only applies inside this module: programs that
// import libpkt.dev/packet resolve golang.org/x/net v0.7.0 their own way (see README.md).
replace golang.org/x/net => /usr/share/gocode/src/golang.org/x/net

//go:build linux && cgo && !libpkt_pkgconfig

package packet

// The default: the header and the static library of this repository's build tree
// (cargo build --release). Build with -tags libpkt_pkgconfig to use an installed libpkt instead
// (cgo_pkgconfig_linux.go).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libpkt.a -lpthread -ldl -lm -lrt -lutil -lgcc_eh
*/
import "C"

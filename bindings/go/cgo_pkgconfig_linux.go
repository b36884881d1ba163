//go:build linux && cgo && libpkt_pkgconfig

package packet

// With -tags libpkt_pkgconfig: an installed libpkt (scripts/install.sh), found by pkg-config
// (set PKG_CONFIG_PATH for a prefix pkg-config does not search), linked as libpkt.so.0.

/*
#cgo pkg-config: libpkt
*/
import "C"

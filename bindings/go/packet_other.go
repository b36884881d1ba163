//go:build !linux || !cgo

package packet

// Without Linux and cgo there is no libpkt: only the seed's surface exists, and NewHandler
// returns ErrNotImplemented, as the seed did on other systems.

// NewHandler returns ErrNotImplemented: libpkt needs Linux and cgo.
func NewHandler(iff string, config *Config) (Handler, error) { return nil, ErrNotImplemented }

// IsOSSupported reports false: libpkt needs Linux and cgo.
func IsOSSupported() bool { return false }

// KernelVersion returns -1, -1.
func KernelVersion() (major int32, minor int32) { return -1, -1 }

// InterfaceLinkType returns LinkTypeNone.
func InterfaceLinkType(iff string) LinkType { return LinkTypeNone }

// TstampValid returns -1.
func TstampValid(status uint32) int8 { return -1 }

// VlanValid returns false.
func VlanValid(status uint32) bool { return false }

// CheckIntegrity reports whether c's enum values are in range (nil is valid).
func (c *Config) CheckIntegrity() bool {
	return c == nil || (c.Direction <= DirOut && c.TstampResolution <= TstampMicro &&
		c.TstampSource <= TstampSourceAdapterUnsynced)
}

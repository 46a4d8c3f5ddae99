//go:build !linux && !libpcap

package capture

import "fmt"

// Without libpcap, live capture exists on Linux only (AF_PACKET).
func openLive(opt LiveOptions) (LiveSource, error) {
	if opt.Expression != "" {
		return nil, ErrNeedLibpcap
	}
	return nil, fmt.Errorf("%s: %w", opt.Interface, ErrLiveUnsupported)
}

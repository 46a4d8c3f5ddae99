package classify

import (
	"net/netip"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// Finding is something notable beyond IKE.
type Finding struct {
	Type     string
	Frame    int
	Time     time.Time
	Text     string
	Evidence []Evidence
}

// smbWatch looks for TCP SYNs to port 445 answered by RST (the Windows XP
// SP3 dial-up case of KB2503010: SMB over a tunnel or PPP link reset).
type smbWatch struct {
	syn      map[[2]netip.AddrPort]Evidence
	findings []Finding
}

func (w *smbWatch) observe(in Input) {
	f := in.F
	switch {
	case f.Dst.Port() == 445 && f.TCP.Flags&decode.TCPSyn != 0 && f.TCP.Flags&decode.TCPAck == 0:
		if w.syn == nil {
			w.syn = map[[2]netip.AddrPort]Evidence{}
		}
		if len(w.syn) < 4096 {
			w.syn[[2]netip.AddrPort{f.Src, f.Dst}] = Evidence{Frame: in.Frame, Time: in.Time, Text: "TCP SYN " + f.Src.String() + " > " + f.Dst.String()}
		}
	case f.Src.Port() == 445 && f.TCP.Flags&decode.TCPRst != 0:
		k := [2]netip.AddrPort{f.Dst, f.Src}
		syn, ok := w.syn[k]
		if !ok {
			return
		}
		delete(w.syn, k)
		if len(w.findings) >= 100 {
			return
		}
		w.findings = append(w.findings, Finding{
			Type: "smb_reset", Frame: in.Frame, Time: in.Time,
			Text:     "TCP connection to port 445 (SMB) reset by " + f.Src.String() + ": over an otherwise healthy tunnel or PPP link this is the Windows XP SP3 dial-up case (KB2503010): SMB traffic is reset when it crosses the dial-up/VPN interface; apply the KB2503010 fix or check filters that reset SMB",
			Evidence: []Evidence{syn, {Frame: in.Frame, Time: in.Time, Text: "TCP RST from port 445"}},
		})
	}
}

func (w *smbWatch) finish() {}

// Findings returns what was found beyond IKE.
func (t *Tracker) Findings() []Finding { return t.smb.findings }

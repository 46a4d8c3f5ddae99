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
// A SYN is held until its SYN-ACK or RST, so that only connections still
// opening take room.
type smbWatch struct {
	syn      map[[2]netip.AddrPort]smbSyn
	findings []Finding
}

// smbSyn is where a SYN to port 445 was seen; its evidence text is written
// only if a reset follows.
type smbSyn struct {
	frame int
	time  time.Time
}

// maxSMBSyns bounds the SYNs held at once (a SYN flood to port 445).
const maxSMBSyns = 4096

func (w *smbWatch) observe(in Input) {
	f := in.F
	switch {
	case f.Dst.Port() == 445 && f.TCP.Flags&decode.TCPSyn != 0 && f.TCP.Flags&decode.TCPAck == 0:
		if w.syn == nil {
			w.syn = map[[2]netip.AddrPort]smbSyn{}
		}
		if len(w.syn) < maxSMBSyns {
			w.syn[[2]netip.AddrPort{f.Src, f.Dst}] = smbSyn{in.Frame, in.Time}
		}
	case f.Src.Port() == 445 && f.TCP.Flags&(decode.TCPSyn|decode.TCPAck) == decode.TCPSyn|decode.TCPAck:
		delete(w.syn, [2]netip.AddrPort{f.Dst, f.Src}) // the connection opened
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
			Text: "TCP connection to port 445 (SMB) reset by " + f.Src.String() + ": over an otherwise healthy tunnel or PPP link this is the Windows XP SP3 dial-up case (KB2503010): SMB traffic is reset when it crosses the dial-up/VPN interface; apply the KB2503010 fix or check filters that reset SMB",
			Evidence: []Evidence{
				{Frame: syn.frame, Time: syn.time, Text: "TCP SYN " + k[0].String() + " > " + k[1].String()},
				{Frame: in.Frame, Time: in.Time, Text: "TCP RST from port 445"},
			},
		})
	}
}

func (w *smbWatch) finish() {}

// Findings returns what was found beyond IKE.
func (t *Tracker) Findings() []Finding { return t.smb.findings }

package report

import (
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// Meta is where a packet came from.
type Meta struct {
	File  string
	Frame int
	Time  time.Time
}

// TimeLayout is the timestamp format of text output (UTC, like tcpdump -tttt).
const TimeLayout = "2006-01-02 15:04:05.000000"

func spi(v uint64) string {
	s := strconv.FormatUint(v, 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// appendSPI appends an IKE SPI as 16 hex digits.
func appendSPI(b []byte, v uint64) []byte {
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[v>>uint(i)&15])
	}
	return b
}

// appendHex32 appends hex32(v).
func appendHex32(b []byte, v uint32) []byte {
	b = append(b, "0x"...)
	for i := 28; i >= 0; i -= 4 {
		b = append(b, hexDigits[v>>uint(i)&15])
	}
	return b
}

func hex32(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return "0x" + strings.Repeat("0", 8-len(s)) + s
}

func endpoint(a netip.AddrPort) string {
	if a.Port() == 0 {
		return a.Addr().String()
	}
	return a.String()
}

// DecodeLine writes the one-line summary of a frame that carried IKE, ESP
// or a NAT-T keepalive.
func DecodeLine(w io.Writer, m Meta, f *decode.Frame) {
	var b strings.Builder
	b.WriteString(strconv.Itoa(m.Frame))
	b.WriteByte(' ')
	b.WriteString(m.Time.UTC().Format(TimeLayout))
	b.WriteByte(' ')
	b.WriteString(endpoint(f.Src))
	b.WriteString(" > ")
	b.WriteString(endpoint(f.Dst))
	b.WriteString(": ")
	switch f.Kind {
	case decode.KindIKE:
		lineIKE(&b, f)
	case decode.KindESP:
		b.WriteString("ESP")
		if f.NATT {
			b.WriteString(" (udp-encap)")
		}
		b.WriteString(" spi " + hex32(f.ESP.SPI) + " seq " + strconv.FormatUint(uint64(f.ESP.Seq), 10) + " len " + strconv.Itoa(f.ESP.Len))
	case decode.KindKeepalive:
		b.WriteString("NAT-keepalive")
	default:
		b.WriteString(f.Kind.String())
	}
	if f.Datagram != nil {
		b.WriteString(" [reassembled from " + strconv.Itoa(len(f.Datagram.Fragments)) + " fragments: frames")
		for _, fr := range f.Datagram.Fragments {
			b.WriteString(" " + strconv.Itoa(fr.Ref))
		}
		b.WriteByte(']')
	}
	if f.Err != nil {
		b.WriteString(" [error: " + EscapeString(f.Err.Error()) + "]")
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

func lineIKE(b *strings.Builder, f *decode.Frame) {
	m := f.IKE
	if m == nil {
		b.WriteString("IKE [malformed")
		if f.IKEErr != nil {
			b.WriteString(": " + EscapeString(f.IKEErr.Error()))
		}
		b.WriteString("]")
		return
	}
	switch m.Major {
	case 1, 2:
		b.WriteString("IKEv" + strconv.Itoa(int(m.Major)))
	default:
		b.WriteString("IKE version " + strconv.Itoa(int(m.Major)) + "." + strconv.Itoa(int(m.Minor)))
	}
	if f.NATT {
		b.WriteString(" (natt)")
	}
	b.WriteString(" " + m.ExchangeName())
	b.WriteString(" [" + m.FlagString() + "]")
	b.WriteString(" msgid " + hex32(m.MsgID))
	b.WriteString(" ispi " + spi(m.InitSPI) + " rspi " + spi(m.RespSPI))
	b.WriteString(" len " + strconv.Itoa(int(m.Length)))
	b.WriteString(": ")
	if m.EncryptedLen > 0 || m.Encrypted() {
		b.WriteString("encrypted(" + decode.PayloadName(m.Major, m.NextPayload) + ", " + strconv.Itoa(m.EncryptedLen) + " bytes)")
	}
	for i := range m.Payloads {
		p := &m.Payloads[i]
		if i > 0 || m.EncryptedLen > 0 || m.Encrypted() {
			b.WriteByte(' ')
		}
		if p.Decrypted && (i == 0 || !m.Payloads[i-1].Decrypted) {
			b.WriteString("decrypted: ")
		}
		b.WriteString(p.Name(m.Major))
		switch {
		case p.Notify != nil:
			b.WriteString("(" + p.Notify.Name())
			if p.Notify.HasWinError {
				b.WriteString(" " + winErr(p.Notify.WinError))
			}
			b.WriteString(")")
		case p.Encrypted != nil && p.Type == decode.PayloadSKF:
			b.WriteString("(" + strconv.Itoa(int(p.Encrypted.FragNum)) + "/" + strconv.Itoa(int(p.Encrypted.FragTotal)) + ")")
		case p.Fragment != nil:
			b.WriteString("(id " + strconv.Itoa(int(p.Fragment.ID)) + " #" + strconv.Itoa(int(p.Fragment.Num)))
			if p.Fragment.Last {
				b.WriteString(" last")
			}
			b.WriteString(")")
		case p.Type == decode.PayloadVendorID || p.Type == decode.PayloadVendorIDv2:
			if n := decode.VendorName(p.Data); n != "" {
				b.WriteString("(" + EscapeString(n) + ")")
			}
		}
	}
	if f.IKEErr != nil {
		b.WriteString(" [malformed: " + EscapeString(f.IKEErr.Error()) + "]")
	}
}

func winErr(code uint32) string {
	if we, ok := decode.LookupWinError(code); ok {
		return we.Name + " " + strconv.FormatUint(uint64(code), 10)
	}
	return "windows error " + strconv.FormatUint(uint64(code), 10)
}

// DecodeTree writes the line and then every header field, payload,
// proposal, transform and attribute with names and values.
func DecodeTree(w io.Writer, m Meta, f *decode.Frame) {
	DecodeLine(w, m, f)
	t := &tree{w: w}
	if f.Datagram != nil {
		dg := f.Datagram
		t.line(1, "IP datagram id "+strconv.FormatUint(uint64(dg.ID), 10)+" reassembled, "+strconv.Itoa(dg.TotalLen)+" bytes")
		for _, fr := range dg.Fragments {
			t.line(2, "fragment offset "+strconv.Itoa(fr.Offset)+" length "+strconv.Itoa(fr.Length)+" frame "+strconv.Itoa(fr.Ref))
		}
	}
	if f.Kind == decode.KindESP {
		t.line(1, "ESP spi "+hex32(f.ESP.SPI)+" ("+strconv.FormatUint(uint64(f.ESP.SPI), 10)+") seq "+strconv.FormatUint(uint64(f.ESP.Seq), 10)+" length "+strconv.Itoa(f.ESP.Len))
	}
	msg := f.IKE
	if msg == nil {
		return
	}
	t.line(1, "header: ispi "+spi(msg.InitSPI)+" rspi "+spi(msg.RespSPI)+" next "+decode.PayloadName(msg.Major, msg.NextPayload)+
		" version "+strconv.Itoa(int(msg.Major))+"."+strconv.Itoa(int(msg.Minor))+
		" exchange "+msg.ExchangeName()+" ("+strconv.Itoa(int(msg.Exchange))+")"+
		" flags 0x"+strconv.FormatUint(uint64(msg.Flags), 16)+" ["+msg.FlagString()+"]"+
		" msgid "+hex32(msg.MsgID)+" length "+strconv.Itoa(int(msg.Length)))
	if msg.EncryptedLen > 0 || msg.Encrypted() {
		t.line(1, "encrypted body: "+strconv.Itoa(msg.EncryptedLen)+" bytes, first payload "+decode.PayloadName(msg.Major, msg.NextPayload))
	}
	for i := range msg.Payloads {
		treePayload(t, msg.Major, &msg.Payloads[i])
	}
	for _, a := range msg.Anomalies {
		t.line(1, "anomaly: "+a.Error())
	}
	if f.IKEErr != nil {
		t.line(1, "malformed: "+EscapeString(f.IKEErr.Error()))
	}
}

type tree struct{ w io.Writer }

func (t *tree) line(depth int, s string) {
	io.WriteString(t.w, strings.Repeat("    ", depth)+s+"\n")
}

func named(name string, v uint64) string {
	n := strconv.FormatUint(v, 10)
	if name == "" || name == n {
		return n
	}
	return name + " (" + n + ")"
}

func treePayload(t *tree, major uint8, p *decode.Payload) {
	head := decode.PayloadLongName(major, p.Type) + " [" + p.Name(major) + "] offset " + strconv.Itoa(p.Offset) + " length " + strconv.Itoa(p.Length)
	if p.Critical {
		head += " critical"
	}
	if p.Decrypted {
		head += " decrypted"
	}
	t.line(1, head)
	switch {
	case p.SA != nil:
		if major == 1 {
			t.line(2, "doi "+strconv.FormatUint(uint64(p.SA.DOI), 10)+" situation "+strconv.FormatUint(uint64(p.SA.Situation), 10))
		}
		for i := range p.SA.Proposals {
			pr := &p.SA.Proposals[i]
			t.line(2, "proposal "+strconv.Itoa(int(pr.Num))+": protocol "+named(decode.ProtocolName(major, pr.Protocol), uint64(pr.Protocol))+
				" spi "+orDash(Hex(pr.SPI))+" transforms "+strconv.Itoa(int(pr.NumTransforms)))
			for j := range pr.Transforms {
				tr := &pr.Transforms[j]
				if major == 1 {
					t.line(3, "transform "+strconv.Itoa(int(tr.Num))+": "+named(decode.TransformName(major, pr.Protocol, tr), uint64(tr.ID)))
				} else {
					t.line(3, "transform "+decode.TransformTypeName(tr.Type)+": "+named(decode.TransformName(major, pr.Protocol, tr), uint64(tr.ID)))
				}
				for k := range tr.Attrs {
					a := &tr.Attrs[k]
					t.line(4, attrText(major, pr.Protocol, a))
				}
			}
		}
	case p.KE != nil:
		if major == 2 {
			t.line(2, "group "+named(decode.DHGroupName(p.KE.Group), uint64(p.KE.Group))+" data "+strconv.Itoa(p.KE.DataLen)+" bytes")
		} else {
			t.line(2, "data "+strconv.Itoa(p.KE.DataLen)+" bytes")
		}
	case p.ID != nil:
		s := "type " + named(decode.IDTypeName(major, p.ID.Type), uint64(p.ID.Type))
		if major == 1 && (p.Type == decode.PayloadID) {
			s += " protocol " + strconv.Itoa(int(p.ID.Protocol)) + " port " + strconv.Itoa(int(p.ID.Port))
		}
		t.line(2, s+": "+IDString(major, p.ID))
	case p.Cert != nil:
		t.line(2, "encoding "+named(decode.CertEncodingName(p.Cert.Encoding), uint64(p.Cert.Encoding))+" data "+strconv.Itoa(p.Cert.DataLen)+" bytes")
	case p.Auth != nil:
		t.line(2, "method "+named(decode.AuthMethodName(p.Auth.Method), uint64(p.Auth.Method))+" data "+strconv.Itoa(p.Auth.DataLen)+" bytes")
	case p.Notify != nil:
		n := p.Notify
		s := "type " + named(n.Name(), uint64(n.Type))
		if n.IsError() {
			s += " (error)"
		}
		s += " protocol " + named(decode.ProtocolName(major, n.Protocol), uint64(n.Protocol))
		if len(n.SPI) > 0 {
			s += " spi " + Hex(n.SPI)
		}
		t.line(2, s)
		if n.HasWinError {
			line := "windows error " + strconv.FormatUint(uint64(n.WinError), 10)
			if we, ok := decode.LookupWinError(n.WinError); ok {
				line += " " + we.Hex() + " " + we.Name + ": " + we.Message
			}
			t.line(3, line)
		}
		if n.HasSeq {
			t.line(3, "sequence "+strconv.FormatUint(uint64(n.Seq), 10))
		}
		for k := range n.Attrs {
			t.line(3, attrText(major, 3, &n.Attrs[k]))
		}
		if n.Group != 0 {
			t.line(3, "accepted group "+named(decode.DHGroupName(n.Group), uint64(n.Group)))
		}
		if len(n.Data) > 0 && !n.HasWinError && !n.HasSeq && len(n.Attrs) == 0 {
			t.line(3, "data "+clip(Hex(n.Data)))
		}
	case p.Delete != nil:
		d := p.Delete
		s := "protocol " + named(decode.ProtocolName(major, d.Protocol), uint64(d.Protocol)) + " spi size " + strconv.Itoa(int(d.SPISize)) + " count " + strconv.Itoa(int(d.NumSPIs))
		t.line(2, s)
		for _, x := range d.SPIs {
			t.line(3, "spi "+Hex(x))
		}
	case p.TS != nil:
		for _, s := range p.TS.Selectors {
			t.line(2, named(decode.TSTypeName(s.Type), uint64(s.Type))+" protocol "+strconv.Itoa(int(s.IPProtocol))+
				" ports "+strconv.Itoa(int(s.StartPort))+"-"+strconv.Itoa(int(s.EndPort))+
				" addresses "+addrText(s.StartAddr)+" - "+addrText(s.EndAddr))
		}
	case p.CP != nil:
		if major == 2 {
			t.line(2, "type "+named(decode.CPTypeName(p.CP.Type), uint64(p.CP.Type)))
		} else {
			t.line(2, "type "+strconv.Itoa(int(p.CP.Type))+" identifier "+strconv.Itoa(int(p.CP.ID)))
		}
		for k := range p.CP.Attrs {
			a := &p.CP.Attrs[k]
			s := named(decode.CPAttrName(major, a.Type), uint64(a.Type))
			if a.TV {
				s += " = " + strconv.FormatUint(a.Value, 10)
			} else if len(a.Data) > 0 {
				s += " = " + clip(Hex(a.Data))
			}
			t.line(3, s)
		}
	case p.Encrypted != nil:
		s := "first inner payload " + decode.PayloadName(major, p.Encrypted.InnerNext) + ", " + strconv.Itoa(p.Encrypted.DataLen) + " bytes"
		if p.Type == decode.PayloadSKF {
			s = "fragment " + strconv.Itoa(int(p.Encrypted.FragNum)) + " of " + strconv.Itoa(int(p.Encrypted.FragTotal)) + ", " + s
		}
		t.line(2, s)
	case p.Fragment != nil:
		s := "fragment id " + strconv.Itoa(int(p.Fragment.ID)) + " number " + strconv.Itoa(int(p.Fragment.Num)) + " data " + strconv.Itoa(p.Fragment.DataLen) + " bytes"
		if p.Fragment.Last {
			s += " (last)"
		}
		t.line(2, s)
	case p.EAP != nil:
		t.line(2, "code "+strconv.Itoa(int(p.EAP.Code))+" id "+strconv.Itoa(int(p.EAP.ID))+" type "+strconv.Itoa(int(p.EAP.EAPType)))
	case p.Type == decode.PayloadVendorID || p.Type == decode.PayloadVendorIDv2:
		s := Hex(p.Data)
		if n := decode.VendorName(p.Data); n != "" {
			s += " (" + EscapeString(n) + ")"
		}
		t.line(2, s)
	case len(p.Data) > 0:
		t.line(2, clip(Hex(p.Data)))
	case p.DataLen > 0:
		t.line(2, "data "+strconv.Itoa(p.DataLen)+" bytes")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string) string {
	if len(s) > 96 {
		return s[:96] + "..."
	}
	return s
}

func attrText(major, proto uint8, a *decode.Attribute) string {
	s := named(decode.AttrName(major, proto, a.Type), uint64(a.Type)) + " = "
	if !a.TV && len(a.Data) > 8 {
		return s + clip(Hex(a.Data))
	}
	return s + named(decode.AttrValueName(major, proto, a), a.Value)
}

func addrText(b []byte) string {
	if a, ok := netip.AddrFromSlice(b); ok {
		return a.String()
	}
	return Hex(b)
}

// IDString renders an identification value for people: addresses and
// subnets as addresses, names escaped, DER and key IDs as hex.
func IDString(major uint8, id *decode.Identity) string {
	d := id.Data
	switch id.Type {
	case 1, 5: // ID_IPV4_ADDR; ID_IPV6_ADDR in both versions
		if a, ok := netip.AddrFromSlice(d); ok {
			return a.String()
		}
	case 4, 6: // IKEv1 ID_IPV4_ADDR_SUBNET, ID_IPV6_ADDR_SUBNET (address, mask)
		if major == 1 && (len(d) == 8 || len(d) == 32) {
			a, _ := netip.AddrFromSlice(d[:len(d)/2])
			m, _ := netip.AddrFromSlice(d[len(d)/2:])
			return a.String() + "/" + m.String()
		}
	case 7, 8: // IKEv1 ID_IPV4_ADDR_RANGE, ID_IPV6_ADDR_RANGE
		if major == 1 && (len(d) == 8 || len(d) == 32) {
			a, _ := netip.AddrFromSlice(d[:len(d)/2])
			e, _ := netip.AddrFromSlice(d[len(d)/2:])
			return a.String() + "-" + e.String()
		}
	case 2, 3: // FQDN, USER_FQDN / RFC822
		return Escape(d)
	}
	if major == 2 && id.Type == 13 {
		return "(null)"
	}
	return clip(Hex(d))
}

package report

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/ikescope/ikescope/decode"
)

// The JSON form of `ikescope decode -T json`: one object per packet. Field
// names are snake_case and stable; new fields may be added.

// PacketJSON is one decoded packet.
type PacketJSON struct {
	File     string        `json:"file,omitempty"`
	Frame    int           `json:"frame"`
	Time     string        `json:"time"`
	Kind     string        `json:"kind"`
	Src      string        `json:"src"`
	Dst      string        `json:"dst"`
	Protocol uint8         `json:"ip_protocol"`
	NATT     bool          `json:"natt,omitempty"`
	VLAN     uint16        `json:"vlan,omitempty"`
	IKE      *IKEJSON      `json:"ike,omitempty"`
	ESP      *ESPJSON      `json:"esp,omitempty"`
	Datagram *DatagramJSON `json:"reassembled,omitempty"`
	Error    string        `json:"error,omitempty"`
}

// ESPJSON is an ESP header.
type ESPJSON struct {
	SPI    uint32 `json:"spi"`
	SPIHex string `json:"spi_hex"`
	Seq    uint32 `json:"seq"`
	Length int    `json:"length"`
}

// DatagramJSON lists the IP fragments a datagram was rebuilt from.
type DatagramJSON struct {
	ID        uint32         `json:"id"`
	Length    int            `json:"length"`
	Complete  bool           `json:"complete"`
	Fragments []FragmentJSON `json:"fragments"`
	Missing   [][2]int       `json:"missing,omitempty"`
}

// FragmentJSON is one fragment.
type FragmentJSON struct {
	Frame  int    `json:"frame"`
	Time   string `json:"time"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	More   bool   `json:"more_fragments"`
}

// IKEJSON is one IKE message.
type IKEJSON struct {
	InitiatorSPI    string        `json:"initiator_spi"`
	ResponderSPI    string        `json:"responder_spi"`
	NextPayload     uint8         `json:"next_payload"`
	Version         int           `json:"version"`
	MinorVersion    int           `json:"minor_version"`
	Exchange        uint8         `json:"exchange"`
	ExchangeName    string        `json:"exchange_name"`
	Flags           uint8         `json:"flags"`
	FlagNames       string        `json:"flag_names"`
	MessageID       uint32        `json:"message_id"`
	Length          uint32        `json:"length"`
	EncryptedLength int           `json:"encrypted_length,omitempty"`
	Payloads        []PayloadJSON `json:"payloads"`
	Anomalies       []string      `json:"anomalies,omitempty"`
	Error           string        `json:"error,omitempty"`
}

// PayloadJSON is one payload; the typed fields depend on its type.
type PayloadJSON struct {
	Type     uint8  `json:"type"`
	Name     string `json:"name"`
	Critical bool   `json:"critical,omitempty"`
	// Decrypted marks a payload read from an encrypted body with --keys;
	// its offset is then in the plaintext.
	Decrypted bool   `json:"decrypted,omitempty"`
	Offset    int    `json:"offset"`
	Length    int    `json:"length"`
	DataLen   int    `json:"data_length,omitempty"`
	Data      string `json:"data,omitempty"`
	VendorID  string `json:"vendor_id,omitempty"`
	Vendor    string `json:"vendor,omitempty"`

	DOI       *uint32        `json:"doi,omitempty"`
	Situation *uint32        `json:"situation,omitempty"`
	Proposals []ProposalJSON `json:"proposals,omitempty"`

	Group     *uint16 `json:"dh_group,omitempty"`
	GroupName string  `json:"dh_group_name,omitempty"`

	IDType     *uint8  `json:"id_type,omitempty"`
	IDTypeName string  `json:"id_type_name,omitempty"`
	IDProtocol *uint8  `json:"id_protocol,omitempty"`
	IDPort     *uint16 `json:"id_port,omitempty"`
	IDValue    string  `json:"id_value,omitempty"`

	CertEncoding     *uint8 `json:"cert_encoding,omitempty"`
	CertEncodingName string `json:"cert_encoding_name,omitempty"`

	AuthMethod     *uint8 `json:"auth_method,omitempty"`
	AuthMethodName string `json:"auth_method_name,omitempty"`

	Notify *NotifyJSON `json:"notify,omitempty"`
	Delete *DeleteJSON `json:"delete,omitempty"`

	Selectors []SelectorJSON `json:"selectors,omitempty"`

	CPType  *uint8     `json:"cfg_type,omitempty"`
	CPAttrs []AttrJSON `json:"cfg_attributes,omitempty"`

	InnerNext *uint8  `json:"inner_next_payload,omitempty"`
	FragNum   *uint16 `json:"fragment_number,omitempty"`
	FragTotal *uint16 `json:"fragment_total,omitempty"`
	FragID    *uint16 `json:"fragment_id,omitempty"`
	FragLast  *bool   `json:"fragment_last,omitempty"`

	EAPCode *uint8 `json:"eap_code,omitempty"`
	EAPType *uint8 `json:"eap_type,omitempty"`
}

// ProposalJSON is a proposal.
type ProposalJSON struct {
	Num           uint8           `json:"number"`
	Protocol      uint8           `json:"protocol"`
	ProtocolName  string          `json:"protocol_name"`
	SPI           string          `json:"spi,omitempty"`
	NumTransforms uint8           `json:"transform_count"`
	Transforms    []TransformJSON `json:"transforms"`
}

// TransformJSON is a transform.
type TransformJSON struct {
	Num      uint8      `json:"number,omitempty"`
	Type     uint8      `json:"type,omitempty"`
	TypeName string     `json:"type_name,omitempty"`
	ID       uint16     `json:"id"`
	Name     string     `json:"name"`
	Attrs    []AttrJSON `json:"attributes,omitempty"`
}

// AttrJSON is an attribute.
type AttrJSON struct {
	Type      uint16 `json:"type"`
	Name      string `json:"name"`
	Value     uint64 `json:"value"`
	ValueName string `json:"value_name,omitempty"`
	Data      string `json:"data,omitempty"`
}

// NotifyJSON is a notify payload.
type NotifyJSON struct {
	Type          uint16      `json:"type"`
	Name          string      `json:"name"`
	Error         bool        `json:"error"`
	Protocol      uint8       `json:"protocol"`
	SPI           string      `json:"spi,omitempty"`
	Data          string      `json:"data,omitempty"`
	WindowsError  *WinErrJSON `json:"windows_error,omitempty"`
	Seq           *uint32     `json:"dpd_sequence,omitempty"`
	Lifetime      []AttrJSON  `json:"lifetime_attributes,omitempty"`
	AcceptedGroup uint16      `json:"accepted_group,omitempty"`
}

// WinErrJSON is a Windows error code carried by a status notify.
type WinErrJSON struct {
	Code    uint32 `json:"code"`
	Hex     string `json:"hex"`
	Name    string `json:"name,omitempty"`
	Message string `json:"message,omitempty"`
}

// DeleteJSON is a delete payload.
type DeleteJSON struct {
	Protocol uint8    `json:"protocol"`
	SPISize  uint8    `json:"spi_size"`
	Count    uint16   `json:"count"`
	SPIs     []string `json:"spis,omitempty"`
}

// SelectorJSON is a traffic selector.
type SelectorJSON struct {
	Type       uint8  `json:"type"`
	IPProtocol uint8  `json:"ip_protocol"`
	StartPort  uint16 `json:"start_port"`
	EndPort    uint16 `json:"end_port"`
	StartAddr  string `json:"start_address"`
	EndAddr    string `json:"end_address"`
}

// RFC3339Micro is the JSON time format.
const RFC3339Micro = "2006-01-02T15:04:05.000000Z07:00"

// FormatTime formats a capture timestamp for JSON.
func FormatTime(t time.Time) string { return t.UTC().Format(RFC3339Micro) }

// WinErrorJSON describes a Windows error code.
func WinErrorJSON(code uint32) *WinErrJSON {
	w := &WinErrJSON{Code: code, Hex: "0x" + strconv.FormatUint(uint64(code), 16)}
	if we, ok := decode.LookupWinError(code); ok {
		w.Hex, w.Name, w.Message = we.Hex(), we.Name, we.Message
	}
	return w
}

// DecodeJSON converts a decoded frame.
func DecodeJSON(m Meta, f *decode.Frame) *PacketJSON {
	p := &PacketJSON{
		File: m.File, Frame: m.Frame, Time: FormatTime(m.Time), Kind: f.Kind.String(),
		Src: endpoint(f.Src), Dst: endpoint(f.Dst), Protocol: f.Proto, NATT: f.NATT, VLAN: f.VLAN,
	}
	if f.Err != nil {
		p.Error = f.Err.Error()
	}
	if f.Kind == decode.KindESP {
		p.ESP = &ESPJSON{SPI: f.ESP.SPI, SPIHex: hex32(f.ESP.SPI), Seq: f.ESP.Seq, Length: f.ESP.Len}
	}
	if dg := f.Datagram; dg != nil {
		p.Datagram = DatagramToJSON(dg)
	}
	if f.Kind == decode.KindIKE {
		p.IKE = IKEToJSON(f.IKE, f.IKEErr)
	}
	return p
}

// DatagramToJSON converts a fragment record.
func DatagramToJSON(dg *decode.Datagram) *DatagramJSON {
	d := &DatagramJSON{ID: dg.ID, Length: dg.TotalLen, Complete: dg.Complete, Fragments: []FragmentJSON{}}
	for _, fr := range dg.Fragments {
		d.Fragments = append(d.Fragments, FragmentJSON{Frame: fr.Ref, Time: FormatTime(fr.Time), Offset: fr.Offset, Length: fr.Length, More: fr.More})
	}
	if !dg.Complete {
		d.Missing = dg.Missing()
	}
	return d
}

// IKEToJSON converts an IKE message; m may be nil when only the error is known.
func IKEToJSON(m *decode.Message, err error) *IKEJSON {
	j := &IKEJSON{Payloads: []PayloadJSON{}}
	if err != nil {
		j.Error = err.Error()
	}
	if m == nil {
		return j
	}
	j.InitiatorSPI, j.ResponderSPI = spi(m.InitSPI), spi(m.RespSPI)
	j.NextPayload = uint8(m.NextPayload)
	j.Version, j.MinorVersion = int(m.Major), int(m.Minor)
	j.Exchange, j.ExchangeName = uint8(m.Exchange), m.ExchangeName()
	j.Flags, j.FlagNames = m.Flags, m.FlagString()
	j.MessageID, j.Length = m.MsgID, m.Length
	j.EncryptedLength = m.EncryptedLen
	for _, a := range m.Anomalies {
		j.Anomalies = append(j.Anomalies, a.Error())
	}
	for i := range m.Payloads {
		j.Payloads = append(j.Payloads, payloadJSON(m.Major, &m.Payloads[i]))
	}
	return j
}

func attrsJSON(major, proto uint8, attrs []decode.Attribute) []AttrJSON {
	var out []AttrJSON
	for k := range attrs {
		a := &attrs[k]
		aj := AttrJSON{Type: a.Type, Name: decode.AttrName(major, proto, a.Type), Value: a.Value, ValueName: decode.AttrValueName(major, proto, a)}
		if !a.TV {
			aj.Data = Hex(a.Data)
		}
		out = append(out, aj)
	}
	return out
}

func payloadJSON(major uint8, p *decode.Payload) PayloadJSON {
	j := PayloadJSON{Type: uint8(p.Type), Name: p.Name(major), Critical: p.Critical, Decrypted: p.Decrypted, Offset: p.Offset, Length: p.Length, DataLen: p.DataLen}
	switch {
	case p.SA != nil:
		if major == 1 {
			j.DOI, j.Situation = &p.SA.DOI, &p.SA.Situation
		}
		j.Proposals = []ProposalJSON{}
		for i := range p.SA.Proposals {
			pr := &p.SA.Proposals[i]
			pj := ProposalJSON{Num: pr.Num, Protocol: pr.Protocol, ProtocolName: decode.ProtocolName(major, pr.Protocol), SPI: Hex(pr.SPI), NumTransforms: pr.NumTransforms, Transforms: []TransformJSON{}}
			for k := range pr.Transforms {
				tr := &pr.Transforms[k]
				tj := TransformJSON{Num: tr.Num, Type: tr.Type, ID: tr.ID, Name: decode.TransformName(major, pr.Protocol, tr), Attrs: attrsJSON(major, pr.Protocol, tr.Attrs)}
				if major == 2 {
					tj.TypeName = decode.TransformTypeName(tr.Type)
				}
				pj.Transforms = append(pj.Transforms, tj)
			}
			j.Proposals = append(j.Proposals, pj)
		}
	case p.KE != nil:
		j.DataLen = p.KE.DataLen
		if major == 2 {
			j.Group, j.GroupName = &p.KE.Group, decode.DHGroupName(p.KE.Group)
		}
	case p.ID != nil:
		j.IDType, j.IDTypeName, j.IDValue = &p.ID.Type, decode.IDTypeName(major, p.ID.Type), IDString(major, p.ID)
		if major == 1 && p.Type == decode.PayloadID {
			j.IDProtocol, j.IDPort = &p.ID.Protocol, &p.ID.Port
		}
	case p.Cert != nil:
		j.CertEncoding, j.CertEncodingName, j.DataLen = &p.Cert.Encoding, decode.CertEncodingName(p.Cert.Encoding), p.Cert.DataLen
	case p.Auth != nil:
		j.AuthMethod, j.AuthMethodName, j.DataLen = &p.Auth.Method, decode.AuthMethodName(p.Auth.Method), p.Auth.DataLen
	case p.Notify != nil:
		n := p.Notify
		nj := &NotifyJSON{Type: n.Type, Name: n.Name(), Error: n.IsError(), Protocol: n.Protocol, SPI: Hex(n.SPI), Data: Hex(n.Data)}
		if n.HasWinError {
			nj.WindowsError = WinErrorJSON(n.WinError)
		}
		if n.HasSeq {
			nj.Seq = &n.Seq
		}
		nj.Lifetime = attrsJSON(major, 3, n.Attrs)
		nj.AcceptedGroup = n.Group
		j.Notify = nj
	case p.Delete != nil:
		d := p.Delete
		dj := &DeleteJSON{Protocol: d.Protocol, SPISize: d.SPISize, Count: d.NumSPIs}
		for _, s := range d.SPIs {
			dj.SPIs = append(dj.SPIs, Hex(s))
		}
		j.Delete = dj
	case p.TS != nil:
		j.Selectors = []SelectorJSON{}
		for _, s := range p.TS.Selectors {
			j.Selectors = append(j.Selectors, SelectorJSON{Type: s.Type, IPProtocol: s.IPProtocol, StartPort: s.StartPort, EndPort: s.EndPort, StartAddr: addrText(s.StartAddr), EndAddr: addrText(s.EndAddr)})
		}
	case p.CP != nil:
		j.CPType = &p.CP.Type
		for k := range p.CP.Attrs {
			a := &p.CP.Attrs[k]
			j.CPAttrs = append(j.CPAttrs, AttrJSON{Type: a.Type, Name: decode.CPAttrName(major, a.Type), Value: a.Value, Data: Hex(a.Data)})
		}
	case p.Encrypted != nil:
		in := uint8(p.Encrypted.InnerNext)
		j.InnerNext, j.DataLen = &in, p.Encrypted.DataLen
		if p.Type == decode.PayloadSKF {
			j.FragNum, j.FragTotal = &p.Encrypted.FragNum, &p.Encrypted.FragTotal
		}
	case p.Fragment != nil:
		j.FragID, j.DataLen = &p.Fragment.ID, p.Fragment.DataLen
		num := uint16(p.Fragment.Num)
		j.FragNum, j.FragLast = &num, &p.Fragment.Last
	case p.EAP != nil:
		j.EAPCode, j.EAPType, j.DataLen = &p.EAP.Code, &p.EAP.EAPType, p.EAP.DataLen
	case p.Type == decode.PayloadVendorID || p.Type == decode.PayloadVendorIDv2:
		j.VendorID, j.Vendor = Hex(p.Data), decode.VendorName(p.Data)
	case len(p.Data) > 0:
		j.Data = Hex(p.Data)
	}
	return j
}

// MarshalLine returns v as one line of JSON.
func MarshalLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":` + strconv.Quote(err.Error()) + `}`)
	}
	return append(b, '\n')
}

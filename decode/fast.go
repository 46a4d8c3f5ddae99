package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// The fast path.
//
// Most packets of a capture are plain Ethernet (with or without 802.1Q
// tags), Linux cooked (tcpdump -i any) or raw IP, then IPv4 without
// options or IPv6 without extension headers, and UDP,
// TCP or ESP. For those, walking gopacket's DecodingLayerParser (a
// container lookup, an interface call and a NextLayerType per layer) was
// most of the decoding time on a 1M-packet capture (issue 12). fast reads
// these headers directly and fills the Frame exactly as the general path
// would: same fields, same Layers list. It hands every packet that is not
// this common shape back to the general path untouched, so gopacket
// remains the decoder of record for everything unusual: IP options,
// fragments, short or inconsistent lengths, other link types, tunnels,
// AH, and any transport gopacket's tables send to a layer of ours.
// TestFastPathSameFrame and FuzzFastPath check that both paths agree.
//
// TCP, IKE, NAT-T and ESP headers are decoded by the same DecodeFromBytes
// methods the general path uses; only the link, network and UDP headers
// are read here.

// fast decodes data if it has the common shape and reports whether it did.
// On false, d.f may hold partial results and must be reset; nothing else
// was changed that the general path depends on.
func (d *Decoder) fast(link uint32, data []byte) bool {
	f := &d.f
	var (
		etype uint16 // EtherType of what follows the link header
		l3    []byte
	)
	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return false
		}
		etype, l3 = binary.BigEndian.Uint16(data[12:14]), data[14:]
		f.Layers = append(f.Layers, layers.LayerTypeEthernet)
	case LinkLinuxSLL: // tcpdump -i any, libpcap before 1.10
		if len(data) < 16 || binary.BigEndian.Uint16(data[4:6]) > 8 {
			return false
		}
		etype, l3 = binary.BigEndian.Uint16(data[14:16]), data[16:]
		f.Layers = append(f.Layers, layers.LayerTypeLinuxSLL)
	case LinkLinuxSLL2: // tcpdump -i any, libpcap 1.10 and later
		if len(data) < 20 {
			return false
		}
		etype, l3 = binary.BigEndian.Uint16(data[0:2]), data[20:]
		f.Layers = append(f.Layers, LayerTypeLinuxSLL2)
	case LinkRaw, LinkIPv4, LinkIPv6: // tun devices, "any" with SOCK_DGRAM
		if len(data) == 0 {
			return false
		}
		// The version nibble chooses, as firstLayer does.
		etype, l3 = uint16(layers.EthernetTypeIPv4), data
		if link == LinkIPv6 || (link == LinkRaw && data[0]>>4 == 6) {
			etype = uint16(layers.EthernetTypeIPv6)
		}
	default:
		return false
	}
	for etype == uint16(layers.EthernetTypeDot1Q) {
		if len(l3) < 4 {
			return false
		}
		f.VLAN = binary.BigEndian.Uint16(l3[0:2]) & 0x0fff
		etype = binary.BigEndian.Uint16(l3[2:4])
		l3 = l3[4:]
		f.Layers = append(f.Layers, layers.LayerTypeDot1Q)
	}
	var (
		proto   uint8
		payload []byte
	)
	switch etype {
	case uint16(layers.EthernetTypeIPv4):
		// Version 4, no options, total length within the frame (an
		// Ethernet trailer beyond it is cut off), not a fragment.
		if len(l3) < 20 || l3[0] != 0x45 {
			return false
		}
		total := int(binary.BigEndian.Uint16(l3[2:4]))
		if total < 20 || total > len(l3) || binary.BigEndian.Uint16(l3[6:8])&0x3fff != 0 {
			return false
		}
		proto = l3[9]
		f.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(l3[12:16])), 0)
		f.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(l3[16:20])), 0)
		payload = l3[20:total]
		f.Layers = append(f.Layers, layers.LayerTypeIPv4)
	case uint16(layers.EthernetTypeIPv6):
		// No hop-by-hop header (gopacket reads it as part of IPv6), no
		// fragment header (continuation reassembles), payload length
		// within the frame.
		if len(l3) < 40 || l3[0]>>4 != 6 {
			return false
		}
		plen := int(binary.BigEndian.Uint16(l3[4:6]))
		proto = l3[6]
		if plen == 0 || plen > len(l3)-40 || proto == 0 || proto == 44 {
			return false
		}
		f.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(l3[8:24])), 0)
		f.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(l3[24:40])), 0)
		payload = l3[40 : 40+plen]
		f.Layers = append(f.Layers, layers.LayerTypeIPv6)
	default:
		return false
	}
	f.Proto = proto
	if len(payload) == 0 {
		return true // gopacket stops at an empty payload
	}
	switch proto {
	case 17:
		return d.fastUDP(payload)
	case 6:
		if d.tcp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback) != nil {
			return false
		}
		f.Layers = append(f.Layers, layers.LayerTypeTCP)
		d.setTCP()
		if len(d.tcp.Payload) == 0 {
			return true
		}
		_, ours := d.layers.Decoder(d.tcp.NextLayerType())
		return !ours
	case 50:
		if d.esp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback) != nil {
			return false
		}
		f.Layers = append(f.Layers, layers.LayerTypeIPSecESP)
		d.setESP()
		return true
	}
	// Another protocol: the frame ends here unless it leads to one of our
	// layers (IP in IP, AH, IPv6 fragments and the like).
	_, ours := d.layers.Decoder(layers.IPProtocol(proto).LayerType())
	return !ours
}

// fastUDP goes on from a UDP header.
func (d *Decoder) fastUDP(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	f := &d.f
	sport, dport := binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	ulen := int(binary.BigEndian.Uint16(b[4:6]))
	switch {
	case ulen >= 8:
		b = b[8:min(ulen, len(b))]
	case ulen == 0:
		b = b[8:]
	default:
		return false
	}
	f.Src = netip.AddrPortFrom(f.Src.Addr(), sport)
	f.Dst = netip.AddrPortFrom(f.Dst.Addr(), dport)
	f.Layers = append(f.Layers, layers.LayerTypeUDP)
	if len(b) == 0 {
		return true
	}
	next := layers.UDPPort(dport).LayerType()
	if next == gopacket.LayerTypePayload {
		next = layers.UDPPort(sport).LayerType()
	}
	switch next {
	case LayerTypeIKE:
		return d.fastIKE(b)
	case LayerTypeNATT:
		if d.natt.DecodeFromBytes(b, gopacket.NilDecodeFeedback) != nil {
			return false
		}
		f.Layers = append(f.Layers, LayerTypeNATT)
		f.NATT = true
		switch d.natt.Kind {
		case NATTKeepalive:
			f.Kind = KindKeepalive
		case NATTIKE:
			if len(d.natt.Payload) > 0 {
				return d.fastIKE(d.natt.Payload)
			}
		case NATTESP:
			if d.esp.DecodeFromBytes(d.natt.Payload, gopacket.NilDecodeFeedback) != nil {
				return false
			}
			f.Layers = append(f.Layers, LayerTypeESP)
			d.setESP()
		}
		return true
	}
	_, ours := d.layers.Decoder(next)
	return !ours
}

// fastIKE decodes an IKE message; one without a readable header goes to
// the general path, which reports it.
func (d *Decoder) fastIKE(b []byte) bool {
	if d.ike.DecodeFromBytes(b, gopacket.NilDecodeFeedback) != nil {
		return false
	}
	f := &d.f
	f.Layers = append(f.Layers, LayerTypeIKE)
	f.Kind = KindIKE
	f.IKE = d.ike.Msg
	f.IKEErr = d.ike.Err
	f.IKELen = len(d.ike.Contents)
	f.IKEBytes = d.ike.Contents
	return true
}

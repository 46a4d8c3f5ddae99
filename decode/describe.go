package decode

import "strconv"

// This file gives exported names for wire values in their context. Every
// function falls back to the number when the value is not in the tables.

func orNum(s string, v uint64) string {
	if s != "" {
		return s
	}
	return strconv.FormatUint(v, 10)
}

// PayloadLongName is the full name of a payload type ("Security Association").
func PayloadLongName(major uint8, t PayloadType) string {
	return orNum(payloadLongName(major, uint8(t)), uint64(t))
}

// ProtocolName names a protocol ID of a proposal, notify or delete.
func ProtocolName(major, p uint8) string { return orNum(protocolName(major, p), uint64(p)) }

// TransformName names a transform: the IKEv1 transform ID for the
// proposal's protocol, or the IKEv2 transform ID within its type.
func TransformName(major, protocol uint8, t *Transform) string {
	if major == 1 {
		return orNum(v1TransformIDName(protocol, uint8(t.ID)), uint64(t.ID))
	}
	return orNum(v2TransformIDName(t.Type, t.ID), uint64(t.ID))
}

// TransformTypeName names an IKEv2 transform type ("ENCR").
func TransformTypeName(t uint8) string { return orNum(v2TransformTypeName(t), uint64(t)) }

// AttrName names an SA attribute type. For IKEv1 the protocol of the
// proposal decides between phase 1 (ISAKMP) and IPsec DOI attributes.
func AttrName(major, protocol uint8, t uint16) string {
	if major == 1 {
		return orNum(v1AttrName(protocol == 1, t), uint64(t))
	}
	return orNum(v2AttrName(t), uint64(t))
}

// AttrValueName names an attribute value where the value is an enum, or
// returns "" when it is a number (lifetime, key length).
func AttrValueName(major, protocol uint8, a *Attribute) string {
	if major == 1 {
		return v1AttrValueName(protocol == 1, a.Type, a.Value)
	}
	return ""
}

// IDTypeName names an identification type.
func IDTypeName(major, t uint8) string { return orNum(idTypeName(major, t), uint64(t)) }

// CertEncodingName names a certificate encoding.
func CertEncodingName(t uint8) string { return orNum(certEncodingName(t), uint64(t)) }

// AuthMethodName names an IKEv2 authentication method.
func AuthMethodName(t uint8) string { return orNum(authMethodV2Name(t), uint64(t)) }

// DHGroupName names a Diffie-Hellman (key exchange method) group.
func DHGroupName(g uint16) string { return orNum(dhGroupName(g), uint64(g)) }

// DHGroupWeak reports groups considered weak today (768, 1024 and 1536-bit
// MODP and the small-subgroup MODP groups).
func DHGroupWeak(g uint16) bool { return dhGroupWeak(g) }

// NotifyName names a notify type for a version.
func NotifyName(major uint8, t uint16) string { return orNum(notifyName(major, t), uint64(t)) }

// NotifyIsError reports whether a notify type is an error for a version.
func NotifyIsError(major uint8, t uint16) bool { return notifyIsError(major, t) }

// TSTypeName names a traffic selector type.
func TSTypeName(t uint8) string { return orNum(trafficSelectorTypeName(t), uint64(t)) }

// CPTypeName names an IKEv2 configuration payload type.
func CPTypeName(t uint8) string { return orNum(cfgTypeName(t), uint64(t)) }

// CPAttrName names a configuration attribute: IKEv2 CP or IKEv1 mode-config.
func CPAttrName(major uint8, t uint16) string {
	if major == 1 {
		return orNum(modeCfgAttrName(t), uint64(t))
	}
	return orNum(cfgAttrName(t), uint64(t))
}

// ExchangeName names an exchange type for a version.
func ExchangeName(major uint8, t ExchangeType) string {
	return orNum(exchangeName(major, uint8(t)), uint64(t))
}

// PayloadName is the short name of a payload type for a version.
func PayloadName(major uint8, t PayloadType) string {
	return orNum(payloadName(major, uint8(t)), uint64(t))
}

package decode

// Name tables for IKEv1 (ISAKMP/IPsec DOI/IKE) and IKEv2 numbers.
//
// Every lookup returns "" for a number it does not know; callers fall back
// to printing the number. The tables are written from:
//
//   - RFC 2407 (IPsec DOI), RFC 2408 (ISAKMP), RFC 2409 (IKE, Appendix A),
//     RFC 3706 (DPD), RFC 3947 (NAT-T), RFC 7296 (IKEv2) and the RFCs that
//     registered later code points (named next to the entries);
//   - the IANA registries "Internet Security Association and Key Management
//     Protocol (ISAKMP) Identifiers", "Internet Key Exchange (IKE)
//     Attributes" (ipsec-registry) and "Internet Key Exchange Version 2
//     (IKEv2) Parameters";
//   - the expired drafts that IKEv1 implementations still speak:
//     draft-ietf-ipsec-isakmp-mode-cfg-05, draft-ietf-ipsec-isakmp-xauth-06,
//     draft-beaulieu-ike-xauth-02, draft-ietf-ipsec-isakmp-hybrid-auth-05,
//     draft-ietf-ipsec-nat-t-ike-0x;
//   - vendor documentation where noted (Microsoft [MS-IKEE]).
//
// major is the IKE major version from the header: 1 for IKEv1, 2 for IKEv2.
// exchangeName and payloadName (and payloadLongName) also accept major 0,
// meaning "unknown": IKEv1 and IKEv2 exchange and payload numbers do not
// overlap, so the number alone selects the table.

// ---------------------------------------------------------------------------
// Exchange types

// IKEv1: RFC 2408 §3.1 and RFC 2409 §5 / Appendix A, IANA "IPSEC Exchange
// Types".
var ikev1ExchangeNames = map[uint8]string{
	0:  "NONE",
	1:  "Base",
	2:  "Main Mode", // Identity Protection
	3:  "Authentication Only",
	4:  "Aggressive",
	5:  "Informational",
	6:  "Transaction", // Config Mode (draft-ietf-ipsec-isakmp-mode-cfg)
	32: "Quick Mode",
	33: "New Group Mode",
}

// IKEv2: RFC 7296 §3.1, IANA "IKEv2 Exchange Types".
var ikev2ExchangeNames = map[uint8]string{
	34: "IKE_SA_INIT",
	35: "IKE_AUTH",
	36: "CREATE_CHILD_SA",
	37: "INFORMATIONAL",
	38: "IKE_SESSION_RESUME", // RFC 5723
	39: "GSA_AUTH",           // RFC 9838
	40: "GSA_REGISTRATION",   // RFC 9838
	41: "GSA_REKEY",          // RFC 9838
	42: "GSA_INBAND_REKEY",   // RFC 9838
	43: "IKE_INTERMEDIATE",   // RFC 9242
	44: "IKE_FOLLOWUP_KE",    // RFC 9370
}

// exchangeName names an exchange type. major 0 picks the table by number.
func exchangeName(major uint8, t uint8) string {
	switch major {
	case 1:
		return ikev1ExchangeNames[t]
	case 2:
		return ikev2ExchangeNames[t]
	case 0:
		if s, ok := ikev2ExchangeNames[t]; ok {
			return s
		}
		return ikev1ExchangeNames[t]
	}
	return ""
}

// ---------------------------------------------------------------------------
// Payload types

type payloadNames struct{ short, long string }

// IKEv1: RFC 2408 §3.1, RFC 3547/6407 (GDOI 15-19, 22), RFC 3947 (20, 21),
// draft-ietf-ipsec-nat-t-ike-02/03 (130, 131), Cisco/Microsoft proprietary
// IKE fragmentation (132).
var ikev1PayloadNames = map[uint8]payloadNames{
	1:   {"SA", "Security Association"},
	2:   {"P", "Proposal"},
	3:   {"T", "Transform"},
	4:   {"KE", "Key Exchange"},
	5:   {"ID", "Identification"},
	6:   {"CERT", "Certificate"},
	7:   {"CR", "Certificate Request"},
	8:   {"HASH", "Hash"},
	9:   {"SIG", "Signature"},
	10:  {"NONCE", "Nonce"},
	11:  {"N", "Notification"},
	12:  {"D", "Delete"},
	13:  {"VID", "Vendor ID"},
	14:  {"ATTR", "Attributes"},
	15:  {"SAK", "SA KEK"},
	16:  {"SAT", "SA TEK"},
	17:  {"KD", "Key Download"},
	18:  {"SEQ", "Sequence Number"},
	19:  {"POP", "Proof of Possession"},
	20:  {"NAT-D", "NAT Discovery"},
	21:  {"NAT-OA", "NAT Original Address"},
	22:  {"GAP", "Group Associated Policy"},
	130: {"NAT-D", "NAT Discovery (draft)"},
	131: {"NAT-OA", "NAT Original Address (draft)"},
	132: {"FRAG", "IKE Fragment (Cisco/Microsoft)"},
}

// IKEv2: RFC 7296 §3.2, IANA "IKEv2 Payload Types".
var ikev2PayloadNames = map[uint8]payloadNames{
	33: {"SA", "Security Association"},
	34: {"KE", "Key Exchange"},
	35: {"IDi", "Identification - Initiator"},
	36: {"IDr", "Identification - Responder"},
	37: {"CERT", "Certificate"},
	38: {"CERTREQ", "Certificate Request"},
	39: {"AUTH", "Authentication"},
	40: {"Nonce", "Nonce"},
	41: {"N", "Notify"},
	42: {"D", "Delete"},
	43: {"V", "Vendor ID"},
	44: {"TSi", "Traffic Selector - Initiator"},
	45: {"TSr", "Traffic Selector - Responder"},
	46: {"SK", "Encrypted and Authenticated"},
	47: {"CP", "Configuration"},
	48: {"EAP", "Extensible Authentication"},
	49: {"GSPM", "Generic Secure Password Method"},      // RFC 6467
	50: {"IDg", "Group Identification"},                 // RFC 9838
	51: {"GSA", "Group Security Association"},           // RFC 9838
	52: {"KD", "Key Download"},                          // RFC 9838
	53: {"SKF", "Encrypted and Authenticated Fragment"}, // RFC 7383
	54: {"PS", "Puzzle Solution"},                       // RFC 8019
}

func payloadLookup(major, t uint8) (payloadNames, bool) {
	switch major {
	case 1:
		p, ok := ikev1PayloadNames[t]
		return p, ok
	case 2:
		p, ok := ikev2PayloadNames[t]
		return p, ok
	case 0:
		if p, ok := ikev2PayloadNames[t]; ok {
			return p, true
		}
		p, ok := ikev1PayloadNames[t]
		return p, ok
	}
	return payloadNames{}, false
}

// payloadName is the short abbreviation used in one-line output ("SA",
// "KE", "VID", "SK", ...). major 0 picks the table by number.
func payloadName(major uint8, t uint8) string {
	p, _ := payloadLookup(major, t)
	return p.short
}

// payloadLongName is the full payload name ("Security Association",
// "Encrypted and Authenticated Fragment", ...).
func payloadLongName(major, t uint8) string {
	p, _ := payloadLookup(major, t)
	return p.long
}

// ---------------------------------------------------------------------------
// Protocol IDs

// protocolName names a protocol ID in proposals, notifies and deletes.
// IKEv1: RFC 2407 §4.4.1 (IANA "IPSEC Security Protocol Identifier");
// IKEv2: RFC 7296 §3.3.1 (IANA "IKEv2 Security Protocol Identifiers").
func protocolName(major, t uint8) string {
	switch major {
	case 1:
		switch t {
		case 1:
			return "ISAKMP"
		case 2:
			return "AH"
		case 3:
			return "ESP"
		case 4:
			return "IPCOMP"
		case 5:
			return "GIGABEAM_RADIO" // RFC 4705
		}
	case 2:
		switch t {
		case 1:
			return "IKE"
		case 2:
			return "AH"
		case 3:
			return "ESP"
		case 4:
			return "FC_ESP_HEADER" // RFC 4595
		case 5:
			return "FC_CT_AUTHENTICATION" // RFC 4595
		case 6:
			return "GIKE_UPDATE" // RFC 9838
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Identification types

// IKEv1: RFC 2407 §4.6.2.1, RFC 3554 (ID_LIST).
var ikev1IDTypeNames = map[uint8]string{
	1:  "ID_IPV4_ADDR",
	2:  "ID_FQDN",
	3:  "ID_USER_FQDN",
	4:  "ID_IPV4_ADDR_SUBNET",
	5:  "ID_IPV6_ADDR",
	6:  "ID_IPV6_ADDR_SUBNET",
	7:  "ID_IPV4_ADDR_RANGE",
	8:  "ID_IPV6_ADDR_RANGE",
	9:  "ID_DER_ASN1_DN",
	10: "ID_DER_ASN1_GN",
	11: "ID_KEY_ID",
	12: "ID_LIST",
}

// IKEv2: RFC 7296 §3.5, RFC 4595 (ID_FC_NAME), RFC 7619 (ID_NULL).
var ikev2IDTypeNames = map[uint8]string{
	1:  "ID_IPV4_ADDR",
	2:  "ID_FQDN",
	3:  "ID_RFC822_ADDR",
	5:  "ID_IPV6_ADDR",
	9:  "ID_DER_ASN1_DN",
	10: "ID_DER_ASN1_GN",
	11: "ID_KEY_ID",
	12: "ID_FC_NAME",
	13: "ID_NULL",
}

func idTypeName(major, t uint8) string {
	switch major {
	case 1:
		return ikev1IDTypeNames[t]
	case 2:
		return ikev2IDTypeNames[t]
	}
	return ""
}

// ---------------------------------------------------------------------------
// Certificate encodings: RFC 2408 §3.9, RFC 7296 §3.6, RFC 4806 (14),
// RFC 7670 (15). Values 1-10 mean the same in both versions; 5 is IKEv1 only
// and 11-15 are IKEv2 only.
var certEncodingNames = map[uint8]string{
	1:  "PKCS #7 wrapped X.509 certificate",
	2:  "PGP Certificate",
	3:  "DNS Signed Key",
	4:  "X.509 Certificate - Signature",
	5:  "X.509 Certificate - Key Exchange",
	6:  "Kerberos Tokens",
	7:  "Certificate Revocation List (CRL)",
	8:  "Authority Revocation List (ARL)",
	9:  "SPKI Certificate",
	10: "X.509 Certificate - Attribute",
	11: "Raw RSA Key",
	12: "Hash and URL of X.509 certificate",
	13: "Hash and URL of X.509 bundle",
	14: "OCSP Content",
	15: "Raw Public Key",
}

func certEncodingName(t uint8) string { return certEncodingNames[t] }

// ---------------------------------------------------------------------------
// IKEv2 authentication methods: RFC 7296 §3.8, RFC 4754 (9-11), RFC 6467
// (12), RFC 7619 (13), RFC 7427 (14).
var authMethodV2Names = map[uint8]string{
	1:  "RSA Digital Signature",
	2:  "Shared Key Message Integrity Code",
	3:  "DSS Digital Signature",
	9:  "ECDSA with SHA-256 on the P-256 curve",
	10: "ECDSA with SHA-384 on the P-384 curve",
	11: "ECDSA with SHA-512 on the P-521 curve",
	12: "Generic Secure Password Authentication Method",
	13: "NULL Authentication",
	14: "Digital Signature",
}

func authMethodV2Name(t uint8) string { return authMethodV2Names[t] }

// trafficSelectorTypeName: RFC 7296 §3.13.1, RFC 4595 (9), RFC 9478 (10).
func trafficSelectorTypeName(t uint8) string {
	switch t {
	case 7:
		return "TS_IPV4_ADDR_RANGE"
	case 8:
		return "TS_IPV6_ADDR_RANGE"
	case 9:
		return "TS_FC_ADDR_RANGE"
	case 10:
		return "TS_SECLABEL"
	}
	return ""
}

// ---------------------------------------------------------------------------
// Configuration payloads

// cfgTypeName names the CFG type of an IKEv2 CP payload (RFC 7296 §3.15).
// The IKEv1 mode-config Attributes payload uses the same numbers
// (ISAKMP_CFG_REQUEST ... ISAKMP_CFG_ACK).
func cfgTypeName(t uint8) string {
	switch t {
	case 1:
		return "CFG_REQUEST"
	case 2:
		return "CFG_REPLY"
	case 3:
		return "CFG_SET"
	case 4:
		return "CFG_ACK"
	}
	return ""
}

// IKEv2 configuration attributes: RFC 7296 §3.15.1 and IANA "IKEv2
// Configuration Payload Attribute Types". 5, 9 and 11 are reserved by RFC
// 7296 but were defined by RFC 4306 and are still seen; their RFC 4306 names
// are kept.
var cfgAttrNames = map[uint16]string{
	1:  "INTERNAL_IP4_ADDRESS",
	2:  "INTERNAL_IP4_NETMASK",
	3:  "INTERNAL_IP4_DNS",
	4:  "INTERNAL_IP4_NBNS",
	5:  "INTERNAL_ADDRESS_EXPIRY", // RFC 4306, reserved since RFC 5996
	6:  "INTERNAL_IP4_DHCP",
	7:  "APPLICATION_VERSION",
	8:  "INTERNAL_IP6_ADDRESS",
	9:  "INTERNAL_IP6_NETMASK", // RFC 4306, reserved since RFC 5996
	10: "INTERNAL_IP6_DNS",
	11: "INTERNAL_IP6_NBNS", // RFC 4306, reserved since RFC 5996
	12: "INTERNAL_IP6_DHCP",
	13: "INTERNAL_IP4_SUBNET",
	14: "SUPPORTED_ATTRIBUTES",
	15: "INTERNAL_IP6_SUBNET",
	16: "MIP6_HOME_PREFIX",                  // RFC 5026
	17: "INTERNAL_IP6_LINK",                 // RFC 5739
	18: "INTERNAL_IP6_PREFIX",               // RFC 5739
	19: "HOME_AGENT_ADDRESS",                // 3GPP TS 24.302
	20: "P_CSCF_IP4_ADDRESS",                // RFC 7651
	21: "P_CSCF_IP6_ADDRESS",                // RFC 7651
	22: "FTT_KAT",                           // 3GPP TS 24.302
	23: "EXTERNAL_SOURCE_IP4_NAT_INFO",      // 3GPP TS 29.139
	24: "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK", // 3GPP TS 24.302
	25: "INTERNAL_DNS_DOMAIN",               // RFC 8598
	26: "INTERNAL_DNSSEC_TA",                // RFC 8598
	27: "ENCDNS_IP4",                        // RFC 9464
	28: "ENCDNS_IP6",                        // RFC 9464
	29: "ENCDNS_DIGEST_INFO",                // RFC 9464
}

func cfgAttrName(t uint16) string { return cfgAttrNames[t] }

// IKEv1 mode-config attributes (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2),
// XAUTH attributes (draft-ietf-ipsec-isakmp-xauth-06 §4.2) and the Cisco
// Unity attributes every Unity client/concentrator uses.
var modeCfgAttrNames = map[uint16]string{
	1:  "INTERNAL_IP4_ADDRESS",
	2:  "INTERNAL_IP4_NETMASK",
	3:  "INTERNAL_IP4_DNS",
	4:  "INTERNAL_IP4_NBNS",
	5:  "INTERNAL_ADDRESS_EXPIRY",
	6:  "INTERNAL_IP4_DHCP",
	7:  "APPLICATION_VERSION",
	8:  "INTERNAL_IP6_ADDRESS",
	9:  "INTERNAL_IP6_NETMASK",
	10: "INTERNAL_IP6_DNS",
	11: "INTERNAL_IP6_NBNS",
	12: "INTERNAL_IP6_DHCP",
	13: "INTERNAL_IP4_SUBNET",
	14: "SUPPORTED_ATTRIBUTES",
	15: "INTERNAL_IP6_SUBNET",

	16520: "XAUTH-TYPE",
	16521: "XAUTH-USER-NAME",
	16522: "XAUTH-USER-PASSWORD",
	16523: "XAUTH-PASSCODE",
	16524: "XAUTH-MESSAGE",
	16525: "XAUTH-CHALLENGE",
	16526: "XAUTH-DOMAIN",
	16527: "XAUTH-STATUS",
	16528: "XAUTH-NEXT-PIN",
	16529: "XAUTH-ANSWER",

	28672: "UNITY_BANNER",
	28673: "UNITY_SAVE_PASSWD",
	28674: "UNITY_DEF_DOMAIN",
	28675: "UNITY_SPLIT_DOMAIN",
	28676: "UNITY_SPLIT_INCLUDE",
	28677: "UNITY_NATT_PORT",
	28678: "UNITY_SPLIT_EXCLUDE",
	28679: "UNITY_PFS",
	28680: "UNITY_FW_TYPE",
	28681: "UNITY_BACKUP_SERVERS",
	28682: "UNITY_DDNS_HOSTNAME",
}

func modeCfgAttrName(t uint16) string { return modeCfgAttrNames[t] }

// ---------------------------------------------------------------------------
// Notify message types

// IKEv1: RFC 2408 §3.14.1 (errors 1-30, status 16384), RFC 2407 §4.6.3
// (24576-24578), RFC 3706 (36136-36137), plus vendor codes in the
// private-use ranges.
var ikev1NotifyNames = map[uint16]string{
	1:  "INVALID-PAYLOAD-TYPE",
	2:  "DOI-NOT-SUPPORTED",
	3:  "SITUATION-NOT-SUPPORTED",
	4:  "INVALID-COOKIE",
	5:  "INVALID-MAJOR-VERSION",
	6:  "INVALID-MINOR-VERSION",
	7:  "INVALID-EXCHANGE-TYPE",
	8:  "INVALID-FLAGS",
	9:  "INVALID-MESSAGE-ID",
	10: "INVALID-PROTOCOL-ID",
	11: "INVALID-SPI",
	12: "INVALID-TRANSFORM-ID",
	13: "ATTRIBUTES-NOT-SUPPORTED",
	14: "NO-PROPOSAL-CHOSEN",
	15: "BAD-PROPOSAL-SYNTAX",
	16: "PAYLOAD-MALFORMED",
	17: "INVALID-KEY-INFORMATION",
	18: "INVALID-ID-INFORMATION",
	19: "INVALID-CERT-ENCODING",
	20: "INVALID-CERTIFICATE",
	21: "CERT-TYPE-UNSUPPORTED",
	22: "INVALID-CERT-AUTHORITY",
	23: "INVALID-HASH-INFORMATION",
	24: "AUTHENTICATION-FAILED",
	25: "INVALID-SIGNATURE",
	26: "ADDRESS-NOTIFICATION",
	27: "NOTIFY-SA-LIFETIME",
	28: "CERTIFICATE-UNAVAILABLE",
	29: "UNSUPPORTED-EXCHANGE-TYPE",
	30: "UNEQUAL-PAYLOAD-LENGTHS",

	12345: "MS-STATUS", // Microsoft private status code (0x3039), [MS-IKEE]

	16384: "CONNECTED",
	24576: "RESPONDER-LIFETIME",
	24577: "REPLAY-STATUS",
	24578: "INITIAL-CONTACT",

	// Cisco private codes (as handled by libreswan and Wireshark).
	30000: "CISCO-HELLO",
	30001: "CISCO-WWTEBR",
	30002: "CISCO-SHUT-UP",
	32768: "CISCO-IOS-KEEP-ALIVE-REQ",
	32769: "CISCO-IOS-KEEP-ALIVE-ACK",

	36136: "R-U-THERE",     // RFC 3706
	36137: "R-U-THERE-ACK", // RFC 3706

	40001: "NETSCREEN-NHTB-INFORM", // Juniper/NetScreen (libreswan)

	// Microsoft private codes, [MS-IKEE] §2.2.6 (0x9C43-0x9C45).
	40003: "MS-NOTIFY-STATUS",
	40004: "MS-NOTIFY-DOS-COOKIE",
	40005: "MS-EXCHANGE-INFO",

	// Cisco Unity.
	40501: "UNITY-LOAD-BALANCE",
	40502: "UNITY-UNKNOWN",
	40503: "UNITY-GROUP-HASH",
}

// IKEv2: RFC 7296 §3.10.1 and IANA "IKEv2 Notify Message Types - Error
// Types" / "- Status Types".
var ikev2NotifyNames = map[uint16]string{
	1:  "UNSUPPORTED_CRITICAL_PAYLOAD",
	4:  "INVALID_IKE_SPI",
	5:  "INVALID_MAJOR_VERSION",
	7:  "INVALID_SYNTAX",
	9:  "INVALID_MESSAGE_ID",
	11: "INVALID_SPI",
	14: "NO_PROPOSAL_CHOSEN",
	17: "INVALID_KE_PAYLOAD",
	24: "AUTHENTICATION_FAILED",
	34: "SINGLE_PAIR_REQUIRED",
	35: "NO_ADDITIONAL_SAS",
	36: "INTERNAL_ADDRESS_FAILURE",
	37: "FAILED_CP_REQUIRED",
	38: "TS_UNACCEPTABLE",
	39: "INVALID_SELECTORS",
	40: "UNACCEPTABLE_ADDRESSES",  // RFC 4555
	41: "UNEXPECTED_NAT_DETECTED", // RFC 4555
	42: "USE_ASSIGNED_HoA",        // RFC 5026
	43: "TEMPORARY_FAILURE",       // RFC 7296
	44: "CHILD_SA_NOT_FOUND",      // RFC 7296
	45: "INVALID_GROUP_ID",        // RFC 9838
	46: "AUTHORIZATION_FAILED",    // RFC 9838
	47: "STATE_NOT_FOUND",         // RFC 9370
	48: "TS_MAX_QUEUE",            // RFC 9611
	49: "REGISTRATION_FAILED",     // RFC 9838

	12345: "MS-STATUS", // Microsoft private error (0x3039), [MS-IKEE] §2.2.7

	16384: "INITIAL_CONTACT",
	16385: "SET_WINDOW_SIZE",
	16386: "ADDITIONAL_TS_POSSIBLE",
	16387: "IPCOMP_SUPPORTED",
	16388: "NAT_DETECTION_SOURCE_IP",
	16389: "NAT_DETECTION_DESTINATION_IP",
	16390: "COOKIE",
	16391: "USE_TRANSPORT_MODE",
	16392: "HTTP_CERT_LOOKUP_SUPPORTED",
	16393: "REKEY_SA",
	16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
	16395: "NON_FIRST_FRAGMENTS_ALSO",
	16396: "MOBIKE_SUPPORTED",                    // RFC 4555
	16397: "ADDITIONAL_IP4_ADDRESS",              // RFC 4555
	16398: "ADDITIONAL_IP6_ADDRESS",              // RFC 4555
	16399: "NO_ADDITIONAL_ADDRESSES",             // RFC 4555
	16400: "UPDATE_SA_ADDRESSES",                 // RFC 4555
	16401: "COOKIE2",                             // RFC 4555
	16402: "NO_NATS_ALLOWED",                     // RFC 4555
	16403: "AUTH_LIFETIME",                       // RFC 4478
	16404: "MULTIPLE_AUTH_SUPPORTED",             // RFC 4739
	16405: "ANOTHER_AUTH_FOLLOWS",                // RFC 4739
	16406: "REDIRECT_SUPPORTED",                  // RFC 5685
	16407: "REDIRECT",                            // RFC 5685
	16408: "REDIRECTED_FROM",                     // RFC 5685
	16409: "TICKET_LT_OPAQUE",                    // RFC 5723
	16410: "TICKET_REQUEST",                      // RFC 5723
	16411: "TICKET_ACK",                          // RFC 5723
	16412: "TICKET_NACK",                         // RFC 5723
	16413: "TICKET_OPAQUE",                       // RFC 5723
	16414: "LINK_ID",                             // RFC 5739
	16415: "USE_WESP_MODE",                       // RFC 5840
	16416: "ROHC_SUPPORTED",                      // RFC 5857
	16417: "EAP_ONLY_AUTHENTICATION",             // RFC 5998
	16418: "CHILDLESS_IKEV2_SUPPORTED",           // RFC 6023
	16419: "QUICK_CRASH_DETECTION",               // RFC 6290
	16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",     // RFC 6311
	16421: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED", // RFC 6311
	16422: "IKEV2_MESSAGE_ID_SYNC",               // RFC 6311
	16423: "IPSEC_REPLAY_COUNTER_SYNC",           // RFC 6311
	16424: "SECURE_PASSWORD_METHODS",             // RFC 6467
	16425: "PSK_PERSIST",                         // RFC 6631
	16426: "PSK_CONFIRM",                         // RFC 6631
	16427: "ERX_SUPPORTED",                       // RFC 6867
	16428: "IFOM_CAPABILITY",                     // 3GPP TS 24.303
	16429: "GROUP_SENDER",                        // RFC 9838 (was SENDER_REQUEST_ID)
	16430: "IKEV2_FRAGMENTATION_SUPPORTED",       // RFC 7383
	16431: "SIGNATURE_HASH_ALGORITHMS",           // RFC 7427
	16432: "CLONE_IKE_SA_SUPPORTED",              // RFC 7791
	16433: "CLONE_IKE_SA",                        // RFC 7791
	16434: "PUZZLE",                              // RFC 8019
	16435: "USE_PPK",                             // RFC 8784
	16436: "PPK_IDENTITY",                        // RFC 8784
	16437: "NO_PPK_AUTH",                         // RFC 8784
	16438: "INTERMEDIATE_EXCHANGE_SUPPORTED",     // RFC 9242
	16439: "IP4_ALLOWED",                         // RFC 8983
	16440: "IP6_ALLOWED",                         // RFC 8983
	16441: "ADDITIONAL_KEY_EXCHANGE",             // RFC 9370
	16442: "USE_AGGFRAG",                         // RFC 9347
	16443: "SUPPORTED_AUTH_METHODS",              // RFC 9593
	16444: "SA_RESOURCE_INFO",                    // RFC 9611
	16445: "USE_PPK_INT",                         // RFC 9867
	16446: "PPK_IDENTITY_KEY",                    // RFC 9867
	16447: "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH",
}

// notifyName names a notify message type, in the spelling of the version's
// RFC: hyphens for IKEv1 (NO-PROPOSAL-CHOSEN), underscores for IKEv2
// (NO_PROPOSAL_CHOSEN).
func notifyName(major uint8, t uint16) string {
	switch major {
	case 1:
		return ikev1NotifyNames[t]
	case 2:
		return ikev2NotifyNames[t]
	}
	return ""
}

// notifyIsError reports whether t is in the error range: below 16384 for
// IKEv2 (RFC 7296 §3.10.1), below 8192 for IKEv1 (RFC 2408 §3.14.1).
func notifyIsError(major uint8, t uint16) bool {
	if major == 2 {
		return t < 16384
	}
	return t < 8192
}

// ---------------------------------------------------------------------------
// IKEv1 transform IDs (RFC 2407 §4.4; IANA "IPSEC AH/ESP/IPCOMP Transform
// Identifiers").

var v1TransformIDNames = map[uint8]map[uint8]string{
	1: { // PROTO_ISAKMP
		1: "KEY_IKE",
	},
	2: { // PROTO_IPSEC_AH
		2:  "AH_MD5",
		3:  "AH_SHA",
		4:  "AH_DES",
		5:  "AH_SHA2-256",
		6:  "AH_SHA2-384",
		7:  "AH_SHA2-512",
		8:  "AH_RIPEMD",       // RFC 2857
		9:  "AH_AES-XCBC-MAC", // RFC 3566
		10: "AH_RSA",          // RFC 4359
		11: "AH_AES-128-GMAC", // RFC 4543
		12: "AH_AES-192-GMAC", // RFC 4543
		13: "AH_AES-256-GMAC", // RFC 4543
	},
	3: { // PROTO_IPSEC_ESP
		1:  "ESP_DES_IV64",
		2:  "ESP_DES",
		3:  "ESP_3DES",
		4:  "ESP_RC5",
		5:  "ESP_IDEA",
		6:  "ESP_CAST",
		7:  "ESP_BLOWFISH",
		8:  "ESP_3IDEA",
		9:  "ESP_DES_IV32",
		10: "ESP_RC4",
		11: "ESP_NULL",
		12: "ESP_AES",
		13: "ESP_AES-CTR",            // RFC 3686
		14: "ESP_AES-CCM_8",          // RFC 4309
		15: "ESP_AES-CCM_12",         // RFC 4309
		16: "ESP_AES-CCM_16",         // RFC 4309
		18: "ESP_AES-GCM_8",          // RFC 4106
		19: "ESP_AES-GCM_12",         // RFC 4106
		20: "ESP_AES-GCM_16",         // RFC 4106
		21: "ESP_SEED_CBC",           // RFC 4196
		22: "ESP_CAMELLIA",           // RFC 4312
		23: "ESP_NULL_AUTH_AES-GMAC", // RFC 4543
	},
	4: { // PROTO_IPCOMP
		1: "IPCOMP_OUI",
		2: "IPCOMP_DEFLATE",
		3: "IPCOMP_LZS",  // RFC 2395
		4: "IPCOMP_LZJH", // RFC 3051
	},
}

// v1TransformIDName names the transform ID of an IKEv1 transform payload
// for the protocol of the enclosing proposal.
func v1TransformIDName(proto uint8, id uint8) string {
	return v1TransformIDNames[proto][id]
}

// ---------------------------------------------------------------------------
// IKEv1 SA attributes

// Phase 1 (Oakley) attribute classes: RFC 2409 Appendix A.
var v1Phase1AttrNames = map[uint16]string{
	1:  "Encryption Algorithm",
	2:  "Hash Algorithm",
	3:  "Authentication Method",
	4:  "Group Description",
	5:  "Group Type",
	6:  "Group Prime/Irreducible Polynomial",
	7:  "Group Generator One",
	8:  "Group Generator Two",
	9:  "Group Curve A",
	10: "Group Curve B",
	11: "Life Type",
	12: "Life Duration",
	13: "PRF",
	14: "Key Length",
	15: "Field Size",
	16: "Group Order",
}

// Phase 2 (IPsec DOI) attribute classes: RFC 2407 §4.5, RFC 3168 (10),
// RFC 4304 (11), RFC 4359 (12, 13), RFC 6407 (14, 15).
var v1Phase2AttrNames = map[uint16]string{
	1:  "SA Life Type",
	2:  "SA Life Duration",
	3:  "Group Description",
	4:  "Encapsulation Mode",
	5:  "Authentication Algorithm",
	6:  "Key Length",
	7:  "Key Rounds",
	8:  "Compress Dictionary Size",
	9:  "Compress Private Algorithm",
	10: "ECN Tunnel",
	11: "Extended (64-bit) Sequence Number",
	12: "Authentication Key Length",
	13: "Signature Encoding Algorithm",
	14: "Address Preservation",
	15: "SA Direction",
}

// v1AttrName names an IKEv1 SA attribute class; phase1 selects the Oakley
// (ISAKMP SA) table, otherwise the IPsec DOI table. t is the class without
// the AF bit.
func v1AttrName(phase1 bool, t uint16) string {
	if phase1 {
		return v1Phase1AttrNames[t]
	}
	return v1Phase2AttrNames[t]
}

// Phase 1 attribute values (RFC 2409 Appendix A, IANA "IKE Attributes").
var (
	v1EncrAlgNames = map[uint64]string{
		1: "DES-CBC",
		2: "IDEA-CBC",
		3: "Blowfish-CBC",
		4: "RC5-R16-B64-CBC",
		5: "3DES-CBC",
		6: "CAST-CBC",
		7: "AES-CBC",      // RFC 3602
		8: "CAMELLIA-CBC", // RFC 4312
	}
	v1HashAlgNames = map[uint64]string{
		1: "MD5",
		2: "SHA",
		3: "Tiger",
		4: "SHA2-256",
		5: "SHA2-384",
		6: "SHA2-512",
	}
	v1AuthMethodNames = map[uint64]string{
		1:  "Pre-shared key",
		2:  "DSS signatures",
		3:  "RSA signatures",
		4:  "Encryption with RSA",
		5:  "Revised encryption with RSA",
		9:  "ECDSA with SHA-256 on the P-256 curve", // RFC 4754
		10: "ECDSA with SHA-384 on the P-384 curve", // RFC 4754
		11: "ECDSA with SHA-512 on the P-521 curve", // RFC 4754
		// draft-ietf-ipsec-isakmp-hybrid-auth-05
		64221: "HybridInitRSA",
		64222: "HybridRespRSA",
		64223: "HybridInitDSS",
		64224: "HybridRespDSS",
		// draft-beaulieu-ike-xauth-02. Windows 2000 used 65001 for its
		// GSS-API/Kerberos method (draft-ietf-ipsec-isakmp-gss-auth).
		65001: "XAUTHInitPreShared",
		65002: "XAUTHRespPreShared",
		65003: "XAUTHInitDSS",
		65004: "XAUTHRespDSS",
		65005: "XAUTHInitRSA",
		65006: "XAUTHRespRSA",
		65007: "XAUTHInitRSAEncryption",
		65008: "XAUTHRespRSAEncryption",
		65009: "XAUTHInitRSARevisedEncryption",
		65010: "XAUTHRespRSARevisedEncryption",
	}
	v1GroupTypeNames = map[uint64]string{
		1: "MODP",
		2: "ECP",
		3: "EC2N",
	}
	v1LifeTypeNames = map[uint64]string{
		1: "seconds",
		2: "kilobytes",
	}
)

// Phase 2 attribute values (RFC 2407 §4.5 and the RFCs named).
var (
	v1EncapModeNames = map[uint64]string{
		1:     "Tunnel",
		2:     "Transport",
		3:     "UDP-Encapsulated-Tunnel",    // RFC 3947
		4:     "UDP-Encapsulated-Transport", // RFC 3947
		61443: "UDP-Encapsulated-Tunnel (draft)",
		61444: "UDP-Encapsulated-Transport (draft)",
	}
	v1AuthAlgNames = map[uint64]string{
		1:  "HMAC-MD5",
		2:  "HMAC-SHA",
		3:  "DES-MAC",
		4:  "KPDK",
		5:  "HMAC-SHA2-256",
		6:  "HMAC-SHA2-384",
		7:  "HMAC-SHA2-512",
		8:  "HMAC-RIPEMD",  // RFC 2857
		9:  "AES-XCBC-MAC", // RFC 3566
		10: "SIG-RSA",      // RFC 4359
		11: "AES-128-GMAC", // RFC 4543
		12: "AES-192-GMAC", // RFC 4543
		13: "AES-256-GMAC", // RFC 4543
	}
	v1ECNTunnelNames = map[uint64]string{
		1: "Allowed",
		2: "Forbidden",
	}
	v1ESNNames = map[uint64]string{
		1: "64-bit Sequence Number",
	}
	v1SigEncodingNames = map[uint64]string{
		1: "RSASSA-PKCS1-v1_5",
		2: "RSASSA-PSS",
	}
	v1AddrPreservationNames = map[uint64]string{
		1: "None",
		2: "Source-Only",
		3: "Destination-Only",
		4: "Source-and-Destination",
	}
	v1SADirectionNames = map[uint64]string{
		1: "Sender-Only",
		2: "Receiver-Only",
		3: "Symmetric",
	}
)

// v1AttrValueName names the value v of IKEv1 attribute class t. Attributes
// whose value is a number (durations, key lengths, ...) have no names.
func v1AttrValueName(phase1 bool, t uint16, v uint64) string {
	if phase1 {
		switch t {
		case 1:
			return v1EncrAlgNames[v]
		case 2:
			return v1HashAlgNames[v]
		case 3:
			return v1AuthMethodNames[v]
		case 4:
			return v1GroupName(v)
		case 5:
			return v1GroupTypeNames[v]
		case 11:
			return v1LifeTypeNames[v]
		}
		return ""
	}
	switch t {
	case 1:
		return v1LifeTypeNames[v]
	case 3:
		return v1GroupName(v)
	case 4:
		return v1EncapModeNames[v]
	case 5:
		return v1AuthAlgNames[v]
	case 10:
		return v1ECNTunnelNames[v]
	case 11:
		return v1ESNNames[v]
	case 13:
		return v1SigEncodingNames[v]
	case 14:
		return v1AddrPreservationNames[v]
	case 15:
		return v1SADirectionNames[v]
	}
	return ""
}

func v1GroupName(v uint64) string {
	if v > 0xffff {
		return ""
	}
	return dhGroupName(uint16(v))
}

// ---------------------------------------------------------------------------
// Diffie-Hellman groups / key exchange methods

// Shared by IKEv1 ("Group Description", IANA ipsec-registry) and IKEv2
// (IANA "Transform Type 4 - Key Exchange Method Transform IDs"). 3, 4 and
// 6-13 are the IKEv1-only EC2N groups (RFC 2409, draft-ietf-ipsec-ike-ecc-
// groups); IKEv2 reserves those numbers.
var dhGroupNames = map[uint16]string{
	0:  "NONE",
	1:  "768-bit MODP Group",  // RFC 2409
	2:  "1024-bit MODP Group", // RFC 2409
	3:  "EC2N group on GP[2^155]",
	4:  "EC2N group on GP[2^185]",
	5:  "1536-bit MODP Group", // RFC 3526
	6:  "EC2N group over GF[2^163]",
	7:  "EC2N group over GF[2^163]",
	8:  "EC2N group over GF[2^283]",
	9:  "EC2N group over GF[2^283]",
	10: "EC2N group over GF[2^409]",
	11: "EC2N group over GF[2^409]",
	12: "EC2N group over GF[2^571]",
	13: "EC2N group over GF[2^571]",
	14: "2048-bit MODP Group",                                   // RFC 3526
	15: "3072-bit MODP Group",                                   // RFC 3526
	16: "4096-bit MODP Group",                                   // RFC 3526
	17: "6144-bit MODP Group",                                   // RFC 3526
	18: "8192-bit MODP Group",                                   // RFC 3526
	19: "256-bit random ECP group",                              // RFC 5903
	20: "384-bit random ECP group",                              // RFC 5903
	21: "521-bit random ECP group",                              // RFC 5903
	22: "1024-bit MODP Group with 160-bit Prime Order Subgroup", // RFC 5114
	23: "2048-bit MODP Group with 224-bit Prime Order Subgroup", // RFC 5114
	24: "2048-bit MODP Group with 256-bit Prime Order Subgroup", // RFC 5114
	25: "192-bit Random ECP Group",                              // RFC 5114
	26: "224-bit Random ECP Group",                              // RFC 5114
	27: "brainpoolP224r1",                                       // RFC 6954
	28: "brainpoolP256r1",                                       // RFC 6954
	29: "brainpoolP384r1",                                       // RFC 6954
	30: "brainpoolP512r1",                                       // RFC 6954
	31: "Curve25519",                                            // RFC 8031
	32: "Curve448",                                              // RFC 8031
	33: "GOST3410_2012_256",                                     // RFC 9385
	34: "GOST3410_2012_512",                                     // RFC 9385
	35: "ML-KEM-512",                                            // draft-ietf-ipsecme-ikev2-mlkem
	36: "ML-KEM-768",
	37: "ML-KEM-1024",
}

func dhGroupName(g uint16) string { return dhGroupNames[g] }

// dhGroupWeak reports groups too small for current use: the 768/1024/1536-bit
// MODP groups (1, 2, 5; RFC 8247 §2.4), the RFC 5114 groups with small or
// suspect subgroups (22, 23, 24; RFC 8247), and the 155/185-bit EC2N groups
// of RFC 2409 (3, 4). 0 (NONE) is not a group and is not reported here.
func dhGroupWeak(g uint16) bool {
	switch g {
	case 1, 2, 3, 4, 5, 22, 23, 24:
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// IKEv2 transforms (RFC 7296 §3.3.2, IANA)

// v2TransformTypeName names an IKEv2 transform type. Type 4 is "Key
// Exchange Method" in the current registry (RFC 9370); it is called DH
// here as in RFC 7296.
func v2TransformTypeName(t uint8) string {
	switch t {
	case 1:
		return "ENCR"
	case 2:
		return "PRF"
	case 3:
		return "INTEG"
	case 4:
		return "DH"
	case 5:
		return "ESN"
	case 6, 7, 8, 9, 10, 11, 12: // RFC 9370
		return "ADDKE" + string(rune('1'+t-6))
	case 13:
		return "KWA" // RFC 9838
	case 14:
		return "GCAUTH" // RFC 9838
	}
	return ""
}

var v2EncrNames = map[uint16]string{
	1:  "ENCR_DES_IV64",
	2:  "ENCR_DES",
	3:  "ENCR_3DES",
	4:  "ENCR_RC5",
	5:  "ENCR_IDEA",
	6:  "ENCR_CAST",
	7:  "ENCR_BLOWFISH",
	8:  "ENCR_3IDEA",
	9:  "ENCR_DES_IV32",
	11: "ENCR_NULL",
	12: "ENCR_AES_CBC",
	13: "ENCR_AES_CTR",                  // RFC 5930
	14: "ENCR_AES_CCM_8",                // RFC 5282
	15: "ENCR_AES_CCM_12",               // RFC 5282
	16: "ENCR_AES_CCM_16",               // RFC 5282
	18: "ENCR_AES_GCM_8",                // RFC 5282
	19: "ENCR_AES_GCM_12",               // RFC 5282
	20: "ENCR_AES_GCM_16",               // RFC 5282
	21: "ENCR_NULL_AUTH_AES_GMAC",       // RFC 4543
	23: "ENCR_CAMELLIA_CBC",             // RFC 5529
	24: "ENCR_CAMELLIA_CTR",             // RFC 5529
	25: "ENCR_CAMELLIA_CCM_8",           // RFC 5529
	26: "ENCR_CAMELLIA_CCM_12",          // RFC 5529
	27: "ENCR_CAMELLIA_CCM_16",          // RFC 5529
	28: "ENCR_CHACHA20_POLY1305",        // RFC 7634
	29: "ENCR_AES_CCM_8_IIV",            // RFC 8750
	30: "ENCR_AES_GCM_16_IIV",           // RFC 8750
	31: "ENCR_CHACHA20_POLY1305_IIV",    // RFC 8750
	32: "ENCR_KUZNYECHIK_MGM_KTREE",     // RFC 9227
	33: "ENCR_MAGMA_MGM_KTREE",          // RFC 9227
	34: "ENCR_KUZNYECHIK_MGM_MAC_KTREE", // RFC 9227
	35: "ENCR_MAGMA_MGM_MAC_KTREE",      // RFC 9227
}

var v2PRFNames = map[uint16]string{
	1: "PRF_HMAC_MD5",
	2: "PRF_HMAC_SHA1",
	3: "PRF_HMAC_TIGER",
	4: "PRF_AES128_XCBC",       // RFC 4434
	5: "PRF_HMAC_SHA2_256",     // RFC 4868
	6: "PRF_HMAC_SHA2_384",     // RFC 4868
	7: "PRF_HMAC_SHA2_512",     // RFC 4868
	8: "PRF_AES128_CMAC",       // RFC 4615
	9: "PRF_HMAC_STREEBOG_512", // RFC 9385
}

var v2IntegNames = map[uint16]string{
	0:  "NONE",
	1:  "AUTH_HMAC_MD5_96",
	2:  "AUTH_HMAC_SHA1_96",
	3:  "AUTH_DES_MAC",
	4:  "AUTH_KPDK_MD5",
	5:  "AUTH_AES_XCBC_96",
	6:  "AUTH_HMAC_MD5_128",      // RFC 4595
	7:  "AUTH_HMAC_SHA1_160",     // RFC 4595
	8:  "AUTH_AES_CMAC_96",       // RFC 4494
	9:  "AUTH_AES_128_GMAC",      // RFC 4543
	10: "AUTH_AES_192_GMAC",      // RFC 4543
	11: "AUTH_AES_256_GMAC",      // RFC 4543
	12: "AUTH_HMAC_SHA2_256_128", // RFC 4868
	13: "AUTH_HMAC_SHA2_384_192", // RFC 4868
	14: "AUTH_HMAC_SHA2_512_256", // RFC 4868
}

// v2TransformIDName names transform id of IKEv2 transform type t. DH and
// ADDKE types use dhGroupName.
func v2TransformIDName(t uint8, id uint16) string {
	switch t {
	case 1:
		return v2EncrNames[id]
	case 2:
		return v2PRFNames[id]
	case 3:
		return v2IntegNames[id]
	case 4, 6, 7, 8, 9, 10, 11, 12:
		return dhGroupName(id)
	case 5:
		switch id {
		case 0:
			return "No ESN"
		case 1:
			return "ESN"
		}
	}
	return ""
}

// v2AttrName names an IKEv2 transform attribute type (RFC 7296 §3.3.5);
// Key Length is the only one defined.
func v2AttrName(t uint16) string {
	if t == 14 {
		return "Key Length"
	}
	return ""
}

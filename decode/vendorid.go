package decode

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
)

// Vendor ID recognition.
//
// A Vendor ID payload carries opaque bytes; most implementations send the
// MD5 hash of a fixed string, sometimes truncated or followed by version
// bytes, a few send plain ASCII. The table below lists the ones whose value
// could be checked against at least one public source: the hash was
// recomputed from the documented string where there is one (entries with
// md5 set; the tests recompute every one), otherwise the value appears in
// Wireshark's ISAKMP dissector, ike-scan's ike-vendor-ids, Nmap's
// ike-fingerprints, or the strongSwan/libreswan sources, as noted per group.

// vendorEntry is one known Vendor ID. Exactly one of hexID, md5Of and ascii
// gives the bytes.
type vendorEntry struct {
	hexID  string // the bytes, in hex
	md5Of  string // the bytes are MD5(md5Of)
	ascii  string // the bytes are this text
	name   string
	prefix bool // match any VID that starts with these bytes
}

func (e vendorEntry) bytes() []byte {
	switch {
	case e.md5Of != "":
		sum := md5.Sum([]byte(e.md5Of))
		return sum[:]
	case e.ascii != "":
		return []byte(e.ascii)
	}
	b, err := hex.DecodeString(e.hexID)
	if err != nil {
		panic("decode: bad vendor ID hex " + strconv.Quote(e.hexID))
	}
	return b
}

var vendorEntries = []vendorEntry{
	// --- Microsoft ---
	// MD5 strings documented by Microsoft ([MS-IKEE], [MS-AIPS]) and listed
	// by libreswan and strongSwan. The versioned "MS NT5 ISAKMPOAKLEY" VID
	// is handled by VendorWindowsVersion.
	{md5Of: "Vid-Initial-Contact", name: "Microsoft Vid-Initial-Contact"},
	{md5Of: "MS-Negotiation Discovery Capable", name: "MS-Negotiation Discovery Capable"},
	{md5Of: "IKE CGA version 1", name: "IKE CGA version 1"},
	{md5Of: "MS-MamieExists", name: "MS-MamieExists"},
	// draft-ietf-ipsec-isakmp-gss-auth (Windows 2000 Kerberos); the -07 text
	// gives the hash with a trailing newline, both forms are seen.
	{md5Of: "A GSS-API Authentication Method for IKE", name: "A GSS-API Authentication Method for IKE"},
	{md5Of: "A GSS-API Authentication Method for IKE\n", name: "A GSS-API Authentication Method for IKE\n"},
	{md5Of: "GSSAPI", name: "GSSAPI"},

	// --- NAT traversal ---
	// RFC 3947 §3.1 and the drafts before it; hash strings per the drafts
	// (-02 was published with a trailing newline in the hashed text).
	{md5Of: "RFC 3947", name: "RFC 3947 NAT-T"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-00", name: "draft-ietf-ipsec-nat-t-ike-00"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-01", name: "draft-ietf-ipsec-nat-t-ike-01"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-02", name: "draft-ietf-ipsec-nat-t-ike-02"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-02\n", name: "draft-ietf-ipsec-nat-t-ike-02\n"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-03", name: "draft-ietf-ipsec-nat-t-ike-03"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-04", name: "draft-ietf-ipsec-nat-t-ike-04"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-05", name: "draft-ietf-ipsec-nat-t-ike-05"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-06", name: "draft-ietf-ipsec-nat-t-ike-06"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-07", name: "draft-ietf-ipsec-nat-t-ike-07"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-08", name: "draft-ietf-ipsec-nat-t-ike-08"},
	{md5Of: "draft-ietf-ipsec-nat-t-ike-09", name: "draft-ietf-ipsec-nat-t-ike-09"},
	// Sent by Apple's racoon (libreswan, Nmap); not from any published draft.
	{md5Of: "draft-ietf-ipsec-nat-t-ike", name: "draft-ietf-ipsec-nat-t-ike (Apple racoon)"},
	{md5Of: "draft-stenberg-ipsec-nat-traversal-01", name: "draft-stenberg-ipsec-nat-traversal-01"},
	{md5Of: "draft-stenberg-ipsec-nat-traversal-02", name: "draft-stenberg-ipsec-nat-traversal-02"},
	{md5Of: "draft-huttunen-ipsec-esp-in-udp-00.txt", name: "draft-huttunen-ipsec-esp-in-udp-00"},
	{md5Of: "ESPThruNAT", name: "ESPThruNAT (draft-huttunen-ipsec-esp-in-udp-01)"},
	{md5Of: "Testing NAT-T RFC", name: "Testing NAT-T RFC"},
	// Solaris 10 (libreswan): the literal text "RFC XXXX".
	{md5Of: "RFC XXXX", name: "RFC XXXX (Solaris NAT-T)"},

	// --- Protocol extensions ---
	// XAUTH: first 8 bytes of MD5("draft-ietf-ipsra-isakmp-xauth-06.txt");
	// some peers send all 16 (ike-scan, Wireshark, libreswan).
	{hexID: "09002689dfd6b712", name: "XAUTH", prefix: true},
	// draft-krywaniuk-ipsec-antireplay-00 and draft-ietf-ipsec-heartbeats-00
	// (8-byte values given in the drafts; ike-scan, Wireshark).
	{hexID: "325df29a2319f2dd", name: "draft-krywaniuk-ipsec-antireplay-00", prefix: true},
	{hexID: "8db7a41811221660", name: "draft-ietf-ipsec-heartbeats-00", prefix: true},
	// draft-harkins-ike-challenge-response, with and without trailing newline.
	{md5Of: "IKE Challenge/Response for Authenticated Cryptographic Keys", name: "IKE Challenge/Response"},
	{md5Of: "IKE Challenge/Response for Authenticated Cryptographic Keys\n", name: "IKE Challenge/Response\n"},
	{md5Of: "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)", name: "IKE Challenge/Response (Revised)"},
	{md5Of: "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)\n", name: "IKE Challenge/Response (Revised)\n"},
	// ASCII "HeartBeat_Notify", usually followed by version bytes (ike-scan,
	// Wireshark, libreswan; Nmap attributes it to NetScreen/Juniper).
	{ascii: "HeartBeat_Notify", name: "Heartbeat Notify", prefix: true},
	// Delete With Reason (Wireshark).
	{hexID: "2d7922c6b301d9b0e1342739e9cfbbd5", name: "DWR: Delete With Reason"},

	// --- Cisco ---
	// ASCII capability strings (Wireshark; strongSwan lists the delete-reason
	// and copyright strings, libreswan the first two).
	{ascii: "CISCO-DELETE-REASON", name: "Cisco Delete Reason"},
	{ascii: "FLEXVPN-SUPPORTED", name: "Cisco FlexVPN Supported"},
	{ascii: "CISCO-DYNAMIC-ROUTE", name: "Cisco Dynamic Route"},
	{ascii: "CISCOVPN-REV-02", name: "Cisco VPN Revision 2"},
	{ascii: "CISCO-GRE-MODE", name: "Cisco GRE Mode"},
	{ascii: "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.", name: "Cisco Copyright (c) 2009"},
	// Cisco IOS: 4-byte prefix (libreswan, Nmap).
	{hexID: "3e984048", name: "Cisco IOS", prefix: true},
	// Cisco Unity, VPN 3000 and IKE fragmentation are decoded in VendorName.

	// --- Check Point ---
	// Check Point R71 / CryptoPro GOST (Wireshark). The Firewall-1 VID is
	// decoded in VendorName.
	{hexID: "031017e07f7a82e3aa6950c999990100", name: "CryptoPro/GOST 1.0 (Check Point R71)"},
	{hexID: "031017e07f7a82e3aa6950c999990101", name: "CryptoPro/GOST 1.1"},

	// --- strongSwan ---
	// MD5("strongSwan") is sent by strongSwan 4.3 and later when
	// send_vendor_id is set (strongSwan ike_vendor.c); older releases sent
	// MD5("strongSwan x.y.z") (libreswan vendor.c, Nmap).
	{md5Of: "strongSwan", name: "strongSwan", prefix: true},

	// --- FreeS/WAN, Openswan, Libreswan, KAME, ipsec-tools ---
	// FreeS/WAN 2.x / Openswan 2.2-2.3: "OE" + MD5 of the version string with
	// bit 7 cleared and bit 6 set in each of the next 10 bytes (libreswan
	// vendor.c); recomputed values match ike-scan. Libreswan sends ASCII
	// "OE-Libreswan-<version>" and is decoded in VendorName.
	{hexID: "4f45486b7d44784d42676b5d", name: "Linux FreeS/WAN 2.00"},
	{hexID: "4f457c4f547e6e615b426e56", name: "Linux FreeS/WAN 2.01"},
	{hexID: "4f456c6b44696d7f6b4c4e60", name: "Linux FreeS/WAN 2.02"},
	{hexID: "4f45566671474962734e6264", name: "Linux FreeS/WAN 2.03"},
	{hexID: "4f45704f736579505c6e5f6d", name: "Linux FreeS/WAN 2.04"},
	{hexID: "4f457271785f4c7e496f4d54", name: "Linux FreeS/WAN 2.05"},
	{hexID: "4f457e4c466e5d427c5c6b52", name: "Linux FreeS/WAN 2.06"},
	{hexID: "4f4548724b6e5e68557c604f", name: "Openswan 2.2.0"},
	{hexID: "4f4572696f5c77557f746249", name: "Openswan 2.3.0"},
	// libreswan/Openswan: ASCII "IKEv2" announces IKEv2 support in IKEv1;
	// "Opportunistic IPsec" marks opportunistic connections.
	{ascii: "IKEv2", name: "CAN-IKEv2 (Openswan/Libreswan)"},
	{ascii: "Opportunistic IPsec", name: "Opportunistic IPsec (Libreswan)"},
	{md5Of: "KAME/racoon", name: "KAME/racoon"},
	{md5Of: "IPSec-Tools", name: "IPsec-Tools"},

	// --- SSH Communications Security ---
	// MD5 of the product strings (SSH vendors.txt via libreswan; values
	// match ike-scan and Wireshark).
	{md5Of: "Ssh Communications Security IPSEC Express version 1.1.0", name: "SSH IPSEC Express 1.1.0"},
	{md5Of: "Ssh Communications Security IPSEC Express version 1.1.1", name: "SSH IPSEC Express 1.1.1"},
	{md5Of: "Ssh Communications Security IPSEC Express version 1.1.2", name: "SSH IPSEC Express 1.1.2"},
	{md5Of: "Ssh Communications Security IPSEC Express version 1.2.1", name: "SSH IPSEC Express 1.2.1"},
	{md5Of: "Ssh Communications Security IPSEC Express version 1.2.2", name: "SSH IPSEC Express 1.2.2"},
	{md5Of: "SSH Communications Security IPSEC Express version 2.0.0", name: "SSH IPSEC Express 2.0.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 2.1.0", name: "SSH IPSEC Express 2.1.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 2.1.1", name: "SSH IPSEC Express 2.1.1"},
	{md5Of: "SSH Communications Security IPSEC Express version 2.1.2", name: "SSH IPSEC Express 2.1.2"},
	{md5Of: "SSH Communications Security IPSEC Express version 3.0.0", name: "SSH IPSEC Express 3.0.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 3.0.1", name: "SSH IPSEC Express 3.0.1"},
	{md5Of: "SSH Communications Security IPSEC Express version 4.0.0", name: "SSH IPSEC Express 4.0.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 4.0.1", name: "SSH IPSEC Express 4.0.1"},
	{md5Of: "SSH Communications Security IPSEC Express version 4.1.0", name: "SSH IPSEC Express 4.1.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 4.1.1", name: "SSH IPSEC Express 4.1.1"},
	{md5Of: "SSH Communications Security IPSEC Express version 4.2.0", name: "SSH IPSEC Express 4.2.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 5.0", name: "SSH IPSEC Express 5.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 5.0.0", name: "SSH IPSEC Express 5.0.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 5.1.0", name: "SSH IPSEC Express 5.1.0"},
	{md5Of: "SSH Communications Security IPSEC Express version 5.1.1", name: "SSH IPSEC Express 5.1.1"},
	{md5Of: "SSH Communications Security QuickSec 0.9.0", name: "SSH QuickSec 0.9.0"},
	{md5Of: "SSH Communications Security QuickSec 1.1.0", name: "SSH QuickSec 1.1.0"},
	{md5Of: "SSH Communications Security QuickSec 1.1.1", name: "SSH QuickSec 1.1.1"},
	{md5Of: "SSH Communications Security QuickSec 1.1.2", name: "SSH QuickSec 1.1.2"},
	{md5Of: "SSH Communications Security QuickSec 1.1.3", name: "SSH QuickSec 1.1.3"},
	{md5Of: "SSH Communications Security QuickSec 2.1.0", name: "SSH QuickSec 2.1.0"},
	{md5Of: "SSH Sentinel", name: "SSH Sentinel"},
	{md5Of: "SSH Sentinel 1.1", name: "SSH Sentinel 1.1"},
	{md5Of: "SSH Sentinel 1.2", name: "SSH Sentinel 1.2"},
	{md5Of: "SSH Sentinel 1.3", name: "SSH Sentinel 1.3"},
	{md5Of: "SSH Sentinel 1.4", name: "SSH Sentinel 1.4"},
	{md5Of: "SSH Sentinel 1.4.1", name: "SSH Sentinel 1.4.1"},

	// --- Juniper / NetScreen ---
	// 20-byte values, often followed by 8 bytes of version data (Wireshark,
	// libreswan; Nmap for the last two).
	{hexID: "299ee8289f40a8973bc78687e2e7226b532c3b76", name: "Juniper NetScreen", prefix: true},
	{hexID: "3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7", name: "Juniper NetScreen", prefix: true},
	{hexID: "47d2b126bfcd83489760e2cf8c5d4d5a03497c15", name: "Juniper NetScreen", prefix: true},
	{hexID: "4a4340b543e02b84c88a8b96a8af9ebe77d9accc", name: "Juniper NetScreen", prefix: true},
	{hexID: "64405f46f03b7660a23be116a1975058e69e8387", name: "Juniper NetScreen", prefix: true},
	{hexID: "699369228741c6d4ca094c93e242c9de19e7b7c6", name: "Juniper NetScreen", prefix: true},
	{hexID: "8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a", name: "Juniper NetScreen", prefix: true},
	{hexID: "92d27a9ecb31d99246986d3453d0c3d57a222a61", name: "Juniper NetScreen", prefix: true},
	{hexID: "9b096d9ac3275a7d6fe8b91c583111b09efed1a0", name: "Juniper NetScreen", prefix: true},
	{hexID: "bf03746108d746c904f1f3547de24f78479fed12", name: "Juniper NetScreen", prefix: true},
	{hexID: "c2e80500f4cc5fbf5daaeed3bb59abaeee56c652", name: "Juniper NetScreen", prefix: true},
	{hexID: "c8660a62b03b1b6130bf781608d32a6a8d0fb89f", name: "Juniper NetScreen", prefix: true},
	{hexID: "f885da40b1e7a9abd17655ec5bbec0f21f0ed52e", name: "Juniper NetScreen", prefix: true},
	{hexID: "2a2bcac19b8e91b426107807e02e7249569d6fd3", name: "Juniper NetScreen", prefix: true},
	{hexID: "166f932d55eb64d8e4df4fd37e2313f0d0fd8451", name: "Juniper NetScreen", prefix: true},
	{hexID: "a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5", name: "Juniper NetScreen", prefix: true},
	{hexID: "2c9d7e81995b9967d23f571ac641f9348122f1cc", name: "Juniper SSG", prefix: true},
	{hexID: "9436e8d67174ef9aed068d5ad5213f187a3f8ba6", name: "Juniper NetScreen", prefix: true},

	// --- Fortinet ---
	// FortiGate: 12-byte prefix followed by version bytes (Wireshark; seen
	// as "VID FORTIGATE" in FortiOS debug output). The second FortiGate value
	// is from Nmap. The FortiClient ones are from Wireshark.
	{hexID: "8299031757a36082c6a621de", name: "Fortinet FortiGate", prefix: true},
	{hexID: "1d6e178f6c2c0be284985465450fe9d4", name: "Fortinet FortiGate"},
	{hexID: "4c53427b6d465d1b337bb755a37a7fef", name: "Fortinet FortiClient Connect"},
	{hexID: "b4f01ca951e9da8d0bafbbd34ad3044e", name: "Fortinet Endpoint Control"},

	// --- SonicWall, WatchGuard, SafeNet ---
	// 404bf439522ca3f6: ike-scan, Wireshark, libreswan, Nmap. 5b362bc820f6...:
	// Nmap. da8e9378...: ike-scan ("SafeNet or WatchGuard"), libreswan
	// (WatchGuard Firebox / SonicWall), Nmap (SonicWall).
	{hexID: "404bf439522ca3f6", name: "SonicWall", prefix: true},
	{hexID: "5b362bc820f60001", name: "SonicWall", prefix: true},
	{hexID: "5b362bc820f60003", name: "SonicWall", prefix: true},
	{hexID: "5b362bc820f60006", name: "SonicWall", prefix: true},
	{hexID: "5b362bc820f60007", name: "SonicWall", prefix: true},
	{hexID: "da8e9378", name: "SafeNet/WatchGuard/SonicWall", prefix: true},
	{hexID: "47bbe7c993f1fc13b4e6d0db565c68e5", name: "SafeNet SoftRemote", prefix: true},

	// --- Zyxel ---
	// ike-scan, Wireshark, libreswan, Nmap; ZyWALL USG from Nmap.
	{hexID: "625027749d5ab97f5616c1602765cf480a3b7d0b", name: "Zyxel ZyWALL", prefix: true},
	{hexID: "b858d1addd08c1e8adafea150608aa4497aa6cc8", name: "Zyxel ZyWALL", prefix: true},
	{hexID: "f758f22668750f03b08df6ebe1d0", name: "Zyxel ZyWALL USG", prefix: true},

	// --- Aruba (Wireshark) ---
	{hexID: "ca3e2b854ba8030017dc1023a4fde2041f9f7463", name: "Aruba Networks Remote AP"},
	{hexID: "3c8e70bdf9c7d74add53e4100915dc2e4bb51274", name: "Aruba Networks Controller"},
	{hexID: "88f0e3149b3fa48b05aa7f685f0b766be186ccb8", name: "Aruba Networks VIA Client"},
	{ascii: "VIA Auth Profile : ", name: "Aruba Networks VIA Auth Profile", prefix: true},

	// --- Others ---
	// Shrew Soft (Wireshark, libreswan); DPDv1_NG from the Shrew Soft source
	// (libreswan); NCP client (libreswan).
	{hexID: "f14b94b7bff1fef02773b8c49feded26", name: "Shrew Soft"},
	{hexID: "3b9031dce4fcf88b489a923963dd0c49", name: "DPDv1_NG (Shrew Soft)"},
	{hexID: "101fb0b35c5a4f4c08b919f1cb9777b0", name: "NCP client"},
	// Secure Computing Sidewinder (Wireshark, libreswan).
	{hexID: "8404adf9cda05760b2ca292e4bff537b", name: "Sidewinder"},
	// Stonesoft StoneGate (Nmap).
	{hexID: "c573b056d7faca36c2fba28374127cbf", name: "Stonesoft StoneGate"},
	{hexID: "baeb239037e17787d730eed9d95d48aa", name: "Stonesoft StoneGate"},
	// Nortel Contivity: ASCII "BNES" + 4-byte version (ike-scan, Nmap).
	{hexID: "424e4553000000", name: "Nortel Contivity", prefix: true},
	// ASCII prefixes (ike-scan, libreswan, Nmap).
	{ascii: "TIMESTEP", name: "Timestep", prefix: true},
	{ascii: "OpenPGP", name: "OpenPGP", prefix: true},
	{ascii: "Mac OSX 10.x", name: "Mac OS X", prefix: true},
	{ascii: "Raptor PowerVpn Server", name: "Symantec Raptor", prefix: true},
}

// Older strongSwan releases: MD5("strongSwan x.y.z") (libreswan vendor.c,
// Nmap). Added to the table by buildVendorTable.
var strongSwanOldVersions = []string{
	"2.2.0", "2.2.1", "2.2.2", "2.3.0", "2.3.1", "2.3.2",
	"2.4.0", "2.4.1", "2.4.2", "2.4.3", "2.4.4",
	"2.5.0", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "2.5.5", "2.5.6", "2.5.7",
	"2.6.0", "2.6.1", "2.6.2", "2.6.3", "2.6.4",
	"2.7.0", "2.7.1", "2.7.2", "2.7.3",
	"2.8.0", "2.8.1", "2.8.2", "2.8.3", "2.8.4", "2.8.5", "2.8.6", "2.8.7", "2.8.8",
	"4.0.0", "4.0.1", "4.0.2", "4.0.3", "4.0.4", "4.0.5", "4.0.6", "4.0.7",
	"4.1.0", "4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.1.6", "4.1.7",
	"4.1.8", "4.1.9", "4.1.10", "4.1.11",
	"4.2.0", "4.2.1", "4.2.2", "4.2.3",
}

func allVendorEntries() []vendorEntry {
	all := make([]vendorEntry, 0, len(vendorEntries)+len(strongSwanOldVersions))
	all = append(all, vendorEntries...)
	for _, v := range strongSwanOldVersions {
		all = append(all, vendorEntry{md5Of: "strongSwan " + v, name: "strongSwan " + v})
	}
	return all
}

type vendorPrefix struct {
	id   []byte
	name string
}

type vendorTable struct {
	exact    map[string]string
	prefixes []vendorPrefix // longest first
}

var vendorIDs = buildVendorTable()

func buildVendorTable() vendorTable {
	t := vendorTable{exact: make(map[string]string)}
	for _, e := range allVendorEntries() {
		b := e.bytes()
		if e.prefix {
			t.prefixes = append(t.prefixes, vendorPrefix{id: b, name: e.name})
		}
		// A prefix entry also matches exactly; the first entry wins.
		if _, dup := t.exact[string(b)]; !dup {
			t.exact[string(b)] = e.name
		}
	}
	sort.SliceStable(t.prefixes, func(i, j int) bool {
		return len(t.prefixes[i].id) > len(t.prefixes[j].id)
	})
	return t
}

// Structured Vendor IDs, decoded by VendorName.
var (
	// MD5("MS NT5 ISAKMPOAKLEY") followed by a 4-byte version ([MS-IKEE]).
	vidMSNT5 = mustVendorHex("1e2b516905991c7d7c96fcbfb587e461")
	// MD5("CISCO-UNITY") with the last two bytes replaced by major, minor.
	vidCiscoUnity = mustVendorHex("12f5f28c457168a9702d9fe274cc")
	// RFC 3706 §6: 14 fixed bytes, then major and minor (1.0).
	vidDPD = mustVendorHex("afcad71368a1f1c96b8696fc7757")
	// Cisco VPN 3000: truncated MD5("ALTIGA GATEWAY"), then 0x50 and the
	// version bytes (ike-scan, libreswan, Nmap).
	vidCiscoVPN3000 = mustVendorHex("1f07f70eaa6514d3b0fa96542a")
	// MD5("FRAGMENTATION"): Cisco/Microsoft IKEv1 fragmentation, optionally
	// followed by 4 bytes of flags (e.g. 0x80000000, 0xc0000000).
	vidFragmentation = mustVendorHex("4048b7d56ebce88525e7de7f00d6c2d3")
	// Check Point: 20 fixed bytes, then product, version, two reserved words
	// and a feature word (ike-scan, Wireshark).
	vidCheckPoint = mustVendorHex("f4ed19e0c114eb516faaac0ee37daf2807b4381f")
	// Libreswan: ASCII "OE-Libreswan-" + version (libreswan version.c).
	vidLibreswan = []byte("OE-Libreswan-")
)

func mustVendorHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("decode: bad vendor ID hex " + strconv.Quote(s))
	}
	return b
}

// Windows release per "MS NT5 ISAKMPOAKLEY" version ([MS-IKEE] product
// behaviour notes for 2-8; 9 is sent by Windows 8 and later).
var msNT5Versions = map[uint32]string{
	2: "Windows 2000",
	3: "Windows XP SP1",
	4: "Windows XP SP2 / Server 2003",
	5: "Windows Vista",
	6: "Windows Server 2008",
	7: "Windows 7",
	8: "Windows Server 2008 R2",
	9: "Windows 8 and later",
}

// VendorWindowsVersion returns the version number carried in a Microsoft
// "MS NT5 ISAKMPOAKLEY" Vendor ID (MD5 of that text followed by a 4-byte
// big-endian version). ok is false for any other VID.
func VendorWindowsVersion(vid []byte) (version uint32, ok bool) {
	if len(vid) < 20 || !bytes.HasPrefix(vid, vidMSNT5) {
		return 0, false
	}
	return binary.BigEndian.Uint32(vid[16:20]), true
}

var checkPointProducts = map[uint32]string{
	1: "Firewall-1",
	2: "SecuRemote/SecureClient",
}

var checkPointVersions = map[uint32]string{
	2:    "4.1",
	3:    "4.1 SP1",
	4002: "4.1 SP2 or later",
	5000: "NG",
	5001: "NG FP1",
	5002: "NG FP2",
	5003: "NG FP3",
	5004: "NG AI R54",
	5005: "NG AI R55",
	5006: "NG AI R56",
}

// VendorName returns a human-readable name for a Vendor ID payload, or ""
// when the VID is not known.
func VendorName(vid []byte) string {
	if len(vid) == 0 {
		return ""
	}
	if v, ok := VendorWindowsVersion(vid); ok {
		if w, known := msNT5Versions[v]; known {
			return "MS NT5 ISAKMPOAKLEY (" + w + ")"
		}
		return "MS NT5 ISAKMPOAKLEY (version " + strconv.FormatUint(uint64(v), 10) + ")"
	}
	if bytes.HasPrefix(vid, vidMSNT5) {
		return "MS NT5 ISAKMPOAKLEY"
	}
	if s, ok := vendorIDs.exact[string(vid)]; ok {
		return s
	}
	if s := structuredVendorName(vid); s != "" {
		return s
	}
	for _, p := range vendorIDs.prefixes {
		if bytes.HasPrefix(vid, p.id) {
			return p.name
		}
	}
	if isFreeSWANStyleVID(vid) {
		return "FreeS/WAN or Openswan (unknown version)"
	}
	return ""
}

func structuredVendorName(vid []byte) string {
	switch {
	case len(vid) == 16 && bytes.HasPrefix(vid, vidCiscoUnity):
		return "Cisco Unity " + vidMajorMinor(vid[14], vid[15])
	case len(vid) == 16 && bytes.HasPrefix(vid, vidDPD):
		return "Dead Peer Detection " + vidMajorMinor(vid[14], vid[15])
	case bytes.HasPrefix(vid, vidFragmentation):
		name := "IKE Fragmentation (Cisco/Microsoft)"
		if len(vid) == 20 {
			name += ", flags 0x" + hex32(binary.BigEndian.Uint32(vid[16:20]))
		}
		return name
	case bytes.HasPrefix(vid, vidCiscoVPN3000):
		name := "Cisco VPN 3000 Concentrator"
		if len(vid) == 16 && vid[13] == 0x50 {
			name += " " + strconv.Itoa(int(vid[14])) + "." +
				strconv.Itoa(int(vid[15]>>4)) + "." + strconv.Itoa(int(vid[15]&0x0f))
		}
		return name
	case bytes.HasPrefix(vid, vidCheckPoint):
		return checkPointName(vid)
	case bytes.HasPrefix(vid, vidLibreswan):
		if v := vid[len(vidLibreswan):]; len(v) > 0 && isPrintableASCII(v) {
			return "Libreswan " + string(v)
		}
		return "Libreswan"
	}
	return ""
}

func checkPointName(vid []byte) string {
	if len(vid) < 28 {
		return "Check Point"
	}
	product := binary.BigEndian.Uint32(vid[20:24])
	version := binary.BigEndian.Uint32(vid[24:28])
	name := "Check Point"
	if p, ok := checkPointProducts[product]; ok {
		name += " " + p
	} else {
		name += " product " + strconv.FormatUint(uint64(product), 10)
	}
	if v, ok := checkPointVersions[version]; ok {
		return name + " " + v
	}
	return name + " version " + strconv.FormatUint(uint64(version), 10)
}

// isFreeSWANStyleVID matches the 12-byte "OE" + ASCII-fied MD5 Vendor IDs
// of FreeS/WAN 2.x and Openswan 2.x whose version string is not in the
// table: every byte after "OE" has bit 7 clear and bit 6 set.
func isFreeSWANStyleVID(vid []byte) bool {
	if len(vid) != 12 || vid[0] != 'O' || vid[1] != 'E' {
		return false
	}
	for _, c := range vid[2:] {
		if c&0xc0 != 0x40 {
			return false
		}
	}
	return true
}

func vidMajorMinor(major, minor byte) string {
	return "v" + strconv.Itoa(int(major)) + "." + strconv.Itoa(int(minor))
}

func hex32(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}

func isPrintableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

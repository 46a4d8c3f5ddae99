package decode_test

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ikescope/ikescope/decode"
)

// An IKEv2 IKE_SA_INIT request (RFC 7296 §1.2): SA, KE, Nonce and a
// NAT_DETECTION_SOURCE_IP notify, decoded from its bytes.
func ExampleParseMessage() {
	b, err := hex.DecodeString(strings.Join([]string{
		// Header: SPIi, SPIr, next SA (33), version 2.0, IKE_SA_INIT (34),
		// flags I, message ID 0, length 404.
		"0011223344556677", "0000000000000000", "21", "20", "22", "08", "00000000", "00000194",
		// SA, next KE: one proposal (IKE, no SPI) with four transforms.
		"22000030",
		"0000002c" + "01010004",
		"0300000c" + "0100000c" + "800e0100", // ENCR AES_CBC, key length 256
		"03000008" + "02000005",              // PRF HMAC_SHA2_256
		"03000008" + "0300000c",              // INTEG AUTH_HMAC_SHA2_256_128
		"00000008" + "0400000e",              // D-H group 14
		// KE, next Nonce: group 14 and 256 bytes of public value.
		"28000108", "000e0000", strings.Repeat("5a", 256),
		// Nonce, next Notify: 32 bytes.
		"29000024", strings.Repeat("4e", 32),
		// Notify, last: protocol 0, no SPI, NAT_DETECTION_SOURCE_IP (16388), SHA-1 hash.
		"0000001c", "00004004", strings.Repeat("d5", 20),
	}, ""))
	if err != nil {
		panic(err)
	}

	m, err := decode.ParseMessage(b)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("version %d.%d %s flags [%s] ispi %016x msgid %d length %d\n",
		m.Major, m.Minor, m.ExchangeName(), m.FlagString(), m.InitSPI, m.MsgID, m.Length)
	for _, p := range m.Payloads {
		fmt.Printf("%s (%s) at offset %d, %d bytes\n", p.Name(m.Major), decode.PayloadLongName(m.Major, p.Type), p.Offset, p.Length)
		switch {
		case p.SA != nil:
			for _, pr := range p.SA.Proposals {
				fmt.Printf("  proposal %d protocol %s\n", pr.Num, decode.ProtocolName(m.Major, pr.Protocol))
				for _, t := range pr.Transforms {
					fmt.Printf("    %s %s", decode.TransformTypeName(t.Type), decode.TransformName(m.Major, pr.Protocol, &t))
					for _, a := range t.Attrs {
						fmt.Printf(", %s %d", decode.AttrName(m.Major, pr.Protocol, a.Type), a.Value)
					}
					fmt.Println()
				}
			}
		case p.KE != nil:
			fmt.Printf("  group %s, %d bytes\n", decode.DHGroupName(p.KE.Group), p.KE.DataLen)
		case p.Notify != nil:
			fmt.Printf("  %s (%d), %d bytes of data\n", p.Notify.Name(), p.Notify.Type, len(p.Notify.Data))
		case p.DataLen > 0:
			fmt.Printf("  %d bytes\n", p.DataLen)
		}
	}
	// Output:
	// version 2.0 IKE_SA_INIT flags [I] ispi 0011223344556677 msgid 0 length 404
	// SA (Security Association) at offset 28, 48 bytes
	//   proposal 1 protocol IKE
	//     ENCR ENCR_AES_CBC, Key Length 256
	//     PRF PRF_HMAC_SHA2_256
	//     INTEG AUTH_HMAC_SHA2_256_128
	//     DH 2048-bit MODP Group
	// KE (Key Exchange) at offset 76, 264 bytes
	//   group 2048-bit MODP Group, 256 bytes
	// Nonce (Nonce) at offset 340, 36 bytes
	//   32 bytes
	// N (Notify) at offset 376, 28 bytes
	//   NAT_DETECTION_SOURCE_IP (16388), 20 bytes of data
}

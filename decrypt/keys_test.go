package decrypt

import (
	"errors"
	"strings"
	"testing"
)

const v2Line = `d66db6d02c67c65f,6e03fc17dc3220a5,9ed15f5218f7ff1dd50d5c083c684a97,2fef7620bdaa94ad86399421038f4c9b,"AES-CBC-128 [RFC3602]",f54cd62e22fb6f06cf7ee33a2fd42dae7dfc4dbf0cd59b14baa95ebd846348c5,4bf1241929874d574669add81145dde746427bd0b6d81addc7fab00a941c8d12,"HMAC_SHA2_256_128 [RFC4868]"`

func TestParseKeysTables(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		v1, v2, es int
	}{
		{"ikev2 bare hex", v2Line, 0, 1, 0},
		{"ikev2 quoted hex", strings.ReplaceAll(strings.ReplaceAll(v2Line, "d66db6d02c67c65f", `"d66db6d02c67c65f"`), "6e03fc17dc3220a5", `"0x6e03fc17dc3220a5"`), 0, 1, 0},
		{"ikev2 gcm", `0102030405060708,1112131415161718,000102030405060708090a0b0c0d0e0f10111213,000102030405060708090a0b0c0d0e0f10111213,"AES-GCM-128 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"`, 0, 1, 0},
		{"ikev2 chacha", `0102030405060708,1112131415161718,` + strings.Repeat("ab", 36) + `,` + strings.Repeat("cd", 36) + `,"CHACHA20-POLY1305 [RFC7634]",,,"NONE [RFC4306]"`, 0, 1, 0},
		{"ikev1", `"f20e61f091d88261","d97cb0f155e5d73112fdcaa7ac999482"`, 1, 0, 0},
		{"ikev1 3des", `f20e61f091d88261,` + strings.Repeat("01", 24), 1, 0, 0},
		{"esp_sa", `"IPv4","192.0.2.1","192.0.2.2","0x1a6f4d22","AES-CBC [RFC3602]","0x00112233445566778899aabbccddeeff","HMAC-SHA-256-128 [RFC4868]","0x` + strings.Repeat("ab", 32) + `"`, 0, 0, 1},
		{"esp_sa any auth", `"IPv4","*","*","0x1a6f4d22","AES-GCM with 16 octet ICV [RFC4106]","0x` + strings.Repeat("ab", 20) + `","ANY 128 bit authentication [no checking]",""`, 0, 0, 1},
		{"comments and blank lines", "# ikev2\n\n" + v2Line + "\n# end\n", 0, 1, 0},
		{"empty", "", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKeys("f", strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(k.V1) != tc.v1 || len(k.V2) != tc.v2 || len(k.ESP) != tc.es {
				t.Errorf("got %d/%d/%d sets, want %d/%d/%d", len(k.V1), len(k.V2), len(k.ESP), tc.v1, tc.v2, tc.es)
			}
		})
	}
}

func TestParseKeysErrors(t *testing.T) {
	secret := "9ed15f5218f7ff1dd50d5c083c684a97"
	for _, tc := range []struct {
		name, in string
		line     int
		err      error
	}{
		{"unknown format", "hello world\n", 1, ErrUnknownFormat},
		{"bad algorithm", strings.Replace(v2Line, "AES-CBC-128 [RFC3602]", "ROT13", 1), 1, ErrUnknownAlg},
		{"bad integrity", strings.Replace(v2Line, "HMAC_SHA2_256_128", "CRC32", 1), 1, ErrUnknownAlg},
		{"short key", strings.Replace(v2Line, secret, "9ed1", 1), 1, ErrBadKeyLen},
		{"bad hex", strings.Replace(v2Line, secret, "zz"+secret[2:], 1), 1, ErrBadHex},
		{"short spi", strings.Replace(v2Line, "d66db6d02c67c65f", "d66d", 1), 1, ErrBadLine},
		{"second line bad", v2Line + "\n" + "1,2,3\n", 2, ErrBadLine},
		{"unterminated quote", "\"abc,def\n", 1, ErrBadLine},
		{"ikev1 odd key", "f20e61f091d88261," + strings.Repeat("01", 7), 1, ErrBadKeyLen},
		{"charon dump cut short", "t 1[IKE] <gw|1> Sk_ei secret => 32 bytes @ 0x1\nt 1[IKE] <gw|1>    0: 9E D1 5F 52 18 F7 FF 1D 9E D1 5F 52 18 F7 FF 1D\nt 1[IKE] <gw|1> next\n", 1, ErrBadLine},
		{"charon dump line short", "t 1[IKE] <gw|1> Sk_ei secret => 16 bytes @ 0x1\nt 1[IKE] <gw|1>    0: 9E D1 5F 52 18 F7 FF 1D\n", 2, ErrBadHex},
		{"charon bad hex", "t 1[IKE] <gw|1> Sk_ei secret => 4 bytes @ 0x1\nt 1[IKE] <gw|1>    0: 9E ZZ 5F 52\n", 2, ErrBadHex},
		{"charon dump at end", "t 1[IKE] <gw|1> Sk_ai secret => 32 bytes @ 0x1\n", 1, ErrBadLine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeys("keys.txt", strings.NewReader(tc.in))
			var pe *PosError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *PosError", err)
			}
			if !errors.Is(err, tc.err) || pe.Line != tc.line || pe.File != "keys.txt" {
				t.Errorf("error %q (line %d), want %v at line %d", err, pe.Line, tc.err, tc.line)
			}
			if !strings.HasPrefix(err.Error(), "keys.txt:") {
				t.Errorf("error %q does not start with file:line", err)
			}
			if strings.Contains(strings.ToLower(err.Error()), secret[4:]) {
				t.Errorf("error %q shows key material", err)
			}
		})
	}
}

func TestParseCharonLog(t *testing.T) {
	log := `2026-12-04T21:27:42.300 11[IKE] <gw|1> Sk_d secret => 4 bytes @ 0x7f
2026-12-04T21:27:42.300 11[IKE] <gw|1>    0: 01 02 03 04                                      ....
2026-12-04T21:27:42.300 11[IKE] <gw|1> Sk_ai secret => 20 bytes @ 0x7f
2026-12-04T21:27:42.300 11[IKE] <gw|1>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
2026-12-04T21:27:42.300 12[NET] <gw|2> sending packet: from 192.0.2.1[500] to 192.0.2.2[500] (456 bytes)
2026-12-04T21:27:42.300 11[IKE] <gw|1>   16: 10 11 12 13                                      ....
2026-12-04T21:27:42.300 11[IKE] <gw|1> Sk_ar secret => 20 bytes @ 0x7f
2026-12-04T21:27:42.300 11[IKE] <gw|1>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
2026-12-04T21:27:42.300 11[IKE] <gw|1>   16: 10 11 12 13                                      ....
2026-12-04T21:27:42.300 11[IKE] <gw|1> Sk_ei secret => 16 bytes @ 0x7f
2026-12-04T21:27:42.300 11[IKE] <gw|1>    0: AA 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
2026-12-04T21:27:42.300 11[IKE] <gw|1> Sk_er secret => 16 bytes @ 0x7f
2026-12-04T21:27:42.300 11[IKE] <gw|1>    0: BB 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
2026-12-04T21:23:47.163 10[IKE] <3> SKEYID => 2 bytes @ 0x7f
2026-12-04T21:23:47.163 10[IKE] <3>    0: 01 02                                            ..
2026-12-04T21:23:47.163 10[IKE] <3> encryption key Ka => 16 bytes @ 0x7f
2026-12-04T21:23:47.163 10[IKE] <3>    0: CC 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
2026-12-04T21:23:47.163 10[IKE] <3> initial IV => 16 bytes @ 0x7f
2026-12-04T21:23:47.163 10[IKE] <3>    0: DD 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................
`
	k, err := ParseKeys("charon.log", strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.V2) != 1 || len(k.V1) != 1 {
		t.Fatalf("%d IKEv2 and %d IKEv1 sets, want 1 and 1", len(k.V2), len(k.V1))
	}
	v2 := k.V2[0]
	if v2.EI[0] != 0xAA || v2.ER[0] != 0xBB || len(v2.AI) != 20 || v2.AR[19] != 0x13 || v2.Known || v2.Source != "charon.log:1" {
		t.Errorf("IKEv2 set %+v", v2)
	}
	v1 := k.V1[0]
	if len(v1.Key) != 16 || v1.Key[0] != 0xCC || len(v1.IV) != 16 || v1.IV[0] != 0xDD || v1.Source != "charon.log:14" {
		t.Errorf("IKEv1 set %+v", v1)
	}
}

package decrypt_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikescope/ikescope/capture"
	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/decrypt"
)

// FuzzParseKeys: no key file makes the parsers panic, an error is always
// positioned, and no error text carries the hex of a key that was read.
func FuzzParseKeys(f *testing.F) {
	for _, p := range []string{"v1_success.initiator.keys.log", "v2_success.responder.keys.log"} {
		b, err := os.ReadFile(filepath.Join(capDir, p))
		if err == nil {
			f.Add(b[:min(len(b), 6000)])
		}
	}
	f.Add([]byte("d66db6d02c67c65f,6e03fc17dc3220a5,9ed15f5218f7ff1dd50d5c083c684a97,2fef7620bdaa94ad86399421038f4c9b,\"AES-CBC-128 [RFC3602]\",f54cd62e22fb6f06cf7ee33a2fd42dae7dfc4dbf0cd59b14baa95ebd846348c5,4bf1241929874d574669add81145dde746427bd0b6d81addc7fab00a941c8d12,\"HMAC_SHA2_256_128 [RFC4868]\"\n"))
	f.Add([]byte("\"f20e61f091d88261\",\"d97cb0f155e5d73112fdcaa7ac999482\"\n"))
	f.Add([]byte("\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x1a6f4d22\",\"AES-CBC [RFC3602]\",\"0x00\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x00\"\n"))
	f.Add([]byte("x <gw|1> Sk_ei secret => 16 bytes @ 0x1\nx <gw|1>    0: 9E D1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := decrypt.ParseKeys("fuzz", bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		_ = k.Len()
	})
}

// seedMessages returns the IKE messages of a committed capture.
func seedMessages(tb testing.TB, name string) [][]byte {
	path := name + ".pcapng"
	if !strings.Contains(name, "/") {
		path = filepath.Join(capDir, path)
	}
	src, err := capture.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dec := decode.NewDecoder()
	var out [][]byte
	for {
		p, err := src.Next()
		if err != nil {
			return out
		}
		fr := dec.Decode(p.Link, p.Data, p.Time, p.Frame)
		if fr.Kind == decode.KindIKE && fr.IKEBytes != nil {
			out = append(out, append([]byte(nil), fr.IKEBytes...))
		}
	}
}

// FuzzDecrypt feeds a committed negotiation and then a fuzzed message to a
// Decrypter holding that negotiation's keys: no input may panic, and a
// message is never both decrypted and failed.
func FuzzDecrypt(f *testing.F) {
	type scen struct {
		msgs [][]byte
		keys *decrypt.Keys
	}
	var scens []scen
	for _, name := range []string{"v1_success", "v2_success", "v2_ikefrag"} {
		msgs := seedMessages(f, name)
		scens = append(scens, scen{msgs, loadKeys(f, capDir, name)})
		for _, m := range msgs {
			f.Add(uint8(len(scens)-1), m)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		s := scens[int(which)%len(scens)]
		dx := decrypt.New(s.keys)
		for _, raw := range s.msgs {
			m, _ := decode.ParseMessage(raw)
			dx.Decrypt(m, raw)
		}
		m, _ := decode.ParseMessage(b)
		out, err := dx.Decrypt(m, b)
		if out == decrypt.Failed && err == nil {
			t.Fatal("failed without an error")
		}
		// The same bytes as an ESP packet, and with the SPI of a child SA
		// whose keys are loaded, so that the trial and the trailer parser run.
		dx.ESP(b)
		if len(s.keys.ESP) > 0 && len(b) >= 8 {
			esp := append([]byte(nil), b...)
			spi := s.keys.ESP[int(which)%len(s.keys.ESP)].SPI
			esp[0], esp[1], esp[2], esp[3] = byte(spi>>24), byte(spi>>16), byte(spi>>8), byte(spi)
			dx.ESP(esp)
		}
	})
}

// FuzzAddDecrypted: any plaintext parses without panic, for both versions.
func FuzzAddDecrypted(f *testing.F) {
	f.Add(uint8(1), uint8(5), []byte{8, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0})
	f.Add(uint8(2), uint8(41), []byte{0, 0, 0, 8, 0, 0, 0, 24})
	f.Fuzz(func(t *testing.T, major, first uint8, b []byte) {
		m := &decode.Message{Header: decode.Header{Major: 1 + major%2}}
		m.AddDecrypted(decode.PayloadType(first), b)
		for i := range m.Payloads {
			p := &m.Payloads[i]
			if !p.Decrypted || p.Offset < 0 || p.Offset+p.Length > len(b) {
				t.Fatalf("payload %d: decrypted %v offset %d length %d of %d", i, p.Decrypted, p.Offset, p.Length, len(b))
			}
		}
	})
}

package synth

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/gopacket/pcapgo"
	"github.com/ikescope/ikescope/decode"
)

// frames reads a pcap written by this package.
func frames(t *testing.T, b []byte, f func(data []byte)) {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		f(data)
	}
}

func TestWriteDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	if _, err := Write(&a, Options{Packets: 5000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(&b, Options{Packets: 5000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(&c, Options{Packets: 5000, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds, same output")
	}
}

// TestWriteDecodes runs a capture through the decoder: every frame must
// decode, every IKE message without error or anomaly, and the mix must be
// close to the documented one.
func TestWriteDecodes(t *testing.T) {
	for _, clearQM := range []bool{false, true} {
		var buf bytes.Buffer
		const n = 40000
		st, err := Write(&buf, Options{Packets: n, Seed: 11, ClearQuickMode: clearQM, Nanos: clearQM})
		if err != nil {
			t.Fatal(err)
		}
		if st.Packets != n {
			t.Fatalf("wrote %d packets, want %d", st.Packets, n)
		}
		d := decode.NewDecoder()
		var kinds [8]int
		var spis, v6 int
		frames(t, buf.Bytes(), func(data []byte) {
			f := d.Decode(decode.LinkEthernet, data, st.First, 0)
			kinds[f.Kind]++
			if f.Src.Addr().Is6() {
				v6++
			}
			switch f.Kind {
			case decode.KindMalformed:
				t.Errorf("malformed frame: %v", f.Err)
			case decode.KindIKE:
				if f.IKEErr != nil || len(f.IKE.Anomalies) > 0 {
					t.Errorf("IKE %s: %v %v", f.IKE.ExchangeName(), f.IKEErr, f.IKE.Anomalies)
				}
				for _, p := range f.IKE.Payloads {
					if p.SA != nil && f.IKE.Exchange == decode.ExchangeQuickMode {
						for _, pr := range p.SA.Proposals {
							if len(pr.SPI) == 4 {
								spis++
							}
						}
					}
				}
			case decode.KindOther:
				if f.Proto == 50 || f.Dst.Port() == 4500 || f.Dst.Port() == 500 {
					t.Errorf("undecoded IPsec frame %v -> %v", f.Src, f.Dst)
				}
			}
		})
		if kinds[decode.KindIKE] != st.IKE || kinds[decode.KindESP] != st.ESP || kinds[decode.KindKeepalive] != st.Keepalives {
			t.Errorf("decoded IKE/ESP/keepalive %d/%d/%d, stats say %d/%d/%d", kinds[decode.KindIKE], kinds[decode.KindESP],
				kinds[decode.KindKeepalive], st.IKE, st.ESP, st.Keepalives)
		}
		if v6 != st.IPv6 || v6 == 0 {
			t.Errorf("IPv6 frames %d, stats say %d", v6, st.IPv6)
		}
		share := func(k int) float64 { return float64(k) / n }
		if s := share(st.IKE); s < 0.01 || s > 0.02 {
			t.Errorf("IKE share %.3f", s)
		}
		if s := share(st.ESP); s < 0.42 || s > 0.48 {
			t.Errorf("ESP share %.3f", s)
		}
		if st.Retransmits == 0 || st.IKENATT == 0 || st.ESPUDP == 0 || st.SMBProbes == 0 || st.DNS == 0 || st.ICMP == 0 {
			t.Errorf("missing traffic: %+v", st)
		}
		if clearQM != (spis > 0) {
			t.Errorf("ClearQuickMode %v: %d quick mode SPIs seen", clearQM, spis)
		}
	}
}

func TestWindowsSample(t *testing.T) {
	var buf bytes.Buffer
	if err := WindowsSample(&buf); err != nil {
		t.Fatal(err)
	}
	d := decode.NewDecoder()
	var msgs []*decode.Message
	frames(t, buf.Bytes(), func(data []byte) {
		f := d.Decode(decode.LinkEthernet, data, windowsStart, 0)
		if f.Kind != decode.KindIKE || f.IKEErr != nil {
			t.Fatalf("frame %d: kind %v, err %v", len(msgs)+1, f.Kind, f.IKEErr)
		}
		msgs = append(msgs, f.IKE)
	})
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 4", len(msgs))
	}
	var vids []string
	for _, p := range msgs[0].Payloads {
		if p.Type == decode.PayloadVendorID {
			vids = append(vids, decode.VendorName(p.Data))
		}
	}
	if len(vids) != 7 {
		t.Errorf("MM1 vendor IDs %q, want 7", vids)
	}
	if v, ok := decode.VendorWindowsVersion(vidMSNT5v9); !ok || v != 9 {
		t.Errorf("MS NT5 VID version %d %v", v, ok)
	}
	resp := msgs[3]
	if resp.Exchange != decode.ExchangeIKESAInit || !resp.Response() {
		t.Fatalf("message 4 is %s, response %v", resp.ExchangeName(), resp.Response())
	}
	var found bool
	for _, p := range resp.Payloads {
		if n := p.Notify; n != nil && n.Type == decode.NotifyMSStatus {
			found = n.HasWinError && n.WinError == WindowsErrorAuthFail
		}
	}
	if !found {
		t.Error("no MS status notify with error 13801 in the IKE_SA_INIT response")
	}
}

// TestVendorIDsKnown checks that the decoder names every vendor ID the
// generator sends.
func TestVendorIDsKnown(t *testing.T) {
	for _, set := range [][numProfiles][][]byte{v1InitVIDs, v1RespVIDs, v2VIDs} {
		for _, vids := range set {
			for _, v := range vids {
				if name := decode.VendorName(v); name == "" {
					t.Errorf("vendor ID %x: name %q", v, name)
				}
			}
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(io.Discard, Options{Packets: 100000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "pkts/s")
}

package main

import (
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ikescope/ikescope/decode"
	"github.com/ikescope/ikescope/decrypt"
)

// keyFlags is --keys, shared by decode, analyze, check and live.
type keyFlags struct {
	files []string
}

func (k *keyFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&k.files, "keys", nil, "decrypt IKE with the keys in `FILE`: a Wireshark ikev1_decryption_table or ikev2_decryption_table (strongSwan's save-keys plugin), or a strongSwan charon log written with ike log level 4 (docs/keys.md); repeatable")
}

// load reads the key files. It returns nil keys when none were given, or
// an exit code after printing the error (file:line: what; never the key).
func (k *keyFlags) load(stderr io.Writer) (*decrypt.Keys, int) {
	if len(k.files) == 0 {
		return nil, exitOK
	}
	all := &decrypt.Keys{}
	for _, name := range k.files {
		f, err := os.Open(name)
		if err != nil {
			warn(stderr, "--keys: "+err.Error())
			return nil, exitNoInput
		}
		ks, err := decrypt.ParseKeys(name, f)
		f.Close()
		if err != nil {
			warn(stderr, "--keys: "+err.Error())
			return nil, exitNoInput
		}
		all.Merge(ks)
	}
	return all, exitOK
}

// decrypter returns a Decrypter for keys, or nil without keys.
func decrypter(keys *decrypt.Keys) *decrypt.Decrypter {
	if keys == nil {
		return nil
	}
	return decrypt.New(keys)
}

// decryptSummary is the stderr line after a run with --keys.
func decryptSummary(stderr io.Writer, d *decrypt.Decrypter) {
	if d == nil {
		return
	}
	s := d.Stats
	warn(stderr, "decryption: "+itoa(s.Encrypted)+" encrypted IKE messages, "+itoa(s.Decrypted)+" decrypted, "+
		itoa(s.NoKeys)+" without keys, "+itoa(s.Failed)+" failed ("+itoa(s.ICVFailed)+" integrity check)")
	for _, e := range d.ESPStats() {
		warn(stderr, espSummary(e))
	}
}

// espSummary says what one SPI's decrypted ESP carried.
func espSummary(e decrypt.ESPStats) string {
	msg := "ESP SPI 0x" + strconv.FormatUint(uint64(e.SPI)|1<<32, 16)[1:] + ": " + itoa(e.Packets) + " packets decrypted"
	if e.Failed > 0 {
		msg += ", " + itoa(e.Failed) + " failed"
	}
	names := map[uint8]string{1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 47: "GRE", 50: "ESP"}
	var parts []string
	for _, p := range []uint8{6, 17, 1, 58, 47, 50} {
		if n := e.Protocols[p]; n > 0 {
			parts = append(parts, itoa(n)+" "+names[p])
		}
	}
	other := 0
	for p, n := range e.Protocols {
		if names[p] == "" {
			other += n
		}
	}
	if other > 0 {
		parts = append(parts, itoa(other)+" other")
	}
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ", ")
	}
	if e.SMBSyn > 0 || e.SMBReset > 0 {
		msg += " (TCP 445: " + itoa(e.SMBSyn) + " SYN, " + itoa(e.SMBReset) + " RST)"
	}
	return msg
}

func itoa(n int) string { return strconv.Itoa(n) }

// decryptESPLine decrypts an ESP packet and describes what it carried:
// "203.0.113.1 > 203.0.113.2 ICMP" (text output of decode).
func decryptESPLine(dx *decrypt.Decrypter, inner **decode.Decoder, f *decode.Frame, fail func(error)) string {
	in, ok, err := dx.ESP(f.ESPBytes)
	if err != nil {
		fail(err)
	}
	if !ok {
		return ""
	}
	if in.NextHeader != 4 && in.NextHeader != 41 {
		return "next header " + itoa(int(in.NextHeader)) + ", " + itoa(len(in.Packet)) + " bytes (transport mode)"
	}
	if *inner == nil {
		*inner = decode.NewDecoder()
	}
	inf := (*inner).Decode(decode.LinkRaw, in.Packet, time.Time{}, 0)
	names := map[uint8]string{1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 50: "ESP", 47: "GRE"}
	proto := names[inf.Proto]
	if proto == "" {
		proto = "protocol " + itoa(int(inf.Proto))
	}
	s := inf.Src.Addr().String() + " > " + inf.Dst.Addr().String() + " " + proto
	if inf.Src.Port() != 0 || inf.Dst.Port() != 0 {
		s = inf.Src.String() + " > " + inf.Dst.String() + " " + proto
	}
	if inf.Proto == 6 {
		var fl []string
		for _, b := range []struct {
			bit  uint8
			name string
		}{{decode.TCPSyn, "SYN"}, {decode.TCPRst, "RST"}, {decode.TCPFin, "FIN"}, {decode.TCPAck, "ACK"}} {
			if inf.TCP.Flags&b.bit != 0 {
				fl = append(fl, b.name)
			}
		}
		if len(fl) > 0 {
			s += " [" + strings.Join(fl, ",") + "]"
		}
	}
	return s + ", " + itoa(len(in.Packet)) + " bytes"
}

// reloader returns a function that reads the key files again when they
// changed (a charon log the daemon is still writing) and adds the new key
// sets to dx. It stats the files at most every 5 ms. A file caught in the
// middle of a key dump fails to parse: it is read again after 2 ms (three
// times at most), because the message that asked is waiting for those keys.
func (k *keyFlags) reloader(dx *decrypt.Decrypter, stderr io.Writer, verbose bool) func() bool {
	type stamp struct {
		size int64
		mod  time.Time
	}
	seen := map[string]stamp{}
	for _, name := range k.files {
		if st, err := os.Stat(name); err == nil {
			seen[name] = stamp{st.Size(), st.ModTime()}
		}
	}
	var last time.Time
	return func() bool {
		now := time.Now()
		if now.Sub(last) < 5*time.Millisecond {
			return false
		}
		last = now
		added := 0
		for _, name := range k.files {
			st, err := os.Stat(name)
			if err != nil || (stamp{st.Size(), st.ModTime()}) == seen[name] {
				continue
			}
			var ks *decrypt.Keys
			for try := 0; try < 3; try++ {
				if try > 0 {
					time.Sleep(2 * time.Millisecond)
					if st, err = os.Stat(name); err != nil {
						break
					}
				}
				var f *os.File
				if f, err = os.Open(name); err != nil {
					break
				}
				ks, err = decrypt.ParseKeys(name, f)
				f.Close()
				if err == nil {
					break
				}
			}
			if err != nil {
				if verbose {
					warn(stderr, "--keys: "+err.Error()+" (will read it again)")
				}
				continue
			}
			seen[name] = stamp{st.Size(), st.ModTime()}
			added += dx.AddKeys(ks)
		}
		if added > 0 && verbose {
			warn(stderr, "--keys: "+itoa(added)+" new key set(s)")
		}
		return added > 0
	}
}

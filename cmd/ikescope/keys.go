package main

import (
	"io"
	"os"
	"strconv"

	"github.com/spf13/pflag"

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
}

func itoa(n int) string { return strconv.Itoa(n) }

// Command ikescope decodes IKE/IPsec traffic from captures and says why a
// negotiation failed.
//
// Exit status: 0 the run finished; 1 a check failed; 2 usage error; 3 input
// could not be read at all; 4 the run finished but the input was damaged.
package main

import (
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitCheck   = 1
	exitUsage   = 2
	exitNoInput = 3
	exitDamaged = 4
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: ikescope COMMAND [flags] ...

commands:
  analyze [flags] CAPTURE...               follow every IKE SA and say what failed (also: ikescope CAPTURE)
  decode  [-v] [-T text|json] CAPTURE...   decode every IKE and ESP packet
  check [--update] [--junit FILE] DIR|CAPTURE...
                                           compare verdicts with <capture>.expect.json (CI regression)
  live -i IFACE [FILTER]                   watch negotiations on an interface as they happen
  keys --keys FILE [--wireshark DIR] CAPTURE...
                                           which keys match which SA; export Wireshark tables
  explain CODE|NAME                        explain a Windows IKE/IPsec error (--list for all)
  version                                  print the version

Run 'ikescope COMMAND --help' for the flags of a command.

exit status: 0 the run finished, 1 a check failed, 2 usage error,
3 input could not be read at all, 4 the run finished but the input was damaged
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "decode":
		return runDecode(args[1:], stdin, stdout, stderr)
	case "analyze":
		return runAnalyze(args[1:], stdin, stdout, stderr)
	case "explain":
		return runExplain(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "live":
		return runLive(args[1:], stdout, stderr)
	case "keys":
		return runKeys(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		io.WriteString(stdout, "ikescope "+version+"\n")
		return exitOK
	case "help", "-h", "--help":
		io.WriteString(stdout, usage)
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") && args[0] != "-" {
		io.WriteString(stderr, usage)
		return exitUsage
	}
	if _, err := os.Stat(args[0]); err == nil || args[0] == "-" {
		// `ikescope CAPTURE` is `ikescope analyze CAPTURE`.
		return runAnalyze(args, stdin, stdout, stderr)
	}
	io.WriteString(stderr, "ikescope: unknown command "+args[0]+"\n"+usage)
	return exitUsage
}

// warn writes a diagnostic line to stderr.
func warn(w io.Writer, msg string) {
	io.WriteString(w, "ikescope: "+msg+"\n")
}

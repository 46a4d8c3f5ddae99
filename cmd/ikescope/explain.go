package main

import (
	"io"
	"strconv"
	"strings"

	"github.com/ikescope/ikescope/classify"
	"github.com/ikescope/ikescope/decode"
)

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", "explain CODE|NAME  (decimal, hex 0x35F6, HRESULT 0x800735F6, or a name such as MM_DELAY_DROP)", stderr)
	list := fs.Bool("list", false, "print the whole table of Windows IKE/IPsec errors")
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	if *list {
		var b strings.Builder
		for _, we := range decode.WinErrors() {
			b.WriteString(strconv.FormatUint(uint64(we.Code), 10) + "\t" + we.Hex() + "\t" + we.Name + "\t" + we.Message + "\n")
		}
		io.WriteString(stdout, b.String())
		return exitOK
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	e, ok := classify.Explain(fs.Arg(0))
	if !ok {
		warn(stderr, "unknown Windows IKE/IPsec error "+strconv.Quote(fs.Arg(0))+" (try 'ikescope explain --list')")
		return exitUsage
	}
	var b strings.Builder
	writeExplanation(&b, e)
	if e.Meant != nil {
		b.WriteString("\nwhat those articles mean:\n")
		writeExplanation(&b, *e.Meant)
	}
	io.WriteString(stdout, b.String())
	return exitOK
}

func writeExplanation(b *strings.Builder, e classify.Explanation) {
	if e.Name != "" {
		b.WriteString(e.Name + "\n")
		b.WriteString("  code:    " + strconv.FormatUint(uint64(e.Code), 10) + " (" + e.Hex() + ", HRESULT " + e.HRESULT() + ")\n")
		b.WriteString("  message: " + e.Message + "\n")
	}
	if e.Note != "" {
		b.WriteString("  note:    " + e.Note + "\n")
	}
	if e.Meaning != "" {
		b.WriteString("  meaning: " + e.Meaning + "\n")
	}
	if e.OnTheWire != "" {
		b.WriteString("  capture: " + e.OnTheWire + "\n")
	}
	if e.Check != "" {
		b.WriteString("  check:   " + e.Check + "\n")
	}
	if e.Class != "" {
		b.WriteString("  ikescope verdict class: " + string(e.Class) + "\n")
	}
}

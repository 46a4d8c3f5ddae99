package capture

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// The built-in kernel filter passes what ikescope reads and nothing else:
//
//   - UDP from or to port 500 (IKE), 4500 (NAT-T: IKE after the non-ESP
//     marker, keepalives, UDP-encapsulated ESP) and the extra ports given;
//   - IP protocol 50 (ESP);
//   - IPv4 fragments with a non-zero offset of UDP or ESP datagrams, and
//     IPv6 fragments of UDP or ESP: they carry no port, and IKE fragment
//     reassembly needs them (large MM5 and IKE_AUTH messages with
//     certificates are fragmented in real life);
//   - all of it over IPv4 or IPv6, and on Ethernet also with up to two
//     802.1Q/802.1ad tags in the frame (a tag the NIC stripped is not in
//     the frame the filter sees, so the untagged branch covers it);
//   - on IPv6 also behind one hop-by-hop, routing or destination options
//     header.
//
// Link types the filter is built for.
const (
	LinkEthernet = 1   // LINKTYPE_ETHERNET: the frame starts with the MAC header
	LinkRaw      = 101 // LINKTYPE_RAW: the packet starts with the IPv4 or IPv6 header
)

// MaxExtraPorts bounds the extra ports of BuiltinFilter (the program's
// conditional jumps reach at most 255 instructions).
const MaxExtraPorts = 16

// maxInstructions is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const maxInstructions = 4096

// IP protocol and header numbers the filter tests.
const (
	protoHopByHop = 0
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoESP      = 50
	protoDestOpts = 60
)

// BuiltinFilter returns the kernel filter for packets of the given link
// type (LinkEthernet or LinkRaw). Accepted packets are cut to snaplen.
// extra lists UDP ports that carry IKE or NAT-T besides 500 and 4500.
func BuiltinFilter(link uint32, snaplen int, extra []uint16) ([]bpf.RawInstruction, error) {
	ports := []uint32{500, 4500}
	if len(extra) > MaxExtraPorts {
		return nil, fmt.Errorf("at most %d extra IKE/NAT-T ports", MaxExtraPorts)
	}
	for _, p := range extra {
		if p == 0 {
			return nil, errors.New("port 0 in the filter")
		}
		dup := false
		for _, q := range ports {
			dup = dup || q == uint32(p)
		}
		if !dup {
			ports = append(ports, uint32(p))
		}
	}
	if snaplen <= 0 {
		snaplen = DefaultSnaplen
	}
	a := &asm{labels: map[string]int{}}
	var bases []uint32
	switch link {
	case LinkEthernet:
		// EtherType, then up to two VLAN tags (802.1Q 0x8100, 802.1ad
		// 0x88a8, and the old QinQ 0x9100).
		for depth, off := range []uint32{12, 16, 20} {
			a.label("eth" + itoa(off))
			a.emit(bpf.LoadAbsolute{Off: off, Size: 2})
			base := off + 2
			a.jeqFar(0x0800, "ip4_"+itoa(base))
			a.jeqFar(0x86dd, "ip6_"+itoa(base))
			if depth < 2 {
				for _, tpid := range []uint32{0x8100, 0x88a8, 0x9100} {
					a.jeqFar(tpid, "eth"+itoa(off+4))
				}
			}
			a.emit(bpf.RetConstant{Val: 0})
			bases = append(bases, base)
		}
	case LinkRaw:
		// The version nibble decides (the packet socket delivers the
		// network header first, as for tcpdump on a tun device).
		a.emit(bpf.LoadAbsolute{Off: 0, Size: 1})
		a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		a.jeqFar(0x40, "ip4_0")
		a.jeqFar(0x60, "ip6_0")
		a.emit(bpf.RetConstant{Val: 0})
		bases = []uint32{0}
	default:
		return nil, fmt.Errorf("no built-in filter for link type %d", link)
	}
	for _, b := range bases {
		ipv4Section(a, b, ports, uint32(snaplen))
		ipv6Section(a, b, ports, uint32(snaplen))
	}
	return a.assemble()
}

// ipv4Section accepts UDP on one of the ports, ESP, and non-first
// fragments of UDP, for an IPv4 header at offset b.
func ipv4Section(a *asm, b uint32, ports []uint32, snap uint32) {
	s := "4_" + itoa(b)
	acc, rej := "acc"+s, "rej"+s
	a.label("ip" + s)
	a.emit(bpf.LoadAbsolute{Off: b + 9, Size: 1}) // protocol
	a.jeq(protoESP, acc, "")
	a.jeq(protoUDP, "", rej)
	a.emit(bpf.LoadAbsolute{Off: b + 6, Size: 2})                                                   // flags and fragment offset
	a.jset(0x1fff, acc, "")                                                                         // not the first fragment: no UDP header
	a.emit(bpf.LoadMemShift{Off: b})                                                                // X = IHL*4
	a.anyPort(ports, acc, bpf.LoadIndirect{Off: b, Size: 2}, bpf.LoadIndirect{Off: b + 2, Size: 2}) // source, destination port
	a.label(rej)
	a.emit(bpf.RetConstant{Val: 0})
	a.label(acc)
	a.emit(bpf.RetConstant{Val: snap})
}

// ipv6Section accepts UDP on one of the ports, ESP and fragments of UDP or
// ESP, directly or behind one extension header, for an IPv6 header at
// offset b.
func ipv6Section(a *asm, b uint32, ports []uint32, snap uint32) {
	s := "6_" + itoa(b)
	acc, rej := "acc"+s, "rej"+s
	a.label("ip" + s)
	a.emit(bpf.LoadAbsolute{Off: b + 6, Size: 1}) // next header
	a.jeq(protoESP, acc, "")
	a.jeq(protoUDP, "udp"+s, "")
	a.jeq(protoFragment, "frag"+s, "")
	a.jeq(protoHopByHop, "ext"+s, "")
	a.jeq(protoRouting, "ext"+s, "")
	a.jeq(protoDestOpts, "ext"+s, rej)

	a.label("udp" + s)
	a.anyPort(ports, acc, bpf.LoadAbsolute{Off: b + 40, Size: 2}, bpf.LoadAbsolute{Off: b + 42, Size: 2})
	a.emit(bpf.RetConstant{Val: 0})

	// A fragment header's next header names the fragmented protocol in
	// every fragment, the first or not.
	a.label("frag" + s)
	a.emit(bpf.LoadAbsolute{Off: b + 40, Size: 1})
	a.jeq(protoUDP, acc, "")
	a.jeq(protoESP, acc, rej)

	// One extension header: X = its length, (len+1)*8 (RFC 8200 §4.3).
	a.label("ext" + s)
	a.emit(bpf.LoadAbsolute{Off: b + 41, Size: 1})
	a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1})
	a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 3})
	a.emit(bpf.TAX{})
	a.emit(bpf.LoadAbsolute{Off: b + 40, Size: 1}) // its next header
	a.jeq(protoESP, acc, "")
	a.jeq(protoUDP, "", "extfrag"+s)
	a.anyPort(ports, acc, bpf.LoadIndirect{Off: b + 40, Size: 2}, bpf.LoadIndirect{Off: b + 42, Size: 2})
	a.emit(bpf.RetConstant{Val: 0})
	a.label("extfrag" + s)
	a.jeq(protoFragment, "", rej)
	a.emit(bpf.LoadIndirect{Off: b + 40, Size: 1})
	a.jeq(protoUDP, acc, "")
	a.jeq(protoESP, acc, rej)

	a.label(rej)
	a.emit(bpf.RetConstant{Val: 0})
	a.label(acc)
	a.emit(bpf.RetConstant{Val: snap})
}

// asm is a tiny classic-BPF assembler with forward labels.
type asm struct {
	ins    []bpf.Instruction
	fix    []fixup
	labels map[string]int
}

// fixup is a jump whose targets are labels; "" means the next instruction.
type fixup struct {
	at   int
	t, f string
}

func (a *asm) emit(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *asm) label(l string) { a.labels[l] = len(a.ins) }

// anyPort jumps to acc when the 16-bit word that either load fetches (the
// source port, then the destination port) is one of ports, and falls
// through otherwise.
func (a *asm) anyPort(ports []uint32, acc string, loads ...bpf.Instruction) {
	for _, ld := range loads {
		a.emit(ld)
		for _, p := range ports {
			a.jeq(p, acc, "")
		}
	}
}

func (a *asm) jeq(val uint32, t, f string) {
	a.fix = append(a.fix, fixup{at: len(a.ins), t: t, f: f})
	a.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: val})
}

func (a *asm) jset(val uint32, t, f string) {
	a.fix = append(a.fix, fixup{at: len(a.ins), t: t, f: f})
	a.emit(bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: val})
}

// jeqFar jumps to a label that may be more than 255 instructions away:
// a conditional jump over an unconditional one (whose offset is 32 bits).
func (a *asm) jeqFar(val uint32, t string) {
	a.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: val, SkipTrue: 0, SkipFalse: 1})
	a.fix = append(a.fix, fixup{at: len(a.ins), t: t})
	a.emit(bpf.Jump{})
}

func (a *asm) target(l string, from int) (int, error) {
	if l == "" {
		return 0, nil
	}
	at, ok := a.labels[l]
	if !ok {
		return 0, fmt.Errorf("bpf: undefined label %s", l)
	}
	skip := at - from - 1
	if skip < 0 {
		return 0, fmt.Errorf("bpf: backward jump to %s", l)
	}
	return skip, nil
}

func (a *asm) assemble() ([]bpf.RawInstruction, error) {
	for _, fx := range a.fix {
		t, err := a.target(fx.t, fx.at)
		if err != nil {
			return nil, err
		}
		switch in := a.ins[fx.at].(type) {
		case bpf.Jump:
			in.Skip = uint32(t)
			a.ins[fx.at] = in
		case bpf.JumpIf:
			f, err := a.target(fx.f, fx.at)
			if err != nil {
				return nil, err
			}
			if t > 255 || f > 255 {
				return nil, fmt.Errorf("bpf: jump too far at %d", fx.at)
			}
			in.SkipTrue, in.SkipFalse = uint8(t), uint8(f)
			a.ins[fx.at] = in
		}
	}
	if len(a.ins) > maxInstructions {
		return nil, fmt.Errorf("bpf: %d instructions, at most %d", len(a.ins), maxInstructions)
	}
	return bpf.Assemble(a.ins)
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// ParseRawFilter reads a compiled classic BPF program in the format of
// `tcpdump -ddd` (the instruction count, then one "code jt jf k" line per
// instruction, all decimal), with newlines or commas between the
// instructions (the form iptables' bpf match and tc take).
func ParseRawFilter(s string) ([]bpf.RawInstruction, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' || r == ';' })
	var lines []string
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			lines = append(lines, f)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("bpf program: empty")
	}
	n, err := strconv.Atoi(lines[0])
	if err != nil {
		return nil, fmt.Errorf("bpf program: first line %q is not the instruction count (want tcpdump -ddd output)", lines[0])
	}
	if n < 1 || n > maxInstructions || n != len(lines)-1 {
		return nil, fmt.Errorf("bpf program: count %d, but %d instructions follow", n, len(lines)-1)
	}
	prog := make([]bpf.RawInstruction, 0, n)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, fmt.Errorf("bpf program: instruction %d: %q is not \"code jt jf k\"", i+1, l)
		}
		var v [4]uint64
		for j, bits := range []int{16, 8, 8, 32} {
			if v[j], err = strconv.ParseUint(f[j], 10, bits); err != nil {
				return nil, fmt.Errorf("bpf program: instruction %d: %q: %v", i+1, l, err)
			}
		}
		prog = append(prog, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	last := prog[len(prog)-1]
	if last.Op&0x07 != 0x06 { // BPF_RET
		return nil, errors.New("bpf program: the last instruction is not a return")
	}
	return prog, nil
}

// FormatRawFilter writes prog in the `tcpdump -ddd` format that
// ParseRawFilter reads.
func FormatRawFilter(prog []bpf.RawInstruction) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(prog)) + "\n")
	for _, in := range prog {
		b.WriteString(strconv.FormatUint(uint64(in.Op), 10) + " " + strconv.FormatUint(uint64(in.Jt), 10) + " " +
			strconv.FormatUint(uint64(in.Jf), 10) + " " + strconv.FormatUint(uint64(in.K), 10) + "\n")
	}
	return b.String()
}

// FilterExpression is the tcpdump expression equivalent to the built-in
// filter, used by the libpcap build when no expression is given.
func FilterExpression(extra []uint16) string {
	ports := "udp port 500 or udp port 4500"
	for _, p := range extra {
		if p != 500 && p != 4500 {
			ports += " or udp port " + strconv.FormatUint(uint64(p), 10)
		}
	}
	one := ports + " or ip proto 50 or ip6 proto 50 or (ip proto 17 and ip[6:2] & 0x1fff != 0) or ip6 proto 44"
	// libpcap's "vlan" moves every later offset by 4, so the tagged
	// cases nest.
	return one + " or (vlan and (" + one + " or (vlan and (" + one + "))))"
}

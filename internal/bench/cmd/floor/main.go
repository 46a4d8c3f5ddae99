// Command floor is the speed floor that ikescope analyze is measured
// against: it reads a pcap file the way ikescope does (pcapgo's zero-copy
// reader over a 1 MiB buffer) and runs gopacket's DecodingLayerParser over
// Ethernet, 802.1Q, IPv4, IPv6 and UDP, and does nothing else.
//
//	floor FILE
//
// It prints the packet count and how many of them reached UDP.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor FILE")
		os.Exit(2)
	}
	n, udp, err := run(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("%d packets, %d UDP\n", n, udp)
}

func run(path string) (n, udp int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, 0, err
	}
	var (
		eth   layers.Ethernet
		dot1q layers.Dot1Q
		ip4   layers.IPv4
		ip6   layers.IPv6
		u     layers.UDP
		pl    gopacket.Payload
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &u, &pl)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return n, udp, nil
		}
		if err != nil {
			return n, udp, err
		}
		n++
		_ = p.DecodeLayers(data, &decoded)
		for _, t := range decoded {
			if t == layers.LayerTypeUDP {
				udp++
			}
		}
	}
}

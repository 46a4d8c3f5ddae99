//go:build !linux

package main

import (
	"errors"
	"net"
	"time"
)

type sender interface {
	send(frames [][]byte) (int, error)
	describe() string
	close() error
}

func openSender(*net.Interface, string, int, bool, int) (sender, error) {
	return nil, errors.New("blast runs on Linux only (AF_PACKET)")
}

func retryable(error) bool { return false }

func cpuTime() (user, sys time.Duration) { return 0, 0 }

var errShort = errors.New("short sendmmsg")

package main

import "io"

// runLive is a placeholder until the live command lands.
func runLive(args []string, stdout, stderr io.Writer) int {
	warn(stderr, "live: not implemented yet")
	return exitUsage
}

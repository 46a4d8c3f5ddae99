package main

import "io"

// runCheck is a placeholder until the check command lands.
func runCheck(args []string, stdout, stderr io.Writer) int {
	warn(stderr, "check: not implemented yet")
	return exitUsage
}

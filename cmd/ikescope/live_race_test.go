//go:build race

package main

// Under go test -race the end-to-end tests build ikescope with -race too.
func init() { buildRace = true }

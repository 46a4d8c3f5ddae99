module github.com/ikescope/ikescope

go 1.26.0

require (
	github.com/google/gopacket v1.1.19
	github.com/spf13/pflag v1.1.0
)

require (
	github.com/prometheus/client_golang v1.25.0 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

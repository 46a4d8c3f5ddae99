#!/usr/bin/env bash
# Live capture throughput (issue 12), run as root from the repository root:
#
#   bash internal/bench/live.sh [CAPTURE...]
#
# Replays each capture (default: the mix-1m and flood-esp captures of
# internal/bench/run.sh) with tcpreplay --topspeed into one end of a veth
# pair inside two network namespaces made here, while `ikescope live` runs on
# the other end pinned to one CPU core, and prints what tcpreplay sent, what
# ikescope analysed, how many packets the kernel dropped, and ikescope's CPU
# time (user + system), also per million packets analysed. Nothing leaves
# the namespaces: the frames are injected at layer 2 into the veth and the
# captures use only documentation addresses.
#
# IKESCOPE_BIN=PATH measures that binary (it must be named ikescope) instead
# of building the working tree's, e.g. an older commit's for a comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "live bench: must run as root (network namespaces)" >&2; exit 1; }
command -v tcpreplay >/dev/null || { echo "live bench: needs tcpreplay (apt-get install tcpreplay)" >&2; exit 1; }

dir=/tmp/ikescope-bench
mkdir -p "$dir/bin"
bin=${IKESCOPE_BIN:-$dir/bin/ikescope}
[ -n "${IKESCOPE_BIN:-}" ] || CGO_ENABLED=0 go build -o "$bin" ./cmd/ikescope
caps=("$@")
if [ ${#caps[@]} -eq 0 ]; then
  [ -s "$dir/mix-1m.pcap" ] && [ -s "$dir/flood-esp.pcap" ] || bash internal/bench/run.sh -r 1 --no-tshark >/dev/null
  caps=("$dir/mix-1m.pcap" "$dir/flood-esp.pcap")
fi

A=ikbench$$a B=ikbench$$b
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip link add ikb0 netns "$A" type veth peer name ikb1 netns "$B"
for ns in "$A" "$B"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true; done
ip -n "$A" link set ikb0 mtu 9000 up
ip -n "$B" link set ikb1 mtu 9000 up

printf '%-28s %12s %12s %14s %12s %14s %16s\n' capture sent sent_pps ikescope_pkts kernel_drops ikescope_cpu_s cpu_s_per_mpkt
for cap in "${caps[@]}"; do
  out="$dir/live.$(basename "$cap").out"
  ip netns exec "$B" taskset -c 1 /usr/bin/time -o "$out.time" -f "%U %S" "$bin" live -i ikb1 --max-sas 100000 >"$out.verdicts" 2>"$out" &
  pid=$!
  pids+=("$pid")
  sleep 1
  rep=$(ip netns exec "$A" taskset -c 0 tcpreplay -i ikb0 --topspeed -K "$cap" 2>&1)
  sleep 2
  pkill -INT -P "$pid" -x ikescope 2>/dev/null || kill -INT "$pid"
  wait "$pid" || true
  sent=$(grep -oE 'Actual: [0-9]+ packets' <<<"$rep" | grep -oE '[0-9]+' | head -1)
  pps=$(grep -oE 'Rated: [0-9.]+ Bps, [0-9.]+ Mbps, [0-9.]+ pps' <<<"$rep" | grep -oE '[0-9.]+ pps' | head -1)
  got=$(grep -oE '[0-9]+ packets' "$out" | head -1 | grep -oE '[0-9]+' || echo "?")
  drops=$(grep -oE '[0-9]+ dropped by kernel' "$out" | grep -oE '^[0-9]+' | head -1 || echo "?")
  cpu=$(awk '{print $1+$2}' "$out.time" 2>/dev/null || echo "-")
  per=$(awk -v c="$cpu" -v n="$got" 'BEGIN { if (n > 0) printf "%.2f", c / n * 1e6; else print "-" }')
  printf '%-28s %12s %12s %14s %12s %14s %16s\n' "$(basename "$cap")" "$sent" "${pps% pps}" "$got" "$drops" "$cpu" "$per"
  echo "  ikescope's summary: $out" >&2
done

#!/usr/bin/env bash
# How fast one core empties a full capture buffer, run as root from the
# repository root:
#
#   bash internal/bench/live-drain.sh [CAPTURE BUFFER_KIB]...
#
# tcpreplay cannot send much more than 300 000 packets/s into a veth on the
# project's machine, so internal/bench/live.sh cannot show whether
# `ikescope live` keeps up with more. Here ikescope starts on one end of a
# veth pair (pinned to one core, with -B BUFFER_KIB), is stopped (SIGSTOP),
# tcpreplay writes the whole capture into the other end, and ikescope is
# continued (SIGCONT): the time until it has read and analysed everything
# queued, taken from its CPU time (/proc/PID/stat, in 10 ms ticks) which
# stops growing then, gives the rate. The buffer must hold the capture
# with room to spare: the defaults are 1 GiB for mix-1m and 512 MiB for
# flood-esp, which fill the ring to 36 % and 42 % (365 and 214 MiB). (A
# TPACKET_V3 ring more than three quarters full can lose a packet now and
# then without being full: the kernel's lockless room check in tpacket_rcv
# races with a block being handed over on another CPU. With flood-esp in
# 256 MiB, 84 % full, 1 or 2 of the million were lost in 3 runs of 5.) The
# ring is allocated and zeroed when the capture starts, which takes a
# second or two of system time at these sizes. Nothing leaves the
# namespaces made here; the captures use documentation addresses only.
#
# IKESCOPE_BIN=PATH measures that binary (named ikescope) instead of
# building the working tree's.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=internal/bench/netns.sh
. internal/bench/netns.sh
[ "$(id -u)" = 0 ] || { echo "live drain: must run as root (network namespaces)" >&2; exit 1; }
command -v tcpreplay >/dev/null || { echo "live drain: needs tcpreplay (apt-get install tcpreplay)" >&2; exit 1; }

dir=/tmp/ikescope-bench
mkdir -p "$dir/bin"
bin=${IKESCOPE_BIN:-$dir/bin/ikescope}
[ -n "${IKESCOPE_BIN:-}" ] || CGO_ENABLED=0 go build -o "$bin" ./cmd/ikescope
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  [ -s "$dir/mix-1m.pcap" ] && [ -s "$dir/flood-esp.pcap" ] || bash internal/bench/run.sh -r 1 --no-tshark >/dev/null
  args=("$dir/mix-1m.pcap" 1048576 "$dir/flood-esp.pcap" 524288)
fi

A=ikdrain$$a B=ikdrain$$b
cleanup() {
  [ -z "${tpid:-}" ] || kill -KILL "$tpid" 2>/dev/null || true
  netns_del "$A" "$B"
}
trap cleanup EXIT
veth_pair "$A" "$B" ikd0 ikd1

cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-20s %10s %12s %12s %10s %14s\n' capture buffer_kib ikescope_pkts kernel_drops drain_s pkts_per_s
while [ ${#args[@]} -ge 2 ]; do
  cap=${args[0]} buf=${args[1]}
  args=("${args[@]:2}")
  out="$dir/drain.$(basename "$cap").out"
  : >"$out"
  ip netns exec "$B" taskset -c 1 "$bin" live -i ikd1 --max-sas 100000 -B "$buf" >/dev/null 2>"$out" &
  tpid=$!
  until grep -q "listening on" "$out"; do sleep 0.1; done # the ring is set up and the socket bound
  ik=$tpid # ip netns exec and taskset exec ikescope: same process
  kill -STOP "$ik"
  ip netns exec "$A" taskset -c 0 tcpreplay -i ikd0 --topspeed -K "$cap" >/dev/null 2>&1
  sleep 0.5
  before=$(cputicks "$ik")
  t0=$(date +%s.%N)
  kill -CONT "$ik"
  # Done when the CPU time has not grown for 300 ms.
  last=$before tlast=$t0 still=0
  while [ $still -lt 30 ]; do
    sleep 0.01
    now=$(cputicks "$ik")
    if [ "$now" != "$last" ]; then last=$now tlast=$(date +%s.%N) still=0; else still=$((still + 1)); fi
  done
  kill -INT "$ik"
  wait "$tpid" || true
  got=$(grep -oE '[0-9]+ packets captured' "$out" | grep -oE '^[0-9]+' || echo 0)
  drops=$(grep -oE '[0-9]+ dropped by kernel' "$out" | grep -oE '^[0-9]+' || echo "?")
  secs=$(awk -v a="$t0" -v b="$tlast" 'BEGIN { printf "%.2f", b - a }')
  rate=$(awk -v n="$got" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }')
  printf '%-20s %10s %12s %12s %10s %14s\n' "$(basename "$cap")" "$buf" "$got" "$drops" "$secs" "$rate"
done

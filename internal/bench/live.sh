#!/usr/bin/env bash
# Live capture throughput (issue 12), run as root from the repository root:
#
#   bash internal/bench/live.sh [CAPTURE...]
#   SENDER=blast [PPS="RATE..."] [LOOP=N] bash internal/bench/live.sh [CAPTURE...]
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
# tcpreplay makes a system call per packet and cannot send more than about
# 340 000 packets/s into the veth on the project's machine. SENDER=blast
# sends with internal/bench/cmd/blast instead (sendmmsg, 128 frames a call):
# 383 000 to 456 000 packets/s there with ikescope capturing, 0 drops (562 000
# to 730 000 with the receive work moved off its core and nothing
# capturing). Still not 1 million: the sender's core is full, with the
# kernel's sending path and the receive side's work (below);
# docs/performance.md has the numbers. With SENDER=blast:
#   PPS="RATE..."  the offered rates, in packets/s: one run of each capture
#                  at each rate, 0 meaning as fast as blast can (default 0)
#   LOOP=N         passes over the capture in each run (default 1), for runs
#                  long enough to fill the ring if ikescope falls behind
#   BLAST_ARGS     more flags for blast, e.g. "-method ring -batch 64"
#   IKESCOPE=off   no ikescope on the far end: the sender's own ceiling
#   RX=ikescope    move the veth's receive work to ikescope's core (see
#                  below; needs ethtool)
# and the table also has the send errors (each frame sent again), the
# ring's freezes, the frames the veth refused or dropped (veth_d: with
# RX=ikescope its full queue refuses frames, blast's send errors, so these
# are not losses; compare ikescope_pkts), and how busy each core was while
# sending (with the part spent in softirq in parentheses).
#
# Where the receive side's kernel work runs: the veth hands each frame to
# netif_rx on the sending CPU, and the receive softirq (the packet socket's
# filter, the copy into ikescope's ring, then the IP stack dropping the
# frame, which is not for this host) runs on that CPU too, right after the
# send, inside the sender's system call: core 0. ikescope's core 1 only
# reads the ring. RX=ikescope turns GRO on at the far end and TSO off at
# the near end, so the veth queues frames for NAPI, makes the NAPI poll a
# kernel thread and pins it to core 1: all the receive work is then on
# ikescope's core, as on a gateway whose NIC interrupts land there.
#
# IKESCOPE_BIN=PATH measures that binary (it must be named ikescope) instead
# of building the working tree's, e.g. an older commit's for a comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=internal/bench/netns.sh
. internal/bench/netns.sh
[ "$(id -u)" = 0 ] || { echo "live bench: must run as root (network namespaces)" >&2; exit 1; }
sender=${SENDER:-tcpreplay}
rx=${RX:-sender}
case "$sender" in
  tcpreplay) command -v tcpreplay >/dev/null || { echo "live bench: needs tcpreplay (apt-get install tcpreplay)" >&2; exit 1; } ;;
  blast) ;;
  *) echo "live bench: SENDER must be tcpreplay or blast" >&2; exit 2 ;;
esac
[ "$sender" = blast ] || [ -z "${PPS:-}${LOOP:-}${BLAST_ARGS:-}${IKESCOPE:-}" ] ||
  { echo "live bench: PPS, LOOP, BLAST_ARGS and IKESCOPE need SENDER=blast" >&2; exit 2; }
case "$rx" in
  sender) ;;
  ikescope) command -v ethtool >/dev/null || { echo "live bench: RX=ikescope needs ethtool (apt-get install ethtool)" >&2; exit 1; } ;;
  *) echo "live bench: RX must be sender or ikescope" >&2; exit 2 ;;
esac
read -r -a rates <<<"${PPS:-0}"
loops=${LOOP:-1}
read -r -a blast_args <<<"${BLAST_ARGS:-}"
capture=1
[ "${IKESCOPE:-on}" != off ] || capture=0

dir=/tmp/ikescope-bench
mkdir -p "$dir/bin"
bin=${IKESCOPE_BIN:-$dir/bin/ikescope}
[ -n "${IKESCOPE_BIN:-}" ] || [ $capture = 0 ] || CGO_ENABLED=0 go build -o "$bin" ./cmd/ikescope
[ "$sender" != blast ] || CGO_ENABLED=0 go build -o "$dir/bin/blast" ./internal/bench/cmd/blast
caps=("$@")
if [ ${#caps[@]} -eq 0 ]; then
  [ -s "$dir/mix-1m.pcap" ] && [ -s "$dir/flood-esp.pcap" ] || bash internal/bench/run.sh -r 1 --no-tshark >/dev/null
  caps=("$dir/mix-1m.pcap" "$dir/flood-esp.pcap")
fi

A=ikbench$$a B=ikbench$$b
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  netns_del "$A" "$B"
}
trap cleanup EXIT
veth_pair "$A" "$B" ikb0 ikb1

if [ "$rx" = ikescope ]; then
  # The veth queues frames for NAPI only when the receiving end has GRO
  # on and the sending end has TSO off (or the receiving end forwards UDP
  # GRO, which would merge UDP packets: NAT-T ESP and IKE would then reach
  # ikescope fewer and larger). Threaded NAPI makes the poll a kernel
  # thread, named after the device, that can be pinned.
  ip netns exec "$A" ethtool -K ikb0 tso off
  ip netns exec "$B" ethtool -K ikb1 gro on
  ip netns exec "$B" sh -c 'echo 1 > /sys/class/net/ikb1/threaded'
  napi=$(pgrep -x 'napi/ikb1-[0-9]+')
  [ "$(wc -w <<<"$napi")" = 1 ] || { echo "live bench: no single NAPI thread for ikb1 (found: ${napi:-none})" >&2; exit 1; }
  taskset -pc 1 "$napi" >/dev/null
fi

# cores: how busy cores 0 and 1 were between two /proc/stat snapshots, in
# percent, with the softirq part in parentheses. (Fields: user nice system
# idle iowait irq softirq steal; busy is all but idle, iowait and steal.)
cores() {
  paste <(echo "$1") <(echo "$2") | awk '{
    n = NF / 2; t = 0; for (i = 2; i <= 9; i++) { d[i] = $(n + i) - $i; t += d[i] }
    busy = t - d[5] - d[6] - d[9]
    printf "%s%.0f%%(%.0f)", (NR > 1 ? " " : ""), 100 * busy / t, 100 * d[8] / t }'
}
# vethdrops: packets the veth pair dropped so far (sent by ikb0, received by ikb1).
vethdrops() {
  { ip -s -n "$A" link show ikb0 | awk '/TX:/ { getline; print $4 }'
    ip -s -n "$B" link show ikb1 | awk '/RX:/ { getline; print $4 }'; } | awk '{ s += $1 } END { print s }'
}

if [ "$sender" = tcpreplay ]; then
  printf '%-28s %12s %12s %14s %12s %14s %16s\n' capture sent sent_pps ikescope_pkts kernel_drops ikescope_cpu_s cpu_s_per_mpkt
else
  printf '%-20s %8s %9s %9s %8s %10s %8s %7s %6s %8s %8s %16s\n' capture pps sent sent_pps send_err \
    ikescope_pkts k_drops freezes veth_d ik_cpu_s s_per_mp "core0 core1(si%)"
fi
for cap in "${caps[@]}"; do
  for rate in "${rates[@]}"; do
    out="$dir/live.$(basename "$cap").out"
    pid=
    if [ $capture = 1 ]; then
      : >"$out"
      ip netns exec "$B" taskset -c 1 /usr/bin/time -o "$out.time" -f "%U %S" "$bin" live -i ikb1 --max-sas 100000 >"$out.verdicts" 2>"$out" &
      pid=$!
      pids+=("$pid")
      until grep -q "listening on" "$out"; do sleep 0.1; done
    fi
    d0=$(vethdrops)
    s0=$(grep -E '^cpu[01] ' /proc/stat)
    if [ "$sender" = tcpreplay ]; then
      rep=$(ip netns exec "$A" taskset -c 0 tcpreplay -i ikb0 --topspeed -K "$cap" 2>&1)
    else
      rep=$(ip netns exec "$A" taskset -c 0 "$dir/bin/blast" -i ikb0 -pps "$rate" -loop "$loops" ${blast_args[@]+"${blast_args[@]}"} "$cap" 2>&1) ||
        { echo "$rep" >&2; exit 1; }
    fi
    s1=$(grep -E '^cpu[01] ' /proc/stat)
    got=- drops=- freezes=- cpu=- per=-
    if [ -n "$pid" ]; then
      sleep 2
      pkill -INT -P "$pid" -x ikescope 2>/dev/null || kill -INT "$pid"
      wait "$pid" || true
      got=$(grep -oE '[0-9]+ packets' "$out" | head -1 | grep -oE '[0-9]+' || echo "?")
      drops=$(grep -oE '[0-9]+ dropped by kernel' "$out" | grep -oE '^[0-9]+' | head -1 || echo "?")
      freezes=$(grep -oE 'the ring was full [0-9]+ times' "$out.verdicts" | grep -oE '[0-9]+' || echo 0)
      cpu=$(awk '{print $1+$2}' "$out.time" 2>/dev/null || echo "-")
      per=$(awk -v c="$cpu" -v n="$got" 'BEGIN { if (n > 0) printf "%.2f", c / n * 1e6; else print "-" }')
    fi
    vd=$(($(vethdrops) - d0))
    if [ "$sender" = tcpreplay ]; then
      sent=$(grep -oE 'Actual: [0-9]+ packets' <<<"$rep" | grep -oE '[0-9]+' | head -1)
      pps=$(grep -oE 'Rated: [0-9.]+ Bps, [0-9.]+ Mbps, [0-9.]+ pps' <<<"$rep" | grep -oE '[0-9.]+ pps' | head -1)
      printf '%-28s %12s %12s %14s %12s %14s %16s\n' "$(basename "$cap")" "$sent" "${pps% pps}" "$got" "$drops" "$cpu" "$per"
    else
      sent=$(awk '$1 == "sent:" { print $2 }' <<<"$rep")
      pps=$(awk '$1 == "rate:" { print $2 }' <<<"$rep")
      errs=$(awk '$1 == "errors:" { print $2 }' <<<"$rep")
      printf '%-20s %8s %9s %9s %8s %10s %8s %7s %6s %8s %8s %16s\n' "$(basename "$cap")" "$rate" "$sent" "$pps" "$errs" \
        "$got" "$drops" "$freezes" "$vd" "$cpu" "$per" "$(cores "$s0" "$s1")"
    fi
    [ -z "$pid" ] || echo "  ikescope's summary: $out" >&2
  done
done

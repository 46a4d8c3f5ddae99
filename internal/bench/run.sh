#!/usr/bin/env bash
# Speed and scale benchmark for ikescope analyze (issue 12), run from the
# repository root:
#
#   bash internal/bench/run.sh [-d DIR] [-r RUNS] [--no-tshark] [--big]
#
# Generates deterministic captures in DIR (default /tmp/ikescope-bench; kept,
# so a second run reuses them):
#   mix-1m      1 000 000 packets of mixed IKE, ESP and other traffic (synth)
#   mix-5m      5 000 000 packets of the same mix (with --big), for memory
#               that must stay flat in capture size
#   flood-init  200 000 unanswered IKE_SA_INIT from distinct initiators
#   flood-rtx   one IKE_SA_INIT sent 500 000 times
#   flood-esp   1 000 000 ESP packets over 100 000 SPIs
# then runs, side by side, each RUNS times (default 3) with the file in the
# page cache, and prints the best wall time, its CPU time and the peak RSS:
#   floor       gopacket's DecodingLayerParser over Ethernet/802.1Q/IPv4/IPv6/
#               UDP, reading the file as ikescope does (internal/bench/cmd/floor)
#   ikescope    ikescope analyze (text output to /dev/null)
#   tshark      tshark -2 -R isakmp (when installed; Debian package tshark)
# and the ratios ikescope/floor and tshark/ikescope. Numbers depend on the
# machine: compare runs made on the same one, with nothing else running.
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=/tmp/ikescope-bench
runs=3
tshark=1
big=0
while [ $# -gt 0 ]; do
  case "$1" in
    -d) dir=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    --no-tshark) tshark=0; shift ;;
    --big) big=1; shift ;;
    *) echo "usage: $0 [-d DIR] [-r RUNS] [--no-tshark] [--big]" >&2; exit 2 ;;
  esac
done
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
if [ "$tshark" = 1 ] && ! command -v tshark >/dev/null; then
  echo "bench: tshark not installed (apt-get install tshark): its column is skipped" >&2
  tshark=0
fi

mkdir -p "$dir/bin"
echo "building into $dir/bin" >&2
CGO_ENABLED=0 go build -o "$dir/bin/ikescope" ./cmd/ikescope
go build -o "$dir/bin/floor" ./internal/bench/cmd/floor
go build -o "$dir/bin/synth" ./internal/synth/cmd/synth

gen() { # name, synth arguments...
  local f="$dir/$1.pcap"; shift
  if [ ! -s "$f" ]; then
    echo "writing $f" >&2
    "$dir/bin/synth" "$@" -o "$f.tmp" 2>/dev/null && mv "$f.tmp" "$f"
  fi
}
gen mix-1m -n 1000000
gen flood-init -flood init -n 200000
gen flood-rtx -flood retransmit -n 500000
gen flood-esp -flood esp -n 1000000 -spis 100000
[ "$big" = 1 ] && gen mix-5m -n 5000000

# measure NAME CMD...: best of $runs by wall time; prints "wall user rss_mb".
measure() {
  local best="" out
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$dir/time.out" -f "%e %U %M" "$@" >/dev/null 2>&1 || true
    out=$(tail -1 "$dir/time.out")
    if [ -z "$best" ] || awk -v a="${out%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$out; fi
  done
  awk '{printf "%.3f %.3f %.0f\n", $1, $2, $3/1024}' <<<"$best"
}

printf '%-11s %9s %9s %12s %12s %12s %8s %8s\n' capture packets "MB" floor_s ikescope_s tshark_s "ike/flr" "tsh/ike"
printf '%-11s %9s %9s %12s %12s %12s %8s %8s\n' "" "" "" "(cpu,MB)" "(cpu,MB)" "(cpu,MB)" "" ""
names="mix-1m flood-init flood-rtx flood-esp"
[ "$big" = 1 ] && names="$names mix-5m"
for name in $names; do
  f="$dir/$name.pcap"
  cat "$f" >/dev/null # page cache
  pk=$("$dir/bin/floor" "$f" | awk '{print $1}')
  mb=$(( $(stat -c %s "$f") / 1000000 ))
  read -r fw fu fm < <(measure "$dir/bin/floor" "$f")
  read -r iw iu im < <(measure "$dir/bin/ikescope" analyze "$f")
  tcol="-" ratio2="-"
  if [ "$tshark" = 1 ]; then
    read -r tw tu tm < <(measure tshark -n -2 -R isakmp -r "$f")
    tcol="$tw ($tu,$tm)"
    ratio2=$(awk -v a="$tw" -v b="$iw" 'BEGIN{printf "%.1f", a/b}')
  fi
  ratio=$(awk -v a="$iw" -v b="$fw" 'BEGIN{printf "%.2f", a/b}')
  printf '%-11s %9s %9s %12s %12s %12s %8s %8s\n' "$name" "$pk" "$mb" "$fw ($fu,$fm)" "$iw ($iu,$im)" "$tcol" "$ratio" "$ratio2"
done

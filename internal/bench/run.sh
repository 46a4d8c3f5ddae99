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
# then runs, taking turns, each RUNS times (default 3) with the file in the
# page cache, and prints the best and the median wall time, the CPU time
# (user + system) of the best run and its peak RSS:
#   floor       gopacket's DecodingLayerParser over Ethernet/802.1Q/IPv4/IPv6/
#               UDP, reading the file as ikescope does (internal/bench/cmd/floor)
#   ikescope    ikescope analyze (text output to /dev/null)
#   tshark      tshark -2 -R isakmp (when installed; Debian package tshark)
# (tshark at most 3 times: it is slow), and the ratios ikescope/floor (of
# the best and of the medians) and tshark/ikescope. Numbers depend on the
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

# runall OUT CMD...: one timed run of CMD, appended to OUT as "wall cpu rss_kb".
runall() {
  local out=$1; shift
  /usr/bin/time -a -o "$out" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
}

# summary OUT: "best median cpu_of_best rss_mb" of the runs in OUT.
summary() {
  sort -n "$1" | awk '{w[NR]=$1; c[NR]=$2+$3; m[NR]=$4}
    END{printf "%.3f %.3f %.2f %.0f\n", w[1], w[int((NR+1)/2)], c[1], m[1]/1024}'
}

printf '%-11s %9s %6s  %-22s %-22s %-22s %14s %8s\n' capture packets MB "floor" "ikescope analyze" "tshark -2 -R isakmp" "ike/floor" "tsh/ike"
printf '%-11s %9s %6s  %-22s %-22s %-22s %14s %8s\n' "" "" "" "best/median (cpu,MB)" "best/median (cpu,MB)" "best (cpu,MB)" "best/median" "best"
names="mix-1m flood-init flood-rtx flood-esp"
[ "$big" = 1 ] && names="$names mix-5m"
for name in $names; do
  f="$dir/$name.pcap"
  cat "$f" >/dev/null # page cache
  pk=$("$dir/bin/floor" "$f" | awk '{print $1}')
  mb=$(( $(stat -c %s "$f") / 1000000 ))
  rm -f "$dir/t.floor" "$dir/t.ike" "$dir/t.tshark"
  # The floor and ikescope take turns, so that a busy moment of the
  # machine falls on both alike.
  for _ in $(seq "$runs"); do
    runall "$dir/t.floor" "$dir/bin/floor" "$f"
    runall "$dir/t.ike" "$dir/bin/ikescope" analyze "$f"
  done
  read -r fw fmed fc fm < <(summary "$dir/t.floor")
  read -r iw imed ic im < <(summary "$dir/t.ike")
  tcol="-" ratio2="-"
  if [ "$tshark" = 1 ]; then
    for _ in $(seq "$(( runs < 3 ? runs : 3 ))"); do runall "$dir/t.tshark" tshark -n -2 -R isakmp -r "$f"; done
    read -r tw _ tc tm < <(summary "$dir/t.tshark")
    tcol="$tw ($tc,$tm)"
    ratio2=$(awk -v a="$tw" -v b="$iw" 'BEGIN{printf "%.1f", a/b}')
  fi
  ratio=$(awk -v a="$iw" -v b="$fw" -v c="$imed" -v d="$fmed" 'BEGIN{printf "%.2f/%.2f", a/b, c/d}')
  printf '%-11s %9s %6s  %-22s %-22s %-22s %14s %8s\n' "$name" "$pk" "$mb" "$fw/$fmed ($fc,$fm)" "$iw/$imed ($ic,$im)" "$tcol" "$ratio" "$ratio2"
done

#!/usr/bin/env bash
# gen.sh: record IKE negotiations between two real strongSwan charons (three
# namespaces with a router or NAT in the middle where a scenario needs it),
# with failures induced in the path by nftables, and keep the daemons' logs
# next to each capture.
#
#   bash testdata/gen/gen.sh [-o DIR] [SCENARIO...]    (as root; all when none named)
#   bash testdata/gen/gen.sh -l                        list scenarios
#
# For each scenario it writes DIR/NAME.pcapng (dumpcap), DIR/NAME.pcap (the
# same packets from tcpdump -w), DIR/NAME.initiator.log and
# DIR/NAME.responder.log, and the keys charon logged in
# DIR/NAME.{initiator,responder}.keys.log (DIR defaults to testdata/gen/captures). The
# expectation files (NAME.pcapng.expect.json) are then derived from the logs by
# `go run ./internal/daemonlog/cmd/expect`. Only documentation addresses are
# used, inside namespaces this script creates and deletes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/conf.sh"
. "$HERE/scenarios.sh"

OUT=$HERE/captures
list=no
while getopts "o:l" opt; do
  case $opt in
    o) OUT=$OPTARG ;;
    l) list=yes ;;
    *) echo "usage: gen.sh [-o DIR] [-l] [SCENARIO...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
all=$(declare -F | awk '{print $3}' | sed -n 's/^scn_//p')
if [ "$list" = yes ]; then echo "$all"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "gen.sh: needs root (network namespaces)" >&2; exit 3; }
for cmd in "$CHARON" "$SWANCTL" dumpcap tcpdump nft ip ping perl; do
  command -v "$cmd" >/dev/null || [ -x "$cmd" ] || { echo "gen.sh: $cmd not found (apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins wireshark-common tcpdump nftables iputils-ping)" >&2; exit 3; }
done
mkdir -p "$OUT"
CERTS=${CERTS:-$HERE/certs}
trap 'for n in a b r; do ip netns del "$PFX$n" 2>/dev/null || true; done' EXIT

names=("$@")
# The cipher scenarios of testdata/gen/crypto (scenarios.sh, CRYPTO_SCENARIOS)
# are recorded only when named, into their own directory:
#   sudo bash testdata/gen/gen.sh -o testdata/gen/crypto $CRYPTO_SCENARIOS
[ ${#names[@]} -gt 0 ] || names=($(for n in $all; do case " $CRYPTO_SCENARIOS " in *" $n "*) ;; *) echo "$n" ;; esac; done))
failed=0
for name in "${names[@]}"; do
  declare -F "scn_$name" >/dev/null || { echo "gen.sh: no scenario $name" >&2; exit 2; }
  WORK=$(mktemp -d /tmp/ikescope-gen.XXXXXX)
  conf_defaults
  log "scenario $name"
  start=$(date +%s)
  if ( trap 'finish_scenario' EXIT; set -e; "scn_$name" ); then
    :
  else
    log "scenario $name: script step failed"; failed=1
  fi
  for n in a b r; do ip netns del "$PFX$n" 2>/dev/null || true; done
  # The scenario ran in a subshell: find its capture and logs by path.
  if [ -s "$WORK/capture.pcapng" ]; then
    cp "$WORK/capture.pcapng" "$OUT/$name.pcapng"
    if [ -s "$WORK/capture.pcap" ]; then cp "$WORK/capture.pcap" "$OUT/$name.pcap"; else log "scenario $name: no tcpdump capture"; failed=1; fi
    for side in a b; do
      role=initiator; [ $side = b ] && role=responder
      [ -f "$WORK/$side/charon.log" ] && sed "s#$WORK/##g" "$WORK/$side/charon.log" > "$OUT/$name.$role.log"
      [ -f "$WORK/$side/pluto.log" ] && sed "s#$WORK/##g" "$WORK/$side/pluto.log" > "$OUT/$name.$role.log"
      [ -s "$WORK/$side/keys.log" ] && sed "s#$WORK/##g" "$WORK/$side/keys.log" > "$OUT/$name.$role.keys.log"
    done
    log "scenario $name: $(($(date +%s) - start)) s, $(stat -c %s "$OUT/$name.pcapng") bytes"
  else
    log "scenario $name: no capture"; failed=1
  fi
  rm -rf "$WORK"
done
exit $failed

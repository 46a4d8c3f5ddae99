#!/usr/bin/env bash
# live-e2e.sh IKESCOPE OUTDIR: `ikescope live` on a veth beside real
# strongSwan negotiations (one that succeeds, one that fails on proposals),
# then SIGINT. Writes OUTDIR/live.out (its stdout, each line prefixed with
# the wall-clock time it arrived, in seconds since the epoch), live.err,
# metrics.txt (a scrape of --metrics-addr), marks (what the script did, with times) and both daemons' logs. Run as root;
# the Go test cmd/ikescope/live_strongswan_test.go drives it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/conf.sh"
BIN=$(realpath "$1") OUT=$(realpath "$2")
[ "$(id -u)" = 0 ] || { echo "live-e2e.sh: needs root" >&2; exit 3; }
WORK=$(mktemp -d /tmp/ikescope-live.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
mark() { printf '%s %s\n' "$(date +%s.%3N)" "$*" >> "$OUT/marks"; }
: > "$OUT/marks"

conf_defaults
topo_pair
write_confs
start_charon a; start_charon b
load a; load b

# The capture under test: ikescope live on a's end of the veth. With
# LIVE_KEYS=1 it reads the initiator's charon key log as charon writes it.
KEYARGS=()
[ "${LIVE_KEYS:-0}" = 1 ] && KEYARGS=(--keys "$WORK/a/keys.log")
ip netns exec "$PFX"a "$BIN" live -i a0 -T jsonl --stats 2s --metrics-addr 127.0.0.1:9470 "${KEYARGS[@]}" \
  > >(while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%3N)" "$line"; done > "$OUT/live.out") \
  2> "$OUT/live.err" &
LIVE=$!
PIDS+=("$LIVE")
for _ in $(seq 50); do grep -qs "listening\|capturing" "$OUT/live.err" && break; sleep 0.1; done
sleep 0.5

# 1: IKEv2 success with traffic, then a clean delete.
mark "success: initiate"
swan a --initiate --child net --timeout 20 > "$WORK/init1.out" 2>&1 || true
ping_inner 5
mark "success: terminate"
swan a --terminate --ike gw --timeout 10 > "$WORK/term1.out" 2>&1 || true
mark "success: deleted"
sleep 3

# 2: the responder now wants other IKE proposals: NO_PROPOSAL_CHOSEN.
B_IKE=aes256-sha384-ecp384
write_conf b "$B_ADDR" "%any" "$B_IKE" "$B_ESP" "$B_PSK" 203.0.113.2/32 203.0.113.1/32 203.0.113.12/32 203.0.113.11/32
load b
mark "mismatch: initiate"
swan a --initiate --child net --timeout 10 > "$WORK/init2.out" 2>&1 || true
mark "mismatch: failed"
sleep 3

if [ "${LIVE_KEYS:-0}" = 1 ]; then
  # 3: IKE proposals match again, but the responder wants other ESP: the
  # child SA inside IKE_AUTH is refused with NO_PROPOSAL_CHOSEN, which only
  # the decrypted IKE_AUTH response shows.
  write_conf b "$B_ADDR" "%any" "$A_IKE" aes256gcm16 "$B_PSK" 203.0.113.2/32 203.0.113.1/32 203.0.113.12/32 203.0.113.11/32
  load b
  mark "child refused: initiate"
  swan a --initiate --child net --timeout 10 > "$WORK/init3.out" 2>&1 || true
  mark "child refused: done"
  swan a --terminate --ike gw --timeout 10 > "$WORK/term3.out" 2>&1 || true
  sleep 3
fi

# Prometheus metrics, from inside the namespace (loopback only).
mark "metrics"
ns a curl -sS --max-time 5 http://127.0.0.1:9470/metrics > "$OUT/metrics.txt" 2>&1 || true

mark "sigint"
kill -INT "$LIVE"
wait "$LIVE" || true
mark "live exited"
cp "$WORK/a/charon.log" "$OUT/initiator.log"
cp "$WORK/b/charon.log" "$OUT/responder.log"
[ "${LIVE_KEYS:-0}" = 1 ] && cp "$WORK/a/keys.log" "$OUT/initiator.keys.log"
true

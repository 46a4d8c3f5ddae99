#!/usr/bin/env bash
# Regenerate the tshark reference facts in testdata/tshark/.
#
# Usage: bash testdata/tshark/gen.sh [PCAPDIR]
#   PCAPDIR defaults to ../shared/pcaps relative to the repository root.
#   Every *.pcap, *.pcapng and *.cap below PCAPDIR (recursively) is run through
#   tshark; testdata/tshark/<relative path with / replaced by __>.json is
#   written for each one. Needs tshark and python3 (stdlib only).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pcapdir="${1:-$root/../shared/pcaps}"
pcapdir="$(cd "$pcapdir" && pwd)"

command -v tshark >/dev/null || { echo "gen.sh: tshark not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "gen.sh: python3 not found" >&2; exit 1; }

version="$(tshark --version 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([0-9][0-9.]*\).*/\1/p')"
[ -n "$version" ] || { echo "gen.sh: cannot parse tshark --version" >&2; exit 1; }

# Run with an empty configuration directory so that no personal preferences,
# "Decode As" entries or decryption keys (ESP SAs, IKE keys) are picked up.
cfg="$(mktemp -d)"
trap 'rm -rf "$cfg"' EXIT
export WIRESHARK_CONFIG_DIR="$cfg"

# These are tshark 4.0's defaults, spelled out so the output does not depend
# on them: ISAKMP on UDP 500, UDP 4500 through the RFC 3948 "udpencap"
# dissector (non-ESP marker -> ISAKMP, otherwise ESP, 0xff -> NAT keepalive),
# no ESP decryption and no NULL-cipher heuristic (so nothing is dissected
# inside ESP), IP/IPv6 reassembly on, checksums not verified.
opts=(
  -n
  -d udp.port==500,isakmp
  -d udp.port==4500,udpencap
  -o esp.enable_encryption_decode:FALSE
  -o esp.enable_null_encryption_decode_heuristic:FALSE
  -o esp.enable_authentication_check:FALSE
  -o ip.defragment:TRUE
  -o ipv6.defragment:TRUE
  -o ip.check_checksum:FALSE
  -o udp.check_checksum:FALSE
  -o udp.try_heuristic_first:FALSE
)

tmp="$cfg/out.json"
n=0
while IFS= read -r -d '' cap; do
  rel="${cap#"$pcapdir"/}"
  out="$here/${rel//\//__}.json"
  tshark -r "$cap" "${opts[@]}" -T json >"$tmp" 2>"$cfg/err" || {
    # tshark exits non-zero on a truncated last packet; keep what it printed.
    echo "gen.sh: tshark exited $? on $rel: $(grep -v 'Running as user' "$cfg/err" | head -1)" >&2
  }
  python3 "$here/facts.py" "$rel" "$version" <"$tmp" >"$out.tmp"
  mv "$out.tmp" "$out"
  python3 - "$out" "$rel" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ike = sum(1 for f in d["frames"] if "ike" in f)
esp = sum(1 for f in d["frames"] if "esp" in f)
print("%-60s ike=%-4d esp=%d" % (sys.argv[2], ike, esp))
EOF
  n=$((n + 1))
done < <(find "$pcapdir" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | LC_ALL=C sort -z)

echo "gen.sh: $n captures, tshark $version" >&2

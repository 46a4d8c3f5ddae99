#!/usr/bin/env bash
# early.sh: a second, independent set of captures in testdata/gen/early, made
# the way users often make them: with slower retransmission timers (2 s x
# 1.8^n, 5 retries, close to strongSwan's defaults of 4 s x 1.8^n) the
# scenarios stop recording while the daemons are still retransmitting, long
# before they give up. Verdicts must come from the evidence in the packets
# (the unanswered retransmissions), not from a give-up or an end marker.
#
#   bash testdata/gen/early.sh            (as root; about 10 minutes)
#   go run ./internal/daemonlog/cmd/genexpect testdata/gen/early
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RETRANSMIT_TIMEOUT=2 RETRANSMIT_BASE=1.8 RETRANSMIT_TRIES=5 exec bash "$HERE/gen.sh" -o "$HERE/early" \
  v1_no_response v2_no_response v1_mm_stall v2_auth_stall v1_qm_no_answer v2_child_no_answer v1_qm_stall \
  v1_psk_mismatch v1_dead_peer v2_dead_peer v1_cert_frags_lost v2_cert_frags_lost v1_libreswan_psk_mismatch \
  v1_libreswan_ikev1_dropped v1_peer_delete_pending v1_local_delete_pending v2_peer_delete_pending \
  v2_local_abandon v1_success v2_success v2_psk_mismatch v1_proposal_mismatch

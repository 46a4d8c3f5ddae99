# scenarios.sh: one function per scenario (scn_NAME). Sourced by gen.sh.
# Each builds a topology, sets the configuration variables of conf.sh, starts
# both charons and the capture (up), then drives the negotiation and the
# faults. Timers: retransmissions at 1 s x 1.4^n, 3 retries, so a request
# is given up about 7 s after it was first sent (lib.sh).
#
# IKE header fields for drop_ike (bit offsets from the header start):
# next payload HDR+128, exchange type (matched by drop_ike), flags HDR+152
# (IKEv1 E 0x01; IKEv2 I 0x08, R 0x20).

# up: configurations, daemons, capture.
up() {
  write_confs
  start_charon a; start_charon b
  load a; load b
  start_capture
}

# initiate [CHILD [TIMEOUT]]: a starts a child SA (and with it the IKE SA);
# swanctl waits until it is up or has failed.
initiate() {
  swan a --initiate --child "${1:-net}" --timeout "${2:-30}" >>"$WORK/a/initiate.out" 2>&1 || true
}

terminate_ike() { swan "${1:-a}" --terminate --ike gw --timeout 10 >>"$WORK/${1:-a}/terminate.out" 2>&1 || true; }

# quiet SECONDS: let the capture run on after the daemons gave up, so the
# silence that follows the last retransmission is part of the record.
quiet() { sleep "${1:-8}"; }

success() { initiate; ping_inner 10; terminate_ike a; sleep 0.5; }

# --- success ---------------------------------------------------------------
scn_v1_success() { VERSION=1; topo_pair; up; success; }
scn_v2_success() { topo_pair; up; success; }
scn_v1_aggressive() { VERSION=1 AGGRESSIVE=yes; topo_pair; up; success; }

# --- no answer at all: the responder never sees anything ----------------------
scn_v1_no_response() { VERSION=1; topo_pair; up; drop_all b b0 in; initiate; quiet; }
scn_v2_no_response() { topo_pair; up; drop_all b b0 in; initiate; quiet; }

# --- phase 1 answered, then stalled ----------------------------------------
# IKEv1: the responder's MM4 (first payload KE) never reaches the initiator.
scn_v1_mm_stall() { VERSION=1; topo_pair; up; drop_ike b b0 out 2 '@th,HDR+128,8 4'; initiate; quiet; }
# IKEv2: the IKE_AUTH response is lost.
scn_v2_auth_stall() { topo_pair; up; drop_ike b b0 out 35 '@th,HDR+152,8 & 0x20 == 0x20'; initiate; quiet; }

# --- phase 2 request never answered ------------------------------------------
scn_v1_qm_no_answer() { VERSION=1; topo_pair; up; drop_ike b b0 in 32; initiate; quiet; }
scn_v2_child_no_answer() {
  EXTRA_CHILD=yes; topo_pair; up
  initiate net; ping_inner 2
  drop_ike b b0 in 36; initiate extra; quiet
}

# --- phase 2 answered but not completed: QM3 never reaches the responder ----
scn_v1_qm_stall() { VERSION=1; topo_pair; up; drop_ike b b0 in 32 'udp length < 120'; initiate; quiet; }

# --- teardown by SIDE while phase 2 is pending ---------------------------------
# The phase-2 request never reaches the responder; after 2 s SIDE deletes
# the IKE SA.
delete_pending() {
  local side=$1
  if [ "$VERSION" = 1 ]; then
    topo_pair; up; drop_ike b b0 in 32
    swan a --initiate --child net --timeout 2 >>"$WORK/a/initiate.out" 2>&1 || true
  else
    EXTRA_CHILD=yes; topo_pair; up
    initiate net; ping_inner 2
    drop_ike b b0 in 36
    swan a --initiate --child extra --timeout 2 >>"$WORK/a/initiate.out" 2>&1 || true
  fi
  terminate_ike "$side"; quiet 3
}
scn_v1_local_delete_pending() { VERSION=1; delete_pending a; }
# IKEv2: charon queues the Delete behind the pending CREATE_CHILD_SA (one
# request at a time), so this teardown ends as a timeout (qm_acquire_drop).
scn_v2_local_delete_pending() { delete_pending a; }

# The local side abandons a phase 1 that gets no answer and starts afresh.
scn_v2_local_abandon() {
  topo_pair; up; drop_all b b0 in
  swan a --initiate --child net --timeout 2 >>"$WORK/a/initiate.out" 2>&1 || true
  swan a --terminate --ike gw --force --timeout 2 >>"$WORK/a/terminate.out" 2>&1 || true
  initiate; quiet
}

# --- peer delete while phase 2 is pending --------------------------------------
scn_v1_peer_delete_pending() { VERSION=1; delete_pending b; }
scn_v2_peer_delete_pending() { delete_pending b; }

# --- proposals that do not intersect ----------------------------------------
scn_v1_proposal_mismatch() { VERSION=1 B_IKE=aes256-sha384-ecp384; topo_pair; up; initiate; quiet 3; }
scn_v2_proposal_mismatch() { B_IKE=aes256-sha384-ecp384; topo_pair; up; initiate; quiet 3; }
scn_v2_child_proposal_mismatch() { B_ESP=aes256gcm16; topo_pair; up; initiate; quiet 3; }

# --- pre-shared keys differ ---------------------------------------------------
scn_v1_psk_mismatch() { VERSION=1 B_PSK=another-secret-entirely; topo_pair; up; initiate; quiet; }
scn_v2_psk_mismatch() { B_PSK=another-secret-entirely; topo_pair; up; initiate; quiet 3; }

# --- NAT traversal through a masquerading router ------------------------------
scn_v1_natt() { VERSION=1; topo_nat; up; success; }
scn_v2_natt() { topo_nat; up; success; }

# --- rekeys with short lifetimes ----------------------------------------------
scn_v1_rekey() { VERSION=1 CHILD_REKEY=4s IKE_REKEY=9s IKE_OVER=5s; topo_pair; up; initiate; ping_inner 70; terminate_ike a; sleep 0.5; }
scn_v2_rekey() { CHILD_REKEY=4s IKE_REKEY=9s IKE_OVER=5s; topo_pair; up; initiate; ping_inner 70; terminate_ike a; sleep 0.5; }

# --- lifetime reached without a rekey ----------------------------------------
# IKEv1 carries the phase-1 lifetime in the clear (main mode SA payload). The
# initiator's reauthentication (a new main mode) is dropped on the way, so the
# old IKE SA runs into its lifetime (reauth_time + over_time) unrenewed.
scn_v1_ike_expiry() {
  VERSION=1 IKE_REAUTH=5s IKE_OVER=4s; topo_pair; up
  initiate; drop_ike b b0 in 2; ping_inner 60; quiet 3
}

# --- dead peer: everything lost both ways after establishment --------------
scn_v1_dead_peer() { VERSION=1 DPD_DELAY=2s DPD_TIMEOUT=8s; topo_pair; up; initiate; ping_inner 3; drop_all b b0 in; drop_all b b0 out; quiet 18; }
scn_v2_dead_peer() { DPD_DELAY=2s; topo_pair; up; initiate; ping_inner 3; drop_all b b0 in; drop_all b b0 out; quiet 18; }

# --- certificates: IP-fragmented IKE messages whose later fragments are lost ---
# The router drops every IPv4 fragment but the first; the capture is taken at
# the responder, which sees only the first fragment of each large message.
frag_lost() {
  AUTH=pubkey; make_certs "$CERTS"; topo_routed; CAP_NS=b CAP_IF=b0; up
  nft_drop r r0 in ip frag-off '& 0x1fff != 0'
  initiate; quiet
}
scn_v1_cert_frags_lost() { VERSION=1; frag_lost; }
scn_v2_cert_frags_lost() { frag_lost; }

# --- IKEv2 fragmentation (RFC 7383) with certificates -------------------------
scn_v2_ikefrag() { AUTH=pubkey FRAGMENTATION=yes FRAGMENT_SIZE=600; make_certs "$CERTS"; topo_pair; up; success; }

# --- libreswan's pluto as the responder (strongSwan initiates) --------------
# A second implementation: its own retransmissions, notifies and vendor IDs.
# pluto has no user-space ESP and this kernel may have none, so only phase 1
# is guaranteed; what happens to the child is whatever pluto logs.
up_pluto() {
  get_libreswan
  write_conf a "$A_ADDR" "$B_ADDR" "$A_IKE" "$A_ESP" "$A_PSK" 203.0.113.1/32 203.0.113.2/32 203.0.113.11/32 203.0.113.12/32
  pluto_conf b "$B_ADDR" "%any" "$B_PLUTO_IKE" "$B_PLUTO_ESP" "$B_PSK" 203.0.113.2/32 203.0.113.1/32
  start_charon a; start_pluto b
  load a
  start_capture
}
pluto_defaults() { B_PLUTO_IKE=aes128-sha2_256\;modp2048 B_PLUTO_ESP=aes128-sha2_256; }
# The child SA cannot be installed without kernel ESP: pluto answers
# IKE_AUTH with TS_UNACCEPTABLE (inside the encrypted response) and the IKE
# SA alone comes up.
scn_v2_libreswan_child_refused() { pluto_defaults; topo_pair; up_pluto; initiate; ping_inner 3; terminate_ike a; sleep 0.5; }
# libreswan 4 drops IKEv1 silently unless ikev1-policy=accept: no_response.
scn_v1_libreswan_ikev1_dropped() { VERSION=1 IKEV1_POLICY=drop; pluto_defaults; topo_pair; up_pluto; initiate; quiet; }
scn_v1_libreswan_main() { VERSION=1; pluto_defaults; topo_pair; up_pluto; initiate; ping_inner 3; terminate_ike a; sleep 0.5; }
scn_v1_libreswan_psk_mismatch() { VERSION=1 B_PSK=another-secret-entirely; pluto_defaults; topo_pair; up_pluto; initiate; quiet; }
scn_v2_libreswan_psk_mismatch() { B_PSK=another-secret-entirely; pluto_defaults; topo_pair; up_pluto; initiate; quiet 3; }
scn_v2_libreswan_proposal_mismatch() { pluto_defaults; B_PLUTO_IKE=aes256-sha2_384\\;ecp384; topo_pair; up_pluto; initiate; quiet 3; }

# --- a child SA reaching its lifetime without a rekey ---------------------------
# rekey_time 0 turns rekeying off: at its 6 s life_time charon deletes the
# child SA and the traffic it carried stops. The phase-2 lifetime travels
# only inside the encrypted quick mode, so without keys the wire cannot say
# it was the lifetime (wire-limits.tsv); with --child-lifetime 6s it can.
scn_v1_child_expiry() { VERSION=1 CHILD_REKEY=0s CHILD_LIFE=6s; topo_pair; up; initiate; ping_inner 45; quiet 3; }

# --- other ciphers, for decryption with --keys ------------------------------
# Recorded into testdata/gen/crypto, only when named (gen.sh -o
# testdata/gen/crypto $CRYPTO_SCENARIOS): the decrypt tests check every
# cipher ikescope decrypts against a real charon, and ESP decryption.
CRYPTO_SCENARIOS="v2_aes_gcm16 v2_aes_gcm12 v2_aes_gcm8 v2_chacha20poly1305 v2_3des_sha1 v2_aes256_sha512 v1_3des_sha1 v1_aes256_sha384 v1_aes192_md5 v2_smb_reset"
scn_v2_aes_gcm16() { A_IKE=aes256gcm16-prfsha384-ecp384 B_IKE=aes256gcm16-prfsha384-ecp384; A_ESP=aes256gcm16 B_ESP=aes256gcm16; topo_pair; up; success; }
scn_v2_aes_gcm12() { A_IKE=aes192gcm12-prfsha256-modp2048 B_IKE=aes192gcm12-prfsha256-modp2048; topo_pair; up; success; }
scn_v2_aes_gcm8() { A_IKE=aes128gcm8-prfsha256-modp2048 B_IKE=aes128gcm8-prfsha256-modp2048; topo_pair; up; success; }
scn_v2_chacha20poly1305() { A_IKE=chacha20poly1305-prfsha256-x25519 B_IKE=chacha20poly1305-prfsha256-x25519; topo_pair; up; success; }
scn_v2_3des_sha1() { A_IKE=3des-sha1-modp2048 B_IKE=3des-sha1-modp2048; topo_pair; up; success; }
scn_v2_aes256_sha512() { A_IKE=aes256-sha512-modp2048 B_IKE=aes256-sha512-modp2048; topo_pair; up; success; }
scn_v1_3des_sha1() { VERSION=1; A_IKE=3des-sha1-modp2048 B_IKE=3des-sha1-modp2048; topo_pair; up; success; }
scn_v1_aes256_sha384() { VERSION=1; A_IKE=aes256-sha384-modp2048 B_IKE=aes256-sha384-modp2048; topo_pair; up; success; }
scn_v1_aes192_md5() { VERSION=1; A_IKE=aes192-md5-modp2048 B_IKE=aes192-md5-modp2048; topo_pair; up; success; }
# SMB over the tunnel reset (KB2503010 on the wire): nothing listens on TCP
# 445 behind b, so its kernel answers the SYN with a RST, inside ESP; only
# ESP decryption (--keys with the child SA keys) can see it.
scn_v2_smb_reset() {
  topo_pair; up; initiate; ping_inner 3
  ns a timeout 3 bash -c 'exec 3<>/dev/tcp/203.0.113.2/445' >/dev/null 2>&1 || true
  ping_inner 2; terminate_ike a; sleep 0.5
}

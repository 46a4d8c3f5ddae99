# conf.sh: swanctl.conf for the two charons of a scenario. Sourced by gen.sh.
# Settings come from variables a scenario sets before calling write_confs:
#   VERSION 1|2, AGGRESSIVE yes|no, A_IKE/B_IKE and A_ESP/B_ESP proposals,
#   A_PSK/B_PSK, AUTH psk|pubkey, DPD_DELAY, IKE_REKEY, IKE_LIFE (rekey_time,
#   over_time), CHILD_REKEY, CHILD_LIFE, FRAGMENTATION, START_ACTION (of a).

conf_defaults() {
  VERSION=2 AGGRESSIVE=no AUTH=psk
  A_IKE=aes128-sha256-modp2048 B_IKE=aes128-sha256-modp2048
  A_ESP=aes128-sha256 B_ESP=aes128-sha256
  A_PSK=ikescope-test-psk-0123456789 B_PSK=ikescope-test-psk-0123456789
  DPD_DELAY=0s IKE_REKEY=0s IKE_REAUTH=0s IKE_OVER=10m CHILD_REKEY=0s CHILD_LIFE=0s
  FRAGMENTATION=no KEYINGTRIES=1 EXTRA_CHILD=no DPD_TIMEOUT=150s
}

# write_conf SIDE LOCAL REMOTE IKEPROP ESPPROP PSK LOCAL_TS REMOTE_TS
write_conf() {
  local side=$1 me=$2 peer=$3 ike=$4 esp=$5 psk=$6 lts=$7 rts=$8
  local dir=$WORK/$side/swanctl auth_block
  mkdir -p "$dir"
  if [ "$AUTH" = pubkey ]; then
    auth_block="local { auth = pubkey
        certs = $side.crt
        id = $side.ikescope.example }
      remote { auth = pubkey
        id = %any }"
  else
    auth_block="local { auth = psk
        id = $side.ikescope.example }
      remote { auth = psk
        id = %any }"
  fi
  local life_line="" extra=""
  [ "$CHILD_LIFE" != 0s ] && life_line="life_time = $CHILD_LIFE"
  if [ "$EXTRA_CHILD" = yes ]; then
    # A second child SA, started on its own after the first (phase 2 alone).
    extra="extra {
        local_ts = $9
        remote_ts = ${10}
        esp_proposals = $esp
        mode = tunnel
      }"
  fi
  cat > "$dir/swanctl.conf" <<CONF
connections {
  gw {
    version = $VERSION
    aggressive = $AGGRESSIVE
    local_addrs = $me
    remote_addrs = $peer
    proposals = $ike
    rekey_time = $IKE_REKEY
    reauth_time = $IKE_REAUTH
    over_time = $IKE_OVER
    dpd_delay = $DPD_DELAY
    dpd_timeout = $DPD_TIMEOUT
    fragmentation = $FRAGMENTATION
    keyingtries = $KEYINGTRIES
    $auth_block
    children {
      net {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = $esp
        rekey_time = $CHILD_REKEY
        $life_line
        mode = tunnel
        dpd_action = clear
      }
      $extra
    }
  }
}
secrets {
  ike-gw {
    id-a = a.ikescope.example
    id-b = b.ikescope.example
    secret = "$psk"
  }
}
CONF
  if [ "$AUTH" = pubkey ]; then
    mkdir -p "$dir/x509" "$dir/x509ca" "$dir/private"
    cp "$CERTS/ca.crt" "$dir/x509ca/"
    cp "$CERTS/$side.crt" "$dir/x509/"
    cp "$CERTS/$side.key" "$dir/private/"
  fi
}

write_confs() {
  write_conf a "$A_ADDR" "$B_ADDR" "$A_IKE" "$A_ESP" "$A_PSK" 203.0.113.1/32 203.0.113.2/32 203.0.113.11/32 203.0.113.12/32
  write_conf b "$B_ADDR" "%any" "$B_IKE" "$B_ESP" "$B_PSK" 203.0.113.2/32 203.0.113.1/32 203.0.113.12/32 203.0.113.11/32
}

# make_certs DIR: a CA and two 4096-bit RSA certificates with long names, so
# that certificate-authenticated IKE messages exceed the MTU.
make_certs() {
  local d=$1
  [ -f "$d/b.crt" ] && return 0
  mkdir -p "$d"
  ( cd "$d"
    pki --gen --type rsa --size 4096 --outform pem > ca.key
    pki --self --ca --lifetime 3650 --in ca.key --type rsa --outform pem \
      --dn "C=ZZ, O=ikescope test CA, OU=generated for ikescope testdata, CN=ikescope test root certification authority" > ca.crt
    for s in a b; do
      pki --gen --type rsa --size 4096 --outform pem > $s.key
      pki --pub --in $s.key --type rsa | pki --issue --lifetime 3650 --cacert ca.crt --cakey ca.key \
        --dn "C=ZZ, O=ikescope test, OU=generated for ikescope testdata, CN=$s.ikescope.example" \
        --san $s.ikescope.example --outform pem > $s.crt
    done )
}

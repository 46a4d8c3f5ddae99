# lib.sh: network namespaces, charon instances, captures and path faults for
# testdata/gen/gen.sh. Sourced, not run. Every address used here is a
# documentation address (RFC 5737): 192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24. Nothing leaves the namespaces this file creates.

CHARON=${CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${SWANCTL:-swanctl}
PFX=${PFX:-iks$$}          # namespace prefix, unique per run (set PFX to override)
PIDS=()                    # processes we started, ended by PID in cleanup
NSS=()                     # namespaces we created

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  PIDS=()
  for p in "${NSS[@]}"; do ip netns del "$p" 2>/dev/null || true; done
  NSS=()
}

ns() { local n=$1; shift; ip netns exec "$PFX$n" "$@"; }

mkns() {
  ip netns add "$PFX$1"
  NSS+=("$PFX$1")
  ns "$1" ip link set lo up
  ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# link NS1 IF1 NS2 IF2: a veth pair between two namespaces.
link() {
  ip link add "$2" netns "$PFX$1" type veth peer name "$4" netns "$PFX$3"
  ns "$1" ip link set "$2" up
  ns "$3" ip link set "$4" up
}

# topo_pair: initiator a (192.0.2.1) and responder b (192.0.2.2) on one link.
# The protected hosts are 203.0.113.1 (behind a) and 203.0.113.2 (behind b).
topo_pair() {
  mkns a; mkns b
  link a a0 b b0
  ns a ip addr add 192.0.2.1/24 dev a0
  ns b ip addr add 192.0.2.2/24 dev b0
  ns a ip addr add 203.0.113.1/32 dev lo
  ns b ip addr add 203.0.113.2/32 dev lo
  A_ADDR=192.0.2.1 B_ADDR=192.0.2.2 CAP_NS=a CAP_IF=a0
}

# topo_three: a (192.0.2.1), router r (192.0.2.254 / 198.51.100.254) and
# b (198.51.100.1); a routes to b's network through r.
topo_three() {
  mkns a; mkns r; mkns b
  link a a0 r r0
  link r r1 b b0
  ns a ip addr add 192.0.2.1/24 dev a0
  ns r ip addr add 192.0.2.254/24 dev r0
  ns r ip addr add 198.51.100.254/24 dev r1
  ns b ip addr add 198.51.100.1/24 dev b0
  ns a ip route add 198.51.100.0/24 via 192.0.2.254
  ns r sysctl -qw net.ipv4.ip_forward=1
  ns a ip addr add 203.0.113.1/32 dev lo
  ns b ip addr add 203.0.113.2/32 dev lo
  A_ADDR=192.0.2.1 B_ADDR=198.51.100.1 CAP_NS=a CAP_IF=a0
}

# topo_nat: a behind router r, which masquerades it to 198.51.100.254.
topo_nat() {
  topo_three
  ns r nft -f - <<'NFT'
table ip nat {
  chain post { type nat hook postrouting priority srcnat; oifname "r1" masquerade; }
}
NFT
}

# topo_routed: r forwards between 192.0.2.0/24 and 198.51.100.0/24 without
# NAT, so faults can sit in the middle of the path.
topo_routed() {
  topo_three
  ns b ip route add 192.0.2.0/24 via 198.51.100.254
}

# charon_conf SIDE DIR: strongswan.conf for one charon. Short retransmission
# timers (1 s x 1.4^n, 3 retries: gives up after about 7 s) keep runs short.
charon_conf() {
  local side=$1 dir=$2
  cat > "$dir/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce aes sha1 sha2 md5 hmac gcm pem pkcs1 pkcs8 kdf x509 pubkey gmp curve25519 openssl constraints revocation kernel-libipsec kernel-netlink socket-default vici updown
  retransmit_timeout = ${RETRANSMIT_TIMEOUT:-1.0}
  retransmit_base = ${RETRANSMIT_BASE:-1.4}
  retransmit_tries = ${RETRANSMIT_TRIES:-3}
  install_virtual_ip = no
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  close_ike_on_child_failure = ${CLOSE_IKE_ON_CHILD_FAILURE:-no}
  fragment_size = ${FRAGMENT_SIZE:-1280}
  plugins {
    vici { socket = unix://$dir/charon.vici }
    kernel-libipsec { allow_peer_ts = yes }
  }
  filelog {
    charon {
      path = $dir/charon.log
      time_format = %Y-%m-%dT%H:%M:%S
      time_add_ms = yes
      ike_name = yes
      append = no
      default = 1
      ike = 2
      net = 1
      cfg = 1
      knl = 0
    }
    # Keys as charon logs them (IKE and child SA keys are logged at level 4),
    # so that the encrypted payloads of the capture can be read (--keys).
    keys {
      path = $dir/keys.log
      time_format = %Y-%m-%dT%H:%M:%S
      time_add_ms = yes
      ike_name = yes
      append = no
      default = -1
      ike = 4
      chd = 4
      # Line by line, so that ikescope live --keys reads the keys before
      # the message they encrypt arrives.
      flush_line = yes
    }
  }
  syslog { daemon { default = -1 } }
}
CONF
}

# start_charon SIDE: runs charon in namespace SIDE with its own /run.
start_charon() {
  local side=$1 dir=$WORK/$1
  mkdir -p "$dir"
  charon_conf "$side" "$dir"
  ip netns exec "$PFX$side" unshare -m sh -c \
    "mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF=$dir/strongswan.conf $CHARON" \
    >"$dir/charon.stdout" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    [ -S "$dir/charon.vici" ] && break
    sleep 0.05
  done
  [ -S "$dir/charon.vici" ] || { log "charon on $side did not start"; cat "$dir/charon.stdout" >&2; return 1; }
}

# swan SIDE ARGS...: swanctl against charon on SIDE.
swan() {
  local side=$1 cmd=$2; shift 2
  ns "$side" env SWANCTL_DIR="$WORK/$side/swanctl" "$SWANCTL" "$cmd" --uri "unix://$WORK/$side/charon.vici" "$@"
}

# load SIDE: load $WORK/SIDE/swanctl.conf (and certificates, if any).
load() {
  swan "$1" --load-all --noprompt --file "$WORK/$1/swanctl/swanctl.conf" >"$WORK/$1/load.out" 2>&1 ||
    { cat "$WORK/$1/load.out" >&2; return 1; }
}

# start_capture: two recordings of the same interface at once, as users make
# them: dumpcap writes $WORK/capture.pcapng (and ends the file with interface
# statistics whose isb_endtime says when the capture stopped); tcpdump -w
# writes $WORK/capture.pcap, plain pcap with no end-of-capture marker. The
# verdicts must not depend on which one is read.
start_capture() {
  # SIGINT is ignored in a script's background jobs; perl restores its
  # default so that dumpcap can be stopped as by Ctrl-C (see stop_capture).
  ip netns exec "$PFX$CAP_NS" perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
    dumpcap -q -i "$CAP_IF" -w "$WORK/capture.pcapng" >"$WORK/dumpcap.out" 2>&1 &
  PIDS+=($!)
  CAP_PID=$!
  ip netns exec "$PFX$CAP_NS" tcpdump --immediate-mode -n -U -s 0 -i "$CAP_IF" -w "$WORK/capture.pcap" >"$WORK/tcpdump.out" 2>&1 &
  PIDS+=($!)
  TCPDUMP_PID=$!
  for _ in $(seq 100); do grep -qs "Capturing on" "$WORK/dumpcap.out" && break; sleep 0.05; done
  for _ in $(seq 100); do grep -qs "listening on" "$WORK/tcpdump.out" && break; sleep 0.05; done
  sleep 0.2
}

# finish_scenario: stop the capture and the daemons (runs on the scenario's exit).
finish_scenario() {
  [ -n "${CAP_PID:-}" ] && stop_capture
  cleanup
}

stop_capture() {
  sleep 0.3
  # SIGINT, as Ctrl-C: dumpcap reads what the kernel still holds and closes
  # the file with its statistics block (on TERM it loses its last batch of
  # packets). tcpdump --immediate-mode has written every packet already.
  kill -INT "$CAP_PID" 2>/dev/null || true
  kill -TERM "$TCPDUMP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  wait "$TCPDUMP_PID" 2>/dev/null || true
  CAP_PID= TCPDUMP_PID=
}

# ping_inner: traffic between the protected hosts (through ESP once up).
ping_inner() { ns a ping -q -c "${1:-5}" -i 0.2 -W 1 -I 203.0.113.1 203.0.113.2 >/dev/null 2>&1 || true; }

# nft_drop NS DEV in|out EXPR...: drop packets matching EXPR on device DEV
# of namespace NS, at its ingress (a netdev hook: it sees IP fragments before
# reassembly, and runs after the capture taps of that device, so a capture on
# the sending side still shows what was sent) or at its egress (the packet
# never reaches the wire).
nft_drop() {
  local n=$1 dev=$2 dir=$3 hook=ingress; shift 3
  [ "$dir" = out ] && hook=egress
  ns "$n" nft list table netdev fault >/dev/null 2>&1 ||
    ns "$n" nft add table netdev fault
  ns "$n" nft list chain netdev fault "${dir}_$dev" >/dev/null 2>&1 ||
    ns "$n" nft add chain netdev fault "${dir}_$dev" "{ type filter hook $hook device \"$dev\" priority 0; }"
  ns "$n" nft add rule netdev fault "${dir}_$dev" "$@" counter drop
}

# drop_ike NS DEV in|out EXCH [MATCH...]: drop IKE messages of exchange type
# EXCH on UDP 500 and 4500 (after the non-ESP marker). In MATCH, HDR+N is the
# bit offset N within the IKE header, e.g. '@th,HDR+152,8 & 0x20 == 0x20'
# (IKEv2 response flag) or '@th,HDR+128,8 4' (first payload KE).
drop_ike() {
  local n=$1 dev=$2 dir=$3 exch=$4; shift 4
  local m500 m4500
  m500=$(printf '%s ' "$@" | perl -pe 's/HDR\+(\d+)/64+$1/ge')
  m4500=$(printf '%s ' "$@" | perl -pe 's/HDR\+(\d+)/96+$1/ge')
  # shellcheck disable=SC2086
  nft_drop "$n" "$dev" "$dir" udp dport 500 @th,208,8 "$exch" $m500
  # shellcheck disable=SC2086
  nft_drop "$n" "$dev" "$dir" udp dport 4500 @th,64,32 0 @th,240,8 "$exch" $m4500
}

# drop_all NS DEV in|out: drop all IKE and ESP-in-UDP on DEV.
drop_all() {
  nft_drop "$1" "$2" "$3" udp dport '{ 500, 4500 }'
  nft_drop "$1" "$2" "$3" udp sport '{ 500, 4500 }'
}


# --- libreswan ------------------------------------------------------------
# Debian's libreswan package conflicts with strongSwan's, so pluto is not
# installed: its .deb is unpacked into LIBRESWAN (get_libreswan) and run from
# there, in its own mount namespace where /usr/libexec/ipsec points at it.
# The libraries it needs (libnss3-tools, libunbound8, libldns3, ...) install
# alongside strongSwan without conflict.
LIBRESWAN=${LIBRESWAN:-/var/cache/ikescope-libreswan}

get_libreswan() {
  command -v certutil >/dev/null || { log "certutil not found (apt-get install libnss3-tools)"; return 1; }
  [ -x "$LIBRESWAN/usr/libexec/ipsec/pluto" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  ( cd "$tmp" && apt-get download libreswan >/dev/null 2>&1 ) || { log "cannot download libreswan"; rm -rf "$tmp"; return 1; }
  mkdir -p "$LIBRESWAN"
  dpkg-deb -x "$tmp"/libreswan_*.deb "$LIBRESWAN"
  rm -rf "$tmp"
}

# pluto_conf SIDE ME PEER IKE ESP PSK LTS RTS: ipsec.conf and secrets.
pluto_conf() {
  local side=$1 me=$2 peer=$3 ike=$4 esp=$5 psk=$6 lts=$7 rts=$8 dir=$WORK/$1 ver=insist
  [ "$VERSION" = 1 ] && ver=no
  mkdir -p "$dir/nss"
  certutil -N -d "sql:$dir/nss" --empty-password >/dev/null 2>&1
  cat > "$dir/ipsec.conf" <<CONF
config setup
    logfile=$dir/pluto.log
    logtime=yes
    logappend=no
    plutodebug=none
    ikev1-policy=${IKEV1_POLICY:-accept}

conn gw
    left=$me
    leftid=@$side.ikescope.example
    right=$peer
    rightid=@$( [ "$side" = a ] && echo b || echo a ).ikescope.example
    authby=secret
    ikev2=$ver
    ike=$ike
    esp=$esp
    leftsubnet=$lts
    rightsubnet=$rts
    retransmit-timeout=8s
    retransmit-interval=1000
    auto=add
CONF
  printf '@%s.ikescope.example @%s.ikescope.example : PSK "%s"\n' b a "$psk" > "$dir/ipsec.secrets"
}

# start_pluto SIDE: libreswan's pluto in namespace SIDE (configured by pluto_conf).
start_pluto() {
  local side=$1 dir=$WORK/$1
  ip netns exec "$PFX$side" unshare -m sh -c \
    "mount -t tmpfs tmpfs /run && mkdir -p /run/pluto &&
     mount -t tmpfs tmpfs /usr/libexec && mkdir /usr/libexec/ipsec &&
     mount --bind $LIBRESWAN/usr/libexec/ipsec /usr/libexec/ipsec &&
     exec $LIBRESWAN/usr/libexec/ipsec/pluto --config $dir/ipsec.conf --secretsfile $dir/ipsec.secrets \
       --nssdir $dir/nss --rundir /run/pluto --nofork" >"$dir/pluto.stdout" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -qs "listening for IKE messages" "$dir/pluto.log" && break; sleep 0.05; done
  grep -qs "listening for IKE messages" "$dir/pluto.log" || { log "pluto on $side did not start"; cat "$dir/pluto.stdout" >&2; return 1; }
  sleep 0.3 # interfaces
}

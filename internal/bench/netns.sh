# Sourced by live.sh and live-drain.sh (root): the network namespaces the
# live benchmarks replay into. Nothing leaves them: frames are injected at
# layer 2 into a veth whose two ends are in namespaces made here.

# veth_pair NS_A NS_B IF_A IF_B makes namespaces NS_A and NS_B joined by a
# veth (IF_A in NS_A, IF_B in NS_B), MTU 9000, IPv6 off, both ends up.
veth_pair() {
  ip netns add "$1"
  ip netns add "$2"
  ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
  for ns in "$1" "$2"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true; done
  ip -n "$1" link set "$3" mtu 9000 up
  ip -n "$2" link set "$4" mtu 9000 up
}

# netns_del NS... deletes the namespaces (and with them the veth).
netns_del() {
  for ns in "$@"; do ip netns del "$ns" 2>/dev/null || true; done
}

# shellcheck shell=bash
# The lab's networks: one bridge per network, each in its own named network
# namespace ($LAB_PREFIX-mgmt, -lm1, -lm2), and one veth pair per node and
# network.  Inside a bridge namespace the node's port is named after the node
# (n1, n2, ...); inside a node the interface is named after the network.
# Nothing here touches the machine's own interfaces.

# MAC addresses: 02:20:<net>:<side>:00:<node>, side 0 = node, 1 = bridge port.
lab_mac() {
    printf '02:20:%02x:%02x:00:%02x' "$(lab_net_index "$1")" "$3" "$(lab_node_index "$2")"
}

lab_net_create() {
    local net=$1 ns
    ns=$(lab_netns "$net")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # No STP and no forwarding delay: a port forwards as soon as it is up.
    ip -n "$ns" link add name br0 type bridge stp_state 0 forward_delay 0 \
        mcast_snooping 0
    ip -n "$ns" link set br0 up
    # Remembered so that lab down can prove the namespace is gone.
    echo "net:[$(stat -L -c %i "/run/netns/$ns")]" > "$LAB_DIR/net.$net.ns"
}

lab_net_exists() { [ -e "/run/netns/$(lab_netns "$1")" ]; }

lab_net_destroy() {
    local ns
    ns=$(lab_netns "$1")
    [ -e "/run/netns/$ns" ] || return 0
    ip netns del "$ns"
}

# Plug NODE (init PID $3) into NET: its interface NET gets the node's
# addresses, the bridge gets a port named NODE.
lab_net_attach() {
    local node=$1 net=$2 pid=$3 ns
    ns=$(lab_netns "$net")
    # A port left by a crashed node would clash with the new one.
    ip -n "$ns" link del "$node" 2>/dev/null || true
    ip -n "$ns" link add name "$node" address "$(lab_mac "$net" "$node" 1)" \
        type veth peer name "$net" address "$(lab_mac "$net" "$node" 0)" \
        netns "$pid"
    ip -n "$ns" link set "$node" master br0 up
    {
        echo "addr add $(lab_addr "$node" "$net")/24 dev $net"
        if [ "$net" = lm2 ]; then
            echo "addr add $(lab_addr6 "$node")/64 dev $net nodad"
        fi
        echo "link set $net up"
    } | nsenter -t "$pid" -n ip -batch -
}

# Remove NODE's port from NET (its peer inside the node goes with it).
lab_net_detach() {
    ip -n "$(lab_netns "$2")" link del "$1" 2>/dev/null || true
}

# Bridge-side port of NODE on NET up or down: the node sees carrier loss.
lab_net_port() {
    ip -n "$(lab_netns "$2")" link set "$1" "$3"
}

# shellcheck shell=bash
# Fault knobs: `lab fault KNOB ARGS...`.  Each one is one command, acts at
# once, and prints what it did.  `lab fault heal NODE` undoes every network
# fault of a node.

lab_fault_usage() {
    cat >&2 <<'EOF'
usage: lab fault KNOB ARGS...
  port NODE NET down|up          NODE's switch port on NET down/up (carrier loss)
  mtu NODE NET MTU               MTU of NODE's interface NET; TSO/GSO go off on
                                 every interface of NET, so black holes are real
  switch-mtu NODE NET MTU        MTU of NODE's switch port on NET (the path)
  loss NODE NET PERCENT [--in|--out]
                                 drop PERCENT % of NODE's frames on NET at random
                                 (nftables), both directions unless --in/--out;
                                 0 clears
  rate NODE NET RATE|clear       cap NODE's link to NET at RATE (tc tbf, e.g.
                                 100mbit) in both directions
  netem NODE NET [--in|--out] NETEM-ARGS...|clear
                                 tc netem (delay, jitter, ...) on NODE's link;
                                 needs a kernel with sch_netem (see README)
  drop NODE NET [NFT-MATCH...]   silently drop NODE's traffic on NET at the
                                 switch (nftables), optionally only what matches
                                 (e.g. tcp dport 16509)
  undrop NODE NET
  libvirtd NODE stop|cont|kill|start|restart
  kill NODE corosync|pacemaker|libvirtd|qemu|all
                                 SIGKILL those processes of NODE
  crash NODE                     SIGKILL NODE's init: everything in it dies
  boot NODE                      start a crashed node (fresh /run), rejoin
  reboot NODE                    crash + boot
  partition NODE [--drop]        NODE's ports on all networks down (--drop:
                                 carrier stays, every frame is dropped)
  heal NODE                      undo port, mtu, loss, rate, netem, drop and
                                 partition of NODE
  hosts NODE|all loopback        map the node's own name to 127.0.1.1
  hosts NODE|all forget NAME     remove NAME from /etc/hosts
  hosts NODE|all map NAME ADDR   NAME resolves to ADDR only
  hosts NODE|all reset           the lab's original /etc/hosts
  tls NODE|all good              libvirt's certificates in /etc/libvirt/pki,
                                 signed by a lab CA (server = client cert)
  tls NODE|all expired           ...one that expired on 2021-01-01
  tls NODE|all wrong-name        ...one issued for not-NODE
  tls NODE|all expires DAYS      ...one that expires in DAYS days
  tls NODE|all missing           no server or client certificate
EOF
    exit 64
}

lab_fault() {
    [ $# -ge 1 ] || lab_fault_usage
    local knob=$1
    shift
    case $knob in
    port) lab_fault_port "$@" ;;
    mtu) lab_fault_mtu "$@" ;;
    switch-mtu) lab_fault_switch_mtu "$@" ;;
    loss) lab_fault_loss "$@" ;;
    rate) lab_fault_rate "$@" ;;
    netem) lab_fault_netem "$@" ;;
    drop) lab_fault_drop "$@" ;;
    undrop) lab_fault_undrop "$@" ;;
    libvirtd) lab_fault_libvirtd "$@" ;;
    kill) lab_fault_kill "$@" ;;
    crash) lab_fault_crash "$@" ;;
    boot) lab_fault_boot "$@" ;;
    reboot) lab_fault_reboot "$@" ;;
    partition) lab_fault_partition "$@" ;;
    heal) lab_fault_heal "$@" ;;
    hosts) lab_fault_hosts "$@" ;;
    tls) lab_fault_tls "$@" ;;
    *) lab_say "unknown fault '$knob'"; lab_fault_usage ;;
    esac
}

lab_fault_args() {  # NODE NET
    [ $# -ge 2 ] || lab_fault_usage
    lab_check_node "$1"
    lab_check_net "$2"
}

# --- links -------------------------------------------------------------

lab_fault_port() {
    lab_fault_args "$@"
    [[ $# -eq 3 && $3 =~ ^(up|down)$ ]] || lab_fault_usage
    lab_net_port "$1" "$2" "$3"
    lab_say "fault: $1 port on $2 $3"
}

# Segmentation offloads let a veth carry frames larger than the MTU on the
# path; with them off, a too-large frame is dropped like on a real switch.
lab_offloads_off() {
    local net=$1 node
    for node in $(lab_nodes); do
        lab_node_up "$node" || continue
        lab_node_net "$node" ethtool -K "$net" tso off gso off >/dev/null 2>&1 || true
        ip netns exec "$(lab_netns "$net")" ethtool -K "$node" tso off gso off \
            >/dev/null 2>&1 || true
    done
}

lab_fault_mtu() {
    lab_fault_args "$@"
    [[ $# -eq 3 && $3 =~ ^[0-9]+$ ]] || lab_fault_usage
    lab_offloads_off "$2"
    lab_node_net "$1" ip link set dev "$2" mtu "$3"
    lab_say "fault: $1 $2 mtu $3 (tso/gso off on $2)"
}

lab_fault_switch_mtu() {
    lab_fault_args "$@"
    [[ $# -eq 3 && $3 =~ ^[0-9]+$ ]] || lab_fault_usage
    lab_offloads_off "$2"
    ip -n "$(lab_netns "$2")" link set dev "$1" mtu "$3"
    lab_say "fault: switch port of $1 on $2 mtu $3 (tso/gso off on $2)"
}

# Both ends of NODE's link to NET get the same qdisc: egress of the node's
# interface is what the node sends, egress of its switch port what it gets.
# lab_link_qdisc NODE NET IN OUT QDISC-ARGS...|clear
lab_link_qdisc() {
    local node=$1 net=$2 in=$3 out=$4 ns
    shift 4
    ns=$(lab_netns "$net")
    if [ "$1" = clear ]; then
        lab_node_net "$node" tc qdisc del dev "$net" root 2>/dev/null || true
        tc -n "$ns" qdisc del dev "$node" root 2>/dev/null || true
        return 0
    fi
    if [ "$out" -eq 1 ]; then
        lab_node_net "$node" tc qdisc replace dev "$net" root "$@"
    fi
    if [ "$in" -eq 1 ]; then
        tc -n "$ns" qdisc replace dev "$node" root "$@"
    fi
}

# --in / --out: only what NODE receives / sends.  Sets dir_in, dir_out.
lab_fault_direction() {
    dir_in=1 dir_out=1
    case ${1:-} in
    --in) dir_out=0 ;;
    --out) dir_in=0 ;;
    "") ;;
    *) lab_fault_usage ;;
    esac
}

lab_direction_name() {
    case $dir_in$dir_out in
    11) echo "in+out" ;;
    10) echo "in" ;;
    01) echo "out" ;;
    esac
}

lab_fault_netem() {
    lab_fault_args "$@"
    local node=$1 net=$2 dir_in dir_out
    shift 2
    case ${1:-} in
    --in|--out) lab_fault_direction "$1"; shift ;;
    *) lab_fault_direction ;;
    esac
    [ $# -ge 1 ] || lab_fault_usage
    if [ "$1" = clear ]; then
        lab_link_qdisc "$node" "$net" 1 1 clear
        lab_say "fault: qdiscs on $node $net cleared"
        return 0
    fi
    if ! grep -qw '^sch_netem' /proc/modules 2>/dev/null &&
        ! modprobe -q sch_netem 2>/dev/null &&
        ! tc -n "$(lab_netns "$net")" qdisc add dev lo root netem 2>/dev/null; then
        lab_say "fault netem: this kernel has no sch_netem (CONFIG_NET_SCH_NETEM);" \
            "use 'lab fault loss' / 'lab fault rate', which work without it"
        exit 2
    fi
    tc -n "$(lab_netns "$net")" qdisc del dev lo root 2>/dev/null || true
    lab_link_qdisc "$node" "$net" "$dir_in" "$dir_out" netem "$@"
    lab_say "fault: netem $* on $node $net ($(lab_direction_name))"
}

lab_fault_rate() {
    lab_fault_args "$@"
    [ $# -eq 3 ] || lab_fault_usage
    local node=$1 net=$2 rate=$3
    if [ "$rate" = clear ]; then
        lab_link_qdisc "$node" "$net" 1 1 clear
        lab_say "fault: rate on $node $net cleared"
        return 0
    fi
    lab_link_qdisc "$node" "$net" 1 1 tbf rate "$rate" burst 256kb latency 100ms
    lab_say "fault: $node $net capped at $rate each way"
}

# Random loss in the switch: nftables numgen in the bridge namespace, a
# table per node (separate from drop's).
lab_fault_loss() {
    lab_fault_args "$@"
    [[ $# -ge 3 && $3 =~ ^[0-9]+%?$ ]] || lab_fault_usage
    local node=$1 net=$2 pct=${3%\%} table dir_in dir_out ns match
    lab_fault_direction "${4:-}"
    [ "$pct" -le 100 ] || lab_fault_usage
    match="numgen random mod 100 < $pct"
    [ "$pct" -eq 100 ] && match=
    table=lab_loss_$node
    ns=$(lab_netns "$net")
    ip netns exec "$ns" nft delete table bridge "$table" 2>/dev/null || true
    if [ "$pct" -eq 0 ]; then
        lab_say "fault: loss on $node $net cleared"
        return 0
    fi
    {
        echo "table bridge $table {"
        echo "    chain forward {"
        echo "        type filter hook forward priority -10; policy accept;"
        [ "$dir_out" -eq 1 ] && echo "        iifname \"$node\" $match drop"
        [ "$dir_in" -eq 1 ] && echo "        oifname \"$node\" $match drop"
        echo "    }"
        echo "}"
    } | ip netns exec "$ns" nft -f -
    lab_say "fault: $pct% loss on $node $net ($(lab_direction_name))"
}

# nftables in the bridge namespace, one table per node: frames from and to
# the node's port vanish silently (no error for the sender, unlike an
# OUTPUT rule inside the node).
lab_fault_drop() {
    lab_fault_args "$@"
    local node=$1 net=$2 table
    shift 2
    table=lab_$node
    ip netns exec "$(lab_netns "$net")" nft -f - <<EOF
table bridge $table
delete table bridge $table
table bridge $table {
    chain forward {
        type filter hook forward priority 0; policy accept;
        iifname "$node" $* drop
        oifname "$node" $* drop
    }
}
EOF
    lab_say "fault: drop ${*:-everything} on $node $net"
}

lab_fault_undrop() {
    lab_fault_args "$@"
    ip netns exec "$(lab_netns "$2")" nft delete table bridge "lab_$1" 2>/dev/null || true
    lab_say "fault: drop on $1 $2 cleared"
}

lab_fault_partition() {
    [ $# -ge 1 ] || lab_fault_usage
    lab_check_node "$1"
    local node=$1 net
    for net in "${LAB_NETS[@]}"; do
        if [ "${2:-}" = --drop ]; then
            lab_fault_drop "$node" "$net"
        else
            lab_net_port "$node" "$net" down
        fi
    done
    lab_say "fault: $node partitioned${2:+ ($2)}"
}

lab_fault_heal() {
    [ $# -eq 1 ] || lab_fault_usage
    lab_check_node "$1"
    local node=$1 net ns
    for net in "${LAB_NETS[@]}"; do
        ns=$(lab_netns "$net")
        ip netns exec "$ns" nft delete table bridge "lab_$node" 2>/dev/null || true
        ip netns exec "$ns" nft delete table bridge "lab_loss_$node" 2>/dev/null || true
        tc -n "$ns" qdisc del dev "$node" root 2>/dev/null || true
        ip -n "$ns" link set dev "$node" mtu 1500 up 2>/dev/null || true
        if lab_node_up "$node"; then
            lab_node_net "$node" tc qdisc del dev "$net" root 2>/dev/null || true
            lab_node_net "$node" ip link set dev "$net" mtu 1500 up
        fi
    done
    lab_say "fault: $node healed (ports up, mtu 1500, no loss, rate, netem or drop)"
}

# --- daemons and nodes -------------------------------------------------

lab_fault_libvirtd() {
    [ $# -eq 2 ] || lab_fault_usage
    lab_check_node "$1"
    local node=$1 pid
    case $2 in
    stop|cont|kill)
        pid=$(lab_node_run "$node" cat /run/libvirtd.pid) || lab_die "$node: no libvirtd pid file"
        lab_node_run "$node" kill "-${2^^}" "$pid"
        [ "$2" = kill ] && lab_node_run "$node" rm -f /run/libvirtd.pid
        ;;
    start)
        lab_start_libvirtd "$node"
        lab_wait 30 "libvirtd on $node" lab_libvirtd_ready "$node"
        ;;
    restart)
        lab_fault_libvirtd "$node" kill
        lab_fault_libvirtd "$node" start
        return 0
        ;;
    *) lab_fault_usage ;;
    esac
    lab_say "fault: libvirtd on $node: $2"
}

lab_fault_kill() {
    [ $# -eq 2 ] || lab_fault_usage
    lab_check_node "$1"
    local node=$1 pattern
    case $2 in
    corosync) pattern='^corosync$' ;;
    pacemaker) pattern='^(pacemakerd|pacemaker-.*)$' ;;
    libvirtd) pattern='^libvirtd$' ;;
    qemu) pattern='^qemu-system-' ;;
    all) pattern='^(corosync|pacemakerd|pacemaker-.*|libvirtd|qemu-system-.*)$' ;;
    *) lab_fault_usage ;;
    esac
    lab_node_run "$node" pkill -KILL -- "$pattern" || true
    lab_say "fault: SIGKILL $2 on $node"
}

lab_fault_crash() {
    [ $# -eq 1 ] || lab_fault_usage
    lab_check_node "$1"
    lab_node_kill "$1"
    lab_say "fault: $1 crashed"
}

lab_fault_boot() {
    [ $# -eq 1 ] || lab_fault_usage
    lab_check_node "$1"
    lab_node_up "$1" && lab_die "$1 is up"
    local t0
    t0=$(lab_now)
    lab_node_boot "$1"
    lab_start_node_daemons "$1"
    lab_wait 60 "$1 back in the cluster" lab_cluster_formed "$1" "$(lab_node_count)"
    lab_say "fault: $1 booted and rejoined in $(lab_since "$t0") s"
}

lab_fault_reboot() {
    [ $# -eq 1 ] || lab_fault_usage
    lab_fault_crash "$1"
    lab_fault_boot "$1"
}

# --- name resolution ---------------------------------------------------

# Rewrite a node's /etc/hosts in place: it is bind-mounted into the node,
# a new file (sed -i, mv) would not be seen there.
lab_hosts_edit() {
    local file=$1 new
    shift
    new=$("$@" < "$file")
    printf '%s\n' "$new" > "$file"
}

lab_hosts_without() {  # NAME: every line naming NAME loses it
    awk -v name="$1" '
        /^[[:space:]]*(#|$)/ { print; next }
        { out = $1; for (i = 2; i <= NF; i++) if ($i != name) out = out "\t" $i
          if (out != $1) print out }'
}

lab_fault_hosts() {
    [ $# -ge 2 ] || lab_fault_usage
    local target=$1 op=$2 nodes node file
    shift 2
    if [ "$target" = all ]; then
        nodes=$(lab_nodes)
    else
        lab_check_node "$target"
        nodes=$target
    fi
    for node in $nodes; do
        file=$(lab_node_root "$node")/etc/hosts
        case $op in
        loopback)
            lab_hosts_edit "$file" lab_hosts_without "$node"
            printf '127.0.1.1\t%s\n' "$node" >> "$file"
            ;;
        forget)
            [ $# -eq 1 ] || lab_fault_usage
            lab_hosts_edit "$file" lab_hosts_without "$1"
            ;;
        map)
            [ $# -eq 2 ] || lab_fault_usage
            lab_hosts_edit "$file" lab_hosts_without "$1"
            printf '%s\t%s\n' "$2" "$1" >> "$file"
            ;;
        reset)
            cat "$(lab_node_dir "$node")/hosts.orig" > "$file"
            ;;
        *) lab_fault_usage ;;
        esac
    done
    lab_say "fault: /etc/hosts of $target: $op $*"
}

# --- TLS ---------------------------------------------------------------

# libvirt's certificates on a node, made with certtool: a lab CA (made once
# per lab, in $LAB_DIR/pki) and, in the node's /etc/libvirt/pki, cacert.pem
# and one certificate as servercert.pem and clientcert.pem.  They are what
# `drover health` checks (drover-health-tls-dir=/etc/libvirt/pki); libvirtd
# itself listens on plain TCP (node.sh).
lab_tls_ca() {
    local pki=$LAB_DIR/pki
    [ -s "$pki/cacert.pem" ] && return 0
    mkdir -p "$pki"
    certtool --generate-privkey --key-type=ecdsa --outfile "$pki/ca.key" 2>/dev/null
    printf 'cn = drover lab CA\nca\ncert_signing_key\nexpiration_days = 3650\n' >"$pki/ca.info"
    certtool --generate-self-signed --load-privkey "$pki/ca.key" \
        --template "$pki/ca.info" --outfile "$pki/cacert.pem" 2>/dev/null
}

# lab_tls_cert NAME FILE [TEMPLATE LINE...]: a certificate for NAME signed
# by the lab CA (365 days unless the lines say otherwise)
lab_tls_cert() {
    local pki=$LAB_DIR/pki name=$1 file=$2
    shift 2
    { printf 'cn = %s\ndns_name = %s\ntls_www_server\ntls_www_client\n' "$name" "$name"
      printf 'signing_key\nencryption_key\n'
      if [ $# -eq 0 ]; then echo "expiration_days = 365"; else printf '%s\n' "$@"; fi
    } >"$pki/$name.info"
    certtool --generate-privkey --key-type=ecdsa --outfile "$pki/$name.key" 2>/dev/null
    certtool --generate-certificate --load-privkey "$pki/$name.key" \
        --load-ca-certificate "$pki/cacert.pem" --load-ca-privkey "$pki/ca.key" \
        --template "$pki/$name.info" --outfile "$file" 2>/dev/null
}

lab_fault_tls() {
    [ $# -ge 2 ] || lab_fault_usage
    local target=$1 what=$2 nodes node dir
    shift 2
    if [ "$target" = all ]; then
        nodes=$(lab_nodes)
    else
        lab_check_node "$target"
        nodes=$target
    fi
    case $what in
    good | expired | wrong-name | missing) [ $# -eq 0 ] || lab_fault_usage ;;
    expires) [[ $# -eq 1 && $1 =~ ^[0-9]+$ ]] || lab_fault_usage ;;
    *) lab_fault_usage ;;
    esac
    lab_tls_ca
    for node in $nodes; do
        dir=$(lab_node_root "$node")/etc/libvirt/pki
        mkdir -p "$dir"
        cp "$LAB_DIR/pki/cacert.pem" "$dir/"
        case $what in
        good) lab_tls_cert "$node" "$dir/servercert.pem" ;;
        expired) lab_tls_cert "$node" "$dir/servercert.pem" \
            'activation_date = "2020-01-01 00:00:00"' \
            'expiration_date = "2021-01-01 00:00:00"' ;;
        wrong-name) lab_tls_cert "not-$node" "$dir/servercert.pem" ;;
        expires) lab_tls_cert "$node" "$dir/servercert.pem" "expiration_days = $1" ;;
        missing) rm -f "$dir/servercert.pem" "$dir/clientcert.pem" ;;
        esac
        [ "$what" = missing ] || cp "$dir/servercert.pem" "$dir/clientcert.pem"
    done
    lab_say "fault: TLS certificates of $target: $what $*"
}
